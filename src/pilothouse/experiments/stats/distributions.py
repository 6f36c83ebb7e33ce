"""The few distribution functions the engine uses, straight from ``scipy.special``.

``scipy.stats`` costs 2 to 3 s of imports (the classes of every distribution and
the statistics functions) where ``scipy.special`` costs a fraction of that, and ``pilothouse stats
analyze`` is a whole process that pays its imports on every run. The functions
below are the ones ``scipy.stats`` itself evaluates for ``norm``, ``t`` and
``chi2`` (``tests/experiments/stats/test_distributions.py`` checks they agree with
``scipy.stats`` to the last bit), without the argument checking and broadcasting
layer around them:

- normal: ``cdf = ndtr(x)``, ``sf = ndtr(-x)``, ``ppf = ndtri(p)``,
  ``pdf = exp(-x^2/2) / sqrt(2 pi)``;
- Student t with ``df`` degrees of freedom: ``cdf = stdtr(df, x)``,
  ``sf = stdtr(df, -x)``, ``ppf = stdtrit(df, p)`` (the normal one for infinite
  ``df``);
- chi-square with ``k`` degrees of freedom: ``sf = chdtrc(k, x)``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

__all__ = ["chi2", "norm", "student_t"]

Array = NDArray[np.float64]
_SQRT_2PI = math.sqrt(2 * math.pi)


class _Normal:
    """The standard normal distribution."""

    @staticmethod
    def cdf(x: ArrayLike) -> Array:
        return np.asarray(special.ndtr(x), dtype=float)

    @staticmethod
    def sf(x: ArrayLike) -> Array:
        return np.asarray(special.ndtr(np.negative(x)), dtype=float)

    @staticmethod
    def ppf(p: ArrayLike) -> Array:
        return np.asarray(special.ndtri(p), dtype=float)

    @staticmethod
    def pdf(x: ArrayLike) -> Array:
        x = np.asarray(x, dtype=float)
        return np.exp(-x * x / 2.0) / _SQRT_2PI


class _StudentT:
    """Student's t distribution; ``df`` broadcasts against ``x`` or ``p``."""

    @staticmethod
    def cdf(x: ArrayLike, df: ArrayLike) -> Array:
        return np.asarray(special.stdtr(df, x), dtype=float)

    @staticmethod
    def sf(x: ArrayLike, df: ArrayLike) -> Array:
        return np.asarray(special.stdtr(df, np.negative(x)), dtype=float)

    @staticmethod
    def ppf(p: ArrayLike, df: ArrayLike) -> Array:
        # stdtrit(inf, 0) is +inf where the limit is -inf: use the normal's there
        df = np.asarray(df, dtype=float)
        quantile = special.stdtrit(df, p)
        return np.asarray(np.where(np.isinf(df), special.ndtri(p), quantile), dtype=float)


class _ChiSquare:
    """The chi-square distribution with ``k`` degrees of freedom."""

    @staticmethod
    def sf(x: ArrayLike, k: ArrayLike) -> Array:
        return np.asarray(special.chdtrc(k, x), dtype=float)


norm = _Normal()
student_t = _StudentT()
chi2 = _ChiSquare()
