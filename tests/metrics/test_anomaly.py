"""The daily anomaly detector, on simulated metrics whose truth is known.

Independent references: the simulation's own noise (a 3σ step or spike is defined by
the noise the series was built with, not by the detector's estimate) and hand-made
series whose every value is known.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from pilothouse.metrics.anomaly import AnomalyConfig, check_series, forecast_day

START = date(2026, 1, 5)  # a Monday


def _days(n: int) -> list[date]:
    return [START + timedelta(days=i) for i in range(n)]


def _metric(rng: np.random.Generator, n: int = 150) -> tuple[list[date], np.ndarray, np.ndarray]:
    """A daily metric with growth, a weekend dip and 5% noise; returns (days, values, sd)."""
    days = _days(n)
    base = rng.uniform(500, 3000) * (1 + rng.uniform(-0.003, 0.003) * np.arange(n))
    base *= np.array([1.0 if d.weekday() < 5 else 0.7 for d in days])
    return days, base * (1 + rng.normal(0, 0.05, n)), 0.05 * base


def test_the_forecast_follows_trend_and_weekday_pattern_exactly_on_a_clean_series():
    days = _days(84)
    weekday = np.array([10.0, 12, 11, 13, 9, -20, -25])
    values = 1000 + 2.0 * np.arange(84) + weekday[[d.weekday() for d in days]]
    expected, scale = forecast_day(values, [d.weekday() for d in days], 0)
    # Day 84 is a Monday: level 1000 + 2*84 plus Monday's effect (relative to the median).
    assert expected == pytest.approx(1000 + 2 * 84 + 10.0 - np.median(weekday) + np.median(weekday))
    assert scale == pytest.approx(0.0, abs=1e-9)


def test_weekends_and_growth_alone_raise_no_alarm():
    days = _days(120)
    values = np.array(
        [(1000 + 5 * i) * (0.6 if d.weekday() >= 5 else 1.0) for i, d in enumerate(days)]
    )
    values *= 1 + np.random.default_rng(1).normal(0, 0.02, 120)
    assert not any(check.anomalous for check in check_series(days, values))


def test_a_large_drop_is_flagged_down_on_its_day():
    rng = np.random.default_rng(2)
    days, values, sd = _metric(rng, 100)
    values[99] -= 8 * sd[99]
    last = check_series(days, values)[-1]
    assert last.day == days[99] and last.anomalous and last.direction == "down"
    assert last.expected == pytest.approx(values[99] + 8 * sd[99], rel=0.05)


def test_days_without_history_or_value_are_not_judged():
    rng = np.random.default_rng(3)
    days, values, _ = _metric(rng, 60)
    values[50] = np.nan
    judged = {check.day for check in check_series(days, values)}
    assert days[50] not in judged
    assert min(judged) == days[28 + 14]  # 28 days of history, then 14 forecasts to learn the scale


def test_false_alarms_and_step_detection_on_simulated_metrics():
    """About 60 metric-months per preset: medium stays under 1 false alarm per
    metric-month, and high finds most 3σ steps within two days (the full
    measurement is benchmarks/metric_anomalies.py, in docs/benchmarks.md)."""
    rng = np.random.default_rng(2026)
    false_alarms = {"medium": 0, "high": 0}
    found = 0
    months = 0.0
    for _ in range(24):
        days, values, sd = _metric(rng)
        for sensitivity in false_alarms:
            checks = check_series(days, values, AnomalyConfig(sensitivity=sensitivity))
            false_alarms[sensitivity] += sum(check.anomalous for check in checks)
        months += len(checks) / 30
        stepped = values.copy()
        stepped[140:] += 3 * sd[140:]
        checks = check_series(days[:142], stepped[:142], AnomalyConfig(sensitivity="high"))
        found += checks[-1].anomalous or checks[-2].anomalous
    assert false_alarms["medium"] / months <= 1.0
    assert false_alarms["medium"] <= false_alarms["high"]
    assert found / 24 >= 0.75


def test_bad_configuration_is_refused():
    with pytest.raises(ValueError, match="sensitivity"):
        AnomalyConfig(sensitivity="extreme")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="window"):
        AnomalyConfig(window=10)
    with pytest.raises(ValueError, match="same length"):
        check_series(_days(3), [1.0, 2.0])
