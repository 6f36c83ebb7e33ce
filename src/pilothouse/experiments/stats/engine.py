"""The analysis entry points: a vectorised block API and a per-metric API on top of it.

``analyze_block`` computes every comparison of a block of metrics x variations
(rows may also be dimension slices) in one pass of NumPy/SciPy calls.
``analyze`` groups metrics of the same kind into blocks, adds dimension slices,
applies the multiple-testing correction and returns result objects. Data
problems come back as error codes on the affected result; only misuse raises.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pilothouse.experiments.stats import codes
from pilothouse.experiments.stats.bayesian import bayesian_test
from pilothouse.experiments.stats.config import KINDS, AnalysisConfig, MetricSpec
from pilothouse.experiments.stats.correction import adjust_p_values
from pilothouse.experiments.stats.dimensions import pool_dimensions
from pilothouse.experiments.stats.frequentist import fixed_horizon_test, sequential_test
from pilothouse.experiments.stats.moments import ArmMoments, EffectMoments, effect_moments
from pilothouse.experiments.stats.results import MetricResult, Risk, VariationResult
from pilothouse.experiments.stats.srm import srm_p_value
from pilothouse.experiments.stats.statistics import SufficientStatistics

__all__ = ["DIRECTIONS", "BlockResult", "MetricData", "analyze", "analyze_block"]

Array = NDArray[np.float64]
DIRECTIONS: dict[str, int] = {"two-sided": 0, "greater": 1, "less": -1}


@dataclass(frozen=True)
class MetricData:
    """One metric's inputs: its spec and the sufficient statistics of each variation.

    Attributes:
        spec: How to analyse the metric.
        names: Variation names, baseline first.
        statistics: Sufficient statistics per variation, in the order of ``names``.
        dimensions: Optional slices ``(value, statistics per variation)``.
    """

    spec: MetricSpec
    names: tuple[str, ...]
    statistics: tuple[SufficientStatistics, ...]
    dimensions: tuple[tuple[str, tuple[SufficientStatistics, ...]], ...] = ()

    def __post_init__(self) -> None:
        if len(self.names) < 2 or len(self.names) != len(self.statistics):
            raise ValueError("a metric needs statistics for a baseline and at least one variation")
        if any(len(s) != len(self.names) for _, s in self.dimensions):
            raise ValueError("every dimension slice needs statistics for every variation")


@dataclass(frozen=True, eq=False)
class BlockResult:
    """Results of a block: arms are ``(rows, variations)``, comparisons ``(rows, variations - 1)``.

    Attributes:
        users: Exposed units per arm.
        mean: Metric value per arm.
        effect: Effect estimate (posterior mean for Bayesian).
        standard_error: Standard error (posterior stddev for Bayesian).
        lower: Lower interval bound.
        upper: Upper interval bound.
        p_value: Frequentist p-value (``nan`` for Bayesian).
        chance_to_win: Bayesian chance to win (``nan`` for frequentist).
        risk_control: Bayesian expected loss of keeping the baseline.
        risk_treatment: Bayesian expected loss of shipping the variation.
        theta: CUPED coefficient.
        error: Error code per comparison, ``None`` when valid.
        srm_p_value: SRM p-value per row.
    """

    users: Array
    mean: Array
    effect: Array
    standard_error: Array
    lower: Array
    upper: Array
    p_value: Array
    chance_to_win: Array
    risk_control: Array
    risk_treatment: Array
    theta: Array
    error: NDArray[np.object_]
    srm_p_value: Array


def analyze_block(
    stats: SufficientStatistics,
    kind: str,
    cuped: bool,
    config: AnalysisConfig,
    direction: ArrayLike = 0,
    inverse: ArrayLike = False,
    levels: ArrayLike | None = None,
) -> BlockResult:
    """Analyse a block of metrics of one kind, all variations against column 0.

    Args:
        stats: Sufficient statistics with fields of shape ``(rows, variations)``.
        kind: Metric kind of every row.
        cuped: Apply CUPED to every row.
        config: Analysis settings; ``config.weights`` must match the variations.
        direction: Per-row test, shape ``(rows, 1)``: +1 greater, -1 less, 0 two-sided.
        inverse: Per-row "lower is better" flags, shape ``(rows, 1)``.
        levels: Per-row quantile levels, shape ``(rows, 1)`` (quantile metrics).

    Returns:
        The block's results.

    Raises:
        ValueError: For an unknown kind, or CUPED on quantiles (misuse).
    """
    if kind not in KINDS or (cuped and kind == "quantile"):
        raise ValueError(f"cannot analyse kind {kind!r} with cuped={cuped}")
    level_array = None if levels is None else np.asarray(levels, dtype=float)
    arms, moments = effect_moments(stats, kind, cuped, config.difference == "relative", level_array)
    nan = np.full(moments.estimate.shape, np.nan)
    if config.engine == "bayesian":
        parts = _bayesian_parts(arms, moments, config, direction, inverse)
    else:
        parts = _frequentist_parts(moments, config, direction) + (nan, nan, nan)
    effect, se, lower, upper, p_value, chance, risk_c, risk_t = parts
    return BlockResult(
        users=stats.column("users"),
        mean=arms.mean,
        effect=effect,
        standard_error=se,
        lower=lower,
        upper=upper,
        p_value=p_value,
        chance_to_win=chance,
        risk_control=risk_c,
        risk_treatment=risk_t,
        theta=moments.theta,
        error=moments.error,
        srm_p_value=srm_p_value(stats.column("users"), config.weights),
    )


def _frequentist_parts(
    moments: EffectMoments, config: AnalysisConfig, direction: ArrayLike
) -> tuple[Array, ...]:
    est, se = moments.estimate, moments.standard_error
    if config.sequential:
        test = sequential_test(
            est, se, moments.n_total, config.alpha, config.sequential_tuning, direction
        )
    else:
        test = fixed_horizon_test(est, se, moments.dof, config.alpha, direction)
    return est, se, test.lower, test.upper, test.p_value


def _bayesian_parts(
    arms: ArmMoments,
    moments: EffectMoments,
    config: AnalysisConfig,
    direction: ArrayLike,
    inverse: ArrayLike,
) -> tuple[Array, ...]:
    prior = None
    if config.prior is not None:
        # The prior is relative; absolute effects scale it by |baseline mean|.
        scale = 1.0 if config.difference == "relative" else np.abs(arms.mean[:, :1])
        prior = (config.prior.mean * scale, config.prior.stddev * scale)
    result = bayesian_test(
        moments.estimate, moments.standard_error, config.alpha, direction, inverse, prior
    )
    nan = np.full(moments.estimate.shape, np.nan)
    return (
        result.mean,
        result.stddev,
        result.lower,
        result.upper,
        nan,
        result.chance_to_win,
        result.risk_control,
        result.risk_treatment,
    )


@dataclass(frozen=True)
class _Row:
    metric: int
    dimension: str | None
    data: MetricData
    statistics: tuple[SufficientStatistics, ...]


def _rows(metrics: Sequence[MetricData], config: AnalysisConfig) -> list[_Row]:
    rows: list[_Row] = []
    for index, metric in enumerate(metrics):
        rows.append(_Row(index, None, metric, metric.statistics))
        keep_other = metric.spec.kind != "quantile"
        for value, stats in pool_dimensions(metric.dimensions, config.max_dimensions, keep_other):
            rows.append(_Row(index, value, metric, stats))
    return rows


def _weights_error(metric: MetricData, config: AnalysisConfig) -> str | None:
    if config.weights is None or len(config.weights) == len(metric.names):
        return None
    return (
        f"metric {metric.spec.name!r}: settings.weights has {len(config.weights)} entries "
        f"but the metric has {len(metric.names)} variations"
    )


def analyze(
    metrics: Sequence[MetricData], config: AnalysisConfig | None = None
) -> list[MetricResult]:
    """Analyse metrics, each with its baseline first, vectorised across metrics.

    Args:
        metrics: The metrics to analyse.
        config: Analysis settings (defaults: frequentist, relative, alpha 0.05).

    Returns:
        One result per metric, in input order.
    """
    config = config or AnalysisConfig()
    problems = {i: _weights_error(m, config) for i, m in enumerate(metrics)}
    rows = [r for r in _rows(metrics, config) if problems[r.metric] is None]
    groups: dict[tuple[str, bool, int], list[int]] = defaultdict(list)
    for position, row in enumerate(rows):
        spec = row.data.spec
        groups[(spec.kind, spec.cuped, len(row.statistics))].append(position)
    computed: dict[int, tuple[float | None, list[VariationResult]]] = {}
    for (kind, cuped, _), positions in groups.items():
        members = [rows[p] for p in positions]
        table = _as_lists(_analyze_rows(members, kind, cuped, config))
        for offset, position in enumerate(positions):
            computed[position] = _row_results(table, offset, rows[position].data.names, config)
    if config.correction is not None:
        _correct(rows, computed, config.correction)
    return _assemble(metrics, rows, computed, problems)


def _analyze_rows(
    members: list[_Row], kind: str, cuped: bool, config: AnalysisConfig
) -> BlockResult:
    specs = [m.data.spec for m in members]
    column = (len(specs), 1)
    return analyze_block(
        SufficientStatistics.stack([m.statistics for m in members]),
        kind,
        cuped,
        config,
        direction=np.array([DIRECTIONS[s.test] for s in specs], dtype=float).reshape(column),
        inverse=np.array([s.inverse for s in specs], dtype=bool).reshape(column),
        levels=np.array([s.quantile_level or 0.5 for s in specs], dtype=float).reshape(column),
    )


def _number(value: float) -> float | None:
    return None if math.isnan(value) else value


_CELLS = (
    "effect",
    "standard_error",
    "lower",
    "upper",
    "p_value",
    "chance_to_win",
    "risk_control",
    "risk_treatment",
    "theta",
    "error",
)


def _as_lists(block: BlockResult) -> dict[str, Any]:
    """Every array of a block as nested Python lists (one conversion per block)."""
    return {
        name: getattr(block, name).tolist() for name in (*_CELLS, "users", "mean", "srm_p_value")
    }


def _row_results(
    table: dict[str, Any], row: int, names: tuple[str, ...], config: AnalysisConfig
) -> tuple[float | None, list[VariationResult]]:
    users, means = table["users"][row], table["mean"][row]
    out = [VariationResult(name=names[0], users=users[0], mean=_number(means[0]))]
    cells = [table[name][row] for name in _CELLS]
    bayesian = config.engine == "bayesian"
    for j in range(len(names) - 1):
        effect, se, lower, upper, p, chance, risk_c, risk_t, theta, error = (c[j] for c in cells)
        base = {"name": names[j + 1], "users": users[j + 1], "mean": _number(means[j + 1])}
        if error is not None:
            out.append(VariationResult(**base, error=error))
            continue
        out.append(
            VariationResult(
                **base,
                effect=effect,
                standard_error=se,
                ci=(lower, upper),
                p_value=None if bayesian else p,
                chance_to_win=chance if bayesian else None,
                risk=Risk(risk_c, risk_t) if bayesian else None,
                theta=_number(theta),
            )
        )
    return _number(table["srm_p_value"][row]), out


def _correct(
    rows: list[_Row],
    computed: dict[int, tuple[float | None, list[VariationResult]]],
    method: str,
) -> None:
    # The family is every comparison of the overall (not per-dimension) results.
    cells = [
        (position, j)
        for position, row in enumerate(rows)
        if row.dimension is None
        for j in range(1, len(computed[position][1]))
    ]
    raw = [computed[p][1][j].p_value for p, j in cells]
    adjusted = adjust_p_values(np.array([np.nan if v is None else v for v in raw]), method)
    for (position, j), value in zip(cells, adjusted.tolist(), strict=True):
        if not math.isnan(value):
            variations = computed[position][1]
            variations[j] = replace(variations[j], adjusted_p_value=value)


def _assemble(
    metrics: Sequence[MetricData],
    rows: list[_Row],
    computed: dict[int, tuple[float | None, list[VariationResult]]],
    problems: dict[int, str | None],
) -> list[MetricResult]:
    overall: dict[int, tuple[float | None, list[VariationResult]]] = {}
    slices: dict[int, list[MetricResult]] = defaultdict(list)
    for position, row in enumerate(rows):
        srm, variations = computed[position]
        if row.dimension is None:
            overall[row.metric] = (srm, variations)
        else:
            name = row.data.spec.name
            slices[row.metric].append(
                MetricResult(name, srm, tuple(variations), dimension=row.dimension)
            )
    results = []
    for index, metric in enumerate(metrics):
        message = problems[index]
        if message is not None:
            results.append(MetricResult(metric.spec.name, None, (), codes.INVALID_INPUT, message))
            continue
        srm, variations = overall[index]
        results.append(
            MetricResult(metric.spec.name, srm, tuple(variations), dimensions=tuple(slices[index]))
        )
    return results
