"""DEA frontier: hand-solved cases, LP duality, invariants, job-centre units and sensitivity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.core.municipalities import registry
from analysis.yardsticks.frontier import (
    DEAResult,
    dea,
    dea_bootstrap,
    dea_multiplier,
    jobcentre_units,
    potential,
    sensitivity,
)


def main(argv: list[str]) -> int:
    """``kommunebench efficiency ARGS`` through the one command-line wrapper."""
    from analysis.cli import main as cli_main

    return cli_main(["efficiency", *argv])


def _frame(values: dict[str, list[float]], codes: list[int]) -> pd.DataFrame:
    return pd.DataFrame(values, index=pd.Index(codes, name="code"))


def _random(n: int = 15, m: int = 2, s: int = 2, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    codes = list(range(101, 101 + n))
    x = pd.DataFrame(
        rng.uniform(1, 10, size=(n, m)),
        index=pd.Index(codes, name="code"),
        columns=[f"x{i}" for i in range(m)],
    )
    y = pd.DataFrame(rng.uniform(1, 10, size=(n, s)), index=x.index, columns=[f"y{i}" for i in range(s)])
    return x, y


# Cooper, Seiford & Tone (2007), example with two inputs and one unit output (units A–F).
# Hand solution: the efficient facets are D–E (x1 + x2 = 6) and C–D (x1 + 4 x2 = 12), so
# θ_A = 6/7 (A = (4,3) scaled onto x1 + x2 = 6) and θ_B = 12/19 (B = (7,3) onto x1 + 4x2 = 12);
# F = (10,1) is radially efficient (θ = 1) but has an input-1 slack of 2 relative to C = (8,1).
CST = {"A": (4, 3), "B": (7, 3), "C": (8, 1), "D": (4, 2), "E": (2, 4), "F": (10, 1)}
CST_CODES = [1, 2, 3, 4, 5, 6]


@pytest.fixture
def cst() -> tuple[pd.DataFrame, pd.DataFrame]:
    x = _frame({"x1": [v[0] for v in CST.values()], "x2": [v[1] for v in CST.values()]}, CST_CODES)
    y = _frame({"y": [1.0] * 6}, CST_CODES)
    return x, y


def test_two_input_textbook_example(cst):
    x, y = cst
    res = dea(x, y, slacks=True)
    expected = pd.Series([6 / 7, 12 / 19, 1, 1, 1, 1], index=x.index)
    # LP solved by simplex to feasibility tolerance 1e-10; 1e-8 allows for the column scaling
    np.testing.assert_allclose(res.efficiency, expected, atol=1e-8)
    assert res.slacks.loc[6, "s_in_x1"] == pytest.approx(2.0, abs=1e-8)
    assert res.slacks.loc[[3, 4, 5]].to_numpy() == pytest.approx(0.0, abs=1e-8)
    # A's peers are D and E, B's are C and D (the facets of the hand solution)
    assert set(res.peers[1]) == {4, 5}
    assert set(res.peers[2]) == {3, 4}


def test_single_input_single_output_crs_ratio():
    x, y = _random(n=12, m=1, s=1, seed=3)
    ratio = y.iloc[:, 0] / x.iloc[:, 0]
    expected = ratio / ratio.max()
    res = dea(x, y)
    # closed form θ_j = (y_j/x_j) / max(y/x) under CRS; solver tolerance 1e-10
    np.testing.assert_allclose(res.efficiency, expected, atol=1e-9)
    out = dea(x, y, orientation="output")
    np.testing.assert_allclose(out.scores["phi"], 1 / expected, rtol=1e-9)


@pytest.mark.parametrize("orientation", ["input", "output"])
@pytest.mark.parametrize("rts", ["crs", "vrs"])
@pytest.mark.parametrize("super_eff", [False, True])
def test_envelopment_equals_multiplier(orientation, rts, super_eff):
    x, y = _random(n=14, seed=5)
    env = dea(x, y, orientation=orientation, rts=rts, super_efficiency=super_eff).scores
    mul = dea_multiplier(x, y, orientation=orientation, rts=rts, super_efficiency=super_eff)
    col = "theta" if orientation == "input" else "phi"
    # strong LP duality: both optima are equal; HiGHS tolerances are set to 1e-10
    assert env[col].isna().equals(mul[col].isna())
    np.testing.assert_allclose(env[col].dropna(), mul[col].dropna(), atol=1e-9, rtol=0)


def test_multiplier_weights_reproduce_score():
    x, y = _random(n=10, seed=9)
    mul = dea_multiplier(x, y)
    # with v'x_o = 1 the score is u'y_o (weights in original units)
    v = mul[["v_x0", "v_x1"]].to_numpy()
    u = mul[["u_y0", "u_y1"]].to_numpy()
    np.testing.assert_allclose((v * x.to_numpy()).sum(axis=1), 1.0, atol=1e-9)
    np.testing.assert_allclose((u * y.to_numpy()).sum(axis=1), mul["theta"], atol=1e-9)


@pytest.mark.parametrize("orientation", ["input", "output"])
def test_frontier_units_score_one_and_bounds(orientation):
    x, y = _random(n=20, seed=1)
    crs = dea(x, y, orientation=orientation)
    vrs = dea(x, y, orientation=orientation, rts="vrs")
    eff = crs.efficiency
    assert ((eff > 0) & (eff <= 1 + 1e-9)).all()
    assert len(crs.frontier_units) >= 1
    # every peer of any unit is itself on the frontier
    peers = {p for ps in crs.peers for p in ps}
    assert peers <= set(crs.frontier_units)
    # VRS envelops the data more tightly: scores at least as high
    assert (vrs.efficiency >= crs.efficiency - 1e-9).all()
    # frontier units are their own only peer
    for c in crs.frontier_units:
        assert crs.lambdas.loc[c].sum() > 0


def test_super_efficiency_ranks_frontier():
    x, y = _random(n=12, seed=2)
    base = dea(x, y)
    sup = dea(x, y, super_efficiency=True)
    front = list(base.frontier_units)
    assert (sup.efficiency[front] >= 1 - 1e-9).all()
    inner = [c for c in x.index if c not in front]
    # leaving an inefficient unit out of its own reference set changes nothing
    np.testing.assert_allclose(sup.efficiency[inner], base.efficiency[inner], atol=1e-9)


def test_potential_hand_and_monotone():
    x = _frame({"cost": [2.0, 4.0, 5.0]}, [101, 147, 151])
    y = _frame({"out": [2.0, 3.0, 2.5]}, [101, 147, 151])
    res = dea(x, y)
    # θ = (1, 0.75, 0.5): (1-1)·2 + 0.25·4 + 0.5·5 = 3.5
    assert potential(res)["cost"] == pytest.approx(3.5, abs=1e-9)
    out = dea(x, y, orientation="output")
    # φ = (1, 4/3, 2): 0·2 + (1/3)·3 + 1·2.5 = 3.5
    assert potential(out)["out"] == pytest.approx(3.5, abs=1e-9)
    base = pd.Series([10.0, 20.0, 30.0], index=x.index, name="dkk")
    assert potential(res, base=base)["dkk"] == pytest.approx(0.25 * 20 + 0.5 * 30, abs=1e-9)

    xr, yr = _random(n=16, seed=4)
    full = dea(xr, yr)
    for front in full.frontier_units:
        keep = xr.index != front
        reduced = dea(xr[keep], yr[keep])
        assert (reduced.efficiency >= full.efficiency[keep] - 1e-9).all()
        assert potential(reduced)["x0"] <= potential(full)["x0"] + 1e-9


def test_potential_rejects_super_efficiency():
    x, y = _random(n=6)
    with pytest.raises(ValueError, match="super-efficiency"):
        potential(dea(x, y, super_efficiency=True))


def test_result_is_immutable_and_copies():
    x, y = _random(n=6)
    res = dea(x, y)
    assert isinstance(res, DEAResult)
    with pytest.raises(AttributeError):
        res.rts = "vrs"
    s = res.scores
    s.iloc[0, 0] = -1
    assert res.scores.iloc[0, 0] != -1
    assert dea(x, y).scores.equals(res.scores)  # deterministic


def test_bad_input_errors():
    x, y = _random(n=5)
    with pytest.raises(ValueError, match="orientation"):
        dea(x, y, orientation="sideways")
    with pytest.raises(ValueError, match="rts"):
        dea(x, y, rts="drs")
    bad = x.copy()
    bad.iloc[2, 0] = 0.0
    with pytest.raises(ValueError, match=r"inputs: column 'x0' must be > 0.*103"):
        dea(bad, y)
    bad = y.copy()
    bad.iloc[1, 1] = np.nan
    with pytest.raises(ValueError, match=r"outputs: column 'y1'.*102"):
        dea(x, bad)
    with pytest.raises(ValueError, match="same codes"):
        dea(x, y.iloc[:-1])
    zero = y.copy()
    zero.iloc[0] = 0.0
    with pytest.raises(ValueError, match="unbounded"):
        dea(x, zero, orientation="output")


def _tidy(codes, rng, scale):
    pop = rng.integers(1000, 5000, size=len(codes)).astype(float)
    actual = pop * scale * rng.uniform(0.8, 1.2, size=len(codes))
    expected = pop * scale
    return pd.DataFrame({"code": codes, "population": pop, "actual": actual, "expected": expected})


def test_jobcentre_units_rigsrevisionen():
    reg = registry()
    codes = reg["code"].to_numpy()
    rng = np.random.default_rng(0)
    mun = pd.DataFrame(
        {
            "code": codes,
            "expenditure": rng.uniform(10, 100, size=98),
            "exits_to_work": rng.uniform(100, 1000, size=98),
        }
    )
    tidy = {
        a: _tidy(codes, rng, s)
        for a, s in (("dagpenge", 0.03), ("kontanthjaelp", 0.04), ("sygedagpenge", 0.02))
    }
    units = jobcentre_units(mun, tidy, outputs="both")
    assert len(units.inputs) == 91
    assert not {492, 741, 482} & set(units.inputs.index)
    # shared job centres are merged under the host code
    for member, host in ((563, 561), (825, 813), (155, 185), (183, 187)):
        assert member not in units.inputs.index
        assert member in units.members[host]
    # merged E/O is the ratio of sums, and the input is DKK per full-time person
    d = tidy["dagpenge"].set_index("code")
    m = [561, 563]
    assert units.outputs.loc[561, "eo_dagpenge"] == pytest.approx(
        d.loc[m, "expected"].sum() / d.loc[m, "actual"].sum()
    )
    total_act = sum(t.set_index("code").loc[m, "actual"].sum() for t in tidy.values())
    exp_dkk = mun.set_index("code").loc[m, "expenditure"].sum() * 1e6
    assert units.inputs.loc[561, "expenditure_per_fulltime"] == pytest.approx(exp_dkk / total_act)
    assert units.outputs.loc[561, "exits_to_work"] == pytest.approx(
        mun.set_index("code").loc[m, "exits_to_work"].sum()
    )
    # every municipality belongs to exactly one unit
    members = [c for t in units.members for c in t]
    assert sorted(members) == sorted(set(codes) - {492, 741, 482})
    assert units.totals["actual"].sum() == pytest.approx(
        sum(t.set_index("code").drop([492, 741, 482])["actual"].sum() for t in tidy.values())
    )
    res = dea(units.inputs, units.outputs)
    assert len(res.frontier_units) >= 1


def test_jobcentre_units_errors():
    mun = pd.DataFrame({"code": [101, 147], "expenditure": [1.0, 2.0]})
    tidy = {
        "dagpenge": pd.DataFrame({"code": [101], "population": [1.0], "actual": [1.0], "expected": [1.0]})
    }
    with pytest.raises(ValueError, match=r"no model result.*147"):
        jobcentre_units(mun, tidy)
    with pytest.raises(ValueError, match="input"):
        jobcentre_units(mun, tidy, input="cost")
    with pytest.raises(ValueError, match="exits_to_work"):
        jobcentre_units(mun, tidy, outputs="exits")


def test_sensitivity_scenarios_and_agreement():
    x, y = _random(n=20, m=1, s=2, seed=7)
    eff = dea(x, y).efficiency
    # a caseload result that agrees perfectly with the DEA ordering
    caseload = -eff.rank(method="first")
    sens = sensitivity(x, y, caseload=caseload, shifted=list(x.index[:10]))
    sc = sens.scenarios.set_index("scenario")
    assert list(sc.index) == ["baseline", "without_best", "booked_plus", "booked_minus"]
    assert sc.loc["without_best", "potential_x0"] <= sc.loc["baseline", "potential_x0"] + 1e-9
    assert sc.loc["without_best", "units"] == 19
    assert sens.left_out in dea(x, y).frontier_units
    assert sens.shifted == tuple(int(c) for c in x.index[:10])
    # the booked expenditure moves the potential
    assert sc.loc["booked_plus", "potential_x0"] != pytest.approx(sc.loc["baseline", "potential_x0"])
    # caseload is ordered the same as efficiency (up to DEA ties): positive correlation
    assert sens.correlation.loc["spearman", "statistic"] > 0.9
    assert not sens.disagreement["best_half_but_inefficient"].any()

    reverse = sensitivity(x, y, caseload=-caseload, seed=1)
    assert reverse.correlation.loc["spearman", "statistic"] < -0.9
    assert reverse.disagreement["disagree"].any()
    assert len(reverse.shifted) == 10
    again = sensitivity(x, y, caseload=-caseload, seed=1)
    assert again.shifted == reverse.shifted
    pd.testing.assert_frame_equal(again.scenarios, reverse.scenarios)


def test_sensitivity_errors():
    x, y = _random(n=6)
    with pytest.raises(ValueError, match="caseload"):
        sensitivity(x, y, caseload=pd.Series([0.0] * 5, index=x.index[:5]))
    with pytest.raises(ValueError, match="shift"):
        sensitivity(x, y, caseload=pd.Series(0.0, index=x.index), shift=1.5)
    with pytest.raises(ValueError, match="shifted"):
        sensitivity(x, y, caseload=pd.Series(0.0, index=x.index), shifted=[999])


# ----------------------------------------------------------------------------- command line


@pytest.fixture(scope="module")
def register_dir(tmp_path_factory):
    from analysis.data.synth import write_register

    return write_register(tmp_path_factory.mktemp("register"), n_persons=20_000, seed=1)


def test_efficiency_command(register_dir, tmp_path, capsys):
    from analysis.core.io import read_parquet_metadata

    out = tmp_path / "eff.parquet"
    assert main(["--data", str(register_dir), "--outputs", "exits", "--out", str(out)]) == 0
    table = pd.read_parquet(out)
    meta = read_parquet_metadata(out)
    assert len(table) == 91
    assert table["code"].is_unique
    assert {"efficiency", "theta", "peers", "members", "dea_rank", "caseload_rank", "expenditure_dkk"} <= set(
        table.columns
    )
    assert meta["synthetic"] is True
    assert "SYNTHETIC" in capsys.readouterr().out
    # the stored potential equals Σ(1 − θ)·expenditure recomputed from the written table
    recomputed = ((1 - table["theta"]) * table["expenditure_dkk"]).sum()
    assert meta["potential"]["expenditure_dkk"] == pytest.approx(recomputed, rel=1e-12)
    assert table.loc[table["efficient"], "efficiency"].to_numpy() == pytest.approx(1.0, abs=1e-9)
    assert [p.name for p in tmp_path.iterdir()] == ["eff.parquet"]


def test_efficiency_command_bad_input(register_dir, tmp_path, capsys):

    rc = main(["--data", str(tmp_path / "missing"), "--out", str(tmp_path / "x.parquet")])
    assert rc == 2
    assert "no such folder" in capsys.readouterr().err
    assert not (tmp_path / "x.parquet").exists()
    assert main(["--data", str(register_dir), "--rts", "drs", "--out", str(tmp_path / "x.parquet")]) == 2
    assert "--rts: got 'drs'; expected one of 'crs', 'vrs'" in capsys.readouterr().err


def test_efficiency_table_output_orientation():
    from analysis.yardsticks.frontier import efficiency_table

    reg = registry()
    codes = reg["code"].to_numpy()
    rng = np.random.default_rng(11)
    mun = pd.DataFrame(
        {
            "code": codes,
            "expenditure": rng.uniform(10, 100, size=98),
            "exits_to_work": rng.uniform(100, 1000, size=98),
        }
    )
    tidy = {a: _tidy(codes, rng, s) for a, s in (("dagpenge", 0.03), ("kontanthjaelp", 0.04))}
    units = jobcentre_units(mun, tidy, outputs="eo")
    table, meta = efficiency_table(units, orientation="output", rts="vrs", seed=2)
    assert len(table) == 91
    assert (table["phi"] >= 1 - 1e-9).all()
    # both potentials recomputed from the written table
    assert meta["potential"]["exits_to_work"] == pytest.approx(
        ((table["phi"] - 1) * table["exits_to_work"]).sum()
    )
    assert meta["potential"]["caseload_reduction"] == pytest.approx(
        (table["actual"] * (1 - 1 / table["phi"])).sum()
    )
    assert [s["scenario"] for s in meta["scenarios"]] == [
        "baseline",
        "without_best",
        "booked_plus",
        "booked_minus",
    ]
    # the unit totals: E/O in the table is the ratio of the unit's expected and actual sums
    d = tidy["dagpenge"].set_index("code")
    row = table.set_index("code").loc[187]
    assert row["eo_dagpenge"] == pytest.approx(
        d.loc[[183, 187], "expected"].sum() / d.loc[[183, 187], "actual"].sum()
    )


def test_jobcentre_units_rejects_unknown_codes():
    mun = pd.DataFrame({"code": [101, 147], "expenditure": [1.0, 2.0]})
    t = pd.DataFrame(
        {"code": [101, 147, 151], "population": [1.0] * 3, "actual": [1.0] * 3, "expected": [1.0] * 3}
    )
    with pytest.raises(ValueError, match=r"\[151\] are not in the municipality table"):
        jobcentre_units(mun, {"dagpenge": t})


def test_jobcentre_units_accepts_stacked_tidy():
    reg = registry()
    codes = reg["code"].to_numpy()
    rng = np.random.default_rng(5)
    mun = pd.DataFrame({"code": codes, "expenditure": rng.uniform(10, 100, size=98)})
    tidy = {a: _tidy(codes, rng, s) for a, s in (("dagpenge", 0.03), ("sygedagpenge", 0.02))}
    stacked = pd.concat([t.assign(benefit_set=a) for a, t in tidy.items()], ignore_index=True)
    a = jobcentre_units(mun, tidy)
    b = jobcentre_units(mun, stacked)
    pd.testing.assert_frame_equal(a.outputs, b.outputs)
    pd.testing.assert_frame_equal(a.inputs, b.inputs)


@pytest.mark.parametrize("orientation", ["input", "output"])
@pytest.mark.parametrize("rts", ["crs", "vrs"])
def test_environment_envelopment_equals_multiplier(orientation, rts):
    x, y = _random(n=14, m=1, seed=8)
    z = pd.DataFrame({"z": np.random.default_rng(1).uniform(1, 3, size=14)}, index=x.index)
    env = dea(x, y, orientation=orientation, rts=rts, environment=z).scores
    mul = dea_multiplier(x, y, orientation=orientation, rts=rts, environment=z)
    col = "theta" if orientation == "input" else "phi"
    # strong duality, as in the test without an environment
    np.testing.assert_allclose(env[col], mul[col], atol=1e-9, rtol=0)
    assert "w_z" in mul.columns


def test_environment_restricts_comparison():
    x, y = _random(n=15, m=1, seed=6)
    z = pd.DataFrame({"z": np.random.default_rng(2).uniform(1, 3, size=15)}, index=x.index)
    plain = dea(x, y)
    with_env = dea(x, y, environment=z)
    # an extra constraint on the reference set can only raise θ
    assert (with_env.efficiency >= plain.efficiency - 1e-9).all()
    assert with_env.environment.equals(z)
    # output orientation: a non-discretionary input is the same as one more input
    out_env = dea(x, y, orientation="output", environment=z)
    out_joint = dea(x.join(z), y, orientation="output")
    np.testing.assert_allclose(out_env.scores["phi"], out_joint.scores["phi"], atol=1e-9)
    with pytest.raises(ValueError, match="environment: codes differ"):
        dea(x, y, environment=z.iloc[:-1])


def test_bootstrap_bias_correction_and_intervals():
    # planted CRS frontier y = x with known efficiency θ_j; DEA overstates efficiency, and the
    # pseudo-data lie inside the estimated frontier, so the corrections have a known sign
    rng = np.random.default_rng(0)
    n = 12
    idx = pd.Index(range(101, 101 + n), name="code")
    x = rng.uniform(1, 10, n)
    theta = np.exp(-rng.exponential(0.2, n))
    xs, ys = pd.DataFrame({"x": x}, idx), pd.DataFrame({"y": x * theta}, idx)
    boot = dea_bootstrap(xs, ys, replicates=40, seed=3)
    np.testing.assert_allclose(boot["efficiency"], dea(xs, ys).efficiency, atol=1e-9)
    assert (boot["efficiency_bc"] <= boot["efficiency"] + 1e-9).all()
    assert (boot["upper"] <= boot["efficiency"] + 1e-9).all()
    assert (boot["lower"] <= boot["upper"]).all()
    # the intervals cover the planted efficiencies for most units (a loose check of a 95 %
    # interval on 12 units with 40 replicates; the exact rate is not the point here)
    assert ((boot["lower"] <= theta) & (theta <= boot["upper"])).mean() >= 0.75
    pd.testing.assert_frame_equal(boot, dea_bootstrap(xs, ys, replicates=40, seed=3))
    with pytest.raises(ValueError, match="replicates"):
        dea_bootstrap(xs, ys, replicates=5)
    with pytest.raises(ValueError, match="level"):
        dea_bootstrap(xs, ys, replicates=20, level=95)


def test_bootstrap_output_orientation():
    x, y = _random(n=10, m=1, s=1, seed=12)
    boot = dea_bootstrap(x, y, orientation="output", replicates=20, seed=0)
    np.testing.assert_allclose(boot["efficiency"], dea(x, y, orientation="output").efficiency, atol=1e-9)
    assert (boot["efficiency_bc"] <= boot["efficiency"] + 1e-9).all()


def test_efficiency_table_with_bootstrap():
    from analysis.yardsticks.frontier import JobcentreUnits, efficiency_table

    x, y = _random(n=8, m=1, s=2, seed=13)
    idx = x.index
    units = JobcentreUnits(
        inputs=x,
        outputs=y,
        members=pd.Series({c: (c,) for c in idx}),
        totals=pd.DataFrame(
            {"expenditure_dkk": x["x0"] * 1e6, "actual": 100.0, "expected": 100.0}, index=idx
        ),
        caseload=pd.Series(np.linspace(-1, 1, 8), index=idx),
    )
    table, meta = efficiency_table(units, bootstrap=20, seed=1)
    assert meta["bootstrap"] == 20
    t = table.set_index("code")
    assert (t["efficiency_lower"] <= t["efficiency_upper"]).all()
    assert (t["efficiency_bc"] <= t["efficiency"] + 1e-9).all()
    assert meta["potential"]["expenditure_dkk"] == pytest.approx(
        ((1 - t["theta"]) * t["expenditure_dkk"]).sum()
    )
