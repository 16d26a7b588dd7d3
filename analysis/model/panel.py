"""The model on municipality × period aggregates (public data): :func:`fit_panel`.

Public data arrive as one row per municipality and period — full-time persons on each area
and the population aged 16–66 — not as person rows. The expected-caseload model is then a
population-weighted regression of each municipality's share on its public rammevilkår, with
period effects, estimated with linearmodels ``PanelOLS`` and clustered by municipality.

Noise of a municipality's gap
-----------------------------
As for person cells (:mod:`analysis.model.ols`), the noise of a gap is evaluated under the
model, not from the municipality's observed count: aggregates carry no person-level variance, so
the variance of an observed share around its expected share :math:`e` is taken as that of a
mean of ``population`` outcomes in [0, 1] with mean :math:`e`, at most :math:`e(1-e)` each — the
binomial variance at the expected share that funnel plots for proportions use (Spiegelhalter
2005, *Statistics in Medicine* 24(8), 1185–1202). It is conservative for a share of the year
(a person on a benefit for part of the year varies less than one on it all year or not at all)
and does not vanish when the count is 0. Two disjoint benefit sets have the multinomial noise
covariance :math:`-e_A e_B/\\text{pop}` under the same model (:func:`with_noise_covariances`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from analysis.core.municipalities import registry
from analysis.core.params import DEFAULT_DRAWS, BenefitSet, check_choice
from analysis.model.estimate import check_options
from analysis.model.results import Coefficients, ExpectedCaseloadResults, FitNote

PanelCovType = Literal["clustered", "robust", "unadjusted"]
PANEL_COV_TYPES = ("clustered", "robust", "unadjusted")


class AggregatesError(ValueError):
    """The aggregates cannot feed the requested fit (a missing outcome, column or period)."""


def outcome_columns(columns: Sequence[str], benefit_set: BenefitSet) -> list[str]:
    """The ``ft_`` column(s) whose sum is the outcome of ``benefit_set``.

    A column for the set itself (``ft_bm2019``: a published total) is used when present;
    otherwise the set's groups are summed. Raises :class:`AggregatesError` naming what is missing.
    """
    if f"ft_{benefit_set.name}" in columns:
        return [f"ft_{benefit_set.name}"]
    missing = [g for g in benefit_set.groups if f"ft_{g}" not in columns]
    if missing:
        have = sorted(c[3:] for c in columns if c.startswith("ft_"))
        raise AggregatesError(
            f"benefits: the aggregates have no outcome for {', '.join(missing)} "
            f"(needed by {benefit_set.name}); they have {', '.join(have) or 'none'}"
        )
    return [f"ft_{g}" for g in benefit_set.groups]


def as_panel(aggregates: pd.DataFrame) -> pd.DataFrame:
    """Aggregates with a string ``period`` column (a legacy integer ``year`` becomes the period)."""
    df = aggregates
    if "period" not in df.columns:
        if "year" not in df.columns:
            raise AggregatesError("aggregates: need a 'period' (or 'year') column")
        df = df.assign(period=df["year"].astype("int64").astype(str))
    else:
        df = df.assign(period=df["period"].astype(str))
    return df


@dataclass(frozen=True, eq=False)
class PanelFit:
    """One weighted panel regression of a benefit set; :meth:`results` gives any period's figures."""

    benefit_set: BenefitSet
    coefficients: Coefficients
    frame: pd.DataFrame  # code × period rows: population, actual, fitted share, x_ columns
    covariates: tuple[str, ...]
    blocks: Mapping[str, tuple[str, ...]]
    periods: tuple[str, ...]
    synthetic: bool
    rounding: float

    def results(
        self, period: str, *, draws: int = DEFAULT_DRAWS, seed: int = 0, level: float = 0.95
    ) -> ExpectedCaseloadResults:
        """The municipality figures of ``period`` (one of :attr:`periods`) with their inference.

        Parameters
        ----------
        period : str
            One of :attr:`periods`.
        draws : int
            Number of joint draws of the gaps from their estimated sampling distribution, behind
            the marginal rank intervals (:mod:`analysis.inference.draws`).
        seed : int
            Seed of the draws.
        level : float
            Confidence level of the intervals.

        Returns
        -------
        ExpectedCaseloadResults
            With ``noise_sd_pp`` from the expected share (module docstring) and no
            ``noise_cov_pp`` (:func:`with_noise_covariances` adds it for several sets).

        Raises
        ------
        AggregatesError
            A period that is not in the fit.
        """
        if period not in self.periods:
            raise AggregatesError(f"period: {period!r} is not in the fit (periods {', '.join(self.periods)})")
        rows = self.frame.loc[self.frame["period"] == period].set_index("code").sort_index()
        pop = rows["population"].to_numpy(dtype=float)
        expected_share = rows["fitted"].to_numpy(dtype=float)
        # Noise of an observed share around its expectation, from the *expected* share (module
        # docstring): e(1 − e)/pop. Published counts rounded to `rounding` add a uniform
        # rounding error of variance r²/12 (in persons², so r²/12/pop² as a share).
        e = np.clip(expected_share, 0.0, 1.0)
        var_share = e * (1 - e) / pop + (self.rounding**2 / 12.0) / pop**2
        xcols = list(self.covariates)
        x = rows[xcols].to_numpy(dtype=float)
        xbar = np.average(x, axis=0, weights=pop)
        g = x - xbar
        beta = self.coefficients.params[1:]
        decomposition = pd.DataFrame(index=rows.index)
        for block, members in self.blocks.items():
            j = [xcols.index(m) for m in members]
            decomposition[block] = 100.0 * g[:, j] @ beta[j]
        decomposition["total"] = decomposition.sum(axis=1)
        reg = registry()
        municipal = pd.DataFrame(
            {
                "name": [str(reg.loc[c, "name"]) if c in reg.index else str(c) for c in rows.index],
                "population": pop,
                "actual": rows["actual"].to_numpy(dtype=float),
                "expected": pop * expected_share,
                "noise_sd_pp": 100.0 * np.sqrt(var_share),
            },
            index=rows.index,
        )
        notes = [FitNote("period_effects", self.periods)] if len(self.periods) > 1 else []
        if self.synthetic:
            notes.append(FitNote("synthetic"))
        return ExpectedCaseloadResults(
            benefit_set=self.benefit_set,
            spec="pooled",
            estimator="panel",
            period=period,
            periods=self.periods,
            coefficients=self.coefficients,
            municipal=municipal,
            loadings=100.0 * g,
            decomposition_pp=decomposition,
            notes=tuple(notes),
            synthetic=self.synthetic,
            level=level,
            draws=draws,
            seed=seed,
            meta={},
        )


def fit_panel(
    aggregates: pd.DataFrame,
    benefit_set: BenefitSet | str,
    *,
    covariates: Sequence[str] | None = None,
    blocks: Mapping[str, Sequence[str]] | None = None,
    until: str | None = None,
    cov_type: PanelCovType = "clustered",
    debiased: bool = True,
    rounding: float = 0.0,
) -> PanelFit:
    """Fit the model on municipality × period shares with linearmodels ``PanelOLS``.

    Parameters
    ----------
    aggregates : DataFrame
        One row per ``code`` and ``period`` (or legacy ``year``): ``population`` (16–66),
        ``ft_<group>`` or ``ft_<set>`` full-time persons, ``x_<name>`` covariates
        (``docs/architecture.md``).
    benefit_set : BenefitSet or str
        Its outcome is ``ft_<set>`` when present, else the sum of its groups' columns.
    covariates : sequence of str, optional
        ``x_`` columns to use; default all.
    blocks : mapping, optional
        Decomposition block → its covariates; default one block per covariate (named without
        the ``x_`` prefix).
    until : str, optional
        Use the periods up to and including this one (no later data enter a period's figures);
        default all.
    cov_type : {"clustered", "robust", "unadjusted"}
        Clustered by municipality.
    debiased : bool
        Passed to ``PanelOLS.fit`` (n/(n−k)); for the clustered covariance also
        ``group_debias`` (g/(g−1)·(n−1)/n), which together give Stata's convention.
    rounding : float
        Rounding unit of the published counts (10 for jobindsats), added to the noise.

    Returns
    -------
    PanelFit

    Raises
    ------
    AggregatesError
        Missing outcome or covariate columns, missing values, non-positive population,
        duplicated (code, period) rows, an unknown ``until``.

    Notes
    -----
    .. math:: s_{mt} = \\lambda_t + x_{mt}'\\beta + u_{mt}, \\qquad
              s_{mt} = \\text{ft}_{mt} / \\text{pop}_{mt},

    weighted by population, with period effects :math:`\\lambda_t` when there are several
    periods. Expected = population × predicted share; with weights and period effects the
    weighted residuals sum to zero within each period, so national expected equals actual in
    each period. The gap's noise uses the expected share (see :meth:`PanelFit.results`); its
    coefficient part is :math:`g_m'V_\\beta g_m` with :math:`g_m = x_{mt} - \\bar x_t`.
    """
    from linearmodels.panel import PanelOLS

    check_choice("cov_type", cov_type, PANEL_COV_TYPES)
    bset = BenefitSet.parse(benefit_set)
    df = as_panel(aggregates)
    ycols = outcome_columns(list(df.columns), bset)
    xcols = [c for c in df.columns if c.startswith("x_")] if covariates is None else list(covariates)
    bad = [c for c in xcols if c not in df.columns]
    if bad:
        raise AggregatesError(
            f"covariates: column(s) {bad} not in the aggregates; available: "
            f"{[c for c in df.columns if c.startswith('x_')]}"
        )
    if not xcols:
        raise AggregatesError("covariates: the aggregates have no x_ columns (framework conditions)")
    periods_all = sorted(df["period"].unique())
    if until is not None:
        if until not in periods_all:
            raise AggregatesError(
                f"period: {until!r} is not in the aggregates (periods {', '.join(periods_all)})"
            )
        df = df.loc[df["period"] <= until]
    need = ["code", "period", "population", *ycols, *xcols]
    df = df[need].copy()
    for c in need:
        if df[c].isna().any():
            raise AggregatesError(f"aggregates: column {c!r} has {int(df[c].isna().sum())} missing values")
    if (df["population"] <= 0).any():
        raise AggregatesError("aggregates: column 'population' must be positive")
    if df.duplicated(["code", "period"]).any():
        raise AggregatesError("aggregates: duplicated (code, period) rows")
    df["code"] = df["code"].astype("int64")
    periods = tuple(sorted(df["period"].unique()))
    tindex = {p: i for i, p in enumerate(periods)}
    df = df.sort_values(["code", "period"])
    idx = pd.MultiIndex.from_arrays([df["code"].to_numpy(), df["period"].map(tindex).to_numpy()])
    actual = df[ycols].sum(axis=1).astype(float).set_axis(idx)
    pop = df["population"].astype(float).set_axis(idx)
    share = actual / pop
    exog = df[xcols].astype(float).set_axis(idx)
    exog.insert(0, "const", 1.0)
    mod = PanelOLS(share, exog, time_effects=len(periods) > 1, weights=pop, check_rank=True)
    kw: dict = {"cov_type": cov_type, "debiased": debiased}
    if cov_type == "clustered":
        kw["cluster_entity"] = True
        kw["group_debias"] = debiased
    if not (actual > 0).any():
        raise AggregatesError(
            f"benefits: no one in the aggregates receives {' or '.join(bset.groups)} "
            f"(0 full-time persons in every row), so there is nothing to model for {bset.name}"
        )
    res = mod.fit(**kw)
    fitted = res.fitted_values.iloc[:, 0] + res.estimated_effects.iloc[:, 0]
    terms = ("const", *xcols)
    coefficients = Coefficients(
        terms=terms,
        params=res.params.reindex(terms).to_numpy(),
        cov=res.cov.reindex(index=terms, columns=terms).to_numpy(),
        cov_type=cov_type,
        debiased=debiased,
        nobs=int(res.nobs),
        df_resid=int(res.df_resid),
        n_clusters=int(df["code"].nunique()),
        r2=float(res.rsquared),
        blocks={},
    )
    frame = df[["code", "period", *xcols]].reset_index(drop=True)
    frame["population"] = pop.to_numpy()
    frame["actual"] = actual.to_numpy()
    frame["fitted"] = fitted.to_numpy()
    block_map = {c[2:] if c.startswith("x_") else c: (c,) for c in xcols} if blocks is None else blocks
    return PanelFit(
        benefit_set=bset,
        coefficients=coefficients,
        frame=frame,
        covariates=tuple(xcols),
        blocks={k: tuple(v) for k, v in block_map.items()},
        periods=periods,
        synthetic=bool(aggregates.attrs.get("synthetic", False)),
        rounding=float(rounding),
    )


def with_noise_covariances(
    results: Mapping[str, ExpectedCaseloadResults],
) -> dict[str, ExpectedCaseloadResults]:
    """The panel results with ``noise_cov_pp`` filled in for every pair of disjoint benefit sets.

    Under the noise model of :meth:`PanelFit.results` (each person's outcome as a draw in
    [0, 1] at the expected share, at most one benefit at a time) the shares of two disjoint sets
    have the multinomial covariance :math:`-e_A e_B/\\text{pop}`; in pp² it is
    :math:`-10^4 e_A e_B/\\text{pop}`. The rounding errors of two published series are taken as
    independent.

    Parameters
    ----------
    results : mapping
        Set name → :class:`~analysis.model.results.ExpectedCaseloadResults` of the same period
        (from :meth:`PanelFit.results`).

    Raises
    ------
    ValueError
        Results of different periods or municipalities.
    """
    items = list(results.items())
    if not items:
        return {}
    first = items[0][1]
    for name, r in items:
        if r.period != first.period or not r.municipal.index.equals(first.municipal.index):
            raise ValueError(
                f"results: {name} is for another period or other municipalities than {items[0][0]}"
            )
    pop = first.municipal["population"].to_numpy(dtype=float)
    share = {
        name: np.clip(r.municipal["expected"].to_numpy(dtype=float) / pop, 0.0, 1.0) for name, r in items
    }
    out = {}
    for name, r in items:
        cols = {
            other: -1e4 * share[name] * share[other] / pop
            for other, o in items
            if other != name and not set(r.benefit_set.groups) & set(o.benefit_set.groups)
        }
        out[name] = replace(r, noise_cov_pp=pd.DataFrame(cols, index=r.municipal.index.copy()))
    return out


def fit_aggregate(
    aggregates: pd.DataFrame,
    *,
    benefits: BenefitSet | str = "bm2018",
    period: str | None = None,
    covariates: Sequence[str] | None = None,
    cov_type: PanelCovType = "clustered",
    debiased: bool = True,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    level: float = 0.95,
) -> ExpectedCaseloadResults:
    """:func:`fit_panel` on the periods up to ``period`` (default the latest), results for ``period``.

    ``draws`` is the number of joint draws of the gaps from their estimated sampling distribution
    behind the marginal rank intervals; the other options are those of :func:`fit_panel` and
    :meth:`PanelFit.results`.

    Examples
    --------
    >>> from analysis.data.aggregate import aggregate_register
    >>> from analysis.data.synth import generate
    >>> reg = generate(n_persons=20_000, seed=1, years=(2023, 2024))  # synthetic
    >>> agg = aggregate_register(reg.persons, reg.municipalities)
    >>> res = fit_aggregate(agg, benefits="bm2018")
    >>> res.period, len(res.tidy())
    ('2024', 98)
    """
    check_options(draws, seed, level)
    if period is None:
        period = sorted(as_panel(aggregates)["period"].unique())[-1]
    pf = fit_panel(
        aggregates, benefits, covariates=covariates, until=period, cov_type=cov_type, debiased=debiased
    )
    return pf.results(period, draws=draws, seed=seed, level=level)
