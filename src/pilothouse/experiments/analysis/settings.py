"""The ``analysis`` settings of an experiment: stats engine options and SQL options.

An experiment's ``analysis`` JSON holds everything that changes how it is analysed
(see ``docs/experiments.md``)::

    {"engine": "frequentist", "difference": "relative", "alpha": 0.05,
     "sequential": false, "sequential_tuning": 5000, "prior": null,
     "correction": null, "max_dimensions": 20,
     "cuped": true, "cuped_days": 14, "start": "2024-03-01", "end": null,
     "dimensions": ["country", "user.plan", "property.browser"],
     "srm_threshold": 0.001,
     "metrics": {"revenue": {"window": "7d", "cuped": true, "inverse": false,
                             "test": "two-sided", "quantile": null,
                             "cap": {"type": "percentile", "value": 0.99,
                                     "ignore_zeros": false}}}}

Unknown keys are errors (a typo such as ``"cupped"`` would otherwise be ignored
silently), reported as :class:`~pilothouse.core.errors.ValidationFailed` naming
the field.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pilothouse.core.errors import FieldError, ValidationFailed
from pilothouse.experiments.stats.config import TESTS, AnalysisConfig
from pilothouse.experiments.stats.offline import RequestError, parse_settings
from pilothouse.metrics.definitions.fields import parse_duration_seconds

__all__ = [
    "CAP_TYPES",
    "DEFAULT_CUPED_DAYS",
    "DEFAULT_SRM_THRESHOLD",
    "SETTINGS_KEYS",
    "AnalysisSettings",
    "Capping",
    "MetricSettings",
    "QuantileSetting",
    "parse_analysis_settings",
    "parse_moment",
]

STATS_KEYS = frozenset(
    {
        "engine",
        "difference",
        "alpha",
        "sequential",
        "sequential_tuning",
        "prior",
        "correction",
        "max_dimensions",
    }
)
SQL_KEYS = frozenset(
    {"cuped", "cuped_days", "start", "end", "dimensions", "metrics", "srm_threshold"}
)
SETTINGS_KEYS = STATS_KEYS | SQL_KEYS
METRIC_KEYS = frozenset({"window", "cuped", "inverse", "test", "cap", "quantile"})
QUANTILE_KEYS = frozenset({"level", "ignore_zeros"})
CAP_KEYS = frozenset({"type", "value", "ignore_zeros"})
CAP_TYPES = ("absolute", "percentile")
DEFAULT_CUPED_DAYS = 14
DEFAULT_SRM_THRESHOLD = 0.001
MAX_ANALYSIS_DIMENSIONS = 5


@dataclass(frozen=True)
class Capping:
    """Winsorisation of per-unit values: at a fixed value, or at a percentile of units.

    Attributes:
        type: ``"absolute"`` (cap at ``value``) or ``"percentile"`` (cap at the
            ``value`` quantile, in (0, 1), of the exposed units' values).
        value: The cap, or the quantile level.
        ignore_zeros: Percentile caps only: compute the quantile over non-zero values.
    """

    type: str
    value: float
    ignore_zeros: bool = False


@dataclass(frozen=True)
class QuantileSetting:
    """Analyse a quantile of the per-unit values instead of their mean (P90 and the like).

    Attributes:
        level: The quantile, in (0, 1): ``0.9`` for P90.
        ignore_zeros: Leave out units whose value is 0 (units without events),
            for "P90 of spend among spenders".
    """

    level: float
    ignore_zeros: bool = False


@dataclass(frozen=True)
class MetricSettings:
    """Per-metric options; ``None`` means "use the experiment-wide default"."""

    window_seconds: int | None = None
    cuped: bool | None = None
    inverse: bool | None = None
    test: str | None = None
    cap: Capping | None = None
    quantile: QuantileSetting | None = None


@dataclass(frozen=True)
class AnalysisSettings:
    """Parsed ``analysis`` settings.

    Attributes:
        stats: The stats engine configuration (weights are added per run).
        cuped: CUPED for every metric unless a metric says otherwise.
        cuped_days: Length of the pre-exposure window for the covariate.
        start: Override of the analysis start (else the experiment's start).
        end: Override of the analysis end (else the experiment's end, or now).
        dimensions: Breakdowns: catalog dimension names or ``user.KEY``,
            ``account.KEY``, ``property.KEY`` (a property of the exposure event).
        srm_threshold: SRM p-values below this raise the warning flag.
        metrics: Per-metric options by metric name.
    """

    stats: AnalysisConfig = field(default_factory=AnalysisConfig)
    cuped: bool = False
    cuped_days: int = DEFAULT_CUPED_DAYS
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    dimensions: tuple[str, ...] = ()
    srm_threshold: float = DEFAULT_SRM_THRESHOLD
    metrics: Mapping[str, MetricSettings] = field(default_factory=dict)

    def for_metric(self, name: str) -> MetricSettings:
        return self.metrics.get(name, MetricSettings())


def _invalid(path: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"analysis.{path}: {message}", errors=[FieldError(f"analysis.{path}", message)]
    )


def parse_moment(value: Any, path: str) -> dt.datetime | None:
    """An ISO 8601 date or date-time as an aware UTC datetime (dates start at midnight UTC)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(path, "must be an ISO 8601 date or date-time string")
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise _invalid(path, f"{value!r} is not an ISO 8601 date or date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _flag(raw: Mapping[str, Any], key: str, path: str) -> bool | None:
    value = raw.get(key)
    if value is not None and not isinstance(value, bool):
        raise _invalid(path, "must be true or false")
    return value


def _cap(raw: Any, path: str) -> Capping | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise _invalid(path, 'must be {"type": "absolute"|"percentile", "value": number}')
    unknown = sorted(set(raw) - CAP_KEYS)
    if unknown:
        raise _invalid(f"{path}.{unknown[0]}", "unknown key")
    kind, value = raw.get("type"), raw.get("value")
    if kind not in CAP_TYPES:
        raise _invalid(f"{path}.type", "must be 'absolute' or 'percentile'")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _invalid(f"{path}.value", "must be a number")
    if kind == "percentile" and not 0 < value < 1:
        raise _invalid(f"{path}.value", "a percentile cap is a quantile level in (0, 1)")
    ignore = _flag(raw, "ignore_zeros", f"{path}.ignore_zeros") or False
    return Capping(str(kind), float(value), ignore)


def _level(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1:
        raise _invalid(path, "a quantile level in (0, 1), such as 0.9 for P90")
    return float(value)


def _quantile(raw: Any, path: str) -> QuantileSetting | None:
    """``0.9`` or ``{"level": 0.9, "ignore_zeros": true}``."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        return QuantileSetting(_level(raw, path))
    unknown = sorted(set(raw) - QUANTILE_KEYS)
    if unknown:
        raise _invalid(f"{path}.{unknown[0]}", "unknown key")
    ignore = _flag(raw, "ignore_zeros", f"{path}.ignore_zeros") or False
    return QuantileSetting(_level(raw.get("level"), f"{path}.level"), ignore)


def _metric(name: str, raw: Any) -> MetricSettings:
    path = f"metrics.{name}"
    if not isinstance(raw, Mapping):
        raise _invalid(path, "must be an object")
    unknown = sorted(set(raw) - METRIC_KEYS)
    if unknown:
        raise _invalid(f"{path}.{unknown[0]}", "unknown key")
    window = None
    if raw.get("window") is not None:
        window = parse_duration_seconds(raw["window"])
        if window is None or window <= 0:
            raise _invalid(f"{path}.window", "a duration such as '7d', '24h' or '30m'")
    test = raw.get("test")
    if test is not None and test not in TESTS:
        raise _invalid(f"{path}.test", f"one of {', '.join(TESTS)}")
    return MetricSettings(
        window_seconds=window,
        cuped=_flag(raw, "cuped", f"{path}.cuped"),
        inverse=_flag(raw, "inverse", f"{path}.inverse"),
        test=test,
        cap=_cap(raw.get("cap"), f"{path}.cap"),
        quantile=_quantile(raw.get("quantile"), f"{path}.quantile"),
    )


def _dimensions(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(d, str) and d.strip() for d in raw):
        raise _invalid("dimensions", "must be a list of dimension names")
    if len(raw) > MAX_ANALYSIS_DIMENSIONS:
        raise _invalid("dimensions", f"at most {MAX_ANALYSIS_DIMENSIONS} dimensions")
    if len(set(raw)) != len(raw):
        raise _invalid("dimensions", "a dimension is listed twice")
    return tuple(d.strip() for d in raw)


def _stats(raw: Mapping[str, Any]) -> AnalysisConfig:
    try:
        return parse_settings({k: v for k, v in raw.items() if k in STATS_KEYS})
    except RequestError as exc:
        message = str(exc).removeprefix("settings: ")
        raise ValidationFailed(
            f"analysis: {message}", errors=[FieldError("analysis", message)]
        ) from None


def _cuped_days(raw: Any) -> int:
    if raw is None:
        return DEFAULT_CUPED_DAYS
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 3660:
        raise _invalid("cuped_days", "a whole number of days from 1 to 3660")
    return raw


def _srm_threshold(raw: Any) -> float:
    if raw is None:
        return DEFAULT_SRM_THRESHOLD
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 < raw < 1:
        raise _invalid("srm_threshold", "a number in (0, 1)")
    return float(raw)


def parse_analysis_settings(raw: Mapping[str, Any] | None) -> AnalysisSettings:
    """Parse an experiment's ``analysis`` JSON.

    Args:
        raw: The stored mapping (``None`` or ``{}`` for every default).

    Returns:
        The parsed settings.

    Raises:
        ValidationFailed: Naming the first invalid or unknown field.
    """
    raw = raw or {}
    if not isinstance(raw, Mapping):
        raise _invalid("", "must be an object")
    unknown = sorted(set(raw) - SETTINGS_KEYS)
    if unknown:
        known = ", ".join(sorted(SETTINGS_KEYS))
        raise _invalid(unknown[0], f"unknown setting (known: {known})")
    metrics_raw = raw.get("metrics") or {}
    if not isinstance(metrics_raw, Mapping):
        raise _invalid("metrics", "must be an object keyed by metric name")
    start = parse_moment(raw.get("start"), "start")
    end = parse_moment(raw.get("end"), "end")
    if start is not None and end is not None and start >= end:
        raise _invalid("end", "must be after start")
    return AnalysisSettings(
        stats=_stats(raw),
        cuped=_flag(raw, "cuped", "cuped") or False,
        cuped_days=_cuped_days(raw.get("cuped_days")),
        start=start,
        end=end,
        dimensions=_dimensions(raw.get("dimensions")),
        srm_threshold=_srm_threshold(raw.get("srm_threshold")),
        metrics={str(k): _metric(str(k), v) for k, v in metrics_raw.items()},
    )
