"""The planted truth in the model's units: the gap each specification targets.

Independent computation: each person's expected share is rebuilt from the published
``params`` by the generating formula of :func:`analysis.data.synth.generate` (additive baseline,
floored, times the municipality multiplier, scaled where the probabilities of being on a group
would sum to more than 1), and statsmodels OLS is run on the raw rows with that expected share
as the outcome — with municipality dummies for the fixed-effects gap. The local rammevilkår in
the municipality table are rounded (to 0.01 and 0.001), so the rebuilt shares differ from the
generator's by up to about 3e-5; the truth is compared to 0.005 pp, against gaps of about 0.5 pp
and a local labour-market term of about 0.3 pp that the earlier ``effect`` left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.core.benefits import GROUPS
from analysis.core.validate import CATEGORIES
from analysis.data.synth import generate, true_gap, truth_column, write_register
from analysis.model import fit
from tests.test_model_reference import raw_design


@pytest.fixture(scope="module")
def register():
    return generate(n_persons=3_000, seed=7, years=(2023, 2024))


def expected_shares(reg) -> pd.DataFrame:
    """E[y | x, m] per person and group, rebuilt from ``reg.params`` (see the module docstring)."""
    p, m, params = reg.persons, reg.municipalities, reg.params
    coef = params["coefficients"]
    loc = m.set_index(["year", "code"]).loc[pd.MultiIndex.from_arrays([p["year"], p["code"]])]
    mult = pd.DataFrame(params["municipality_multiplier"]).T
    mult.index = mult.index.astype(int)
    d = np.array([params["mean_share_given_on"][g] for g in GROUPS])
    base = np.tile([coef["intercept"][g] for g in GROUPS], (len(p), 1))
    for k in (*CATEGORIES, "prior"):
        table = pd.DataFrame(coef[k]).T  # level → group
        base += table.loc[p[k].astype(str).to_numpy(), list(GROUPS)].to_numpy()
    for k, centre in coef["local_centre"].items():
        base += np.outer(loc[k].to_numpy() - centre, [coef["local"][k][g] for g in GROUPS])
    mu = np.maximum(base, 1e-4) * mult.loc[p["code"].to_numpy(), list(GROUPS)].to_numpy()
    s = (mu / d).sum(axis=1)
    mu[s > 1] /= s[s > 1, None]
    return pd.DataFrame(mu, columns=list(GROUPS), index=p.index)


def statsmodels_gap(reg, mu: pd.DataFrame, spec: str, year: int | None) -> pd.DataFrame:
    """The gap (pp) of each group from OLS on the raw rows with the expected share as outcome."""
    p, m = reg.persons, reg.municipalities
    if year is not None:
        keep = (p["year"] == year).to_numpy()
        p, mu, m = p[keep], mu[keep], m[m["year"] == year]
    terms = fit(p, m, benefits="dagpenge", spec=spec).params.index  # names only; values built below
    x = raw_design(p.reset_index(drop=True), m, terms)
    code = p["code"].to_numpy()
    if spec == "fe":
        x = pd.concat([x, pd.get_dummies(code, prefix="m", drop_first=True, dtype=float)], axis=1)
    out = {}
    for g in GROUPS:
        ols = sm.OLS(mu[g].to_numpy(), x.to_numpy()).fit()
        if spec == "pooled":
            resid = pd.Series(mu[g].to_numpy() - ols.fittedvalues, index=code)
            out[g] = 100 * resid.groupby(level=0).mean()
        else:
            b = pd.Series(ols.params, index=x.columns)
            codes = np.unique(code)
            alpha = b["const"] + pd.Series([b.get(f"m_{c}", 0.0) for c in codes], index=codes)
            n = pd.Series(code).value_counts().reindex(codes)
            out[g] = 100 * (alpha - (alpha * n).sum() / n.sum())
    return pd.DataFrame(out)


@pytest.mark.parametrize(("spec", "year"), [("pooled", None), ("fe", None), ("fe", 2024), ("pooled", 2023)])
def test_truth_is_the_estimand_computed_from_the_generating_probabilities(register, spec, year):
    mu = expected_shares(register)
    assert (mu.to_numpy() > 0).all()
    want = statsmodels_gap(register, mu, spec, year)
    wide = register.truth.pivot(index="code", columns="benefit", values=truth_column(spec, year))
    wide.index = wide.index.astype(int)
    np.testing.assert_allclose(wide[list(GROUPS)].reindex(want.index), want[list(GROUPS)], atol=5e-3, rtol=0)


def test_fixed_effects_truth_contains_the_local_labour_market(register):
    """The earlier ``effect`` left out the local term; the fixed-effects truth has it."""
    t = register.truth[register.truth["benefit"] == "kontanthjaelp"].set_index("code")
    unemp = register.municipalities.groupby("code")["unemployment_rate"].mean().reindex(t.index)
    net = t["gap_pp_fe"] - 100 * t["effect"]
    # kontanthjælp rises by 0.004 per point of unemployment (×100 in pp), times the multiplier
    slope = np.polyfit(unemp, net, 1)[0]
    assert 0.25 < slope < 0.6
    # the pooled specification models unemployment, so its truth does not carry it
    net_pooled = t["gap_pp_pooled"] - 100 * t["effect"]
    assert abs(np.polyfit(unemp, net_pooled, 1)[0]) < 0.1


def test_true_gap_of_a_set_is_the_sum_of_its_groups(register):
    fe = true_gap(register.truth, "bm2018", spec="fe")
    t = register.truth.set_index(["code", "benefit"])["gap_pp_fe"]
    manual = sum(t.xs(g, level="benefit") for g in ("dagpenge", "kontanthjaelp", "sygedagpenge"))
    np.testing.assert_allclose(fe, manual.reindex(fe.index))
    # the gaps of all groups, like the model's, sum to zero over persons in each specification
    n = register.municipalities.groupby("code")["population"].sum().reindex(fe.index)
    for col in ("gap_pp_fe", "gap_pp_pooled", "gap_pp_fe_2023"):
        wide = register.truth.pivot(index="code", columns="benefit", values=col)
        nn = (
            n
            if col != "gap_pp_fe_2023"
            else register.municipalities.query("year == 2023").set_index("code")["population"]
        )
        assert abs((wide.sum(axis=1) * nn.reindex(wide.index)).sum()) < 1e-8 * nn.sum()


def test_true_gap_errors(register):
    with pytest.raises(ValueError, match="spec"):
        true_gap(register.truth, "bm2018", spec="random")
    with pytest.raises(ValueError, match="period"):
        true_gap(register.truth, "bm2018", spec="fe", period=2019)


def test_truth_is_written_and_read_back(tmp_path):
    from analysis.data.register import load_register

    folder = write_register(tmp_path, n_persons=3_000, seed=8)
    reg = load_register(folder)
    assert {"effect", "gap_pp_fe", "gap_pp_pooled", "gap_pp_fe_2024", "gap_pp_pooled_2024"} <= set(
        reg.truth.columns
    )
    np.testing.assert_array_equal(reg.truth["gap_pp_fe"], reg.truth["gap_pp_fe_2024"])  # one year
    assert set(reg.params["truth_columns"]) == {
        "gap_pp_fe",
        "gap_pp_pooled",
        "gap_pp_fe_2024",
        "gap_pp_pooled_2024",
    }
