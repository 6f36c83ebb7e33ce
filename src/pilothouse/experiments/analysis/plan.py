"""What an analysis computes, resolved from an experiment and the metric catalog.

:func:`build_plan` turns an experiment (variations, exposure source, unit, metrics,
``analysis`` settings) into an :class:`AnalysisPlan`: plain frozen data that the SQL
builder (:mod:`.sql`) compiles and the runner executes. Catalog metric types map to
the stats engine's kinds through per-unit *components*:

==================  ============  ===========================================
metric type         kind          per-unit value(s) after first exposure
==================  ============  ===========================================
count               mean          number of matching events
sum                 mean          sum of the property
distinct            proportion    1 when the unit has a matching event, else 0
conversion, funnel  proportion    1 when the unit completes the steps in time
retention           proportion    1 when the unit's start event is followed by
                                  a return on day N (or on/after N)
average             ratio         sum of the property / events carrying it
ratio               ratio         numerator metric / denominator metric
==================  ============  ===========================================

A count or sum metric with a ``quantile`` setting (``{"metrics": {"revenue":
{"quantile": 0.9}}}``) is analysed as kind ``quantile``: the P90 of the per-unit
values instead of their mean (no CUPED, no capping). Other types (min, max,
rolling, cumulative, formula) have no per-unit form; such a metric gets the
``UNSUPPORTED_METRIC`` error and the others are analysed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.experiments.analysis.settings import (
    AnalysisSettings,
    Capping,
    QuantileSetting,
    parse_analysis_settings,
)
from pilothouse.experiments.stats.config import AnalysisConfig
from pilothouse.metrics.definitions.adhoc import InvalidFilter, adhoc_dimension
from pilothouse.metrics.definitions.catalog import Catalog
from pilothouse.metrics.definitions.model import (
    AggregateSpec,
    CountSpec,
    DistinctSpec,
    EventSelection,
    FieldRef,
    FieldSource,
    FunnelSpec,
    Metric,
    MetricType,
    RatioSpec,
    RetentionSpec,
)

__all__ = [
    "EMBEDDED",
    "QUERY_ERROR",
    "UNKNOWN_METRIC",
    "UNSUPPORTED_METRIC",
    "WAREHOUSE_ERROR",
    "AnalysisPlan",
    "Component",
    "DimensionPlan",
    "EventExposure",
    "ExperimentLike",
    "MetricPlan",
    "TableExposure",
    "build_plan",
    "metric_components",
]

EMBEDDED = "embedded"

#: Metric-level error codes of the analysis (the stats engine's codes are per comparison).
UNSUPPORTED_METRIC = "UNSUPPORTED_METRIC"
UNKNOWN_METRIC = "UNKNOWN_METRIC"
QUERY_ERROR = "QUERY_ERROR"
WAREHOUSE_ERROR = "WAREHOUSE_ERROR"

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class _VariationLike(Protocol):
    key: str
    name: str
    weight: float


class _MetricChoiceLike(Protocol):
    metric: str
    role: Any
    bad_direction: str | None
    margin: float | None


class ExperimentLike(Protocol):
    """What :func:`build_plan` reads: an ``Experiment`` row or any object shaped like it."""

    key: str
    analysis_unit: str
    exposure: dict[str, Any]
    analysis: dict[str, Any]
    started_at: dt.datetime | None
    ended_at: dt.datetime | None

    @property
    def variations(self) -> Sequence[_VariationLike]: ...

    @property
    def metrics(self) -> Sequence[_MetricChoiceLike]: ...


@dataclass(frozen=True)
class Component:
    """One per-unit value: how a unit's events in a window become a number.

    Attributes:
        kind: ``count`` (events), ``sum`` (of ``field``), ``present`` (events
            carrying ``field``), ``any`` (0/1), ``funnel`` (0/1, steps in order) or
            ``retention`` (0/1).
        selection: The events read (count, sum, any).
        field: The summed property (sum).
        funnel: The steps and their window (funnel).
        retention: Start, return, day N and mode (retention).
    """

    kind: str
    selection: EventSelection = field(default_factory=EventSelection)
    field: FieldRef | None = None
    funnel: FunnelSpec | None = None
    retention: RetentionSpec | None = None

    @property
    def simple(self) -> bool:
        """Computed by one conditional aggregate over the unit's events."""
        return self.kind in ("count", "sum", "present", "any")


@dataclass(frozen=True)
class MetricPlan:
    """One experiment metric: how its per-unit values are computed and analysed."""

    name: str
    label: str
    role: str
    kind: str = "mean"
    numerator: Component | None = None
    denominator: Component | None = None
    window_seconds: int | None = None
    cuped: bool = False
    cap: Capping | None = None
    inverse: bool = False
    test: str = "two-sided"
    bad_direction: str | None = None
    margin: float | None = None
    quantile: QuantileSetting | None = None
    error: str | None = None
    message: str | None = None

    @property
    def runnable(self) -> bool:
        return self.error is None and self.numerator is not None


@dataclass(frozen=True)
class EventExposure:
    """Exposures are events in an event table: ``event`` with two properties."""

    event: str
    experiment_property: str
    variation_property: str
    tracking_key: str


@dataclass(frozen=True)
class TableExposure:
    """Exposures are rows of a warehouse table (one per exposure, or the first)."""

    table: tuple[str, ...]
    unit_column: str
    experiment_column: str
    variation_column: str
    timestamp_column: str
    tracking_key: str


@dataclass(frozen=True)
class DimensionPlan:
    """A breakdown: a property of the exposure event, or a user or account trait."""

    name: str
    source: FieldSource
    key: str


@dataclass(frozen=True)
class AnalysisPlan:
    """Everything one analysis run computes, independent of any database session."""

    experiment: str
    source: str
    exposure: EventExposure | TableExposure
    unit: str
    variations: tuple[str, ...]
    variation_names: tuple[str, ...]
    weights: tuple[float, ...]
    start: dt.datetime | None
    end: dt.datetime
    cuped_days: int
    stats: AnalysisConfig
    metrics: tuple[MetricPlan, ...]
    dimensions: tuple[DimensionPlan, ...] = ()
    srm_threshold: float = 0.001
    time_zone: str = "UTC"

    @property
    def events_from(self) -> dt.datetime:
        """Earliest event any metric reads (the pre-exposure window included)."""
        start = self.start or _EPOCH
        if any(m.cuped for m in self.metrics):
            return max(_EPOCH, start - dt.timedelta(days=self.cuped_days))
        return start

    def with_metrics(self, metrics: Sequence[MetricPlan]) -> AnalysisPlan:
        return replace(self, metrics=tuple(metrics))


def _direct_component(metric: Metric) -> tuple[str, Component] | None:
    """The kind and component of a metric read straight from events, if it has one."""
    spec = metric.spec
    if isinstance(spec, CountSpec):
        return "mean", Component("count", spec.selection)
    if isinstance(spec, DistinctSpec):
        return "proportion", Component("any", spec.selection)
    if isinstance(spec, AggregateSpec) and metric.type is MetricType.SUM:
        ref = FieldRef(FieldSource.PROPERTY, spec.property, spec.value_type)
        return "mean", Component("sum", spec.selection, ref)
    if isinstance(spec, FunnelSpec):
        return "proportion", Component("funnel", funnel=spec)
    if isinstance(spec, RetentionSpec):
        return "proportion", Component("retention", retention=spec)
    return None


def metric_components(
    metric: Metric, catalog: Catalog
) -> tuple[str, Component, Component | None] | str:
    """``(kind, numerator, denominator)`` for a catalog metric, or why it has no unit form."""
    direct = _direct_component(metric)
    if direct is not None:
        return direct[0], direct[1], None
    spec = metric.spec
    if isinstance(spec, AggregateSpec) and metric.type is MetricType.AVERAGE:
        ref = FieldRef(FieldSource.PROPERTY, spec.property, spec.value_type)
        numerator = Component("sum", spec.selection, ref)
        return "ratio", numerator, Component("present", spec.selection, ref)
    if isinstance(spec, RatioSpec):
        parts = [_direct_component(catalog.get(n)) for n in (spec.numerator, spec.denominator)]
        if parts[0] is None or parts[1] is None:
            return (
                f"ratio metric {metric.name!r}: its numerator and denominator must be count, "
                "sum, distinct, conversion, funnel or retention metrics"
            )
        return "ratio", parts[0][1], parts[1][1]
    return (
        f"metric {metric.name!r} is a {metric.type.value} metric, which has no per-unit value "
        "(use count, sum, average, distinct, ratio, conversion, funnel or retention)"
    )


def _role(value: Any) -> str:
    return str(getattr(value, "value", value))


def _metric_plan(
    choice: _MetricChoiceLike, catalog: Catalog, settings: AnalysisSettings
) -> MetricPlan:
    role = _role(choice.role)
    own = settings.for_metric(choice.metric)
    guardrail = role == "guardrail"
    test = own.test or "two-sided"
    if guardrail and own.test is None:
        # Guardrails test one side, the bad one: a decrease of revenue, an increase of errors.
        test = "less" if choice.bad_direction == "decrease" else "greater"
    inverse = own.inverse if own.inverse is not None else choice.bad_direction == "increase"
    base = MetricPlan(
        name=choice.metric,
        label=choice.metric,
        role=role,
        window_seconds=own.window_seconds,
        cap=own.cap,
        inverse=inverse,
        test=test,
        bad_direction=choice.bad_direction,
        margin=choice.margin,
    )
    if choice.metric not in catalog:
        return replace(
            base, error=UNKNOWN_METRIC, message=f"metric {choice.metric!r} is not in the catalog"
        )
    metric = catalog.get(choice.metric)
    resolved = metric_components(metric, catalog)
    base = replace(base, label=metric.label or metric.name)
    if isinstance(resolved, str):
        return replace(base, error=UNSUPPORTED_METRIC, message=resolved)
    kind, numerator, denominator = resolved
    if own.quantile is not None:
        return _quantile_plan(base, metric, kind, numerator, own.quantile)
    cuped = own.cuped if own.cuped is not None else settings.cuped
    cap = own.cap if kind != "proportion" else None
    return replace(
        base, kind=kind, numerator=numerator, denominator=denominator, cuped=cuped, cap=cap
    )


def _quantile_plan(
    base: MetricPlan, metric: Metric, kind: str, numerator: Component, quantile: QuantileSetting
) -> MetricPlan:
    """A quantile of the per-unit values: only numbers per unit (count, sum) have one.

    Proportions are 0/1 (every quantile is 0 or 1) and a ratio of sums is not a
    per-unit value, so both are refused with ``UNSUPPORTED_METRIC``. CUPED and
    capping do not apply to quantiles (capping at a percentile would move the
    quantile itself), so both are off.
    """
    if kind != "mean":
        return replace(
            base,
            error=UNSUPPORTED_METRIC,
            message=(
                f"metric {metric.name!r} is a {metric.type.value} metric: a quantile needs a "
                "count or sum metric (a number per unit); a proportion is 0 or 1 per unit and "
                "a ratio has no per-unit value"
            ),
        )
    return replace(
        base,
        label=f"P{quantile.level * 100:g} of {base.label}",
        kind="quantile",
        numerator=numerator,
        quantile=quantile,
        cuped=False,
        cap=None,
    )


def _text(exposure: dict[str, Any], key: str) -> str:
    value = exposure.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(
            f"the exposure source needs {key}", errors=[FieldError(f"exposure.{key}", "required")]
        )
    return value.strip()


def _exposure(experiment: ExperimentLike) -> tuple[str, EventExposure | TableExposure]:
    exposure = dict(experiment.exposure or {})
    tracking_key = str(exposure.get("tracking_key") or experiment.key)
    kind = exposure.get("kind")
    if kind == "event":
        source = str(exposure.get("connection") or EMBEDDED)
        return source, EventExposure(
            _text(exposure, "event"),
            _text(exposure, "experiment_property"),
            _text(exposure, "variation_property"),
            tracking_key,
        )
    if kind == "table":
        table = tuple(part.strip() for part in _text(exposure, "table").split("."))
        if not 1 <= len(table) <= 3 or not all(table):
            raise ValidationFailed(
                "exposure.table is [catalog.][schema.]table",
                errors=[FieldError("exposure.table", "invalid table name")],
            )
        return _text(exposure, "connection"), TableExposure(
            table,
            unit_column=_text(exposure, "unit_column"),
            experiment_column=_text(exposure, "experiment_column"),
            variation_column=_text(exposure, "variation_column"),
            timestamp_column=_text(exposure, "timestamp_column"),
            tracking_key=tracking_key,
        )
    raise ValidationFailed(
        f"{experiment.key} has no exposure source yet (exposure.kind is 'event' or 'table')",
        errors=[FieldError("exposure.kind", "event or table")],
    )


def _dimension(name: str, catalog: Catalog) -> DimensionPlan:
    if name in catalog.dimensions:
        found = catalog.dimension(name)
        return DimensionPlan(name, found.field.source, found.field.key)
    text = "property" + name[len("exposure") :] if name.startswith("exposure.") else name
    try:
        adhoc = adhoc_dimension(text)
    except InvalidFilter:
        raise ValidationFailed(
            f"analysis.dimensions: unknown dimension {name!r} (a catalog dimension, or "
            "user.KEY, account.KEY, property.KEY for a property of the exposure event)",
            errors=[FieldError("analysis.dimensions", f"unknown dimension {name!r}")],
        ) from None
    return DimensionPlan(name, adhoc.field.source, adhoc.field.key)


def _check_dimension(dimension: DimensionPlan, unit: str, exposure: object) -> None:
    problem = None
    if dimension.source is FieldSource.PROPERTY and not isinstance(exposure, EventExposure):
        problem = "event properties need an exposure event (this experiment reads a table)"
    if dimension.source is FieldSource.USER_TRAIT and unit != "user":
        problem = "user traits need the analysis unit 'user'"
    if (
        dimension.source is FieldSource.ACCOUNT_TRAIT
        and unit != "account"
        and not isinstance(exposure, EventExposure)
    ):
        problem = "account traits of users need an exposure event carrying the account"
    if problem:
        raise ValidationFailed(
            f"analysis.dimensions: {dimension.name!r}: {problem}",
            errors=[FieldError("analysis.dimensions", problem)],
        )


def _window(
    experiment: ExperimentLike, settings: AnalysisSettings, now: dt.datetime
) -> tuple[dt.datetime | None, dt.datetime]:
    start = settings.start or experiment.started_at
    end = settings.end or experiment.ended_at or now
    if start is not None and start >= end:
        raise ValidationFailed(
            f"the analysis window is empty: from {start.isoformat()} to {end.isoformat()}",
            errors=[FieldError("analysis.end", "must be after the start")],
        )
    return start, end


def build_plan(
    experiment: ExperimentLike,
    catalog: Catalog,
    *,
    now: dt.datetime | None = None,
    time_zone: str = "UTC",
) -> AnalysisPlan:
    """Resolve an experiment into an analysis plan.

    Args:
        experiment: The experiment (an ``Experiment`` row or an object shaped like it).
        catalog: The metric catalog its metric names refer to.
        now: The analysis end when the experiment has not ended (default: now).
        time_zone: Workspace time zone, for retention day boundaries.

    Returns:
        The plan. Metrics the catalog lacks or that have no per-unit form carry an
        error code and are skipped by the SQL; the others run.

    Raises:
        ValidationFailed: The experiment cannot be analysed at all (no exposure
            source, fewer than two variations, invalid settings or dimensions).
    """
    settings = parse_analysis_settings(experiment.analysis)
    source, exposure = _exposure(experiment)
    variations = list(experiment.variations)
    if len(variations) < 2:
        raise ValidationFailed(
            f"{experiment.key} needs at least two variations",
            errors=[FieldError("variations", "at least two")],
        )
    unit = experiment.analysis_unit if experiment.analysis_unit in ("user", "account") else "user"
    dimensions = tuple(_dimension(name, catalog) for name in settings.dimensions)
    for dimension in dimensions:
        _check_dimension(dimension, unit, exposure)
    weights = tuple(float(v.weight) for v in variations)
    start, end = _window(experiment, settings, now or dt.datetime.now(dt.UTC))
    return AnalysisPlan(
        experiment=experiment.key,
        source=source,
        exposure=exposure,
        unit=unit,
        variations=tuple(v.key for v in variations),
        variation_names=tuple(v.name or v.key for v in variations),
        weights=weights,
        start=start,
        end=end,
        cuped_days=settings.cuped_days,
        stats=replace(settings.stats, weights=weights),
        metrics=tuple(_metric_plan(m, catalog, settings) for m in experiment.metrics),
        dimensions=dimensions,
        srm_threshold=settings.srm_threshold,
        time_zone=time_zone,
    )
