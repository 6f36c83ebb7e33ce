"""The non-metric sections of the weekly review, each read through its domain's services.

Each function returns plain dataclasses holding a :class:`core.references.Reference`
(name + page) per entry, so every renderer links every name the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from pilothouse.core.errors import NotFound
from pilothouse.core.links import ObjectRef
from pilothouse.core.pagination import Page, PageRequest
from pilothouse.core.references import Reference, resolve_one
from pilothouse.decisions.search import DecisionFilter, list_decisions
from pilothouse.experiments import registry as experiments
from pilothouse.experiments.analysis import service as analysis
from pilothouse.feedback import reports as voc
from pilothouse.launches import attention
from pilothouse.launches.launching import list_launches
from pilothouse.launches.models import LaunchStatus
from pilothouse.reports.weeks import Week

__all__ = [
    "DecisionEntry",
    "ExperimentEntry",
    "LaunchEntry",
    "ThemeEntry",
    "decisions_made",
    "experiment_entries",
    "feedback_themes",
    "launch_entries",
    "week_bounds",
]

T = TypeVar("T")
UPCOMING_DAYS = 14
TOP_THEMES = 5


def _every(fetch: Callable[[PageRequest], Page[T]]) -> list[T]:
    """All pages of a paginated service listing."""
    out: list[T] = []
    cursor: str | None = None
    while True:
        page = fetch(PageRequest(limit=200, cursor=cursor))
        out += page.items
        if not page.next_cursor:
            return out
        cursor = page.next_cursor


def _bounds(week: Week, timezone: str) -> tuple[datetime, datetime]:
    """The week's first and first-after instants in the workspace time zone."""
    zone = ZoneInfo(timezone)
    start = datetime.combine(week.start, time(), zone)
    return start, datetime.combine(week.end + timedelta(days=1), time(), zone)


def week_bounds(week: Week, timezone: str) -> tuple[datetime, datetime]:
    """The week's first instant and the first instant after it, in ``timezone``."""
    return _bounds(week, timezone)


def _in(moment: datetime | None, bounds: tuple[datetime, datetime]) -> bool:
    return moment is not None and bounds[0] <= moment < bounds[1]


def _ref(session: Session, kind: str, ident: Any, runtime: Any = None) -> Reference:
    return resolve_one(session, ObjectRef(kind, str(ident)), runtime)


@dataclass(frozen=True)
class ExperimentEntry:
    """An experiment started or finished in the week, its primary result and decision."""

    experiment: Reference
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    primary_metric: str | None
    result: str
    decision: str | None


def _primary_result(session: Session, experiment: Any) -> tuple[str | None, str]:
    try:
        snapshot = analysis.latest_results(session, experiment)
    except NotFound:
        return None, "not analysed yet"
    metrics = [m for m in snapshot.results.get("metrics", []) if m.get("role") == "primary"]
    if not metrics:
        return None, "no primary metric"
    metric = metrics[0]
    relative = snapshot.results.get("settings", {}).get("difference", "relative") == "relative"
    number = "{:+.1%}" if relative else "{:+.3g}"  # relative effects read as percentages
    parts = []
    for variation in metric.get("variations", [])[1:]:
        effect, ci = variation.get("effect"), variation.get("ci")
        status = variation.get("status") or "failed"
        text = f"{variation.get('name') or variation.get('key')}: {status}"
        if effect is not None:
            text += f", effect {number.format(effect)}"
        if ci and None not in ci:
            text += f" (95% CI {number.format(ci[0])} to {number.format(ci[1])})"
        parts.append(text)
    return metric.get("label") or metric.get("metric"), "; ".join(parts) or "no comparison"


def _decision_text(session: Session, experiment: Any) -> str | None:
    decision = experiment.decision
    if decision is None:
        return None
    outcome = decision.outcome.value.replace("_", " ")
    who = resolve_one(session, ObjectRef("user", str(decision.decided_by_id)))
    person = who.label if decision.decided_by_id and not who.deleted else decision.decided_by_label
    return f"{outcome} ({person}, {decision.decided_at:%Y-%m-%d})"


def _experiment(session: Session, experiment: Any) -> ExperimentEntry:
    metric, result = _primary_result(session, experiment)
    return ExperimentEntry(
        experiment=_ref(session, "experiment", experiment.key),
        status=experiment.status.value,
        started_at=experiment.started_at,
        ended_at=experiment.ended_at,
        primary_metric=metric,
        result=result,
        decision=_decision_text(session, experiment),
    )


def experiment_entries(
    session: Session, week: Week, timezone: str
) -> tuple[list[ExperimentEntry], list[ExperimentEntry]]:
    """``(started, finished)`` in the week, each oldest first."""
    bounds = _bounds(week, timezone)
    every = _every(lambda page: experiments.list_experiments(session, page))
    started = sorted((e for e in every if _in(e.started_at, bounds)), key=lambda e: e.started_at)
    ended = sorted((e for e in every if _in(e.ended_at, bounds)), key=lambda e: e.ended_at)
    return [_experiment(session, e) for e in started], [_experiment(session, e) for e in ended]


@dataclass(frozen=True)
class LaunchEntry:
    """A launch shipped, coming up or overdue; ``note`` says when or why."""

    launch: Reference
    target_date: date
    note: str


def launch_entries(
    session: Session, week: Week, timezone: str
) -> tuple[list[LaunchEntry], list[LaunchEntry], list[LaunchEntry]]:
    """``(shipped, upcoming, overdue)``: GA in the week; GA date in the two weeks after
    it; behind plan as of the week's last day (``launches.attention.late_launches``)."""
    bounds = _bounds(week, timezone)
    zone = ZoneInfo(timezone)
    every = _every(lambda page: list_launches(session, page))
    shipped = [
        LaunchEntry(
            _ref(session, "launch", x.key),
            x.target_date,
            f"GA {x.launched_at.astimezone(zone):%a %d %b}",
        )  # type: ignore[union-attr]
        for x in sorted(every, key=lambda x: x.launched_at or bounds[0])
        if x.status == LaunchStatus.launched and _in(x.launched_at, bounds)
    ]
    horizon = week.end + timedelta(days=UPCOMING_DAYS)
    upcoming = [
        LaunchEntry(
            _ref(session, "launch", x.key), x.target_date, f"GA planned {x.target_date:%a %d %b}"
        )
        for x in sorted(every, key=lambda x: (x.target_date, x.id))
        if x.status in (LaunchStatus.planned, LaunchStatus.in_progress)
        and week.end < x.target_date <= horizon
    ]
    late = attention.late_launches(session, week.end + timedelta(days=1), limit=50)
    overdue = [
        LaunchEntry(
            _ref(session, "launch", x.launch.key),
            x.launch.target_date,
            f"{x.days_late} days late: " + "; ".join(x.reasons),
        )
        for x in late
    ]
    return shipped, upcoming, overdue


@dataclass(frozen=True)
class ThemeEntry:
    """A feedback theme's week: items, distinct customers, trend; ``spike`` is this
    week's count over the baseline weekly mean when it is a significant spike."""

    theme: Reference
    items: int
    customers: int
    direction: str
    spike: float | None


def _theme(session: Session, section: voc.ThemeSection) -> ThemeEntry:
    spike = section.spike.ratio if section.spike is not None else None
    return ThemeEntry(
        theme=_ref(session, "feedback_theme", section.theme_id),
        items=section.item_count,
        customers=section.customer_count,
        direction=section.direction,
        spike=spike,
    )


def feedback_themes(session: Session, week: Week) -> tuple[int, list[ThemeEntry], list[ThemeEntry]]:
    """``(items in the week, top themes by volume, spiking themes)`` from the
    voice-of-customer report of the week's days (UTC, as that report counts)."""
    report = voc.build_report(session, week.start, week.end, top=TOP_THEMES)
    top = [_theme(session, s) for s in report.themes]
    return report.item_count, top, [_theme(session, s) for s in report.spikes]


@dataclass(frozen=True)
class DecisionEntry:
    decision: Reference
    decided_on: date | None
    chosen: str
    decided_by: str | None


def decisions_made(session: Session, week: Week) -> list[DecisionEntry]:
    """Decisions whose decision date falls in the week, oldest first."""
    where = DecisionFilter(decided_from=week.start, decided_to=week.end)
    found = _every(lambda page: list_decisions(session, where, page))
    found.sort(key=lambda d: (d.decided_on or week.start, d.id))
    return [
        DecisionEntry(
            _ref(session, "decision", d.key),
            d.decided_on,
            d.chosen_option,
            d.decided_by.name if d.decided_by else None,
        )
        for d in found
    ]
