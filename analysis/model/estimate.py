"""Fit the expected-caseload model on a person register (:func:`fit`, :func:`fit_many`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.core.benefits import resolve
from analysis.core.validate import check_choice
from analysis.model.cells import LOCAL, Cells, build_cells
from analysis.model.ols import (
    COV_TYPES,
    SPECS,
    CellFit,
    CovType,
    Prepared,
    Spec,
    fit_cells,
    prepare,
)
from analysis.model.results import BLOCK_LABELS, ExpectedCaseloadResults

#: Number of joint normal draws used for rank intervals when ``bootstrap=0``.
DEFAULT_DRAWS = 1000


def _check_options(bootstrap: int, seed: int, level: float) -> None:
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise ValueError(f"bootstrap: expected a whole number of replicates ≥ 0, got {bootstrap!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed: expected an integer, got {seed!r}")
    if not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"level: expected a confidence level in (0, 1), got {level!r}")


def decompose(fit: CellFit) -> pd.DataFrame:
    """Block contributions (pp) to expected share − national mean share; ``total`` is their sum."""
    dev = fit.xbar_m - fit.xbar
    cols = {}
    for block, idx in fit.blocks.items():
        j = list(idx)
        cols[block] = 100.0 * dev[:, j] @ fit.params[j]
    out = pd.DataFrame(cols, index=pd.Index(fit.codes.astype(np.int64), name="code"))
    out["total"] = out.sum(axis=1)
    out.attrs["labels"] = {b: BLOCK_LABELS[b] for b in out.columns if b in BLOCK_LABELS}
    return out


def results_from_cells(
    cells: Cells,
    set_name: str,
    *,
    spec: Spec,
    cov_type: CovType,
    debiased: bool,
    bootstrap: int,
    seed: int,
    level: float,
    prepared: Prepared | None = None,
) -> ExpectedCaseloadResults:
    """Fit one benefit set on prepared cells and wrap the output."""
    f = fit_cells(cells, set_name, spec=spec, cov_type=cov_type, debiased=debiased, prepared=prepared)
    n_m = f.n_m
    with np.errstate(divide="ignore", invalid="ignore"):
        se_within = 100.0 * np.sqrt(f.within_ss / (n_m * (n_m - 1)))
    se_within = np.where(n_m > 1, se_within, np.nan)
    slopes = np.arange(1, len(f.params))
    g = f.xbar_m[:, slopes] - f.xbar[slopes]
    years = sorted({int(y) for y in np.unique(cells.year)})
    notes: list[str] = []
    if spec == "fe":
        notes.append(
            "Kommune-faste effekter: de lokale rammevilkår ("
            + ", ".join(LOCAL)
            + ") er konstante inden for kommunen og kan ikke identificeres; de er udeladt. "
            "Forventet = x'β + gennemsnitlig kommuneeffekt (personvægtet)."
        )
    if f.dropped:
        notes.append(f"Udeladte kategorier uden personer i data: {', '.join(f.dropped)}.")
    if len(years) > 1:
        notes.append(
            f"Personår fra {years[0]}–{years[-1]} er lagt sammen pr. kommune; modellen har årsdummies."
        )
    if cells.synthetic:
        notes.append("Syntetiske data (Syntetisk Danmark) — ikke virkelige kommuners resultater.")
    draws = bootstrap if bootstrap > 0 else DEFAULT_DRAWS
    meta = {
        "years": years,
        "r2": f.r2,
        "dropped_terms": list(f.dropped),
        "draws": draws,
        "rank_interval_method": "bootstrap" if bootstrap > 0 else "normal approximation",
        "seed": int(seed),
        "n_cells": len(cells),
    }
    return ExpectedCaseloadResults(
        params=f.params,
        cov=f.cov,
        terms=f.terms,
        slope_index=slopes,
        codes=f.codes,
        population=n_m,
        actual=f.actual,
        expected=f.expected,
        se_within_pp=se_within,
        g=g,
        decomposition=decompose(f),
        benefit_set=set_name,
        groups=cells.sets[set_name],
        spec=spec,
        cov_type=cov_type,
        debiased=debiased,
        nobs=f.nobs,
        df_resid=f.df_resid,
        n_clusters=f.n_clusters,
        names=cells.names,
        synthetic=cells.synthetic,
        notes=tuple(notes),
        level=level,
        draws=draws,
        seed=seed,
        estimator="OLS på cellestatistikker, eksakt på personniveau",
        meta=meta,
    )


def fit(
    persons: pd.DataFrame,
    municipalities: pd.DataFrame,
    *,
    benefits: str | Sequence[str] = "bm2018",
    spec: Spec = "pooled",
    cov_type: CovType = "clustered",
    debiased: bool = True,
    bootstrap: int = 0,
    seed: int = 0,
    level: float = 0.95,
) -> ExpectedCaseloadResults:
    """Estimate expected full-time persons on a benefit set given the rammevilkår.

    Parameters
    ----------
    persons, municipalities : DataFrame
        Person register and municipality table (``docs/architecture.md``).
    benefits : str or sequence of str
        ``"bm2018"``, ``"bm2019"``, ``"all"``, a group key, ``"a,b,c"`` or a list of groups.
    spec : {"pooled", "fe"}
        No municipality term, or municipality fixed effects.
    cov_type : {"clustered", "robust", "unadjusted"}
        Covariance of the coefficients; clustered by municipality code.
    debiased : bool
        Small-sample scaling as in linearmodels (see :mod:`analysis.model.ols`).
    bootstrap : int
        Number of joint replicates for the marginal rank intervals; 0 uses 1,000 draws of the
        same analytic normal approximation (:mod:`analysis.inference.draws`).
    seed : int
        Seed of the draws; the same seed gives the same intervals.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    ExpectedCaseloadResults

    Notes
    -----
    Linear probability model for the share of the year :math:`y_i` spent on the set,

    .. math:: y_i = x_i'\\beta + [\\alpha_m] + e_i,

    with :math:`x_i` age×sex, education, origin, family and prior-history dummies, local
    rammevilkår (pooled only) and year dummies. Pooled: :math:`E_m = \\sum_{i\\in m}\\hat y_i`,
    and :math:`\\sum_m E_m = \\sum_m O_m` because OLS with an intercept has residuals summing
    to zero. Fixed effects: :math:`E_m = \\sum_{i\\in m}(x_i'\\hat\\beta + \\bar\\alpha)` with
    :math:`\\bar\\alpha` the person-weighted mean effect, so that
    :math:`O_m - E_m = n_m(\\hat\\alpha_m - \\bar\\alpha)` and the national totals match.

    The variance of ``difference_pp`` is
    :math:`100^2[W_m/(n_m(n_m-1)) + g_m'V_\\beta g_m]` with :math:`W_m` the within-municipality
    residual sum of squares and :math:`g_m = \\bar x_m - \\bar x` (the intercept drops out
    because :math:`\\bar x'\\hat\\beta = \\bar y`).

    References
    ----------
    Mogstad, M., Romano, J. P., Shaikh, A. M. and Wilhelm, D. (2024). Inference for ranks with
    applications to mobility across neighbourhoods and academic achievement across countries.
    *Review of Economic Studies* 91(1), 476–518.

    Examples
    --------
    >>> from analysis.model import fit
    >>> from analysis.data.synth import generate
    >>> reg = generate(n_persons=20_000, seed=1)  # Syntetisk Danmark (synthetic)
    >>> res = fit(reg.persons, reg.municipalities, benefits="bm2018", spec="fe")
    >>> bool(abs(res.expected.sum() - res.actual.sum()) < 1e-6 * res.actual.sum())
    True
    >>> res.tidy()[["code", "difference_pp", "rank", "rank_lower", "rank_upper"]].shape
    (98, 5)
    """
    (res,) = fit_many(
        persons,
        municipalities,
        benefit_sets=[benefits if isinstance(benefits, str) else list(benefits)],
        spec=spec,
        cov_type=cov_type,
        debiased=debiased,
        bootstrap=bootstrap,
        seed=seed,
        level=level,
    ).values()
    return res


def fit_many(
    persons: pd.DataFrame,
    municipalities: pd.DataFrame,
    *,
    benefit_sets: Sequence[str | Sequence[str]] = ("bm2018",),
    spec: Spec = "pooled",
    cov_type: CovType = "clustered",
    debiased: bool = True,
    bootstrap: int = 0,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, ExpectedCaseloadResults]:
    """Fit several benefit sets from one set of cells.

    The cells, the design and :math:`(X'X)^{-1}` are built once; each set only adds its own
    outcome sums, residuals and covariance. Keys of the result
    are the resolved set names (:func:`analysis.core.benefits.resolve`), e.g. ``"bm2018"``,
    ``"kontanthjaelp"`` or ``"kontanthjaelp+foertidspension"``. Options as in :func:`fit`.
    """
    check_choice("spec", spec, SPECS)
    check_choice("cov_type", cov_type, COV_TYPES)
    _check_options(bootstrap, seed, level)
    if isinstance(benefit_sets, str):
        benefit_sets = [benefit_sets]
    specs = [b if isinstance(b, str) else list(b) for b in benefit_sets]
    if not specs:
        raise ValueError("benefit_sets: give at least one benefit set")
    names = [resolve(b)[0] for b in specs]
    cells = build_cells(persons, municipalities, benefit_sets=specs)
    prepared = prepare(cells, spec)
    return {
        name: results_from_cells(
            cells,
            name,
            spec=spec,
            cov_type=cov_type,
            debiased=debiased,
            bootstrap=bootstrap,
            seed=seed,
            level=level,
            prepared=prepared,
        )
        for name in dict.fromkeys(names)
    }
