"""Parameters are parsed once into typed values; a bad value fails with one line naming it."""

from __future__ import annotations

import pytest

from analysis.core.benefits import GROUPS, SETS
from analysis.core.params import (
    BenefitSet,
    DataRef,
    ParameterError,
    ReportParameters,
    parse_report,
    parse_run,
)


def test_sets_nest():
    assert set(SETS["bm2018"]) < set(SETS["bm2019"]) < set(SETS["all"]) == set(GROUPS)
    assert "foertidspension" not in SETS["bm2019"]


def test_benefit_set_names_and_lists():
    assert BenefitSet.parse("bm2018") == BenefitSet("bm2018", SETS["bm2018"])
    # any order, either separator: the canonical name of the same groups
    assert BenefitSet.parse("sygedagpenge,kontanthjaelp,dagpenge").name == "bm2018"
    assert BenefitSet.parse("sygedagpenge+kontanthjaelp+dagpenge").name == "bm2018"
    assert BenefitSet.parse(["foertidspension"]) == BenefitSet("foertidspension", ("foertidspension",))
    b = BenefitSet.parse("kontanthjaelp,foertidspension")
    assert b.name == "kontanthjaelp+foertidspension"
    assert BenefitSet.parse(b.name) == b  # the name parses back to itself
    assert BenefitSet.parse(b) is b


@pytest.mark.parametrize(
    ("bad", "msg"),
    [
        ("bm2017", "unknown benefit group 'bm2017' (did you mean 'bm2019'?)"),
        ("", "empty benefit set"),
        ("dagpenge,dagpenge", "given twice"),
        ("kontanthjalp", "did you mean 'kontanthjaelp'?"),
    ],
)
def test_benefit_set_errors(bad, msg):
    with pytest.raises(ParameterError, match=r"^benefits: ") as e:
        BenefitSet.parse(bad)
    assert msg in str(e.value)
    assert "\n" not in str(e.value)


def test_run_defaults_leave_period_and_benefits_to_the_source():
    p = parse_run({})
    assert p.period is None
    assert p.benefits is None
    assert p.spec == "pooled"
    assert p.draws == 1000
    assert p.seed == 0
    assert p.run_key() == {
        "data": "public",
        "period": "",
        "benefits": "",
        "spec": "pooled",
        "draws": 1000,
        "seed": 0,
    }


def test_run_parameters_are_immutable_and_round_trip():
    p = parse_run({"benefits": "bm2019", "period": 2024, "seed": "3"})
    assert p.period == "2024"
    assert p.seed == 3
    with pytest.raises(Exception, match="frozen"):
        p.seed = 4  # type: ignore[misc]
    assert parse_run(p.run_key()) == p


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"spec": "pooledd"}, "spec: got 'pooledd'; expected one of 'pooled', 'fe' (did you mean 'pooled'?)"),
        ({"draws": -5}, "draws: expected a positive whole number, got -5"),
        ({"draws": "abc"}, "draws: expected a whole number, got 'abc'"),
        ({"seed": True}, "seed: expected a whole number, got True"),
        ({"seed": -1}, "seed: expected a non-negative whole number, got -1"),
        ({"period": "2019x"}, "period: got '2019x'; expected a year (2024) or a jobindsats period"),
        (
            {"data": "/nonexistent/x"},
            "data: '/nonexistent/x' is neither 'public', 'public-monthly', 'synthetic' nor an existing folder",
        ),
        (
            {"municipality": "Nybrog"},
            "municipality: unknown municipality 'Nybrog': did you mean Nyborg (450)?",
        ),
        ({"n_peers": None}, "n_peers: expected a whole number, got None"),
        ({"n_peers": 21}, "n_peers: expected a whole number from 1 to 20, got 21"),
        ({"side_a": "foo"}, "side_a: unknown benefit group 'foo'"),
        ({"cases": "København,Nybrog"}, "cases: unknown municipality 'Nybrog'"),
        ({"publisher": ""}, "publisher: expected a non-empty name for the cover"),
        ({"peers": 5}, "unknown parameter 'peers' (did you mean 'n_peers'?)"),
    ],
)
def test_report_parameters_fail_with_one_line_naming_the_parameter(raw, message):
    with pytest.raises(ParameterError) as e:
        parse_report(raw)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_allowed_names_limit_a_notebooks_parameters():
    with pytest.raises(ParameterError, match="unknown parameter 'n_peers'"):
        parse_report({"n_peers": 5}, allowed=["data", "period"])


def test_municipalities_parse_once_by_code_name_folding_and_nfc():
    p = parse_report({"municipality": "Ta\u030arnby", "cases": "101,Koebenhavn,Nyborg"})
    assert p.municipality.code == 185
    assert [m.code for m in p.cases] == [101, 450]  # duplicates collapse


def test_data_refs(tmp_path):
    assert DataRef.parse("").kind == "public"  # the main job's default: the embedded public data
    assert DataRef.parse("synthetic").kind == "synthetic"
    assert DataRef.parse("public-monthly").kind == "public-monthly"
    assert DataRef.parse("public") == DataRef("public")
    ref = DataRef.parse(str(tmp_path))
    assert ref.kind == "folder"
    assert ref.path == tmp_path.resolve()
    assert str(ref) == str(tmp_path.resolve())


def test_notebook_values_are_plain_and_parse_back():
    p = parse_report(
        {"benefits": "kontanthjaelp,foertidspension", "municipality": "Nyborg", "side_a": "kontanthjaelp"}
    )
    values = p.notebook_values(list(ReportParameters.model_fields))
    assert values["benefits"] == "kontanthjaelp+foertidspension"
    assert values["municipality"] == "450"
    assert all(isinstance(v, str | int) for v in values.values())
    assert parse_report(values) == p
