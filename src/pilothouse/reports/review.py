"""The weekly product review: what moved, shipped, was learnt and decided in one week.

:func:`assemble` gathers it from the domains' services (it writes nothing);
:func:`to_dict` is the JSON the API, the CLI and the e-mail's plain data share.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.links import ObjectRef
from pilothouse.core.references import Reference, resolve
from pilothouse.core.runtime import Runtime
from pilothouse.reports import sections
from pilothouse.reports.metric_moves import MetricMove, metric_moves
from pilothouse.reports.weeks import MAX_WEEKS_BACK, Week, last_complete_week

__all__ = ["PAGE_URL", "WeeklyReview", "assemble", "to_dict"]

PAGE_URL = "/reports/weekly-review"


@dataclass(frozen=True)
class WeeklyReview:
    week: Week
    timezone: str
    generated_at: datetime
    metrics: list[MetricMove]
    experiments_started: list[sections.ExperimentEntry]
    experiments_finished: list[sections.ExperimentEntry]
    launches_shipped: list[sections.LaunchEntry]
    launches_upcoming: list[sections.LaunchEntry]
    launches_overdue: list[sections.LaunchEntry]
    feedback_items: int
    themes_top: list[sections.ThemeEntry]
    themes_spiking: list[sections.ThemeEntry]
    decisions: list[sections.DecisionEntry]
    previous_week: str | None
    next_week: str | None

    @property
    def url(self) -> str:
        return f"{PAGE_URL}?week={self.week.key}"

    @property
    def title(self) -> str:
        span = f"{self.week.start:%d %b} – {self.week.end:%d %b %Y}"
        return f"Weekly product review {self.week.key} ({span})"


def _neighbours(week: Week, timezone: str) -> tuple[str | None, str | None]:
    default = last_complete_week(timezone)
    before = week.shifted(-1)
    after = week.shifted(1)
    oldest = default.shifted(-MAX_WEEKS_BACK)
    return (
        before.key if before.start >= oldest.start else None,
        after.key if after.start <= default.shifted(1).start else None,
    )


def assemble(runtime: Runtime, session: Session, week: Week) -> WeeklyReview:
    """The review of ``week`` as the services see it now (reads only, in ``session``)."""
    timezone = runtime.settings.timezone
    moves = metric_moves(runtime, week)
    named = resolve(session, [ObjectRef("metric", m.metric) for m in moves], runtime)
    moves = [replace(m, reference=named[ObjectRef("metric", m.metric)]) for m in moves]
    started, finished = sections.experiment_entries(session, week, timezone)
    shipped, upcoming, overdue = sections.launch_entries(session, week, timezone)
    items, top, spiking = sections.feedback_themes(session, week)
    decisions = sections.decisions_made(session, week)
    previous, following = _neighbours(week, timezone)
    return WeeklyReview(
        week, timezone, datetime.now(UTC), moves, started, finished, shipped, upcoming,
        overdue, items, top, spiking, decisions, previous, following,
    )  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, Reference):
        return {"type": value.type, "id": value.id, "name": value.label, "url": value.url}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Week):
        return {"key": value.key, "start": value.start.isoformat(), "end": value.end.isoformat()}
    if is_dataclass(value):
        out = {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
        if isinstance(value, MetricMove):
            out["change"] = value.change
            out["values"] = list(value.values)
            out["outside_days"] = [
                {"day": d.isoformat(), "direction": x} for d, x in value.outside_days
            ]
        return out
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_dict(review: WeeklyReview) -> dict[str, Any]:
    """The review as JSON-ready data (the API's and ``--format json``'s shape)."""
    out = _plain(review)
    out["url"] = review.url
    out["title"] = review.title
    return out
