"""The model on municipality × year aggregates (public StatBank data): :func:`fit_aggregate`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from analysis.core.benefits import resolve
from analysis.core.validate import check_choice
from analysis.model.estimate import DEFAULT_DRAWS, _check_options
from analysis.model.results import ExpectedCaseloadResults

AggCovType = Literal["clustered", "robust", "unadjusted"]
_PANEL_COV = {"clustered": "clustered", "robust": "robust", "unadjusted": "unadjusted"}


def fit_aggregate(
    aggregates: pd.DataFrame,
    *,
    benefits: str | Sequence[str] = "bm2018",
    covariates: Sequence[str] | None = None,
    cov_type: AggCovType = "clustered",
    debiased: bool = True,
    bootstrap: int = 0,
    seed: int = 0,
    level: float = 0.95,
) -> ExpectedCaseloadResults:
    """Fit the model on municipality-year shares with linearmodels ``PanelOLS``.

    Parameters
    ----------
    aggregates : DataFrame
        ``code, year, population, ft_<group>…, x_<name>…`` (``docs/architecture.md``).
    benefits : str or sequence of str
        Benefit set; every group needs its ``ft_<group>`` column.
    covariates : sequence of str, optional
        ``x_`` columns to use; default all ``x_*`` columns.
    cov_type : {"clustered", "robust", "unadjusted"}
        Clustered by municipality code.
    debiased : bool
        Passed to ``PanelOLS.fit`` (n/(n−k) scaling); for the clustered covariance also
        ``group_debias`` (g/(g−1)·(n−1)/n), which together give Stata's convention. PanelOLS
        always counts the time effects' degrees of freedom.

    Notes
    -----
    .. math:: s_{mt} = \\lambda_t + x_{mt}'\\beta + u_{mt}, \\qquad
              s_{mt} = \\sum_{g\\in\\text{set}} \\text{ft}_{g,mt} / \\text{pop}_{mt},

    weighted by population, with time effects :math:`\\lambda_t` when there are several
    years (a constant otherwise). Expected = population × predicted share; with weights and
    time effects the weighted residuals sum to zero within each year, so national expected
    equals actual. The within-municipality variance of a share is bounded by
    :math:`s(1-s)/\\text{pop}` (an outcome in [0, 1] with mean s); that bound is used for the
    standard error of ``difference_pp`` (conservative), plus :math:`g_m'V_\\beta g_m`.
    """
    from linearmodels.panel import PanelOLS

    check_choice("cov_type", cov_type, tuple(_PANEL_COV))
    _check_options(bootstrap, seed, level)
    name, groups = resolve(benefits if isinstance(benefits, str) else list(benefits))
    need = ["code", "year", "population", *[f"ft_{g}" for g in groups]]
    missing = [c for c in need if c not in aggregates.columns]
    if missing:
        raise ValueError(f"aggregates: missing column(s) {missing} for benefit set {name!r}")
    xcols = [c for c in aggregates.columns if c.startswith("x_")] if covariates is None else list(covariates)
    bad = [c for c in xcols if c not in aggregates.columns]
    if bad:
        raise ValueError(
            f"covariates: column(s) {bad} not in aggregates; available: "
            f"{[c for c in aggregates.columns if c.startswith('x_')]}"
        )
    df = aggregates[need + xcols].copy()
    for c in df.columns:
        if df[c].isna().any():
            raise ValueError(f"aggregates: column {c!r} has {int(df[c].isna().sum())} missing values")
    if (df["population"] <= 0).any():
        raise ValueError("aggregates: column 'population' must be positive")
    if df.duplicated(["code", "year"]).any():
        raise ValueError("aggregates: duplicated (code, year) rows")
    df["code"] = df["code"].astype("int64")
    df["year"] = df["year"].astype("int64")
    df = df.sort_values(["code", "year"]).set_index(["code", "year"])
    actual_mt = df[[f"ft_{g}" for g in groups]].sum(axis=1).astype(float)
    pop = df["population"].astype(float)
    share = actual_mt / pop
    years = sorted(df.index.get_level_values("year").unique().tolist())
    exog = df[xcols].astype(float).copy()
    exog.insert(0, "const", 1.0)
    mod = PanelOLS(share, exog, time_effects=len(years) > 1, weights=pop, check_rank=True)
    kw: dict = {"cov_type": _PANEL_COV[cov_type], "debiased": debiased}
    if cov_type == "clustered":
        kw["cluster_entity"] = True
        kw["group_debias"] = debiased
    res = mod.fit(**kw)
    pred = res.fitted_values.iloc[:, 0] + res.estimated_effects.iloc[:, 0]
    expected_mt = pop * pred
    codes = np.sort(df.index.get_level_values("code").unique().to_numpy())
    by = df.index.get_level_values("code")
    population = pop.groupby(by).sum().reindex(codes)
    actual = actual_mt.groupby(by).sum().reindex(codes)
    expected = expected_mt.groupby(by).sum().reindex(codes)
    var_share = (pop * share * (1 - share)).groupby(by).sum().reindex(codes)
    se_within = 100 * np.sqrt(var_share.to_numpy()) / population.to_numpy()
    terms = ["const", *xcols]
    params = res.params.reindex(terms).to_numpy()
    cov = res.cov.reindex(index=terms, columns=terms).to_numpy()
    xw = exog[xcols].mul(pop, axis=0)
    xbar_m = (xw.groupby(by).sum().reindex(codes).to_numpy()) / population.to_numpy()[:, None]
    xbar = xw.sum().to_numpy() / pop.sum()
    g = xbar_m - xbar
    slopes = np.arange(1, len(terms))
    decomp = pd.DataFrame(100 * g * params[1:], index=pd.Index(codes, name="code"), columns=xcols)
    decomp["total"] = decomp.sum(axis=1)
    synthetic = bool(aggregates.attrs.get("synthetic", False))
    notes = [f"Kommune × år-aggregater ({years[0]}–{years[-1]}), PanelOLS vægtet med befolkningen."]
    if len(years) > 1:
        notes.append("Tidseffekter (år) er med i modellen.")
    if synthetic:
        notes.append("Syntetiske data (Syntetisk Danmark) — ikke virkelige kommuners resultater.")
    names: dict[int, str] = {}
    if "name" in aggregates.columns:
        names = {int(k): str(v) for k, v in zip(aggregates["code"], aggregates["name"], strict=True)}
    else:
        try:
            from analysis.core.municipalities import registry

            names = {int(k): str(v) for k, v in registry()["name"].items()}
        except Exception:
            names = {}
    return ExpectedCaseloadResults(
        params=params,
        cov=cov,
        terms=tuple(terms),
        slope_index=slopes,
        codes=codes,
        population=population.to_numpy(),
        actual=actual.to_numpy(),
        expected=expected.to_numpy(),
        se_within_pp=se_within,
        g=g,
        decomposition=decomp,
        benefit_set=name,
        groups=groups,
        spec="aggregate",
        cov_type=cov_type,
        debiased=debiased,
        nobs=int(res.nobs),
        df_resid=int(res.df_resid),
        n_clusters=len(codes),
        names=names,
        synthetic=synthetic,
        notes=tuple(notes),
        level=level,
        draws=bootstrap if bootstrap > 0 else DEFAULT_DRAWS,
        seed=seed,
        estimator="PanelOLS på kommune × år",
        meta={
            "years": years,
            "r2": float(res.rsquared),
            "draws": bootstrap or DEFAULT_DRAWS,
            "seed": int(seed),
        },
    )
