"""Bayesian Gaussian approximation against conjugate formulas and numerical integration."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate
from scipy import stats as sps
from stats_testkit import assert_close, mean_stats, treatment

from pilothouse.experiments.stats import (
    AnalysisConfig,
    GaussianPrior,
    bayesian_test,
    expected_loss,
)


def _integrate(function, mean: float, sd: float) -> float:
    value, _ = integrate.quad(
        function, mean - 12 * sd, mean + 12 * sd, epsabs=0, epsrel=1e-12, limit=200
    )
    return value


@pytest.mark.parametrize(("mu", "sigma"), [(0.02, 0.03), (-0.05, 0.01), (0.0, 1.0)])
def test_expected_loss_matches_numerical_integration(mu, sigma):
    density = sps.norm(mu, sigma).pdf
    keep, ship = expected_loss(mu, sigma)
    assert_close(float(keep), _integrate(lambda d: max(d, 0.0) * density(d), mu, sigma), 1e-8)
    assert_close(float(ship), _integrate(lambda d: max(-d, 0.0) * density(d), mu, sigma), 1e-8)


def test_flat_prior_posterior_is_the_likelihood():
    result = bayesian_test(0.03, 0.02, 0.05)
    assert_close(float(result.mean), 0.03)
    assert_close(float(result.stddev), 0.02)
    assert_close(float(result.chance_to_win), sps.norm.sf(0, 0.03, 0.02))
    low, high = sps.norm.interval(0.95, 0.03, 0.02)
    assert_close(float(result.lower), low)
    assert_close(float(result.upper), high)


def test_normal_prior_matches_numerical_posterior():
    estimate, se, prior_mean, prior_sd = 0.08, 0.05, 0.0, 0.03

    def unnormalised(d: float) -> float:
        return sps.norm.pdf(d, estimate, se) * sps.norm.pdf(d, prior_mean, prior_sd)

    mass = _integrate(unnormalised, 0.03, 0.05)
    mean = _integrate(lambda d: d * unnormalised(d), 0.03, 0.05) / mass
    second = _integrate(lambda d: d * d * unnormalised(d), 0.03, 0.05) / mass
    positive, _ = integrate.quad(unnormalised, 0, 1, epsabs=0, epsrel=1e-12)
    result = bayesian_test(estimate, se, 0.05, prior=(prior_mean, prior_sd))
    assert_close(float(result.mean), mean, 1e-8)
    assert_close(float(result.stddev), np.sqrt(second - mean**2), 1e-7)
    assert_close(float(result.chance_to_win), positive / mass, 1e-8)


def test_inverse_metric_flips_chance_to_win_and_risk():
    normal = bayesian_test(0.03, 0.02, 0.05)
    inverse = bayesian_test(0.03, 0.02, 0.05, inverse=True)
    assert_close(float(inverse.chance_to_win), 1 - float(normal.chance_to_win))
    assert_close(float(inverse.risk_control), float(normal.risk_treatment))
    assert_close(float(inverse.risk_treatment), float(normal.risk_control))


def test_engine_scales_a_relative_prior_for_absolute_effects():
    rng = np.random.default_rng(5)
    a, b = rng.normal(10, 4, 400), rng.normal(10.5, 4, 400)
    prior = GaussianPrior(mean=0.01, stddev=0.02)
    config = AnalysisConfig(engine="bayesian", difference="absolute", prior=prior)
    result = treatment([mean_stats(a), mean_stats(b)], config)
    estimate = b.mean() - a.mean()
    se2 = a.var(ddof=1) / a.size + b.var(ddof=1) / b.size
    m, s2 = 0.01 * a.mean(), (0.02 * a.mean()) ** 2
    precision = 1 / se2 + 1 / s2
    assert_close(result.effect, (estimate / se2 + m / s2) / precision)
    assert_close(result.standard_error, np.sqrt(1 / precision))
    assert result.p_value is None
    assert result.risk is not None and result.chance_to_win is not None
    # A flat prior leaves the estimate alone; the prior shrinks it towards 1% of baseline.
    flat = treatment(
        [mean_stats(a), mean_stats(b)], AnalysisConfig(engine="bayesian", difference="absolute")
    )
    assert_close(flat.effect, estimate)
    assert abs(result.effect - m) < abs(flat.effect - m)


def test_one_sided_credible_interval_is_open_on_one_side():
    result = bayesian_test(0.03, 0.02, 0.05, direction=1)
    assert float(result.upper) == np.inf
    assert_close(float(result.lower), 0.03 - sps.norm.ppf(0.95) * 0.02)
