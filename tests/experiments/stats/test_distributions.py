"""The engine's distribution functions agree with ``scipy.stats`` (the reference).

``pilothouse.experiments.stats.distributions`` calls the ``scipy.special``
functions directly to avoid importing ``scipy.stats``; these tests hold them to
``scipy.stats``' own answers on random and edge-case inputs.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pilothouse.experiments.stats.distributions import chi2, norm, student_t

RNG = np.random.default_rng(20261206)
X = np.concatenate([RNG.normal(0, 4, 2000), [0.0, 1e-12, 40.0, -40.0, np.inf, -np.inf, np.nan]])
DF = np.concatenate([RNG.uniform(0.5, 1e5, 2000), [1.0, 2.0, 3.0, np.inf, np.inf, 5.0, 5.0]])
P = np.concatenate([RNG.uniform(0, 1, 2000), [1e-300, 1e-12, 0.5, 1 - 1e-12, 0.0, 1.0, np.nan]])


def assert_same(ours: np.ndarray, reference: np.ndarray) -> None:
    np.testing.assert_allclose(ours, reference, rtol=1e-13, atol=0, equal_nan=True)


def test_normal() -> None:
    assert_same(norm.cdf(X), stats.norm.cdf(X))
    assert_same(norm.sf(X), stats.norm.sf(X))
    assert_same(norm.pdf(X), stats.norm.pdf(X))
    assert_same(norm.ppf(P), stats.norm.ppf(P))


def test_student_t() -> None:
    assert_same(student_t.cdf(X, DF), stats.t.cdf(X, DF))
    assert_same(student_t.sf(X, DF), stats.t.sf(X, DF))
    assert_same(student_t.ppf(P, DF), stats.t.ppf(P, DF))


@pytest.mark.parametrize("k", [1, 2, 3, 7, 30])
def test_chi_square(k: int) -> None:
    x = np.abs(X)
    assert_same(chi2.sf(x, k), stats.chi2.sf(x, k))


def test_scalars_stay_usable() -> None:
    """Known quantiles (tables: 1.959964 and 2.228139), on plain floats."""
    assert float(norm.ppf(0.975)) == pytest.approx(1.959963984540054, abs=1e-15)
    assert float(student_t.ppf(0.975, 10)) == pytest.approx(2.228138851986274, abs=1e-12)
