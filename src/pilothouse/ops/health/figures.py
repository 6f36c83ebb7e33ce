"""Process-health figures from plain facts: no database, no web.

Each figure is a list of :class:`Sample` (one per item behind the number, so every
number can be drilled into) and a :class:`Kind` that says how the samples summarise:
durations by their nearest-rank p50 and p85 (:mod:`.percentiles`), rates by the share
of samples that count, counts by their number, and per-launch or per-month means.
Definitions in words are in ``docs/ops-health.md``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from pilothouse.ops.health.percentiles import nearest_rank

__all__ = [
    "Figure",
    "Kind",
    "Sample",
    "Summary",
    "TrendPoint",
    "days",
    "month_of",
    "quarter_of",
    "summarise",
    "trend",
]

DAY = 86400.0


class Kind(enum.StrEnum):
    duration = "duration"  # days; summarised by p50 (the value) and p85
    rate = "rate"  # share of samples whose value is 1
    count = "count"  # number of samples
    per_month = "per_month"  # samples per calendar month of the period
    mean = "mean"  # mean of the values
    per_week = "per_week"  # samples (person-weeks) per week from the first week to the last


@dataclass(frozen=True)
class Sample:
    """One object behind a figure: ``value`` in the figure's unit (days, 1/0 for a rate),
    ``at`` the moment that puts it in a quarter, ``note`` the facts in words."""

    ref_type: str
    ref_id: str
    at: datetime
    area_id: int | None
    value: float
    note: str = ""


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    kind: Kind
    unit: str
    samples: list[Sample] = field(default_factory=list)
    group: str = ""


@dataclass(frozen=True)
class Summary:
    value: float | None
    p85: float | None
    n: int


@dataclass(frozen=True)
class TrendPoint:
    period: str
    value: float | None
    n: int


def days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / DAY


def quarter_of(moment: datetime, zone: tzinfo) -> str:
    """``2026-Q4``: the calendar quarter of ``moment`` in the workspace time zone."""
    local = moment.astimezone(zone)
    return f"{local.year}-Q{(local.month - 1) // 3 + 1}"


def month_of(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.year}-{local.month:02d}"


def _months_in(samples: Sequence[Sample], zone: tzinfo, period: str | None) -> int:
    """Months a per-month figure divides by: 3 for one quarter; otherwise every month
    from the first sample's to the last sample's, both included."""
    if period is not None:
        return 3
    if not samples:
        return 0
    first = min(s.at for s in samples).astimezone(zone)
    last = max(s.at for s in samples).astimezone(zone)
    return (last.year - first.year) * 12 + last.month - first.month + 1


def summarise(
    figure: Figure, samples: Sequence[Sample], zone: tzinfo, period: str | None = None
) -> Summary:
    """The figure's number over ``samples`` (already filtered to a quarter and area)."""
    values = [s.value for s in samples]
    n = len(values)
    if figure.kind is Kind.duration:
        return Summary(nearest_rank(values, 50), nearest_rank(values, 85), n)
    if figure.kind is Kind.rate:
        return Summary(sum(values) / n if n else None, None, n)
    if figure.kind is Kind.count:
        return Summary(float(n), None, n)
    if figure.kind is Kind.per_month:
        months = _months_in(samples, zone, period)
        return Summary(n / months if months else None, None, n)
    if figure.kind is Kind.per_week:
        return Summary(n / _weeks_in(samples) if n else None, None, n)
    return Summary(sum(values) / n if n else None, None, n)


def _weeks_in(samples: Sequence[Sample]) -> int:
    """Weeks from the first sample's week to the last's, both included (samples are
    placed on their week's Monday)."""
    first, last = min(s.at for s in samples), max(s.at for s in samples)
    return (last - first).days // 7 + 1


def trend(
    figure: Figure, samples: Sequence[Sample], zone: tzinfo, by: Callable[[datetime, tzinfo], str]
) -> list[TrendPoint]:
    """The figure per period (quarter or month) in time order, periods without samples
    left out; per-month figures count the samples of each month."""
    groups: dict[str, list[Sample]] = {}
    for sample in samples:
        groups.setdefault(by(sample.at, zone), []).append(sample)
    out = []
    for period in sorted(groups):
        rows = groups[period]
        if figure.kind is Kind.per_month and by is month_of:
            out.append(TrendPoint(period, float(len(rows)), len(rows)))
            continue
        summary = summarise(figure, rows, zone, period)
        out.append(TrendPoint(period, summary.value, summary.n))
    return out
