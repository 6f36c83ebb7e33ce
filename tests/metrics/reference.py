"""Expected metric values computed in plain Python from the fixture rows.

This is the independent check of the compiler: it reads ``FixtureData`` directly and
implements each metric type from its documented meaning (docs/metrics.md), without
SQL. A series maps ``(period_start, *dimension values)`` to the tuple of value
columns, in the order the compiled query returns them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from pilothouse.metrics.compiler import MetricQuery
from pilothouse.metrics.definitions import (
    AggregateSpec,
    Catalog,
    CumulativeSpec,
    Dimension,
    EventSelection,
    FieldRef,
    FieldSource,
    Filter,
    FilterOp,
    FormulaSpec,
    FunnelSpec,
    Grain,
    Metric,
    MetricType,
    RatioSpec,
    RetentionMode,
    RetentionSpec,
    RollingSpec,
    Unit,
    ValueType,
)
from pilothouse.metrics.definitions.formula import BinaryOp, FormulaNode, MetricRef, Negate, Number
from tests.metrics.fixture_data import Event, FixtureData

__all__ = ["Reference"]

Key = tuple[Any, ...]
Series = dict[Key, tuple[Any, ...]]
ZERO = {MetricType.COUNT, MetricType.SUM, MetricType.DISTINCT}


@dataclass(frozen=True)
class Row:
    event: Event
    local_date: dt.date


def json_text(value: Any) -> str | None:
    """What ``->>`` returns for a JSON value: strings as is, other scalars as JSON text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Reference:
    def __init__(self, data: FixtureData, catalog: Catalog) -> None:
        self.data = data
        self.catalog = catalog

    # -- row level --------------------------------------------------------------------

    def field(self, event: Event, ref: FieldRef) -> Any:
        if ref.source is FieldSource.PROPERTY:
            source: dict[str, Any] | None = event.properties
        elif ref.source is FieldSource.USER_TRAIT:
            source = self.data.users.get(event.user_id or "")
        else:
            source = self.data.accounts.get(event.account_id or "")
        text = json_text((source or {}).get(ref.key))
        if text is None or ref.value_type is ValueType.TEXT:
            return text
        return int(text) if ref.value_type is ValueType.INTEGER else float(text)

    def passes(self, event: Event, flt: Filter) -> bool:
        value = self.field(event, flt.field)
        op = flt.op
        if op is FilterOp.IS_SET:
            return value is not None
        if op is FilterOp.IS_NOT_SET:
            return value is None
        literals = flt.value if isinstance(flt.value, tuple) else (flt.value,)
        as_type: Callable[[Any], Any] = (
            (lambda v: str(v).lower() if isinstance(v, bool) else str(v))
            if flt.field.value_type is ValueType.TEXT
            else float
        )
        wanted = [as_type(v) for v in literals]
        if op in (FilterOp.NE, FilterOp.NOT_IN):
            return value is None or value not in wanted
        if value is None:
            return False
        checks: dict[FilterOp, Callable[[Any, Any], bool]] = {
            FilterOp.EQ: lambda a, b: a == b,
            FilterOp.IN: lambda a, _: a in wanted,
            FilterOp.LT: lambda a, b: a < b,
            FilterOp.LE: lambda a, b: a <= b,
            FilterOp.GT: lambda a, b: a > b,
            FilterOp.GE: lambda a, b: a >= b,
            FilterOp.CONTAINS: lambda a, b: b in a,
        }
        return checks[op](value, wanted[0])

    def selected(self, event: Event, selection: EventSelection, query: MetricQuery) -> bool:
        if selection.events and event.event not in selection.events:
            return False
        return all(self.passes(event, f) for f in (*selection.filters, *query.filters))

    def unit(self, event: Event, metric: Metric, query: MetricQuery) -> str | None:
        if (query.unit or metric.unit) is Unit.ACCOUNT:
            return event.account_id
        if metric.include_anonymous:
            return event.user_id or event.anonymous_id
        return event.user_id

    # -- time ---------------------------------------------------------------------------

    @staticmethod
    def local(moment: dt.datetime, zone: str) -> dt.datetime:
        return moment.replace(tzinfo=dt.UTC).astimezone(ZoneInfo(zone)).replace(tzinfo=None)

    @staticmethod
    def period(day: dt.date, query: MetricQuery) -> dt.date:
        if query.grain is None:
            return query.start
        if query.grain is Grain.DAY:
            return day
        if query.grain is Grain.WEEK:
            return day - dt.timedelta(days=day.weekday())
        return day.replace(day=1)

    def rows(
        self, selection: EventSelection, query: MetricQuery, first: dt.date, last: dt.date | None
    ) -> list[Row]:
        found = []
        for event in self.data.events:
            day = self.local(event.timestamp, query.time_zone).date()
            if day < first or (last is not None and day >= last):
                continue
            if self.selected(event, selection, query):
                found.append(Row(event, day))
        return found

    def dims(self, event: Event, dimensions: Iterable[Dimension]) -> tuple[Any, ...]:
        return tuple(self.field(event, d.field) for d in dimensions)

    # -- series -------------------------------------------------------------------------

    def series(self, query: MetricQuery) -> Series:
        metric = self.catalog.get(query.metric)
        dimensions = tuple(
            self.catalog.dimension(d) if isinstance(d, str) else d for d in query.dimensions
        )
        return self._series(metric, query, dimensions)

    def _series(self, metric: Metric, query: MetricQuery, dims: tuple[Dimension, ...]) -> Series:
        spec = metric.spec
        if metric.type in (MetricType.CONVERSION, MetricType.FUNNEL):
            assert isinstance(spec, FunnelSpec)
            return self._funnel(metric, spec, query, dims)
        if isinstance(spec, RetentionSpec):
            return self._retention(metric, spec, query, dims)
        if isinstance(spec, RollingSpec):
            return self._rolling(self.catalog.get(spec.of), spec.window_days, query, dims)
        if isinstance(spec, CumulativeSpec):
            return self._cumulative(self.catalog.get(spec.of), query, dims)
        if isinstance(spec, RatioSpec | FormulaSpec):
            return self._derived(metric, query, dims)
        return {
            key: self._aggregate(metric, group, query)
            for key, group in self._groups(metric, query, dims).items()
        }

    def _groups(
        self,
        metric: Metric,
        query: MetricQuery,
        dims: tuple[Dimension, ...],
        first: dt.date | None = None,
    ) -> dict[Key, list[Row]]:
        selection = metric.selections[0]
        groups: dict[Key, list[Row]] = defaultdict(list)
        for row in self.rows(selection, query, first or query.start, query.end):
            if metric.type is MetricType.DISTINCT and self.unit(row.event, metric, query) is None:
                continue
            groups[(self.period(row.local_date, query), *self.dims(row.event, dims))].append(row)
        return groups

    def _measures(self, metric: Metric, rows: list[Row]) -> list[Any]:
        spec = metric.spec
        assert isinstance(spec, AggregateSpec)
        ref = FieldRef(FieldSource.PROPERTY, spec.property, spec.value_type)
        return [v for v in (self.field(r.event, ref) for r in rows) if v is not None]

    def _aggregate(self, metric: Metric, rows: list[Row], query: MetricQuery) -> tuple[Any, ...]:
        kind = metric.type
        if kind is MetricType.COUNT:
            return (len(rows),)
        if kind is MetricType.DISTINCT:
            return (len({self.unit(r.event, metric, query) for r in rows}),)
        values = self._measures(metric, rows)
        if kind is MetricType.AVERAGE:
            total = sum(values) if values else None
            return (total / len(values) if values else None, total, len(values))
        if not values:
            return (None,)
        return ({MetricType.SUM: sum, MetricType.MIN: min, MetricType.MAX: max}[kind](values),)

    def _rolling(
        self, base: Metric, window: int, query: MetricQuery, dims: tuple[Dimension, ...]
    ) -> Series:
        first = query.start - dt.timedelta(days=window - 1)
        by_day = self._groups(base, _with_grain(query, Grain.DAY), dims, first)
        result: Series = {}
        day = query.start
        while day < query.end:
            merged: dict[Key, list[Row]] = defaultdict(list)
            for (when, *values), rows in by_day.items():
                if day - dt.timedelta(days=window - 1) <= when <= day:
                    merged[tuple(values)].extend(rows)
            for values, rows in merged.items():
                result[(day, *values)] = self._aggregate(base, rows, query)
            day += dt.timedelta(days=1)
        return result

    def _cumulative(self, base: Metric, query: MetricQuery, dims: tuple[Dimension, ...]) -> Series:
        groups = self._groups(base, query, dims)
        result: Series = {}
        for key in groups:
            rows = [r for k, g in groups.items() if k[1:] == key[1:] and k[0] <= key[0] for r in g]
            result[key] = self._aggregate(base, rows, query)
        return result

    def _derived(self, metric: Metric, query: MetricQuery, dims: tuple[Dimension, ...]) -> Series:
        names = metric.references
        inputs = {name: self._series(self.catalog.get(name), query, dims) for name in names}
        keys = {key for series in inputs.values() for key in series}
        result: Series = {}
        for key in keys:
            values = {}
            for name in names:
                value = inputs[name].get(key, (None,))[0]
                values[name] = 0 if value is None and self._zero(self.catalog.get(name)) else value
            if isinstance(metric.spec, RatioSpec):
                top, bottom = values[metric.spec.numerator], values[metric.spec.denominator]
                result[key] = (_divide(top, bottom), top, bottom)
            else:
                assert isinstance(metric.spec, FormulaSpec)
                result[key] = (_evaluate(metric.spec.tree, values),)  # type: ignore[arg-type]
        return result

    def _zero(self, metric: Metric) -> bool:
        if isinstance(metric.spec, RollingSpec | CumulativeSpec):
            return self.catalog.get(metric.spec.of).type in ZERO
        return metric.type in ZERO

    def _anchors(
        self,
        metric: Metric,
        selection: EventSelection,
        query: MetricQuery,
        dims: tuple[Dimension, ...],
    ) -> dict[Key, dt.datetime]:
        anchors: dict[Key, dt.datetime] = {}
        for row in self.rows(selection, query, query.start, query.end):
            unit = self.unit(row.event, metric, query)
            if unit is None:
                continue
            key = (self.period(row.local_date, query), *self.dims(row.event, dims), unit)
            if key not in anchors or row.event.timestamp < anchors[key]:
                anchors[key] = row.event.timestamp
        return anchors

    def _funnel(
        self, metric: Metric, spec: FunnelSpec, query: MetricQuery, dims: tuple[Dimension, ...]
    ) -> Series:
        window = dt.timedelta(seconds=spec.within_seconds)
        step_times = []
        for selection in spec.steps[1:]:
            times: dict[str, list[dt.datetime]] = defaultdict(list)
            for row in self.rows(selection, query, query.start, None):
                unit = self.unit(row.event, metric, query)
                if unit is not None:
                    times[unit].append(row.event.timestamp)
            step_times.append(times)
        counts: dict[Key, list[int]] = defaultdict(lambda: [0] * len(spec.steps))
        for (*group, unit), start in self._anchors(metric, spec.steps[0], query, dims).items():
            reached, previous = [start], start
            for times in step_times:
                later = [t for t in times.get(unit, []) if previous < t <= start + window]
                if not later:
                    break
                previous = min(later)
                reached.append(previous)
            for index in range(len(reached)):
                counts[tuple(group)][index] += 1
        return {
            key: (_divide(steps[-1], steps[0]), steps[-1], steps[0], *steps)
            for key, steps in counts.items()
        }

    def _retention(
        self, metric: Metric, spec: RetentionSpec, query: MetricQuery, dims: tuple[Dimension, ...]
    ) -> Series:
        returns: dict[str, set[dt.date]] = defaultdict(set)
        for row in self.rows(spec.returning, query, query.start, None):
            unit = self.unit(row.event, metric, query)
            if unit is not None:
                returns[unit].add(row.local_date)
        counts: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
        for (*group, unit), start in self._anchors(metric, spec.start, query, dims).items():
            target = self.local(start, query.time_zone).date() + dt.timedelta(days=spec.days)
            days = returns.get(unit, set())
            hit = (
                target in days
                if spec.mode is RetentionMode.ON_DAY
                else any(d >= target for d in days)
            )
            counts[tuple(group)][0] += int(hit)
            counts[tuple(group)][1] += 1
        return {key: (_divide(kept, total), kept, total) for key, (kept, total) in counts.items()}


def _with_grain(query: MetricQuery, grain: Grain) -> MetricQuery:
    return MetricQuery(
        query.metric,
        query.start,
        query.end,
        grain,
        query.time_zone,
        query.dimensions,
        query.filters,
        query.unit,
    )


def _divide(top: Any, bottom: Any) -> float | None:
    if top is None or bottom is None or bottom == 0:
        return None
    return float(top) / float(bottom)


def _evaluate(node: FormulaNode, values: dict[str, Any]) -> float | None:
    if isinstance(node, Number):
        return float(node.value)
    if isinstance(node, MetricRef):
        value = values[node.name]
        return None if value is None else float(value)
    if isinstance(node, Negate):
        inner = _evaluate(node.operand, values)
        return None if inner is None else -inner
    assert isinstance(node, BinaryOp)
    left, right = _evaluate(node.left, values), _evaluate(node.right, values)
    if left is None or right is None:
        return None
    if node.op == "/":
        return _divide(left, right)
    return {"+": left + right, "-": left - right, "*": left * right}[node.op]
