"""The monthly kontanthjælp panel (analysis.data.public.monthly) and its source
(analysis.data.public.source.PublicMonthly): shape and completeness, the outcome recomputed by
hand from the raw JSON, the carried-forward rule on hand-computed values, a benchmark for
2026M07, and edited raw copies failing with a message that names the file, municipality and month."""

from __future__ import annotations

import csv
import json
import math
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.core.io import file_sha256, read_parquet_metadata
from analysis.core.params import BenefitSet, ParameterError, parse_run
from analysis.core.paths import raw_dir
from analysis.core.validate import InputError
from analysis.data.public import dst, jobindsats, monthly, panel
from analysis.data.public.provenance import recorded_sums
from analysis.data.public.source import PublicMonthly, public_monthly_source

PERIODS = ("2022M07", "2023M07", "2024M07", "2025M07", "2026M07")
MON = jobindsats.SOURCE_MONTHLY
NYBORG = 450


@pytest.fixture(scope="module")
def table():
    return monthly.build_monthly_panel()


@pytest.fixture(scope="module")
def raw_json():
    """The monthly file read here with json alone, independently of the loaders."""
    path = raw_dir() / MON / jobindsats.MONTHLY_FILE
    return json.loads(path.read_text(encoding="utf-8"))


def _factor(name: str, municipality: str) -> dict[int, float]:
    """``year → value`` of a DST indicator file for one municipality, read with csv alone."""
    path = raw_dir() / dst.SOURCE_FACTORS / f"factors/{name}.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return {
            int(r["year"]): float(r["value"]) for r in csv.DictReader(fh) if r["municipality"] == municipality
        }


def _row(table: pd.DataFrame, code: int, period: str) -> pd.Series:
    rows = table[(table["code"] == code) & (table["period"] == period)]
    assert len(rows) == 1
    return rows.iloc[0]


# ------------------------------------------------------------------------------------------ windows
def test_windows_and_weights():
    assert monthly.MONTHLY_PERIODS == PERIODS
    assert [str(m) for m in monthly.window_months("2026M07")] == ["2025-08", "2026-07"]
    assert [str(m) for m in monthly.window_months("2022M07")] == ["2021-08", "2022-07"]
    for p in PERIODS:
        w = monthly.window_weights(p)
        assert w == {int(p[:4]) - 1: 5 / 12, int(p[:4]): 7 / 12}
        assert math.isclose(sum(w.values()), 1.0)
    # every period passes the run parameters' period format
    assert parse_run({"period": "2026M07"}).period == "2026M07"
    with pytest.raises(ValueError, match="2026M07"):
        monthly.window_months("2026QMAT02")


def test_monthly_series_cover_exactly_the_windows(raw_json):
    labels = raw_json["municipalities"]["nyborg"]["cashAssistance"]["labels"]
    assert (labels[0], labels[-1], len(labels)) == ("2021M08", "2026M07", 60)
    first, _ = monthly.window_months(PERIODS[0])
    _, last = monthly.window_months(PERIODS[-1])
    assert (str(first), str(last)) == ("2021-08", "2026-07")


# -------------------------------------------------------------------------------------------- panel
def test_one_row_per_municipality_and_window(table):
    assert len(table) == 98 * 5
    assert not table.duplicated(["code", "period"]).any()
    assert table.groupby("period")["code"].nunique().to_dict() == dict.fromkeys(PERIODS, 98)
    assert table["period"].tolist()[::98] == list(PERIODS)  # sorted by period, then code
    assert ((table["period_end"] - table["period_start"]).map(lambda d: d.n) == 11).all()
    assert (table["period_end"].astype(str).str.replace("-", "M") == table["period"]).all()
    assert table.loc[table["code"] == 101, "name"].unique().tolist() == ["København"]


def test_columns_and_no_missing_covariates(table):
    xs = [c for c in table.columns if c.startswith("x_")]
    assert xs == [c.column for c in panel.COVARIATES] + list(panel.KOMGRP_COLUMNS)
    assert np.isfinite(table[xs].to_numpy()).all()
    assert [c for c in table.columns if c.startswith(("ft_", "share_"))] == [
        "ft_kontanthjaelp",
        "share_kontanthjaelp",
    ]
    assert table["ft_kontanthjaelp"].dtype == "float64"
    assert not table[["population", "ft_kontanthjaelp", "share_kontanthjaelp"]].isna().any().any()


def test_population_positive_and_consistent_with_share(table, raw_json):
    pop = table["population"].to_numpy()
    ft = table["ft_kontanthjaelp"].to_numpy()
    assert (pop > 0).all()
    assert (ft > 0).all()
    assert (ft < pop).all()
    np.testing.assert_allclose(table["share_kontanthjaelp"], 100 * ft / pop, rtol=1e-12)
    # the share is the mean of the 12 published shares, and each month's population interval
    # (full-time persons whole, shares to 1 decimal) lies within the tolerance of the window's
    by_name = {e["name"]: e["cashAssistance"] for e in raw_json["municipalities"].values()}
    for r in table.itertuples():
        ca = by_name[r.name]
        i = ca["labels"].index(str(r.period_start).replace("-", "M"))
        f = np.array(ca["fullTime"][i : i + 12], dtype=float)
        s = np.array(ca["populationRate"][i : i + 12], dtype=float)
        assert math.isclose(r.share_kontanthjaelp, s.mean(), rel_tol=1e-12)
        lo = 100 * (f - 0.5) / (s + 0.05)
        hi = 100 * (f + 0.5) / (s - 0.05)
        assert (lo <= r.population * 1.05).all(), (r.name, r.period)
        assert (hi >= r.population * 0.95).all(), (r.name, r.period)


def test_outcome_is_the_12_month_mean_of_the_raw_series(table, raw_json):
    ca = raw_json["municipalities"]["nyborg"]["cashAssistance"]
    assert raw_json["municipalities"]["nyborg"]["name"] == "Nyborg"
    months = [f"{y}M{m:02d}" for y, m in [(2023, m) for m in range(8, 13)] + [(2024, m) for m in range(1, 8)]]
    idx = [ca["labels"].index(m) for m in months]
    ft = [ca["fullTime"][i] for i in idx]
    rate = [ca["populationRate"][i] for i in idx]
    row = _row(table, NYBORG, "2024M07")
    assert row["ft_kontanthjaelp"] == pytest.approx(sum(ft) / 12, rel=1e-12)
    assert row["population"] == pytest.approx(100 * sum(ft) / sum(rate), rel=1e-12)
    assert row["share_kontanthjaelp"] == pytest.approx(sum(rate) / 12, rel=1e-12)


def test_y60a02_is_narrower_than_the_y30r21_area_and_populations_agree():
    cmp = monthly.compare_y30r21()
    assert len(cmp) == 98
    assert (cmp["ratio"] < 1).all()  # y60a02 holds fewer full-time persons in every municipality
    assert cmp.attrs["national_ratio"] == pytest.approx(0.75, abs=0.01)
    assert cmp["ratio"].between(0.45, 0.9).all()
    assert (cmp["population_rel"].abs() < 0.03).all()
    assert abs(cmp.attrs["population_rel_total"]) < 0.01
    # the module docstring's inference: the left-out part goes with sygedagpenge, not immigrants
    y30 = panel.build_panel()
    y30 = y30[y30["period"] == "2022QMAT02"].set_index("code").reindex(cmp.index)
    gap = (cmp["ft_y30r21"] - cmp["ft_y60a02"]) / cmp["population_y30r21"]
    assert np.corrcoef(gap, y30["share_sygedagpenge"])[0, 1] > 0.5
    assert np.corrcoef(gap, y30["x_immigrants_pct"])[0, 1] < 0


# ---------------------------------------------------------------------------------------- covariates
def test_carried_forward_and_interpolated_values_by_hand(table):
    u = _factor("unemployment_pct", "Nyborg")
    assert max(u) == 2024  # observed to 2024 only: 2025 and 2026 are carried
    assert _row(table, NYBORG, "2023M07")["x_unemployment_pct"] == pytest.approx(
        5 / 12 * u[2022] + 7 / 12 * u[2023]
    )
    assert _row(table, NYBORG, "2025M07")["x_unemployment_pct"] == pytest.approx(u[2024])
    assert _row(table, NYBORG, "2026M07")["x_unemployment_pct"] == pytest.approx(u[2024])

    inc = _factor("income", "Nyborg")
    assert _row(table, NYBORG, "2026M07")["x_log_income"] == pytest.approx(math.log(inc[2024]))

    one = _factor("one_person_household_share_pct", "Nyborg")
    assert max(one) == 2025
    assert _row(table, NYBORG, "2026M07")["x_one_person_households_pct"] == pytest.approx(one[2025])
    assert _row(table, NYBORG, "2025M07")["x_one_person_households_pct"] == pytest.approx(
        5 / 12 * one[2024] + 7 / 12 * one[2025]
    )

    edu = _factor("education", "Nyborg")
    for p in PERIODS[1:]:
        assert _row(table, NYBORG, p)["x_higher_education_pct"] == pytest.approx(edu[2022])

    imm = _factor("immigration_share_pct", "Nyborg")
    assert {2022, 2026} <= set(imm)
    assert not {2023, 2024, 2025} & set(imm)
    v23 = imm[2022] + (imm[2026] - imm[2022]) / 4
    v24 = imm[2022] + (imm[2026] - imm[2022]) / 2
    assert _row(table, NYBORG, "2024M07")["x_immigrants_pct"] == pytest.approx(5 / 12 * v23 + 7 / 12 * v24)


def test_codebook_records_every_carried_value():
    book = monthly.monthly_codebook()
    json.dumps(book)  # serialisable
    carried = {(c["covariate"], c["period"], c["year"]): c["carried_from"] for c in book["carried"]}
    for col in ("x_unemployment_pct", "x_log_income", "x_commute_km"):
        assert {k[1:]: v for k, v in carried.items() if k[0] == col} == {
            ("2025M07", 2025): 2024,
            ("2026M07", 2025): 2024,
            ("2026M07", 2026): 2024,
        }
    for col in ("x_one_person_households_pct", "x_owner_occupied_pct"):
        assert {k[1:]: v for k, v in carried.items() if k[0] == col} == {("2026M07", 2026): 2025}
    for col in ("x_higher_education_pct", "x_age65_pct"):
        got = {k[1:] for k, v in carried.items() if k[0] == col and v == 2022}
        assert got == {
            ("2023M07", 2023),
            *{(p, y) for p in PERIODS[2:] for y in (int(p[:4]) - 1, int(p[:4]))},
        }
    assert not [k for k in carried if k[0] in ("x_immigrants_pct", "x_log_density")]
    rule = book["columns"]["x_unemployment_pct"]["window_rule"]
    assert rule["2026M07"] == {"2025": "carried from 2024", "2026": "carried from 2024"}
    assert book["columns"]["x_immigrants_pct"]["window_rule"]["2024M07"] == {
        "2023": "interpolated 2022–2026",
        "2024": "interpolated 2022–2026",
    }
    files = {s["file"]: s["sha256"] for s in book["sources"]}
    key = f"{MON}/{jobindsats.MONTHLY_FILE}"
    assert files[key] == recorded_sums(MON)[jobindsats.MONTHLY_FILE]
    assert set(book["periods"]) == set(PERIODS)


def test_unemployment_from_the_monthly_file(table, raw_json):
    alt = monthly.build_monthly_panel(unemployment="y25i01")
    others = [c for c in alt.columns if c != "x_unemployment_pct"]
    pd.testing.assert_frame_equal(alt[others], table[others])
    un = raw_json["municipalities"]["nyborg"]["unemployment"]
    i = un["labels"].index("2025M08")
    assert un["labels"][i + 11] == "2026M07"
    by_hand = sum(un["totalRate"][i : i + 12]) / 12
    assert _row(alt, NYBORG, "2026M07")["x_unemployment_pct"] == pytest.approx(by_hand, rel=1e-12)
    # the same statistic as DST's AUP02: calendar-year means within 0.03 percentage points
    u = _factor("unemployment_pct", "Nyborg")
    for year in (2022, 2023, 2024):
        j = un["labels"].index(f"{year}M01")
        assert abs(sum(un["totalRate"][j : j + 12]) / 12 - u[year]) <= 0.03
    book = monthly.monthly_codebook(unemployment="y25i01")
    assert book["unemployment"] == "y25i01"
    assert not [c for c in book["carried"] if c["covariate"] == "x_unemployment_pct"]
    assert not [s for s in book["sources"] if s["file"].endswith("unemployment_pct.csv")]
    with pytest.raises(ValueError, match="unemployment"):
        monthly.build_monthly_panel(unemployment="monthly")


def test_write_monthly_panel(tmp_path, table):
    parquet, js = monthly.write_monthly_panel(tmp_path)
    back = pd.read_parquet(parquet)
    assert len(back) == len(table)
    np.testing.assert_allclose(back["ft_kontanthjaelp"], table["ft_kontanthjaelp"])
    meta = read_parquet_metadata(parquet)
    assert meta["n_rows"] == 490
    assert json.loads(js.read_text(encoding="utf-8"))["carried"] == meta["carried"]


# ------------------------------------------------------------------------------------------ source
@pytest.fixture(scope="module")
def source():
    return public_monthly_source()


@pytest.fixture(scope="module")
def benchmark(source):
    from analysis.run.benchmark import build

    return build(source, parse_run({"period": "2026M07", "draws": 200}))


def test_source_describes_itself(source):
    assert isinstance(source, PublicMonthly)
    assert source.periods == PERIODS
    assert source.latest() == "2026M07"
    assert source.groups == ("kontanthjaelp",)
    assert source.own_sets == ()
    assert source.default_benefits.name == "kontanthjaelp"
    prov = source.provenance
    assert (prov.kind, prov.synthetic) == ("public", False)
    assert prov.tables[0] == ("Jobindsats.dk (STAR)", "måling y60a02 (kontanthjælp, månedlig)")
    assert prov.tables[1][0] == "Danmarks Statistik"
    assert "AUP02" in prov.tables[1][1]
    path = f"data/raw/{MON}/{jobindsats.MONTHLY_FILE}"
    assert prov.inputs[path] == file_sha256(raw_dir() / MON / jobindsats.MONTHLY_FILE)
    assert len(prov.inputs) == 2 + len(panel.COVARIATES)
    assert source.rounding == 1.0
    with pytest.raises(ParameterError, match="kontanthjaelp only"):
        source.check_benefits(BenefitSet.parse("bm2019"))
    with pytest.raises(ParameterError, match="2026M07"):
        source.check_period("2022QMAT04")


def test_benchmark_for_2026M07(benchmark):
    assert benchmark.period == "2026M07"
    assert benchmark.benefit_set.name == "kontanthjaelp"
    assert list(benchmark.fits) == ["kontanthjaelp"]
    t = benchmark.tidy()
    assert len(t) == 98
    assert (t["period"] == "2026M07").all()
    # period effects with population weights: national expected = actual in the period
    assert t["expected"].sum() == pytest.approx(t["actual"].sum(), rel=1e-9)
    assert ((t["rank_lower"] <= t["rank"]) & (t["rank"] <= t["rank_upper"])).all()
    assert sorted(t["rank"]) == list(range(1, 99))
    assert benchmark.main.periods == PERIODS
    # what the monthly data cannot feed is recorded with the reasons of the Y30R21 source
    reasons = {k: v.reason for k, v in benchmark.missing.items()}
    assert reasons == {
        "tradeoff_test": "no_side_groups",
        "rank_shifts": "no_all_groups",
        "categories": "no_jobcentre_data",
        "efficiency": "no_jobcentre_data",
        "measures": "no_spells",
        "official": "not_published",
    }
    assert "foertidspension" in benchmark.missing["tradeoff_test"].detail
    assert benchmark.tradeoff is None
    assert benchmark.official is None
    # ranks in every window up to 2026M07, from the same fit
    h = benchmark.history
    assert h.groupby("period")["code"].nunique().to_dict() == dict.fromkeys(PERIODS, 98)
    assert benchmark.features.shape == (98, len(panel.COVARIATES) + len(panel.KOMGRP_COLUMNS))


def test_source_with_monthly_unemployment():
    src = public_monthly_source(unemployment="y25i01")
    assert src.provenance.tables[0][1] == "målinger y60a02 (kontanthjælp) og y25i01 (ledighed), månedlige"
    assert "AUP02" not in src.provenance.tables[1][1]
    t = src.fit_many([src.default_benefits], period="2026M07", spec="pooled", draws=100, seed=1)[
        "kontanthjaelp"
    ].tidy()
    assert len(t) == 98
    assert t["expected"].sum() == pytest.approx(t["actual"].sum(), rel=1e-9)


def test_earlier_window_uses_no_later_data(source):
    res = source.fit_many([source.default_benefits], period="2024M07", spec="pooled", draws=100, seed=1)
    fit = res["kontanthjaelp"]
    assert fit.periods == PERIODS[:3]
    t = fit.tidy()
    assert t["expected"].sum() == pytest.approx(t["actual"].sum(), rel=1e-9)
    h = source.history(source.default_benefits, period="2024M07", spec="pooled", draws=100, seed=1)
    assert sorted(h["period"].unique()) == list(PERIODS[:3])


# ------------------------------------------------------------------------------------- bad raw files
def _raw_copy(tmp_path: Path) -> Path:
    root = tmp_path / "raw"
    for s in (MON, dst.SOURCE_FACTORS, dst.SOURCE_KOMGRP):
        shutil.copytree(raw_dir() / s, root / s)
    return root


def _edit_json(root: Path, fn: Callable[[dict], None], *, record: bool = True) -> None:
    path = root / MON / jobindsats.MONTHLY_FILE
    old = file_sha256(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    if record:
        prov = root / MON / "PROVENANCE.md"
        prov.write_text(prov.read_text(encoding="utf-8").replace(old, file_sha256(path)), encoding="utf-8")


def test_changed_raw_file_fails_naming_it(tmp_path):
    root = _raw_copy(tmp_path)

    def bump(d):
        d["municipalities"]["nyborg"]["cashAssistance"]["fullTime"][0] += 1

    _edit_json(root, bump, record=False)
    with pytest.raises(InputError, match="dashboard-data.json: content differs"):
        public_monthly_source(root)


def test_changed_factor_file_fails_naming_it(tmp_path):
    root = _raw_copy(tmp_path)
    path = root / dst.SOURCE_FACTORS / "factors/income.csv"
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="income.csv: content differs"):
        monthly.build_monthly_panel(root)


def test_suppressed_outcome_month_fails_naming_municipality_window_and_month(tmp_path):
    root = _raw_copy(tmp_path)

    def suppress(d):
        ca = d["municipalities"]["laesoe"]["cashAssistance"]
        ca["fullTime"][ca["labels"].index("2024M03")] = None

    _edit_json(root, suppress)
    with pytest.raises(InputError) as info:
        monthly.build_monthly_panel(root)
    msg = str(info.value)
    for s in ("dashboard-data.json", "825 Læsø, window 2024M07", "fullTime", "2024M03", "cannot be built"):
        assert s in msg, msg


def test_month_absent_from_the_file_fails(tmp_path):
    root = _raw_copy(tmp_path)

    def drop_first_year(d):
        ca = d["municipalities"]["nyborg"]["cashAssistance"]
        for k in ("labels", "persons", "fullTime", "workforceRate", "populationRate"):
            ca[k] = ca[k][12:]

    _edit_json(root, drop_first_year)
    with pytest.raises(InputError, match="450 Nyborg, window 2022M07") as info:
        monthly.build_monthly_panel(root)
    assert "2021M08" in str(info.value)
    assert "2022M07" in str(info.value)


def test_share_contradicting_the_window_population_fails(tmp_path):
    root = _raw_copy(tmp_path)

    def wrong_share(d):
        ca = d["municipalities"]["nyborg"]["cashAssistance"]
        ca["populationRate"][ca["labels"].index("2025M01")] *= 2

    _edit_json(root, wrong_share)
    with pytest.raises(InputError, match="450 Nyborg, window 2025M07") as info:
        monthly.build_monthly_panel(root)
    msg = str(info.value)
    assert "2025M01 full-time persons" in msg
    assert "dashboard-data.json" in msg
