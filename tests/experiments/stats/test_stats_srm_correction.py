"""SRM chi-square against SciPy; Holm and Benjamini-Hochberg against statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps
from stats_testkit import run
from statsmodels.stats.multitest import multipletests

from pilothouse.experiments.stats import (
    AnalysisConfig,
    MetricData,
    MetricSpec,
    SufficientStatistics,
    adjust_p_values,
    analyze,
    benjamini_hochberg,
    holm_bonferroni,
    srm_p_value,
)


def test_srm_matches_scipy_chisquare():
    users = np.array([[5012.0, 4988.0, 10400.0], [100.0, 130.0, 170.0]])
    weights = (0.25, 0.25, 0.5)
    p = srm_p_value(users, weights)
    for row, value in zip(users, p, strict=True):
        expected = sps.chisquare(row, row.sum() * np.array(weights)).pvalue
        assert value == pytest.approx(expected, rel=1e-9)


def test_srm_ignores_zero_weight_variations_and_empty_rows():
    p = srm_p_value([[500.0, 520.0, 0.0], [0.0, 0.0, 0.0]], (1.0, 1.0, 0.0))
    assert p[0] == pytest.approx(sps.chisquare([500, 520]).pvalue, rel=1e-9)
    assert np.isnan(p[1])


def test_srm_detects_a_real_mismatch():
    assert srm_p_value([10000.0, 10600.0])[()] < 1e-4
    assert srm_p_value([10000.0, 10020.0])[()] > 0.5


def test_weights_of_the_wrong_length_are_a_metric_error_not_an_exception():
    arms = (SufficientStatistics(users=10, main_sum=1), SufficientStatistics(users=10, main_sum=2))
    good = MetricData(MetricSpec("two", kind="proportion"), ("a", "b"), arms)
    bad = MetricData(MetricSpec("three", kind="proportion"), ("a", "b", "c"), arms + arms[:1])
    results = analyze([good, bad], AnalysisConfig(weights=(0.5, 0.5)))
    assert results[0].error is None and results[0].variations[1].p_value is not None
    assert results[1].error == "INVALID_INPUT" and "weights" in results[1].message


P_VALUES = np.array([0.001, 0.04, 0.03, 0.2, np.nan, 0.012, 0.5, 0.049, 0.0001])


@pytest.mark.parametrize(
    ("ours", "method"), [(holm_bonferroni, "holm"), (benjamini_hochberg, "fdr_bh")]
)
def test_corrections_match_statsmodels(ours, method):
    present = ~np.isnan(P_VALUES)
    expected = multipletests(P_VALUES[present], method=method)[1]
    adjusted = ours(P_VALUES)
    assert np.isnan(adjusted[~present]).all()
    np.testing.assert_allclose(adjusted[present], expected, rtol=1e-12)


def test_correction_runs_across_metrics_and_variations():
    rng = np.random.default_rng(3)
    metrics = []
    for index in range(4):
        arms = tuple(
            SufficientStatistics(users=1000, main_sum=float(rng.binomial(1000, 0.1 + 0.01 * v)))
            for v in range(3)
        )
        metrics.append(
            MetricData(MetricSpec(f"m{index}", kind="proportion"), ("a", "b", "c"), arms)
        )
    config = AnalysisConfig(correction="benjamini-hochberg")
    results = analyze(metrics, config)
    raw = [v.p_value for r in results for v in r.variations[1:]]
    adjusted = [v.adjusted_p_value for r in results for v in r.variations[1:]]
    np.testing.assert_allclose(adjusted, adjust_p_values(raw, "benjamini-hochberg"), rtol=1e-12)
    assert all(a >= p for a, p in zip(adjusted, raw, strict=True))


def test_no_correction_leaves_adjusted_empty():
    arms = [
        SufficientStatistics(users=100, main_sum=10),
        SufficientStatistics(users=100, main_sum=14),
    ]
    assert run(arms, kind="proportion").variations[1].adjusted_p_value is None
