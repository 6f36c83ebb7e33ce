"""Daily metric anomalies: values outside the metric's normal variation.

Product metrics move with the day of the week and drift with growth, so a fixed
threshold or a plain z-score raises alarms every weekend and every month of growth.
Each day is compared with a forecast made only from the days before it (so a step
shows up the day it happens, not once it dominates the history):

1. **Weekly seasonality**: per weekday, the mean residual (without that weekday's
   highest and lowest value) around a Theil–Sen line through the last
   ``season_window`` days (26 weeks: the weekday effects are the largest part of the
   forecast's own error, so they get the longest history).
2. **Trend**: a Theil–Sen line (the median of the pairwise slopes, robust to the
   outliers it is looking for) through the last ``window`` days with the weekly
   pattern taken out; the level is the trimmed mean of the last four weeks'
   residuals, so the forecast follows growth that bends.
3. **Forecast error variance**: a forecast from estimated effects errs by more than
   the noise: ``σ²(1 + h)``, where ``h`` counts the estimates' own variance (one over
   the days behind the weekday effect and the level, plus the trend's extrapolation).
   ``σ`` is a robust (winsorized) standard deviation of the previous ``error_window``
   forecast errors, each divided by its ``√(1 + h)``; yesterday's error is left out,
   so a step does not inflate the scale it is judged by.

A positive metric is modelled on the log scale (weekday effects and noise as shares
of the level, trend as growth), any other on its own scale.

Two scores judge a day, both converted from a Student t (the scale is estimated
from few errors at first) to standard-normal units:

- **one day**: today's error over its standard deviation;
- **two days**: yesterday's and today's errors from forecasts made *before
  yesterday* (so yesterday's value is not yet in the level), summed and divided by
  that sum's own standard deviation (measured on past pairs the same way, so
  correlated noise widens it). A step of 2.6 standard deviations scores about
  ``2 × 2.6 / √2 ≈ 3.7`` on its second day.

A day is anomalous when its one-day score passes the preset's one-day threshold, or
when its two-day score passes the two-day threshold with both days at least half a
standard deviation off in the same direction. The thresholds come from a false-alarm
budget for normal scores (see ``design_alarm_rate``), checked by simulation in
docs/benchmarks.md (``benchmarks/metric_anomalies.py``).

Pure: numbers in, results out; no database, no web (like the stats engine).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special  # scipy.stats loads lazily: a second of the app's start-up

__all__ = [
    "PAIR_MIN",
    "SENSITIVITY",
    "AnomalyConfig",
    "DayCheck",
    "alarms",
    "check_series",
    "design_alarm_rate",
    "forecast_day",
]

Array = NDArray[np.float64]
Sensitivity = Literal["low", "medium", "high"]

#: Thresholds in standard deviations, per preset: for one day's score, and for the
#: two-day score. Chosen for a budget of false alarms per day on normal scores
#: (:func:`design_alarm_rate`: about 0.28, 0.83 and 1.41 a month for low, medium
#: and high); the simulated rates are in docs/benchmarks.md.
SENSITIVITY: dict[str, tuple[float, float]] = {
    "low": (3.5, 2.6),
    "medium": (3.0, 2.2),
    "high": (2.6, 2.0),
}
#: For a two-day alarm, each day must be at least this many standard deviations off
#: in the alarm's direction: one very large day alone must not flag the next one too.
PAIR_MIN = 0.5
#: Days forecast (and not yet judged) before the first verdict, to learn the scale.
_MIN_ERRORS = 14
#: Past two-day sums needed before the two-day score is used.
_MIN_PAIRS = 7
#: Days of residuals that set the level (the last four weeks).
_LEVEL_DAYS = 28
_MAD_TO_SD = 1.4826
#: Errors are clipped at this many robust standard deviations for the scale, whose
#: value is then divided by the standard deviation of a normal clipped the same way.
_WINSOR = 2.5
_WINSOR_SD = float(
    np.sqrt(
        2 * special.ndtr(_WINSOR)  # Φ(a)
        - 1
        - 2 * _WINSOR * np.exp(-(_WINSOR**2) / 2) / np.sqrt(2 * np.pi)  # a φ(a)
        + 2 * _WINSOR**2 * special.ndtr(-_WINSOR)  # a² (1 - Φ(a))
    )
)


@dataclass(frozen=True)
class AnomalyConfig:
    """How anomalies are judged.

    Args:
        sensitivity: ``low`` (fewest alarms), ``medium`` or ``high`` (most alarms).
        window: Days of history the trend uses (at least 21, whole weeks are best).
        min_history: Days of history needed for a forecast; the first verdict
            comes 14 forecasts later, once the forecast error's scale is known.
        relative_floor: The scale is never below this share of the typical level,
            so a nearly constant series does not alarm on tiny moves.
        error_window: How many past forecast errors set the scale.
        season_window: Days of history the weekday effects use (at least ``window``).
    """

    sensitivity: Sensitivity = "medium"
    window: int = 84
    min_history: int = 28
    relative_floor: float = 0.002
    error_window: int = 112
    season_window: int = 182

    def __post_init__(self) -> None:
        if self.sensitivity not in SENSITIVITY:
            raise ValueError(f"sensitivity must be one of {', '.join(SENSITIVITY)}")
        if self.window < 21 or self.min_history < 14 or self.min_history > self.window:
            raise ValueError("window must be >= 21 days and min_history 14..window days")
        if self.season_window < self.window or self.error_window < _MIN_ERRORS:
            raise ValueError("season_window must be >= window and error_window >= 14 days")

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
        scale: The standard deviation of the forecast error, in the metric's unit.
        score: The forecast error in standard deviations (on the log scale for a
            positive metric, so about ``(value - expected) / scale``).
        anomalous: Whether the day is outside normal variation.
        direction: ``"up"``, ``"down"`` or ``None``.
        two_day_score: The two-day score (yesterday and today against forecasts made
            before yesterday), or ``None`` when yesterday was not forecast.
        previous_score: Yesterday's one-day score, or ``None``.
    """

    day: date
    value: float
    expected: float
    scale: float
    score: float
    anomalous: bool
    direction: str | None
    two_day_score: float | None = field(default=None)
    previous_score: float | None = field(default=None)


@dataclass(frozen=True)
class _Fit:
    """Forecasts of the next two days from one fit, and their variances in units of
    the noise variance σ² (``h``: the estimates' share, on top of the day's noise)."""

    next: float
    after: float
    h_next: float
    h_after: float
    shared: float
    residual_sd: float


def _theil_sen(x: Array, y: Array) -> tuple[float, float]:
    # slope = median over pairs i<j of (y_j - y_i)/(x_j - x_i); intercept = median(y - slope x)
    i, j = np.triu_indices(len(x), k=1)
    slope = float(np.median((y[j] - y[i]) / (x[j] - x[i])))
    return slope, float(np.median(y - slope * x))


def _fit(y: Array, wd: NDArray[np.int_], next_weekday: int, window: int) -> _Fit:
    """Weekday effects from all of ``y``; trend and level from its last ``window`` days."""
    x = np.arange(len(y), dtype=float)
    slope, intercept = _theil_sen(x, y)
    seasonal, counts = _weekday_effects(y - (intercept + slope * x), wd)
    y, wd = y[-window:], wd[-window:]
    n = len(y)
    x = np.arange(n, dtype=float)
    adjusted = y - seasonal[wd]
    slope, intercept = _theil_sen(x, adjusted)
    residuals = adjusted - (intercept + slope * x)
    recent = residuals[-_LEVEL_DAYS:]
    level = intercept + _trimmed_mean(recent)
    m = len(recent)
    # Variance of level + slope × reach, as for least squares: the level is a mean of
    # m residuals centred (m + 1)/2 days back, the slope's variance is 12/(n³ − n).
    reach = np.array([(m + 1) / 2, (m + 1) / 2 + 1])
    slope_var = 12.0 / max(n**3 - n, 1)
    shared = 1 / m + reach * reach[::-1] * slope_var
    after_weekday = (next_weekday + 1) % 7
    return _Fit(
        next=level + slope * n + seasonal[next_weekday],
        after=level + slope * (n + 1) + seasonal[after_weekday],
        h_next=1 / m + reach[0] ** 2 * slope_var + 1 / max(counts[next_weekday], 1),
        h_after=1 / m + reach[1] ** 2 * slope_var + 1 / max(counts[after_weekday], 1),
        shared=float(shared[0]),
        residual_sd=_MAD_TO_SD * float(np.median(np.abs(residuals - np.median(residuals)))),
    )


def _trimmed_mean(values: Array) -> float:
    # Without the top and bottom tenth: nearly the mean's precision on clean days,
    # while one anomalous day does not move the level.
    ordered = np.sort(values)
    cut = len(ordered) // 10
    return float(ordered[cut : len(ordered) - cut].mean())


def _weekday_effects(residuals: Array, weekdays: NDArray[np.int_]) -> tuple[Array, Array]:
    # A mean without the highest and lowest value of each weekday: nearly as precise
    # as the mean on clean weeks (the median wastes a third of the data), yet one
    # anomalous day in the window does not move the effect. Returns the effects
    # (relative to their median) and how many values each is the mean of.
    effects, counts = np.zeros(7), np.zeros(7)
    for day in range(7):
        values = np.sort(residuals[weekdays == day])
        if values.size > 4:
            values = values[1:-1]
        if values.size:
            effects[day], counts[day] = values.mean(), values.size
    return effects - np.median(effects), counts


def forecast_day(
    history: ArrayLike, weekdays: ArrayLike, target_weekday: int, *, window: int = 84
) -> tuple[float, float]:
    """The expected value of the next day and the standard deviation of its error.

    Args:
        history: The values, oldest first (no gaps; missing days are 0 for counts,
            or leave them out). Weekday effects use all of it, the trend the last
            ``window`` values.
        weekdays: Weekday (0 = Monday) of each history value.
        target_weekday: Weekday of the day to forecast.
        window: Days the trend and level use.

    Returns:
        ``(expected, scale)``: the scale is the in-window residuals' robust standard
        deviation times ``√(1 + h)`` (the estimates' own error).
    """
    y = np.asarray(history, dtype=float)
    fit = _fit(y, np.asarray(weekdays, dtype=int), int(target_weekday), window)
    return fit.next, fit.residual_sd * float(np.sqrt(1 + fit.h_next))


def _robust_sd(values: Array) -> float:
    """A winsorized standard deviation: values past 2.5 robust sds (MAD) are pulled
    in to that bound, so an anomaly in the past counts as a large error, not as a
    huge one; about as precise as the plain sd on normal errors (MAD wastes 63%)."""
    centre = float(np.median(values))
    mad_sd = _MAD_TO_SD * float(np.median(np.abs(values - centre)))
    if mad_sd == 0:
        return 0.0
    clipped = np.clip(values, centre - _WINSOR * mad_sd, centre + _WINSOR * mad_sd)
    return float(clipped.std()) / _WINSOR_SD


def _normal_score(t_score: float, degrees: float) -> float:
    """The standard-normal score with the same tail probability as a Student t score:
    the scale is estimated, so early on a large score is less surprising."""
    from scipy import stats

    log_tail = float(stats.t.logsf(abs(t_score), degrees))
    normal = float(np.sign(t_score) * -special.ndtri_exp(log_tail))
    # Past the smallest float tail (a jump from an all-zero series) the t score
    # itself is kept: finite, and far past any threshold either way.
    return normal if np.isfinite(normal) else float(t_score)


@dataclass
class _Scorer:
    """The forecast errors seen so far, and yesterday's, for the two-day score."""

    config: AnomalyConfig
    raw: list[float] = field(default_factory=list)
    units: list[float] = field(default_factory=list)
    pairs: list[float] = field(default_factory=list)
    previous: tuple[float, _Fit, float, float] | None = None  # error, fit, bias, score

    def score(self, value: float, fit: _Fit, floor: float) -> tuple[float, ...] | None:
        """``(expected, scale, one-day, two-day or nan, yesterday's or nan)`` once
        enough errors are known, else ``None``; records the day's errors either way."""
        window = self.config.error_window
        # A forecast that keeps missing one way (growth that bends) is corrected by
        # the past errors' median (yesterday's left out, like for the scale).
        past_raw = np.asarray(self.raw[-window - 1 : -1] or self.raw)
        bias = float(np.median(past_raw)) if past_raw.size else 0.0
        error = value - fit.next - bias
        pair = self._pair(value)
        result = None
        if len(self.raw) >= _MIN_ERRORS:
            # Yesterday's error is left out of the scale: a step is not judged by a
            # scale it has already widened.
            past = np.asarray(self.units[-window - 1 : -1])
            scale = max(_robust_sd(past) * float(np.sqrt(1 + fit.h_next)), floor, 1e-12)
            one = _normal_score(error / scale, 0.9 * (past.size - 1))
            two = self._two_day_score(pair, floor)
            yesterday = self.previous[3] if self.previous else float("nan")
            result = (fit.next + bias, scale, one, two, yesterday)
        one_score = result[2] if result else float("nan")
        self.raw.append(value - fit.next)
        self.units.append(error / float(np.sqrt(1 + fit.h_next)))
        if pair is not None:
            self.pairs.append(pair)
        self.previous = (error, fit, bias, one_score)
        return result

    def _pair(self, value: float) -> float | None:
        """Yesterday's and today's errors from the forecasts made before yesterday,
        summed and divided by the sum's standard deviation in units of σ."""
        if self.previous is None:
            return None
        error, fit, bias, _ = self.previous
        variance = 2 + fit.h_next + fit.h_after + 2 * fit.shared
        return (error + value - fit.after - bias) / float(np.sqrt(variance))

    def _two_day_score(self, pair: float | None, floor: float) -> float:
        past = np.asarray(self.pairs[-self.config.error_window - 1 : -1])
        if pair is None or past.size < _MIN_PAIRS:
            return float("nan")
        scale = max(_robust_sd(past), floor, 1e-12)
        # Overlapping sums share a day, so they carry about 2/3 of the information.
        return _normal_score(pair / scale, 0.6 * (past.size - 1))

    def forget_yesterday(self) -> None:
        """A day without a value breaks the two-day pair."""
        self.previous = None


def check_series(
    days: list[date], values: ArrayLike, config: AnomalyConfig | None = None
) -> list[DayCheck]:
    """Judge every day that has enough history before it.

    Args:
        days: Consecutive dates, oldest first.
        values: One value per date (``nan`` for a day without a value: it is
            neither judged nor used).
        config: Sensitivity and windows; defaults to :class:`AnomalyConfig`.

    Returns:
        One :class:`DayCheck` per judged day, oldest first.
    """
    config = config or AnomalyConfig()
    y = np.asarray(values, dtype=float)
    if len(days) != len(y):
        raise ValueError("days and values must have the same length")
    weekdays = np.array([d.weekday() for d in days], dtype=int)
    # A positive metric is modelled on the log scale: weekday effects and noise are
    # then proportions of the level, so a growing metric's weekend gap grows with it.
    logged = bool(np.all(y[~np.isnan(y)] > 0))
    z = np.log(y) if logged else y
    scorer = _Scorer(config)
    checks: list[DayCheck] = []
    for t in range(config.min_history, len(z)):
        start = max(0, t - config.season_window)
        window, wd = z[start:t], weekdays[start:t]
        known = ~np.isnan(window)
        if np.isnan(z[t]) or known[-config.window :].sum() < config.min_history:
            scorer.forget_yesterday()
            continue
        fit = _fit(window[known], wd[known], int(weekdays[t]), config.window)
        floor = config.relative_floor if logged else config.relative_floor * _level(window)
        scored = scorer.score(float(z[t]), fit, floor)
        if scored is not None:
            checks.append(_verdict(days[t], float(y[t]), scored, logged, config))
    return checks


def _level(window: Array) -> float:
    return float(np.nanmedian(np.abs(window)))


def _verdict(
    day: date, value: float, scored: tuple[float, ...], logged: bool, config: AnomalyConfig
) -> DayCheck:
    expected, scale, one, two, yesterday = scored
    anomalous = bool(alarms(one, two, yesterday, config.thresholds))
    forecast = float(np.exp(expected)) if logged else expected
    spread = forecast * scale if logged else scale
    return DayCheck(
        day,
        value,
        forecast,
        float(spread),
        float(one),
        anomalous,
        ("up" if one > 0 else "down") if anomalous else None,
        None if np.isnan(two) else float(two),
        None if np.isnan(yesterday) else float(yesterday),
    )


def alarms(
    one_day: ArrayLike, two_day: ArrayLike, previous: ArrayLike, thresholds: tuple[float, float]
) -> NDArray[np.bool_]:
    """Which days are anomalous, from their scores (``nan`` = no such score).

    A day is anomalous when ``|one_day|`` passes the one-day threshold, or when
    ``|two_day|`` passes the two-day threshold while today and yesterday are both at
    least :data:`PAIR_MIN` off in the same direction as the two-day score.
    """
    one, two, prev = (np.asarray(v, dtype=float) for v in (one_day, two_day, previous))
    one_day_limit, two_day_limit = thresholds
    with np.errstate(invalid="ignore"):
        same_way = (np.sign(one) == np.sign(two)) & (np.sign(prev) == np.sign(two))
        both_off = np.minimum(np.abs(one), np.abs(prev)) > PAIR_MIN
        paired = (np.abs(two) > two_day_limit) & same_way & both_off
    return (np.abs(one) > one_day_limit) | paired


def design_alarm_rate(thresholds: tuple[float, float]) -> float:
    """The share of days :func:`alarms` flags when the scores are what the model says
    they are on a normal day: independent standard normal one-day scores ``z``, and
    a two-day score ``(z_yesterday + z) / √2``.

    ``P(|z| > a) + 2 ∫_{0.5}^{a} φ(z) · P(z_yesterday > max(0.5, b√2 − z)) dz``
    (both directions; :data:`PAIR_MIN` = 0.5). A month's false alarms are about 30×
    this; the presets' thresholds are chosen with it.
    """
    from scipy import integrate, stats

    one_day_limit, two_day_limit = thresholds

    def paired(z: float) -> float:
        bound = max(PAIR_MIN, two_day_limit * np.sqrt(2) - z)
        return float(stats.norm.pdf(z) * stats.norm.sf(bound))

    inner, _ = integrate.quad(paired, PAIR_MIN, one_day_limit)
    return float(2 * stats.norm.sf(one_day_limit) + 2 * inner)
