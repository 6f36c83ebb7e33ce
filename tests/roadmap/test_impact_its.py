"""The interrupted-time-series estimator against statsmodels (same numbers) and by
simulation (95 % intervals cover a known step about 95 % of the time; with no step,
"changed" is said about 5 % of the time); and its plain refusals."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
import statsmodels.api as sm

from pilothouse.roadmap.impact.its import (
    ItsConfig,
    Status,
    default_lags,
    estimate_level_change,
)

GA = date(2026, 9, 1)


def _series(
    rng: np.random.Generator, before: int, after: int, step: float, phi: float = 0.3
) -> tuple[list[date], np.ndarray]:
    """A daily AR(1) series with a pre-trend and a level step at GA."""
    n = before + after
    noise = np.empty(n)
    noise[0] = rng.normal() / np.sqrt(1 - phi**2)
    for t in range(1, n):
        noise[t] = phi * noise[t - 1] + rng.normal()
    offsets = np.arange(-before, after)
    values = 50 + 0.05 * offsets + step * (offsets >= 0) + noise
    return [GA + timedelta(days=int(o)) for o in offsets], values


def _statsmodels(days: list[date], values: np.ndarray, lags: int, dow: bool) -> object:
    offsets = np.array([(d - GA).days for d in days], dtype=float)
    columns = [np.ones_like(offsets), offsets, (offsets >= 0).astype(float)]
    if dow:
        weekdays = np.array([d.weekday() for d in days])
        # Effect coding (Monday = -1 in every column): the constant is an average day.
        columns += [(weekdays == k) - (weekdays == 0).astype(float) for k in range(1, 7)]
    model = sm.OLS(values, np.column_stack(columns))
    return model.fit(cov_type="HAC", cov_kwds={"maxlags": lags})


@pytest.mark.parametrize("dow", [False, True])
def test_same_numbers_as_statsmodels_hac(dow: bool) -> None:
    rng = np.random.default_rng(7)
    days, values = _series(rng, 70, 45, step=-3.0)
    config = ItsConfig(day_of_week=dow, critical="normal")
    result = estimate_level_change(days, list(values), GA, config)
    reference = _statsmodels(days, values, default_lags(len(values)), dow)
    low, high = reference.conf_int(alpha=0.05)[2]
    assert result.lags == default_lags(115) == 4
    assert result.level_change == pytest.approx(reference.params[2], rel=1e-9)
    assert result.std_error == pytest.approx(reference.bse[2], rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-9)
    assert result.p_value == pytest.approx(reference.pvalues[2], rel=1e-6, abs=1e-300)
    assert result.counterfactual == pytest.approx(reference.params[0], rel=1e-9)
    assert result.pre_trend_per_day == pytest.approx(reference.params[1], rel=1e-9)
    assert result.status == Status.fell


def test_explicit_lags_match_too() -> None:
    days, values = _series(np.random.default_rng(3), 40, 40, step=0.0, phi=0.6)
    result = estimate_level_change(days, list(values), GA, ItsConfig(max_lags=9, day_of_week=False))
    reference = _statsmodels(days, values, 9, False)
    # The calibrated interval keeps statsmodels' estimate and standard error and only
    # widens the multiplier (short autocorrelated series).
    assert result.level_change == pytest.approx(reference.params[2], rel=1e-9)
    assert result.critical_value is not None and result.critical_value > 1.96
    assert result.ci_high - result.ci_low == pytest.approx(
        2 * result.critical_value * reference.bse[2], rel=1e-9
    )
    assert result.std_error == pytest.approx(reference.bse[2], rel=1e-9)


def _simulate(
    step: float, runs: int, seed: int, config: ItsConfig | None = None
) -> tuple[float, float]:
    """Share of runs whose interval covers ``step``, and share that say "changed"."""
    rng = np.random.default_rng(seed)
    covered = changed = 0
    for _ in range(runs):
        days, values = _series(rng, 60, 60, step)
        result = estimate_level_change(days, list(values), GA, config)
        assert result.ci_low is not None and result.ci_high is not None
        covered += result.ci_low <= step <= result.ci_high
        changed += not result.cannot_tell
    return covered / runs, changed / runs


def test_interval_covers_a_known_step_about_95_percent_of_the_time() -> None:
    coverage, changed = _simulate(step=2.0, runs=1000, seed=11)
    assert 0.925 <= coverage <= 0.97, coverage  # 1,000 runs: about ±1.4 points
    assert changed > 0.95  # a step of 2 noise SDs is found nearly always


def test_without_a_step_changed_is_said_about_5_percent_of_the_time() -> None:
    _coverage, changed = _simulate(step=0.0, runs=1000, seed=12)
    assert 0.03 <= changed <= 0.075, changed


def test_plain_normal_intervals_undercover_which_is_why_they_are_calibrated() -> None:
    coverage, _changed = _simulate(step=0.0, runs=400, seed=13, config=ItsConfig(critical="normal"))
    assert coverage < 0.925, coverage


def test_says_plainly_when_the_data_cannot_tell() -> None:
    days, values = _series(np.random.default_rng(1), 60, 5, step=4.0)
    recent = estimate_level_change(days, list(values), GA)
    assert recent.status == Status.too_few_after and recent.cannot_tell
    assert "5 days of data since GA" in recent.message and recent.level_change is None
    days, values = _series(np.random.default_rng(1), 6, 60, step=4.0)
    early = estimate_level_change(days, list(values), GA)
    assert early.status == Status.too_few_before and "6 days of data before GA" in early.message
    days, _values = _series(np.random.default_rng(1), 30, 30, step=0.0)
    flat = estimate_level_change(days, [3.0] * len(days), GA)
    assert flat.status == Status.constant
    days, values = _series(np.random.default_rng(2), 30, 30, step=0.0, phi=0.0)
    unclear = estimate_level_change(days, list(values), GA)
    if unclear.status == Status.no_clear_change:
        assert unclear.ci_low is not None and unclear.ci_low <= 0 <= (unclear.ci_high or 0)
        assert "cannot tell" in unclear.message


def test_missing_days_are_dropped_and_a_40_percent_fall_is_measured() -> None:
    rng = np.random.default_rng(5)
    offsets = range(-50, 35)
    days = [GA + timedelta(days=o) for o in offsets]
    values: list[float | None] = [float(rng.poisson(40 if o < 0 else 24)) for o in offsets]
    values[10] = None
    values[60] = float("nan")
    result = estimate_level_change(days, values, GA)
    assert result.days_before == 49 and result.days_after == 34
    assert result.status == Status.fell
    assert result.relative_change == pytest.approx(-0.4, abs=0.1)
    assert result.relative_ci_low < result.relative_change < result.relative_ci_high
    assert result.mean_before == pytest.approx(40, abs=2.5)
    assert result.mean_after == pytest.approx(24, abs=2.5)


def test_a_page_fits_a_series_once_and_the_kept_fit_is_a_fresh_ones() -> None:
    """Item and launch pages measure their metrics on every view; the fit (seeded
    bootstrap included) is kept per series, and a changed series is fitted again."""
    from pilothouse.roadmap.impact.measure import _level_change

    days, values = _series(np.random.default_rng(11), 40, 30, step=2.0)
    series = tuple(float(v) for v in values)
    kept = _level_change(tuple(days), series, GA, None)
    assert _level_change(tuple(days), series, GA, None) is kept
    fresh = estimate_level_change(days, list(series), GA)
    assert (kept.status, kept.level_change, kept.ci_low, kept.ci_high) == (
        fresh.status,
        fresh.level_change,
        fresh.ci_low,
        fresh.ci_high,
    )
    moved = _level_change(tuple(days), (*series[:-1], series[-1] + 50.0), GA, None)
    assert moved is not kept and moved.level_change != kept.level_change
