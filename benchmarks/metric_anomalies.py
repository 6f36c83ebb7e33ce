"""Benchmark: false alarms and detection of the daily metric anomaly detector.

Run from the repository root::

    .venv/bin/python benchmarks/metric_anomalies.py [--series 300]

Simulates daily product metrics (level 300-5,000, a linear trend of up to ±0.3% a
day, a weekend dip of 5-40%, multiplicative noise of 5% that is independent or
AR(1) with φ = 0.3), then counts, per sensitivity preset of
``pilothouse.metrics.anomaly``: false alarms per metric-month on clean series
(flagged days, and alerts: a run of consecutive flagged days counts once), the share
of 3σ steps up and down flagged on their first or second day, and the share of
one-day 3σ spikes (up) flagged that day (σ = the day's noise standard deviation).
The scores are computed once per series; every preset's rule
(``anomaly.alarms``) is applied to the same scores. The baseline in the same run is
a plain z-score against the trailing 28 days (mean ± k·sd), the rule most dashboards
ship. The goal (issue 11): at most 1 false alarm per metric-month with at least 90%
of 3σ steps found within 2 days.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta

import numpy as np

from pilothouse.metrics.anomaly import SENSITIVITY, AnomalyConfig, alarms, check_series

DAYS, STEP_DAY = 180, 150
Scores = tuple[np.ndarray, np.ndarray, np.ndarray]  # one-day, two-day, yesterday's


def simulate(rng: np.random.Generator, phi: float) -> tuple[list[date], np.ndarray, np.ndarray]:
    level, slope = rng.uniform(300, 5000), rng.uniform(-0.003, 0.003)
    weekend = rng.uniform(0.6, 0.95)
    start = date(2026, 1, 5) + timedelta(days=int(rng.integers(0, 7)))
    days = [start + timedelta(days=i) for i in range(DAYS)]
    base = level * (1 + slope * np.arange(DAYS))
    base *= np.array([1.0 if d.weekday() < 5 else weekend for d in days])
    noise = np.zeros(DAYS)
    shocks = rng.normal(0, 0.05 * np.sqrt(1 - phi**2), DAYS)
    noise[0] = rng.normal(0, 0.05)
    for i in range(1, DAYS):
        noise[i] = phi * noise[i - 1] + shocks[i]
    return days, base * (1 + noise), base * 0.05


def _scores(days: list[date], values: np.ndarray) -> Scores:
    checks = check_series(days, values)
    nan = float("nan")
    return (
        np.array([c.score for c in checks]),
        np.array([nan if c.two_day_score is None else c.two_day_score for c in checks]),
        np.array([nan if c.previous_score is None else c.previous_score for c in checks]),
    )


def _zscores(y: np.ndarray, start: int) -> np.ndarray:
    return np.array(
        [(y[t] - y[t - 28 : t].mean()) / y[t - 28 : t].std(ddof=1) for t in range(start, len(y))]
    )


def _naive(scores: np.ndarray) -> Scores:
    nan = np.full(len(scores), np.nan)
    return scores, nan, nan


def run(series: int, phi: float) -> dict[str, tuple[float, ...]]:
    rng = np.random.default_rng(2026)
    ours: dict[str, list] = {"null": [], "up": [], "down": [], "spike": []}
    naive: dict[str, list] = {"null": [], "up": [], "down": [], "spike": []}
    end = STEP_DAY + 2
    for _ in range(series):
        days, y, sigma = simulate(rng, phi)
        cases = {"up": y.copy(), "down": y.copy(), "spike": y.copy()}
        cases["up"][STEP_DAY:] += 3 * sigma[STEP_DAY:]
        cases["down"][STEP_DAY:] -= 3 * sigma[STEP_DAY:]
        cases["spike"][STEP_DAY] += 3 * sigma[STEP_DAY]
        null = _scores(days, y)
        ours["null"].append(null)
        naive["null"].append(_naive(_zscores(y, len(y) - len(null[0]))))
        for name in ("up", "down"):
            ours[name].append(tuple(s[-2:] for s in _scores(days[:end], cases[name][:end])))
            naive[name].append(_naive(_zscores(cases[name][:end], STEP_DAY)))
        spike = _scores(days[: STEP_DAY + 1], cases["spike"][: STEP_DAY + 1])
        ours["spike"].append(tuple(s[-1:] for s in spike))
        naive["spike"].append(_naive(_zscores(cases["spike"][: STEP_DAY + 1], STEP_DAY)))
    results = {name: _rates(ours, limits) for name, limits in SENSITIVITY.items()}
    for k in (3.0, 2.5):
        results[f"z-score {k}"] = _rates(naive, (k, np.inf))
    return results


def _rates(scores: dict[str, list], limits: tuple[float, float]) -> tuple[float, ...]:
    flagged = [alarms(*s, limits) for s in scores["null"]]
    months = sum(len(f) for f in flagged) / 30
    days = sum(f.sum() for f in flagged) / months
    alerts = sum((f & ~np.r_[False, f[:-1]]).sum() for f in flagged) / months
    up, down, spikes = (
        float(np.mean([alarms(*s, limits).any() for s in scores[name]]))
        for name in ("up", "down", "spike")
    )
    return days, alerts, up, down, spikes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=300)
    parser.add_argument("--phi", type=float, nargs="*", default=[0.0, 0.3])
    args = parser.parse_args()
    for phi in args.phi:
        started = time.perf_counter()
        results = run(args.series, phi)
        elapsed = time.perf_counter() - started
        print(f"\nnoise {'independent' if phi == 0 else f'AR(1) phi={phi}'}, {args.series} series")
        print(
            f"{'method':<14}{'flagged days/mo':>16}{'alerts/mo':>11}"
            f"{'3σ up ≤2 d':>12}{'3σ down ≤2 d':>14}{'3σ spike':>10}"
        )
        for name, (days, alerts, up, down, spikes) in results.items():
            print(f"{name:<14}{days:>16.2f}{alerts:>11.2f}{up:>12.1%}{down:>14.1%}{spikes:>10.1%}")
        config = AnomalyConfig()
        print(
            f"({elapsed:.0f} s; trend window {config.window} days, weekday window "
            f"{config.season_window}, error window {config.error_window})"
        )


if __name__ == "__main__":
    main()
