"""Data problems come back as error codes on the affected result, never as exceptions."""

from __future__ import annotations

import numpy as np
import pytest
from stats_testkit import mean_stats, ratio_stats, treatment

from pilothouse.experiments.stats import (
    AnalysisConfig,
    GaussianPrior,
    MetricData,
    MetricSpec,
    SufficientStatistics,
    analyze,
    analyze_block,
    codes,
)

RNG = np.random.default_rng(99)
HEALTHY = (mean_stats(RNG.normal(5, 1, 300)), mean_stats(RNG.normal(5.3, 1, 300)))
S = SufficientStatistics


def _metric(name: str, arms, **spec) -> MetricData:
    names = tuple(f"v{i}" for i in range(len(arms)))
    return MetricData(MetricSpec(name, **spec), names, tuple(arms))


PROBLEMS = {
    "zero_baseline": (
        [
            S(users=100, main_sum=0, main_sum_squares=0),
            S(users=100, main_sum=5, main_sum_squares=9),
        ],
        codes.ZERO_BASELINE,
    ),
    "zero_variance": (
        [
            S(users=100, main_sum=100, main_sum_squares=100),
            S(users=100, main_sum=100, main_sum_squares=100),
        ],
        codes.ZERO_NEGATIVE_VARIANCE,
    ),
    "inconsistent_sums": (
        [
            S(users=100, main_sum=100, main_sum_squares=50),
            S(users=100, main_sum=90, main_sum_squares=120),
        ],
        codes.ZERO_NEGATIVE_VARIANCE,
    ),
    "one_unit": (
        [
            S(users=1, main_sum=3, main_sum_squares=9),
            S(users=100, main_sum=90, main_sum_squares=120),
        ],
        codes.TOO_FEW_UNITS,
    ),
    "empty_variation": (
        [
            S(users=100, main_sum=90, main_sum_squares=120),
            S(users=0, main_sum=0, main_sum_squares=0),
        ],
        codes.NO_UNITS_IN_VARIATION,
    ),
    "missing_field": (
        [S(users=100, main_sum=90), S(users=100, main_sum=95, main_sum_squares=120)],
        codes.INVALID_STATISTICS,
    ),
}


@pytest.mark.parametrize(
    "config",
    [AnalysisConfig(), AnalysisConfig(sequential=True), AnalysisConfig(engine="bayesian")],
    ids=["fixed", "sequential", "bayesian"],
)
def test_each_problem_gets_its_code_and_the_healthy_metric_is_unaffected(config):
    metrics = [_metric(name, arms) for name, (arms, _) in PROBLEMS.items()]
    metrics.insert(3, _metric("healthy", HEALTHY))
    results = {r.name: r for r in analyze(metrics, config)}
    for name, (_, code) in PROBLEMS.items():
        failed = results[name].variations[1]
        assert failed.error == code, name
        assert failed.effect is None and failed.ci is None and failed.p_value is None
    alone = analyze([_metric("healthy", HEALTHY)], config)[0]
    assert results["healthy"] == alone
    assert results["healthy"].variations[1].error is None


def test_zero_baseline_is_fine_for_absolute_effects():
    arms, _ = PROBLEMS["zero_baseline"]
    result = treatment(arms, AnalysisConfig(difference="absolute"))
    assert result.error is None
    assert result.effect == pytest.approx(0.05)


def test_ratio_with_zero_denominator():
    zero = S(
        users=50,
        main_sum=0,
        main_sum_squares=0,
        denominator_sum=0,
        denominator_sum_squares=0,
        main_denominator_sum_product=0,
    )
    good = ratio_stats(RNG.poisson(2, 50).astype(float), RNG.poisson(5, 50) + 1.0)
    result = treatment([good, zero], AnalysisConfig(difference="absolute"), kind="ratio")
    assert result.error == codes.ZERO_DENOMINATOR


def test_quantile_with_too_few_units_to_bound_it():
    def arm(n: float) -> SufficientStatistics:
        return S(users=n, quantile_n=n, quantile=5.0, quantile_lower=4.0, quantile_upper=6.0)

    # P99 needs more than z^2 * 0.99 / 0.01 = 380 units.
    assert (
        treatment([arm(300), arm(5000)], kind="quantile", quantile_level=0.99).error
        == codes.TOO_FEW_UNITS
    )
    assert treatment([arm(500), arm(5000)], kind="quantile", quantile_level=0.99).error is None


def test_no_variance_in_one_arm_only_still_gives_a_result():
    arms = [S(users=100, main_sum=0), S(users=100, main_sum=7)]
    result = treatment(arms, AnalysisConfig(difference="absolute"), kind="proportion")
    assert result.error is None and result.p_value is not None


def test_variation_without_units_keeps_the_other_variations():
    arms = [HEALTHY[0], S(users=0, main_sum=0, main_sum_squares=0), HEALTHY[1]]
    result = analyze(
        [_metric("three", arms)], AnalysisConfig(engine="bayesian", prior=GaussianPrior())
    )[0]
    assert result.variations[1].error == codes.NO_UNITS_IN_VARIATION
    assert result.variations[2].error is None and result.variations[2].chance_to_win is not None


@pytest.mark.parametrize(
    "build",
    [
        lambda: AnalysisConfig(alpha=0.7),
        lambda: AnalysisConfig(engine="magic"),
        lambda: AnalysisConfig(weights=(1.0,)),
        lambda: AnalysisConfig(prior=GaussianPrior(stddev=0)),
        lambda: MetricSpec("q", kind="quantile"),
        lambda: MetricSpec("q", kind="quantile", quantile_level=0.9, cuped=True),
        lambda: MetricData(MetricSpec("m"), ("only",), (HEALTHY[0],)),
        lambda: analyze_block(
            SufficientStatistics.stack([HEALTHY]), "median", False, AnalysisConfig()
        ),
        lambda: analyze_block(
            SufficientStatistics.stack([HEALTHY]), "quantile", True, AnalysisConfig()
        ),
    ],
)
def test_misuse_raises(build):
    with pytest.raises(ValueError):
        build()
