"""The leadership digest: goals, roadmap changes and launches of one week, for leaders.

Three sections, each read through its domain's services (this module writes nothing):

- **Objectives and key results** (:mod:`.okr_progress`): each key result's current
  value against its target, progress and whether it is on track for its period.
- **Roadmap changes** (:mod:`.roadmap_changes`): items created, removed, moved to
  another status or re-ranked on the board during the week, from the audit log.
- **Launches** (the weekly review's section): shipped in the week, coming in the two
  weeks after it, overdue.

The week is an ISO week in the workspace time zone like the weekly review's; key-result
values are the current ones (the metric layer keeps no history of them).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.references import Reference
from pilothouse.core.runtime import Runtime
from pilothouse.reports import sections
from pilothouse.reports.okr_progress import ObjectiveEntry, objective_entries
from pilothouse.reports.roadmap_changes import RoadmapChange, roadmap_changes
from pilothouse.reports.weeks import MAX_WEEKS_BACK, Week, last_complete_week

__all__ = ["PAGE_URL", "LeadershipDigest", "assemble_digest", "digest_to_dict"]

PAGE_URL = "/reports/leadership-digest"


@dataclass(frozen=True)
class LeadershipDigest:
    week: Week
    timezone: str
    generated_at: datetime
    objectives: list[ObjectiveEntry]
    roadmap_changes: list[RoadmapChange]
    launches_shipped: list[sections.LaunchEntry]
    launches_upcoming: list[sections.LaunchEntry]
    launches_overdue: list[sections.LaunchEntry]
    previous_week: str | None
    next_week: str | None

    @property
    def url(self) -> str:
        return f"{PAGE_URL}?week={self.week.key}"

    @property
    def title(self) -> str:
        span = f"{self.week.start:%d %b} – {self.week.end:%d %b %Y}"
        return f"Leadership digest {self.week.key} ({span})"

    def changes_of(self, kind: str) -> list[RoadmapChange]:
        return [c for c in self.roadmap_changes if c.kind == kind]

    def tracks(self) -> dict[str, int]:
        """How many key results are achieved, on track, off track, unjudged."""
        counts: dict[str, int] = {}
        for objective in self.objectives:
            for kr in objective.key_results:
                counts[kr.track] = counts.get(kr.track, 0) + 1
        return counts


def _neighbours(week: Week, timezone: str) -> tuple[str | None, str | None]:
    default = last_complete_week(timezone)
    before, after = week.shifted(-1), week.shifted(1)
    oldest = default.shifted(-MAX_WEEKS_BACK)
    return (
        before.key if before.start >= oldest.start else None,
        after.key if after.start <= default.shifted(1).start else None,
    )


def assemble_digest(runtime: Runtime, session: Session, week: Week) -> LeadershipDigest:
    """The digest of ``week`` as the services see it now (reads only, in ``session``)."""
    timezone = runtime.settings.timezone
    goals = objective_entries(runtime, session, week.end)
    start, stop = sections.week_bounds(week, timezone)
    changes = roadmap_changes(session, start, stop, runtime)
    shipped, upcoming, overdue = sections.launch_entries(session, week, timezone)
    previous, following = _neighbours(week, timezone)
    return LeadershipDigest(
        week, timezone, datetime.now(UTC), goals, changes, shipped, upcoming, overdue,
        previous, following,
    )  # fmt: skip


def _plain(value: Any) -> Any:
    if isinstance(value, Reference):
        return {"type": value.type, "id": value.id, "name": value.label, "url": value.url}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Week):
        return {"key": value.key, "start": value.start.isoformat(), "end": value.end.isoformat()}
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def digest_to_dict(digest: LeadershipDigest) -> dict[str, Any]:
    """The digest as JSON-ready data (the API's and ``--format json``'s shape)."""
    out = _plain(digest)
    out["url"] = digest.url
    out["title"] = digest.title
    out["key_result_tracks"] = digest.tracks()
    return out
