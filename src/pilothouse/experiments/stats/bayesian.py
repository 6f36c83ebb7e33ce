"""Bayesian analysis with a Gaussian approximation of the effect.

The data give a normal likelihood for the effect, ``N(estimate, SE^2)``; with a
normal prior ``N(m, s^2)`` the posterior is normal with precision-weighted mean
(gbstats ``EffectBayesianABTest``). Chance to win, credible intervals and the
expected loss ("risk") of each choice are closed-form functions of the posterior.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from pilothouse.experiments.stats.distributions import norm

__all__ = [
    "BayesianResult",
    "bayesian_test",
    "expected_loss",
    "posterior",
]

Array = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class BayesianResult:
    """Posterior summaries per comparison.

    Attributes:
        mean: Posterior mean of the effect.
        stddev: Posterior standard deviation.
        lower: Lower credible bound (``-inf`` for "less").
        upper: Upper credible bound (``inf`` for "greater").
        chance_to_win: Posterior probability that the variation is better.
        risk_control: Expected loss of choosing the baseline.
        risk_treatment: Expected loss of choosing the variation.
    """

    mean: Array
    stddev: Array
    lower: Array
    upper: Array
    chance_to_win: Array
    risk_control: Array
    risk_treatment: Array


def posterior(
    estimate: ArrayLike,
    standard_error: ArrayLike,
    prior_mean: ArrayLike | None = None,
    prior_stddev: ArrayLike | None = None,
) -> tuple[Array, Array]:
    """Normal-normal posterior of the effect.

    Args:
        estimate: Effect estimates (the likelihood mean).
        standard_error: Their standard errors.
        prior_mean: Prior mean on the same scale, or ``None`` for a flat prior.
        prior_stddev: Prior standard deviation on the same scale.

    Returns:
        Posterior mean and standard deviation.
    """
    est = np.asarray(estimate, dtype=float)
    se = np.asarray(standard_error, dtype=float)
    if prior_mean is None or prior_stddev is None:
        return est, se
    # precision = 1/SE^2 + 1/s^2;  mean = (est/SE^2 + m/s^2) / precision
    data_precision = 1 / np.square(se)
    prior_precision = 1 / np.square(np.asarray(prior_stddev, dtype=float))
    precision = data_precision + prior_precision
    mean = (est * data_precision + np.asarray(prior_mean) * prior_precision) / precision
    return mean, np.sqrt(1 / precision)


def expected_loss(mean: ArrayLike, stddev: ArrayLike) -> tuple[Array, Array]:
    """Expected loss of each choice for a normal effect ``D ~ N(mu, sigma^2)``.

    Returns:
        ``E[max(D, 0)]`` (loss of keeping the baseline) and ``E[max(-D, 0)]`` (loss
        of shipping the variation).
    """
    # E[max(D, 0)] = mu Phi(mu/sigma) + sigma phi(mu/sigma)
    # E[max(-D, 0)] = -mu Phi(-mu/sigma) + sigma phi(mu/sigma)
    mu = np.asarray(mean, dtype=float)
    sigma = np.asarray(stddev, dtype=float)
    z = mu / sigma
    density = sigma * norm.pdf(z)
    return mu * norm.cdf(z) + density, density - mu * norm.cdf(-z)


def bayesian_test(
    estimate: ArrayLike,
    standard_error: ArrayLike,
    alpha: float,
    direction: ArrayLike = 0,
    inverse: ArrayLike = False,
    prior: tuple[ArrayLike, ArrayLike] | None = None,
) -> BayesianResult:
    """Posterior, credible interval, chance to win and risk for each comparison.

    Args:
        estimate: Effect estimates.
        standard_error: Their standard errors.
        alpha: Credible intervals have probability ``1 - alpha``.
        direction: +1 greater (``[lower, inf)``), -1 less, 0 two-sided.
        inverse: Lower is better: chance to win is ``P(D < 0)`` and risks swap.
        prior: ``(mean, stddev)`` of a normal prior on the effect's scale, or ``None``.

    Returns:
        The posterior summaries.
    """
    est = np.asarray(estimate, dtype=float)
    valid = np.isfinite(est) & (np.asarray(standard_error) > 0)
    se = np.where(valid, standard_error, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean, sd = posterior(est, se, *(prior or (None, None)))
    inverse = np.broadcast_to(np.asarray(inverse, dtype=bool), est.shape)
    direction = np.broadcast_to(np.asarray(direction, dtype=float), est.shape)
    # P(D > 0) = Phi(mu / sigma);  P(D < 0) = Phi(-mu / sigma)
    z = mean / sd
    loss_keep, loss_ship = expected_loss(mean, sd)
    two = norm.ppf(1 - alpha / 2) * sd
    one = norm.ppf(1 - alpha) * sd
    lower = np.where(direction > 0, mean - one, np.where(direction < 0, -np.inf, mean - two))
    upper = np.where(direction < 0, mean + one, np.where(direction > 0, np.inf, mean + two))

    def masked(values: Array) -> Array:
        return np.where(valid, values, np.nan)

    return BayesianResult(
        mean=masked(mean),
        stddev=masked(sd),
        lower=masked(lower),
        upper=masked(upper),
        chance_to_win=masked(np.where(inverse, norm.cdf(-z), norm.cdf(z))),
        risk_control=masked(np.where(inverse, loss_ship, loss_keep)),
        risk_treatment=masked(np.where(inverse, loss_keep, loss_ship)),
    )
