"""The typed model of metric definitions: what a validated YAML file becomes.

Everything here is a frozen dataclass or an enum, so a loaded catalog can be shared
between threads and web workers without copying, and two loads of the same files
compare equal. The compiler pattern-matches on ``Metric.spec``; the YAML shape
lives only in :mod:`pilothouse.metrics.definitions.parser`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "AGGREGATE_TYPES",
    "METRIC_NAME",
    "AggregateFunction",
    "AggregateSpec",
    "CountSpec",
    "CumulativeSpec",
    "Dimension",
    "DistinctSpec",
    "EventSelection",
    "FieldRef",
    "FieldSource",
    "Filter",
    "FilterOp",
    "FormulaSpec",
    "FunnelSpec",
    "Grain",
    "Location",
    "Metric",
    "MetricFormat",
    "MetricSpec",
    "MetricType",
    "RatioSpec",
    "RetentionMode",
    "RetentionSpec",
    "RollingSpec",
    "Scalar",
    "TrackingPlan",
    "Unit",
    "ValueType",
]

METRIC_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
"""Metric and dimension names: snake-case slugs, so formulas can name them bare."""

Scalar = str | int | float | bool


class Grain(StrEnum):
    """Calendar period a series is bucketed by, in the workspace time zone."""

    DAY = "day"
    WEEK = "week"  # ISO weeks, starting on Monday
    MONTH = "month"


class Unit(StrEnum):
    """What a distinct count, conversion or retention counts."""

    USER = "user"
    ACCOUNT = "account"


class MetricType(StrEnum):
    COUNT = "count"
    SUM = "sum"
    AVERAGE = "average"
    MIN = "min"
    MAX = "max"
    DISTINCT = "distinct"
    RATIO = "ratio"
    CONVERSION = "conversion"
    FUNNEL = "funnel"
    RETENTION = "retention"
    ROLLING = "rolling"
    CUMULATIVE = "cumulative"
    FORMULA = "formula"


AGGREGATE_TYPES = frozenset(
    {
        MetricType.COUNT,
        MetricType.SUM,
        MetricType.AVERAGE,
        MetricType.MIN,
        MetricType.MAX,
        MetricType.DISTINCT,
    }
)
"""Event-level aggregates: the only types a rolling or cumulative window can wrap."""


class MetricFormat(StrEnum):
    """How the UI shows a value; it never changes the computation."""

    NUMBER = "number"
    PERCENT = "percent"
    CURRENCY_CENTS = "currency_cents"
    DURATION_SECONDS = "duration_seconds"


class FieldSource(StrEnum):
    """Where a filtered or grouped value lives in the logical event schema."""

    PROPERTY = "property"  # events.properties
    USER_TRAIT = "user_trait"  # users.traits, joined on user_id
    ACCOUNT_TRAIT = "account_trait"  # accounts.traits, joined on account_id


class ValueType(StrEnum):
    """How a JSON scalar is read: text compares as text, numbers as numbers."""

    TEXT = "text"
    INTEGER = "integer"  # exact: money in cents, counts
    NUMBER = "number"  # double precision


class FilterOp(StrEnum):
    EQ = "="
    NE = "!="
    IN = "in"
    NOT_IN = "not in"
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IS_SET = "is set"
    IS_NOT_SET = "is not set"
    CONTAINS = "contains"


class AggregateFunction(StrEnum):
    SUM = "sum"
    AVERAGE = "average"
    MIN = "min"
    MAX = "max"


class RetentionMode(StrEnum):
    ON_DAY = "on_day"  # came back on exactly day N after the start
    ON_OR_AFTER = "on_or_after"  # came back on day N or any later day


@dataclass(frozen=True)
class Location:
    """Where something was defined, for error messages and the "definition" view."""

    file: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@dataclass(frozen=True)
class FieldRef:
    """A JSON key of event properties, user traits or account traits."""

    source: FieldSource
    key: str
    value_type: ValueType = ValueType.TEXT

    def __str__(self) -> str:
        return f"{self.source.value}:{self.key}"


@dataclass(frozen=True)
class Filter:
    """``field op value``; ``value`` is a tuple for in/not in and None for is (not) set."""

    field: FieldRef
    op: FilterOp
    value: Scalar | tuple[Scalar, ...] | None = None


@dataclass(frozen=True)
class Dimension:
    """A named breakdown: one field whose values split a series into groups."""

    name: str
    field: FieldRef
    label: str = ""
    description: str = ""
    location: Location | None = None


@dataclass(frozen=True)
class EventSelection:
    """Which events count: these names (all events when empty), all filters ANDed."""

    events: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()


@dataclass(frozen=True)
class CountSpec:
    selection: EventSelection


@dataclass(frozen=True)
class AggregateSpec:
    """sum/average/min/max of one numeric event property."""

    selection: EventSelection
    function: AggregateFunction
    property: str
    value_type: ValueType = ValueType.NUMBER


@dataclass(frozen=True)
class DistinctSpec:
    """Distinct users or accounts (the metric's ``unit``) among the selected events."""

    selection: EventSelection


@dataclass(frozen=True)
class RatioSpec:
    numerator: str
    denominator: str


@dataclass(frozen=True)
class FunnelSpec:
    """Ordered steps, each strictly after the previous and within the window of step 1.

    A ``conversion`` metric is a funnel of exactly two steps.
    """

    steps: tuple[EventSelection, ...]
    within_seconds: int


@dataclass(frozen=True)
class RetentionSpec:
    start: EventSelection
    returning: EventSelection
    days: int
    mode: RetentionMode = RetentionMode.ON_DAY


@dataclass(frozen=True)
class RollingSpec:
    """The aggregate of metric ``of`` over the ``window_days`` days ending on each day."""

    of: str
    window_days: int


@dataclass(frozen=True)
class CumulativeSpec:
    """The aggregate of metric ``of`` from the start of the range to each period's end."""

    of: str


@dataclass(frozen=True)
class FormulaSpec:
    """Arithmetic over other metrics; ``tree`` is the parsed, safe form of ``formula``."""

    formula: str
    tree: object  # pilothouse.metrics.definitions.formula.FormulaNode
    references: tuple[str, ...]


MetricSpec = (
    CountSpec
    | AggregateSpec
    | DistinctSpec
    | RatioSpec
    | FunnelSpec
    | RetentionSpec
    | RollingSpec
    | CumulativeSpec
    | FormulaSpec
)


@dataclass(frozen=True)
class Metric:
    """One validated metric definition."""

    name: str
    type: MetricType
    spec: MetricSpec
    label: str
    description: str
    owner: str
    product_area: str
    tags: tuple[str, ...] = ()
    certified: bool = False
    unit: Unit = Unit.USER
    include_anonymous: bool = False
    dimensions: tuple[str, ...] | None = None  # None: any catalog dimension
    format: MetricFormat = MetricFormat.NUMBER
    location: Location | None = None

    @property
    def references(self) -> tuple[str, ...]:
        """Names of the other metrics this one is computed from."""
        spec = self.spec
        if isinstance(spec, RatioSpec):
            return (spec.numerator, spec.denominator)
        if isinstance(spec, RollingSpec | CumulativeSpec):
            return (spec.of,)
        if isinstance(spec, FormulaSpec):
            return spec.references
        return ()

    @property
    def selections(self) -> tuple[EventSelection, ...]:
        """Every event selection the metric reads directly (not through references)."""
        spec = self.spec
        if isinstance(spec, CountSpec | AggregateSpec | DistinctSpec):
            return (spec.selection,)
        if isinstance(spec, FunnelSpec):
            return spec.steps
        if isinstance(spec, RetentionSpec):
            return (spec.start, spec.returning)
        return ()


@dataclass(frozen=True)
class TrackingPlan:
    """Optional declared events, properties and traits, used to catch typos statically.

    Empty mappings mean "not declared": nothing is checked for that part.
    """

    events: dict[str, dict[str, ValueType]] = field(default_factory=dict)
    user_traits: dict[str, ValueType] = field(default_factory=dict)
    account_traits: dict[str, ValueType] = field(default_factory=dict)

    @property
    def declared(self) -> bool:
        return bool(self.events or self.user_traits or self.account_traits)
