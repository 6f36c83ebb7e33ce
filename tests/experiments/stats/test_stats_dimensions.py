"""Dimension breakdowns: top slices by units, "(other)" pooling, SRM per slice."""

from __future__ import annotations

import functools
import operator

import numpy as np
import pytest
from stats_testkit import mean_stats

from pilothouse.experiments.stats import (
    OTHER,
    AnalysisConfig,
    MetricData,
    MetricSpec,
    SufficientStatistics,
    analyze,
    pool_dimensions,
)


def _slices(rng: np.random.Generator) -> list[tuple[str, tuple[SufficientStatistics, ...]]]:
    sizes = {"US": 900, "UK": 400, "DE": 300, "FR": 120, "ES": 60, "IT": 30}
    out = []
    for country, size in sizes.items():
        a, b = (
            rng.normal(5, 2, size),
            rng.normal(5.2, 2, size + (size * 3 // 10 if country == "DE" else 0)),
        )
        out.append((country, (mean_stats(a), mean_stats(b))))
    return out


def test_pool_keeps_the_largest_slices_and_sums_the_rest():
    slices = _slices(np.random.default_rng(1))
    pooled = pool_dimensions(slices, 3)
    assert [value for value, _ in pooled] == ["US", "UK", "DE", OTHER]
    other = pooled[-1][1]
    rest = {value: stats for value, stats in slices if value in {"FR", "ES", "IT"}}
    for column in ("users", "main_sum", "main_sum_squares"):
        for arm in (0, 1):
            expected = sum(getattr(stats[arm], column) for stats in rest.values())
            assert float(getattr(other[arm], column)) == pytest.approx(expected, rel=1e-12)


def test_no_other_slice_when_everything_fits_or_for_quantiles():
    slices = _slices(np.random.default_rng(2))
    assert OTHER not in [value for value, _ in pool_dimensions(slices, 10)]
    assert OTHER not in [value for value, _ in pool_dimensions(slices, 2, keep_other=False)]


def test_engine_analyses_each_slice_with_its_own_srm():
    rng = np.random.default_rng(3)
    slices = _slices(rng)
    overall = tuple(
        functools.reduce(operator.add, (arms[i] for _, arms in slices)) for i in range(2)
    )
    metric = MetricData(MetricSpec("revenue"), ("control", "treatment"), overall, tuple(slices))
    result = analyze([metric], AnalysisConfig(max_dimensions=3))[0]
    values = [d.dimension for d in result.dimensions]
    assert values == ["US", "UK", "DE", OTHER]
    srm = {d.dimension: d.srm_p_value for d in result.dimensions}
    assert srm["DE"] < 0.05 < srm["US"]  # DE has 30% more units in treatment
    assert result.variations[1].p_value is not None
    for dimension in result.dimensions:
        assert dimension.variations[1].effect is not None
