"""Shared state and helpers for compiling one query: sources, fields, filters, periods.

Everything that reads the logical event schema goes through here, so physical names
(:class:`WarehouseSchema`) and dialect differences (:class:`DialectRules`) are
applied in one place. Identifiers are created quoted and values become sqlglot
literals: no text from a definition or a filter is ever pasted into SQL.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlglot import exp

from pilothouse.metrics.compiler.dialects import DialectRules
from pilothouse.metrics.compiler.query import MetricQuery, QueryError
from pilothouse.metrics.compiler.schema import WarehouseSchema
from pilothouse.metrics.definitions.catalog import Catalog
from pilothouse.metrics.definitions.model import (
    Dimension,
    EventSelection,
    FieldRef,
    FieldSource,
    Filter,
    FilterOp,
    Grain,
    Metric,
    Scalar,
    Unit,
    ValueType,
)

__all__ = [
    "MEASURE",
    "PERIOD",
    "TS",
    "UNIT",
    "Context",
    "col",
    "dim_names",
    "ident",
    "table",
]

PERIOD = "period_start"
UNIT = "unit_id"
TS = "ts"
MEASURE = "measure"
_ALIASES = {"events": "e", "users": "u", "accounts": "a"}
_TRAIT_TABLE = {FieldSource.USER_TRAIT: "users", FieldSource.ACCOUNT_TRAIT: "accounts"}


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def col(name: str, table: str | None = None) -> exp.Column:
    return exp.column(name, table=table, quoted=True)


def table(name: str, alias: str | None = None) -> exp.Table:
    """A reference to CTE ``name``, optionally aliased, both quoted."""
    alias_node = exp.TableAlias(this=ident(alias)) if alias else None
    return exp.Table(this=ident(name), alias=alias_node)


def dim_names(count: int) -> list[str]:
    """Internal column names of the breakdown values (renamed only in the final select)."""
    return [f"dim_{i}" for i in range(count)]


def _literal(value: Scalar, value_type: ValueType) -> exp.Expression:
    if value_type is ValueType.TEXT or isinstance(value, str | bool):
        text = str(value).lower() if isinstance(value, bool) else str(value)
        return exp.Literal.string(text)
    if isinstance(value, float) and not math.isfinite(value):
        raise QueryError(f"filter value {value!r} is not a finite number")
    return exp.Literal.number(repr(value) if isinstance(value, float) else str(int(value)))


@dataclass
class Context:
    """One compilation: inputs, the growing list of CTEs and the UTC bounds of the range."""

    query: MetricQuery
    catalog: Catalog
    schema: WarehouseSchema
    rules: DialectRules
    dimensions: tuple[Dimension, ...]
    zone: ZoneInfo
    ctes: list[tuple[str, exp.Select]] = field(default_factory=list)

    # -- bookkeeping ------------------------------------------------------------------

    def add_cte(self, hint: str, select: exp.Select) -> str:
        """Register ``select`` as a CTE with a unique name derived from ``hint``."""
        taken = {name for name, _ in self.ctes}
        name, counter = hint, 2
        while name in taken:
            name, counter = f"{hint}_{counter}", counter + 1
        self.ctes.append((name, select))
        return name

    @property
    def dims(self) -> list[str]:
        return dim_names(len(self.dimensions))

    def utc(self, day: dt.date) -> dt.datetime:
        """The instant local midnight starts ``day`` in the query's time zone."""
        return dt.datetime.combine(day, dt.time(), tzinfo=self.zone).astimezone(dt.UTC)

    @property
    def lo(self) -> dt.datetime:
        return self.utc(self.query.start)

    @property
    def hi(self) -> dt.datetime:
        return self.utc(self.query.end)

    def ts_literal(self, moment: dt.datetime) -> exp.Expression:
        return self.rules.timestamp_literal(moment, self.schema.timestamps_with_time_zone)

    @staticmethod
    def date_literal(day: dt.date) -> exp.Expression:
        return exp.cast(exp.Literal.string(day.isoformat()), "date")

    # -- columns of the logical schema --------------------------------------------------

    def column(self, table: str, logical: str) -> exp.Column:
        return col(self.schema.table(table).column(logical), _ALIASES[table])

    def event_ts(self) -> exp.Column:
        return self.column("events", "timestamp")

    def unit_id(self, metric: Metric) -> exp.Expression:
        unit = self.query.unit or metric.unit
        if unit is Unit.ACCOUNT:
            return self.column("events", "account_id")
        user = self.column("events", "user_id")
        if metric.include_anonymous:
            return exp.Coalesce(this=user, expressions=[self.column("events", "anonymous_id")])
        return user

    def field_value(self, ref: FieldRef) -> exp.Expression:
        """A property or trait as text, BIGINT or DOUBLE according to its value type."""
        if ref.source is FieldSource.PROPERTY:
            source = self.column("events", "properties")
        else:
            source = self.column(_TRAIT_TABLE[ref.source], "traits")
        text = self.rules.json_text(source, ref.key, self.schema.json_storage)
        if ref.value_type is ValueType.INTEGER:
            return exp.cast(text, "bigint")
        if ref.value_type is ValueType.NUMBER:
            return exp.cast(text, "double")
        return text

    def condition(self, flt: Filter) -> exp.Expression:
        """SQL for one filter; ``!=`` and ``not in`` also keep rows where the field is unset."""
        value = self.field_value(flt.field)
        vtype = flt.field.value_type
        op = flt.op
        if op is FilterOp.IS_SET:
            return exp.Not(this=exp.Is(this=value, expression=exp.Null()))
        if op is FilterOp.IS_NOT_SET:
            return exp.Is(this=value, expression=exp.Null())
        if op in (FilterOp.IN, FilterOp.NOT_IN):
            items = flt.value if isinstance(flt.value, tuple) else (flt.value,)
            member = exp.In(
                this=value, expressions=[_literal(v, vtype) for v in items if v is not None]
            )
            return member if op is FilterOp.IN else _unset_or(value, exp.Not(this=member))
        assert flt.value is not None and not isinstance(flt.value, tuple)
        literal = _literal(flt.value, vtype)
        if op is FilterOp.CONTAINS:
            found = exp.StrPosition(this=value, substr=literal)
            return exp.GT(this=found, expression=exp.Literal.number(0))
        compare = {
            FilterOp.EQ: exp.EQ,
            FilterOp.NE: exp.NEQ,
            FilterOp.LT: exp.LT,
            FilterOp.LE: exp.LTE,
            FilterOp.GT: exp.GT,
            FilterOp.GE: exp.GTE,
        }[op](this=value, expression=literal)
        assert isinstance(compare, exp.Expression)
        return _unset_or(value, compare) if op is FilterOp.NE else compare

    # -- time ----------------------------------------------------------------------------

    def local_time(self, ts: exp.Expression) -> exp.Expression:
        zone = self.query.time_zone
        return self.rules.local_time(ts, zone, self.schema.timestamps_with_time_zone)

    def local_date(self, ts: exp.Expression) -> exp.Expression:
        return exp.cast(self.local_time(ts), "date")

    def period(self, ts: exp.Expression) -> exp.Expression:
        """The start (a DATE) of the grain period holding ``ts`` in the query's zone."""
        grain = self.query.grain
        if grain is None:
            return self.date_literal(self.query.start)
        if grain is Grain.DAY:
            return self.local_date(ts)
        unit = exp.var(grain.value.upper())
        truncated = exp.DateTrunc(this=self.local_time(ts), unit=unit)  # type: ignore[no-untyped-call]
        return exp.cast(truncated, "date")

    # -- sources -------------------------------------------------------------------------

    def dimension_columns(self) -> list[tuple[str, exp.Expression]]:
        return [
            (name, self.field_value(d.field))
            for name, d in zip(self.dims, self.dimensions, strict=True)
        ]

    def event_rows(
        self,
        selection: EventSelection,
        columns: Sequence[tuple[str, exp.Expression]],
        *,
        lo: dt.datetime,
        hi: dt.datetime | None,
        unit: exp.Expression | None = None,
        distinct: bool = False,
        query_filters: bool = True,
        fields: Sequence[FieldRef] = (),
    ) -> exp.Select:
        """``SELECT columns FROM events [JOIN users/accounts] WHERE selection and range``.

        The range compares the raw timestamp with UTC literals, so warehouses can
        prune partitions; only the period bucket applies the time zone. ``fields``
        are extra properties/traits the columns read (their tables get joined).
        """
        filters = (*selection.filters, *(self.query.filters if query_filters else ()))
        refs = [*fields, *(f.field for f in filters)]
        if any(name.startswith("dim_") for name, _ in columns):
            refs += [d.field for d in self.dimensions]
        select = exp.select(*(expr.as_(ident(name)) for name, expr in columns))
        select = select.from_(self.schema.events.table("e"))
        for table in _joined_tables(refs):
            select = self._join(select, table)
        ts = self.event_ts()
        where: list[exp.Expression] = [exp.GTE(this=ts, expression=self.ts_literal(lo))]
        if hi is not None:
            where.append(exp.LT(this=ts, expression=self.ts_literal(hi)))
        where.extend(self._event_names(selection.events))
        if unit is not None:
            where.append(exp.Not(this=exp.Is(this=unit, expression=exp.Null())))
        where.extend(self.condition(f) for f in filters)
        select = select.where(exp.and_(*where))
        return select.distinct() if distinct else select

    def _event_names(self, events: tuple[str, ...]) -> list[exp.Expression]:
        name = self.column("events", "event")
        if not events:
            return []
        if len(events) == 1:
            return [exp.EQ(this=name, expression=exp.Literal.string(events[0]))]
        return [exp.In(this=name, expressions=[exp.Literal.string(e) for e in events])]

    def _join(self, select: exp.Select, table: str) -> exp.Select:
        key = "user_id" if table == "users" else "account_id"
        on = exp.EQ(this=self.column("events", key), expression=self.column(table, key))
        return select.join(self.schema.table(table).table(_ALIASES[table]), on=on, join_type="left")


def _unset_or(value: exp.Expression, condition: exp.Expression) -> exp.Expression:
    return exp.paren(exp.or_(exp.Is(this=value, expression=exp.Null()), condition), copy=False)


def _joined_tables(refs: Iterable[FieldRef]) -> list[str]:
    needed = {_TRAIT_TABLE[r.source] for r in refs if r.source in _TRAIT_TABLE}
    return [t for t in ("users", "accounts") if t in needed]
