"""JSON API of the metric catalog and queries: ``/api/v1/metrics``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from pilothouse.core.pagination import PageRequest
from pilothouse.core.runtime import Runtime
from pilothouse.metrics import presenting, service
from pilothouse.metrics.query_text import parse_by, parse_where
from pilothouse.web.deps import PageParams, RuntimeDep, Viewer

__all__ = ["router"]

router = APIRouter(prefix="/metrics", tags=["metrics"])


class MetricList(BaseModel):
    items: list[dict[str, Any]]
    next_cursor: str | None = None
    problems: list[str] = []


def _page_of(
    items: list[dict[str, Any]], page: PageRequest
) -> tuple[list[dict[str, Any]], str | None]:
    """Catalog lists page by name: the cursor is the last name returned."""
    if page.cursor:
        items = [i for i in items if i["name"] > page.cursor]
    rest = items[page.limit :]
    items = items[: page.limit]
    return items, (items[-1]["name"] if rest else None)


@router.get("", response_model=MetricList, summary="List metrics in the catalog")
def list_metrics(
    _principal: Viewer,
    runtime: RuntimeDep,
    page: PageParams,
    q: str | None = None,
    product_area: str | None = None,
    owner: str | None = None,
    tag: str | None = None,
    certified: bool | None = None,
) -> MetricList:
    catalog = runtime.metrics.catalog()
    found = catalog.search(q, product_area=product_area, owner=owner, tag=tag, certified=certified)
    items, cursor = _page_of([presenting.metric_summary(m) for m in found], page)
    return MetricList(
        items=items, next_cursor=cursor, problems=[str(p) for p in runtime.metrics.problems]
    )


@router.get("/{name}", summary="One metric: its definition as written, and where")
def get_metric(name: str, _principal: Viewer, runtime: RuntimeDep) -> dict[str, Any]:
    metric = runtime.metrics.metric(name)
    catalog = runtime.metrics.catalog()
    return {
        **presenting.metric_summary(metric),
        "depends_on": list(catalog.dependencies(name)),
        "dimensions": [d.name for d in catalog.dimensions_for(metric)],
        "definition": presenting.definition_source(runtime.metrics, metric),
    }


def _request(
    runtime: Runtime,
    name: str,
    start: dt.date | None,
    end: dt.date | None,
    grain: str | None,
    by: list[str],
    where: list[str],
    source: str,
) -> service.SeriesRequest:
    metric = runtime.metrics.metric(name)
    first, stop = presenting.date_range(start, end, dt.date.today())
    filters = tuple(parse_where(text, f"where[{i}]") for i, text in enumerate(where))
    dims = tuple(parse_by(text, f"by[{i}]") for i, text in enumerate(by))
    return service.SeriesRequest(
        name, first, stop, presenting.parse_grain(grain, metric), dims, filters, source
    )


@router.get("/{name}/series", summary="The metric over time, optionally broken down")
def get_series(
    name: str,
    _principal: Viewer,
    runtime: RuntimeDep,
    start: Annotated[
        dt.date | None, Query(alias="from", description="First day (inclusive).")
    ] = None,
    end: Annotated[dt.date | None, Query(alias="to", description="Last day (inclusive).")] = None,
    grain: Annotated[str | None, Query(description="day, week, month or total.")] = None,
    by: Annotated[list[str], Query(description="Dimension to break down by.")] = [],  # noqa: B006
    where: Annotated[list[str], Query(description="Filter, e.g. 'account.plan = growth'.")] = [],  # noqa: B006
    source: Annotated[
        str, Query(description="Warehouse connection; default the embedded store.")
    ] = service.EMBEDDED_SOURCE,
) -> dict[str, Any]:
    request = _request(runtime, name, start, end, grain, by, where, source)
    result = service.run_series(runtime, request)
    return {
        "metric": name,
        "source": result.source,
        "from": request.start.isoformat(),
        "to": (request.end - dt.timedelta(days=1)).isoformat(),
        "grain": request.grain.value if request.grain else "total",
        "columns": list(result.columns),
        "rows": result.as_dicts(),
        "sql": result.sql,
        "elapsed_s": round(result.elapsed_s, 4),
    }


@router.get("/{name}/sql", summary="The SQL a query compiles to, for any dialect")
def get_sql(
    name: str,
    _principal: Viewer,
    runtime: RuntimeDep,
    dialect: str = "duckdb",
    start: Annotated[dt.date | None, Query(alias="from")] = None,
    end: Annotated[dt.date | None, Query(alias="to")] = None,
    grain: str | None = None,
    by: Annotated[list[str], Query()] = [],  # noqa: B006
    where: Annotated[list[str], Query()] = [],  # noqa: B006
) -> dict[str, Any]:
    request = _request(runtime, name, start, end, grain, by, where, service.EMBEDDED_SOURCE)
    compiled = service.compile_metric(runtime, request, dialect)
    return {
        "metric": name,
        "dialect": dialect,
        "sql": compiled.sql,
        "columns": list(compiled.columns),
    }
