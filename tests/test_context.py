"""The shared benchmark context: parameters recorded by build(), save/load, cache checks and the
report parameter checks (analysis.run.benchmark)."""

from __future__ import annotations

import dataclasses
import hashlib
import pickle

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analysis.core.benefits import GROUPS
from analysis.core.municipalities import codes
from analysis.report.params import ParameterError, validate_in_notebook
from analysis.run import benchmark as context
from analysis.run.benchmark import (
    CACHE_FILE,
    Benchmark,
    build,
    load,
    open_benchmark,
    report_checks,
    resolve_data,
)
from analysis.yardsticks.frontier import EXCLUDED_SMALL

BOOTSTRAP = 200  # as in the small_benchmark fixture (tests/conftest.py)


@pytest.fixture(scope="module")
def bm(small_benchmark):
    return small_benchmark


@pytest.fixture(scope="module")
def saved(bm, tmp_path_factory):
    """The benchmark saved and read back once (a full save/load takes a few seconds)."""
    folder = tmp_path_factory.mktemp("saved")
    path = bm.save(folder)
    return folder, path, load(folder, expect=dict(bm.parameters))


@pytest.fixture(scope="module")
def light(bm, tmp_path_factory):
    """A saved copy without the model fits: same parameters, fast to load (for the cache checks)."""
    folder = tmp_path_factory.mktemp("light")
    dataclasses.replace(bm, fits={}, tradeoff=None).save(folder)
    return folder


# ----------------------------------------------------------------------------- build
def test_build_records_its_parameters(bm, small_benchmark_register):
    years = pd.read_parquet(small_benchmark_register / "municipalities.parquet")["year"]
    assert dict(bm.parameters) == {
        "data": str(small_benchmark_register.resolve()),
        "year": int(years.max()),  # default: the latest year in the register
        "benefits": "bm2018",
        "spec": "pooled",
        "bootstrap": BOOTSTRAP,
        "seed": 0,
    }
    assert bm.benefit_set == "bm2018"
    assert bm.main is bm.fits["bm2018"]
    assert set(bm.timings) == {"load", "fit", "history", "yardsticks"}
    assert all(v >= 0 for v in bm.timings.values())


def test_benchmark_is_read_only(bm):
    with pytest.raises(TypeError):
        bm.parameters["seed"] = 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        bm.synthetic = False


def test_inputs_are_the_register_files_with_their_sha256(bm, small_benchmark_register):
    files = sorted(small_benchmark_register.glob("*.parquet"))
    assert {"persons.parquet", "municipalities.parquet"} <= {p.name for p in files}
    assert dict(bm.inputs) == {str(p.resolve()): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


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
    ("kwargs", "name"),
    [
        ({"spec": "ols"}, "spec"),
        ({"benefits": "nonsense"}, "benefits"),
        ({"bootstrap": -1}, "bootstrap"),
        ({"bootstrap": True}, "bootstrap"),
        ({"bootstrap": 2.5}, "bootstrap"),
        ({"seed": -3}, "seed"),
        ({"seed": "0"}, "seed"),
    ],
)
def test_build_rejects_bad_parameters_before_reading(tmp_path, kwargs, name):
    # tmp_path holds no register: the parameter is checked before anything is read
    with pytest.raises(ValueError, match=name):
        build(tmp_path, **kwargs)


def test_build_rejects_a_year_not_in_the_register(small_benchmark_register, bm):
    with pytest.raises(ValueError, match=r"year: 1999 is not in the register") as err:
        build(small_benchmark_register, year=1999, bootstrap=BOOTSTRAP)
    assert str(bm.parameters["year"]) in str(err.value)  # lists the years it has


# ----------------------------------------------------------------------------- save / load
def test_save_writes_one_file(saved):
    folder, path, _ = saved
    assert path == folder / CACHE_FILE
    assert [p.name for p in folder.iterdir()] == [CACHE_FILE]  # no temporary file left behind


def test_load_round_trip(bm, saved):
    _, _, back = saved
    assert isinstance(back, Benchmark)
    assert dict(back.parameters) == dict(bm.parameters)
    assert back.synthetic is bm.synthetic
    assert dict(back.inputs) == dict(bm.inputs)
    assert set(back.fits) == set(bm.fits)
    for name in bm.fits:
        assert_frame_equal(back.fits[name].tidy(), bm.fits[name].tidy(), obj=name)
    assert_frame_equal(back.tidy(), bm.tidy())
    assert_frame_equal(back.tradeoff.table, bm.tradeoff.table)
    assert_frame_equal(back.yardsticks(), bm.yardsticks())
    assert_frame_equal(back.features, bm.features)
    assert_frame_equal(back.municipalities, bm.municipalities)
    with pytest.raises(TypeError):
        back.parameters["seed"] = 1  # read-only again after loading


def test_loaded_benchmark_can_be_saved_again(light, tmp_path):
    again = load(light)
    again.save(tmp_path)
    assert dict(load(tmp_path).parameters) == dict(again.parameters)


@pytest.mark.parametrize(
    ("key", "value"),
    [("bootstrap", 1000), ("seed", 7), ("spec", "fe"), ("benefits", "all"), ("year", 2019)],
)
def test_load_expect_names_the_differing_parameter(bm, light, key, value):
    expect = {**dict(bm.parameters), key: value}
    with pytest.raises(ValueError, match="other parameters") as err:
        load(light, expect=expect)
    msg = str(err.value)
    assert f"{key}: saved {bm.parameters[key]!r}, asked {value!r}" in msg
    assert CACHE_FILE in msg
    others = [k for k in bm.parameters if k != key]
    assert not any(f"{k}: saved" in msg for k in others)


def test_load_expect_ignores_unset_values(bm, light):
    back = load(light, expect={"year": None, "bootstrap": BOOTSTRAP, "seed": bm.parameters["seed"]})
    assert dict(back.parameters) == dict(bm.parameters)


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
    got = open_benchmark(small_benchmark_register, cache=light, bootstrap=BOOTSTRAP)
    assert got.fits == {}  # the light copy: read from the cache, not rebuilt
    assert dict(got.parameters) == dict(bm.parameters)
    with pytest.raises(ValueError, match=r"bootstrap: saved 200, asked 1000"):
        open_benchmark(small_benchmark_register, cache=light)  # default bootstrap=1000


def test_start_report_checks_kind_and_case(light, small_benchmark_register):
    with pytest.raises(ValueError, match="kind"):
        context.start_report("nonsense", data=str(small_benchmark_register))
    with pytest.raises(ValueError, match="municipality"):
        context.start_report(
            "case", data=str(small_benchmark_register), cache=str(light), bootstrap=BOOTSTRAP, year=None
        )


# ----------------------------------------------------------------------------- resolve_data
def test_resolve_data_accepts_a_register_folder(small_benchmark_register):
    assert resolve_data(str(small_benchmark_register)) == small_benchmark_register
    assert resolve_data(small_benchmark_register) == small_benchmark_register


def test_resolve_data_names_the_missing_files(tmp_path, small_benchmark_register):
    with pytest.raises(ValueError, match=r"parameter 'data'.*persons\.parquet, municipalities\.parquet"):
        resolve_data(tmp_path)
    (tmp_path / "persons.parquet").write_bytes((small_benchmark_register / "persons.parquet").read_bytes())
    with pytest.raises(ValueError, match="parameter 'data'") as err:
        resolve_data(str(tmp_path))
    assert "municipalities.parquet" in str(err.value)
    assert "persons.parquet" not in str(err.value)
    assert "kommunebench synth" not in str(err.value)  # the build hint is for the default only


def test_resolve_data_empty_means_the_synthetic_default(monkeypatch, tmp_path, small_benchmark_register):
    import analysis.core.paths

    monkeypatch.setattr(analysis.core.paths, "synthetic_default_dir", lambda: small_benchmark_register)
    assert resolve_data("") == small_benchmark_register
    assert resolve_data("  ") == small_benchmark_register
    monkeypatch.setattr(analysis.core.paths, "synthetic_default_dir", lambda: tmp_path)
    with pytest.raises(ValueError, match="kommunebench synth") as err:
        resolve_data("")
    assert str(tmp_path) in str(err.value)


# ----------------------------------------------------------------------------- report_checks
def test_report_checks_cover_the_notebook_parameters():
    checks = report_checks()
    want = {"data", "year", "benefits", "spec", "bootstrap", "seed", "municipality", "n_peers", "cases"}
    assert want <= set(checks)
    assert all(callable(c) for c in checks.values())


def test_report_checks_accept_valid_values(small_benchmark_register):
    values = {
        "data": str(small_benchmark_register),
        "year": 2024,
        "benefits": "bm2019",
        "spec": "fe",
        "bootstrap": 0,
        "seed": 3,
        "municipality": "Nyborg",
        "n_peers": 20,
        "cases": "København, 450,",
    }
    assert dict(validate_in_notebook(checks=report_checks(), **values)) == values


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("municipality", "Atlantis"),
        ("municipality", 999),
        ("cases", "Nyborg,Atlantis"),
        ("year", 1850),
        ("year", 3000),
        ("year", "2024"),
        ("benefits", "kontanthjaelp,pension"),
        ("spec", "ols"),
        ("bootstrap", -1),
        ("bootstrap", "many"),
        ("bootstrap", 2.5),
        ("n_peers", 0),
        ("n_peers", 21),
        ("n_peers", "7"),
        ("seed", -1),
        ("seed", True),
        ("side_a", "kontanthjaelp,pension"),
        ("side_b", "foertidspension;fleksjob"),
    ],
)
def test_report_checks_reject_with_the_parameter_named(name, value):
    with pytest.raises(ParameterError) as err:
        validate_in_notebook(checks=report_checks(), **{name: value})
    msg = str(err.value)
    assert msg.startswith(f"parameter {name!r}: ")
    assert msg.count("parameter '") == 1


def test_report_checks_reject_a_folder_without_register(tmp_path):
    with pytest.raises(ParameterError) as err:
        validate_in_notebook(checks=report_checks(), data=str(tmp_path))
    msg = str(err.value)
    assert msg.startswith("parameter 'data': ")
    assert msg.count("parameter 'data'") == 1
    assert str(tmp_path) in msg
