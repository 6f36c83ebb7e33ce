"""Objectives and key-result progress for the leadership digest, judged on or off track.

A key result's progress (0..1 from baseline to target) comes from the roadmap service
(``objectives.progress_of``: a bound metric's current value, else the value kept by
hand). Whether it is *on track* compares that progress with how much of the
objective's period has passed by the report's last day: a quarter ``2026-Q4`` that is
half over expects half the way done. Progress within :data:`TOLERANCE` of that
expectation is on track, further behind is off track, the target reached is achieved.
An objective without a period we can read (``2026-Q4``, ``2026-H1``, ``2026``) is not
judged (``not_judged``), nor is a key result without a current value (``no_data``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from pilothouse.core.links import ObjectRef
from pilothouse.core.pagination import PageRequest
from pilothouse.core.references import Reference, resolve
from pilothouse.roadmap import objectives as okrs
from pilothouse.roadmap.kr_metrics import format_value, metric_catalog
from pilothouse.roadmap.listing import ItemFilter, filtered_items
from pilothouse.roadmap.models import ObjectiveStatus

__all__ = [
    "TOLERANCE",
    "TRACK_TEXT",
    "KeyResultEntry",
    "ObjectiveEntry",
    "expected_progress",
    "objective_entries",
    "period_bounds",
]

#: How far behind the time elapsed a key result may be and still count as on track.
TOLERANCE = 0.10
#: Objectives shown: the ones being worked on and the ones closed with a verdict.
SHOWN = (ObjectiveStatus.active, ObjectiveStatus.achieved, ObjectiveStatus.missed)
TRACK_TEXT = {
    "achieved": "achieved",
    "on_track": "on track",
    "off_track": "off track",
    "no_data": "no current value",
    "not_judged": "no period to judge against",
}
_ORDER = ("off_track", "on_track", "achieved", "not_judged", "no_data")
_PERIOD = re.compile(r"^(\d{4})(?:-(Q[1-4]|H[12]))?$")


def period_bounds(period: str) -> tuple[date, date] | None:
    """``2026-Q4`` → (1 Oct, 31 Dec 2026); ``2026-H1``, ``2026`` likewise; else None.

    Example:
        >>> period_bounds("2026-Q4")
        (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    """
    match = _PERIOD.match(period.strip().upper())
    if match is None:
        return None
    year, part = int(match[1]), match[2]
    first, months = 1, 12
    if part and part[0] == "Q":
        first, months = 3 * (int(part[1]) - 1) + 1, 3
    elif part:
        first, months = 6 * (int(part[1]) - 1) + 1, 6
    end_month = first + months
    end = date(year + 1, 1, 1) if end_month > 12 else date(year, end_month, 1)
    return date(year, first, 1), date.fromordinal(end.toordinal() - 1)


def expected_progress(period: str, as_of: date) -> float | None:
    """The share of ``period`` passed at the end of ``as_of`` (0..1); None if unreadable."""
    bounds = period_bounds(period)
    if bounds is None:
        return None
    start, end = bounds
    total = (end - start).days + 1
    return min(1.0, max(0.0, ((as_of - start).days + 1) / total))


@dataclass(frozen=True)
class KeyResultEntry:
    """One key result: values as people read them, progress and its track."""

    title: str
    metric: Reference | None
    current: float | None
    target: float
    baseline: float | None
    current_text: str
    target_text: str
    baseline_text: str
    source: str | None
    progress: float | None
    track: str


@dataclass(frozen=True)
class ObjectiveEntry:
    """An objective with its key results, the items that serve it and an overall track
    (the worst of its key results'); ``progress`` is their mean."""

    objective: Reference
    status: str
    period: str
    owner: Reference | None
    expected: float | None
    progress: float | None
    track: str
    key_results: list[KeyResultEntry]
    items: list[Reference]


def _track(progress: float | None, expected: float | None) -> str:
    if progress is None:
        return "no_data"
    if progress >= 1.0:
        return "achieved"
    if expected is None:
        return "not_judged"
    return "on_track" if progress >= expected - TOLERANCE else "off_track"


def _key_result(kr: Any, values: Any, catalog: Any, refs: Any, expected: float | None) -> Any:
    progress = okrs.progress_of(kr, values)
    canonical = catalog.resolve(kr.metric_slug or "") if catalog and kr.metric_slug else None
    fmt = catalog.formats.get(canonical or "") if catalog else None
    show = lambda value: format_value(value, kr.unit, fmt)  # noqa: E731
    return KeyResultEntry(
        title=kr.title,
        metric=refs.get(ObjectRef("metric", canonical)) if canonical else None,
        current=progress.current_value,
        target=kr.target_value,
        baseline=kr.baseline_value,
        current_text=show(progress.current_value),
        target_text=show(kr.target_value),
        baseline_text=show(kr.baseline_value or 0.0),
        source=progress.source,
        progress=progress.progress,
        track=_track(progress.progress, expected),
    )


def _overall(entries: list[KeyResultEntry]) -> tuple[float | None, str]:
    known = [e.progress for e in entries if e.progress is not None]
    progress = round(sum(known) / len(known), 4) if known else None
    tracks = [e.track for e in entries] or ["no_data"]
    return progress, min(tracks, key=_ORDER.index)


def objective_entries(runtime: Any, session: Session, as_of: date) -> list[ObjectiveEntry]:
    """Active, achieved and missed objectives by key, each judged as of ``as_of``."""
    found = [
        o for o in okrs.list_objectives(session, PageRequest(limit=200)).items if o.status in SHOWN
    ]
    slugs = sorted({kr.metric_slug for o in found for kr in o.key_results if kr.metric_slug})
    values = okrs.metric_values(runtime, slugs) if slugs else {}
    catalog = metric_catalog(runtime)
    linked = {o.id: filtered_items(session, ItemFilter(objective=o.key)) for o in found}
    wanted = [ObjectRef("objective", o.key) for o in found]
    wanted += [ObjectRef("user", str(o.owner_id)) for o in found if o.owner_id]
    wanted += [ObjectRef("roadmap_item", i.key) for items in linked.values() for i in items]
    if catalog is not None:
        names = {catalog.resolve(s) for s in slugs}
        wanted += [ObjectRef("metric", n) for n in sorted(n for n in names if n)]
    refs = resolve(session, wanted, runtime)
    out = []
    for o in sorted(found, key=lambda o: o.id):
        expected = expected_progress(o.period, as_of)
        krs = [_key_result(kr, values, catalog, refs, expected) for kr in o.key_results]
        progress, track = _overall(krs)
        owner = refs.get(ObjectRef("user", str(o.owner_id))) if o.owner_id else None
        items = [refs[ObjectRef("roadmap_item", i.key)] for i in linked[o.id]]
        out.append(
            ObjectiveEntry(
                refs[ObjectRef("objective", o.key)],
                o.status.value,
                o.period,
                owner,
                expected,
                progress,
                track,
                krs,
                items,
            )  # fmt: skip
        )
    return out
