"""HTTP for process health: ``GET /api/v1/ops/health`` (every figure) and
``/api/v1/ops/health/{figure}`` (one figure with the items behind it), and the pages
``/ops/health`` and ``/ops/health/{figure}``. Thin: the service computes, presenters shape."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from pilothouse.ops.health.charts import trend_svg
from pilothouse.ops.health.presenters import (
    VALUE_COLUMN,
    figure_dict,
    figure_url,
    filter_query,
    format_value,
    report_dict,
    sample_rows,
)
from pilothouse.ops.health.schemas import FigureDetailOut, HealthOut
from pilothouse.ops.health.service import HealthReport, area_choices, health_report, parse_filter
from pilothouse.web.deps import RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import render

__all__ = ["api_router", "pages_router"]

api_router = APIRouter(prefix="/ops/health", tags=["ops"])
pages_router = APIRouter(prefix="/ops/health", include_in_schema=False)

QuarterParam = Annotated[
    str | None, Query(description="A calendar quarter such as 2026-Q1 (workspace time zone).")
]
AreaParam = Annotated[str | None, Query(description="A product area's slug.")]
FigureParam = Annotated[str, Path(description="A figure's key, such as cycle_time.")]


def _report(
    runtime: RuntimeDep, session: SessionDep, quarter: str | None, area: str | None
) -> HealthReport:
    where = parse_filter(session, quarter, area)
    return health_report(session, runtime.settings.timezone, where)


@api_router.get("", response_model=HealthOut, summary="Process health")
def get_ops_health(
    _principal: Viewer,
    runtime: RuntimeDep,
    session: SessionDep,
    quarter: QuarterParam = None,
    area: AreaParam = None,
) -> Any:
    """Every process-health figure under the filter, with its trend by quarter (by month
    for experiment velocity). Definitions: docs/ops-health.md."""
    return report_dict(_report(runtime, session, quarter, area))


@api_router.get("/{figure}", response_model=FigureDetailOut, summary="Process-health figure")
def get_ops_health_figure(
    _principal: Viewer,
    runtime: RuntimeDep,
    session: SessionDep,
    figure: FigureParam,
    quarter: QuarterParam = None,
    area: AreaParam = None,
) -> Any:
    """One figure with the items behind its number, each named and linked."""
    report = _report(runtime, session, quarter, area)
    found = report.find(figure)
    rows = sample_rows(session, found, report.timezone, runtime)
    return {
        **figure_dict(found, report.filter),
        "filter": {"quarter": report.filter.quarter, "area": report.filter.area_slug},
        "items": [row for _, row in rows],
    }


@pages_router.get("")
def ops_health_page(
    request: Request,
    _principal: Viewer,
    runtime: RuntimeDep,
    session: SessionDep,
    quarter: QuarterParam = None,
    area: AreaParam = None,
) -> Response:
    report = _report(runtime, session, quarter, area)
    charts = {
        r.figure.key: trend_svg(r.trend, f"{r.figure.title} by period", _formatter(r))
        for r in report.figures
    }
    context = {
        "report": report,
        "charts": charts,
        "fmt": format_value,
        "figure_url": figure_url,
        "areas": area_choices(session),
        "query": filter_query(report.filter),
    }
    return render(request, "ops_health/health.html", context)


def _formatter(report: Any) -> Any:
    return lambda value: format_value(report, value)


@pages_router.get("/{figure}")
def ops_health_figure_page(
    request: Request,
    _principal: Viewer,
    runtime: RuntimeDep,
    session: SessionDep,
    figure: FigureParam,
    quarter: QuarterParam = None,
    area: AreaParam = None,
) -> Response:
    report = _report(runtime, session, quarter, area)
    found = report.find(figure)
    context = {
        "report": report,
        "figure": found,
        "rows": sample_rows(session, found, report.timezone, runtime),
        "fmt": format_value,
        "chart": trend_svg(found.trend, f"{found.figure.title} by period", _formatter(found)),
        "query": filter_query(report.filter),
        "column": VALUE_COLUMN[found.figure.kind],
    }
    return render(request, "ops_health/figure.html", context)
