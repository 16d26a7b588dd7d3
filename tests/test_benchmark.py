"""The shared benchmark of a run: what build() records, what a source cannot feed, save/load
and the cache checks (analysis.run.benchmark)."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analysis.core.benefits import GROUPS
from analysis.core.municipalities import codes
from analysis.core.params import ParameterError, parse_run
from analysis.data.sources import Aggregates, PersonRegister, Provenance, aggregates_of_register
from analysis.run import benchmark as context
from analysis.run.benchmark import CACHE_FILE, Benchmark, build, load, open_benchmark
from analysis.yardsticks.frontier import EXCLUDED_SMALL

DRAWS = 200  # as in the small_benchmark fixture (tests/conftest.py)


@pytest.fixture(scope="module")
def bm(small_benchmark):
    return small_benchmark


@pytest.fixture(scope="module")
def saved(bm, tmp_path_factory):
    """The benchmark saved and read back once (a full save/load takes a few seconds)."""
    folder = tmp_path_factory.mktemp("saved")
    path = bm.save(folder)
    return folder, path, load(folder, expect=bm.params)


@pytest.fixture(scope="module")
def light(bm, tmp_path_factory):
    """A saved copy without the model fits: same parameters, fast to load (for the cache checks)."""
    folder = tmp_path_factory.mktemp("light")
    dataclasses.replace(bm, fits={}, tradeoff=None).save(folder)
    return folder


# ----------------------------------------------------------------------------- build
def test_build_records_its_parameters_resolved_against_the_source(bm, small_benchmark_register):
    years = pd.read_parquet(small_benchmark_register / "municipalities.parquet")["year"]
    assert bm.params.run_key() == {
        "data": str(small_benchmark_register.resolve()),
        "period": str(int(years.max())),  # default: the latest year in the register
        "benefits": "bm2018",  # default of a person register
        "spec": "pooled",
        "draws": DRAWS,
        "seed": 0,
    }
    assert bm.period == str(int(years.max()))
    assert bm.benefit_set.name == "bm2018"
    assert bm.main is bm.fits["bm2018"]
    assert set(bm.timings) == {"load", "fit", "history", "yardsticks"}
    assert all(v >= 0 for v in bm.timings.values())


def test_benchmark_is_read_only(bm):
    with pytest.raises(dataclasses.FrozenInstanceError):
        bm.params = None
    with pytest.raises(Exception, match="frozen"):
        bm.params.seed = 1


def test_inputs_are_the_register_files_with_their_sha256(bm, small_benchmark_register):
    files = sorted(small_benchmark_register.glob("*.parquet"))
    assert {"persons.parquet", "municipalities.parquet"} <= {p.name for p in files}
    want = {str(p.resolve()): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}
    assert dict(bm.provenance.inputs) == want


def test_synthetic_flag_is_set_for_synthetic_data(bm):
    assert bm.synthetic is True
    assert bm.tidy().attrs["synthetic"] is True


def test_fits_cover_the_ranked_sets_and_every_group(bm):
    assert {"bm2018", "all", *GROUPS} <= set(bm.fits)
    for name, res in bm.fits.items():
        t = res.tidy()
        assert sorted(t["code"]) == codes(), name
    assert_frame_equal(bm.tidy(), bm.fits["bm2018"].tidy())
    # pooled OLS: expected sums to actual nationally, for the main set
    t = bm.tidy()
    assert t["expected"].sum() == pytest.approx(t["actual"].sum(), rel=1e-9)


def test_a_person_register_feeds_every_analysis_but_the_official_figures(bm):
    assert set(bm.missing) == {"official"}
    assert bm.has("categories")
    assert bm.has("efficiency")
    assert bm.has("measures")
    assert bm.tradeoff is not None
    assert bm.tradeoff.test is not None
    assert bm.tradeoff.has_shifts


def test_yardsticks_one_row_per_municipality(bm):
    y = bm.yardsticks()
    assert list(y.index) == codes()
    assert set(y["category"]) <= {1, 2, 3, 4}
    scores = y["dea_score"].dropna()
    assert ((scores > 0) & (scores <= 1 + 1e-9)).all()
    # no DEA score exactly for the municipalities left out of the frontier
    left_out = {*EXCLUDED_SMALL, *bm.efficiency_meta["excluded_empty"]}
    assert set(y.index[y["dea_score"].isna()]) == left_out


def test_units_without_actual_or_positive_expected_caseload_are_left_out_of_dea():
    """E/O is undefined at zero actual and negative at negative expected (small samples only)."""
    from analysis.core.municipalities import registry

    jc = registry()["jobcenter"]
    all_codes = codes()

    def area(actual=None, expected=None):
        t = pd.DataFrame({"code": all_codes, "actual": 50.0, "expected": 50.0})
        for col, changes in (("actual", actual), ("expected", expected)):
            for code, value in (changes or {}).items():
                t.loc[t["code"] == code, col] = value
        return t

    # 101 København: nobody on one area; 240 Egedal: negative expected in another; 825 Læsø:
    # negative expected, but the job centre it shares with 813 Frederikshavn sums to positive;
    # 561 Esbjerg and 563 Fanø: no one on an area in either, which leaves out their shared job centre.
    areas = {
        "dagpenge": area(actual={101: 0.0, 561: 0.0, 563: 0.0}),
        "kontanthjaelp": area(expected={240: -0.5}),
        "sygedagpenge": area(expected={825: -10.0}),
    }
    assert jc[825] == jc[813]
    assert jc[563] == jc[561]
    assert context._units_without_caseload(areas) == [101, 240, 561, 563]
    assert context._units_without_caseload({"dagpenge": area()}) == []


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ({"period": "1999"}, "period: 1999 is not in the data"),
        ({"benefits": "bm2019"}, None),
        ({"spec": "fe"}, None),
    ],
)
def test_build_checks_period_benefits_and_spec_against_the_source(small_benchmark_register, raw, name):
    src = PersonRegister(small_benchmark_register)
    params = parse_run({"draws": DRAWS, **raw})
    if name is None:
        assert build(src, params).params.run_key()[next(iter(raw))] == str(raw[next(iter(raw))])
    else:
        with pytest.raises(ParameterError, match=name) as err:
            build(src, params)
        assert src.periods[-1] in str(err.value)  # lists the periods it has


def test_aggregates_source_feeds_the_model_and_says_what_it_lacks(small_benchmark_register):
    src = aggregates_of_register(small_benchmark_register)
    bm = build(src, parse_run({"draws": DRAWS}))
    assert bm.main.estimator == "panel"
    t = bm.tidy()
    assert sorted(t["code"]) == codes()
    # period effects: national expected equals actual in the period
    assert t["expected"].sum() == pytest.approx(t["actual"].sum(), rel=1e-9)
    assert (t["rank_lower"] <= t["rank"]).all()
    assert (t["rank"] <= t["rank_upper"]).all()
    assert set(bm.missing) == {"categories", "efficiency", "measures", "official"}
    assert {m.reason for m in bm.missing.values()} == {"no_jobcentre_data", "no_spells", "not_published"}
    assert bm.categories is None
    assert bm.efficiency is None
    assert bm.measures is None
    assert bm.tradeoff is not None
    assert bm.tradeoff.test is not None
    with pytest.raises(ParameterError, match="spec: got 'fe'"):
        build(src, parse_run({"spec": "fe"}))


def test_aggregates_without_a_side_of_the_tradeoff_leave_the_test_out(small_benchmark_register):
    full = aggregates_of_register(small_benchmark_register)
    frame = full.frame.drop(columns=["ft_foertidspension"])
    src = Aggregates(frame, provenance=Provenance(kind="folder", synthetic=True))
    bm = build(src, parse_run({"draws": DRAWS}))
    assert bm.missing["tradeoff_test"].detail == ("foertidspension",)
    assert bm.missing["rank_shifts"].reason == "no_all_groups"
    assert bm.tradeoff.test is None
    assert not bm.tradeoff.has_shifts
    assert "foertidspension" not in bm.tradeoff.groups
    with pytest.raises(ParameterError, match="benefits: all needs foertidspension"):
        build(src, parse_run({"benefits": "all"}))


# ----------------------------------------------------------------------------- save / load
def test_save_writes_one_file(saved):
    folder, path, _ = saved
    assert path == folder / CACHE_FILE
    assert [p.name for p in folder.iterdir()] == [CACHE_FILE]  # no temporary file left behind


def test_load_round_trip(bm, saved):
    _, _, back = saved
    assert isinstance(back, Benchmark)
    assert back.params == bm.params
    assert back.synthetic is bm.synthetic
    assert dict(back.provenance.inputs) == dict(bm.provenance.inputs)
    assert set(back.fits) == set(bm.fits)
    for name in bm.fits:
        assert_frame_equal(back.fits[name].tidy(), bm.fits[name].tidy(), obj=name)
    assert_frame_equal(back.tidy(), bm.tidy())
    assert_frame_equal(back.tradeoff.table, bm.tradeoff.table)
    assert_frame_equal(back.yardsticks(), bm.yardsticks())
    assert_frame_equal(back.features, bm.features)
    assert_frame_equal(back.municipalities, bm.municipalities)
    assert back.missing == bm.missing


def test_loaded_benchmark_can_be_saved_again(light, tmp_path):
    again = load(light)
    again.save(tmp_path)
    assert load(tmp_path).params == again.params


@pytest.mark.parametrize(
    ("key", "value"),
    [("draws", 1000), ("seed", 7), ("spec", "fe"), ("benefits", "all"), ("period", "2019")],
)
def test_load_expect_names_the_differing_parameter(bm, light, key, value):
    saved = bm.params.run_key()
    expect = parse_run({**saved, key: value})
    with pytest.raises(ValueError, match="other parameters") as err:
        load(light, expect=expect)
    msg = str(err.value)
    assert f"{key}: saved {saved[key]!r}, asked {expect.run_key()[key]!r}" in msg
    assert CACHE_FILE in msg
    others = [k for k in saved if k != key]
    assert not any(f"{k}: saved" in msg for k in others)


def test_load_expect_ignores_unset_period_and_benefits(bm, light):
    back = load(light, expect=parse_run({**bm.params.run_key(), "period": "", "benefits": ""}))
    assert back.params == bm.params


def test_load_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=CACHE_FILE) as err:
        load(tmp_path)
    assert "build" in str(err.value)


def _garbage(path, light):
    path.write_bytes(b"hello, this is not a pickle\n")


def _truncated(path, light):
    path.write_bytes((light / CACHE_FILE).read_bytes()[:200])


def _other_object(path, light):
    path.write_bytes(pickle.dumps(["a", "list"]))


def _other_version(path, light):
    payload = pickle.loads((light / CACHE_FILE).read_bytes())
    path.write_bytes(pickle.dumps({**payload, "version": context.FORMAT_VERSION + 1}))


def _other_fields(path, light):
    path.write_bytes(pickle.dumps({"version": context.FORMAT_VERSION, "fields": {"parameters": {}}}))


@pytest.mark.parametrize(
    ("write", "match"),
    [
        (_garbage, "not a saved benchmark"),
        (_truncated, "not a saved benchmark"),
        (_other_object, "not a saved benchmark"),
        (_other_version, "another version"),
        (_other_fields, "not a saved benchmark"),
    ],
)
def test_load_foreign_file_gives_a_clear_error(tmp_path, light, write, match):
    path = tmp_path / CACHE_FILE
    write(path, light)
    with pytest.raises(ValueError, match=match) as err:
        load(tmp_path)
    assert str(path) in str(err.value)
    assert "rebuild" in str(err.value)


def test_open_benchmark_reads_the_cache_when_parameters_match(bm, light, small_benchmark_register):
    asked = parse_run({"data": str(small_benchmark_register), "draws": DRAWS})
    got = open_benchmark(asked, cache=light)
    assert got.fits == {}  # the light copy: read from the cache, not rebuilt
    assert got.params == bm.params
    with pytest.raises(ValueError, match=r"draws: saved 200, asked 1000"):
        open_benchmark(parse_run({"data": str(small_benchmark_register)}), cache=light)  # default draws
