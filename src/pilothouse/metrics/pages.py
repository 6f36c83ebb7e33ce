"""The metric catalog and explorer pages."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from pilothouse.metrics.explorer import build_explorer
from pilothouse.metrics.references import metric_backlinks
from pilothouse.web.deps import RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import render

__all__ = ["router"]

router = APIRouter(prefix="/metrics", include_in_schema=False)


@router.get("")
def catalog_page(
    request: Request,
    _principal: Viewer,
    runtime: RuntimeDep,
    q: str | None = None,
    area: str | None = None,
    certified: bool = False,
) -> Response:
    catalog = runtime.metrics.catalog()
    found = catalog.search(q, product_area=area or None, certified=True if certified else None)
    areas = sorted({m.product_area for m in catalog})
    context = {
        "metrics": found,
        "q": q or "",
        "area": area or "",
        "certified": certified,
        "areas": areas,
        "problems": runtime.metrics.problems,
        "total": len(catalog),
    }
    template = "metrics/_rows.html" if request.headers.get("hx-request") else "metrics/catalog.html"
    return render(request, template, context)


@router.get("/{name}")
def metric_page(
    request: Request,
    name: str,
    _principal: Viewer,
    runtime: RuntimeDep,
    session: SessionDep,
    start: Annotated[dt.date | None, Query(alias="from")] = None,
    end: Annotated[dt.date | None, Query(alias="to")] = None,
    grain: str | None = None,
    by: str = "",
    where: Annotated[list[str], Query()] = [],  # noqa: B006
    compare: bool = False,
) -> Response:
    view = build_explorer(
        runtime,
        name,
        start=start,
        end=end,
        grain=grain or None,
        by=by,
        where=where,
        compare=compare,
    )
    return render(
        request,
        "metrics/metric.html",
        {
            "view": view,
            "backlinks": metric_backlinks(session, runtime, name),
            "chart_json": json.dumps(view.chart, default=str) if view.chart else "",
        },
    )
