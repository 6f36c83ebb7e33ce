"""Per-unit metric values: the CTEs that turn each exposed unit's events into numbers.

Counts, sums and "did X" flags of every metric share one pass: the events of every
selection they read are stacked once (``metric_events``, one branch per distinct
selection, one value column per summed property), joined to the units once with a
flag per window (``unit_events``), and reduced with one conditional aggregate per
(selection, value, window) (``unit_metrics``). The same pass finds the first event
of each conversion, funnel and retention start step; from there each sequence gets
one chain of CTEs (later steps, or return days) computing every window it is
needed in (after exposure, pre-exposure) side by side.

Windows are relative to the unit's first exposure ``t0``: after exposure
``[t0, t0 + window)`` (or ``[t0, end)``), before exposure ``[t0 - cuped_days, t0)``;
events are read from ``start - cuped_days`` to the analysis end.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlglot import exp

from pilothouse.experiments.analysis.expressions import (
    FIRST,
    TS,
    UNIT,
    Bounds,
    Window,
    all_of,
    any_of,
    case,
    double,
    number,
    window_tag,
)
from pilothouse.experiments.analysis.plan import AnalysisPlan, Component
from pilothouse.metrics.compiler.context import Context, col, ident, table
from pilothouse.metrics.definitions.model import (
    EventSelection,
    FieldRef,
    FunnelSpec,
    RetentionMode,
    RetentionSpec,
)

__all__ = ["Requirement", "UnitValues"]


@dataclass(frozen=True)
class Requirement:
    """One per-unit value column: ``component`` evaluated in ``window``."""

    column: str
    component: Component
    window: Window


@dataclass
class UnitValues:
    """Builds the per-unit value CTEs of one analysis into ``ctx``.

    Attributes:
        ctx: The compilation context (CTEs are added to it).
        plan: The analysis plan (events range, pre-exposure days).
        unit: The unit column of the events table.
        units: Name of the CTE of analysed units (``unit_id``, ``first_exposure``).
    """

    ctx: Context
    plan: AnalysisPlan
    unit: exp.Expression
    units: str
    selections: dict[EventSelection, int] = field(default_factory=dict)
    fields: dict[FieldRef, int] = field(default_factory=dict)
    aggregates: dict[str, tuple[int, str, FieldRef | None, Window]] = field(default_factory=dict)
    step_ctes: dict[tuple[str, EventSelection], str] = field(default_factory=dict)

    # -- shared pieces ---------------------------------------------------------------

    def events(
        self,
        selection: EventSelection,
        columns: Sequence[tuple[str, exp.Expression]],
        distinct: bool = False,
    ) -> exp.Select:
        """``SELECT unit_id, columns FROM events WHERE selection AND ts in range``."""
        return self.ctx.event_rows(
            selection,
            [(UNIT, self.unit), *columns],
            lo=self.plan.events_from,
            hi=self.plan.end,
            unit=self.unit,
            distinct=distinct,
            query_filters=False,
        )

    def bounds(self, window: Window, first: exp.Expression) -> Bounds:
        """``(lo, hi)`` of a unit's window from its first exposure ``first``."""
        pre, seconds = window
        add = self.ctx.rules.add_seconds
        if pre:
            return add(first, -self.plan.cuped_days * 86400), first
        return first, None if seconds is None else add(first, seconds)

    @staticmethod
    def within(ts: exp.Expression, bounds: Bounds) -> exp.Expression:
        lo, hi = bounds
        conditions: list[exp.Expression] = [exp.GTE(this=ts, expression=lo)]
        if hi is not None:
            conditions.append(exp.LT(this=ts, expression=hi))
        return all_of(*conditions)

    def _join_units(self, select: exp.Select, events: str, join_type: str = "") -> exp.Select:
        on = exp.EQ(this=col(UNIT, "ev"), expression=col(UNIT, "un"))
        return select.from_(table(self.units, "un")).join(
            table(events, "ev"), on=on, join_type=join_type or None
        )

    def build(self, requirements: Sequence[Requirement]) -> list[tuple[str, str, str]]:
        """Add every CTE; returns ``(column, CTE, column in that CTE)`` per requirement."""
        chains: dict[Component, list[Window]] = {}
        for requirement in requirements:
            if not requirement.component.simple:
                windows = chains.setdefault(requirement.component, [])
                if requirement.window not in windows:
                    windows.append(requirement.window)
        names = [self._register(r.component, r.window) for r in requirements if r.component.simple]
        firsts = {c: [self._register_first(c, w) for w in ws] for c, ws in chains.items()}
        metrics_cte = self._unit_metrics() if self.aggregates else ""
        built = {
            c: self._chain(c, chains[c], columns, metrics_cte, i)
            for i, (c, columns) in enumerate(firsts.items())
        }
        sources, simple = [], iter(names)
        for requirement in requirements:
            if requirement.component.simple:
                sources.append((requirement.column, metrics_cte, next(simple)))
            else:
                tag = window_tag(requirement.window)
                sources.append((requirement.column, built[requirement.component], f"v_{tag}"))
        return sources

    # -- one pass over the units' events ----------------------------------------------

    def _register(self, component: Component, window: Window) -> str:
        """Name of the ``unit_metrics`` column holding ``component`` in ``window``."""
        sel = self.selections.setdefault(component.selection, len(self.selections))
        ref = component.field
        if ref is not None:
            self.fields.setdefault(ref, len(self.fields))
        suffix = "" if ref is None else f"_v{self.fields[ref]}"
        name = f"s{sel}_{component.kind}{suffix}_{window_tag(window)}"
        self.aggregates[name] = (sel, component.kind, ref, window)
        return name

    def _register_first(self, component: Component, window: Window) -> str:
        """The first event of a sequence's first step in ``window`` (``first`` aggregate)."""
        if component.funnel is not None:
            selection = component.funnel.steps[0]
        else:
            assert component.retention is not None
            selection = component.retention.start
        return self._register(Component("first", selection), window)

    def _metric_events(self) -> str:
        """One branch per selection: unit, ts, selection number, one column per property."""
        needed: dict[int, set[FieldRef]] = {}
        for sel, _, ref, _ in self.aggregates.values():
            needed.setdefault(sel, set())
            if ref is not None:
                needed[sel].add(ref)
        branches = []
        for selection, sel in self.selections.items():
            values = [
                (
                    f"v{index}",
                    double(self.ctx.field_value(ref)) if ref in needed[sel] else double(exp.Null()),
                )
                for ref, index in self.fields.items()
            ]
            columns = [(TS, self.ctx.event_ts()), ("sel", number(sel)), *values]
            branches.append(self.events(selection, columns))
        union: exp.Query = branches[0]
        for branch in branches[1:]:
            union = exp.union(union, branch, distinct=False)
        if isinstance(union, exp.Select):
            return self.ctx.add_cte("metric_events", union)
        return self.ctx.add_cte("metric_events", exp.select(exp.Star()).from_(union.subquery("me")))

    def _unit_events(self) -> tuple[str, dict[Window, str]]:
        """Events joined to their unit once, with a flag per window."""
        windows: dict[Window, str] = {}
        for _, _, _, window in self.aggregates.values():
            windows.setdefault(window, f"w_{window_tag(window)}")
        flags = [
            self.within(col(TS, "ev"), self.bounds(w, col(FIRST, "un"))).as_(ident(name))
            for w, name in windows.items()
        ]
        select = exp.select(
            col(UNIT, "un").as_(ident(UNIT)),
            col(FIRST, "un").as_(ident(FIRST)),
            col("sel", "ev").as_(ident("sel")),
            col(TS, "ev").as_(ident(TS)),
            *(col(f"v{i}", "ev").as_(ident(f"v{i}")) for i in self.fields.values()),
            *flags,
        )
        select = self._join_units(select, self._metric_events())
        return self.ctx.add_cte("unit_events", select), windows

    def _unit_metrics(self) -> str:
        """Per unit, one conditional aggregate per (selection, kind, property, window).

        ``count`` and ``present`` are counts (of events, of events with the property;
        ``COUNT`` is much cheaper than summing ones), ``sum`` a sum, ``any`` 1 when the
        count is positive, ``first`` the earliest timestamp (the start of a sequence).
        """
        events, windows = self._unit_events()
        values = []
        for name, (sel, kind, ref, window) in self.aggregates.items():
            condition: exp.Expression = all_of(
                exp.EQ(this=col("sel"), expression=number(sel)), col(windows[window])
            )
            value: exp.Expression = col(TS) if kind == "first" else number(1)
            if ref is not None:
                value = col(f"v{self.fields[ref]}")
            # COUNT of a CASE counts its non-null results: events, or events with the property.
            inner = case(condition, value)
            result: exp.Expression = (
                exp.Min(this=inner)
                if kind == "first"
                else exp.Sum(this=inner)
                if kind == "sum"
                else exp.Count(this=inner)
            )
            if kind == "any":  # the same COUNT as the count metric's, which engines share
                result = case(exp.GT(this=result, expression=number(0)), number(1))
            values.append(result.as_(ident(name)))
        if any(kind == "first" for _, kind, _, _ in self.aggregates.values()):
            values.insert(0, exp.Min(this=col(FIRST)).as_(ident(FIRST)))
        select = exp.select(col(UNIT), *values).from_(table(events)).group_by(col(UNIT))
        return self.ctx.add_cte("unit_metrics", select)

    # -- sequences: conversions, funnels, retention ------------------------------------

    def _step_events(self, selection: EventSelection, kind: str = "ts") -> str:
        """(unit, ts) rows of a selection, or distinct (unit, local day) rows for returns."""
        key = (kind, selection)
        if key not in self.step_ctes:
            ctx = self.ctx
            if kind == "day":
                rows = self.events(selection, [("day", ctx.local_date(ctx.event_ts()))], True)
            else:
                rows = self.events(selection, [(TS, ctx.event_ts())])
            name = f"{'return_days' if kind == 'day' else 'step_events'}_{len(self.step_ctes)}"
            self.step_ctes[key] = ctx.add_cte(name, rows)
        return self.step_ctes[key]

    def _chain(
        self,
        component: Component,
        windows: list[Window],
        firsts: list[str],
        metrics: str,
        index: int,
    ) -> str:
        """The sequence CTEs of a conversion, funnel or retention, from its first steps."""
        label = f"{component.kind[0]}{index}"
        tags = [window_tag(w) for w in windows]
        started = any_of(
            *(exp.Not(this=exp.Is(this=col(f), expression=exp.Null())) for f in firsts)
        )
        select = exp.select(
            col(UNIT),
            col(FIRST),
            *(col(f).as_(ident(f"t1_{t}")) for f, t in zip(firsts, tags, strict=True)),
        )
        start = self.ctx.add_cte(f"{label}_1", select.from_(table(metrics)).where(started))
        if component.funnel is not None:
            return self._funnel(component.funnel, windows, start, label)
        assert component.retention is not None
        return self._retention(component.retention, windows, start, label)

    def _funnel(self, spec: FunnelSpec, windows: list[Window], start: str, label: str) -> str:
        """Per unit and window: 1 when the steps happen in order in time, else 0."""
        current = start
        for step in range(2, len(spec.steps) + 1):
            events = self._step_events(spec.steps[step - 1])
            current = self._funnel_step(current, events, step, spec.within_seconds, windows, label)
        last = len(spec.steps)
        values = [
            case(
                exp.Not(this=exp.Is(this=col(f"t{last}_{window_tag(w)}"), expression=exp.Null())),
                number(1),
                number(0),
            ).as_(ident(f"v_{window_tag(w)}"))
            for w in windows
        ]
        return self.ctx.add_cte(label, exp.select(col(UNIT), *values).from_(table(current)))

    def _funnel_step(
        self,
        previous: str,
        events: str,
        step: int,
        within: int,
        windows: list[Window],
        label: str,
    ) -> str:
        """Earliest step event after the previous one, in the funnel's and the unit's window."""
        tags = [window_tag(w) for w in windows]
        carried = [UNIT, FIRST, *(f"t{i}_{t}" for i in range(1, step) for t in tags)]
        ts = col(TS, "ev")
        reached = []
        for window, tag in zip(windows, tags, strict=True):
            conditions = [
                exp.GT(this=ts, expression=col(f"t{step - 1}_{tag}", "s")),
                exp.LTE(
                    this=ts, expression=self.ctx.rules.add_seconds(col(f"t1_{tag}", "s"), within)
                ),
            ]
            hi = self.bounds(window, col(FIRST, "s"))[1]
            if hi is not None:
                conditions.append(exp.LT(this=ts, expression=hi))
            reached.append(exp.Min(this=case(all_of(*conditions), ts)).as_(f"t{step}_{tag}"))
        on = exp.EQ(this=col(UNIT, "ev"), expression=col(UNIT, "s"))
        select = (
            exp.select(*(col(c, "s").as_(ident(c)) for c in carried), *reached)
            .from_(table(previous, "s"))
            .join(table(events, "ev"), on=on, join_type="left")
            .group_by(*(col(c, "s") for c in carried))
        )
        return self.ctx.add_cte(f"{label}_{step}", select)

    def _retention(self, spec: RetentionSpec, windows: list[Window], start: str, label: str) -> str:
        """Per unit and window: 1 when its first start event has a return on day N (or later)."""
        ctx = self.ctx
        days = self._step_events(spec.returning, "day")
        compare = exp.EQ if spec.mode is RetentionMode.ON_DAY else exp.GTE
        values = []
        for window in windows:
            tag = window_tag(window)
            start_day = ctx.local_date(col(f"t1_{tag}", "s"))
            shifted = exp.DateAdd(this=start_day, expression=number(spec.days), unit=exp.var("DAY"))
            hit = compare(this=col("day", "r"), expression=exp.cast(shifted, "date"))
            values.append(exp.Max(this=case(hit, number(1), number(0))).as_(ident(f"v_{tag}")))
        on = exp.EQ(this=col(UNIT, "r"), expression=col(UNIT, "s"))
        select = (
            exp.select(col(UNIT, "s").as_(ident(UNIT)), *values)
            .from_(table(start, "s"))
            .join(table(days, "r"), on=on, join_type="left")
            .group_by(col(UNIT, "s"))
        )
        return ctx.add_cte(label, select)
