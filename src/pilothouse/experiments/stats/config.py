"""Explicit configuration objects for the stats engine.

The engine never reads the environment: callers build these frozen dataclasses
(with defaults) and pass them in, like gbstats ``models/settings.py``. Invalid
values are misuse and raise ``ValueError`` at construction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CORRECTIONS",
    "DIFFERENCES",
    "ENGINES",
    "KINDS",
    "TESTS",
    "AnalysisConfig",
    "Correction",
    "Difference",
    "Engine",
    "GaussianPrior",
    "MetricKind",
    "MetricSpec",
    "TestDirection",
]

Engine = Literal["frequentist", "bayesian"]
Difference = Literal["relative", "absolute"]
MetricKind = Literal["mean", "proportion", "ratio", "quantile"]
TestDirection = Literal["two-sided", "greater", "less"]
Correction = Literal["holm-bonferroni", "benjamini-hochberg"]

ENGINES: tuple[str, ...] = ("frequentist", "bayesian")
DIFFERENCES: tuple[str, ...] = ("relative", "absolute")
KINDS: tuple[str, ...] = ("mean", "proportion", "ratio", "quantile")
TESTS: tuple[str, ...] = ("two-sided", "greater", "less")
CORRECTIONS: tuple[str, ...] = ("holm-bonferroni", "benjamini-hochberg")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True)
class GaussianPrior:
    """Normal prior on the effect, on the relative scale (a fraction of the baseline).

    For absolute differences the prior is rescaled by the baseline mean:
    ``mean * |baseline|`` and ``stddev * |baseline|``.

    Attributes:
        mean: Prior mean of the relative effect (0.0 = no expected change).
        stddev: Prior standard deviation of the relative effect, positive.
    """

    mean: float = 0.0
    stddev: float = 0.1

    def __post_init__(self) -> None:
        _require(math.isfinite(self.mean), "prior.mean must be a finite number")
        _require(math.isfinite(self.stddev) and self.stddev > 0, "prior.stddev must be positive")


@dataclass(frozen=True)
class AnalysisConfig:
    """Settings shared by every metric of one analysis.

    Attributes:
        engine: ``"frequentist"`` or ``"bayesian"``.
        difference: ``"relative"`` (effect as a fraction of the baseline) or ``"absolute"``.
        alpha: Significance level, in (0, 0.5). Intervals have coverage ``1 - alpha``.
        sequential: Use always-valid confidence sequences (frequentist only).
        sequential_tuning: Expected total sample size N* where the sequence is tightest.
        prior: Normal prior on the effect (Bayesian only); ``None`` is a flat prior.
        weights: Configured traffic weights per variation for the SRM check; ``None``
            means equal weights. Normalised internally.
        correction: Multiple-testing correction across metrics x variations, or ``None``.
        max_dimensions: Dimension slices kept before the rest is pooled as "(other)".
    """

    engine: Engine = "frequentist"
    difference: Difference = "relative"
    alpha: float = 0.05
    sequential: bool = False
    sequential_tuning: float = 5000.0
    prior: GaussianPrior | None = None
    weights: tuple[float, ...] | None = None
    correction: Correction | None = None
    max_dimensions: int = 20

    def __post_init__(self) -> None:
        _require(self.engine in ENGINES, f"engine must be one of {ENGINES}")
        _require(self.difference in DIFFERENCES, f"difference must be one of {DIFFERENCES}")
        _require(0 < self.alpha < 0.5, "alpha must be in (0, 0.5)")
        _require(
            math.isfinite(self.sequential_tuning) and self.sequential_tuning > 0,
            "sequential_tuning must be positive",
        )
        _require(
            self.correction is None or self.correction in CORRECTIONS,
            f"correction must be null or one of {CORRECTIONS}",
        )
        _require(self.max_dimensions >= 1, "max_dimensions must be at least 1")
        if self.weights is not None:
            weights = tuple(float(w) for w in self.weights)
            _require(len(weights) >= 2, "weights needs one entry per variation (at least 2)")
            _require(
                all(math.isfinite(w) and w >= 0 for w in weights) and sum(weights) > 0,
                "weights must be non-negative numbers with a positive sum",
            )
            object.__setattr__(self, "weights", weights)


@dataclass(frozen=True)
class MetricSpec:
    """How one metric is analysed.

    Attributes:
        name: Display name, used in results and error messages.
        kind: ``"mean"``, ``"proportion"``, ``"ratio"`` or ``"quantile"``.
        cuped: Adjust with the pre-exposure covariate (CUPED); not for quantiles.
        inverse: Lower is better (chance to win and risk are flipped).
        test: ``"two-sided"``, ``"greater"`` (effect > 0) or ``"less"`` (effect < 0).
        quantile_level: The quantile of a quantile metric, in (0, 1), such as 0.9.
    """

    name: str
    kind: MetricKind = "mean"
    cuped: bool = False
    inverse: bool = False
    test: TestDirection = "two-sided"
    quantile_level: float | None = None

    def __post_init__(self) -> None:
        _require(self.kind in KINDS, f"kind must be one of {KINDS}")
        _require(self.test in TESTS, f"test must be one of {TESTS}")
        _require(
            not (self.cuped and self.kind == "quantile"), "cuped is not available for quantiles"
        )
        if self.kind == "quantile":
            level = self.quantile_level
            _require(
                level is not None and 0 < level < 1,
                "quantile_level must be in (0, 1) for quantile metrics",
            )
