"""The noise of a municipality's gap is evaluated under the model, not from its own outcomes.

A municipality with no recipients has no observed residual variance; the noise model must still
give its gap the uncertainty that its expected count implies. The independent values here are a
compound-Poisson standard deviation computed from the raw rows (a count with mean E whose
recipients are on for a share s of the year has variance ≈ E·E[s²]/E[s]), the Poisson
probability of observing 0, the noise of the same municipality before its outcomes were set to
zero, and statsmodels residuals on the raw rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.core.benefits import GROUPS
from analysis.data.aggregate import aggregate_register
from analysis.data.sources import PersonRegister, aggregates_of_register
from analysis.data.synth import generate, write_register
from analysis.model import fit, fit_many, fit_panel
from analysis.model.panel import AggregatesError, with_noise_covariances
from analysis.model.testing import random_register
from tests.test_model_reference import raw_design


@pytest.fixture(scope="module")
def issue_register():
    """The register of the report: ``kommunebench synth --persons 60000 --seed 1 --years 2023,2024``."""
    return generate(n_persons=60_000, seed=1, years=(2023, 2024))


def compound_poisson_sd_pp(persons: pd.DataFrame, group: str, expected: float, population: float) -> float:
    """100 · sd of a municipality's mean share if its count were compound Poisson with mean ``expected``.

    The national ratio E[y²]/E[y] is the mean share of the year of a recipient weighted by that
    share (κ); a count of recipients with mean E/E[s] each contributing s has variance E·κ.
    """
    y = persons[group].to_numpy()
    kappa = (y**2).sum() / y.sum()
    return 100.0 * np.sqrt(kappa * expected) / population


@pytest.mark.parametrize("spec", ["pooled", "fe"])
def test_municipality_with_no_recipients_keeps_the_noise_its_expected_count_implies(issue_register, spec):
    p, m = issue_register.persons, issue_register.municipalities
    res = fit(p, m, benefits="ressourceforloeb", spec=spec)
    t = res.tidy().set_index("name")
    aero = t.loc["Ærø"]
    assert aero["actual"] == 0
    assert aero["population"] == 122
    assert 0.5 < aero["expected"] < 1.0
    noise = res.municipal.set_index("name").loc["Ærø", "noise_sd_pp"]
    poisson_sd = compound_poisson_sd_pp(p, "ressourceforloeb", aero["expected"], aero["population"])
    assert noise == pytest.approx(poisson_sd, rel=0.1)
    # P(0 | Poisson(E)) is far from small, so the normal test on the gap must not reject either
    assert stats.poisson.pmf(0, aero["expected"]) > 0.4
    assert 2 * stats.norm.sf(abs(aero["difference_pp"]) / aero["se_pp"]) > 0.2
    assert not aero["funnel_outlier998"]
    assert not aero["funnel_outlier95"]
    assert aero["se_pp"] > t["se_pp"].median()  # a small municipality is noisier than the typical one
    assert aero["rank_upper"] >= 50
    assert aero["rank_cs_upper"] >= 90


def test_one_municipality_set_to_zero_keeps_its_noise_and_is_not_flagged(issue_register):
    p, m = issue_register.persons, issue_register.municipalities
    p = p.loc[p["year"] == 2024]
    m = m.loc[m["year"] == 2024]
    group = "kontanthjaelp"
    before = fit(p, m, benefits=group)
    small = before.population.idxmin()  # Læsø
    zeroed = p.copy()
    zeroed.loc[zeroed["code"] == small, group] = 0.0
    after = fit(zeroed, m, benefits=group)
    row = after.tidy().set_index("code").loc[small]
    assert row["actual"] == 0
    assert before.actual[small] > 0
    # the noise is what the municipality's residents would have under the national model: it
    # hardly moves when their own outcomes are set to zero
    noise_before = before.municipal.loc[small, "noise_sd_pp"]
    noise_after = after.municipal.loc[small, "noise_sd_pp"]
    assert noise_after == pytest.approx(noise_before, rel=0.05)
    poisson_sd = compound_poisson_sd_pp(p, group, row["expected"], row["population"])
    assert noise_after == pytest.approx(poisson_sd, rel=0.35)
    assert stats.poisson.pmf(0, row["expected"]) > 0.05
    assert not row["funnel_outlier998"]
    assert row["rank_lower"] <= row["rank"] <= row["rank_upper"]
    assert row["rank_upper"] - row["rank_lower"] >= 30


def test_a_large_municipality_set_to_zero_is_flagged():
    """The same noise model still finds a real outlier: 0 recipients where hundreds are expected."""
    reg = generate(n_persons=60_000, seed=1)
    p = reg.persons.copy()
    p.loc[p["code"] == 751, "kontanthjaelp"] = 0.0  # Aarhus
    row = fit(p, reg.municipalities, benefits="kontanthjaelp").tidy().set_index("code").loc[751]
    assert row["expected"] > 50
    assert stats.poisson.cdf(0, row["expected"]) < 1e-12
    assert row["difference_pp"] / row["se_pp"] < -stats.norm.ppf(0.999)
    assert row["funnel_outlier998"]


def test_a_group_without_recipients_fails_naming_the_group(tmp_path):
    reg = generate(n_persons=5_000, seed=2)
    p = reg.persons.copy()
    p["ressourceforloeb"] = 0.0
    none = p[list(GROUPS)].sum(axis=1).to_numpy() == 0
    p.loc[none, ["exited", "employed_3m"]] = False  # nobody leaves a benefit they never had
    with pytest.raises(ValueError, match="ressourceforloeb"):
        fit(p, reg.municipalities, benefits="ressourceforloeb")
    with pytest.raises(ValueError, match="ressourceforloeb"):
        fit_many(p, reg.municipalities, benefit_sets=["kontanthjaelp", "ressourceforloeb"])
    fit(p, reg.municipalities, benefits="bm2019")  # a set with other recipients still fits
    agg = aggregate_register(p, reg.municipalities)
    with pytest.raises(AggregatesError, match="ressourceforloeb"):
        fit_panel(agg, "ressourceforloeb")


@pytest.fixture(scope="module")
def register_folder(tmp_path_factory):
    return write_register(tmp_path_factory.mktemp("noise"), n_persons=30_000, seed=3, years=(2023, 2024))


SOURCES = [("register", "pooled"), ("register", "fe"), ("aggregates", "pooled")]


@pytest.mark.parametrize(("source", "spec"), SOURCES)
def test_point_rank_lies_in_its_interval_and_its_simultaneous_set(register_folder, source, spec):
    src = PersonRegister(register_folder) if source == "register" else aggregates_of_register(register_folder)
    sets = src.fittable(list(GROUPS))
    assert [b.name for b in sets] == list(GROUPS)
    fits = src.fit_many(sets, period="2024", spec=spec, draws=1000, seed=0)
    for group, res in fits.items():
        t = res.tidy()
        assert t["se_pp"].gt(0).all(), group
        outside = t[(t["rank"] < t["rank_lower"]) | (t["rank"] > t["rank_upper"])]
        assert outside.empty, (group, outside[["name", "rank", "rank_lower", "rank_upper"]])
        outside_cs = t[(t["rank"] < t["rank_cs_lower"]) | (t["rank"] > t["rank_cs_upper"])]
        assert outside_cs.empty, (group, outside_cs[["name", "rank", "rank_cs_lower", "rank_cs_upper"]])


# --------------------------------------------------------------------------- noise covariances
def test_noise_covariance_of_two_groups_matches_statsmodels_residual_cross_products():
    """Persons of the random register may be on several groups, so the cross-products matter."""
    import statsmodels.api as sm

    reg = random_register(n_persons=4_000, n_municipalities=8, seed=21)
    p, m = reg.persons, reg.municipalities
    a, b = "kontanthjaelp", "foertidspension"
    assert ((p[a] > 0) & (p[b] > 0)).any()
    fits = fit_many(p, m, benefit_sets=[a, b, f"{a},{b}"], spec="pooled")
    terms = fits[a].params.index
    x = raw_design(p, m, terms).to_numpy()
    ea = sm.OLS(p[a].to_numpy(), x).fit()
    eb = sm.OLS(p[b].to_numpy(), x).fit()
    cell = (
        p[["year", "age", "sex", "education", "origin", "family", "prior"]].astype(str).agg("|".join, axis=1)
    )
    prod = pd.Series(ea.resid * eb.resid).groupby(cell.to_numpy()).transform("mean") * len(p) / ea.df_resid
    expected = 1e4 * prod.groupby(p["code"].to_numpy()).sum() / p.groupby("code").size() ** 2
    got = fits[a].noise_cov_pp[b]
    np.testing.assert_allclose(got, expected.reindex(got.index), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(fits[b].noise_cov_pp[a], got)
    # residuals are linear in the outcome: the union's noise variance is v_a + v_b + 2 c_ab
    union = fits[f"{a}+{b}"].municipal["noise_sd_pp"] ** 2
    va, vb = fits[a].municipal["noise_sd_pp"] ** 2, fits[b].municipal["noise_sd_pp"] ** 2
    np.testing.assert_allclose(union, va + vb + 2 * got, rtol=1e-9)
    assert f"{a}+{b}" not in fits[a].noise_cov_pp.columns  # overlapping sets get no covariance


def test_noise_covariance_is_negative_when_nobody_has_two_groups(issue_register):
    p = issue_register.persons.loc[issue_register.persons["year"] == 2024]
    m = issue_register.municipalities.loc[issue_register.municipalities["year"] == 2024]
    assert ((p[list(GROUPS)] > 0).sum(axis=1) <= 1).all()
    fits = fit_many(p, m, benefit_sets=["kontanthjaelp", "foertidspension"])
    c = fits["kontanthjaelp"].noise_cov_pp["foertidspension"]
    assert (c < 0).all()
    # Cauchy–Schwarz against each group's own noise
    sd = fits["kontanthjaelp"].municipal["noise_sd_pp"] * fits["foertidspension"].municipal["noise_sd_pp"]
    assert (c.abs() <= sd).all()


def test_panel_noise_covariance_is_the_multinomial_one(issue_register):
    agg = aggregate_register(issue_register.persons, issue_register.municipalities)
    a, b = "kontanthjaelp", "foertidspension"
    res = {k: fit_panel(agg, k).results("2024") for k in (a, b, f"{a}+{b}")}
    out = with_noise_covariances(res)
    pop = res[a].population
    ea, eb = res[a].expected / pop, res[b].expected / pop
    np.testing.assert_allclose(out[a].noise_cov_pp[b], -1e4 * ea * eb / pop, rtol=1e-12)
    # e(1 − e) of the union equals the two variances plus twice the covariance
    union = out[f"{a}+{b}"].municipal["noise_sd_pp"] ** 2
    va, vb = res[a].municipal["noise_sd_pp"] ** 2, res[b].municipal["noise_sd_pp"] ** 2
    np.testing.assert_allclose(union, va + vb + 2 * out[a].noise_cov_pp[b], rtol=1e-9)
