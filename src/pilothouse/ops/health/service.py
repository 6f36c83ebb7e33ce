"""Process health: gathers each domain's facts through its read functions, builds the
figures (:mod:`.builders`) and filters them by quarter and product area.

Nothing here is typed in: every figure comes from the audit log, statuses, links and
the times the domains record. Nothing here writes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from pilothouse.core.areas import get_area_by_slug
from pilothouse.core.errors import FieldError, NotFound, ValidationFailed
from pilothouse.core.links import links_between
from pilothouse.core.models import ProductArea
from pilothouse.ops.health import builders
from pilothouse.ops.health.figures import (
    Figure,
    Sample,
    Summary,
    TrendPoint,
    month_of,
    quarter_of,
    summarise,
    trend,
)

__all__ = [
    "FigureReport",
    "HealthFilter",
    "HealthReport",
    "area_choices",
    "compute_figures",
    "health_report",
    "parse_filter",
]

QUARTER = re.compile(r"^\d{4}-Q[1-4]$")
#: Sections of the page, in order, with the figures in each.
GROUPS = {
    "Roadmap": ("cycle_time", "stage_time_", "evidence_share", "feedback_lead_time"),
    "Launches": ("launch_on_time", "gate_wait", "decisions_per_launch"),
    "Feedback": ("triage_time", "untriaged_backlog"),
    "Experiments": ("experiment_velocity", "win_rate", "share_decided", "stop_to_decision"),
    "Pilothouse use": ("wau",),
}


@dataclass(frozen=True)
class HealthFilter:
    quarter: str | None = None
    area_id: int | None = None
    area_slug: str | None = None


@dataclass(frozen=True)
class FigureReport:
    """One figure under the filter: its number, trend (quarters, or months for
    velocity, under the area filter only) and the samples behind the number."""

    figure: Figure
    group: str
    summary: Summary
    trend: list[TrendPoint]
    samples: list[Sample]


@dataclass(frozen=True)
class HealthReport:
    filter: HealthFilter
    timezone: str
    figures: list[FigureReport]
    quarters: list[str]

    def find(self, key: str) -> FigureReport:
        for report in self.figures:
            if report.figure.key == key:
                return report
        raise NotFound(f"no process-health figure {key!r}")


def parse_filter(session: Session, quarter: str | None, area: str | None) -> HealthFilter:
    """Check the filter values: a quarter such as ``2026-Q4`` and an area slug."""
    quarter = (quarter or "").strip() or None
    if quarter is not None and not QUARTER.match(quarter):
        raise ValidationFailed(
            f"quarter {quarter!r} is not like 2026-Q4",
            errors=[FieldError("quarter", "a quarter such as 2026-Q4")],
        )
    area = (area or "").strip() or None
    if area is None:
        return HealthFilter(quarter)
    try:
        found = get_area_by_slug(session, area)
    except NotFound:
        raise ValidationFailed(
            f"no product area {area!r}", errors=[FieldError("area", "an area's slug")]
        ) from None
    return HealthFilter(quarter, found.id, found.slug)


def _item_ids(items: Sequence[builders.ItemHistory]) -> dict[str, int]:
    """Every id or key a link may use for an item (old keys stay valid)."""
    out = {}
    for item in items:
        out[str(item.id)] = item.id
        for key in item.keys:
            out[key] = item.id
    return out


def _other(link: object, own_type: str) -> tuple[str, str, str]:
    """(this end's id, other end's type, other end's id) of a link seen from ``own_type``."""
    if link.to_type == own_type:  # type: ignore[attr-defined]
        return link.to_id, link.from_type, link.from_id  # type: ignore[attr-defined]
    return link.from_id, link.to_type, link.to_id  # type: ignore[attr-defined]


def _link_facts(
    session: Session, ids: dict[str, int]
) -> tuple[dict[int, datetime], dict[int, datetime], dict[int, list[int]], dict[int, int]]:
    """From core's links: each item's first evidence link, the earliest date a piece of
    its evidence was sent (a linked feedback item, or a member of a linked theme), the
    items each launch ships and the number of decisions about each launch."""
    from pilothouse.feedback.health_reads import received_times, theme_first_received

    sent = {
        "feedback_item": received_times(session),
        "feedback_theme": theme_first_received(session),
    }
    linked, requested = [], []
    for kind in builders.EVIDENCE_TYPES:
        for link in links_between(session, kind, "roadmap_item"):
            mine, _, other = _other(link, "roadmap_item")
            if mine in ids:
                linked.append((str(ids[mine]), link.created_at))
                if other in sent[kind]:
                    requested.append((str(ids[mine]), sent[kind][other]))
    shipped: dict[int, list[int]] = {}
    decisions: dict[int, int] = {}
    for link in links_between(session, "launch", "roadmap_item"):
        if link.kind == "ships" and link.from_type == "launch" and link.to_id in ids:
            shipped.setdefault(int(link.from_id), []).append(ids[link.to_id])
    for link in links_between(session, "decision", "launch"):
        launch_id, _, _ = _other(link, "launch")
        if launch_id.isdigit():
            decisions[int(launch_id)] = decisions.get(int(launch_id), 0) + 1
    return _by_item(linked), _by_item(requested), shipped, decisions


def _by_item(pairs: list[tuple[str, datetime]]) -> dict[int, datetime]:
    return {int(k): v for k, v in builders.first_times(pairs).items()}


def compute_figures(session: Session, zone: tzinfo, now: datetime | None = None) -> list[Figure]:
    """Every figure over all the data, unfiltered."""
    from pilothouse.experiments.health_reads import experiment_facts
    from pilothouse.feedback.health_reads import feedback_facts
    from pilothouse.launches.health_reads import launch_facts
    from pilothouse.ops.health.activity import active_days
    from pilothouse.roadmap.health_reads import item_histories, status_categories

    now = now or datetime.now(UTC)
    items, categories = item_histories(session), status_categories(session)
    evidence, requested, shipped, decisions = _link_facts(session, _item_ids(items))
    launches = launch_facts(session)
    ga_day = {
        launch.id: builders.zone_day(launch.launched_at, zone)
        for launch in launches
        if launch.launched_at is not None
    }
    return [
        *builders.roadmap_figures(items, categories, evidence),
        *builders.launch_figures(launches, ga_day, shipped, items, requested),
        *builders.decision_figures(launches, decisions),
        *builders.feedback_figures(feedback_facts(session), now),
        *builders.experiment_figures(experiment_facts(session)),
        *builders.usage_figures(active_days(session), zone),
    ]


def _group(key: str) -> str:
    for group, keys in GROUPS.items():
        if any(key.startswith(prefix) for prefix in keys):
            return group
    return "Other"


def health_report(
    session: Session, timezone: str, where: HealthFilter, now: datetime | None = None
) -> HealthReport:
    """The figures under ``where``, each with its trend and the samples behind it."""
    zone = ZoneInfo(timezone)
    figures = compute_figures(session, zone, now)
    reports, quarters = [], set()
    for figure in figures:
        in_area = [s for s in figure.samples if where.area_id is None or s.area_id == where.area_id]
        quarters.update(quarter_of(s.at, zone) for s in in_area)
        chosen = [
            s for s in in_area if where.quarter is None or quarter_of(s.at, zone) == where.quarter
        ]
        by = month_of if figure.kind.value == "per_month" else quarter_of
        reports.append(
            FigureReport(
                figure,
                _group(figure.key),
                summarise(figure, chosen, zone, where.quarter),
                trend(figure, in_area, zone, by),
                sorted(chosen, key=lambda s: (s.value, s.ref_id), reverse=True),
            )
        )
    order = list(GROUPS)
    reports.sort(key=lambda r: order.index(r.group) if r.group in order else len(order))
    return HealthReport(where, timezone, reports, sorted(quarters))


def area_choices(session: Session) -> list[tuple[str, str]]:
    """(slug, name) of every product area, by name, for the area filter."""
    rows = session.execute(select(ProductArea.slug, ProductArea.name).order_by(ProductArea.name))
    return [(slug, name) for slug, name in rows]
