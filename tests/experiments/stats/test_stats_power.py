"""Power calculations against statsmodels."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.power import NormalIndPower

from pilothouse.experiments.stats import (
    experiment_duration,
    mid_experiment_power,
    minimum_detectable_effect,
    power,
    required_sample_size,
)
from pilothouse.experiments.stats.power import critical_value


@pytest.mark.parametrize("test", ["two-sided", "greater", "less"])
def test_power_matches_statsmodels(test):
    sigma, n_a, n_b, effect = 2.0, 4000, 6000, 0.12
    se = np.sqrt(sigma**2 / n_a + sigma**2 / n_b)
    signed = -effect if test == "less" else effect
    alternative = {"two-sided": "two-sided", "greater": "larger", "less": "smaller"}[test]
    expected = NormalIndPower().power(
        signed / sigma, n_b, 0.05, ratio=n_a / n_b, alternative=alternative
    )
    assert float(power(signed, se, 0.05, test)) == pytest.approx(expected, rel=1e-9)


def test_mde_and_sample_size_round_trip_through_statsmodels():
    sigma, n = 3.0, 5000
    mde = float(minimum_detectable_effect(sigma**2, n, n, 0.05, 0.8))
    achieved = NormalIndPower().power(mde / sigma, n, 0.05, ratio=1.0)
    assert achieved == pytest.approx(0.8, abs=1e-5)  # the far tail adds ~1e-6
    total = float(required_sample_size(sigma**2, mde, 0.05, 0.8))
    assert total == pytest.approx(2 * n, abs=1)


def test_relative_mde_scales_by_the_mean():
    absolute = minimum_detectable_effect(4.0, 1000, 1000)
    relative = minimum_detectable_effect(4.0, 1000, 1000, mean=-8.0)
    assert float(relative) == pytest.approx(float(absolute) / 8.0, rel=1e-12)


def test_duration_rounds_up_whole_days_and_vectorises():
    days = experiment_duration([1.0, 4.0], 0.05, daily_units=1000)
    total = required_sample_size([1.0, 4.0], 0.05)
    np.testing.assert_array_equal(days, np.ceil(total / 1000))
    assert days[1] > days[0]


def test_mid_experiment_power_uses_the_planned_sample():
    se_now, n_now, n_end = 0.05, 2000, 8000
    assert float(mid_experiment_power(0.1, se_now, n_now, n_end)) == pytest.approx(
        float(power(0.1, se_now / 2, 0.05)), rel=1e-12
    )


def test_sequential_needs_a_larger_effect():
    fixed = minimum_detectable_effect(1.0, 5000, 5000)
    sequential = minimum_detectable_effect(1.0, 5000, 5000, sequential_tuning=10000)
    assert sequential > fixed
    assert float(critical_value(0.05, "greater", 10000, 10000)) > float(
        critical_value(0.05, "greater")
    )
