"""Fit the expected-caseload model on a person register (:func:`fit`, :func:`fit_many`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.core.params import DEFAULT_DRAWS, BenefitSet, check_choice, whole_number
from analysis.model.cells import LOCAL, Cells, build_cells
from analysis.model.ols import (
    COV_TYPES,
    SPECS,
    CellFit,
    CovType,
    Prepared,
    Spec,
    fit_cells,
    noise_covariance,
    prepare,
)
from analysis.model.results import Coefficients, ExpectedCaseloadResults, FitNote


def check_options(draws: int, seed: int, level: float) -> None:
    """Draws ≥ 1, seed ≥ 0, level in (0, 1) (for callers that did not parse them at the edge)."""
    whole_number("draws", draws, lo=1)
    whole_number("seed", seed, lo=0)
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0 < level < 1:
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
    return out


def results_from_cells(
    cells: Cells,
    benefit_set: BenefitSet,
    *,
    spec: Spec,
    cov_type: CovType,
    debiased: bool,
    draws: int,
    seed: int,
    level: float,
    prepared: Prepared | None = None,
    fitted: CellFit | None = None,
    noise_cov_pp: pd.DataFrame | None = None,
) -> ExpectedCaseloadResults:
    """Fit one benefit set on prepared cells (or wrap ``fitted``, its :func:`fit_cells` output)."""
    f = fitted
    if f is None:
        f = fit_cells(
            cells, benefit_set.name, spec=spec, cov_type=cov_type, debiased=debiased, prepared=prepared
        )
    n_m = f.n_m
    noise_sd = 100.0 * np.sqrt(f.noise_var)
    slopes = np.arange(1, len(f.params))
    loadings = 100.0 * (f.xbar_m[:, slopes] - f.xbar[slopes])
    periods = tuple(str(int(y)) for y in np.unique(cells.year))
    notes: list[FitNote] = []
    if spec == "fe":
        notes.append(FitNote("local_absorbed", tuple(LOCAL)))
    if f.dropped:
        notes.append(FitNote("empty_levels", tuple(f.dropped)))
    if len(periods) > 1:
        notes.append(FitNote("periods_pooled", periods))
    if cells.synthetic:
        notes.append(FitNote("synthetic"))
    codes = f.codes.astype(np.int64)
    municipal = pd.DataFrame(
        {
            "name": [cells.names.get(int(c), str(int(c))) for c in codes],
            "population": n_m,
            "actual": f.actual,
            "expected": f.expected,
            "noise_sd_pp": noise_sd,
        },
        index=pd.Index(codes, name="code"),
    )
    coefficients = Coefficients(
        terms=f.terms,
        params=f.params,
        cov=f.cov,
        cov_type=cov_type,
        debiased=debiased,
        nobs=f.nobs,
        df_resid=f.df_resid,
        n_clusters=f.n_clusters,
        r2=f.r2,
        blocks=dict(f.blocks),
        dropped=tuple(f.dropped),
    )
    return ExpectedCaseloadResults(
        benefit_set=benefit_set,
        spec=spec,
        estimator="cells",
        period=periods[-1],
        periods=periods,
        coefficients=coefficients,
        municipal=municipal,
        loadings=loadings,
        decomposition_pp=decompose(f),
        notes=tuple(notes),
        synthetic=cells.synthetic,
        level=level,
        draws=draws,
        seed=seed,
        meta={"n_cells": len(cells)},
        gap_cov=f.gap_cov,
        noise_cov_pp=noise_cov_pp,
    )


def target_gaps(
    expected: pd.DataFrame,
    municipalities: pd.DataFrame,
    *,
    groups: Sequence[str],
    specs: Sequence[str] = SPECS,
) -> dict[str, pd.DataFrame]:
    """The gaps the model targets: its point estimator applied to the *expected* outcomes.

    Parameters
    ----------
    expected : DataFrame
        A person register (schema of ``docs/architecture.md``) whose group columns hold each
        person's expected share of the year, :math:`\\mu_{ig} = E[y_{ig} \\mid x_i, m]`, instead
        of the observed one.
    municipalities : DataFrame
        The municipality table of the same register.
    groups : sequence of str
        Benefit groups to compute.
    specs : sequence of {"pooled", "fe"}
        Specifications.

    Returns
    -------
    dict
        Spec → DataFrame indexed by ``code`` with one column per group: the gap in percentage
        points, :math:`100(O_m - E_m)/n_m` computed from :math:`\\mu` in place of :math:`y`.

    Raises
    ------
    ValueError
        As :func:`fit` (naming the column, the group or the specification).

    Notes
    -----
    OLS, the expected counts and so the gap are linear in the outcome, with the design fixed by
    the persons' covariates. Hence :math:`E[\\hat d_m \\mid X] = d_m(\\mu)`: the gap computed from
    the expected shares is exactly what the estimator estimates without bias, conditionally on
    who lives where — the *true gap in the model's units* for each specification (with fixed
    effects it contains the municipality's local labour market, which the pooled specification
    models). A benefit set's target is the sum of its groups' targets.
    """
    for spec in specs:
        check_choice("spec", spec, SPECS)
    cells = build_cells(expected, municipalities, benefit_sets=list(groups))
    out: dict[str, pd.DataFrame] = {}
    for spec in specs:
        prepared = prepare(cells, spec)
        cols = {}
        for g in groups:
            f = fit_cells(cells, g, spec=spec, cov_type="unadjusted", prepared=prepared)
            cols[g] = 100.0 * (f.actual - f.expected) / f.n_m
        out[spec] = pd.DataFrame(cols, index=pd.Index(prepared.codes.astype(np.int64), name="code"))
    return out


def fit(
    persons: pd.DataFrame,
    municipalities: pd.DataFrame,
    *,
    benefits: BenefitSet | str = "bm2018",
    spec: Spec = "pooled",
    cov_type: CovType = "clustered",
    debiased: bool = True,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    level: float = 0.95,
) -> ExpectedCaseloadResults:
    """Estimate expected full-time persons on a benefit set given the rammevilkår.

    Parameters
    ----------
    persons, municipalities : DataFrame
        Person register and municipality table (``docs/architecture.md``).
    benefits : BenefitSet or str
        A :class:`~analysis.core.params.BenefitSet`, or a name it parses: ``"bm2018"``,
        ``"bm2019"``, ``"all"``, a group key or ``"a,b,c"``.
    spec : {"pooled", "fe"}
        No municipality term, or municipality fixed effects.
    cov_type : {"clustered", "robust", "unadjusted"}
        Covariance of the coefficients; clustered by municipality code.
    debiased : bool
        Small-sample scaling as in linearmodels (see :mod:`analysis.model.ols`).
    draws : int
        Number of joint draws of the gaps from their estimated sampling distribution, behind the
        marginal rank intervals (:mod:`analysis.inference.draws`).
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

    The variance of ``difference_pp`` is :math:`100^2[v_m + g_m'V_\\beta g_m]` with
    :math:`g_m = \\bar x_m - \\bar x` (the intercept drops out because
    :math:`\\bar x'\\hat\\beta = \\bar y`) and :math:`v_m` the *noise*: the variance of the
    municipality's mean residual under the fitted model, :math:`v_m = n_m^{-2}\\sum_{i\\in m}
    \\hat\\sigma^2_{k(i)}`, where :math:`\\hat\\sigma^2_k` is the residual variance of person
    :math:`i`'s covariate cell (year × covariate levels) pooled over all municipalities
    (:mod:`analysis.model.ols`). The noise is evaluated under the model, not from the
    municipality's own outcomes, so it does not vanish when a municipality has no recipients
    (Spiegelhalter 2005). ``noise_sd_pp`` is :math:`100\\sqrt{v_m}`; it enters the standard
    errors, the confidence intervals, the joint draws, the rank sets, the funnel limits and the
    empirical-Bayes shrinkage.

    Raises
    ------
    ValueError
        No one in the data receives the benefit set (naming its groups); bad options (naming
        the parameter).

    References
    ----------
    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
    *Statistics in Medicine* 24(8), 1185–1202.

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
        benefit_sets=[benefits],
        spec=spec,
        cov_type=cov_type,
        debiased=debiased,
        draws=draws,
        seed=seed,
        level=level,
    ).values()
    return res


def fit_many(
    persons: pd.DataFrame,
    municipalities: pd.DataFrame,
    *,
    benefit_sets: Sequence[BenefitSet | str] = ("bm2018",),
    spec: Spec = "pooled",
    cov_type: CovType = "clustered",
    debiased: bool = True,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    level: float = 0.95,
) -> dict[str, ExpectedCaseloadResults]:
    """Fit several benefit sets from one set of cells.

    The cells, the design and :math:`(X'X)^{-1}` are built once; each set only adds its own
    outcome sums, residuals and covariance. Keys of the result
    are the set names (:attr:`BenefitSet.name`), e.g. ``"bm2018"``,
    ``"kontanthjaelp"`` or ``"kontanthjaelp+foertidspension"``. Options as in :func:`fit`.

    Each result's ``noise_cov_pp`` holds the noise covariance (pp²) of its gap with the gap of
    every other set fitted here that shares no group with it
    (:func:`analysis.model.ols.noise_covariance`): the trade-off analysis subtracts it from the
    covariance of two groups' gaps.
    """
    check_choice("spec", spec, SPECS)
    check_choice("cov_type", cov_type, COV_TYPES)
    check_options(draws, seed, level)
    if isinstance(benefit_sets, str | BenefitSet):
        benefit_sets = [benefit_sets]
    sets = list({b.name: b for b in map(BenefitSet.parse, benefit_sets)}.values())
    if not sets:
        raise ValueError("benefit_sets: give at least one benefit set")
    cells = build_cells(persons, municipalities, benefit_sets=sets)
    prepared = prepare(cells, spec)
    raw = {
        b.name: fit_cells(cells, b.name, spec=spec, cov_type=cov_type, debiased=debiased, prepared=prepared)
        for b in sets
    }
    codes = pd.Index(prepared.codes.astype(np.int64), name="code")
    covs: dict[str, dict[str, np.ndarray]] = {b.name: {} for b in sets}
    for i, a in enumerate(sets):
        for b in sets[i + 1 :]:
            if set(a.groups) & set(b.groups):
                continue
            c = 1e4 * noise_covariance(cells, prepared, a.name, raw[a.name], b.name, raw[b.name])
            covs[a.name][b.name] = covs[b.name][a.name] = c
    return {
        b.name: results_from_cells(
            cells,
            b,
            spec=spec,
            cov_type=cov_type,
            debiased=debiased,
            draws=draws,
            seed=seed,
            level=level,
            prepared=prepared,
            fitted=raw[b.name],
            noise_cov_pp=pd.DataFrame(covs[b.name], index=codes.copy()),
        )
        for b in sets
    }
