"""HTTP for reports: the weekly review page and ``GET /api/v1/reports/weekly-review``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from pilothouse.reports import subscription  # noqa: F401  (the e-mail kind on the settings page)
from pilothouse.reports.charts_for import svg_charts
from pilothouse.reports.render import change_text, decision_text, experiment_text, format_value
from pilothouse.reports.review import assemble, to_dict
from pilothouse.reports.schemas import WeeklyReviewOut
from pilothouse.reports.weeks import parse_week
from pilothouse.web.deps import RuntimeDep, SessionDep, Viewer
from pilothouse.web.templating import render

__all__ = ["api_router", "pages_router"]

api_router = APIRouter(prefix="/reports", tags=["reports"])
pages_router = APIRouter(prefix="/reports", include_in_schema=False)

WeekParam = Annotated[
    str | None, Query(description="ISO week such as 2026-W48; default: the last complete week.")
]


@api_router.get("/weekly-review", response_model=WeeklyReviewOut, summary="Weekly product review")
def get_weekly_review(
    _principal: Viewer, runtime: RuntimeDep, session: SessionDep, week: WeekParam = None
) -> Any:
    """Metric movements of certified metrics, experiments, launches, feedback themes and
    decisions of one Monday-to-Sunday week in the workspace time zone."""
    return to_dict(assemble(runtime, session, parse_week(week, runtime.settings.timezone)))


@pages_router.get("/weekly-review")
def weekly_review_page(
    request: Request,
    _principal: Viewer,
    runtime: RuntimeDep,
    session: SessionDep,
    week: WeekParam = None,
) -> Response:
    review = assemble(runtime, session, parse_week(week, runtime.settings.timezone))
    context = {
        "review": review,
        "charts": svg_charts(review),
        "change_text": change_text,
        "fmt": format_value,
        "experiment_text": experiment_text,
        "decision_text": decision_text,
    }
    return render(request, "reports/weekly_review.html", context)
