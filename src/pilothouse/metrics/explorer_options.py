"""Which grains and breakdowns the explorer offers for a metric, and why others are not.

The explorer used to offer every grain and every catalog dimension, and some choices
then failed ("rolling metric … can only be queried by day") or drew one series called
"None" (a dimension never set on the metric's events). Here each option is derived from
the metric itself, before anything is shown:

* a grain is offered when the query for it compiles (the SQL compiler is the authority:
  rolling metrics compile by day only);
* a breakdown is offered when the compiler accepts the dimension for this metric (its
  ``dimensions`` list and those of the metrics it is computed from) and, when the metric
  has events in the period, the dimension's field is set on at least one event of the
  metric and of every metric it is computed from (the same check that makes a query
  fail; one field-presence probe per three dimensions, on the metric's source).

An option that is not offered keeps its reason, which the page shows beside the choice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pilothouse.core.errors import PilothouseError
from pilothouse.core.runtime import Runtime
from pilothouse.metrics import presenting, service
from pilothouse.metrics.compiler.query import MAX_DIMENSIONS
from pilothouse.metrics.definitions.model import Dimension, Metric

__all__ = ["Option", "breakdown_options", "first_available", "grain_options"]

GRAIN_LABELS = {"day": "Day", "week": "Week", "month": "Month", "total": "Whole period"}


@dataclass(frozen=True)
class Option:
    """One choice of a select: offered when ``reason`` is None, else shown disabled."""

    value: str
    label: str
    reason: str | None = None

    @property
    def available(self) -> bool:
        return self.reason is None


def _refusal(runtime: Runtime, request: service.SeriesRequest) -> str | None:
    """Why ``request`` cannot be compiled, or None when it can (nothing is run)."""
    try:
        service.compile_metric(runtime, request)
    except PilothouseError as exc:
        return exc.detail
    return None


def grain_options(runtime: Runtime, metric: Metric, start: dt.date, stop: dt.date) -> list[Option]:
    """Every grain, each offered only if the metric compiles at that grain."""
    options = []
    for grain in presenting.GRAINS:
        parsed = presenting.parse_grain(grain, metric)
        request = service.SeriesRequest(metric.name, start, stop, parsed)
        reason = _refusal(runtime, request)
        if reason and "can only be queried by day" in reason:
            reason = "a rolling metric is computed per day"
        options.append(Option(grain, GRAIN_LABELS[grain], reason))
    return options


def _absent_fields(
    runtime: Runtime, metric: Metric, start: dt.date, stop: dt.date, dims: Sequence[Dimension]
) -> dict[str, str]:
    """Dimensions whose field is never set on the events of the metric (or of a metric it
    is computed from) in the period → the reason, naming that metric."""
    missing: dict[str, str] = {}
    for index in range(0, len(dims), MAX_DIMENSIONS):
        chunk = tuple(d.name for d in dims[index : index + MAX_DIMENSIONS])
        request = service.SeriesRequest(metric.name, start, stop, None, chunk)
        try:
            rows = service.field_presence(runtime, request)
        except PilothouseError:
            continue  # the source cannot tell: keep the options rather than guess
        for name, field, count, have in rows:
            if count > 0 and have == 0:
                missing.setdefault(field, name)
    absent = {}
    for dim in dims:
        source = missing.get(str(dim.field))
        if source is not None:
            whose = "this metric's" if source == metric.name else f"{source}'s"
            absent[dim.name] = f"never set on {whose} events from {start} to {stop}"
    return absent


def breakdown_options(
    runtime: Runtime, metric: Metric, start: dt.date, stop: dt.date
) -> list[Option]:
    """Every catalog dimension, each offered only if it can split this metric's series."""
    catalog = runtime.metrics.catalog()
    allowed: list[Dimension] = []
    refused: dict[str, str] = {}
    for dim in catalog.dimensions.values():
        request = service.SeriesRequest(metric.name, start, stop, None, (dim.name,))
        reason = _refusal(runtime, request)
        if reason is None:
            allowed.append(dim)
        else:
            refused[dim.name] = "this metric's definition does not allow it"
    refused |= _absent_fields(runtime, metric, start, stop, allowed)
    return [
        Option(dim.name, dim.label or dim.name.replace("_", " "), refused.get(dim.name))
        for dim in sorted(catalog.dimensions.values(), key=lambda d: d.name)
    ]


def first_available(options: Sequence[Option], wanted: str, fallback: str) -> str:
    """``wanted`` if it is offered, else ``fallback`` if offered, else the first offered."""
    offered = [o.value for o in options if o.available]
    if wanted in offered:
        return wanted
    return fallback if fallback in offered else (offered[0] if offered else fallback)
