"""Loaders of the real public data (analysis.data.public): the embedded files load and agree with
what their PROVENANCE.md says; edited copies (in tmp_path, with or without their sha256 updated)
fail with an InputError naming the file and the offending line, key or value."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.core.io import file_sha256
from analysis.core.paths import raw_dir
from analysis.core.validate import InputError
from analysis.data.public import dst, jobindsats
from analysis.data.public.provenance import verified_file

Y30 = jobindsats.SOURCE_Y30R21
FACT = dst.SOURCE_FACTORS
KOM = dst.SOURCE_KOMGRP
MON = jobindsats.SOURCE_MONTHLY


# ------------------------------------------------------------------------------------------ helpers
def copy_sources(tmp_path: Path, *sources: str) -> Path:
    """A ``data/raw`` folder in tmp_path holding copies of the named source folders."""
    root = tmp_path / "raw"
    for s in sources:
        shutil.copytree(raw_dir() / s, root / s)
    return root


def edit(root: Path, source: str, name: str, change: Callable[[str], str], *, record: bool = True) -> Path:
    """Rewrite a copied raw file; with ``record`` also its sha256 in the copy's PROVENANCE.md, so
    that the content checks (not the sha256 check) are what fails."""
    path = root / source / name
    old = file_sha256(path)
    text = path.read_text(encoding="utf-8")
    new = change(text)
    assert new != text, "the edit changed nothing"
    path.write_text(new, encoding="utf-8")
    if record:
        prov = root / source / "PROVENANCE.md"
        prov.write_text(prov.read_text(encoding="utf-8").replace(old, file_sha256(path)), encoding="utf-8")
    return path


def lines_edit(fn: Callable[[list[str]], list[str]]) -> Callable[[str], str]:
    def change(text: str) -> str:
        return "".join(fn(text.splitlines(keepends=True)))

    return change


@contextlib.contextmanager
def raises(match: str, *also: str) -> Iterator[pytest.ExceptionInfo[InputError]]:
    """pytest.raises(InputError, match=...) whose message must also contain every string in ``also``."""
    with pytest.raises(InputError, match=match) as info:
        yield info
    msg = str(info.value)
    for s in also:
        assert s in msg, f"{s!r} not in message:\n{msg}"


# --------------------------------------------------------------------------------- periods
def test_period_windows_and_weights():
    assert [tuple(map(str, jobindsats.period_window(p))) for p in jobindsats.Y30R21_PERIODS] == [
        ("2019-07", "2020-06"),
        ("2020-01", "2020-12"),
        ("2020-07", "2021-06"),
        ("2021-01", "2021-12"),
        ("2021-07", "2022-06"),
        ("2022-01", "2022-12"),
    ]
    assert jobindsats.year_weights("2020QMAT02") == {2019: 0.5, 2020: 0.5}
    assert jobindsats.year_weights("2022QMAT04") == {2022: 1.0}
    with pytest.raises(ValueError, match="2020QMAT03"):
        jobindsats.parse_period("2020QMAT03")


# --------------------------------------------------------------------------------- Y30R21 actual
@pytest.fixture(scope="module")
def actual():
    return jobindsats.load_y30r21_actual()


def test_actual_shape_and_population(actual):
    assert len(actual) == 98 * 6 * 4
    assert list(actual.columns) == [
        "code",
        "period",
        "benefit",
        "actual",
        "share_pct",
        "population",
        "share_recomputed",
    ]
    assert set(actual["period"]) == set(jobindsats.Y30R21_PERIODS)
    assert not actual.duplicated(["code", "period", "benefit"]).any()
    # one population per code and period, from the bm2019 row
    per = actual.groupby(["code", "period"])["population"].nunique()
    assert (per == 1).all()
    tot = actual[actual["benefit"] == "bm2019"]
    np.testing.assert_allclose(tot["population"], tot["actual"] / tot["share_pct"] * 100)
    # a national population 16–66 of about 3.78 M (2020) to 3.80 M (2022)
    nat = tot.groupby("period")["population"].sum()
    assert 3.7e6 < nat.min()
    assert nat.max() < 3.9e6


def test_actual_known_share_defects_are_the_only_recomputed_rows(actual):
    rec = actual[actual["share_recomputed"]]
    assert set(zip(rec["code"], rec["period"], rec["benefit"], strict=True)) == set(
        jobindsats.KNOWN_SHARE_DEFECTS
    )
    herlev = rec[rec["code"] == 163].iloc[0]
    assert herlev["actual"] == 420
    # 420 of ~18,213 residents: 2.31 %, not the published 2.00
    assert herlev["share_pct"] == pytest.approx(2.306, abs=0.001)


def test_actual_changed_file_fails(tmp_path):
    root = copy_sources(tmp_path, Y30)
    edit(root, Y30, "y30r21_actual.csv", lambda t: t.replace("44010", "44020", 1), record=False)
    with raises("content differs", "y30r21_actual.csv"):
        jobindsats.load_y30r21_actual(root)


def test_actual_missing_municipality_fails(tmp_path):
    root = copy_sources(tmp_path, Y30)
    edit(
        root,
        Y30,
        "y30r21_actual.csv",
        lines_edit(lambda ls: [ls[0], *(x for x in ls[1:] if not x.startswith("450,"))]),
    )
    with raises("missing", "y30r21_actual.csv", "450 Nyborg", "2020QMAT02"):
        jobindsats.load_y30r21_actual(root)


def test_actual_duplicate_row_fails(tmp_path):
    root = copy_sources(tmp_path, Y30)
    edit(root, Y30, "y30r21_actual.csv", lines_edit(lambda ls: [*ls[:3], ls[2], *ls[3:]]))
    # line 3 (København, 2020QMAT02, A-dagpenge) now also on line 4
    with raises("duplicate", "y30r21_actual.csv", "(101, '2020QMAT02', 'dagpenge')", "lines 3, 4"):
        jobindsats.load_y30r21_actual(root)


def test_actual_unknown_period_fails(tmp_path):
    root = copy_sources(tmp_path, Y30)
    edit(
        root,
        Y30,
        "y30r21_actual.csv",
        lambda t: t.replace("101,København,2020QMAT02", "101,København,2019QMAT02", 1),
    )
    with raises("unknown period", "y30r21_actual.csv", "line 2", "'2019QMAT02'"):
        jobindsats.load_y30r21_actual(root)


def test_actual_name_must_match_code(tmp_path):
    root = copy_sources(tmp_path, Y30)
    edit(root, Y30, "y30r21_actual.csv", lambda t: t.replace("101,København,", "101,Copenhagen,", 1))
    with raises("does not match code 101", "y30r21_actual.csv", "line 2", "'Copenhagen'"):
        jobindsats.load_y30r21_actual(root)


def test_actual_inconsistent_share_fails_naming_the_row(tmp_path):
    root = copy_sources(tmp_path, Y30)
    # København 2020QMAT02 A-dagpenge: 15890 at 3.35 % → 3.95 % implies 402k residents, not 474k
    edit(
        root,
        Y30,
        "y30r21_actual.csv",
        lambda t: t.replace("A-dagpenge mv.,15890,3.35", "A-dagpenge mv.,15890,3.95", 1),
    )
    with raises("imply a population", "y30r21_actual.csv", "line 3", "101 København, 2020QMAT02, dagpenge"):
        jobindsats.load_y30r21_actual(root)


def test_actual_stale_known_defect_is_reported(tmp_path):
    root = copy_sources(tmp_path, Y30)
    edit(
        root,
        Y30,
        "y30r21_actual.csv",
        lambda t: t.replace(
            "163,Herlev,2021QMAT04,A-dagpenge mv.,420,2.0", "163,Herlev,2021QMAT04,A-dagpenge mv.,420,2.31", 1
        ),
    )
    with raises("out of date", "y30r21_actual.csv", "163 Herlev"):
        jobindsats.load_y30r21_actual(root)


# ------------------------------------------------------------------------------ official benchmark
@pytest.fixture(scope="module")
def official():
    return jobindsats.load_official()


def _published_ranks() -> pd.DataFrame:
    """The rank column read straight from the JSON lines, independently of the loader."""
    path = verified_file(Y30, jobindsats.OFFICIAL_FILE)
    recs = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return pd.DataFrame(
        {
            "area": [r["Area"] for r in recs],
            "benefit": [jobindsats.BENEFIT_KEYS[r["Ydelsesgrupper"]] for r in recs],
            "rank": [r["Placering på benchmarkranglisten"] for r in recs],
        }
    )


def test_official_loads_with_our_sign(official):
    assert len(official) == 392
    assert set(official["period"]) == {"2020QMAT02"}
    assert official.attrs["sign_flipped"] is False
    assert (official["difference"] == official["actual"] - official["expected"]).all()
    np.testing.assert_allclose(
        official["difference_pp"], official["actual_share_pct"] - official["expected_share_pct"], atol=1e-9
    )
    # København, overall list: 44,010 actual vs 43,070 expected → +940, +0.20 pp, rank 63
    kbh = official[(official["code"] == 101) & (official["benefit"] == "bm2019")].iloc[0]
    assert (kbh["difference"], kbh["difference_pp"], kbh["rank"]) == (940, 0.20, 63)


def test_official_reproduces_published_ranks(official):
    from analysis.core.municipalities import registry

    pub = _published_ranks()
    names = registry().set_index("name")["code"]
    pub["code"] = pub["area"].map(names)
    merged = official.merge(pub, on=["code", "benefit"], suffixes=("", "_json"))
    assert len(merged) == 392
    assert (merged["rank"] == merged["rank_json"]).all()

    n_tied_pairs = 0
    for _, g in official.groupby("benefit"):
        g = g.sort_values("rank")
        assert g["rank"].tolist() == list(range(1, 99))
        # ascending difference_pp reproduces the ranks ...
        assert g["difference_pp"].is_monotonic_increasing
        lo = g["difference_pp"].rank(method="min")
        hi = g["difference_pp"].rank(method="max")
        untied = lo == hi
        assert (g.loc[untied, "rank"] == lo[untied]).all()
        # ... exactly, except for the order within ties of the rounded difference
        assert ((g["rank"] >= lo) & (g["rank"] <= hi)).all()
        n_tied_pairs += int((g["difference_pp"].diff() == 0).sum())
    assert n_tied_pairs == 143


def test_official_actual_side_equals_the_actual_file(official, actual):
    a = actual[actual["period"] == "2020QMAT02"].set_index(["code", "benefit"])
    o = official.set_index(["code", "benefit"]).loc[a.index]
    assert (o["actual"] == a["actual"]).all()
    np.testing.assert_allclose(o["actual_share_pct"], a["share_pct"])
    np.testing.assert_allclose(o["population"], a["population"])


def _official_copy(tmp_path: Path, change: Callable[[list[str]], list[str]]) -> Path:
    src = verified_file(Y30, jobindsats.OFFICIAL_FILE)
    out = tmp_path / "download.jsonl"
    out.write_text(
        "".join(change(src.read_text(encoding="utf-8").splitlines(keepends=True))), encoding="utf-8"
    )
    return out


def test_official_opposite_sign_is_converted(tmp_path, official):
    def flip(ls):
        out = []
        for line in ls:
            r = json.loads(line)
            for k in (jobindsats._PREFIX_N + "Forskel mellem forventet og faktisk antal",):
                r[k] = -r[k]
            k = jobindsats._PREFIX_S + "Forskel mellem forventet og faktisk andel (pct. point)"
            v = r[k]
            r[k] = v[1:] if v.startswith("-") else ("-" + v if v != "0,00" else v)
            out.append(json.dumps(r, ensure_ascii=False) + "\n")
        return out

    got = jobindsats.load_official(_official_copy(tmp_path, flip))
    assert got.attrs["sign_flipped"] is True
    pd.testing.assert_frame_equal(got, official)


def test_official_embedded_file_is_sha_checked(tmp_path):
    root = copy_sources(tmp_path, Y30)
    edit(root, Y30, jobindsats.OFFICIAL_FILE, lambda t: t.replace('"9,28"', '"9,29"', 1), record=False)
    with raises("content differs", jobindsats.OFFICIAL_FILE):
        jobindsats.load_official(root=root)
    # the same file passed as a path is the embedded one, so it is checked too
    with raises("content differs", jobindsats.OFFICIAL_FILE):
        jobindsats.load_official(root / Y30 / jobindsats.OFFICIAL_FILE, root=root)


def test_official_bad_number_names_line_and_field(tmp_path):
    path = _official_copy(tmp_path, lambda ls: [*ls[:4], ls[4].replace('"7,83"', '"7,8x"'), *ls[5:]])
    with raises("cannot parse '7,8x'", "download.jsonl", "line 5", "Forventet andel (pct.)"):
        jobindsats.load_official(path)


def test_official_missing_municipality_fails(tmp_path):
    path = _official_copy(tmp_path, lambda ls: [x for x in ls if '"Area":"Nyborg"' not in x])
    with raises("missing", "download.jsonl", "450 Nyborg", "2020QMAT02"):
        jobindsats.load_official(path)


def test_official_duplicate_and_unknown_area_fail(tmp_path):
    path = _official_copy(tmp_path, lambda ls: [*ls, ls[0]])
    with raises("duplicate", "download.jsonl", "lines 1, 393"):
        jobindsats.load_official(path)
    path = _official_copy(
        tmp_path, lambda ls: [x.replace('"Area":"København"', '"Area":"Copenhagen"') for x in ls]
    )
    with raises("unknown municipality 'Copenhagen'", "download.jsonl", "line 1"):
        jobindsats.load_official(path)


def test_official_unknown_period_fails(tmp_path):
    path = _official_copy(tmp_path, lambda ls: [ls[0].replace("2020QMAT02", "2020Q2"), *ls[1:]])
    with raises("unknown period '2020Q2'", "download.jsonl", "line 1"):
        jobindsats.load_official(path)


# ------------------------------------------------------------------------------------ DST factors
@pytest.fixture(scope="module")
def factors():
    return dst.load_factors()


def test_factors_complete_with_tables(factors):
    assert set(factors["factor"]) == set(dst.FACTORS)
    counts = factors.groupby("factor").size()
    for name, f in dst.FACTORS.items():
        assert counts[name] == 98 * len(f.years)
    assert factors.loc[factors["factor"] == "unemployment_pct", "table"].unique().tolist() == ["AUP02"]
    assert dst.FACTORS["income"].source == "Danmarks Statistik, INDKP101"
    # "Copenhagen" is København
    inc = factors[(factors["factor"] == "income") & (factors["code"] == 101) & (factors["year"] == 2020)]
    assert inc["value"].item() == 247849


def _statbank(name: str) -> pd.DataFrame:
    path = verified_file(FACT, f"raw/{name}")
    return pd.read_csv(path, sep=";", encoding="utf-8-sig")


def test_factors_agree_with_raw_statbank_extracts(factors):
    """income = INDKP101 and education = HFUDD11 (H40..H80)/total, as the module docstring says."""
    names = {v: k for k, v in dst.DST_ALIASES.items()}
    from analysis.core.municipalities import registry

    label = {c: names.get(c, n) for c, n in zip(registry()["code"], registry()["name"], strict=True)}
    inc = factors[factors["factor"] == "income"].assign(area=lambda d: d["code"].map(label))
    raw = _statbank("indkp101_income_by_municipality.csv").set_index(["OMRÅDE", "TID"])["INDHOLD"]
    assert (
        inc["value"].to_numpy() == raw.loc[list(zip(inc["area"], inc["year"], strict=True))].to_numpy()
    ).all()

    tot = _statbank("hfudd11_tot.csv").set_index(["BOPOMR", "TID"])["INDHOLD"]
    higher = sum(
        _statbank(f"hfudd11_h{h}.csv").set_index(["BOPOMR", "TID"])["INDHOLD"] for h in (40, 50, 60, 70, 80)
    )
    edu = factors[factors["factor"] == "education"].assign(area=lambda d: d["code"].map(label))
    keys = list(zip(edu["area"], edu["year"], strict=True))
    np.testing.assert_allclose(edu["value"], (100 * higher / tot).loc[keys].round(1), atol=1e-9)


def test_factors_changed_file_fails(tmp_path):
    root = copy_sources(tmp_path, FACT)
    edit(
        root,
        FACT,
        "factors/income.csv",
        lambda t: t.replace("Aabenraa,1987,74649", "Aabenraa,1987,74650"),
        record=False,
    )
    with raises("content differs", "income.csv"):
        dst.load_factors(["income"], root=root)


def test_factors_unknown_name_fails(tmp_path):
    root = copy_sources(tmp_path, FACT)
    edit(root, FACT, "factors/age65_pct.csv", lambda t: t.replace("Copenhagen,", "Kobenhavn,"))
    with raises("unknown municipality 'Kobenhavn'", "age65_pct.csv", "line "):
        dst.load_factors(["age65_pct"], root=root)


def test_factors_missing_duplicate_and_unknown_year_fail(tmp_path):
    root = copy_sources(tmp_path, FACT)
    f = "factors/education.csv"
    edit(root, FACT, f, lines_edit(lambda ls: [x for x in ls if not x.startswith("Nyborg,2019,")]))
    with raises("missing", "education.csv", "year 2019", "450 Nyborg"):
        dst.load_factors(["education"], root=root)
    edit(root, FACT, f, lines_edit(lambda ls: [*ls, ls[1]]))
    with raises("duplicate", "education.csv", "lines 2, 491"):
        dst.load_factors(["education"], root=root)
    edit(root, FACT, f, lambda t: t.replace("Aabenraa,2008,", "Aabenraa,2009,", 1))
    with raises("unknown year '2009'", "education.csv", "line 2"):
        dst.load_factors(["education"], root=root)


def test_factors_unknown_indicator_is_a_value_error():
    with pytest.raises(ValueError, match="welfare"):
        dst.load_factors(["welfare"])


# -------------------------------------------------------------------------------------- komgrp
def test_komgrp_groups():
    k = dst.load_komgrp()
    assert len(k) == 98
    assert k["group"].value_counts().sort_index().tolist() == [24, 3, 16, 24, 31]
    assert k.set_index("code").loc[[101, 751, 461, 825], "group"].tolist() == [1, 2, 2, 5]


def test_komgrp_failures(tmp_path):
    root = copy_sources(tmp_path, KOM)
    name = dst.KOMGRP_FILE
    edit(root, KOM, name, lines_edit(lambda ls: [x for x in ls if '"450";2;Nyborg' not in x]))
    with raises("missing", name, "450 Nyborg"):
        dst.load_komgrp(root)
    edit(root, KOM, name, lines_edit(lambda ls: [*ls, ls[2]]))
    with raises("duplicate", name, "(101,)"):
        dst.load_komgrp(root)
    # a municipality before any group: drop the first group row
    root2 = copy_sources(tmp_path / "b", KOM)
    edit(root2, KOM, name, lines_edit(lambda ls: [ls[0], *ls[2:]]))
    with raises("not under a valid group", name, "line 2"):
        dst.load_komgrp(root2)


def test_komgrp_unknown_group_fails(tmp_path):
    root = copy_sources(tmp_path, KOM)
    edit(root, KOM, dst.KOMGRP_FILE, lambda t: t.replace('"5";1;Landkommuner', '"6";1;Landkommuner'))
    with raises("group '6' 'Landkommuner'", dst.KOMGRP_FILE, "line 73"):
        dst.load_komgrp(root)


def test_komgrp_changed_file_fails(tmp_path):
    root = copy_sources(tmp_path, KOM)
    edit(root, KOM, dst.KOMGRP_FILE, lambda t: t.replace("Landkommuner", "Landkommuner "), record=False)
    with raises("content differs", dst.KOMGRP_FILE):
        dst.load_komgrp(root)


# ------------------------------------------------------------------------------------- monthly
@pytest.fixture(scope="module")
def monthly():
    return jobindsats.load_monthly(wide=True)


def test_monthly_shape_and_measures(monthly):
    assert len(monthly) == 98 * 60
    assert str(monthly["month"].min()) == "2021-08"
    assert str(monthly["month"].max()) == "2026-07"
    assert monthly.attrs["measures"]["kh_fulltime"] == "y60a02"
    assert monthly.attrs["measures"]["unemployment_pct"] == "y25i01"
    # suppressed small counts stay missing, nothing else is
    na = monthly.isna().sum()
    assert na["unemployed_kontanthjaelp"] == 57
    assert na["unemployment_kontanthjaelp_pct"] == 2
    assert na.drop(["unemployed_kontanthjaelp", "unemployment_kontanthjaelp_pct"]).sum() == 0
    kbh = monthly[(monthly["code"] == 101) & (monthly["month"] == pd.Period("2021-08", "M"))].iloc[0]
    assert (kbh["kh_fulltime"], kbh["unemployment_pct"]) == (12681, 4.8)


def test_monthly_long_form_records_measure():
    long = jobindsats.load_monthly()
    assert set(long["measure"]) == {"y60a02", "y25i01"}
    assert (long.loc[long["series"].str.startswith("kh_"), "measure"] == "y60a02").all()


def _monthly_edit(tmp_path: Path, fn: Callable[[dict], None], *, record: bool = True) -> Path:
    root = copy_sources(tmp_path, MON)

    def change(text: str) -> str:
        data = json.loads(text)
        fn(data)
        return json.dumps(data, ensure_ascii=False)

    edit(root, MON, jobindsats.MONTHLY_FILE, change, record=record)
    return root


def test_monthly_unknown_slug_fails(tmp_path):
    def rename(d):
        d["municipalities"]["copenhagen"] = d["municipalities"].pop("koebenhavn")

    root = _monthly_edit(tmp_path, rename)
    with raises("unknown municipality key 'copenhagen'", "dashboard-data.json"):
        jobindsats.load_monthly(root)


def test_monthly_missing_municipality_fails(tmp_path):
    root = _monthly_edit(tmp_path, lambda d: d["municipalities"].pop("nyborg"))
    with raises("missing", "dashboard-data.json", "450 Nyborg"):
        jobindsats.load_monthly(root)


def test_monthly_duplicate_month_fails(tmp_path):
    def dup(d):
        d["municipalities"]["nyborg"]["cashAssistance"]["labels"][1] = "2021M08"

    root = _monthly_edit(tmp_path, dup)
    with raises(
        "duplicate", "dashboard-data.json", "municipalities['nyborg'].cashAssistance", "('2021M08',)"
    ):
        jobindsats.load_monthly(root)


def test_monthly_unknown_period_and_bad_value_fail(tmp_path):
    def later(d):
        d["municipalities"]["nyborg"]["unemployment"]["labels"][-1] = "2026M09"
        d["municipalities"]["odense"]["unemployment"]["labels"][0] = "2021-08"
        d["municipalities"]["aeroe"]["cashAssistance"]["fullTime"][3] = "12"

    root = _monthly_edit(tmp_path, later)
    with raises(
        "later than the latest period",
        "dashboard-data.json",
        "municipalities['nyborg'].unemployment.labels[59]",
        "municipalities['aeroe'].cashAssistance.fullTime[3] (2021M11): '12' is not a number",
        "municipalities['odense'].unemployment.labels[0]: '2021-08' is not a month",
    ):
        jobindsats.load_monthly(root)


def test_monthly_changed_file_fails(tmp_path):
    root = _monthly_edit(tmp_path, lambda d: d["meta"].update(title="x"), record=False)
    with raises("content differs", "dashboard-data.json"):
        jobindsats.load_monthly(root)


def test_slug_matches_every_dashboard_key():
    path = verified_file(MON, jobindsats.MONTHLY_FILE)
    keys = set(json.loads(path.read_text(encoding="utf-8"))["municipalities"])
    from analysis.core.municipalities import registry

    assert {jobindsats.slug(n) for n in registry()["name"]} == keys
    assert all(re.fullmatch(r"[a-z-]+", k) for k in keys)
