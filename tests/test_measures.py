"""KL's 2010 result measures on a hand-made register with hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.core.benefits import GROUPS
from analysis.yardsticks.measures import kl_measures


def main(argv: list[str]) -> int:
    """``kommunebench measures ARGS`` through the one command-line wrapper."""
    from analysis.cli import main as cli_main

    return cli_main(["measures", *argv])


def _register() -> pd.DataFrame:
    # code 101: three persons; 147: two persons, nobody exits; 151: one person without a spell
    rows = [
        # code, dagpenge, kontanthjaelp, sygedagpenge, foertidspension, spell, exited, employed_3m
        (101, 0.50, 0.00, 0.25, 0.0, 9, True, True),
        (101, 0.00, 1.00, 0.00, 0.0, 24, True, False),
        (101, 0.00, 0.00, 0.00, 1.0, 60, False, False),
        (147, 0.25, 0.00, 0.00, 0.0, 3, False, False),
        (147, 0.00, 0.00, 0.50, 0.0, 6, False, False),
        (151, 0.00, 0.00, 0.00, 0.0, 0, False, False),
    ]
    df = pd.DataFrame(
        rows,
        columns=[
            "code",
            "dagpenge",
            "kontanthjaelp",
            "sygedagpenge",
            "foertidspension",
            "spell_months",
            "exited",
            "employed_3m",
        ],
    )
    for g in GROUPS:
        if g not in df:
            df[g] = 0.0
    df.insert(0, "year", 2017)
    df["code"] = df["code"].astype("int16")
    df["spell_months"] = df["spell_months"].astype("int16")
    return df


def test_hand_computed_values():
    out = kl_measures(_register(), benefits="bm2018")
    # (a) full-time persons on dagpenge+kontanthjælp+sygedagpenge, by hand
    assert out.loc[101, "fulltime"] == pytest.approx(0.75 + 1.0)
    assert out.loc[147, "fulltime"] == pytest.approx(0.75)
    assert out.loc[151, "fulltime"] == 0.0
    assert out.loc[101, "fulltime_pct"] == pytest.approx(100 * 1.75 / 3)
    # (b) mean spell over persons with a spell: (9 + 24 + 60) / 3 and (3 + 6) / 2
    assert out.loc[101, "mean_spell_months"] == pytest.approx(31.0)
    assert out.loc[147, "mean_spell_months"] == pytest.approx(4.5)
    # (c) employed 3 months after exit among those who exited: 1 of 2
    assert out.loc[101, "employed_3m_share"] == pytest.approx(0.5)
    assert out.loc[101, "exited"] == 2


def test_empty_cases_are_nan_not_zero():
    out = kl_measures(_register())
    # nobody exited in 147: retention undefined
    assert math.isnan(out.loc[147, "employed_3m_share"])
    assert out.loc[147, "exited"] == 0
    # nobody in 151 had a spell: duration undefined
    assert math.isnan(out.loc[151, "mean_spell_months"])
    assert out.loc[151, "spells"] == 0


def test_all_set_and_codes_reindex():
    out = kl_measures(_register(), benefits="all", codes=[101, 147, 151, 153])
    assert out.loc[101, "fulltime"] == pytest.approx(2.75)  # førtidspension now counted
    assert out.loc[153, "persons"] == 0
    assert out.loc[153, "fulltime"] == 0
    assert out.loc[153, ["fulltime_pct", "mean_spell_months", "employed_3m_share"]].isna().all()
    assert out.attrs["benefits"] == "all"


def test_invariants_on_random_register():
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame({"year": 2018, "code": rng.choice([101, 147, 151], size=n)})
    for g in GROUPS:
        df[g] = rng.integers(0, 3, size=n) / 12
    df["spell_months"] = rng.integers(0, 30, size=n)
    df["exited"] = rng.random(n) < 0.3
    df["employed_3m"] = df["exited"] & (rng.random(n) < 0.6)
    out = kl_measures(df, benefits="bm2019")
    # totals add up to the national sums (nothing dropped)
    assert out["persons"].sum() == n
    assert out["fulltime"].sum() == pytest.approx(
        df[["dagpenge", "kontanthjaelp", "sygedagpenge", "ledighedsydelse", "ressourceforloeb"]]
        .to_numpy()
        .sum()
    )
    assert ((out["employed_3m_share"] >= 0) & (out["employed_3m_share"] <= 1)).all()
    # same input, same output
    pd.testing.assert_frame_equal(out, kl_measures(df, benefits="bm2019"))


def test_years_and_errors():
    reg = _register()
    two = pd.concat([reg, reg.assign(year=2018)])
    with pytest.raises(ValueError, match="several years"):
        kl_measures(two)
    assert kl_measures(two, year=2018).loc[101, "persons"] == 3
    with pytest.raises(ValueError, match="2020"):
        kl_measures(two, year=2020)
    bad = reg.copy()
    bad.loc[0, "exited"] = False
    with pytest.raises(ValueError, match="employed_3m"):
        kl_measures(bad)
    bad = reg.copy()
    bad.loc[1, "kontanthjaelp"] = 1.5
    with pytest.raises(ValueError, match="kontanthjaelp"):
        kl_measures(bad)
    with pytest.raises(ValueError, match="benefits"):
        kl_measures(reg, benefits="nope")
    with pytest.raises(ValueError, match="spell_months"):
        kl_measures(reg.drop(columns="spell_months"))


def test_measures_command(tmp_path, capsys):
    from analysis.core.io import read_parquet_metadata
    from analysis.data.register import load_register
    from analysis.data.synth import write_register

    folder = write_register(tmp_path / "register", n_persons=4_000, seed=3)
    out = tmp_path / "measures.parquet"
    assert main(["--data", str(folder), "--out", str(out)]) == 0
    table = pd.read_parquet(out)
    assert len(table) == 98
    assert read_parquet_metadata(out)["synthetic"] is True
    assert "SYNTHETIC" in capsys.readouterr().out
    persons = load_register(folder).persons
    # nothing dropped: counts and full-time persons add up to the raw register
    assert table["persons"].sum() == len(persons)
    raw = persons[["dagpenge", "kontanthjaelp", "sygedagpenge"]].to_numpy().sum()
    assert table["fulltime"].sum() == pytest.approx(raw, rel=1e-12)
    assert table["exited"].sum() == int(persons["exited"].sum())
    rc = main(["--data", str(folder), "--year", "1999", "--out", str(tmp_path / "x.parquet")])
    assert rc == 2
    assert "1999" in capsys.readouterr().err
