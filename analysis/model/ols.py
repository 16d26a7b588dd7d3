"""OLS of the linear probability model on cell sufficient statistics.

The estimator is ordinary least squares on the person rows; it is computed from cells
(:mod:`analysis.model.cells`) without ever forming the person-level design matrix. For a cell
:math:`c` with :math:`n_c` persons, regressors :math:`x_c`, outcome sum :math:`S_c` and sum of
squares :math:`Q_c`:

.. math::

    X'X = \\sum_c n_c x_c x_c', \\qquad X'y = \\sum_c x_c S_c, \\qquad
    \\sum_{i\\in c} e_i = S_c - n_c \\hat y_c, \\qquad
    \\sum_{i\\in c} e_i^2 = Q_c - 2 \\hat y_c S_c + n_c \\hat y_c^2 .

Covariances follow linearmodels (``IV2SLS``/``AbsorbingLS``) exactly:

* ``unadjusted``: :math:`s^2 (X'X)^{-1}` with :math:`s^2 = e'e/n`;
* ``robust`` (HC0): :math:`(X'X)^{-1} \\left(\\sum_c x_c x_c' \\sum_{i\\in c} e_i^2\\right) (X'X)^{-1}`;
* ``clustered`` by municipality: meat :math:`\\sum_m s_m s_m'` with
  :math:`s_m = \\sum_{c\\in m} x_c (S_c - n_c\\hat y_c)`.

With ``debiased=True`` the unadjusted and robust covariances are multiplied by
:math:`n/(n-k)` and the clustered one by :math:`\\frac{G}{G-1}\\frac{n-1}{n-k}` (G clusters),
as linearmodels does. In the fixed-effects specification :math:`k` counts the municipality
dummies (less one for the constant) for the unadjusted and robust covariances but not for the
clustered one, because the effects are nested in the municipality clusters — the convention of
``AbsorbingLS``, ``PanelOLS`` and Stata's ``areg``/``xtreg, fe``.

Noise of a municipality's gap
-----------------------------
Besides the coefficients, :func:`fit_cells` returns the sampling variance of each
municipality's mean residual under the fitted model, the *noise* of its gap. A *covariate cell*
:math:`k` is a combination of year and covariate levels, pooled over municipalities. Its
conditional residual variance is estimated from every person in it, wherever they live,

.. math::

    \\hat\\sigma^2_k = \\frac{n}{n - k_r}\\,\\frac{1}{n_k}\\sum_{i\\in k} e_i^2,

(:math:`k_r` the number of estimated parameters, municipality effects included), and a
municipality's noise is what its residents would have under the national model,

.. math:: v_m = \\frac{1}{n_m^2}\\sum_{i\\in m}\\hat\\sigma^2_{k(i)} .

It is not estimated from the municipality's own outcomes: a municipality with no recipients
has an observed residual variance of (nearly) zero, and a variance taken from it would make a
count of 0 against an expected 0.8 look like an exact result. Evaluating the variance under the
model rather than under the observation is the rule of funnel plots, whose limits use the
variance at the target (Spiegelhalter 2005, *Statistics in Medicine* 24(8), 1185–1202); for a
fractional outcome the variance cannot be read off the expected share alone (it depends on how
the share of the year is spread over persons), so it is taken from the model's residuals in the
same covariate cell (the heteroskedasticity-robust idea of White 1980, pooled by cell as in the
within-cell variance of a one-way analysis of variance). The noise covariance of two disjoint
benefit sets follows in the same way from the cross-products of their residuals
(:func:`noise_covariance`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import scipy.linalg
import scipy.linalg.lapack
import scipy.sparse as sp

from analysis.core.params import check_choice
from analysis.model.cells import LEVELS, LOCAL, Cells

Spec = Literal["pooled", "fe"]
CovType = Literal["unadjusted", "robust", "clustered"]
SPECS: tuple[str, ...] = ("pooled", "fe")
COV_TYPES: tuple[str, ...] = ("unadjusted", "robust", "clustered")
BLOCKS: tuple[str, ...] = ("demography", "education", "origin", "family", "prior", "local", "year")


@dataclass(frozen=True)
class Design:
    """Cell-level design matrix with term names and rammevilkår blocks."""

    x: np.ndarray  # cells × p, column 0 is the constant
    terms: tuple[str, ...]
    blocks: dict[str, tuple[int, ...]]
    dropped: tuple[str, ...]  # dummy columns without any person (level absent)


def design(cells: Cells, spec: Spec) -> Design:
    """Dummy-coded regressors per cell (reference levels dropped, intercept kept).

    Age and sex enter as interaction dummies (reference ``16-24 × mand``); education, origin,
    family and prior history (0–5 years, as categories) as main-effect dummies; in the pooled
    specification the three local rammevilkår as levels; year dummies when there are several
    years.
    """
    cols: list[np.ndarray] = [np.ones(len(cells))]
    terms: list[str] = ["const"]
    blocks: dict[str, list[int]] = {b: [] for b in BLOCKS}
    dropped: list[str] = []

    def add(block: str, name: str, col: np.ndarray) -> None:
        if not np.any(col):
            dropped.append(name)
            return
        blocks[block].append(len(cols))
        cols.append(col.astype(np.float64))
        terms.append(name)

    lv = cells.levels
    agesex = lv["age"].astype(np.int64) * 2 + lv["sex"]
    for a, age in enumerate(LEVELS["age"]):
        for s, sex in enumerate(LEVELS["sex"]):
            if a == 0 and s == 0:
                continue
            add("demography", f"age_sex[{age}:{sex}]", agesex == a * 2 + s)
    for var in ("education", "origin", "family", "prior"):
        for j, level in enumerate(LEVELS[var][1:], start=1):
            add(var, f"{var}[{level}]", lv[var] == j)
    if spec == "pooled":
        for name in LOCAL:
            add("local", name, cells.local[name])
    years = np.unique(cells.year)
    for y in years[1:]:
        add("year", f"year[{int(y)}]", cells.year == y)
    x = np.column_stack(cols)
    return Design(
        x=x,
        terms=tuple(terms),
        blocks={b: tuple(v) for b, v in blocks.items() if v},
        dropped=tuple(dropped),
    )


def _dependencies(scaled: np.ndarray, terms: Sequence[str], tol: float = 1e-9) -> list[tuple[str, ...]]:
    """The linear dependencies among the columns of a scaled :math:`X'X` (unit diagonal).

    A rank-revealing (pivoted) Cholesky factorisation picks a largest independent set of
    columns; each remaining column is regressed on them, and it and the columns with a
    non-zero coefficient form one dependency. Falls back to the eigenvector of the smallest
    eigenvalue (as linearmodels does) when the factorisation finds full rank.
    """
    p = len(terms)
    _, piv, rank, _ = scipy.linalg.lapack.dpstrf(scaled, tol=tol)
    piv = np.asarray(piv) - 1
    groups: list[tuple[str, ...]] = []
    if rank < p:
        ind = np.sort(piv[:rank])
        for r in piv[rank:]:
            coef = np.linalg.lstsq(scaled[np.ix_(ind, ind)], scaled[ind, r], rcond=None)[0]
            involved = sorted({int(r), *(int(j) for j, c in zip(ind, coef, strict=True) if abs(c) > 1e-6)})
            groups.append(tuple(terms[j] for j in involved))
    else:
        _, vecs = np.linalg.eigh(scaled)
        v = np.abs(vecs[:, 0])
        groups.append(tuple(terms[j] for j in np.flatnonzero(v > 1e-6 * v.max())))
    return groups


def collinearity_message(
    des: Design, x: np.ndarray, n: np.ndarray, cidx: np.ndarray, scaled: np.ndarray, *, spec: str
) -> str:
    """One line naming the regressors that make :math:`X'X` singular, and why.

    In the fixed-effects specification a regressor that does not vary within any municipality
    is absorbed by the municipality effects; other dependencies are named by their columns
    (``urbanisation is constant``, ``a, b are linearly dependent``).
    """
    terms = list(des.terms)
    keep = list(range(len(terms)))
    parts = []
    if spec == "fe":
        w = np.bincount(cidx, weights=n)
        within = np.zeros(len(terms))
        total = np.zeros(len(terms))
        for j in range(1, len(terms)):
            mean_m = np.bincount(cidx, weights=n * x[:, j]) / w
            within[j] = float(n @ (x[:, j] - mean_m[cidx]) ** 2)
            total[j] = float(n @ (x[:, j] - (n @ x[:, j]) / n.sum()) ** 2)
        absorbed = [j for j in range(1, len(terms)) if total[j] > 0 and within[j] <= 1e-12 * total[j]]
        if absorbed:
            names = ", ".join(terms[j] for j in absorbed)
            parts.append(
                f"{names} {'is' if len(absorbed) == 1 else 'are'} absorbed by the municipality effects "
                "(no variation within any municipality); the fe specification cannot estimate "
                f"{'it' if len(absorbed) == 1 else 'them'}: use the pooled specification or check the data"
            )
            keep = [j for j in keep if j not in absorbed]
    sub = scaled[np.ix_(keep, keep)]
    ev = np.linalg.eigvalsh(sub)
    if ev[0] < 1e-12 * ev[-1] or not parts:
        for group in _dependencies(sub, [terms[j] for j in keep]):
            others = [t for t in group if t != "const"]
            if len(group) == 2 and "const" in group:
                parts.append(f"{others[0]} is constant in the data (collinear with the constant term)")
            elif len(others) == 1:
                parts.append(f"{others[0]} is collinear with the other regressors")
            else:
                parts.append(f"{', '.join(others)} are linearly dependent")
        cond = ev[-1] / ev[0] if ev[0] > 0 else np.inf
        parts[-1] += (
            " (X'X is singular)" if cond > 1e16 else f" (condition number {cond:.3g})"
        ) + "; check that every covariate varies in the data and that no two carry the same information"
    return "model: collinear regressors: " + "; ".join(dict.fromkeys(parts))


@dataclass(frozen=True)
class CellFit:
    """Raw estimation output (arrays); wrapped by :class:`ExpectedCaseloadResults`."""

    params: np.ndarray
    cov: np.ndarray
    terms: tuple[str, ...]
    blocks: dict[str, tuple[int, ...]]
    dropped: tuple[str, ...]
    codes: np.ndarray  # municipality codes (sorted)
    n_m: np.ndarray
    actual: np.ndarray
    expected: np.ndarray
    xbar_m: np.ndarray  # M × p person-weighted covariate means
    xbar: np.ndarray  # p national means
    noise_var: np.ndarray  # v_m: variance of the municipality's mean residual (share² units)
    fitted: np.ndarray  # fitted share per cell
    gap_cov: np.ndarray  # coefficient covariance behind the gaps (see fit_cells' Notes)
    rss: float
    nobs: int
    df_resid: int
    n_clusters: int
    r2: float


@dataclass(frozen=True)
class Prepared:
    """The parts of a fit that do not depend on the outcome, shared by every benefit set."""

    spec: str
    design: Design
    codes: np.ndarray
    cidx: np.ndarray
    agg: sp.csr_matrix  # municipalities × cells, 0/1
    n_m: np.ndarray
    xbar_m: np.ndarray
    xbar: np.ndarray
    z: np.ndarray  # regressors as they enter X'X (within-transformed for fe)
    xtx_inv: np.ndarray
    n: np.ndarray  # persons per cell
    kidx: np.ndarray  # covariate cell (year × covariate levels, over municipalities) of each cell
    n_k: np.ndarray  # persons per covariate cell
    dof: float  # n / (n − k_r): parameters estimated, municipality effects included


def prepare(cells: Cells, spec: Spec = "pooled") -> Prepared:
    """Design, municipality aggregation and :math:`(X'X)^{-1}` for ``spec`` (see :func:`fit_cells`)."""
    check_choice("spec", spec, SPECS)
    n = cells.n
    des = design(cells, spec)
    x = des.x
    codes, cidx = np.unique(cells.code, return_inverse=True)
    m = len(codes)
    agg = sp.csr_matrix((np.ones(len(n)), (cidx, np.arange(len(n)))), shape=(m, len(n)))
    n_m = agg @ n
    xn = x * n[:, None]
    xbar_m = (agg @ xn) / n_m[:, None]
    xbar = xn.sum(axis=0) / n.sum()
    z = x if spec == "pooled" else x - xbar_m[cidx] + xbar  # constant column stays 1
    xtx = z.T @ (z * n[:, None])
    d = np.sqrt(np.diag(xtx))
    if np.any(d == 0):
        raise ValueError(
            f"model: regressor(s) {[t for t, v in zip(des.terms, d, strict=True) if v == 0]} are all zero"
        )
    scaled = xtx / np.outer(d, d)
    ev = np.linalg.eigvalsh(scaled)
    if ev[0] < 1e-12 * ev[-1]:
        raise ValueError(collinearity_message(des, x, n, cidx, scaled, spec=spec))
    inv = scipy.linalg.cho_solve(scipy.linalg.cho_factor(scaled), np.eye(len(d))) / np.outer(d, d)
    kidx = covariate_cells(cells)
    n_k = np.bincount(kidx, weights=n)
    nobs = float(n.sum())
    k_r = x.shape[1] + (m - 1 if spec == "fe" else 0)
    dof = nobs / (nobs - k_r) if nobs > k_r else float("nan")
    return Prepared(spec, des, codes, cidx, agg, n_m, xbar_m, xbar, z, inv, n, kidx, n_k, dof)


def covariate_cells(cells: Cells) -> np.ndarray:
    """Index of each cell's *covariate cell*: its year and covariate levels, over municipalities."""
    key = np.unique(cells.year, return_inverse=True)[1].astype(np.int64)
    for c in LEVELS:
        key = key * len(LEVELS[c]) + cells.levels[c].astype(np.int64)
    return np.unique(key, return_inverse=True)[1]


def noise_variance(prepared: Prepared, cell_ss: np.ndarray) -> np.ndarray:
    """Noise (co)variance of each municipality's mean residual from per-cell residual (cross-)products.

    Parameters
    ----------
    prepared : Prepared
        From :func:`prepare` on the cells of the fit.
    cell_ss : ndarray
        :math:`\\sum_{i\\in c} e_i e'_i` per cell (share² units): the residual sum of squares
        of one fit, or the cross-products of two fits' residuals.

    Returns
    -------
    ndarray
        :math:`v_m = n_m^{-2}\\sum_{i\\in m}\\hat\\sigma_{k(i)}` per municipality (share² units),
        with :math:`\\hat\\sigma_k = \\frac{n}{n-k_r}\\frac{1}{n_k}\\sum_{i\\in k} e_i e'_i`
        the covariate cell's pooled residual (co)variance (module docstring).
    """
    kidx, n_k = prepared.kidx, prepared.n_k
    sigma_k = prepared.dof * np.bincount(kidx, weights=cell_ss, minlength=n_k.size) / n_k
    return prepared.agg @ (prepared.n * sigma_k[kidx]) / prepared.n_m**2


def noise_covariance(
    cells: Cells, prepared: Prepared, set_a: str, fit_a: CellFit, set_b: str, fit_b: CellFit
) -> np.ndarray:
    """Noise covariance of two disjoint benefit sets' mean residuals, per municipality (share² units).

    The cross-products of the two fits' residuals per cell,
    :math:`\\sum_{i\\in c} e_{i,A} e_{i,B} = P_{c,AB} - f_{c,B} S_{c,A} - f_{c,A} S_{c,B}
    + n_c f_{c,A} f_{c,B}`, pooled by covariate cell as in :func:`noise_variance`. Because
    OLS residuals are linear in the outcome, the noise variance of the union :math:`A\\cup B`
    is :math:`v_A + v_B + 2 c_{AB}` exactly. A person is on at most one benefit at a time, so
    :math:`c_{AB}` is typically negative: more of the year on one group leaves less for the other.

    Raises
    ------
    ValueError
        The sets share a group, or either was not requested when the cells were built.
    """
    sa, _ = cells.outcome(set_a)
    sb, _ = cells.outcome(set_b)
    fa, fb = fit_a.fitted, fit_b.fitted
    cross = cells.cross_sum(set_a, set_b) - fb * sa - fa * sb + cells.n * fa * fb
    return noise_variance(prepared, cross)


def fit_cells(
    cells: Cells,
    set_name: str,
    *,
    spec: Spec = "pooled",
    cov_type: CovType = "clustered",
    debiased: bool = True,
    prepared: Prepared | None = None,
) -> CellFit:
    """Estimate the model for one benefit set from cell statistics.

    ``prepared`` (from :func:`prepare` on the same cells and ``spec``) saves recomputing the
    outcome-independent parts when several benefit sets are fitted.

    Notes
    -----
    Pooled: :math:`y_i = x_i'\\beta + e_i`. Fixed effects: :math:`y_i = \\alpha_m + x_i'\\beta
    + e_i`, estimated by the within transformation on cells and reported, as ``AbsorbingLS``
    does, with the constant equal to the person-weighted mean effect
    :math:`\\bar\\alpha = \\bar y - \\bar x'\\beta`.
    """
    check_choice("spec", spec, SPECS)
    check_choice("cov_type", cov_type, COV_TYPES)
    if prepared is None:
        prepared = prepare(cells, spec)
    elif prepared.spec != spec or len(prepared.cidx) != len(cells):
        raise ValueError(f"prepared: made for spec {prepared.spec!r} on other cells; call prepare() again")
    s, q = cells.outcome(set_name)
    if not s.any():
        raise ValueError(
            f"benefits: no one in the data receives {' or '.join(cells.sets[set_name])} "
            f"(0 full-time persons), so there is nothing to model for {set_name}"
        )
    n = cells.n
    des = prepared.design
    x = des.x
    p = x.shape[1]
    codes, cidx, agg, n_m = prepared.codes, prepared.cidx, prepared.agg, prepared.n_m
    xbar_m, xbar, z, xtx_inv = prepared.xbar_m, prepared.xbar, prepared.z, prepared.xtx_inv
    m = len(codes)
    nobs = int(round(n.sum()))
    ybar_m = (agg @ s) / n_m
    ybar = s.sum() / n.sum()
    sz = s if spec == "pooled" else s - n * (ybar_m[cidx] - ybar)
    beta = xtx_inv @ (z.T @ sz)

    if spec == "pooled":
        f = x @ beta
        expected = n_m * (xbar_m @ beta)
    else:
        b1 = beta[1:]
        f = ybar_m[cidx] + (x[:, 1:] - xbar_m[cidx, 1:]) @ b1
        expected = n_m * (xbar_m[:, 1:] @ b1 + beta[0])
    r = s - n * f
    rss_c = np.maximum(q - 2.0 * f * s + n * f * f, 0.0)
    rss = float(rss_c.sum())
    actual = agg @ s
    noise_var = noise_variance(prepared, rss_c)

    k_robust = p + (m - 1 if spec == "fe" else 0)
    k_cluster = p  # fe: effects nested in the municipality clusters are not counted
    if cov_type == "unadjusted":
        scale = nobs / (nobs - k_robust) if debiased else 1.0
        cov = scale * (rss / nobs) * xtx_inv
    elif cov_type == "robust":
        meat = (z * rss_c[:, None]).T @ z
        scale = nobs / (nobs - k_robust) if debiased else 1.0
        cov = scale * xtx_inv @ meat @ xtx_inv
    else:
        if m < 2:
            raise ValueError("cov_type: a clustered covariance needs at least two municipalities")
        score = agg @ (z * r[:, None])
        meat = score.T @ score
        scale = (m / (m - 1)) * ((nobs - 1) / (nobs - k_cluster)) if debiased else 1.0
        cov = scale * xtx_inv @ meat @ xtx_inv
    cov = (cov + cov.T) / 2
    if spec == "pooled":
        # The gaps are about these municipalities, given their own effects: the coefficient
        # uncertainty that moves a gap is the persons' sampling noise, not the spread of the
        # municipality effects that the clustered covariance also counts (they are what the
        # gaps measure). Heteroskedasticity-robust, with the same small-sample scale.
        meat = (z * rss_c[:, None]).T @ z
        gap_cov = (nobs / (nobs - k_robust) if debiased else 1.0) * xtx_inv @ meat @ xtx_inv
        gap_cov = (gap_cov + gap_cov.T) / 2
    else:
        # with fixed effects the municipality effects are partialled out of the residuals, so
        # the requested covariance (clustered by default) already conditions on them
        gap_cov = cov
    tss = float(q.sum() - s.sum() ** 2 / n.sum())
    return CellFit(
        params=beta,
        cov=cov,
        terms=des.terms,
        blocks=des.blocks,
        dropped=des.dropped,
        codes=codes,
        n_m=n_m,
        actual=actual,
        expected=expected,
        xbar_m=xbar_m,
        xbar=xbar,
        noise_var=noise_var,
        fitted=f,
        gap_cov=gap_cov,
        rss=rss,
        nobs=nobs,
        df_resid=nobs - k_robust,
        n_clusters=m,
        r2=1.0 - rss / tss if tss > 0 else float("nan"),
    )
