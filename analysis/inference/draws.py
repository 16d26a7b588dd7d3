"""Joint draws of the municipality gaps from their estimated sampling distribution.

The marginal rank intervals are taken from these draws. Nothing is resampled from the persons:
each draw is a normal vector with the estimated covariance of the gaps.

What is drawn
-------------
Each draw is the vector of ``difference_pp`` for all municipalities, jointly, from the
estimated sampling distribution of the estimator:

.. math::

    d^{*}_m = \\hat d_m + 100\\,\\sqrt{v_m}\\; z_m + 100\\, g_m' (\\beta^{*} - \\hat\\beta),
    \\qquad z_m \\sim N(0, 1)\\ \\text{independent}, \\qquad
    \\beta^{*} - \\hat\\beta \\sim N(0, \\hat V_\\beta),

where :math:`v_m` is the noise of the municipality's mean residual evaluated under the fitted
model (``noise_sd_pp`` = :math:`100\\sqrt{v_m}`: each resident's covariate-cell residual variance
pooled over all municipalities for person cells, :mod:`analysis.model.ols`; the binomial
variance at the expected share for aggregates, :mod:`analysis.model.panel`), so that it does not
vanish for a municipality without recipients; :math:`g_m = \\bar x_m - \\bar x` and
:math:`\\hat V_\\beta` the covariance of the slopes (the fit's ``cov_type``) — a common draw
shared by all municipalities. Ranks are computed in each draw (rank 1 = most negative) by
:func:`analysis.inference.ranks.rank_interval_from_draws`, and the marginal interval is the pair
of :math:`\\alpha/2` and :math:`1-\\alpha/2` quantiles of a municipality's ranks (lower quantile
rounded down, upper rounded up), widened to the point rank where it misses it. The cost is
independent of the number of persons: 1,000 draws for 98 municipalities take milliseconds.
"""

from __future__ import annotations

import numpy as np


def psd_sqrt(v: np.ndarray) -> np.ndarray:
    """A matrix ``L`` with ``L @ L.T == v`` for a symmetric positive semi-definite ``v``."""
    w, q = np.linalg.eigh((v + v.T) / 2)
    return q * np.sqrt(np.clip(w, 0.0, None))


def draw_gaps(
    estimate: np.ndarray,
    noise_sd: np.ndarray,
    g: np.ndarray,
    v_beta: np.ndarray,
    *,
    draws: int,
    seed: int,
) -> np.ndarray:
    """Return ``draws × M`` joint draws of the gaps from their estimated sampling distribution.

    Parameters
    ----------
    estimate : ndarray
        Point estimates :math:`\\hat d_m` (M).
    noise_sd : ndarray
        Standard deviation of each municipality's noise (M), already in the units of
        ``estimate`` (``noise_sd_pp`` of the results).
    g : ndarray
        M × k loadings of the common coefficient draw, in the units of ``estimate`` per unit of
        coefficient.
    v_beta : ndarray
        k × k covariance of the coefficients.
    draws : int
        Number of draws (≥ 1).
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same draws.

    Returns
    -------
    ndarray
        ``draws × M``, in the units of ``estimate``.

    Raises
    ------
    ValueError
        ``draws`` < 1.
    """
    if draws < 1:
        raise ValueError(f"draws: must be a positive number of draws, got {draws}")
    rng = np.random.default_rng(seed)
    m = estimate.shape[0]
    out = rng.standard_normal((draws, m)) * noise_sd
    if g.shape[1]:
        u = rng.standard_normal((draws, g.shape[1])) @ psd_sqrt(v_beta).T
        out += u @ g.T
    out += estimate
    return out
