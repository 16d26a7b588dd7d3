"""Reference tests: the cell estimator against linearmodels fitted on the raw person rows.

Tolerance 1e-8 relative: both sides solve the same normal equations exactly; they differ only
in the order of floating-point sums (cells vs rows) and in the linear-algebra routine (Cholesky
on X'X vs QR/lstsq on X). With condition numbers of a few hundred that leaves errors around
1e-12, so 1e-8 leaves room without hiding a wrong formula (a wrong small-sample factor is off by
≥ 1e-4 at these sample sizes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from linearmodels.iv import IV2SLS, AbsorbingLS
from linearmodels.panel import PanelOLS

from analysis.core.benefits import SETS
from analysis.model import build_cells, fit, fit_aggregate
from analysis.model.cells import LOCAL
from analysis.model.testing import random_register

RTOL = 1e-8


@pytest.fixture(scope="module")
def register():
    return random_register(n_persons=3_000, n_municipalities=9, years=(2017, 2018), seed=11)


def raw_design(persons: pd.DataFrame, municipalities: pd.DataFrame, terms) -> pd.DataFrame:
    """Person-level regressors built independently from the term names."""
    cols = {}
    loc = municipalities.set_index(["year", "code"]).loc[
        pd.MultiIndex.from_arrays([persons.year, persons.code])
    ]
    for t in terms:
        if t == "const":
            cols[t] = np.ones(len(persons))
        elif t.startswith("age_sex["):
            age, sex = t[8:-1].split(":")
            cols[t] = ((persons.age.astype(str) == age) & (persons.sex.astype(str) == sex)).to_numpy(float)
        elif t.startswith("year["):
            cols[t] = (persons.year == int(t[5:-1])).to_numpy(float)
        elif t in LOCAL:
            cols[t] = loc[t].to_numpy(float)
        else:
            var, level = t[:-1].split("[")
            cols[t] = (persons[var].astype(str) == level).to_numpy(float)
    return pd.DataFrame(cols)


def assert_rel(a, b, rtol=RTOL):
    a, b = np.asarray(a, float), np.asarray(b, float)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max())


@pytest.mark.parametrize("cov_type", ["robust", "clustered", "unadjusted"])
@pytest.mark.parametrize("debiased", [False, True])
@pytest.mark.parametrize("benefits", ["bm2018", "all"])
def test_pooled_matches_iv2sls_on_rows(register, cov_type, debiased, benefits):
    p, m = register.persons, register.municipalities
    res = fit(p, m, benefits=benefits, spec="pooled", cov_type=cov_type, debiased=debiased)
    y = p[list(SETS[benefits])].sum(axis=1).to_numpy()
    x = raw_design(p, m, res.params.index)
    kw = {"cov_type": cov_type, "debiased": debiased}
    if cov_type == "clustered":
        kw["clusters"] = p["code"].to_numpy()
    ref = IV2SLS(y, x, None, None).fit(**kw)
    assert_rel(res.params, ref.params)
    assert_rel(res.std_errors, ref.std_errors)
    assert_rel(res.cov.to_numpy(), ref.cov.to_numpy())
    assert res.nobs == ref.nobs


@pytest.mark.parametrize("cov_type", ["robust", "clustered", "unadjusted"])
@pytest.mark.parametrize("debiased", [False, True])
def test_fe_matches_absorbingls_on_rows(register, cov_type, debiased):
    p, m = register.persons, register.municipalities
    res = fit(p, m, benefits="bm2019", spec="fe", cov_type=cov_type, debiased=debiased)
    assert not set(LOCAL) & set(res.params.index)
    y = p[list(SETS["bm2019"])].sum(axis=1).to_numpy()
    x = raw_design(p, m, res.params.index)
    kw = {"cov_type": cov_type, "debiased": debiased}
    if cov_type == "clustered":
        kw["clusters"] = p["code"].to_numpy()
    ref = AbsorbingLS(y, x, absorb=pd.DataFrame({"code": pd.Categorical(p["code"])})).fit(**kw)
    assert_rel(res.params, ref.params)  # constant = person-weighted mean effect, as in AbsorbingLS
    assert_rel(res.std_errors, ref.std_errors)


def test_fe_slopes_and_effects_match_dummy_regression(register):
    """Municipality dummies explicitly (IV2SLS): same slopes, and difference = n_m (α_m − ᾱ)."""
    p, m = register.persons, register.municipalities
    res = fit(p, m, benefits="kontanthjaelp", spec="fe", cov_type="robust", debiased=True)
    y = p["kontanthjaelp"].to_numpy()
    x = raw_design(p, m, [t for t in res.params.index if t != "const"])
    dummies = pd.get_dummies(p["code"], prefix="m", dtype=float)
    ref = IV2SLS(y, pd.concat([x, dummies], axis=1), None, None).fit(cov_type="robust", debiased=True)
    slopes = [t for t in res.params.index if t != "const"]
    assert_rel(res.params[slopes], ref.params[slopes])
    # robust debiased SEs count the municipality dummies as AbsorbingLS does
    assert_rel(res.std_errors[slopes], ref.std_errors[slopes])
    alpha = ref.params[dummies.columns].to_numpy()
    n_m = p.groupby("code").size().reindex(res.population.index).to_numpy()
    alpha_bar = (n_m * alpha).sum() / n_m.sum()
    assert_rel(res.difference.to_numpy(), n_m * (alpha - alpha_bar))
    assert_rel(res.params["const"], alpha_bar)


def test_set_sum_of_squares_is_not_sum_of_group_squares(register):
    p, m = register.persons, register.municipalities
    cells = build_cells(p, m, benefit_sets=["bm2018"])
    s, q = cells.outcome("bm2018")
    y = p[list(SETS["bm2018"])].sum(axis=1)
    assert np.isclose(q.sum(), (y**2).sum(), rtol=1e-12)
    assert np.isclose(s.sum(), y.sum(), rtol=1e-12)
    group_q = sum((p[g] ** 2).sum() for g in SETS["bm2018"])
    assert q.sum() > group_q  # cross terms are positive when a person has several groups
    assert cells.n.sum() == len(p)


@pytest.mark.parametrize("spec", ["pooled", "fe"])
def test_gap_noise_is_the_pooled_covariate_cell_variance_of_statsmodels_residuals(register, spec):
    """se_pp's noise term: each resident's covariate-cell residual variance, pooled over municipalities.

    Independent computation: statsmodels OLS on the raw person rows (municipality dummies for
    fe), residuals grouped by year × covariate levels with pandas, the mean squared residual
    times n / df_resid, summed over each municipality's residents and divided by n_m²; the
    coefficient term from statsmodels' covariance (HC0 for pooled, the clustered one for fe).
    """
    import statsmodels.api as sm

    p, m = register.persons, register.municipalities
    res = fit(p, m, benefits="bm2018", spec=spec, cov_type="clustered")
    y = p[list(SETS["bm2018"])].sum(axis=1).to_numpy()
    x = raw_design(p, m, res.params.index)
    if spec == "fe":
        x = pd.concat(
            [x, pd.get_dummies(p["code"].to_numpy(), prefix="m", drop_first=True, dtype=float)], axis=1
        )
    ols = sm.OLS(y, x.to_numpy()).fit()
    e2 = pd.Series(ols.resid**2)
    cell = (
        p[["year", "age", "sex", "education", "origin", "family", "prior"]].astype(str).agg("|".join, axis=1)
    )
    sigma2 = e2.groupby(cell.to_numpy()).transform("mean") * len(y) / ols.df_resid
    noise = 1e4 * sigma2.groupby(p["code"].to_numpy()).sum() / p.groupby("code").size() ** 2
    assert_rel(res.municipal["noise_sd_pp"] ** 2, noise.reindex(res.codes).to_numpy())
    if spec == "pooled":
        # the pooled gaps' coefficient term: statsmodels' HC0 covariance on the person rows, with
        # the small-sample scale n / (n - k) (the clustered one also counts the municipality effects)
        v = ols.get_robustcov_results(cov_type="HC0").cov_params()[1:, 1:] * len(y) / ols.df_resid
    else:
        v = res.cov.to_numpy()[1:, 1:]  # fe: the clustered covariance already conditions on the effects
    xs = raw_design(p, m, res.params.index)
    g = xs.iloc[:, 1:].groupby(p["code"].to_numpy()).mean() - xs.iloc[:, 1:].mean()
    beta_term = 1e4 * np.einsum("ij,jk,ik->i", g.to_numpy(), v, g.to_numpy())
    assert_rel(res.se_pp, np.sqrt(noise.reindex(res.codes).to_numpy() + beta_term))


def test_fit_aggregate_matches_weighted_dummy_regression():
    rng = np.random.default_rng(3)
    codes = np.arange(101, 131)
    years = [2016, 2017, 2018]
    rows = []
    for c in codes:
        for y in years:
            pop = int(rng.integers(2_000, 60_000))
            x1, x2 = rng.uniform(2, 7), rng.uniform(0, 1)
            share = 0.05 + 0.01 * x1 - 0.02 * x2 + 0.002 * (y - 2016) + rng.normal(0, 0.005)
            rows.append(
                {
                    "code": c,
                    "year": y,
                    "population": pop,
                    "x_unemp": x1,
                    "x_urban": x2,
                    "ft_dagpenge": pop * share * 0.5,
                    "ft_kontanthjaelp": pop * share * 0.3,
                    "ft_sygedagpenge": pop * share * 0.2,
                }
            )
    agg = pd.DataFrame(rows)
    res = fit_aggregate(agg, benefits="bm2018", cov_type="clustered", debiased=True)
    assert res.period == "2018"  # the latest period, fitted on all periods up to it
    share = agg[["ft_dagpenge", "ft_kontanthjaelp", "ft_sygedagpenge"]].sum(axis=1) / agg["population"]
    x = pd.DataFrame({"const": 1.0, "x_unemp": agg.x_unemp, "x_urban": agg.x_urban})
    x = pd.concat([x, pd.get_dummies(agg.year, prefix="y", drop_first=True, dtype=float)], axis=1)
    ref = IV2SLS(share, x, None, None, weights=agg.population).fit(cov_type="unadjusted")
    # slopes: exact (weighted least squares with time dummies ≡ PanelOLS with time effects)
    assert_rel(res.params[["x_unemp", "x_urban"]], ref.params[["x_unemp", "x_urban"]])
    # period effects: national expected equals actual within the period
    assert np.isclose(res.expected.sum(), res.actual.sum(), rtol=1e-9)
    last = (agg.year == 2018).to_numpy()
    fitted = (x.to_numpy() @ ref.params.to_numpy()) * agg.population
    exp_ref = pd.Series(fitted.to_numpy()[last], index=agg.code[last].to_numpy())
    assert_rel(res.expected, exp_ref.reindex(res.expected.index))
    # an earlier period uses only the data up to it
    early = fit_aggregate(agg, benefits="bm2018", period="2017")
    sub = agg[agg.year <= 2017]
    xs = pd.concat(
        [
            pd.DataFrame({"const": 1.0, "x_unemp": sub.x_unemp, "x_urban": sub.x_urban}),
            pd.get_dummies(sub.year, prefix="y", drop_first=True, dtype=float),
        ],
        axis=1,
    )
    shs = sub[["ft_dagpenge", "ft_kontanthjaelp", "ft_sygedagpenge"]].sum(axis=1) / sub["population"]
    ref_early = IV2SLS(shs, xs, None, None, weights=sub.population).fit(cov_type="unadjusted")
    assert_rel(early.params[["x_unemp", "x_urban"]], ref_early.params[["x_unemp", "x_urban"]])
    # and the clustered SEs are PanelOLS's own (cluster by entity)
    panel = agg.set_index(["code", "year"])
    pres = PanelOLS(
        share.set_axis(panel.index),
        x[["const", "x_unemp", "x_urban"]].set_axis(panel.index),
        time_effects=True,
        weights=panel.population,
    ).fit(cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True)
    assert_rel(res.std_errors[["x_unemp", "x_urban"]], pres.std_errors[["x_unemp", "x_urban"]])
