"""Helpers shared by the stats engine tests: raw data -> sufficient statistics."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from pilothouse.experiments.stats import (
    AnalysisConfig,
    MetricData,
    MetricResult,
    MetricSpec,
    SufficientStatistics,
    VariationResult,
    analyze,
)

Array = NDArray[np.float64]
DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "experiments"


def data_file(name: str) -> Path:
    """A file of the shared public data set, skipping the test when it is not there."""
    path = DATA / name
    if not path.is_file():
        pytest.skip(f"shared data file {path} is not available")
    return path


def mean_stats(y: Array, x: Array | None = None) -> SufficientStatistics:
    """Sums of a per-unit value ``y`` (and covariate ``x``) as GrowthBook columns."""
    stats = {"users": y.size, "main_sum": y.sum(), "main_sum_squares": y @ y}
    if x is not None:
        stats |= {"covariate_sum": x.sum(), "covariate_sum_squares": x @ x}
        stats["main_covariate_sum_product"] = y @ x
    return SufficientStatistics(**{k: float(v) for k, v in stats.items()})


def ratio_stats(
    m: Array, d: Array, m_pre: Array | None = None, d_pre: Array | None = None
) -> SufficientStatistics:
    """Sums of a ratio metric (numerator ``m``, denominator ``d``) and its pre-period."""
    stats = {
        "users": m.size,
        "main_sum": m.sum(),
        "main_sum_squares": m @ m,
        "denominator_sum": d.sum(),
        "denominator_sum_squares": d @ d,
        "main_denominator_sum_product": m @ d,
    }
    if m_pre is not None and d_pre is not None:
        stats |= {
            "covariate_sum": m_pre.sum(),
            "covariate_sum_squares": m_pre @ m_pre,
            "main_covariate_sum_product": m @ m_pre,
            "denominator_pre_sum": d_pre.sum(),
            "denominator_pre_sum_squares": d_pre @ d_pre,
            "main_post_denominator_pre_sum_product": m @ d_pre,
            "main_pre_denominator_post_sum_product": m_pre @ d,
            "main_pre_denominator_pre_sum_product": m_pre @ d_pre,
            "denominator_post_denominator_pre_sum_product": d @ d_pre,
        }
    return SufficientStatistics(**{k: float(v) for k, v in stats.items()})


def run(
    arms: Sequence[SufficientStatistics],
    config: AnalysisConfig | None = None,
    **spec: object,
) -> MetricResult:
    """Analyse one metric whose variations are ``arms`` (baseline first)."""
    names = tuple(f"v{i}" for i in range(len(arms)))
    metric = MetricData(MetricSpec(name="metric", **spec), names, tuple(arms))  # type: ignore[arg-type]
    return analyze([metric], config or AnalysisConfig())[0]


def treatment(
    arms: Sequence[SufficientStatistics], config: AnalysisConfig | None = None, **spec: object
) -> VariationResult:
    """The first variation's result against the baseline."""
    return run(arms, config, **spec).variations[1]


def assert_close(actual: float | None, expected: float, rtol: float = 1e-9) -> None:
    """Relative closeness, with a clear message."""
    assert actual is not None
    assert actual == pytest.approx(expected, rel=rtol, abs=0), f"{actual!r} != {expected!r}"
