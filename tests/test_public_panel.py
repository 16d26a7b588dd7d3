"""The public municipality × period table (analysis.data.public.panel): shape, completeness,
consistency of shares with counts, the interpolation rule on hand-computed values, and that the
published benchmark is never read."""

from __future__ import annotations

import json
import math
import shutil

import numpy as np
import pandas as pd
import pytest

from analysis.core.io import read_parquet_metadata
from analysis.core.paths import raw_dir
from analysis.data.public import dst, jobindsats, panel
from analysis.data.public.provenance import recorded_sums

BENEFITS = jobindsats.BENEFITS


@pytest.fixture(scope="module")
def table():
    return panel.build_panel()


def test_one_row_per_municipality_and_period(table):
    assert len(table) == 98 * 6
    assert not table.duplicated(["code", "period"]).any()
    assert table.groupby("period")["code"].nunique().to_dict() == dict.fromkeys(jobindsats.Y30R21_PERIODS, 98)
    assert table["period"].tolist()[::98] == list(jobindsats.Y30R21_PERIODS)  # sorted by period, code
    assert table.loc[table["code"] == 101, "name"].unique().tolist() == ["København"]


def test_period_windows(table):
    w = table.drop_duplicates("period").set_index("period")
    assert str(w.loc["2020QMAT02", "period_start"]) == "2019-07"
    assert str(w.loc["2020QMAT02", "period_end"]) == "2020-06"
    assert str(w.loc["2022QMAT04", "period_start"]) == "2022-01"
    assert ((w["period_end"] - w["period_start"]).map(lambda d: d.n) == 11).all()


def test_columns_and_no_missing_covariates(table):
    xs = [c for c in table.columns if c.startswith("x_")]
    assert xs == [c.column for c in panel.COVARIATES] + list(panel.KOMGRP_COLUMNS)
    assert np.isfinite(table[xs].to_numpy()).all()
    for b in BENEFITS:
        assert table[f"ft_{b}"].dtype == "int64"
        assert table[f"share_{b}"].dtype == "float64"
    # the Ministry's results are not in the table
    assert not [c for c in table.columns if any(w in c for w in ("expected", "difference", "rank"))]


def test_no_outcome_in_disguise_among_covariates():
    used = {c.factor for c in panel.COVARIATES}
    assert not [f for f in used if dst.FACTORS[f].outcome]
    assert {"welfare_per_1000", "employment_per_1000"} <= set(panel.EXCLUDED)
    assert not used & set(panel.EXCLUDED)


def test_population_positive_and_shares_consistent_with_counts(table):
    pop = table["population"].to_numpy()
    assert (pop > 0).all()

    # every count and share agrees with the population to their rounding: counts are rounded to
    # 10 and shares to 2 decimals, so a row allows the populations
    # [100·(ft − 5)/(share + 0.005), 100·(ft + 5)/(share − 0.005)], and that interval must overlap
    # the one of the overall row the population comes from (which contains the population)
    def interval(ft, share):
        lo = 100 * np.maximum(ft - 5, 0) / (share + 0.005)
        hi = np.where(share > 0.005, 100 * (ft + 5) / np.maximum(share - 0.005, 1e-12), np.inf)
        return lo * (1 - 1e-9), hi * (1 + 1e-9)

    t_lo, t_hi = interval(table["ft_bm2019"].to_numpy(dtype=float), table["share_bm2019"].to_numpy())
    assert ((t_lo <= pop) & (pop <= t_hi)).all()
    for b in BENEFITS:
        lo, hi = interval(table[f"ft_{b}"].to_numpy(dtype=float), table[f"share_{b}"].to_numpy())
        assert ((lo <= t_hi) & (hi >= t_lo)).all(), b
    # the three areas add up to the total up to rounding (four numbers rounded to 10; 40 at most)
    parts = table[["ft_dagpenge", "ft_sygedagpenge", "ft_kontanthjaelp"]].sum(axis=1)
    assert (np.abs(parts - table["ft_bm2019"]) <= 40).all()


def test_recomputed_shares_are_the_known_defects(table):
    row = table[(table["code"] == 163) & (table["period"] == "2021QMAT04")].iloc[0]
    assert row["share_dagpenge"] == pytest.approx(100 * 420 / row["population"])
    assert row["share_dagpenge"] != 2.00


def test_interpolation_rule_by_hand(table):
    def value(code: int, period: str, col: str) -> float:
        return table.loc[(table["code"] == code) & (table["period"] == period), col].item()

    # Herlev, owner-occupied dwellings (BOL101 has 2020 = 31.72 and 2023 = 31.85, not 2021–22):
    # 2021QMAT02 = ½·2020 + ½·2021, 2021 interpolated = 31.72 + (31.85 − 31.72)/3
    assert value(163, "2021QMAT02", "x_owner_occupied_pct") == pytest.approx(
        0.5 * 31.72 + 0.5 * (31.72 + (31.85 - 31.72) / 3)
    )
    # Læsø, aged 65+ (election years: 2019 = 38.6, 2022 = 41.2):
    # 2022QMAT02 = ½·2021 + ½·2022, 2021 interpolated = 38.6 + 2/3·(41.2 − 38.6)
    assert value(825, "2022QMAT02", "x_age65_pct") == pytest.approx(0.5 * (38.6 + 2 / 3 * 2.6) + 0.5 * 41.2)
    # København ("Copenhagen" in DST), disposable income 2019 = 236,730 and 2020 = 247,849: log of the mean
    assert value(101, "2020QMAT02", "x_log_income") == pytest.approx(math.log((236730 + 247849) / 2))
    # a calendar-year period takes the year's own value
    assert value(101, "2020QMAT04", "x_log_income") == pytest.approx(math.log(247849))


def test_annual_value_rules():
    obs = {2019: 10.0, 2022: 16.0}
    assert panel.annual_value(obs, 2019) == (10.0, "observed")
    assert panel.annual_value(obs, 2020) == (12.0, "interpolated 2019–2022")
    assert panel.annual_value(obs, 2024) == (16.0, "carried from 2022")
    assert panel.annual_value(obs, 2017) == (10.0, "carried from 2019")
    assert panel.window_value(obs, "2020QMAT02") == pytest.approx(11.0)


def test_komgrp_dummies(table):
    d = table[list(panel.KOMGRP_COLUMNS)].to_numpy()
    assert set(np.unique(d)) == {0.0, 1.0}
    assert (d.sum(axis=1) == (table["komgrp"] != panel.KOMGRP_REFERENCE)).all()
    aarhus = table[table["code"] == 751].iloc[0]
    assert aarhus["komgrp"] == 2
    assert aarhus["x_komgrp_2"] == 1.0


def test_panel_does_not_read_the_published_benchmark(tmp_path, table):
    root = tmp_path / "raw"
    for s in (jobindsats.SOURCE_Y30R21, dst.SOURCE_FACTORS, dst.SOURCE_KOMGRP):
        shutil.copytree(raw_dir() / s, root / s)
    (root / jobindsats.SOURCE_Y30R21 / jobindsats.OFFICIAL_FILE).unlink()
    pd.testing.assert_frame_equal(panel.build_panel(root), table)


def test_write_panel_with_codebook(tmp_path, table):
    parquet, js = panel.write_panel(tmp_path / "public")
    assert parquet == tmp_path / "public" / "panel.parquet"
    back = pd.read_parquet(parquet)
    pd.testing.assert_frame_equal(back, table)
    meta = read_parquet_metadata(parquet)
    book = json.loads(js.read_text(encoding="utf-8"))
    assert meta == book
    assert book["n_rows"] == 588
    sums = recorded_sums(jobindsats.SOURCE_Y30R21)
    outcome = next(s for s in book["sources"] if s["file"].endswith(jobindsats.ACTUAL_FILE))
    assert outcome["sha256"] == sums[jobindsats.ACTUAL_FILE]
    assert not any(s["file"].endswith(jobindsats.OFFICIAL_FILE) for s in book["sources"])
    assert book["periods"]["2021QMAT02"] == {
        "start": "2020-07",
        "end": "2021-06",
        "year_weights": {"2020": 0.5, "2021": 0.5},
    }
    assert book["columns"]["x_owner_occupied_pct"]["annual_rule"] == {
        "2019": "observed",
        "2020": "observed",
        "2021": "interpolated 2020–2023",
        "2022": "interpolated 2020–2023",
    }
    assert book["columns"]["x_unemployment_pct"]["source"] == "Danmarks Statistik, AUP02"
    assert book["columns"]["x_unemployment_pct"]["partly_outcome"] is True
    assert [r["code"] for r in book["corrections"]["rows"]] == [163, 190]
    assert set(table.columns) == set(book["columns"])
