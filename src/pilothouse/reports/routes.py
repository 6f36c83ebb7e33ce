"""HTTP for reports: the weekly review and the leadership digest, each a page and
``GET /api/v1/reports/<report>``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from pilothouse.reports import subscription  # noqa: F401  (the e-mail kind on the settings page)
from pilothouse.reports.charts_for import svg_charts
from pilothouse.reports.kr_chart import progress_rows, svg_progress
from pilothouse.reports.leadership import assemble_digest, digest_to_dict
from pilothouse.reports.leadership_render import (
    CHANGE_TITLES,
    LAUNCH_TITLES,
    kr_text,
    objective_text,
)
from pilothouse.reports.okr_progress import TRACK_TEXT
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


@api_router.get("/leadership-digest", summary="Leadership digest")
def get_leadership_digest(
    _principal: Viewer, runtime: RuntimeDep, session: SessionDep, week: WeekParam = None
) -> dict[str, Any]:
    """Objectives with key-result progress (on or off track), roadmap changes from the
    audit log and launches (shipped, upcoming, overdue) of one Monday-to-Sunday week."""
    week_ = parse_week(week, runtime.settings.timezone)
    return digest_to_dict(assemble_digest(runtime, session, week_))


@pages_router.get("/leadership-digest")
def leadership_digest_page(
    request: Request,
    _principal: Viewer,
    runtime: RuntimeDep,
    session: SessionDep,
    week: WeekParam = None,
) -> Response:
    digest = assemble_digest(runtime, session, parse_week(week, runtime.settings.timezone))
    rows = progress_rows(digest.objectives)
    context = {
        "digest": digest,
        "chart": svg_progress(rows, "Progress of every key result") if rows else None,
        "kr_text": kr_text,
        "objective_text": objective_text,
        "track_text": TRACK_TEXT,
        "change_titles": CHANGE_TITLES,
        "launch_titles": LAUNCH_TITLES,
    }
    return render(request, "reports/leadership_digest.html", context)
