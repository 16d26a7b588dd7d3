"""Funnel-plot control limits with over-dispersion (Spiegelhalter 2005).

A funnel plot shows each municipality's indicator against its precision together with control
limits around the national target. Limits that only reflect sampling noise flag too many units
when the units genuinely differ (over-dispersion); the additive random-effects adjustment
widens them by a between-unit variance :math:`\\tau^2` estimated robustly from winsorised
z-scores.

* :func:`overdispersion` — the dispersion factor :math:`\\phi` and :math:`\\tau^2`;
* :func:`funnel_limits` — normal limits ``target ± z √(se² + τ²)`` per unit with outlier flags
  (our fractional outcome, the gap in percentage points);
* :func:`poisson_sr_limits` — exact Poisson limits for a standardised ratio O/E of counts, or
  over-dispersed log-scale limits with :math:`\\tau^2` from :func:`sr_overdispersion`;
* :func:`funnel_curve` — smooth limit lines over a precision grid, for plotting;
* :func:`se_by_size` and :func:`funnel_curve_by_size` — the standard error as a smooth function
  of the population size, and the limit lines over a grid of sizes (the funnel's x axis).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from analysis.inference._series import aligned, as_series

DEFAULT_LEVELS: tuple[float, ...] = (0.95, 0.998)
CurveKind = Literal["normal", "poisson"]
_KINDS: tuple[str, ...] = ("normal", "poisson")
SeModel = Literal["sampling+fixed", "sampling"]
_SE_MODELS: tuple[str, ...] = ("sampling+fixed", "sampling")


def _positive(s: pd.Series, name: str) -> None:
    if (s <= 0).any():
        bad = s.index[(s <= 0).to_numpy()].tolist()[:10]
        raise ValueError(f"{name}: values must be > 0; offending labels {bad}")


def _check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    lv = tuple(float(v) for v in np.atleast_1d(np.asarray(levels, dtype=float)))
    if not lv:
        raise ValueError("levels: give at least one coverage level")
    if any(not (0 < v < 1) for v in lv):
        raise ValueError(f"levels: each level must be in (0, 1), got {list(lv)}")
    names = [level_name(v) for v in lv]
    if len(set(names)) != len(names):
        raise ValueError(f"levels: levels must be distinct, got {list(lv)}")
    return lv


def level_name(level: float) -> str:
    """Column suffix for a coverage level: 0.95 → ``"95"``, 0.998 → ``"998"``, 0.9 → ``"90"``."""
    pct = f"{100 * float(level):.6f}".rstrip("0").rstrip(".")
    return pct.replace(".", "")


def _winsorise(z: np.ndarray, trim: float) -> np.ndarray:
    lo, hi = np.quantile(z, [trim, 1 - trim])
    return np.clip(z, lo, hi)


def overdispersion(
    z: pd.Series | np.ndarray | Sequence[float],
    *,
    weights: pd.Series | np.ndarray | Sequence[float],
    trim: float = 0.1,
) -> tuple[float, float]:
    """Dispersion factor :math:`\\phi` and between-unit variance :math:`\\tau^2`.

    Parameters
    ----------
    z : array of length n
        z-scores :math:`z_m = (y_m - \\text{target}) / s_m`.
    weights : array of length n
        Inverse-variance weights :math:`w_m = 1/s_m^2`, in the squared units of the
        indicator's reciprocal (so that :math:`\\tau^2` is on the indicator's scale).
    trim : float
        Winsorising fraction in each tail, in [0, 0.5). 0 means no winsorising.

    Returns
    -------
    phi : float
        :math:`\\phi = n^{-1}\\sum_m z_{w,m}^2`.
    tau2 : float
        Additive between-unit variance, ≥ 0.

    Notes
    -----
    The z-scores are winsorised at their ``trim`` and ``1 − trim`` quantiles (linear
    interpolation), giving :math:`z_w`. Then

    .. math::

        \\phi = \\frac{1}{n}\\sum_m z_{w,m}^2, \\qquad
        \\tau^2 = \\max\\Bigl(0, \\frac{n\\phi - (n - 1)}
                 {\\sum_m w_m - \\sum_m w_m^2 / \\sum_m w_m}\\Bigr),

    and :math:`\\tau^2 = 0` when :math:`n\\phi < n - 1` (a DerSimonian–Laird estimator applied
    to winsorised scores).

    References
    ----------
    Spiegelhalter, D. J. (2005). Handling over-dispersion of performance indicators. *Quality
    and Safety in Health Care* 14(5), 347–351.

    DerSimonian, R. and Laird, N. (1986). Meta-analysis in clinical trials. *Controlled
    Clinical Trials* 7(3), 177–188.
    """
    zs, ws = aligned(z, weights, "z", "weights")
    _positive(ws, "weights")
    if not (isinstance(trim, float | int) and 0 <= trim < 0.5):
        raise ValueError(f"trim: must be a number in [0, 0.5), got {trim!r}")
    n = len(zs)
    if n < 2:
        raise ValueError(f"z: at least two units are needed to estimate over-dispersion, got {n}")
    zw = _winsorise(zs.to_numpy(), float(trim)) if trim > 0 else zs.to_numpy()
    w = ws.to_numpy()
    phi = float(np.mean(zw**2))
    if n * phi < n - 1:
        return phi, 0.0
    denom = w.sum() - (w**2).sum() / w.sum()
    if denom <= 0:  # pragma: no cover - only with a single positive weight, excluded above
        return phi, 0.0
    return phi, float(max(0.0, (n * phi - (n - 1)) / denom))


_phi_tau2 = overdispersion  # reachable inside funnel_limits, whose flag shares the name


def funnel_limits(
    estimate: pd.Series | np.ndarray | Sequence[float],
    se: pd.Series | np.ndarray | Sequence[float],
    *,
    target: float = 0.0,
    levels: Sequence[float] = DEFAULT_LEVELS,
    overdispersion: bool = True,
    trim: float = 0.1,
    tau2: float | None = None,
) -> pd.DataFrame:
    """Normal funnel limits per unit, optionally widened for over-dispersion.

    Parameters
    ----------
    estimate : Series or array
        The indicator per unit, e.g. ``difference_pp``. A Series' index labels the units.
    se : Series or array
        Its standard error per unit (> 0), same units.
    target : float
        The centre line (0 for a gap, 1 for a ratio on its own scale).
    levels : sequence of float
        Two-sided coverage levels of the limits, e.g. ``(0.95, 0.998)``.
    overdispersion : bool
        Widen the limits by :math:`\\tau^2` estimated with :func:`overdispersion`.
    trim : float
        Winsorising fraction passed to :func:`overdispersion`.
    tau2 : float, optional
        Use this :math:`\\tau^2` instead of estimating it (requires ``overdispersion=True``).

    Returns
    -------
    DataFrame
        Indexed like ``estimate`` with columns ``estimate``, ``se``, ``z`` (unadjusted
        z-score), ``z_adjusted`` (with :math:`\\tau^2`), and for every level ``L`` (named by
        :func:`level_name`, e.g. ``95`` and ``998``) ``lowerL``, ``upperL`` and ``outlierL``
        (estimate outside the limits), plus constant columns ``phi`` and ``tau2``. ``phi``,
        ``tau2``, ``target`` and ``levels`` are also in ``DataFrame.attrs``.

    Notes
    -----
    For unit :math:`m` with standard error :math:`s_m`, the limits at coverage
    :math:`1-\\alpha` are

    .. math::

        \\text{target} \\pm z_{1-\\alpha/2}\\sqrt{s_m^2 + \\tau^2},

    with :math:`\\tau^2 = 0` for plain limits. The z-scores for the estimate of
    :math:`\\tau^2` are :math:`(y_m - \\text{target})/s_m` with weights :math:`1/s_m^2`.

    References
    ----------
    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
    *Statistics in Medicine* 24(8), 1185–1202.

    Spiegelhalter, D. J. (2005). Handling over-dispersion of performance indicators. *Quality
    and Safety in Health Care* 14(5), 347–351.

    Examples
    --------
    >>> import pandas as pd
    >>> codes = pd.Index([101, 147, 151, 153, 155, 157], name="code")
    >>> gap = pd.Series([0.5, -1.0, 2.0, 0.0, 1.5, -0.4], index=codes)
    >>> se = pd.Series([0.5, 1.0, 0.8, 0.3, 1.2, 0.6], index=codes)
    >>> funnel_limits(gap, se)[["lower95", "upper95", "outlier95"]].round(2)  # doctest: +NORMALIZE_WHITESPACE
          lower95  upper95  outlier95
    code
    101     -1.25     1.25      False
    147     -2.11     2.11      False
    151     -1.75     1.75       True
    153     -0.98     0.98      False
    155     -2.48     2.48      False
    157     -1.41     1.41      False
    """
    est, s = aligned(estimate, se, "estimate", "se")
    _positive(s, "se")
    lv = _check_levels(levels)
    if not np.isfinite(target):
        raise ValueError(f"target: must be a finite number, got {target!r}")
    if not isinstance(overdispersion, bool | np.bool_):
        raise TypeError(f"overdispersion: must be True or False, got {overdispersion!r}")
    z = (est - float(target)) / s
    if tau2 is not None:
        if not overdispersion:
            raise ValueError("tau2: a given tau2 needs overdispersion=True")
        if not (np.isfinite(tau2) and tau2 >= 0):
            raise ValueError(f"tau2: must be a finite number ≥ 0, got {tau2!r}")
        phi, t2 = float(np.mean(z.to_numpy() ** 2)), float(tau2)
    elif overdispersion:
        phi, t2 = _phi_tau2(z, weights=1.0 / s**2, trim=trim)
    else:
        phi, t2 = float(np.mean(z.to_numpy() ** 2)), 0.0
    total_sd = np.sqrt(s**2 + t2)
    out = pd.DataFrame({"estimate": est, "se": s, "z": z, "z_adjusted": (est - float(target)) / total_sd})
    for level in lv:
        name = level_name(level)
        q = stats.norm.ppf(0.5 + level / 2)
        out[f"lower{name}"] = float(target) - q * total_sd
        out[f"upper{name}"] = float(target) + q * total_sd
        out[f"outlier{name}"] = (est < out[f"lower{name}"]) | (est > out[f"upper{name}"])
    out["phi"] = phi
    out["tau2"] = t2
    out.attrs.update({"phi": phi, "tau2": t2, "target": float(target), "levels": lv})
    return out


def poisson_sr_limits(
    expected: pd.Series | np.ndarray | Sequence[float],
    *,
    levels: Sequence[float] = DEFAULT_LEVELS,
    target: float = 1.0,
    tau2: float | None = None,
) -> pd.DataFrame:
    """Exact Poisson limits for a standardised ratio O/E of counts (or log-scale adjusted ones).

    Parameters
    ----------
    expected : Series or array
        Expected counts :math:`E > 0` (need not be integers).
    levels : sequence of float
        Two-sided coverage levels.
    target : float
        Multiplier of the limits (1 for the national ratio).
    tau2 : float, optional
        Between-unit variance on the log scale, e.g. from :func:`sr_overdispersion`. When
        given, the over-dispersed log-normal limits are returned instead of the exact ones.

    Returns
    -------
    DataFrame
        Indexed like ``expected`` with ``expected`` and ``lowerL``, ``upperL`` per level.

    Notes
    -----
    With :math:`Q_k(q)` the lower-tail :math:`q` quantile of :math:`\\chi^2_k`,

    .. math::

        L = \\text{target}\\,\\frac{Q_{2E}(\\alpha/2)}{2E}, \\qquad
        U = \\text{target}\\,\\frac{Q_{2E+2}(1-\\alpha/2)}{2E}.

    For integer :math:`E` these are the exact limits for an observed count: a Poisson variable
    with mean :math:`LE` exceeds :math:`E - 1` with probability :math:`\\alpha/2`, and one with
    mean :math:`UE` is at most :math:`E` with probability :math:`\\alpha/2`.

    With ``tau2`` the limits are those of Spiegelhalter (2005b) on the log scale, where
    :math:`\\ln(O/E)` has standard error :math:`1/\\sqrt{E}`:

    .. math::

        \\text{target}\\,\\exp\\bigl(\\pm z_{1-\\alpha/2}\\sqrt{1/E + \\tau^2}\\bigr).

    References
    ----------
    Spiegelhalter, D. J. (2005a). Funnel plots for comparing institutional performance.
    *Statistics in Medicine* 24(8), 1185–1202.

    Spiegelhalter, D. J. (2005b). Handling over-dispersion of performance indicators. *Quality
    and Safety in Health Care* 14(5), 347–351.
    """
    e = as_series(expected, "expected")
    _positive(e, "expected")
    lv = _check_levels(levels)
    if not (np.isfinite(target) and target > 0):
        raise ValueError(f"target: must be a finite number > 0, got {target!r}")
    if tau2 is not None and not (np.isfinite(tau2) and tau2 >= 0):
        raise ValueError(f"tau2: must be a finite number ≥ 0, got {tau2!r}")
    ev = e.to_numpy()
    out = pd.DataFrame({"expected": e})
    for level in lv:
        a = (1 - level) / 2
        name = level_name(level)
        if tau2 is None:
            out[f"lower{name}"] = float(target) * stats.chi2.ppf(a, 2 * ev) / (2 * ev)
            out[f"upper{name}"] = float(target) * stats.chi2.ppf(1 - a, 2 * ev + 2) / (2 * ev)
        else:
            half = stats.norm.ppf(1 - a) * np.sqrt(1 / ev + float(tau2))
            out[f"lower{name}"] = float(target) * np.exp(-half)
            out[f"upper{name}"] = float(target) * np.exp(half)
    out.attrs.update({"target": float(target), "levels": lv, "tau2": tau2})
    return out


def sr_overdispersion(
    observed: pd.Series | np.ndarray | Sequence[float],
    expected: pd.Series | np.ndarray | Sequence[float],
    *,
    trim: float = 0.1,
) -> tuple[float, float]:
    """:math:`\\phi` and log-scale :math:`\\tau^2` for standardised ratios O/E of counts.

    Parameters
    ----------
    observed : array
        Observed counts :math:`O > 0`.
    expected : array
        Expected counts :math:`E > 0`.
    trim : float
        Winsorising fraction, as in :func:`overdispersion`.

    Returns
    -------
    phi, tau2 : float
        As in :func:`overdispersion`, for :math:`Y = \\ln(O/E)` with :math:`s = 1/\\sqrt{E}`,
        i.e. :math:`z = \\sqrt{E}\\ln(O/E)` and weights :math:`w = E`. Pass ``tau2`` to
        :func:`poisson_sr_limits`.

    References
    ----------
    Spiegelhalter, D. J. (2005). Handling over-dispersion of performance indicators. *Quality
    and Safety in Health Care* 14(5), 347–351.
    """
    o, e = aligned(observed, expected, "observed", "expected")
    _positive(o, "observed")
    _positive(e, "expected")
    return overdispersion(np.sqrt(e) * np.log(o / e), weights=e, trim=trim)


def funnel_curve(
    grid: Sequence[float] | np.ndarray,
    *,
    kind: CurveKind = "normal",
    target: float | None = None,
    levels: Sequence[float] = DEFAULT_LEVELS,
    tau2: float = 0.0,
) -> pd.DataFrame:
    """Limit lines over a precision grid, for drawing the funnel.

    Parameters
    ----------
    grid : array
        ``kind="normal"``: standard errors (> 0); ``kind="poisson"``: expected counts (> 0).
    kind : {"normal", "poisson"}
        Normal limits ``target ± z √(se² + τ²)`` or exact Poisson limits for O/E.
    target : float, optional
        Centre line; default 0 for ``"normal"`` and 1 for ``"poisson"``.
    levels : sequence of float
        Two-sided coverage levels.
    tau2 : float
        Between-unit variance (0 for plain limits). For ``"poisson"`` a positive value gives
        the over-dispersed log-scale limits of :func:`poisson_sr_limits`, 0 the exact ones.

    Returns
    -------
    DataFrame
        One row per grid point (sorted ascending) with the grid column (``se`` or
        ``expected``), ``precision`` (``1/se²`` or ``expected``) and ``lowerL``, ``upperL``.

    Notes
    -----
    The same formulas as :func:`funnel_limits` and :func:`poisson_sr_limits`, evaluated on
    the grid; e.g. ``funnel_curve(np.geomspace(se.min(), se.max(), 200), tau2=tau2)``.
    """
    if kind not in _KINDS:
        raise ValueError(f"kind: must be one of {list(_KINDS)}, got {kind!r}")
    g = np.sort(np.asarray(grid, dtype=float).ravel())
    name = "se" if kind == "normal" else "expected"
    if g.size == 0 or not np.all(np.isfinite(g)) or np.any(g <= 0):
        raise ValueError(f"grid: need finite values > 0 ({name}), got {g[:5].tolist()}...")
    if not (np.isfinite(tau2) and tau2 >= 0):
        raise ValueError(f"tau2: must be a finite number ≥ 0, got {tau2!r}")
    if kind == "poisson":
        lim = poisson_sr_limits(
            g, levels=levels, target=1.0 if target is None else target, tau2=float(tau2) if tau2 > 0 else None
        )
        lim.insert(1, "precision", g)
        return lim.reset_index(drop=True)
    t = 0.0 if target is None else float(target)
    lim = funnel_limits(np.full(g.size, t), g, target=t, levels=levels, overdispersion=True, tau2=float(tau2))
    keep = ["se"] + [c for c in lim.columns if c.startswith(("lower", "upper"))]
    out = lim[keep].reset_index(drop=True)
    out.insert(1, "precision", 1.0 / g**2)
    out.attrs = {"tau2": float(tau2), "target": t, "levels": lim.attrs["levels"]}
    return out


def se_by_size(
    size: pd.Series | np.ndarray | Sequence[float],
    se: pd.Series | np.ndarray | Sequence[float],
    *,
    model: SeModel = "sampling+fixed",
) -> tuple[float, float]:
    """Fit the standard error as a smooth function of the population size.

    Parameters
    ----------
    size : Series or array
        Population of each unit (> 0), e.g. residents aged 16–66.
    se : Series or array
        Standard error of each unit's indicator (> 0), as passed to :func:`funnel_limits`.
    model : {"sampling+fixed", "sampling"}
        ``"sampling+fixed"``: :math:`s(n)^2 = a + b/n`; ``"sampling"``: :math:`s(n)^2 = b/n`
        (:math:`s = c/\\sqrt{n}` with :math:`c = \\sqrt{b}`).

    Returns
    -------
    a, b : float
        The coefficients (both ≥ 0; ``a = 0`` for ``"sampling"``), so that
        ``np.sqrt(a + b / n)`` is the fitted standard error of a unit of size ``n``.

    Notes
    -----
    The variance of a gap in percentage points has a part that shrinks with the population —
    the random variation of a share around its expected value :math:`e`, at most
    :math:`e(1-e)/n` — and a part that does not: the uncertainty of the estimated model
    coefficients, which moves the expected share of a large municipality as much as that of a
    small one. Hence :math:`s(n)^2 = a + b/n` with :math:`a, b \\ge 0`. The coefficients
    minimise the squared *relative* error of the variance,

    .. math::

        \\sum_m \\Bigl(\\frac{s_m^2 - a - b/n_m}{s_m^2}\\Bigr)^2,

    by non-negative least squares, so small and large units count alike. With ``"sampling"``
    the fit is the same with :math:`a = 0`, i.e. the classical :math:`s = c/\\sqrt{n}`.

    Examples
    --------
    >>> import numpy as np
    >>> n = np.array([1_000.0, 5_000.0, 20_000.0, 100_000.0])
    >>> a, b = se_by_size(n, np.sqrt(0.01 + 900 / n))
    >>> round(a, 6), round(b, 3)
    (0.01, 900.0)
    >>> a, b = se_by_size(n, 30 / np.sqrt(n), model="sampling")
    >>> round(a, 6), round(float(np.sqrt(b)), 3)
    (0.0, 30.0)
    """
    from scipy.optimize import nnls

    n, s = aligned(size, se, "size", "se")
    _positive(n, "size")
    _positive(s, "se")
    if model not in _SE_MODELS:
        raise ValueError(f"model: must be one of {list(_SE_MODELS)}, got {model!r}")
    v = s.to_numpy() ** 2
    inv_n = 1.0 / n.to_numpy()
    if model == "sampling":
        # minimise sum((v - b/n)^2 / v^2): b = sum(1/(n v)) / sum(1/(n v)^2)
        x = inv_n / v
        return 0.0, float(x.sum() / (x**2).sum())
    design = np.column_stack([np.ones_like(v), inv_n]) / v[:, None]
    (a, b), _ = nnls(design, np.ones_like(v))
    return float(a), float(b)


def funnel_curve_by_size(
    size: pd.Series | np.ndarray | Sequence[float],
    se: pd.Series | np.ndarray | Sequence[float],
    *,
    grid: Sequence[float] | np.ndarray | None = None,
    n_grid: int = 200,
    tau2: float = 0.0,
    target: float = 0.0,
    levels: Sequence[float] = DEFAULT_LEVELS,
    model: SeModel = "sampling+fixed",
) -> pd.DataFrame:
    """Funnel limits as smooth functions of the population size, for the funnel plot's x axis.

    Parameters
    ----------
    size, se : Series or array
        Each unit's population and standard error (> 0); used to fit :func:`se_by_size`.
    grid : array, optional
        Population sizes to evaluate the limits at; default ``n_grid`` sizes spaced evenly on
        a log scale from the smallest to the largest ``size``.
    n_grid : int
        Number of grid points when ``grid`` is not given (≥ 2).
    tau2 : float
        Between-unit variance added to every limit, as in :func:`funnel_limits` (the
        ``tau2`` that :func:`funnel_limits` estimated for the same units).
    target, levels
        As in :func:`funnel_limits`.
    model : {"sampling+fixed", "sampling"}
        The standard-error model of :func:`se_by_size`.

    Returns
    -------
    DataFrame
        One row per grid size (ascending) with ``size``, ``se`` (the fitted standard error)
        and ``lowerL``, ``upperL`` per level; ``attrs`` hold ``a``, ``b``, ``tau2``, ``target``,
        ``levels`` and ``model``.

    Notes
    -----
    The limit for a unit of size :math:`n` is the same formula as in :func:`funnel_limits`,

    .. math::

        \\text{target} \\pm z_{1-\\alpha/2}\\sqrt{s(n)^2 + \\tau^2},
        \\qquad s(n)^2 = a + b/n,

    with :math:`s(n)` the fitted standard error of :func:`se_by_size` instead of the unit's
    own :math:`s_m`. A unit whose standard error lies on the fitted curve has exactly its own
    limits on the line; the others lie slightly inside or outside it, so the flags of
    :func:`funnel_limits` (from each unit's own :math:`s_m`) remain the test of record.

    Examples
    --------
    >>> import numpy as np
    >>> n = np.array([1_000.0, 5_000.0, 20_000.0, 100_000.0])
    >>> curve = funnel_curve_by_size(n, np.sqrt(0.01 + 900 / n), grid=n, tau2=0.05)
    >>> own = funnel_limits(np.zeros(4), np.sqrt(0.01 + 900 / n), tau2=0.05)
    >>> bool(np.allclose(curve["upper95"], own["upper95"]))
    True
    """
    a, b = se_by_size(size, se, model=model)
    if grid is None:
        if isinstance(n_grid, bool) or not isinstance(n_grid, int | np.integer) or n_grid < 2:
            raise ValueError(f"n_grid: must be an integer ≥ 2, got {n_grid!r}")
        n = as_series(size, "size").to_numpy()
        g = np.geomspace(n.min(), n.max(), int(n_grid))
    else:
        g = np.sort(np.asarray(grid, dtype=float).ravel())
        if g.size == 0 or not np.all(np.isfinite(g)) or np.any(g <= 0):
            raise ValueError(f"grid: need finite population sizes > 0, got {g[:5].tolist()}...")
    s = np.sqrt(a + b / g)
    curve = funnel_curve(s, kind="normal", target=target, levels=levels, tau2=tau2)
    # funnel_curve sorts by se (descending size); put the rows back in ascending size
    curve = curve.iloc[::-1].reset_index(drop=True)
    out = curve.drop(columns=["precision"])
    out.insert(0, "size", g)
    out.attrs = {**curve.attrs, "a": a, "b": b, "model": model}
    return out
