"""Daily metric anomalies: values outside the metric's normal variation.

Product metrics move with the day of the week and drift with growth, so a fixed
threshold or a plain z-score raises alarms every weekend and every month of growth.
Each day is compared with a forecast made only from the days before it (so a step
shows up the day it happens, not once it dominates the history):

1. **Trend**: a Theil–Sen line through the last ``window`` days (the median of the
   pairwise slopes, robust to the outliers it is looking for), fitted after the
   weekly pattern is taken out.
2. **Weekly seasonality**: the median residual of each weekday over the window.
3. **Scale**: 1.4826 × the median absolute deviation (MAD, a robust standard
   deviation) of the forecast errors of the previous ``error_window`` days, with a
   floor so that a flat series does not alarm on rounding.

A positive metric is modelled on the log scale (weekday effects and noise as shares
of the level, trend as growth), any other on its own scale.

A day is anomalous when ``|value − forecast| / scale`` passes the one-day
threshold of the sensitivity preset, or when it and the day before, in the same
direction, pass the two-day threshold together (``|z₁ + z₂|/√2``), so that a step a
little smaller than the one-day threshold is still caught on its second day. The
sensitivity presets and their measured false-alarm and detection rates are in
docs/benchmarks.md (``benchmarks/metric_anomalies.py``).

Pure: numbers in, results out; no database, no web (like the stats engine).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["SENSITIVITY", "AnomalyConfig", "DayCheck", "check_series", "forecast_day"]

Array = NDArray[np.float64]
Sensitivity = Literal["low", "medium", "high"]

#: Thresholds in robust standard deviations of a forecast error, per preset: for one
#: day, and for the scaled sum of two consecutive days in the same direction.
SENSITIVITY: dict[str, tuple[float, float]] = {
    "low": (3.5, 3.0),
    "medium": (3.0, 2.6),
    "high": (2.5, 2.5),
}
#: Days forecast (and not yet judged) before the first verdict, to learn the scale.
_MIN_ERRORS = 14
_MAD_TO_SD = 1.4826


@dataclass(frozen=True)
class AnomalyConfig:
    """How anomalies are judged.

    Args:
        sensitivity: ``low`` (fewest alarms), ``medium`` or ``high`` (most alarms).
        window: Days of history the forecast uses (at least 21, whole weeks are best).
        min_history: Days of history needed for a forecast; the first verdict
            comes 14 forecasts later, once the forecast error's scale is known.
        relative_floor: The scale is never below this share of the typical level,
            so a nearly constant series does not alarm on tiny moves.
        error_window: How many past one-day-ahead forecast errors set the scale.
    """

    sensitivity: Sensitivity = "medium"
    window: int = 84
    min_history: int = 28
    relative_floor: float = 0.002
    error_window: int = 56

    def __post_init__(self) -> None:
        if self.sensitivity not in SENSITIVITY:
            raise ValueError(f"sensitivity must be one of {', '.join(SENSITIVITY)}")
        if self.window < 21 or self.min_history < 14 or self.min_history > self.window:
            raise ValueError("window must be >= 21 days and min_history 14..window days")

    @property
    def thresholds(self) -> tuple[float, float]:
        """``(one day, two days)`` thresholds of the preset."""
        return SENSITIVITY[self.sensitivity]


@dataclass(frozen=True)
class DayCheck:
    """The verdict on one day.

    Attributes:
        day: The date judged.
        value: The observed value.
        expected: The forecast from the days before.
        scale: The robust standard deviation of a forecast error, in the metric's unit.
        score: The forecast error in robust standard deviations (on the log scale
            for a positive metric, so about ``(value - expected) / scale``).
        anomalous: Whether the day is outside normal variation.
        direction: ``"up"``, ``"down"`` or ``None``.
    """

    day: date
    value: float
    expected: float
    scale: float
    score: float
    anomalous: bool
    direction: str | None


def _theil_sen(x: Array, y: Array) -> tuple[float, float]:
    # slope = median over pairs i<j of (y_j - y_i)/(x_j - x_i); intercept = median(y - slope x)
    i, j = np.triu_indices(len(x), k=1)
    slope = float(np.median((y[j] - y[i]) / (x[j] - x[i])))
    return slope, float(np.median(y - slope * x))


def forecast_day(
    history: ArrayLike, weekdays: ArrayLike, target_weekday: int
) -> tuple[float, float]:
    """The expected value of the next day and the robust scale of the forecast error.

    Args:
        history: The values of the window, oldest first (no gaps; missing days are 0
            for counts, or leave them out of the window).
        weekdays: Weekday (0 = Monday) of each history value.
        target_weekday: Weekday of the day to forecast.

    Returns:
        ``(expected, scale)``.
    """
    y = np.asarray(history, dtype=float)
    wd = np.asarray(weekdays, dtype=int)
    x = np.arange(len(y), dtype=float)
    slope, intercept = _theil_sen(x, y)
    seasonal = _weekday_effects(y - (intercept + slope * x), wd)
    slope, intercept = _theil_sen(x, y - seasonal[wd])
    residuals = y - seasonal[wd] - (intercept + slope * x)
    # The level is taken from the last four weeks only: a line through the whole
    # window, extrapolated from its middle, misses where growth bends.
    recent = slice(max(0, len(y) - 28), len(y))
    intercept += float(np.median(residuals[recent]))
    scale = _MAD_TO_SD * float(np.median(np.abs(residuals - np.median(residuals))))
    expected = intercept + slope * len(y) + seasonal[target_weekday]
    return expected, scale


def _weekday_effects(residuals: Array, weekdays: NDArray[np.int_]) -> Array:
    # A mean without the highest and lowest value of each weekday: nearly as precise
    # as the mean on clean weeks (the median wastes a third of the data), yet one
    # anomalous day in the window does not move the effect.
    effects = np.zeros(7)
    for day in range(7):
        values = np.sort(residuals[weekdays == day])
        if values.size > 4:
            values = values[1:-1]
        if values.size:
            effects[day] = values.mean()
    return effects - np.median(effects)


def check_series(
    days: list[date], values: ArrayLike, config: AnomalyConfig | None = None
) -> list[DayCheck]:
    """Judge every day that has enough history before it.

    Args:
        days: Consecutive dates, oldest first.
        values: One value per date (``nan`` for a day without a value: it is
            neither judged nor used).
        config: Sensitivity and window; defaults to :class:`AnomalyConfig`.

    Returns:
        One :class:`DayCheck` per judged day, oldest first.
    """
    config = config or AnomalyConfig()
    y = np.asarray(values, dtype=float)
    if len(days) != len(y):
        raise ValueError("days and values must have the same length")
    weekdays = np.array([d.weekday() for d in days])
    # A positive metric is modelled on the log scale: weekday effects and noise are
    # then proportions of the level, so a growing metric's weekend gap grows with it.
    logged = bool(np.all(y[~np.isnan(y)] > 0))
    z = np.log(y) if logged else y
    errors: list[float] = []
    checks: list[DayCheck] = []
    previous_score: float | None = None
    for t in range(config.min_history, len(z)):
        window, wd = z[max(0, t - config.window) : t], weekdays[max(0, t - config.window) : t]
        known = ~np.isnan(window)
        if np.isnan(z[t]) or known.sum() < config.min_history:
            previous_score = None
            continue
        expected, _ = forecast_day(window[known], wd[known], int(weekdays[t]))
        if len(errors) < _MIN_ERRORS:  # still learning how far forecasts miss
            errors.append(z[t] - expected)
            continue
        floor = config.relative_floor if logged else config.relative_floor * _level(window)
        past = np.asarray(errors[-config.error_window :])
        bias = float(np.median(past))  # a forecast that keeps missing one way is corrected
        scale = max(_scale(past), floor, 1e-12)
        expected += bias
        score = (z[t] - expected) / scale
        errors.append(z[t] - expected)
        forecast = float(np.exp(expected)) if logged else expected
        spread = forecast * scale if logged else scale
        checks.append(_verdict(days[t], y[t], forecast, spread, score, previous_score, config))
        previous_score = score
    return checks


def _level(window: Array) -> float:
    return float(np.nanmedian(np.abs(window)))


def _scale(past_errors: Array) -> float:
    """The robust sd of a one-day-ahead forecast error.

    Measured on the forecasts of the previous days (on the log scale for a positive
    metric, so that low weekend values get a smaller scale).
    In-window residuals would miss the error of the estimated trend and weekday
    effects: they understate it by about a third in simulation, which tripled false
    alarms (benchmarks/metric_anomalies.py).
    """
    return _MAD_TO_SD * float(np.median(np.abs(past_errors - np.median(past_errors))))


def _verdict(
    day: date,
    value: float,
    expected: float,
    scale: float,
    score: float,
    previous: float | None,
    config: AnomalyConfig,
) -> DayCheck:
    one_day, two_days = config.thresholds
    # Two days in the same direction: their sum, scaled to unit variance, is judged
    # against the two-day threshold.
    two_day = (
        previous is not None
        and np.sign(previous) == np.sign(score)
        and abs(previous + score) / np.sqrt(2) > two_days
    )
    anomalous = bool(abs(score) > one_day or two_day)
    direction = ("up" if score > 0 else "down") if anomalous else None
    return DayCheck(
        day, float(value), float(expected), float(scale), float(score), anomalous, direction
    )
