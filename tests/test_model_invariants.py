"""Invariants of the expected-caseload model that need no reference implementation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.core.benefits import SETS
from analysis.inference.draws import draw_gaps
from analysis.model import ExpectedCaseloadResults, build_cells, fit, fit_many
from analysis.model.testing import random_register

TIDY_COLUMNS = [
    "code", "name", "period", "benefit_set", "spec", "population", "actual", "expected", "difference",
    "difference_pp", "oe", "se_pp", "ci_lower_pp", "ci_upper_pp", "rank", "rank_lower", "rank_upper",
    "rank_cs_lower", "rank_cs_upper", "eb_difference_pp", "eb_se_pp",
]  # fmt: skip


@pytest.fixture(scope="module")
def register():
    return random_register(n_persons=8_000, n_municipalities=15, years=(2017,), seed=5)


@pytest.fixture(scope="module")
def register2():
    return random_register(n_persons=6_000, n_municipalities=10, years=(2016, 2017, 2018), seed=6)


@pytest.mark.parametrize("spec", ["pooled", "fe"])
@pytest.mark.parametrize("benefits", ["bm2018", "bm2019", "all", "kontanthjaelp"])
def test_national_expected_equals_actual(register, register2, spec, benefits):
    for reg in (register, register2):
        res = fit(reg.persons, reg.municipalities, benefits=benefits, spec=spec)
        groups = SETS.get(benefits, (benefits,))
        direct = reg.persons[list(groups)].to_numpy().sum()
        assert np.isclose(res.actual.sum(), direct, rtol=1e-12)
        assert np.isclose(res.expected.sum(), res.actual.sum(), rtol=1e-9)
        assert abs(res.difference.sum()) <= 1e-9 * res.actual.sum()
        assert res.population.sum() == len(reg.persons)


@pytest.mark.parametrize("spec", ["pooled", "fe"])
def test_decomposition_sums_to_total(register2, spec):
    res = fit(register2.persons, register2.municipalities, benefits="bm2019", spec=spec)
    dec = res.decomposition()
    blocks = dec.drop(columns="total")
    np.testing.assert_allclose(blocks.sum(axis=1), dec["total"], rtol=0, atol=1e-12)
    national = res.expected.sum() / res.population.sum()
    np.testing.assert_allclose(dec["total"], 100 * (res.expected / res.population - national), atol=1e-10)
    assert "year" in blocks.columns  # three years → year dummies form their own block
    assert ("local" in blocks.columns) == (spec == "pooled")
    tidy = res.tidy()
    for b in blocks.columns:
        np.testing.assert_allclose(tidy[f"contrib_{b}"], blocks[b].to_numpy())


def test_difference_definitions_and_rank(register):
    res = fit(register.persons, register.municipalities, benefits="bm2018")
    np.testing.assert_allclose(res.difference, res.actual - res.expected)
    np.testing.assert_allclose(res.difference_pp, 100 * res.difference / res.population)
    np.testing.assert_allclose(res.oe, res.actual / res.expected)
    # rank 1 = most negative difference_pp
    assert res.rank[res.difference_pp.idxmin()] == 1
    assert res.rank[res.difference_pp.idxmax()] == len(res.rank)
    assert sorted(res.rank) == list(range(1, len(res.rank) + 1))
    ci = res.conf_int(0.9)
    z = stats.norm.ppf(0.95)
    np.testing.assert_allclose(ci["upper"] - ci["lower"], 2 * z * res.se_pp)
    assert (res.conf_int(0.99)["lower"] < ci["lower"]).all()


def test_results_are_immutable_and_labelled(register):
    res = fit(register.persons, register.municipalities, benefits="bm2018")
    assert isinstance(res, ExpectedCaseloadResults)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.coefficients = None
    s = res.expected
    s.iloc[0] = -1.0  # a returned copy may be changed without touching the results
    assert res.expected.iloc[0] != -1.0
    assert res.expected.index.name == "code"
    assert list(res.expected.index) == sorted(register.persons["code"].unique())
    assert res.synthetic
    assert res.tidy().attrs["synthetic"]
    text = str(res)
    assert "synthetic" in text  # the neutral summary says what the data are
    assert "education[gymnasial]" in text
    assert "<table" in res._repr_html_()
    assert "\\begin{" in res.summary.as_latex()
    assert res.coef_table().index.name == "term"
    assert "education[gymnasial]" in res.coef_table().index


def test_tidy_schema(register):
    res = fit(register.persons, register.municipalities, benefits="bm2018", spec="fe")
    t = res.tidy()
    for c in TIDY_COLUMNS:
        assert c in t.columns, c
    assert any(c.startswith("funnel_") for c in t.columns)
    assert len(t) == register.persons["code"].nunique()
    assert (t["benefit_set"] == "bm2018").all()
    assert (t["spec"] == "fe").all()
    assert (t["rank_lower"] <= t["rank"]).mean() > 0.8  # point rank usually inside the interval
    assert (t["rank_lower"] <= t["rank_upper"]).all()
    assert (t["ci_lower_pp"] < t["difference_pp"]).all()
    assert (t["difference_pp"] < t["ci_upper_pp"]).all()
    filled = [
        "rank_cs_lower",
        "rank_cs_upper",
        "funnel_lower95",
        "funnel_upper998",
        "eb_difference_pp",
        "eb_se_pp",
    ]
    assert t[filled].notna().all().all()
    # shrinkage towards 0 never increases a gap; funnel limits at 99.8 % are wider than at 95 %
    assert (t["eb_difference_pp"].abs() <= t["difference_pp"].abs() + 1e-12).all()
    assert (t["funnel_upper998"] > t["funnel_upper95"]).all()


def test_same_seed_same_intervals(register):
    a = fit(register.persons, register.municipalities, draws=200, seed=42)
    b = fit(register.persons, register.municipalities, draws=200, seed=42)
    c = fit(register.persons, register.municipalities, draws=200, seed=43)
    pd.testing.assert_frame_equal(a.rank_interval(), b.rank_interval())
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())
    assert not np.array_equal(a.gap_draws.to_numpy(), c.gap_draws.to_numpy())
    assert a.gap_draws.shape == (200, register.persons["code"].nunique())
    # the draws are centred on the estimates: mean within 5 standard errors of the mean of 200 draws
    dev = (a.gap_draws.mean() - a.difference_pp).abs()
    assert (dev <= 5 * a.se_pp / np.sqrt(200)).all()


def test_simultaneous_rank_sets_contain_marginal(register):
    res = fit(register.persons, register.municipalities, benefits="bm2019", spec="fe")
    simul = res.rank_sets(simul=True)
    marg = res.rank_sets(simul=False)
    assert (simul.lower <= marg.lower).all()
    assert (simul.upper >= marg.upper).all()
    t = res.tidy().set_index("code")
    assert (t["rank_cs_lower"] == simul.lower).all()
    assert ((t["rank_cs_lower"] <= t["rank"]) & (t["rank"] <= t["rank_cs_upper"])).all()


def test_draws_have_the_analytic_covariance():
    """The joint draws reproduce diag(se²) + G V G' (sampling error ~ 1/sqrt(R))."""
    rng = np.random.default_rng(0)
    m, k = 6, 3
    est = rng.normal(size=m)
    se = rng.uniform(0.1, 0.5, size=m)
    g = rng.normal(size=(m, k))
    a = rng.normal(size=(k, k))
    v = a @ a.T * 0.05
    d = draw_gaps(est, se, g, v, draws=200_000, seed=1)
    target = np.diag(se**2) + g @ v @ g.T
    # 200,000 draws: relative error of a covariance entry ≈ sqrt(2/R) ≈ 0.3 %; 3 % is ~10 sd
    np.testing.assert_allclose(np.cov(d, rowvar=False), target, atol=0.03 * np.abs(target).max())
    np.testing.assert_allclose(d.mean(axis=0), est, atol=0.01)


def test_fit_many_equals_separate_fits(register):
    many = fit_many(
        register.persons,
        register.municipalities,
        benefit_sets=["bm2018", "kontanthjaelp", ["kontanthjaelp", "foertidspension"]],
        spec="fe",
    )
    assert list(many) == ["bm2018", "kontanthjaelp", "kontanthjaelp+foertidspension"]
    single = fit(
        register.persons, register.municipalities, benefits="kontanthjaelp,foertidspension", spec="fe"
    )
    pd.testing.assert_series_equal(many["kontanthjaelp+foertidspension"].params, single.params)
    pd.testing.assert_series_equal(many["kontanthjaelp+foertidspension"].expected, single.expected)
    # group residuals add up to the set residual (linearity of OLS in y)
    g = fit_many(register.persons, register.municipalities, benefit_sets=list(SETS["bm2018"]), spec="fe")
    total = sum(r.difference for r in g.values())
    np.testing.assert_allclose(total, many["bm2018"].difference, atol=1e-9)


def test_cells_reduce_rows(register):
    cells = build_cells(register.persons, register.municipalities, benefit_sets=["all"])
    assert cells.n.sum() == len(register.persons)
    assert len(cells) < len(register.persons)
    assert not cells.n.flags.writeable
    for g in SETS["all"]:
        assert np.isclose(cells.sums[g].sum(), register.persons[g].sum(), rtol=1e-12)


def test_string_columns_give_the_same_fit(register):
    p = register.persons.copy()
    for c in ("age", "sex", "education", "origin", "family"):
        p[c] = p[c].astype(str)
    a = fit(register.persons, register.municipalities)
    b = fit(p, register.municipalities)
    pd.testing.assert_series_equal(a.params, b.params)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"spec": "random"}, "spec: got 'random'; expected one of 'pooled', 'fe'"),
        ({"cov_type": "hac"}, "cov_type: got 'hac'"),
        ({"benefits": "kontanthjælp"}, "benefits: unknown benefit group"),
        ({"draws": -1}, "draws: expected a positive whole number"),
        ({"draws": True}, "draws: expected a whole number"),
        ({"level": 1.5}, "level"),
    ],
)
def test_bad_options_are_named(register, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit(register.persons, register.municipalities, **kwargs)


def test_bad_data_is_named(register):
    p = register.persons.copy()
    p["education"] = p["education"].astype(str)
    p.loc[p.index[:3], "education"] = "phd"
    with pytest.raises(ValueError, match=r"persons: column 'education' has 3 rows .*'phd'"):
        fit(p, register.municipalities)
    q = register.persons.copy()
    q.loc[q.index[0], "kontanthjaelp"] = np.nan
    with pytest.raises(ValueError, match="persons: column 'kontanthjaelp' has 1 missing"):
        fit(q, register.municipalities)
    m = register.municipalities.iloc[1:]
    with pytest.raises(ValueError, match=r"municipalities: no row for 1 \(year, code\)"):
        fit(register.persons, m)
    r = register.persons.copy()
    r["prior"] = r["prior"].astype("int64")
    r.loc[r.index[0], "prior"] = 7
    with pytest.raises(ValueError, match="'prior' must be 0–5"):
        fit(r, register.municipalities)


def test_results_survive_pickling(register):
    """The report batch stores one fit and every report loads it again."""
    import pickle

    res = fit(register.persons, register.municipalities, benefits="bm2018", spec="fe")
    back = pickle.loads(pickle.dumps(res))
    pd.testing.assert_frame_equal(back.tidy(), res.tidy())
    pd.testing.assert_series_equal(back.params, res.params)
    assert str(back) == str(res)
    with pytest.raises(dataclasses.FrozenInstanceError):
        back.spec = "pooled"
    assert not back._gap_draws.flags.writeable
    assert not back.coefficients.params.flags.writeable


def test_tidy_is_a_copy(register):
    res = fit(register.persons, register.municipalities, benefits="bm2018", spec="fe")
    t = res.tidy()
    t.loc[:, "expected"] = 0.0
    assert (res.tidy()["expected"] > 0).all()
