"""Syntetisk Danmark: schema, determinism, planted truth and the register files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.core.benefits import GROUPS
from analysis.core.io import read_parquet_metadata
from analysis.core.municipalities import codes
from analysis.core.validate import (
    CATEGORIES,
    InputError,
    validate_municipalities,
    validate_persons,
    validate_truth,
)
from analysis.data.register import Register, SyntheticRegister, load_register
from analysis.data.synth import (
    FILES,
    generate,
    write_register,
)


def main(argv: list[str]) -> int:
    """``kommunebench synth ARGS`` through the one command-line wrapper."""
    from analysis.cli import main as cli_main

    return cli_main(["synth", *argv])


SMALL = 3_000  # smallest sample that still gives every municipality its floor of 30 persons


def _truth_wide(truth: pd.DataFrame) -> pd.DataFrame:
    return truth.pivot(index="code", columns="benefit", values="effect")


def test_schema_and_dtypes(small_register):
    persons, mun, truth = small_register
    assert list(persons.columns) == [
        "year", "code", *CATEGORIES, "prior", *GROUPS, "spell_months", "exited", "employed_3m",
    ]  # fmt: skip
    assert persons["year"].dtype == np.int16
    assert persons["code"].dtype == np.int16
    assert persons["prior"].dtype == np.int8
    assert persons["spell_months"].dtype == np.int16
    for col, levels in CATEGORIES.items():
        assert isinstance(persons[col].dtype, pd.CategoricalDtype)
        assert list(persons[col].cat.categories) == list(levels)
        assert persons[col].nunique() == len(levels)  # every level occurs
    for g in GROUPS:
        assert persons[g].dtype == np.float64
    assert persons["exited"].dtype == bool
    assert persons["employed_3m"].dtype == bool
    # the package's own validators accept the generated tables
    validate_persons(persons, source="generated persons")
    validate_municipalities(mun, source="generated municipalities")
    validate_truth(truth, source="generated truth")
    assert all(df.attrs["synthetic"] is True for df in small_register)


def test_shares_are_months_in_unit_interval(small_register):
    persons = small_register[0]
    y = persons[list(GROUPS)].to_numpy()
    assert ((y >= 0) & (y <= 1)).all()
    assert (y.sum(axis=1) <= 1 + 1e-12).all()
    months = y * 12
    np.testing.assert_allclose(months, np.round(months), atol=1e-9)
    assert ((y > 0).sum(axis=1) <= 1).all()  # at most one group per person and year


def test_national_rates_are_danish_like(small_register):
    """Means of 20,000 persons: sampling sd of the total is about 0.003, ranges are wider."""
    persons = small_register[0]
    mean = persons[list(GROUPS)].mean()
    assert 0.15 <= mean.sum() <= 0.21
    expected = {
        "foertidspension": (0.04, 0.07),
        "kontanthjaelp": (0.025, 0.05),
        "dagpenge": (0.015, 0.035),
        "sygedagpenge": (0.015, 0.04),
        "fleksjob": (0.012, 0.03),
        "ledighedsydelse": (0.001, 0.007),
        "ressourceforloeb": (0.002, 0.01),
    }
    for g, (lo, hi) in expected.items():
        assert lo <= mean[g] <= hi, (g, mean[g])
    # prior benefit history is strongly predictive of being on benefits
    on = persons[list(GROUPS)].sum(axis=1)
    by_prior = on.groupby(persons["prior"]).mean()
    assert by_prior[5] > 5 * by_prior[0]


def test_spells_exits_consistent(small_register):
    persons = small_register[0]
    on = persons[list(GROUPS)].sum(axis=1).to_numpy() > 0
    months = np.rint(persons[list(GROUPS)].sum(axis=1).to_numpy() * 12)
    assert (persons["spell_months"].to_numpy()[~on] == 0).all()
    assert (persons["spell_months"].to_numpy()[on] >= months[on]).all()
    assert not persons["exited"].to_numpy()[~on].any()
    assert not (persons["employed_3m"] & ~persons["exited"]).any()
    assert not persons["exited"].to_numpy()[months == 12].any()  # on all year: did not leave
    assert 0 < persons["employed_3m"].mean() < persons["exited"].mean()


def test_all_municipalities_present_at_5000():
    reg = generate(n_persons=5_000, seed=3)
    per = reg.persons["code"].value_counts()
    assert sorted(per.index) == codes()
    assert per.min() >= 30
    assert per.sum() == 5_000
    assert per.idxmax() == 101  # København is the largest
    mun = reg.municipalities.set_index("code")
    assert (mun["population"] == per.reindex(mun.index)).all()


def test_allocation_proportional_at_scale():
    reg = generate(n_persons=200_000, seed=2)
    from analysis.core.municipalities import registry

    pop = registry()["population_total"]
    n = reg.municipalities.set_index("code")["population"]
    expected = 200_000 * pop / pop.sum()
    big = expected > 100
    np.testing.assert_allclose(n[big.index[big]], expected[big], rtol=0.02)  # only floors move others


def test_same_seed_identical_different_seed_different():
    a = generate(n_persons=SMALL, seed=7)
    b = generate(n_persons=SMALL, seed=7)
    c = generate(n_persons=SMALL, seed=8)
    pd.testing.assert_frame_equal(a.persons, b.persons)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert a.params == b.params
    assert not a.persons[list(GROUPS)].equals(c.persons[list(GROUPS)])
    assert not np.allclose(a.truth["effect"], c.truth["effect"])


def test_write_register_is_byte_identical(tmp_path):
    d1 = write_register(tmp_path / "a", n_persons=SMALL, seed=11)
    d2 = write_register(tmp_path / "b", n_persons=SMALL, seed=11)
    d3 = write_register(tmp_path / "c", n_persons=SMALL, seed=12)
    for name in FILES:
        assert (d1 / name).read_bytes() == (d2 / name).read_bytes(), name
    assert (d1 / "persons.parquet").read_bytes() != (d3 / "persons.parquet").read_bytes()
    assert (d1 / "truth.parquet").read_bytes() != (d3 / "truth.parquet").read_bytes()
    assert sorted(p.name for p in d1.iterdir()) == sorted(FILES)  # no temporary files left


def test_tradeoff_correlation_planted(small_register):
    truth = _truth_wide(small_register[2])
    r = np.corrcoef(truth["kontanthjaelp"], truth["foertidspension"])[0, 1]
    assert -0.75 <= r <= -0.45
    assert np.corrcoef(truth["kontanthjaelp"], truth["ressourceforloeb"])[0, 1] < 0


@pytest.mark.parametrize("seed", [1, 2])
def test_no_tradeoff_independent(seed):
    reg = generate(n_persons=SMALL, seed=seed, tradeoff=False)
    truth = _truth_wide(reg.truth)
    assert abs(np.corrcoef(truth["kontanthjaelp"], truth["foertidspension"])[0, 1]) < 0.3
    assert reg.params["tradeoff"] is False


def test_tradeoff_corr_parameter_moves_correlation():
    weak = _truth_wide(generate(n_persons=SMALL, seed=4, tradeoff_corr=-0.2).truth)
    strong = _truth_wide(generate(n_persons=SMALL, seed=4, tradeoff_corr=-0.85).truth)
    r_weak = np.corrcoef(weak["kontanthjaelp"], weak["foertidspension"])[0, 1]
    r_strong = np.corrcoef(strong["kontanthjaelp"], strong["foertidspension"])[0, 1]
    assert r_strong < r_weak < 0


def test_truth_weighted_mean_zero_and_complete(small_register):
    _, mun, truth = small_register
    w = mun.groupby("code")["population"].sum()
    wide = _truth_wide(truth)
    assert wide.shape == (98, len(GROUPS))
    np.testing.assert_allclose(wide.mul(w, axis=0).sum() / w.sum(), 0, atol=1e-15)
    assert (wide.std() > 0).all()


def test_truth_is_recovered_by_fixed_effects_ols():
    """Independent check: within-municipality OLS on the raw person rows (Frisch–Waugh–Lovell).

    With 100,000 persons the 25-odd municipalities with ≥ 1,000 persons have standard errors of
    about 0.005 on kontanthjælp against a planted spread of about 0.014, which implies a
    correlation near 0.93; 0.8 leaves room for sampling noise without passing unrelated numbers.
    """
    reg = generate(n_persons=100_000, seed=5)
    p = reg.persons
    x = pd.get_dummies(p[[*CATEGORIES, "prior"]].astype("category"), drop_first=True, dtype=float)
    grp = p["code"].to_numpy()
    xd = x - x.groupby(grp).transform("mean")
    n = reg.municipalities.set_index("code")["population"]
    w = n / n.sum()
    big = n.index[n >= 1_000]
    for g in ("kontanthjaelp", "dagpenge"):
        y = p[g]
        yd = y - y.groupby(grp).transform("mean")
        beta = np.linalg.lstsq(xd.to_numpy(), yd.to_numpy(), rcond=None)[0]
        fe = (y - x.to_numpy() @ beta).groupby(grp).mean()
        fe = fe - (w * fe).sum()
        truth = reg.truth[reg.truth["benefit"] == g].set_index("code")["effect"]
        assert np.corrcoef(fe[big], truth[big])[0, 1] >= 0.8, g


def test_several_years():
    reg = generate(n_persons=SMALL, seed=6, years=(2023, 2024))
    assert len(reg.persons) == 2 * SMALL
    assert sorted(reg.persons["year"].unique()) == [2023, 2024]
    assert reg.municipalities.groupby("year")["code"].nunique().tolist() == [98, 98]
    assert len(reg.truth) == 98 * len(GROUPS)  # the effects are the same every year
    validate_municipalities(reg.municipalities, source="two years")


@pytest.mark.parametrize(
    ("kwargs", "msg"),
    [
        ({"n_persons": 100}, "n_persons: expected at least 980"),
        ({"n_persons": 5_000.0}, "n_persons: expected a whole number"),
        ({"seed": -1}, "seed: expected a non-negative"),
        ({"tradeoff_corr": 1.0}, "tradeoff_corr: expected a correlation strictly between -1 and 1"),
        ({"years": ()}, "years: expected a non-empty"),
        ({"years": (2024, 2024)}, "years: duplicated"),
        ({"tradeoff": "yes"}, "tradeoff: expected True or False"),
    ],
)
def test_bad_options(kwargs, msg):
    with pytest.raises(ValueError, match=msg):
        generate(**{"n_persons": SMALL, **kwargs})


def test_files_metadata_and_roundtrip(small_register, small_register_dir):
    d = small_register_dir
    assert sorted(p.name for p in d.iterdir()) == sorted(FILES)
    params = json.loads((d / "params.json").read_text())
    assert params["synthetic"] is True
    assert params["seed"] == 1
    assert params["n_persons"] == 20_000
    for name in ("persons", "municipalities", "truth"):
        meta = read_parquet_metadata(d / f"{name}.parquet")
        assert meta["synthetic"] is True
        assert meta["params"] == params
    reg = load_register(d)
    assert isinstance(reg, SyntheticRegister)
    assert reg.synthetic
    assert reg.params == params
    persons, mun, truth = small_register
    pd.testing.assert_frame_equal(reg.persons, persons)
    pd.testing.assert_frame_equal(reg.municipalities, mun)
    pd.testing.assert_frame_equal(reg.truth, truth)
    assert reg.persons.attrs["synthetic"] is True
    assert reg.municipalities.attrs["synthetic"] is True


def test_cli_writes_register(tmp_path, capsys):
    out = tmp_path / "reg"
    assert (
        main(
            [
                "--persons",
                str(SMALL),
                "--seed",
                "3",
                "--out",
                str(out),
                "--no-tradeoff",
                "--years",
                "2023,2024",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    reg = load_register(out)
    assert reg.params["tradeoff"] is False
    assert reg.params["years"] == [2023, 2024]
    assert len(reg.persons) == 2 * SMALL
    assert "synthetic" in capsys.readouterr().out


def test_cli_rejects_bad_options(tmp_path, capsys):
    assert main(["--persons", "10", "--out", str(tmp_path / "x")]) == 2
    assert "n_persons" in capsys.readouterr().err
    assert main(["--persons", "5000", "--out", str(tmp_path / "x"), "--years", "20x4"]) == 2
    assert "--years: expected comma-separated years" in capsys.readouterr().err


def test_load_missing_and_corrupt_files(tmp_path, small_register_dir):
    with pytest.raises(InputError, match="register folder not found"):
        load_register(tmp_path / "nothing")
    d = tmp_path / "partial"
    d.mkdir()
    (d / "persons.parquet").write_bytes((small_register_dir / "persons.parquet").read_bytes())
    with pytest.raises(InputError, match=r"municipalities\.parquet: missing file"):
        load_register(d)
    (d / "municipalities.parquet").write_bytes(b"not parquet")
    with pytest.raises(InputError, match=r"municipalities\.parquet: cannot read as Parquet"):
        load_register(d)
    (d / "municipalities.parquet").write_bytes((small_register_dir / "municipalities.parquet").read_bytes())
    # the Parquet metadata says synthetic, so the truth file is required
    with pytest.raises(InputError, match=r"truth\.parquet: missing file"):
        load_register(d)


def test_load_real_register_restores_categories(tmp_path, small_register):
    """A register without synthetic metadata: plain string covariates, no truth, params {}."""
    persons, mun, _ = small_register
    d = tmp_path / "real"
    d.mkdir()
    plain = persons.copy()
    for col in CATEGORIES:
        plain[col] = plain[col].astype(str)
    plain.to_parquet(d / "persons.parquet", index=False)
    mun.to_parquet(d / "municipalities.parquet", index=False)
    reg = load_register(d)
    assert type(reg) is Register
    assert reg.synthetic is False
    assert reg.params == {}
    assert reg.truth is None
    assert reg.persons.attrs["synthetic"] is False
    pd.testing.assert_frame_equal(reg.persons, persons, check_like=False)
    # an unknown value is named with its column and rows, never coerced to NaN
    plain.loc[3, "origin"] = "ukendt"
    plain.to_parquet(d / "persons.parquet", index=False)
    with pytest.raises(
        InputError, match=r"column 'origin': unknown value\(s\) \['ukendt'\] \(first rows \[3\]\)"
    ):
        load_register(d)


def test_load_rejects_population_mismatch(tmp_path, small_register):
    persons, mun, _ = small_register
    d = tmp_path / "bad"
    d.mkdir()
    persons.to_parquet(d / "persons.parquet", index=False)
    m = mun.copy()
    m.loc[m["code"] == 450, "population"] += 1
    m.to_parquet(d / "municipalities.parquet", index=False)
    with pytest.raises(InputError, match=r"population.*450 in 2024"):
        load_register(d)
