"""Sequential testing: golden values, internal consistency and peeking simulations."""

from __future__ import annotations

import numpy as np
import pytest
from stats_testkit import treatment

from pilothouse.experiments.stats import (
    AnalysisConfig,
    SufficientStatistics,
    analyze_block,
    fixed_horizon_test,
    sequential_test,
)

MEAN_A = SufficientStatistics(users=3000, main_sum=1396.87, main_sum_squares=52377.9767)
MEAN_B = SufficientStatistics(users=3461, main_sum=2422.7, main_sum_squares=134698.29)


def test_growthbook_golden_values_mean():
    # GrowthBook packages/stats/tests/frequentist/test_tests.py (N* = 1000), 5 decimals.
    config = AnalysisConfig(sequential=True, sequential_tuning=1000)
    result = treatment([MEAN_A, MEAN_B], config)
    assert np.round([result.effect, result.standard_error, result.p_value], 5).tolist() == [
        0.50336,
        0.33341,
        1.0,
    ]
    assert np.round(result.ci, 5).tolist() == [-0.55844, 1.56516]


def test_growthbook_golden_values_proportion():
    arms = [
        SufficientStatistics(users=3000, main_sum=1396),
        SufficientStatistics(users=3461, main_sum=2422),
    ]
    result = treatment(arms, AnalysisConfig(sequential=True), kind="proportion")
    assert np.round([result.effect, result.standard_error, result.p_value], 5).tolist() == [
        0.50386,
        0.03386,
        0.0,
    ]
    assert np.round(result.ci, 5).tolist() == [0.40098, 0.60675]


def test_tuning_makes_the_sequence_tightest_near_the_expected_sample_size():
    widths = {}
    for tuning in (10, 6461, 10000):
        ci = treatment(
            [MEAN_A, MEAN_B], AnalysisConfig(sequential=True, sequential_tuning=tuning)
        ).ci
        widths[tuning] = ci[1] - ci[0]
    assert widths[6461] < widths[10000] < widths[10]


@pytest.mark.parametrize("direction", [0, 1, -1])
def test_p_value_and_interval_agree(direction):
    t = np.linspace(-6, 6, 241)
    n = np.full_like(t, 8000.0)
    result = sequential_test(t, np.ones_like(t), n, 0.05, 5000, direction)
    significant = result.p_value < 0.05
    excludes_zero = (result.lower > 0) | (result.upper < 0)
    assert np.array_equal(significant, excludes_zero)
    assert significant.any() and not significant.all()


@pytest.mark.parametrize("direction", [0, 1, -1])
def test_p_value_equals_alpha_on_the_boundary(direction):
    edge = sequential_test(1.0, 1.0, 8000.0, 0.05, 5000, direction)
    half_width = 1.0 - edge.lower if direction >= 0 else edge.upper - 1.0
    on_boundary = half_width if direction >= 0 else -half_width
    boundary = sequential_test(on_boundary, 1.0, 8000.0, 0.05, 5000, direction)
    assert float(boundary.p_value) == pytest.approx(0.05, rel=1e-9)


def test_sequence_is_wider_than_the_fixed_horizon_interval():
    fixed = fixed_horizon_test(0.3, 0.1, 5000.0, 0.05)
    sequential = sequential_test(0.3, 0.1, 5000.0, 0.05, 5000)
    assert sequential.lower < fixed.lower and sequential.upper > fixed.upper
    assert sequential.p_value > fixed.p_value


def _peeking_rejections(config: AnalysisConfig, direction: int = 0) -> float:
    """Share of 2,000 A/A experiments rejected at any of 10 looks."""
    rng = np.random.default_rng(2103_06476)
    experiments, batch, looks = 2000, 400, 10
    sums = np.zeros((3, experiments, 2))
    rejected = np.zeros(experiments, dtype=bool)
    for _ in range(looks):
        values = rng.exponential(2.0, (experiments, 2, batch))
        sums += [np.full((experiments, 2), batch), values.sum(-1), np.square(values).sum(-1)]
        stats = SufficientStatistics(users=sums[0], main_sum=sums[1], main_sum_squares=sums[2])
        result = analyze_block(stats, "mean", False, config, direction=direction)
        rejected |= result.p_value[:, 0] < config.alpha
    return float(rejected.mean())


def test_sequential_keeps_false_positives_at_alpha_with_ten_peeks():
    config = AnalysisConfig(difference="absolute", sequential=True, sequential_tuning=8000)
    assert _peeking_rejections(config) <= 0.05


def test_one_sided_sequential_keeps_false_positives_at_alpha_with_ten_peeks():
    config = AnalysisConfig(difference="absolute", sequential=True, sequential_tuning=8000)
    assert _peeking_rejections(config, direction=1) <= 0.05


def test_fixed_horizon_peeking_inflates_false_positives():
    # The control case: the same peeks without sequential testing go far above alpha.
    assert _peeking_rejections(AnalysisConfig(difference="absolute")) > 0.1
