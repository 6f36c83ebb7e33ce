"""The typed intermediate form of a metric query, and what compiling it returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pilothouse.core.errors import BadRequest
from pilothouse.metrics.definitions.model import Dimension, Filter, Grain, Unit

__all__ = ["MAX_DIMENSIONS", "CompiledQuery", "MetricQuery", "QueryError"]

MAX_DIMENSIONS = 3


class QueryError(BadRequest):
    """The query cannot be compiled as asked (bad range, grain, dimension...)."""

    code = "metric-query-error"
    title = "Invalid metric query"


@dataclass(frozen=True)
class MetricQuery:
    """One metric over ``[start, end)`` (local dates in ``time_zone``), bucketed by ``grain``.

    Attributes:
        metric: the metric's name in the catalog.
        start: first local day included.
        end: first local day excluded.
        grain: day, week (ISO, Monday) or month; None for one total over the range.
        time_zone: IANA name whose midnight starts each day (the workspace's).
        dimensions: breakdown by catalog dimension names or inline :class:`Dimension`.
        filters: extra filters ANDed into every event selection of the metric.
        unit: override of the metric's unit (user or account) for distinct counts,
            conversions and retention.
    """

    metric: str
    start: dt.date
    end: dt.date
    grain: Grain | None = Grain.DAY
    time_zone: str = "UTC"
    dimensions: tuple[str | Dimension, ...] = ()
    filters: tuple[Filter, ...] = ()
    unit: Unit | None = None


@dataclass(frozen=True)
class CompiledQuery:
    """SQL for one dialect and the names of the columns it returns, in order.

    Columns are ``period_start`` (a DATE), one per dimension (named after it),
    ``value``, then for ratio-like metrics ``numerator`` and ``denominator`` (and
    ``step_1..step_n`` for conversions and funnels) so callers can re-aggregate.
    """

    sql: str
    columns: tuple[str, ...]
    dialect: str
    metric: str
