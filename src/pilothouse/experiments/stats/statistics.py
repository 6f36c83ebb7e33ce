"""Sufficient statistics with GrowthBook's published column names.

One frozen dataclass holds the sums a warehouse query returns for a variation
(gbstats ``SUM_COLS``), so teams can reuse their GrowthBook SQL unchanged. Every
field is a float or a NumPy array: the same class describes one variation or a
whole block of metrics x variations (``stack``), and all derived quantities
broadcast. Fields a metric kind does not use stay ``nan``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from pilothouse.experiments.stats.formulas import sample_covariance, sample_variance

__all__ = [
    "ALL_FIELDS",
    "QUANTILE_FIELDS",
    "SUMMABLE_FIELDS",
    "SufficientStatistics",
    "required_fields",
]

Value = Any  # a float or a float ndarray
NAN = math.nan

SUMMABLE_FIELDS: tuple[str, ...] = (
    "users",
    "count",
    "main_sum",
    "main_sum_squares",
    "denominator_sum",
    "denominator_sum_squares",
    "main_denominator_sum_product",
    "covariate_sum",
    "covariate_sum_squares",
    "main_covariate_sum_product",
    "denominator_pre_sum",
    "denominator_pre_sum_squares",
    "main_post_denominator_pre_sum_product",
    "main_pre_denominator_post_sum_product",
    "main_pre_denominator_pre_sum_product",
    "denominator_post_denominator_pre_sum_product",
)
QUANTILE_FIELDS: tuple[str, ...] = (
    "quantile_n",
    "quantile_nstar",
    "quantile",
    "quantile_lower",
    "quantile_upper",
)
ALL_FIELDS: tuple[str, ...] = SUMMABLE_FIELDS + QUANTILE_FIELDS

_BASE = ("users", "main_sum")
_COVARIATE = ("covariate_sum", "covariate_sum_squares", "main_covariate_sum_product")
_RATIO = ("main_sum_squares", "denominator_sum", "denominator_sum_squares")
_RATIO_PRE = (
    "denominator_pre_sum",
    "denominator_pre_sum_squares",
    "main_post_denominator_pre_sum_product",
    "main_pre_denominator_post_sum_product",
    "main_pre_denominator_pre_sum_product",
    "denominator_post_denominator_pre_sum_product",
)
_REQUIRED: dict[tuple[str, bool], tuple[str, ...]] = {
    ("mean", False): (*_BASE, "main_sum_squares"),
    ("mean", True): (*_BASE, "main_sum_squares", *_COVARIATE),
    ("proportion", False): _BASE,
    ("proportion", True): (*_BASE, *_COVARIATE),
    ("ratio", False): (*_BASE, *_RATIO, "main_denominator_sum_product"),
    ("ratio", True): (*_BASE, *_RATIO, "main_denominator_sum_product", *_COVARIATE, *_RATIO_PRE),
    ("quantile", False): ("users", "quantile_n", "quantile", "quantile_lower", "quantile_upper"),
}


def required_fields(kind: str, cuped: bool) -> tuple[str, ...]:
    """Fields a metric kind needs (``count`` and ``quantile_nstar`` are optional).

    Args:
        kind: Metric kind.
        cuped: Whether CUPED is on.

    Returns:
        The GrowthBook column names that must be present and finite.
    """
    return _REQUIRED[(kind, bool(cuped))]


@dataclass(frozen=True, eq=False)
class SufficientStatistics:
    """Per-variation sums, as floats or broadcastable arrays.

    ``users`` is the number of exposed units (used for SRM); ``count`` the units
    that enter the metric (defaults to ``users``). ``covariate_*`` is the metric's
    pre-exposure value (the numerator's, for ratios); ``denominator_pre_*`` and
    the cross products complete the 4 x 4 covariance for ratio CUPED. Quantile
    fields come from SQL: the sample quantile, its 95% bounds evaluated at
    ``quantile_nstar`` units, and the ``quantile_n`` units it is computed over.
    """

    users: Value = NAN
    count: Value = NAN
    main_sum: Value = NAN
    main_sum_squares: Value = NAN
    denominator_sum: Value = NAN
    denominator_sum_squares: Value = NAN
    main_denominator_sum_product: Value = NAN
    covariate_sum: Value = NAN
    covariate_sum_squares: Value = NAN
    main_covariate_sum_product: Value = NAN
    denominator_pre_sum: Value = NAN
    denominator_pre_sum_squares: Value = NAN
    main_post_denominator_pre_sum_product: Value = NAN
    main_pre_denominator_post_sum_product: Value = NAN
    main_pre_denominator_pre_sum_product: Value = NAN
    denominator_post_denominator_pre_sum_product: Value = NAN
    quantile_n: Value = NAN
    quantile_nstar: Value = NAN
    quantile: Value = NAN
    quantile_lower: Value = NAN
    quantile_upper: Value = NAN

    @classmethod
    def from_mapping(cls, row: Mapping[str, Any]) -> SufficientStatistics:
        """Build from a dict with GrowthBook column names, ignoring unknown keys."""
        return cls(**{name: float(row[name]) for name in ALL_FIELDS if row.get(name) is not None})

    @classmethod
    def stack(cls, rows: Sequence[Sequence[SufficientStatistics]]) -> SufficientStatistics:
        """Stack rows of variations into one block of ``(len(rows), variations)`` arrays."""
        shape = (len(rows), len(rows[0]) if rows else 0)
        if any(len(row) != shape[1] for row in rows):
            raise ValueError("every row must have the same number of variations")
        flat = [v for row in rows for v in row]
        columns = {
            name: np.fromiter((getattr(v, name) for v in flat), float, len(flat)).reshape(shape)
            for name in ALL_FIELDS
        }
        return cls(**columns)

    def column(self, name: str) -> NDArray[np.float64]:
        """One field as a float array."""
        return np.asarray(getattr(self, name), dtype=float)

    @property
    def shape(self) -> tuple[int, ...]:
        """The broadcast shape of all fields."""
        return np.broadcast_shapes(*(np.shape(getattr(self, name)) for name in ALL_FIELDS))

    def take(self, index: Any) -> SufficientStatistics:
        """Index every field (for example ``[:, 0]`` for the baseline column)."""
        shape = self.shape
        return SufficientStatistics(
            **{name: np.broadcast_to(self.column(name), shape)[index] for name in ALL_FIELDS}
        )

    def __add__(self, other: SufficientStatistics) -> SufficientStatistics:
        """Pool two groups of units: sums add, quantile estimates cannot be pooled."""
        if not isinstance(other, SufficientStatistics):
            return NotImplemented
        summed = {name: self.column(name) + other.column(name) for name in SUMMABLE_FIELDS}
        has_count = ~(np.isnan(self.column("count")) & np.isnan(other.column("count")))
        summed["count"] = np.where(has_count, self.units + other.units, NAN)
        return SufficientStatistics(**summed)

    @property
    def units(self) -> NDArray[np.float64]:
        """Units in the metric: ``count`` when given, else ``users``."""
        count = self.column("count")
        return np.where(np.isnan(count), self.column("users"), count)

    def variance(self, total: str, squares: str, ddof: int = 1) -> NDArray[np.float64]:
        """Per-unit variance of a value from the named sum and sum-of-squares fields."""
        return sample_variance(self.units, self.column(total), self.column(squares), ddof)

    def covariance(
        self, sum_x: str, sum_y: str, product: str, ddof: int = 1
    ) -> NDArray[np.float64]:
        """Per-unit covariance of two values from the named sums and product fields."""
        return sample_covariance(
            self.units, self.column(sum_x), self.column(sum_y), self.column(product), ddof
        )
