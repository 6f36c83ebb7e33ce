"""Dimension breakdowns: keep the largest slices, pool the rest as "(other)".

Sufficient statistics are sums, so pooling slices is exact for means, proportions
and ratios (with or without CUPED). Quantile estimates cannot be pooled; callers
drop the "(other)" slice for quantile metrics, as gbstats does.
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Sequence

from pilothouse.experiments.stats.statistics import SufficientStatistics

__all__ = ["OTHER", "Slice", "pool_dimensions"]

OTHER = "(other)"
Slice = tuple[str, tuple[SufficientStatistics, ...]]


def _units(variations: Sequence[SufficientStatistics]) -> float:
    total = sum(float(v.users) for v in variations)
    return total if math.isfinite(total) else 0.0


def pool_dimensions(
    slices: Sequence[Slice], max_dimensions: int, keep_other: bool = True
) -> list[Slice]:
    """Keep the ``max_dimensions`` slices with most units and pool the rest.

    Args:
        slices: ``(value, variations)`` pairs; every slice lists the same variations.
        max_dimensions: How many slices to keep as they are.
        keep_other: Add the pooled "(other)" slice (``False`` for quantile metrics).

    Returns:
        The kept slices, largest first (ties by value), then "(other)" if any were pooled.
    """
    ordered = sorted(slices, key=lambda s: (-_units(s[1]), s[0]))
    kept = [(value, tuple(variations)) for value, variations in ordered[:max_dimensions]]
    rest = ordered[max_dimensions:]
    if rest and keep_other:
        pooled = tuple(
            functools.reduce(operator.add, column)
            for column in zip(*(s[1] for s in rest), strict=True)
        )
        kept.append((OTHER, pooled))
    return kept
