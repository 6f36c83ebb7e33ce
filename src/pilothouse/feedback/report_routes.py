"""HTTP for the voice-of-customer report: ``GET /api/v1/feedback/reports/voc``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from pilothouse.feedback import insights_queries, reports
from pilothouse.web.deps import SessionDep, Viewer

__all__ = ["report_response", "router"]

router = APIRouter(prefix="/feedback/reports", tags=["feedback"])
STANDALONE_REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)


def report_response(report: reports.VocReport, fmt: str, *, download: bool = False) -> Response:
    """The report in ``md``, ``html`` or ``json``; ``download`` asks the browser to save it."""
    name = f"voice-of-customer-{report.start}-{report.end}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'} if download else {}
    if fmt == "md":
        return PlainTextResponse(
            reports.to_markdown(report), media_type="text/markdown; charset=utf-8", headers=headers
        )
    if fmt == "html":
        # A self-contained document (its styles are inline so the saved file keeps
        # them): its own policy allows those styles and nothing else, no script at all.
        policy = {"Content-Security-Policy": STANDALONE_REPORT_POLICY}
        return HTMLResponse(reports.to_html(report), headers=headers | policy)
    return JSONResponse(reports.to_json(report), headers=headers)


@router.get("/voc", summary="Voice-of-customer report for a date range")
def get_voc_report(
    _principal: Viewer,
    session: SessionDep,
    start: Annotated[date, Query(description="First day (UTC), inclusive.")],
    end: Annotated[date, Query(description="Last day (UTC), inclusive.")],
    fmt: Annotated[Literal["md", "html", "json"], Query(alias="format")] = "json",
    source: str | None = None,
    segment: str | None = None,
    plan: str | None = None,
    product_area: str | None = None,
    top: Annotated[int, Query(ge=1, le=50)] = 10,
    download: bool = False,
) -> Response:
    """Top themes with items, customers, ARR, trend, sentiment and quotes; spikes; new themes."""
    where = insights_queries.InsightFilter(
        source=source, segment=segment, plan=plan, product_area=product_area
    )
    report = reports.build_report(session, start, end, where=where, top=top)
    return report_response(report, fmt, download=download)
