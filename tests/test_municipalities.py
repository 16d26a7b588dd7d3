import subprocess
import sys

import pytest

from analysis.core.municipalities import UnknownMunicipalityError, codes, lookup, registry


def test_exactly_98_unique_codes_and_anchors():
    reg = registry()
    assert len(reg) == 98
    assert reg["code"].is_unique
    assert lookup(101).name == "København"
    assert lookup(450).name == "Nyborg"
    assert 411 not in codes()  # Christiansø is not a municipality


def test_region_sizes():
    counts = registry()["region"].value_counts().to_dict()
    assert counts == {
        "Hovedstaden": 29,
        "Syddanmark": 22,
        "Midtjylland": 19,
        "Sjælland": 17,
        "Nordjylland": 11,
    }


def test_shared_jobcentres():
    reg = registry()
    shared = reg[reg["jobcenter"] != reg["code"]]
    assert dict(zip(shared["code"], shared["jobcenter"], strict=True)) == {
        155: 185,
        183: 187,
        563: 561,
        825: 813,
    }


@pytest.mark.parametrize(
    ("key", "code"),
    [
        ("nyborg", 450),
        ("NYBORG", 450),
        ("Nyborg Kommune", 450),
        ("Koebenhavn", 101),
        ("københavn", 101),
        ("aeroe", 492),
        ("Høje Taastrup", 169),
        ("Bornholms Regionskommune", 400),
        ("450", 450),
        ("0450", 450),
        (450, 450),
        ("Aabenraa", 580),
        ("Tårnby", 185),
        ("Taarnby", 185),
        ("Ta\u030arnby", 185),  # decomposed: 'a' + combining ring (NFD, as macOS file names)
    ],
)
def test_lookup_by_code_or_name(key, code):
    assert lookup(key).code == code


def test_unknown_name_suggests_closest():
    with pytest.raises(UnknownMunicipalityError, match=r"did you mean Nyborg \(450\)\?"):
        lookup("Nyborgg")


def test_unknown_code_is_clear():
    with pytest.raises(UnknownMunicipalityError, match=r"unknown municipality code '999'"):
        lookup(999)


def test_cli_prints_98_as_csv():
    out = subprocess.run(
        [sys.executable, "-m", "analysis.cli", "municipalities"], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0] == "code,name,region"
    assert len(out) == 99
    assert "450,Nyborg,Syddanmark" in out
