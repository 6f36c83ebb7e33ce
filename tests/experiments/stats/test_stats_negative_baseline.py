"""Relative effects on a metric whose baseline mean is negative (profit, net balance change).

The relative effect is ``(m_b - m_a) / |m_a|``: its sign is the sign of the difference,
so "the variation is better" reads the same as for positive metrics. Checked against
the textbook delta method on raw data and by simulation (coverage, false positives);
only a zero baseline is an error.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from pilothouse.experiments.stats import AnalysisConfig, SufficientStatistics, analyze_block, codes

EXPERIMENTS = 2000


def _block(a: np.ndarray, b: np.ndarray) -> SufficientStatistics:
    arms = np.stack([a, b], axis=1)
    return SufficientStatistics(
        users=np.full(arms.shape[:2], float(arms.shape[2])),
        main_sum=arms.sum(-1),
        main_sum_squares=np.square(arms).sum(-1),
    )


def test_relative_effect_divides_by_the_size_of_a_negative_baseline():
    rng = np.random.default_rng(11)
    a = rng.normal(-10.0, 4.0, 800)
    b = rng.normal(-9.0, 4.0, 800)  # less negative: the variation is better
    result = analyze_block(_block(a[None, :], b[None, :]), "mean", False, AnalysisConfig())
    m_a, m_b = a.mean(), b.mean()
    # Textbook delta method for (m_b - m_a) / |m_a|, written out independently.
    expected = (m_b - m_a) / abs(m_a)
    variance = b.var(ddof=1) / (len(b) * m_a**2) + m_b**2 * a.var(ddof=1) / (len(a) * m_a**4)
    assert expected > 0
    assert np.isclose(result.effect[0, 0], expected, rtol=1e-9)
    assert np.isclose(result.standard_error[0, 0], np.sqrt(variance), rtol=1e-9)
    # Welch-Satterthwaite degrees of freedom of the difference, as for positive metrics.
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    t_stat = expected / np.sqrt(variance)
    assert np.isclose(result.p_value[0, 0], 2 * sps.t.sf(abs(t_stat), dof), rtol=1e-6)
    assert result.error[0, 0] is None


def test_a_worse_variation_on_a_negative_metric_has_a_negative_relative_effect():
    rng = np.random.default_rng(12)
    a = rng.normal(-10.0, 4.0, (1, 1000))
    b = rng.normal(-12.0, 4.0, (1, 1000))
    result = analyze_block(_block(a, b), "mean", False, AnalysisConfig())
    assert result.effect[0, 0] < 0
    assert result.upper[0, 0] < 0


def test_intervals_cover_the_true_relative_effect_with_a_negative_baseline():
    rng = np.random.default_rng(13)
    a = rng.normal(-10.0, 5.0, (EXPERIMENTS, 1000))
    b = rng.normal(-9.5, 5.0, (EXPERIMENTS, 1000))
    result = analyze_block(_block(a, b), "mean", False, AnalysisConfig())
    truth = (-9.5 - -10.0) / 10.0
    covered = (result.lower[:, 0] <= truth) & (truth <= result.upper[:, 0])
    assert 0.94 <= np.mean(covered) <= 0.96


def test_aa_false_positive_rate_with_a_negative_baseline():
    rng = np.random.default_rng(14)
    a = rng.normal(-3.0, 5.0, (EXPERIMENTS, 1000))
    b = rng.normal(-3.0, 5.0, (EXPERIMENTS, 1000))
    result = analyze_block(_block(a, b), "mean", False, AnalysisConfig())
    assert 0.04 <= np.mean(result.p_value[:, 0] < 0.05) <= 0.06


def test_only_a_zero_baseline_is_an_error():
    stats = SufficientStatistics(
        users=np.array([[100.0, 100.0]]),
        main_sum=np.array([[0.0, 5.0]]),
        main_sum_squares=np.array([[40.0, 9.0]]),
    )
    result = analyze_block(stats, "mean", False, AnalysisConfig())
    assert result.error[0, 0] == codes.ZERO_BASELINE
    assert np.isnan(result.effect[0, 0])
