"""Empirical-Bayes shrinkage of municipality effects (normal–normal model).

A small municipality's raw gap is noisy, and extreme raw gaps are more often small units with
large standard errors than genuinely extreme job centres. Empirical Bayes pulls each estimate
towards the overall mean by a factor that depends on its own precision: precise estimates
barely move, noisy ones move a lot. Publish both the raw and the shrunk values — shrinkage can
also hide genuine extremes in small units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import optimize

from analysis.inference._series import aligned

Method = Literal["dl", "reml"]
MeanKind = Literal["weighted", "zero"]
_METHODS: tuple[str, ...] = ("dl", "reml")
_MEANS: tuple[str, ...] = ("weighted", "zero")


def _inputs(
    estimate: pd.Series | np.ndarray | Sequence[float], se: pd.Series | np.ndarray | Sequence[float]
) -> tuple[pd.Series, pd.Series]:
    est, s = aligned(estimate, se, "estimate", "se")
    if (s <= 0).any():
        bad = s.index[(s <= 0).to_numpy()].tolist()[:10]
        raise ValueError(f"se: standard errors must be > 0; offending labels {bad}")
    return est, s


def _check_yv(y: np.ndarray, v: np.ndarray, mean: str) -> tuple[np.ndarray, np.ndarray]:
    if mean not in _MEANS:
        raise ValueError(f"mean: must be one of {list(_MEANS)}, got {mean!r}")
    y, v = np.asarray(y, dtype=float), np.asarray(v, dtype=float)
    if y.ndim != 1 or y.shape != v.shape:
        raise ValueError(f"v: expected the shape of y {y.shape}, got {v.shape}")
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(v)) and np.all(v > 0)):
        raise ValueError("y, v: values must be finite and the variances v > 0")
    return y, v


def tau2_dl(y: np.ndarray, v: np.ndarray, *, mean: MeanKind = "weighted") -> float:
    """DerSimonian–Laird moment estimate of :math:`\\tau^2`.

    Parameters
    ----------
    y : array
        Estimates.
    v : array
        Their sampling variances :math:`s_m^2` (> 0).
    mean : {"weighted", "zero"}
        Estimate the common mean by inverse-variance weighting, or take it as known zero.

    Returns
    -------
    float
        :math:`\\tau^2 \\ge 0`.

    Notes
    -----
    With :math:`w_m = 1/s_m^2`, :math:`\\bar y_w = \\sum w_m y_m / \\sum w_m` and
    :math:`Q = \\sum w_m (y_m - \\bar y_w)^2`,

    .. math::

        \\hat\\tau^2 = \\max\\Bigl(0, \\frac{Q - (n-1)}{\\sum w_m - \\sum w_m^2/\\sum w_m}\\Bigr).

    With a known zero mean, :math:`Q = \\sum w_m y_m^2` and
    :math:`\\hat\\tau^2 = \\max(0, (Q - n)/\\sum w_m)`.

    References
    ----------
    DerSimonian, R. and Laird, N. (1986). Meta-analysis in clinical trials. *Controlled
    Clinical Trials* 7(3), 177–188.
    """
    y, v = _check_yv(y, v, mean)
    w = 1.0 / v
    if mean == "zero":
        q = float(np.sum(w * y**2))
        return max(0.0, (q - y.size) / float(w.sum()))
    ybar = float(np.sum(w * y) / w.sum())
    q = float(np.sum(w * (y - ybar) ** 2))
    return max(0.0, (q - (y.size - 1)) / float(w.sum() - np.sum(w**2) / w.sum()))


def _neg_loglik(tau2: float, y: np.ndarray, v: np.ndarray, mean: MeanKind) -> float:
    """Minus the restricted (``weighted``) or full (``zero``) log-likelihood, up to a constant."""
    tot = v + tau2
    w = 1.0 / tot
    if mean == "zero":
        return 0.5 * float(np.sum(np.log(tot)) + np.sum(w * y**2))
    mu = float(np.sum(w * y) / w.sum())
    return 0.5 * float(np.sum(np.log(tot)) + np.log(w.sum()) + np.sum(w * (y - mu) ** 2))


def tau2_reml(y: np.ndarray, v: np.ndarray, *, mean: MeanKind = "weighted") -> float:
    """Restricted maximum-likelihood estimate of :math:`\\tau^2` (ML with a known zero mean).

    Parameters
    ----------
    y, v, mean
        As in :func:`tau2_dl`.

    Returns
    -------
    float
        :math:`\\tau^2 \\ge 0`, maximising

        .. math::

            \\ell_R(\\tau^2) = -\\tfrac12\\Bigl[\\sum_m \\log(s_m^2+\\tau^2)
            + \\log\\sum_m \\frac{1}{s_m^2+\\tau^2}
            + \\sum_m \\frac{(y_m - \\hat\\mu(\\tau^2))^2}{s_m^2+\\tau^2}\\Bigr]

        over :math:`[0, \\infty)` by bounded Brent search on the standardised scale (the
        middle term and :math:`\\hat\\mu` are dropped when the mean is known to be zero).

    References
    ----------
    Viechtbauer, W. (2005). Bias and efficiency of meta-analytic variance estimators in the
    random-effects model. *Journal of Educational and Behavioral Statistics* 30(3), 261–293.
    """
    y, v = _check_yv(y, v, mean)
    # work on a scale where the data have unit spread so that the tolerances are relative
    scale = float(np.sqrt(np.mean(v) + np.var(y))) or 1.0
    ys, vs = y / scale, v / scale**2
    upper = 10.0 * (float(np.var(ys)) + float(np.max(vs)) + float(np.mean(ys**2)) * (mean == "zero")) + 1e-8
    res = optimize.minimize_scalar(
        _neg_loglik, bounds=(0.0, upper), args=(ys, vs, mean), method="bounded", options={"xatol": 1e-12}
    )
    if not res.success:  # pragma: no cover - bounded Brent on a smooth function does not fail
        raise RuntimeError(f"REML estimation of tau2 did not converge: {res.message}")
    best = float(res.x)
    if _neg_loglik(0.0, ys, vs, mean) <= _neg_loglik(best, ys, vs, mean):
        best = 0.0
    if best >= upper * (1 - 1e-6):  # pragma: no cover - upper is far beyond any plausible tau2
        raise RuntimeError("REML estimation of tau2 hit the upper search bound")
    return best * scale**2


def eb_shrink(
    estimate: pd.Series | np.ndarray | Sequence[float],
    se: pd.Series | np.ndarray | Sequence[float],
    *,
    method: Method = "reml",
    mean: MeanKind = "weighted",
) -> pd.DataFrame:
    """Empirical-Bayes (normal–normal) shrinkage of unit estimates.

    Parameters
    ----------
    estimate : Series or array
        Raw unit estimates :math:`\\hat\\theta_m`, e.g. ``difference_pp``. A Series' index labels
        the units.
    se : Series or array
        Their standard errors :math:`s_m > 0`.
    method : {"reml", "dl"}
        Estimator of the between-unit variance :math:`\\tau^2`: restricted maximum likelihood
        (:func:`tau2_reml`) or the DerSimonian–Laird moment estimator (:func:`tau2_dl`).
    mean : {"weighted", "zero"}
        Prior mean :math:`\\mu`: the precision-weighted mean
        :math:`\\sum \\hat\\theta_m/(s_m^2+\\tau^2) / \\sum 1/(s_m^2+\\tau^2)`, or 0 (e.g. for
        gaps whose national mean is zero by construction).

    Returns
    -------
    DataFrame
        Indexed like ``estimate`` with columns ``estimate``, ``se``, ``shrunk``,
        ``posterior_sd``, ``B`` (the weight on the unit's own estimate), and the constant
        columns ``tau2`` and ``mu`` (also in ``DataFrame.attrs`` with ``method`` and ``mean``).

    Notes
    -----
    The model is :math:`\\hat\\theta_m \\mid \\theta_m \\sim N(\\theta_m, s_m^2)` and
    :math:`\\theta_m \\sim N(\\mu, \\tau^2)`. Plugging in :math:`\\hat\\tau^2` and
    :math:`\\hat\\mu`,

    .. math::

        B_m = \\frac{\\tau^2}{\\tau^2 + s_m^2}, \\qquad
        \\theta^*_m = \\mu + B_m(\\hat\\theta_m - \\mu), \\qquad
        \\operatorname{sd}(\\theta_m \\mid \\hat\\theta_m) = \\sqrt{B_m}\\, s_m .

    :math:`B_m \\to 1` as :math:`s_m \\to 0` (large municipalities keep their estimate) and
    :math:`B_m = 0` for all units when :math:`\\hat\\tau^2 = 0`. The posterior standard
    deviation treats :math:`\\hat\\tau^2` and :math:`\\hat\\mu` as known, so it is slightly
    too small when there are few units.

    References
    ----------
    Morris, C. N. (1983). Parametric empirical Bayes inference: theory and applications.
    *Journal of the American Statistical Association* 78(381), 47–55.

    Efron, B. and Morris, C. (1975). Data analysis using Stein's estimator and its
    generalizations. *Journal of the American Statistical Association* 70(350), 311–319.

    Examples
    --------
    >>> import pandas as pd
    >>> codes = pd.Index([101, 147, 151, 153, 155, 157], name="code")
    >>> gap = pd.Series([0.5, -1.0, 2.0, 0.0, 1.5, -0.4], index=codes)
    >>> se = pd.Series([0.5, 1.0, 0.8, 0.3, 1.2, 0.6], index=codes)
    >>> eb_shrink(gap, se)[["shrunk", "B"]].round(2)  # doctest: +NORMALIZE_WHITESPACE
          shrunk     B
    code
    101     0.41  0.55
    147     0.00  0.23
    151     0.85  0.32
    153     0.07  0.77
    155     0.51  0.17
    157    -0.02  0.46
    """
    if method not in _METHODS:
        raise ValueError(f"method: must be one of {list(_METHODS)}, got {method!r}")
    if mean not in _MEANS:
        raise ValueError(f"mean: must be one of {list(_MEANS)}, got {mean!r}")
    est, s = _inputs(estimate, se)
    n = len(est)
    need = 3 if mean == "weighted" else 2
    if n < need:
        raise ValueError(
            f"estimate: at least {need} units are needed to estimate tau2 with mean={mean!r}, got {n}"
        )
    y, v = est.to_numpy(), s.to_numpy() ** 2
    tau2 = tau2_reml(y, v, mean=mean) if method == "reml" else tau2_dl(y, v, mean=mean)
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / w.sum()) if mean == "weighted" else 0.0
    b = tau2 / (tau2 + v)
    out = pd.DataFrame(
        {
            "estimate": est,
            "se": s,
            "shrunk": mu + b * (y - mu),
            "posterior_sd": np.sqrt(b * v),
            "B": b,
            "tau2": tau2,
            "mu": mu,
        },
        index=est.index,
    )
    out.attrs.update({"tau2": tau2, "mu": mu, "method": method, "mean": mean})
    return out
