"""Seeded calibration simulations: false-positive rate, coverage, CUPED, quantiles.

Each simulation analyses all its experiments in one vectorised call, so it takes a
fraction of a second. With 2,000 experiments the Monte Carlo standard error of a 5%
rate is 0.49 points, so the [4%, 6%] and [94%, 96%] windows are two standard errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from pilothouse.experiments.stats import AnalysisConfig, SufficientStatistics, analyze_block

EXPERIMENTS = 2000


def _mean_block(a: np.ndarray, b: np.ndarray) -> SufficientStatistics:
    """Sufficient statistics of (experiments, units) arrays for baseline and variation."""
    arms = np.stack([a, b], axis=1)
    return SufficientStatistics(
        users=np.full(arms.shape[:2], float(arms.shape[2])),
        main_sum=arms.sum(-1),
        main_sum_squares=np.square(arms).sum(-1),
    )


def _covers(result, truth: float) -> np.ndarray:
    return (result.lower[:, 0] <= truth) & (truth <= result.upper[:, 0])


def test_aa_false_positive_rate_and_coverage_fixed_horizon():
    rng = np.random.default_rng(404)
    a = rng.lognormal(1.0, 0.5, (EXPERIMENTS, 1000))
    b = rng.lognormal(1.0, 0.5, (EXPERIMENTS, 1000))
    for difference in ("absolute", "relative"):
        config = AnalysisConfig(difference=difference)
        result = analyze_block(_mean_block(a, b), "mean", False, config)
        false_positive_rate = np.mean(result.p_value[:, 0] < 0.05)
        assert 0.04 <= false_positive_rate <= 0.06, (difference, false_positive_rate)
        assert 0.94 <= np.mean(_covers(result, 0.0)) <= 0.96


def test_intervals_cover_a_true_effect():
    rng = np.random.default_rng(405)
    a = rng.lognormal(1.0, 0.5, (EXPERIMENTS, 1000))
    b = 1.05 * rng.lognormal(1.0, 0.5, (EXPERIMENTS, 1000))
    true_mean = np.exp(1.0 + 0.5**2 / 2)
    truths = {"relative": 0.05, "absolute": 0.05 * true_mean}
    for difference, truth in truths.items():
        result = analyze_block(
            _mean_block(a, b), "mean", False, AnalysisConfig(difference=difference)
        )
        coverage = np.mean(_covers(result, truth))
        assert 0.94 <= coverage <= 0.96, (difference, coverage)


def test_aa_false_positive_rate_proportions():
    rng = np.random.default_rng(406)
    conversions = rng.binomial(2000, 0.1, (EXPERIMENTS, 2)).astype(float)
    stats = SufficientStatistics(users=np.full((EXPERIMENTS, 2), 2000.0), main_sum=conversions)
    result = analyze_block(stats, "proportion", False, AnalysisConfig())
    assert 0.04 <= np.mean(result.p_value[:, 0] < 0.05) <= 0.06


def test_cuped_narrows_intervals_and_stays_unbiased():
    rng = np.random.default_rng(407)
    n, effect = 500, 0.1
    x = rng.normal(5.0, 1.0, (EXPERIMENTS, 2, n))
    y = x + rng.normal(0.0, 0.7, (EXPERIMENTS, 2, n))  # corr(x, y) ~ 0.82
    y[:, 1] += effect
    stats = SufficientStatistics(
        users=np.full((EXPERIMENTS, 2), float(n)),
        main_sum=y.sum(-1),
        main_sum_squares=np.square(y).sum(-1),
        covariate_sum=x.sum(-1),
        covariate_sum_squares=np.square(x).sum(-1),
        main_covariate_sum_product=(x * y).sum(-1),
    )
    config = AnalysisConfig(difference="absolute")
    cuped = analyze_block(stats, "mean", True, config)
    plain = analyze_block(stats, "mean", False, config)
    width = np.mean(cuped.upper - cuped.lower) / np.mean(plain.upper - plain.lower)
    assert width < 0.65  # sqrt(1 - 0.82^2) = 0.57
    estimates = cuped.effect[:, 0]
    assert abs(estimates.mean() - effect) < 3 * estimates.std() / np.sqrt(EXPERIMENTS)
    assert 0.94 <= np.mean(_covers(cuped, effect)) <= 0.96


def test_quantile_metric_false_positive_rate():
    rng = np.random.default_rng(408)
    experiments, n, level = 1000, 2000, 0.9
    values = np.sort(rng.exponential(1.0, (experiments, 2, n)), axis=-1)
    z = sps.norm.ppf(0.975)
    spread = z * np.sqrt(level * (1 - level) / n)
    # Order statistics at the quantile and at its 95% bounds, as GrowthBook's SQL returns.
    ranks = [int(np.ceil(q * n)) - 1 for q in (level, level - spread, level + spread)]
    quantile, lower, upper = (values[..., r] for r in ranks)
    stats = SufficientStatistics(
        users=np.full((experiments, 2), float(n)),
        quantile_n=np.full((experiments, 2), float(n)),
        quantile=quantile,
        quantile_lower=lower,
        quantile_upper=upper,
    )
    result = analyze_block(
        stats, "quantile", False, AnalysisConfig(), levels=np.full((experiments, 1), level)
    )
    assert 0.03 <= np.mean(result.p_value[:, 0] < 0.05) <= 0.07


def test_cuped_relative_standard_error_matches_the_sampling_spread():
    rng = np.random.default_rng(409)
    n, lift = 400, 0.3
    x = rng.gamma(2.0, 2.0, (EXPERIMENTS, 2, n))
    y = 2.0 + x + rng.normal(0.0, 1.0, (EXPERIMENTS, 2, n))
    y[:, 1] *= 1 + lift  # the variation's mean is 30% higher
    stats = SufficientStatistics(
        users=np.full((EXPERIMENTS, 2), float(n)),
        main_sum=y.sum(-1),
        main_sum_squares=np.square(y).sum(-1),
        covariate_sum=x.sum(-1),
        covariate_sum_squares=np.square(x).sum(-1),
        main_covariate_sum_product=(x * y).sum(-1),
    )
    result = analyze_block(stats, "mean", True, AnalysisConfig(difference="relative"))
    spread = result.effect[:, 0].std()
    assert np.mean(result.standard_error[:, 0]) == pytest.approx(spread, rel=0.04)
    assert 0.94 <= np.mean(_covers(result, lift)) <= 0.96
