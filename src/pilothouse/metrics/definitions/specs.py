"""The type-specific part of a metric definition: one small reader per metric type.

``parse_spec`` returns the spec and the keys that type accepts, so the caller can
report unknown keys with a "did you mean" hint for that type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pilothouse.metrics.definitions.fields import Section, parse_duration_seconds
from pilothouse.metrics.definitions.formula import FormulaError, parse_formula, references
from pilothouse.metrics.definitions.model import (
    METRIC_NAME,
    AggregateFunction,
    AggregateSpec,
    CountSpec,
    CumulativeSpec,
    DistinctSpec,
    EventSelection,
    FieldRef,
    FieldSource,
    Filter,
    FilterOp,
    FormulaSpec,
    FunnelSpec,
    MetricSpec,
    MetricType,
    RatioSpec,
    RetentionMode,
    RetentionSpec,
    RollingSpec,
    Scalar,
    Unit,
    ValueType,
)

__all__ = [
    "ALL_SPEC_KEYS",
    "MAX_WINDOW_DAYS",
    "SOURCES",
    "SpecFields",
    "field_ref",
    "parse_filter",
    "parse_filters",
    "parse_spec",
]

SOURCES = tuple(source.value for source in FieldSource)
MAX_WINDOW_DAYS = 366
_SELECTION_KEYS = ("event", "events", "filters")
_UNIT_KEYS = ("unit", "include_anonymous")
_VALUE_OPS = frozenset(FilterOp) - {FilterOp.IS_SET, FilterOp.IS_NOT_SET}
_LIST_OPS = frozenset({FilterOp.IN, FilterOp.NOT_IN})
_ORDER_OPS = frozenset({FilterOp.LT, FilterOp.LE, FilterOp.GT, FilterOp.GE})


@dataclass(frozen=True)
class SpecFields:
    spec: MetricSpec | None
    keys: tuple[str, ...]
    unit: Unit = Unit.USER
    include_anonymous: bool = False


def parse_spec(section: Section, metric_type: MetricType) -> SpecFields:
    reader, keys = _READERS[metric_type]
    spec = reader(section, metric_type)
    if set(_UNIT_KEYS) & set(keys):
        unit = section.choice("unit", Unit, Unit.USER) or Unit.USER
        return SpecFields(spec, keys, unit, section.flag("include_anonymous"))
    return SpecFields(spec, keys)


def field_ref(section: Section, what: str) -> FieldRef | None:
    """Exactly one of ``property``/``user_trait``/``account_trait``, plus an optional type."""
    present = [source for source in SOURCES if section.has(source)]
    if len(present) != 1:
        section.problem(None, f"{what} needs exactly one of {', '.join(SOURCES)}")
        return None
    key = section.text(present[0], required=True)
    value_type = section.choice("type", ValueType, ValueType.TEXT) or ValueType.TEXT
    return FieldRef(FieldSource(present[0]), key, value_type) if key else None


def _scalar(section: Section, key: str | int, value: Any) -> Scalar | None:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool):
        return value
    section.problem(key, "filter values must be strings, numbers or booleans")
    return None


def _filter_value(section: Section, op: FilterOp) -> Scalar | tuple[Scalar, ...] | None:
    if op not in _VALUE_OPS:
        if section.has("value") or section.has("values"):
            section.problem("op", f"operator {op.value!r} takes no value")
        return None
    key = "values" if section.has("values") else "value"
    raw = section.raw(key)
    if raw is None:
        section.problem(
            None, f"operator {op.value!r} needs {'values' if op in _LIST_OPS else 'a value'}"
        )
        return None
    if op in _LIST_OPS:
        if not isinstance(raw, list) or not raw:
            section.problem(key, f"operator {op.value!r} needs a non-empty list")
            return None
        items = [_scalar(section.child(key, {}), i, item) for i, item in enumerate(raw)]
        return None if None in items else tuple(item for item in items if item is not None)
    if isinstance(raw, list):
        section.problem(key, f"operator {op.value!r} takes one value, not a list")
        return None
    value = _scalar(section, key, raw)
    if op is FilterOp.CONTAINS and not isinstance(value, str):
        section.problem(key, "operator 'contains' needs a string")
    return value


def _infer_type(section: Section, op: FilterOp, value: Any) -> ValueType | None:
    if section.has("type"):
        return None  # the author said; field_ref read it
    sample = value[0] if isinstance(value, tuple) else value
    is_number = isinstance(sample, int | float) and not isinstance(sample, bool)
    if is_number:
        return ValueType.NUMBER
    if op in _ORDER_OPS and not isinstance(sample, str):
        section.problem("value", f"operator {op.value!r} needs a number or a string")
    return None


def parse_filter(section: Section) -> Filter | None:
    section.check_keys((*SOURCES, "op", "value", "values", "type"), "a filter")
    field = field_ref(section, "a filter")
    op = section.choice("op", FilterOp, FilterOp.EQ) or FilterOp.EQ
    value = _filter_value(section, op)
    if field is None:
        return None
    inferred = _infer_type(section, op, value)
    if inferred is not None:
        field = FieldRef(field.source, field.key, inferred)
    return Filter(field, op, value)


def parse_filters(section: Section, key: str = "filters") -> tuple[Filter, ...]:
    raw = section.raw(key)
    if raw is None:
        return ()
    if not isinstance(raw, list):
        section.problem(key, "'filters' must be a list")
        return ()
    holder = section.child(key, {})
    filters = []
    for index, item in enumerate(raw):
        item_section = holder.mapping(index, item)
        parsed = parse_filter(item_section) if item_section else None
        if parsed is not None:
            filters.append(parsed)
    return tuple(filters)


def _selection(section: Section, extra: tuple[Filter, ...] = ()) -> EventSelection:
    if section.has("event") and section.has("events"):
        section.problem("events", "use either 'event' or 'events', not both")
    events = section.string_list("events" if section.has("events") else "event")
    return EventSelection(events, extra + parse_filters(section))


def _step(
    section: Section, key: str | int, raw: Any, common: tuple[Filter, ...]
) -> EventSelection | None:
    if isinstance(raw, str) and raw.strip():
        return EventSelection((raw.strip(),), common)
    step = section.mapping(key, raw)
    if step is None:
        return None
    step.check_keys(_SELECTION_KEYS, "a step")
    selection = _selection(step, common)
    if not selection.events:
        step.problem(None, "a step needs an 'event' or 'events'")
    return selection


def _within(section: Section) -> int | None:
    raw = section.raw("within")
    if raw is None:
        section.problem(None, "missing required key 'within' (for example 7d)")
        return None
    seconds = parse_duration_seconds(raw)
    if seconds is None or not 60 <= seconds <= MAX_WINDOW_DAYS * 86400:
        section.problem("within", "'within' must be a duration such as 30m, 24h or 7d, up to 366d")
        return None
    return seconds


def _count(section: Section, _: MetricType) -> MetricSpec:
    return CountSpec(_selection(section))


def _distinct(section: Section, _: MetricType) -> MetricSpec:
    return DistinctSpec(_selection(section))


def _aggregate(section: Section, metric_type: MetricType) -> MetricSpec | None:
    selection = _selection(section)
    prop = section.text("property", required=True)
    value_type = section.choice("value_type", ValueType, ValueType.NUMBER) or ValueType.NUMBER
    if value_type is ValueType.TEXT:
        section.problem("value_type", f"a {metric_type.value} needs value_type integer or number")
    function = AggregateFunction(metric_type.value)
    return AggregateSpec(selection, function, prop, value_type) if prop else None


def _metric_name(section: Section, key: str) -> str:
    return section.pattern(key, METRIC_NAME, "a metric name", required=True)


def _ratio(section: Section, _: MetricType) -> MetricSpec | None:
    numerator, denominator = (
        _metric_name(section, "numerator"),
        _metric_name(section, "denominator"),
    )
    return RatioSpec(numerator, denominator) if numerator and denominator else None


def _funnel(section: Section, metric_type: MetricType) -> MetricSpec | None:
    common = parse_filters(section)
    if metric_type is MetricType.CONVERSION:
        missing = [key for key in ("from", "to") if not section.has(key)]
        for key in missing:
            section.problem(None, f"missing required key {key!r}")
        raw_steps: list[tuple[str | int, Any]] = [(k, section.raw(k)) for k in ("from", "to")]
        holder = section
    else:
        raw = section.raw("steps")
        if not isinstance(raw, list) or len(raw) < 2:
            section.problem(
                "steps" if raw is not None else None, "a funnel needs a list of at least 2 steps"
            )
            raw = []
        raw_steps = list(enumerate(raw))
        holder = section.child("steps", {})
    steps = [_step(holder, key, value, common) for key, value in raw_steps if value is not None]
    within = _within(section)
    if within is None or len(steps) < 2 or None in steps:
        return None
    return FunnelSpec(tuple(s for s in steps if s is not None), within)


def _retention(section: Section, _: MetricType) -> MetricSpec | None:
    common = parse_filters(section)
    if not section.has("start"):
        section.problem(None, "missing required key 'start'")
    start = _step(section, "start", section.raw("start"), common) if section.has("start") else None
    returning = EventSelection((), common)
    if section.has("return"):
        returning = _step(section, "return", section.raw("return"), common) or returning
    days = section.integer("days", low=1, high=MAX_WINDOW_DAYS)
    mode = section.choice("mode", RetentionMode, RetentionMode.ON_DAY) or RetentionMode.ON_DAY
    if start is None or days is None:
        return None
    return RetentionSpec(start, returning, days, mode)


def _rolling(section: Section, _: MetricType) -> MetricSpec | None:
    of = _metric_name(section, "of")
    seconds = parse_duration_seconds(section.raw("window"))
    if seconds is None or seconds % 86400 or not 1 <= seconds // 86400 <= MAX_WINDOW_DAYS:
        section.problem(
            "window" if section.has("window") else None,
            "'window' must be whole days such as 7d (1d to 366d)",
        )
        return None
    return RollingSpec(of, seconds // 86400) if of else None


def _cumulative(section: Section, _: MetricType) -> MetricSpec | None:
    of = _metric_name(section, "of")
    return CumulativeSpec(of) if of else None


def _formula(section: Section, _: MetricType) -> MetricSpec | None:
    text = section.text("formula", required=True)
    if not text:
        return None
    try:
        tree = parse_formula(text)
    except FormulaError as exc:
        section.problem("formula", str(exc))
        return None
    names = references(tree)
    for name in names:
        if not METRIC_NAME.match(name):
            section.problem("formula", f"{name!r} is not a valid metric name")
    return FormulaSpec(text, tree, names)


_Reader = Callable[[Section, MetricType], MetricSpec | None]
_READERS: dict[MetricType, tuple[_Reader, tuple[str, ...]]] = {
    MetricType.COUNT: (_count, _SELECTION_KEYS),
    MetricType.SUM: (_aggregate, (*_SELECTION_KEYS, "property", "value_type")),
    MetricType.AVERAGE: (_aggregate, (*_SELECTION_KEYS, "property", "value_type")),
    MetricType.MIN: (_aggregate, (*_SELECTION_KEYS, "property", "value_type")),
    MetricType.MAX: (_aggregate, (*_SELECTION_KEYS, "property", "value_type")),
    MetricType.DISTINCT: (_distinct, (*_SELECTION_KEYS, *_UNIT_KEYS)),
    MetricType.RATIO: (_ratio, ("numerator", "denominator")),
    MetricType.CONVERSION: (_funnel, ("from", "to", "within", "filters", *_UNIT_KEYS)),
    MetricType.FUNNEL: (_funnel, ("steps", "within", "filters", *_UNIT_KEYS)),
    MetricType.RETENTION: (_retention, ("start", "return", "days", "mode", "filters", *_UNIT_KEYS)),
    MetricType.ROLLING: (_rolling, ("of", "window")),
    MetricType.CUMULATIVE: (_cumulative, ("of",)),
    MetricType.FORMULA: (_formula, ("formula",)),
}

ALL_SPEC_KEYS: tuple[str, ...] = tuple(sorted({k for _, keys in _READERS.values() for k in keys}))
"""Every key some metric type accepts."""
