"""Confidence sets for ranks.

Two kinds of uncertainty statement for a league table of municipalities:

* :func:`csranks` — marginal or simultaneous confidence sets for ranks with a frequentist
  guarantee (Mogstad, Romano, Shaikh & Wilhelm 2024), built from max-t tests of one-sided
  pairwise comparisons with the stepdown refinement of the paper;
* :func:`cstaubest` / :func:`cstauworst` — the set of units that may be among the
  :math:`\\tau` best (worst), e.g. "could this municipality be among the 10 worst?";
* :func:`rank_interval_from_draws` — marginal percentile intervals of ranks from joint draws of
  the estimates from their estimated sampling distribution (Goldstein & Spiegelhalter 1996).

Ranking convention: by default the largest estimate has rank 1 (``descending=True``). The
project's own convention (rank 1 = most negative ``difference_pp``) is served by
``descending=False``. Tied estimates share the smallest rank of the tie (``method="min"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from analysis.inference._series import as_series

CSType = Literal["two-sided", "lower", "upper"]
_CSTYPES: tuple[str, ...] = ("two-sided", "lower", "upper")

# Upper bound on the number of float64 elements held at once when the pairwise statistics are
# evaluated for all simulation draws (about 8 MB, small enough to stay cache-friendly).
_CHUNK_ELEMENTS = 1_000_000


@dataclass(frozen=True, eq=False)
class RankSets:
    """Confidence sets for ranks, one row per unit, indexed like the estimates.

    The object is immutable: every accessor returns a copy.

    Attributes
    ----------
    rank : Series
        Point rank of each unit (1 = best under the chosen direction; ties share the
        smallest rank).
    lower, upper : Series
        Bounds of the confidence set ``{lower, lower + 1, ..., upper}`` for the rank.
    critical_value : Series
        Final critical value used for each unit's set (the same value for every unit in a
        simultaneous set).
    coverage, simul, stepdown, cstype, descending, R, seed
        The options the sets were computed with.
    """

    frame: pd.DataFrame = field(repr=False)
    coverage: float
    simul: bool
    stepdown: bool
    cstype: str
    descending: bool
    R: int
    seed: int | None

    def __post_init__(self) -> None:
        expected = ["rank", "lower", "upper", "critical_value"]
        if list(self.frame.columns) != expected:
            raise ValueError(f"frame: expected columns {expected}, got {list(self.frame.columns)}")
        object.__setattr__(self, "frame", self.frame.copy())

    @property
    def rank(self) -> pd.Series:
        return self.frame["rank"].copy()

    @property
    def lower(self) -> pd.Series:
        return self.frame["lower"].copy()

    @property
    def upper(self) -> pd.Series:
        return self.frame["upper"].copy()

    @property
    def critical_value(self) -> pd.Series:
        return self.frame["critical_value"].copy()

    def to_frame(self) -> pd.DataFrame:
        """The sets as a DataFrame with columns ``rank, lower, upper, critical_value`` (a copy)."""
        return self.frame.copy()

    def __getitem__(self, column: str) -> pd.Series:
        return self.frame[column].copy()

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        kind = "simultaneous" if self.simul else "marginal"
        head = (
            f"RankSets({kind}, {self.cstype}, coverage={self.coverage:g}, stepdown={self.stepdown}, "
            f"R={self.R}, seed={self.seed}, units={len(self)})"
        )
        return head + "\n" + repr(self.frame[["rank", "lower", "upper"]])

    def _repr_html_(self) -> str:
        kind = "simultaneous" if self.simul else "marginal"
        caption = f"<p>{kind} {self.cstype} rank sets, coverage {self.coverage:g}</p>"
        return caption + self.frame[["rank", "lower", "upper"]].to_html()

    def contains(self, ranks: pd.Series | np.ndarray) -> pd.Series:
        """Whether each unit's set contains the given rank (aligned on the index)."""
        index = self.frame.index
        r = ranks if isinstance(ranks, pd.Series) else pd.Series(np.asarray(ranks), index=index)
        r = r.reindex(index)
        if r.isna().any():
            raise ValueError("ranks: a rank is needed for every unit in the sets")
        return ((self.frame["lower"] <= r) & (r <= self.frame["upper"])).rename("contains")


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------


def _check_cov(cov: pd.DataFrame | pd.Series | np.ndarray, index: pd.Index) -> np.ndarray:
    """Return the p × p covariance as an array aligned with ``index``, after validation."""
    p = len(index)
    if isinstance(cov, pd.DataFrame):
        if not (cov.index.equals(index) and cov.columns.equals(index)):
            if set(cov.index) == set(index) and set(cov.columns) == set(index):
                cov = cov.loc[index, index]
            else:
                raise ValueError("cov: DataFrame rows and columns must carry the same labels as x")
    elif isinstance(cov, pd.Series):
        if not cov.index.equals(index):
            if set(cov.index) == set(index):
                cov = cov.loc[index]
            else:
                raise ValueError("cov: Series of variances must carry the same labels as x")
    v = np.asarray(cov, dtype=float)
    if v.ndim == 1:
        if v.shape != (p,):
            raise ValueError(f"cov: a vector of variances must have length {p} (that of x), got {v.shape[0]}")
        if not np.all(np.isfinite(v)):
            raise ValueError("cov: variances must be finite (no NaN or inf)")
        if np.any(v < 0):
            raise ValueError("cov: variances must be non-negative")
        return np.diag(v)
    if v.shape != (p, p):
        raise ValueError(
            f"cov: expected a {p} × {p} matrix or a vector of {p} variances, got shape {v.shape}"
        )
    if not np.all(np.isfinite(v)):
        raise ValueError("cov: entries must be finite (no NaN or inf)")
    scale = max(float(np.max(np.abs(v))), np.finfo(float).tiny)
    if not np.allclose(v, v.T, rtol=1e-10, atol=1e-12 * scale):
        raise ValueError("cov: matrix must be symmetric")
    v = (v + v.T) / 2
    w = np.linalg.eigvalsh(v)
    if w[0] < -1e-10 * scale * p:
        raise ValueError(f"cov: matrix must be positive semi-definite (smallest eigenvalue {w[0]:.3g})")
    return v


def _check_common(coverage: float, cstype: str, R: int) -> None:
    if not (isinstance(coverage, float | int) and 0 < coverage < 1):
        raise ValueError(f"coverage: must be a number in (0, 1), got {coverage!r}")
    if cstype not in _CSTYPES:
        raise ValueError(f"cstype: must be one of {list(_CSTYPES)}, got {cstype!r}")
    if not (isinstance(R, int | np.integer) and not isinstance(R, bool) and R >= 10):
        raise ValueError(f"R: must be an integer number of simulation draws ≥ 10, got {R!r}")


def _point_rank(x: np.ndarray) -> np.ndarray:
    """Rank 1 = largest; ties share the smallest rank."""
    return 1 + (x[None, :] > x[:, None]).sum(axis=1)


def _psd_root(v: np.ndarray) -> np.ndarray:
    """``L`` with ``L @ L.T == v`` for symmetric positive semi-definite ``v``."""
    if np.count_nonzero(v - np.diag(np.diag(v))) == 0:
        return np.diag(np.sqrt(np.clip(np.diag(v), 0.0, None)))
    w, q = np.linalg.eigh(v)
    return q * np.sqrt(np.clip(w, 0.0, None))


# --------------------------------------------------------------------------------------------
# the stepdown procedure for pairwise differences
# --------------------------------------------------------------------------------------------


def _max_stat(
    zt: np.ndarray, a: np.ndarray, b: np.ndarray, inv_sd: np.ndarray, two_sided: bool
) -> np.ndarray:
    """``max_{pairs} (Z_a − Z_b)/σ_ab`` (absolute value if two-sided) for every draw.

    ``zt`` holds the draws unit by unit (p × R, C-contiguous) so that gathering the units of a
    chunk of pairs reads contiguous rows.
    """
    n_draws = zt.shape[1]
    out = np.full(n_draws, -np.inf)
    step = max(1, _CHUNK_ELEMENTS // n_draws)
    for start in range(0, a.size, step):
        sl = slice(start, start + step)
        d = zt[a[sl]]
        d -= zt[b[sl]]
        d *= inv_sd[sl, None]
        if two_sided:
            np.abs(d, out=d)
        np.maximum(out, d.max(axis=0), out=out)
    return out


def _stepdown(
    stat: np.ndarray,
    zt: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    inv_sd: np.ndarray,
    fwd: np.ndarray,
    bwd: np.ndarray,
    *,
    alpha: float,
    stepdown: bool,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Reject one-sided pair hypotheses with the (stepdown) max-t procedure.

    Pair ``i`` carries up to two one-sided hypotheses: "forward" (``fwd[i]``) is
    θ_a ≤ θ_b with statistic ``stat[i]`` = (x_a − x_b)/σ_ab, "backward" (``bwd[i]``) is
    θ_b ≤ θ_a with statistic ``−stat[i]``. At each step the critical value is the 1 − α
    quantile of the maximum, over the hypotheses not yet rejected, of their statistics under
    the draws; a rejected hypothesis leaves the family but its reverse stays in it. Returns
    the forward and backward rejection masks and the final critical value.
    """
    rej_f = np.zeros(a.size, dtype=bool)
    rej_b = np.zeros(a.size, dtype=bool)
    crit = np.inf
    while True:
        act_f = fwd & ~rej_f
        act_b = bwd & ~rej_b
        if not (act_f.any() or act_b.any()):
            break
        # both directions active: |Z_a − Z_b|/σ; one direction: the signed statistic
        both = act_f & act_b
        only_f = act_f & ~act_b
        only_b = act_b & ~act_f
        t = _max_stat(zt, a[both], b[both], inv_sd[both], True)
        one_a = np.concatenate([a[only_f], b[only_b]])
        one_b = np.concatenate([b[only_f], a[only_b]])
        one_inv = np.concatenate([inv_sd[only_f], inv_sd[only_b]])
        np.maximum(t, _max_stat(zt, one_a, one_b, one_inv, False), out=t)
        crit = float(np.quantile(t, 1 - alpha))
        new_f = act_f & (stat > crit)
        new_b = act_b & (-stat > crit)
        if not (new_f.any() or new_b.any()):
            break
        rej_f |= new_f
        rej_b |= new_b
        if not stepdown:
            break
    return rej_f, rej_b, crit


def _family(p: int, units: np.ndarray, cstype: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``a < b`` and the one-sided hypotheses needed for the rank sets of ``units``.

    Returns ``a, b, fwd, bwd``: ``fwd`` marks the pairs whose hypothesis θ_a ≤ θ_b is in the
    family (its rejection means θ_a > θ_b), ``bwd`` those whose θ_b ≤ θ_a is.

    Two-sided: both hypotheses of every pair with at least one member in ``units``.
    "lower": for j in units, the hypotheses θ_k ≤ θ_j (rejection: k above j).
    "upper": for j in units, the hypotheses θ_j ≤ θ_k (rejection: j above k).
    """
    inset = np.zeros(p, dtype=bool)
    inset[units] = True
    a, b = np.triu_indices(p, 1)
    keep = inset[a] | inset[b]
    a, b = a[keep], b[keep]
    if cstype == "two-sided":
        fwd = np.ones(a.size, dtype=bool)
        bwd = fwd.copy()
    elif cstype == "lower":
        fwd, bwd = inset[b], inset[a]
    else:
        fwd, bwd = inset[a], inset[b]
    return a, b, fwd, bwd


def _rank_bounds(
    x: np.ndarray,
    v: np.ndarray,
    zt: np.ndarray,
    units: np.ndarray,
    *,
    alpha: float,
    cstype: str,
    stepdown: bool,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Rank bounds of ``units`` from one family of pairwise tests (one critical value)."""
    p = x.size
    a, b, fwd, bwd = _family(p, units, cstype)
    sd = np.sqrt(np.clip(v[a, a] + v[b, b] - 2 * v[a, b], 0.0, None))
    diff = x[a] - x[b]
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_sd = np.where(sd > 0, 1.0 / sd, 0.0)
        # a known (zero-variance) non-zero difference is rejected by any test; a zero one never
        stat = np.where(sd > 0, diff / sd, np.sign(diff) * np.inf)
    stat = np.nan_to_num(stat, nan=0.0)
    rej_f, rej_b, crit = _stepdown(stat, zt, a, b, inv_sd, fwd, bwd, alpha=alpha, stepdown=stepdown)
    # count, for each unit, significantly better (above) and significantly worse (below) units
    winner = np.concatenate([a[rej_f], b[rej_b]])
    loser = np.concatenate([b[rej_f], a[rej_b]])
    above = np.bincount(loser, minlength=p)
    below = np.bincount(winner, minlength=p)
    lower = above + 1
    upper = p - below
    if cstype == "lower":
        upper = np.full(p, p)
    elif cstype == "upper":
        lower = np.ones(p, dtype=np.int64)
    return lower[units], upper[units], crit


def csranks(
    x: pd.Series | np.ndarray | Sequence[float],
    cov: pd.DataFrame | pd.Series | np.ndarray,
    *,
    coverage: float = 0.95,
    simul: bool = True,
    stepdown: bool = True,
    cstype: CSType = "two-sided",
    indices: Sequence | np.ndarray | pd.Index | None = None,
    descending: bool = True,
    R: int = 1000,
    seed: int | None = 0,
) -> RankSets:
    """Marginal or simultaneous confidence sets for ranks (Mogstad et al. 2024).

    Parameters
    ----------
    x : Series or array of length p
        Estimates :math:`\\hat\\theta`. A Series' index labels the units.
    cov : DataFrame, array (p × p) or vector of p variances
        Covariance matrix :math:`\\Sigma` of the estimates (a vector means a diagonal
        :math:`\\Sigma`). Must be symmetric positive semi-definite.
    coverage : float
        Nominal coverage :math:`1-\\alpha` of the sets (jointly if ``simul``).
    simul : bool
        ``True``: simultaneous sets for all units in ``indices`` (they cover all true ranks
        jointly). ``False``: marginal sets, each computed on its own (``indices = j``).
    stepdown : bool
        Use the stepdown refinement (never wider, usually narrower).
    cstype : {"two-sided", "lower", "upper"}
        ``"two-sided"`` gives ``[lower, upper]``; ``"lower"`` only a bound on the best possible
        rank (``upper = p``); ``"upper"`` only a bound on the worst possible rank
        (``lower = 1``).
    indices : labels of x, optional
        Units for which sets are wanted (default all). With ``simul=True`` the sets hold
        jointly for these units only.
    descending : bool
        ``True``: the largest estimate has rank 1. ``False``: the smallest has rank 1.
    R : int
        Number of simulation draws for the critical values.
    seed : int or None
        Seed of the ``numpy`` generator; the same seed gives identical sets.

    Returns
    -------
    RankSets
        ``rank``, ``lower``, ``upper`` and ``critical_value`` per unit in ``indices``.

    Notes
    -----
    The sets come from tests of the one-sided hypotheses
    :math:`H_{jk}: \\theta_j \\le \\theta_k` (:math:`j \\ne k`); rejecting :math:`H_{jk}` means
    that unit :math:`j` is significantly above unit :math:`k`. With
    :math:`\\hat\\Delta_{jk} = \\hat\\theta_j - \\hat\\theta_k` and
    :math:`\\sigma_{jk}^2 = \\Sigma_{jj} + \\Sigma_{kk} - 2\\Sigma_{jk}`, :math:`H_{jk}` is
    rejected when :math:`\\hat\\Delta_{jk}/\\sigma_{jk} > c`, where the critical value :math:`c`
    for a family :math:`I` of hypotheses is the :math:`1-\\alpha` quantile of

    .. math::

        T = \\max_{(j,k)\\in I} \\frac{Z_j - Z_k}{\\sigma_{jk}}, \\qquad Z \\sim N(0, \\Sigma),

    approximated with ``R`` draws. While both :math:`H_{jk}` and :math:`H_{kj}` are in
    :math:`I` their two terms amount to :math:`|Z_j - Z_k|/\\sigma_{jk}`, so the single-step
    two-sided sets are those of simultaneous two-sided intervals for the differences. With
    ``stepdown`` the rejected hypotheses leave :math:`I` — a rejected :math:`H_{jk}` only, its
    reverse :math:`H_{kj}` stays — :math:`c` is recomputed and the step repeated until nothing
    new is rejected. With :math:`N^-_j` the number of units :math:`k` with :math:`H_{kj}`
    rejected (significantly above :math:`j`) and :math:`N^+_j` the number with :math:`H_{jk}`
    rejected (significantly below),

    .. math::

        \\mathrm{CS}_j = \\{N^-_j + 1, \\ldots, p - N^+_j\\}.

    For two-sided sets :math:`I` starts with :math:`H_{jk}` and :math:`H_{kj}` for every pair
    with at least one member in ``indices`` (simultaneous sets) or with member :math:`j` (the
    marginal set of :math:`j`). ``"lower"`` sets use only the :math:`H_{kj}` and ``"upper"``
    sets only the :math:`H_{jk}` with :math:`j` in ``indices``. Pairs with
    :math:`\\sigma_{jk} = 0` are decided by the sign of :math:`\\hat\\Delta_{jk}` (a non-zero
    difference is rejected at once, a zero one never) and contribute 0 to :math:`T`.

    The draws are :math:`Z = N L'` with ``N = numpy.random.default_rng(seed).standard_normal((R, p))``
    and :math:`L` a square root of :math:`\\Sigma` (:math:`\\operatorname{diag}(\\sqrt{\\Sigma_{jj}})`
    for a diagonal :math:`\\Sigma`); the same draws serve every step and every unit's
    marginal set. Ranks use the direction given by ``descending``: with ``descending=False``
    the procedure is applied to :math:`-\\hat\\theta`.

    References
    ----------
    Mogstad, M., Romano, J. P., Shaikh, A. M. and Wilhelm, D. (2024). Inference for ranks with
    applications to mobility across neighbourhoods and academic achievement across countries.
    *Review of Economic Studies* 91(1), 476–518. doi:10.1093/restud/rdad006.

    Wilhelm, D. et al. csranks: Statistical tools for ranks. R package,
    https://github.com/danielwilhelm/R-CS-ranks (the reference implementation; its output is
    compared with these sets in ``tests/test_ranks_reference.py``).

    Examples
    --------
    >>> import numpy as np
    >>> sets = csranks(np.array([0.0, 0.0, 10.0, 20.0]), np.ones(4), R=2000)
    >>> sets.to_frame()[["rank", "lower", "upper"]].to_numpy().tolist()
    [[3, 3, 4], [3, 3, 4], [2, 2, 2], [1, 1, 1]]
    """
    _check_common(coverage, cstype, R)
    if not isinstance(simul, bool | np.bool_):
        raise TypeError(f"simul: must be True or False, got {simul!r}")
    if not isinstance(stepdown, bool | np.bool_):
        raise TypeError(f"stepdown: must be True or False, got {stepdown!r}")
    if not isinstance(descending, bool | np.bool_):
        raise TypeError(f"descending: must be True or False, got {descending!r}")
    xs = as_series(x, "x", unique=True)
    p = len(xs)
    if p < 2:
        raise ValueError("x: at least two units are needed to rank")
    v = _check_cov(cov, xs.index)
    units = _resolve_indices(indices, xs.index)
    xv = xs.to_numpy(dtype=float)
    if not descending:
        xv = -xv
    alpha = 1 - float(coverage)
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((int(R), p)) @ _psd_root(v).T
    zt = np.ascontiguousarray(z.T)  # p × R: one row of draws per unit
    if simul:
        lo, up, crit = _rank_bounds(xv, v, zt, units, alpha=alpha, cstype=cstype, stepdown=stepdown)
        crits = np.full(units.size, crit)
    else:
        lo = np.empty(units.size, dtype=np.int64)
        up = np.empty(units.size, dtype=np.int64)
        crits = np.empty(units.size)
        for i, j in enumerate(units):
            lj, uj, cj = _rank_bounds(xv, v, zt, np.array([j]), alpha=alpha, cstype=cstype, stepdown=stepdown)
            lo[i], up[i], crits[i] = lj[0], uj[0], cj
    frame = pd.DataFrame(
        {
            "rank": _point_rank(xv)[units].astype(np.int64),
            "lower": lo.astype(np.int64),
            "upper": up.astype(np.int64),
            "critical_value": crits,
        },
        index=xs.index[units],
    )
    return RankSets(
        frame,
        coverage=float(coverage),
        simul=bool(simul),
        stepdown=bool(stepdown),
        cstype=cstype,
        descending=bool(descending),
        R=int(R),
        seed=seed,
    )


def _resolve_indices(indices: Sequence | np.ndarray | pd.Index | None, index: pd.Index) -> np.ndarray:
    if indices is None:
        return np.arange(len(index))
    labels = pd.Index(np.atleast_1d(np.asarray(indices, dtype=object)))
    if labels.size == 0:
        raise ValueError("indices: no units given")
    if not labels.is_unique:
        raise ValueError("indices: labels must be unique")
    pos = index.get_indexer(labels)
    if (pos < 0).any():
        missing = labels[pos < 0].tolist()[:10]
        raise ValueError(f"indices: labels {missing} are not in the index of x")
    return np.sort(pos)


def _tau_set(
    x: pd.Series | np.ndarray | Sequence[float],
    cov: pd.DataFrame | pd.Series | np.ndarray,
    *,
    tau: int,
    worst: bool,
    coverage: float,
    stepdown: bool,
    descending: bool,
    R: int,
    seed: int | None,
) -> pd.Series:
    xs = as_series(x, "x", unique=True)
    p = len(xs)
    if not (isinstance(tau, int | np.integer) and not isinstance(tau, bool) and 1 <= tau <= p):
        raise ValueError(f"tau: must be an integer between 1 and the number of units ({p}), got {tau!r}")
    cstype: CSType = "upper" if worst else "lower"
    sets = csranks(
        xs,
        cov,
        coverage=coverage,
        simul=True,
        stepdown=stepdown,
        cstype=cstype,
        descending=descending,
        R=R,
        seed=seed,
    )
    name = f"may_be_{'worst' if worst else 'best'}_{int(tau)}"
    if worst:
        out = sets.upper >= p - int(tau) + 1
    else:
        out = sets.lower <= int(tau)
    return out.rename(name)


def cstaubest(
    x: pd.Series | np.ndarray | Sequence[float],
    cov: pd.DataFrame | pd.Series | np.ndarray,
    *,
    tau: int,
    coverage: float = 0.95,
    stepdown: bool = True,
    descending: bool = True,
    R: int = 1000,
    seed: int | None = 0,
) -> pd.Series:
    """Which units may be among the ``tau`` best: a confidence set for the τ-best.

    Parameters
    ----------
    x, cov, coverage, stepdown, descending, R, seed
        As in :func:`csranks`.
    tau : int
        Size of the top group (1 ≤ tau ≤ p).

    Returns
    -------
    Series of bool
        Indexed like ``x``; ``True`` for the units in the confidence set. With probability at
        least ``coverage`` (asymptotically) every unit whose true rank is ≤ ``tau`` is in it.

    Notes
    -----
    The set is :math:`\\{j : L_j \\le \\tau\\}` where :math:`L_j` are simultaneous one-sided
    lower rank bounds (``cstype="lower"``) for all units. It is the projection of the
    simultaneous one-sided rank sets, which is valid; the paper also gives a refinement that can
    be smaller.

    References
    ----------
    Mogstad, M., Romano, J. P., Shaikh, A. M. and Wilhelm, D. (2024). Inference for ranks.
    *Review of Economic Studies* 91(1), 476–518.
    """
    return _tau_set(
        x,
        cov,
        tau=tau,
        worst=False,
        coverage=coverage,
        stepdown=stepdown,
        descending=descending,
        R=R,
        seed=seed,
    )


def cstauworst(
    x: pd.Series | np.ndarray | Sequence[float],
    cov: pd.DataFrame | pd.Series | np.ndarray,
    *,
    tau: int,
    coverage: float = 0.95,
    stepdown: bool = True,
    descending: bool = True,
    R: int = 1000,
    seed: int | None = 0,
) -> pd.Series:
    """Which units may be among the ``tau`` worst: a confidence set for the τ-worst.

    Parameters
    ----------
    x, cov, coverage, stepdown, descending, R, seed
        As in :func:`csranks`.
    tau : int
        Size of the bottom group (1 ≤ tau ≤ p).

    Returns
    -------
    Series of bool
        Indexed like ``x``; ``True`` for units that may have one of the ``tau`` worst ranks
        (ranks ``p − tau + 1, ..., p``).

    Notes
    -----
    The set is :math:`\\{j : U_j \\ge p - \\tau + 1\\}` with :math:`U_j` simultaneous
    one-sided upper rank bounds (``cstype="upper"``); the projection of the simultaneous
    one-sided sets (see :func:`cstaubest`).

    References
    ----------
    Mogstad, M., Romano, J. P., Shaikh, A. M. and Wilhelm, D. (2024). Inference for ranks.
    *Review of Economic Studies* 91(1), 476–518.
    """
    return _tau_set(
        x,
        cov,
        tau=tau,
        worst=True,
        coverage=coverage,
        stepdown=stepdown,
        descending=descending,
        R=R,
        seed=seed,
    )


def rank_interval_from_draws(
    draws: pd.DataFrame | np.ndarray,
    *,
    level: float = 0.95,
    descending: bool = True,
    point: pd.Series | np.ndarray | None = None,
) -> pd.DataFrame:
    """Marginal percentile intervals of ranks from draws of the estimates.

    Parameters
    ----------
    draws : DataFrame or array (R × p)
        Each row a joint draw of the p estimates from their estimated sampling distribution
        (:func:`analysis.inference.draws.draw_gaps`), or any other joint draws (resampling
        replicates, posterior draws).
        A DataFrame's columns label the units.
    level : float
        Coverage of each marginal interval.
    descending : bool
        ``True``: the largest value has rank 1 in each draw; ``False``: the smallest.
    point : Series or array, optional
        The point estimates (p, in the order or with the labels of the columns of ``draws``).
        When given, each interval is extended to contain the unit's point rank (see Notes).

    Returns
    -------
    DataFrame
        Indexed by unit with columns ``lower``, ``median`` and ``upper`` (integer ranks) and
        ``mean`` (mean rank over draws).

    Raises
    ------
    ValueError
        ``draws`` not 2-D, with fewer than 2 rows, non-finite or with duplicated labels;
        ``level`` outside (0, 1); ``point`` of another length or with other labels.

    Notes
    -----
    Units are ranked within each draw :math:`r`, giving :math:`\\mathrm{rank}^{(r)}_j`. The
    interval is :math:`[q_{\\alpha/2}, q_{1-\\alpha/2}]` of those ranks, with the lower
    quantile rounded down and the upper rounded up to observed ranks, so it is never narrower
    than the nominal percentile interval. These intervals are marginal: they do not cover all
    ranks jointly (see :func:`csranks` for simultaneous sets). Ties within a draw share the
    smallest rank.

    Draws centred on the estimates pull the ranks of extreme units towards the middle: among
    many noisy units, the unit with the most extreme estimate is rarely the most extreme in a
    draw, so the percentile interval can miss its own point rank (rank 1 with the interval
    2–75, say). With ``point`` the interval is widened to the point rank in that case,
    :math:`[\\min(q_{\\alpha/2}, \\hat r), \\max(q_{1-\\alpha/2}, \\hat r)]`, so that a table
    never shows a rank outside its own interval; widening can only raise coverage.

    References
    ----------
    Goldstein, H. and Spiegelhalter, D. J. (1996). League tables and their limitations:
    statistical issues in comparisons of institutional performance. *Journal of the Royal
    Statistical Society A* 159(3), 385–443.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> draws = rng.normal([0.0, 0.1, 1.0], 0.2, size=(1000, 3))
    >>> rank_interval_from_draws(draws, descending=False)[["lower", "upper"]]
       lower  upper
    0      1      2
    1      1      2
    2      3      3
    """
    if not (isinstance(level, float | int) and 0 < level < 1):
        raise ValueError(f"level: must be a number in (0, 1), got {level!r}")
    if not isinstance(descending, bool | np.bool_):
        raise TypeError(f"descending: must be True or False, got {descending!r}")
    if isinstance(draws, pd.DataFrame):
        labels = draws.columns
        arr = draws.to_numpy(dtype=float)
    else:
        arr = np.asarray(draws, dtype=float)
        if arr.ndim != 2:
            raise ValueError(f"draws: expected a 2-D (R × p) array, got shape {arr.shape}")
        labels = pd.RangeIndex(arr.shape[1])
    if arr.shape[0] < 2 or arr.shape[1] < 1:
        raise ValueError(f"draws: need at least 2 draws (rows) and 1 unit (column), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("draws: values must be finite (no NaN or inf)")
    if not labels.is_unique:
        raise ValueError("draws: column labels must be unique")
    vals = -arr if descending else arr
    ranks = rankdata(vals, method="min", axis=1).astype(np.int64)  # ties share the smallest rank
    a = (1 - level) / 2
    lower = np.quantile(ranks, a, axis=0, method="lower").astype(np.int64)
    upper = np.quantile(ranks, 1 - a, axis=0, method="higher").astype(np.int64)
    if point is not None:
        if isinstance(point, pd.Series) and isinstance(draws, pd.DataFrame):
            if set(point.index) != set(labels) or not point.index.is_unique:
                raise ValueError("point: its labels differ from the columns of draws")
            point = point.reindex(labels)
        pt = np.asarray(point, dtype=float)
        if pt.shape != (arr.shape[1],) or not np.all(np.isfinite(pt)):
            raise ValueError(f"point: expected {arr.shape[1]} finite estimates, got shape {pt.shape}")
        r_hat = rankdata(-pt if descending else pt, method="min").astype(np.int64)
        lower, upper = np.minimum(lower, r_hat), np.maximum(upper, r_hat)
    out = pd.DataFrame(
        {
            "lower": lower,
            "median": np.quantile(ranks, 0.5, axis=0, method="nearest").astype(np.int64),
            "upper": upper,
            "mean": ranks.mean(axis=0),
        },
        index=labels,
    )
    return out
