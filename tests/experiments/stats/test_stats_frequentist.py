"""Frequentist formulas against SciPy, statsmodels, textbook delta-method results and
GrowthBook's published golden values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps
from stats_testkit import assert_close, mean_stats, ratio_stats, run, treatment
from statsmodels.stats import proportion as sm_proportion
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from pilothouse.experiments.stats import AnalysisConfig, SufficientStatistics

ABSOLUTE = AnalysisConfig(difference="absolute")
RELATIVE = AnalysisConfig(difference="relative")


@pytest.fixture
def samples() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(20240601)
    return rng.lognormal(1.0, 0.8, 900), rng.lognormal(1.1, 0.9, 1100)


def test_welch_matches_scipy_ttest_ind_from_stats(samples):
    a, b = samples
    result = treatment([mean_stats(a), mean_stats(b)], ABSOLUTE)
    reference = sps.ttest_ind_from_stats(
        b.mean(), b.std(ddof=1), b.size, a.mean(), a.std(ddof=1), a.size, equal_var=False
    )
    assert_close(result.effect, b.mean() - a.mean())
    assert_close(result.effect / result.standard_error, reference.statistic)
    assert_close(result.p_value, reference.pvalue)


def test_welch_interval_and_dof_match_scipy_raw_data(samples):
    a, b = samples
    result = treatment(
        [mean_stats(a), mean_stats(b)], AnalysisConfig("frequentist", "absolute", 0.1)
    )
    reference = sps.ttest_ind(b, a, equal_var=False)
    low, high = reference.confidence_interval(confidence_level=0.9)
    assert_close(result.ci[0], low)
    assert_close(result.ci[1], high)


@pytest.mark.parametrize("test", ["greater", "less"])
def test_one_sided_tests_match_scipy(samples, test):
    a, b = samples
    result = treatment([mean_stats(a), mean_stats(b)], ABSOLUTE, test=test)
    reference = sps.ttest_ind(b, a, equal_var=False, alternative=test)
    low, high = reference.confidence_interval(confidence_level=0.95)
    assert_close(result.p_value, reference.pvalue)
    if test == "greater":
        assert_close(result.ci[0], low)
        assert result.ci[1] == np.inf and high == np.inf
    else:
        assert_close(result.ci[1], high)
        assert result.ci[0] == -np.inf and low == -np.inf


def test_welch_matches_statsmodels_compare_means(samples):
    a, b = samples
    result = treatment([mean_stats(a), mean_stats(b)], ABSOLUTE)
    compare = CompareMeans(DescrStatsW(b), DescrStatsW(a))
    statistic, p_value, _ = compare.ttest_ind(usevar="unequal")
    low, high = compare.tconfint_diff(alpha=0.05, usevar="unequal")
    assert_close(result.effect / result.standard_error, statistic)
    assert_close(result.p_value, p_value)
    assert_close(result.ci[0], low)
    assert_close(result.ci[1], high)


def test_proportions_match_statsmodels_wald():
    control = SufficientStatistics(users=5012, main_sum=611)
    variant = SufficientStatistics(users=4977, main_sum=682)
    result = treatment([control, variant], ABSOLUTE, kind="proportion")
    reference = sm_proportion.test_proportions_2indep(
        682, 4977, 611, 5012, method="wald", compare="diff", correction=False
    )
    assert_close(result.effect, 682 / 4977 - 611 / 5012)
    assert_close(result.standard_error**2, reference.variance)
    assert_close(result.effect / result.standard_error, reference.statistic)


def test_relative_effect_is_the_textbook_delta_method(samples):
    a, b = samples
    result = treatment([mean_stats(a), mean_stats(b)], RELATIVE)
    ma, mb = a.mean(), b.mean()
    # Var(mb/ma - 1) = s_b^2 / (n_b m_a^2) + m_b^2 s_a^2 / (n_a m_a^4)
    variance = b.var(ddof=1) / (b.size * ma**2) + mb**2 * a.var(ddof=1) / (a.size * ma**4)
    assert_close(result.effect, mb / ma - 1)
    assert_close(result.standard_error**2, variance)
    dof = sps.ttest_ind(b, a, equal_var=False).df
    t = result.effect / result.standard_error
    assert_close(result.p_value, 2 * sps.t.sf(abs(t), dof))


def _ratio_data(rng: np.random.Generator, n: int, lift: float) -> tuple[np.ndarray, np.ndarray]:
    sessions = rng.poisson(3.0, n) + 1.0
    orders = rng.binomial(sessions.astype(int), 0.2 * (1 + lift)).astype(float)
    return orders, sessions


def test_ratio_metric_is_the_textbook_delta_method():
    rng = np.random.default_rng(7)
    (ma, da), (mb, db) = _ratio_data(rng, 3000, 0.0), _ratio_data(rng, 3100, 0.05)

    def ratio_var(m: np.ndarray, d: np.ndarray) -> float:
        # Var(M/D) = (s_M^2/mu_D^2 - 2 mu_M s_MD/mu_D^3 + mu_M^2 s_D^2/mu_D^4) / n
        cov = np.cov(m, d, ddof=1)
        mu_m, mu_d = m.mean(), d.mean()
        terms = cov[0, 0] / mu_d**2 - 2 * mu_m * cov[0, 1] / mu_d**3
        return (terms + mu_m**2 * cov[1, 1] / mu_d**4) / m.size

    result = treatment([ratio_stats(ma, da), ratio_stats(mb, db)], ABSOLUTE, kind="ratio")
    assert_close(result.effect, mb.sum() / db.sum() - ma.sum() / da.sum())
    assert_close(result.standard_error**2, ratio_var(ma, da) + ratio_var(mb, db))
    # The same variance from the linearised unit values (m - R d) / mean(d).
    linear = [(m - m.sum() / d.sum() * d) / d.mean() for m, d in ((ma, da), (mb, db))]
    assert_close(result.standard_error**2, sum(x.var(ddof=1) / x.size for x in linear))


def _correlated(rng: np.random.Generator, n: int, shift: float) -> tuple[np.ndarray, np.ndarray]:
    x = rng.gamma(2.0, 3.0, n)
    y = 0.8 * x + rng.normal(2.0 + shift, 2.0, n)
    return y, x


def test_cuped_mean_is_welch_on_adjusted_values_with_pooled_theta():
    rng = np.random.default_rng(11)
    (ya, xa), (yb, xb) = _correlated(rng, 2000, 0.0), _correlated(rng, 2100, 0.3)
    y, x = np.concatenate([ya, yb]), np.concatenate([xa, xb])
    theta = np.cov(y, x, ddof=1)[0, 1] / x.var(ddof=1)
    arms = [mean_stats(ya, xa), mean_stats(yb, xb)]
    result = treatment(arms, ABSOLUTE, cuped=True)
    reference = sps.ttest_ind(yb - theta * xb, ya - theta * xa, equal_var=False)
    low, high = reference.confidence_interval(confidence_level=0.95)
    assert_close(result.theta, theta)
    assert_close(result.p_value, reference.pvalue)
    assert_close(result.ci[0], low)
    assert_close(result.ci[1], high)


def test_cuped_relative_is_the_delta_method_on_four_means():
    rng = np.random.default_rng(12)
    (ya, xa), (yb, xb) = _correlated(rng, 1500, 0.0), _correlated(rng, 1600, 0.4)
    result = treatment([mean_stats(ya, xa), mean_stats(yb, xb)], RELATIVE, cuped=True)
    theta = result.theta
    # g(beta) = ((yb - theta xb) - (ya - theta xa)) / ya over beta = (ya, xa, yb, xb)
    beta = np.array([ya.mean(), xa.mean(), yb.mean(), xb.mean()])
    diff = (beta[2] - theta * beta[3]) - (beta[0] - theta * beta[1])
    grad = np.array(
        [-1 / beta[0] - diff / beta[0] ** 2, theta / beta[0], 1 / beta[0], -theta / beta[0]]
    )
    cov = np.zeros((4, 4))
    cov[:2, :2] = np.cov(ya, xa, ddof=1) / ya.size
    cov[2:, 2:] = np.cov(yb, xb, ddof=1) / yb.size
    assert_close(result.effect, diff / beta[0])
    assert_close(result.standard_error**2, grad @ cov @ grad)


def test_cuped_proportion_uses_n_moments():
    rng = np.random.default_rng(13)
    xa, xb = rng.binomial(1, 0.3, 4000).astype(float), rng.binomial(1, 0.3, 4000).astype(float)
    ya = (rng.random(4000) < 0.1 + 0.3 * xa).astype(float)
    yb = (rng.random(4000) < 0.12 + 0.3 * xb).astype(float)
    result = treatment(
        [mean_stats(ya, xa), mean_stats(yb, xb)], ABSOLUTE, kind="proportion", cuped=True
    )
    y, x = np.concatenate([ya, yb]), np.concatenate([xa, xb])
    theta = np.cov(y, x, ddof=0)[0, 1] / x.var()
    adjusted = [np.var(yy - theta * xx) / yy.size for yy, xx in ((ya, xa), (yb, xb))]
    assert_close(result.theta, theta)
    assert_close(result.standard_error**2, sum(adjusted))
    assert_close(result.effect, (yb - theta * xb).mean() - (ya - theta * xa).mean())


def test_ratio_cuped_is_welch_on_linearised_values():
    rng = np.random.default_rng(14)

    def arm(n: int, lift: float) -> tuple[np.ndarray, ...]:
        activity = rng.gamma(3.0, 1.0, n)
        d_pre = rng.poisson(activity) + 1.0
        d = rng.poisson(activity) + 1.0
        m_pre = rng.binomial(d_pre.astype(int), 0.3).astype(float)
        m = rng.binomial(d.astype(int), 0.3 * (1 + lift)).astype(float) + 0.5 * m_pre
        return m, d, m_pre, d_pre

    a, b = arm(2500, 0.0), arm(2600, 0.03)
    result = treatment([ratio_stats(*a), ratio_stats(*b)], ABSOLUTE, kind="ratio", cuped=True)

    def linear(m, d, m_pre, d_pre, ref):
        r, p = ref[0].sum() / ref[1].sum(), ref[2].sum() / ref[3].sum()
        return (m - r * d) / ref[1].mean(), (m_pre - p * d_pre) / ref[3].mean()

    pooled = tuple(np.concatenate([u, v]) for u, v in zip(a, b, strict=True))
    u, p = linear(*pooled, pooled)
    theta = np.cov(u, p, ddof=1)[0, 1] / p.var(ddof=1)
    variance = 0.0
    for arm_data in (a, b):
        u, p = linear(*arm_data, arm_data)
        variance += (u - theta * p).var(ddof=1) / u.size
    effect = [m.sum() / d.sum() - theta * mp.sum() / dp.sum() for m, d, mp, dp in (a, b)]
    assert_close(result.theta, theta)
    assert_close(result.effect, effect[1] - effect[0])
    assert_close(result.standard_error**2, variance)
    unadjusted = treatment([ratio_stats(*a[:2]), ratio_stats(*b[:2])], ABSOLUTE, kind="ratio")
    assert result.standard_error < 0.95 * unadjusted.standard_error


def test_quantile_metric_uses_the_bounds_as_a_standard_error():
    def stats(q: float, low: float, high: float, n: int, nstar: int) -> SufficientStatistics:
        return SufficientStatistics(
            users=n,
            quantile_n=n,
            quantile_nstar=nstar,
            quantile=q,
            quantile_lower=low,
            quantile_upper=high,
        )

    arms = [stats(10.0, 9.5, 10.6, 5000, 5000), stats(10.8, 10.1, 11.4, 5200, 4000)]
    result = treatment(arms, ABSOLUTE, kind="quantile", quantile_level=0.9)
    z = sps.norm.ppf(0.975)
    # SE^2 at n units = ((upper - lower) / (2 z))^2 * n* / n
    variance = (1.1 / (2 * z)) ** 2 + (1.3 / (2 * z)) ** 2 * 4000 / 5200
    assert_close(result.effect, 0.8)
    assert_close(result.standard_error**2, variance)


def test_every_variation_is_compared_with_the_baseline(samples):
    a, b = samples
    c = b[:700] * 1.1
    three = run([mean_stats(a), mean_stats(b), mean_stats(c)], RELATIVE)
    for index, other in ((1, b), (2, c)):
        pair = treatment([mean_stats(a), mean_stats(other)], RELATIVE)
        assert three.variations[index].effect == pytest.approx(pair.effect, rel=1e-12)
        assert three.variations[index].p_value == pytest.approx(pair.p_value, rel=1e-12)


def _golden(mean: float, sd: float, n: int) -> SufficientStatistics:
    return SufficientStatistics(
        users=n, main_sum=mean * n, main_sum_squares=(n - 1) * sd**2 + n * mean**2
    )


def test_growthbook_golden_values_mean():
    # GrowthBook packages/stats/tests/frequentist/test_tests.py, 5 decimals.
    arms = [_golden(0.41, 3.9, 3407), _golden(0.7, 6.2, 3461)]
    relative = treatment(arms, RELATIVE)
    assert np.round([relative.effect, relative.standard_error, relative.p_value], 5).tolist() == [
        0.70732,
        0.37879,
        0.06191,
    ]
    assert np.round(relative.ci, 5).tolist() == [-0.03526, 1.44989]
    absolute = treatment(arms, ABSOLUTE)
    assert np.round([absolute.effect, absolute.standard_error, absolute.p_value], 5).tolist() == [
        0.29,
        0.12478,
        0.02016,
    ]
    assert np.round(absolute.ci, 5).tolist() == [0.04538, 0.53462]


def test_growthbook_golden_values_proportion():
    arms = [
        SufficientStatistics(users=28, main_sum=14),
        SufficientStatistics(users=30, main_sum=16),
    ]
    result = treatment(arms, RELATIVE, kind="proportion")
    assert np.round([result.effect, result.standard_error, result.p_value], 5).tolist() == [
        0.06667,
        0.2717,
        0.80707,
    ]
    assert np.round(result.ci, 5).tolist() == [-0.47767, 0.61101]
