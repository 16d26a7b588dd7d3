"""Parameter validation happens before any kernel starts, with messages that name the problem."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from analysis.report import render
from analysis.report.params import (
    ParameterError,
    check_year,
    describe_parameters,
    notebook_parameters,
    validate_in_notebook,
    validate_parameters,
)

FIXTURE = Path(__file__).parent / "fixtures" / "notebooks" / "report_fixture.ipynb"

PARAMS_SOURCE = """\
municipality: str = "Nyborg"  # case municipality (code or name)
year: int = 2019  # register year
share: float = 0.5
groups: list[str] | None = None  # benefit groups
label = "x"  # no annotation
flag: bool = False
"""


@pytest.fixture
def notebook(tmp_path) -> Path:
    nb = new_notebook()
    cell = new_code_cell(PARAMS_SOURCE)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, new_code_cell("print(municipality)")]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    return path


def test_reads_names_types_defaults_and_help(notebook):
    p = notebook_parameters(notebook)
    assert list(p) == ["municipality", "year", "share", "groups", "label", "flag"]
    assert (p["year"].annotation, p["year"].default, p["year"].help) == ("int", 2019, "register year")
    assert p["groups"].annotation == "list[str] | None"  # composite annotations are kept
    assert p["label"].annotation is None
    assert p["label"].type_name == "str"


def test_valid_parameters_merge_with_defaults(notebook):
    out = validate_parameters(notebook, {"municipality": "Ærø", "share": 1, "groups": ["kontanthjaelp"]})
    assert out["municipality"] == "Ærø"
    assert out["year"] == 2019
    assert out["share"] == 1
    assert validate_parameters(notebook, {"groups": None})["groups"] is None


def test_unknown_key_lists_valid_ones(notebook):
    with pytest.raises(
        ParameterError, match=r"unknown parameter\(s\) 'yaer'.*valid parameters are: .*year: int"
    ):
        validate_parameters(notebook, {"yaer": 2019})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"year": "2019"}, r"parameter 'year': expected int, got str '2019'"),
        ({"year": True}, r"parameter 'year': expected int, got bool"),
        ({"share": "half"}, r"parameter 'share': expected float, got str"),
        ({"groups": "kontanthjaelp"}, r"parameter 'groups': expected list\[str\] \| None, got str"),
        ({"groups": [1, 2]}, r"parameter 'groups': expected list\[str\] \| None, got list"),
        ({"label": 3}, r"parameter 'label': expected str, got int"),
        ({"flag": "yes"}, r"parameter 'flag': expected bool, got str"),
    ],
)
def test_wrong_type_names_key_expected_and_given(notebook, values, message):
    with pytest.raises(ParameterError, match=message):
        validate_parameters(notebook, values)


def test_domain_checks(notebook):
    with pytest.raises(
        ParameterError, match=r"parameter 'municipality': unknown municipality 'Nyborgg'.*Nyborg"
    ):
        validate_parameters(notebook, {"municipality": "Nyborgg"})
    with pytest.raises(ParameterError, match=r"parameter 'year': expected a year in 2007–"):
        validate_parameters(notebook, {"year": 1999})
    # pluggable checks replace the defaults
    validate_parameters(notebook, {"year": 1999}, checks={})
    with pytest.raises(ParameterError, match="parameter 'share': too big"):
        validate_parameters(notebook, {"share": 2.0}, checks={"share": _too_big})


def _too_big(v):
    if v > 1:
        raise ValueError("too big")


def test_missing_parameters_cell(tmp_path):
    nb = new_notebook()
    nb.cells = [new_code_cell("x = 1")]
    nbformat.write(nb, tmp_path / "n.ipynb")
    with pytest.raises(ParameterError, match="no cell tagged 'parameters'"):
        notebook_parameters(tmp_path / "n.ipynb")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"kommune": "Nyborg"}, "unknown parameter"),
        ({"year": "2019"}, "expected int, got str"),
        ({"municipality": "Atlantis"}, "unknown municipality 'Atlantis'"),
    ],
)
def test_render_fails_before_kernel_starts(tmp_path, monkeypatch, values, message):
    import papermill

    def boom(*args, **kwargs):  # pragma: no cover - must not be reached
        raise AssertionError("papermill was called")

    monkeypatch.setattr(papermill, "execute_notebook", boom)
    with pytest.raises(ParameterError, match=message):
        render.render_report(FIXTURE, values, tmp_path / "out")
    with pytest.raises(ParameterError, match=message):
        render.execute_notebook(FIXTURE, tmp_path / "x.ipynb", values)
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "x.ipynb").exists()
    assert list(tmp_path.iterdir()) == []


def test_validate_in_notebook_uses_module_annotations():
    ns: dict = {"validate_in_notebook": validate_in_notebook}
    exec(
        'year: int = 2019\nmunicipality: str = "Ærø"\nout = validate_in_notebook(year=year, municipality=municipality)',
        ns,
    )
    assert dict(ns["out"]) == {"year": 2019, "municipality": "Ærø"}
    with pytest.raises(ParameterError, match="parameter 'year': expected int, got str"):
        exec(
            'year: int = "2019"\nvalidate_in_notebook(year=year)',
            {"validate_in_notebook": validate_in_notebook},
        )
    with pytest.raises(ParameterError, match="unknown municipality"):
        validate_in_notebook(municipality="Atlantis")


def test_check_year_bounds():
    assert check_year(2010) == 2010
    with pytest.raises(ParameterError, match="2010–2012"):
        check_year(2013, lo=2010, hi=2012)


def test_describe_parameters(notebook):
    text = describe_parameters(notebook)
    assert "year          int (default 2019)  register year" in text
    assert "groups        list[str] | None (default None)  benefit groups" in text
