"""Offline interface: analysis request JSON in, results JSON out.

Input ``{"settings": {...}, "metrics": [...]}``; each metric lists its variations,
baseline first, with GrowthBook's sufficient-statistic column names. Output
``{"metrics": [{"name", "srm_p_value", "error", "message", "variations": [...]}]}``.
Infinite interval bounds are written as the strings ``"inf"`` and ``"-inf"``,
undefined numbers as ``null``.

Malformed settings (or a document that is not an object) make the whole request
fail with ``RequestError``. A malformed metric becomes an ``INVALID_INPUT`` error on
that metric, with a message naming the metric, variation and field; the other
metrics are still analysed.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from pilothouse.experiments.stats import codes
from pilothouse.experiments.stats.config import (
    CORRECTIONS,
    DIFFERENCES,
    ENGINES,
    KINDS,
    TESTS,
    AnalysisConfig,
    GaussianPrior,
    MetricSpec,
)
from pilothouse.experiments.stats.engine import MetricData, analyze
from pilothouse.experiments.stats.results import MetricResult, VariationResult
from pilothouse.experiments.stats.statistics import (
    ALL_FIELDS,
    SufficientStatistics,
    required_fields,
)

__all__ = [
    "RequestError",
    "analyze_json",
    "analyze_request",
    "format_number",
    "format_result",
    "parse_settings",
]

SETTINGS_KEYS = frozenset(
    {
        "engine",
        "difference",
        "alpha",
        "sequential",
        "sequential_tuning",
        "prior",
        "weights",
        "correction",
        "max_dimensions",
    }
)
METRIC_KEYS = frozenset(
    {"name", "kind", "cuped", "inverse", "test", "quantile_level", "variations", "dimensions"}
)
_NON_NEGATIVE = frozenset(
    {
        "users",
        "count",
        "main_sum_squares",
        "denominator_sum_squares",
        "covariate_sum_squares",
        "denominator_pre_sum_squares",
        "quantile_n",
        "quantile_nstar",
    }
)


_VARIATION_KEYS = frozenset(ALL_FIELDS) | {"name"}
_NUMBER_TYPES = (int, float)


class RequestError(ValueError):
    """The request as a whole cannot be analysed (bad JSON, settings or top-level shape)."""


class _MetricError(ValueError):
    """One metric is malformed; the message names the metric, variation and field."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _choice(
    raw: Mapping[str, Any], key: str, options: Sequence[str], default: str, where: str
) -> str:
    value = raw.get(key, default)
    if value not in options:
        raise ValueError(f"{where}: {key!r} must be one of {', '.join(options)}, got {value!r}")
    return str(value)


def _flag(raw: Mapping[str, Any], key: str, where: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise ValueError(f"{where}: {key!r} must be true or false, got {value!r}")
    return value


def _number_setting(raw: Mapping[str, Any], key: str, default: float) -> float:
    value = raw.get(key, default)
    if not _is_number(value) or not math.isfinite(value):
        raise RequestError(f"settings: {key!r} must be a number, got {value!r}")
    return float(value)


def _prior(raw: Any) -> GaussianPrior | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) - {"mean", "stddev"}:
        raise RequestError('settings: "prior" must be null or {"mean": number, "stddev": number}')
    if not all(_is_number(raw.get(k, 0.0)) for k in ("mean", "stddev")):
        raise RequestError("settings: prior mean and stddev must be numbers")
    return GaussianPrior(mean=float(raw.get("mean", 0.0)), stddev=float(raw.get("stddev", 0.1)))


def _weights(raw: Any) -> tuple[float, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(_is_number(w) for w in raw):
        raise RequestError('settings: "weights" must be null or a list of numbers')
    return tuple(float(w) for w in raw)


def parse_settings(raw: Any) -> AnalysisConfig:
    """Build the analysis config from the ``settings`` object.

    Raises:
        RequestError: Naming the offending setting.
    """
    raw = {} if raw is None else raw
    if not isinstance(raw, Mapping):
        raise RequestError('"settings" must be an object')
    unknown = sorted(set(raw) - SETTINGS_KEYS)
    if unknown:
        raise RequestError(f"settings: unknown key {unknown[0]!r}")
    max_dimensions = raw.get("max_dimensions", 20)
    if not isinstance(max_dimensions, int) or isinstance(max_dimensions, bool):
        raise RequestError('settings: "max_dimensions" must be an integer')
    try:
        return AnalysisConfig(
            engine=_choice(raw, "engine", ENGINES, "frequentist", "settings"),  # type: ignore[arg-type]
            difference=_choice(raw, "difference", DIFFERENCES, "relative", "settings"),  # type: ignore[arg-type]
            alpha=_number_setting(raw, "alpha", 0.05),
            sequential=_flag(raw, "sequential", "settings"),
            sequential_tuning=_number_setting(raw, "sequential_tuning", 5000.0),
            prior=_prior(raw.get("prior")),
            weights=_weights(raw.get("weights")),
            correction=_correction(raw.get("correction")),  # type: ignore[arg-type]
            max_dimensions=max_dimensions,
        )
    except RequestError:
        raise
    except ValueError as exc:
        message = str(exc)
        raise RequestError(
            message if message.startswith("settings") else f"settings: {message}"
        ) from exc


def _correction(raw: Any) -> str | None:
    if raw is None or raw in CORRECTIONS:
        return None if raw is None else str(raw)
    raise RequestError(f'settings: "correction" must be null or one of {", ".join(CORRECTIONS)}')


def _variation(
    raw: Any, index: int, spec: MetricSpec, where: str
) -> tuple[str, SufficientStatistics]:
    if not isinstance(raw, Mapping):
        raise _MetricError(f"{where}, variations[{index}]: must be an object")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise _MetricError(f"{where}, variations[{index}]: 'name' must be a non-empty string")
    place = f"{where}, variation {name!r}"
    unknown = sorted(raw.keys() - _VARIATION_KEYS)
    if unknown:
        raise _MetricError(f"{place}: unknown field {unknown[0]!r}")
    for field in required_fields(spec.kind, spec.cuped):
        if raw.get(field) is None:
            raise _MetricError(f"{place}: missing field {field!r} (needed for {spec.kind} metrics)")
    values = {}
    for field, value in raw.items():
        if field == "name" or value is None:
            continue
        if type(value) not in _NUMBER_TYPES or not math.isfinite(value):
            raise _MetricError(f"{place}: field {field!r} must be a finite number, got {value!r}")
        if value < 0 and field in _NON_NEGATIVE:
            raise _MetricError(f"{place}: field {field!r} must not be negative, got {value!r}")
        values[field] = float(value)
    stats = SufficientStatistics(**values)
    if spec.kind == "proportion" and not 0 <= stats.main_sum <= float(stats.units):
        raise _MetricError(
            f"{place}: field 'main_sum' must be between 0 and the units for a proportion"
        )
    return name, stats


def _variations(
    raw: Any, spec: MetricSpec, where: str
) -> tuple[tuple[str, ...], tuple[SufficientStatistics, ...]]:
    if not isinstance(raw, list) or len(raw) < 2:
        raise _MetricError(
            f"{where}: 'variations' must list the baseline and at least one variation"
        )
    parsed = [_variation(v, i, spec, where) for i, v in enumerate(raw)]
    names = tuple(name for name, _ in parsed)
    if len(set(names)) != len(names):
        raise _MetricError(f"{where}: variation names must be unique")
    return names, tuple(stats for _, stats in parsed)


def _spec(raw: Mapping[str, Any], where: str) -> MetricSpec:
    unknown = sorted(set(raw) - METRIC_KEYS)
    if unknown:
        raise _MetricError(f"{where}: unknown key {unknown[0]!r}")
    kind = _choice(raw, "kind", KINDS, "mean", where)
    level: Any = raw.get("quantile_level")
    if kind == "quantile" and (not _is_number(level) or not 0 < level < 1):
        raise _MetricError(
            f"{where}: 'quantile_level' must be a number in (0, 1) for quantile metrics"
        )
    try:
        return MetricSpec(
            name=str(raw["name"]),
            kind=kind,  # type: ignore[arg-type]
            cuped=_flag(raw, "cuped", where),
            inverse=_flag(raw, "inverse", where),
            test=_choice(raw, "test", TESTS, "two-sided", where),  # type: ignore[arg-type]
            quantile_level=float(level) if kind == "quantile" else None,
        )
    except ValueError as exc:
        message = str(exc)
        raise _MetricError(message if message.startswith(where) else f"{where}: {message}") from exc


def _dimensions(raw: Any, spec: MetricSpec, names: tuple[str, ...], where: str) -> tuple[Any, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _MetricError(f"{where}: 'dimensions' must be a list")
    slices = []
    for index, item in enumerate(raw):
        value = item.get("value") if isinstance(item, Mapping) else None
        if not isinstance(value, str):
            raise _MetricError(f"{where}, dimensions[{index}]: 'value' must be a string")
        place = f"{where}, dimension {value!r}"
        slice_names, stats = _variations(item.get("variations"), spec, place)
        if slice_names != names:
            raise _MetricError(f"{place}: variations must match the metric's, in the same order")
        slices.append((value, stats))
    return tuple(slices)


def _metric(raw: Any, index: int) -> MetricData:
    if not isinstance(raw, Mapping):
        raise _MetricError(f"metrics[{index}]: must be an object")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise _MetricError(f"metrics[{index}]: 'name' must be a non-empty string")
    where = f"metric {name!r}"
    spec = _spec(raw, where)
    names, stats = _variations(raw.get("variations"), spec, where)
    return MetricData(spec, names, stats, _dimensions(raw.get("dimensions"), spec, names, where))


def _metric_name(raw: Any, index: int) -> str:
    name = raw.get("name") if isinstance(raw, Mapping) else None
    return name if isinstance(name, str) and name else f"metrics[{index}]"


def analyze_request(request: Any) -> dict[str, Any]:
    """Analyse a parsed request document.

    Args:
        request: ``{"settings": {...}, "metrics": [...]}``.

    Returns:
        ``{"metrics": [...]}`` in input order, ready for ``json.dumps``.

    Raises:
        RequestError: When the document or its settings are malformed.
    """
    if not isinstance(request, Mapping):
        raise RequestError('the request must be a JSON object with "settings" and "metrics"')
    unknown = sorted(set(request) - {"settings", "metrics"})
    if unknown:
        raise RequestError(f"unknown top-level key {unknown[0]!r}")
    config = parse_settings(request.get("settings"))
    raw_metrics = request.get("metrics")
    if not isinstance(raw_metrics, list):
        raise RequestError('"metrics" must be a list')
    parsed: list[MetricData] = []
    slots: list[MetricResult | int] = []
    for index, raw in enumerate(raw_metrics):
        try:
            parsed.append(_metric(raw, index))
            slots.append(len(parsed) - 1)
        except ValueError as exc:  # _MetricError, or a spec the config classes refuse
            slots.append(
                MetricResult(_metric_name(raw, index), None, (), codes.INVALID_INPUT, str(exc))
            )
    results = analyze(parsed, config)
    ordered = [results[s] if isinstance(s, int) else s for s in slots]
    correction = config.correction is not None
    return {"metrics": [format_result(r, config.engine, correction) for r in ordered]}


def analyze_json(text: str) -> dict[str, Any]:
    """Parse a JSON request and analyse it.

    Raises:
        RequestError: For invalid JSON (with line and column) or a malformed request.
    """
    try:
        request = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RequestError(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    return analyze_request(request)


def format_number(value: float | None) -> float | str | None:
    """JSON-safe number: ``nan`` and ``None`` become null, infinities ``"inf"``/``"-inf"``."""
    if value is None or math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else value


def _format_variation(
    result: VariationResult, baseline: bool, engine: str, correction: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": result.name,
        "users": format_number(result.users),
        "mean": format_number(result.mean),
    }
    if baseline:
        return out
    out["effect"] = format_number(result.effect)
    out["ci"] = None if result.ci is None else [format_number(b) for b in result.ci]
    if engine == "frequentist":
        out["p_value"] = format_number(result.p_value)
        if correction:
            out["adjusted_p_value"] = format_number(result.adjusted_p_value)
    else:
        out["chance_to_win"] = format_number(result.chance_to_win)
        risk = result.risk
        out["risk"] = (
            None
            if risk is None
            else {
                "control": format_number(risk.control),
                "treatment": format_number(risk.treatment),
            }
        )
    out["error"] = result.error
    return out


def format_result(result: MetricResult, engine: str, correction: bool = False) -> dict[str, Any]:
    """The JSON form of one metric result (and its dimension slices)."""
    out: dict[str, Any] = {"name": result.name}
    if result.dimension is not None:
        out = {"value": result.dimension}
    out["srm_p_value"] = format_number(result.srm_p_value)
    out["error"] = result.error
    out["message"] = result.message
    out["variations"] = [
        _format_variation(v, i == 0, engine, correction and result.dimension is None)
        for i, v in enumerate(result.variations)
    ]
    if result.dimensions:
        out["dimensions"] = [format_result(d, engine) for d in result.dimensions]
    return out
