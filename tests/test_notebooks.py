"""The notebooks in ``notebooks/`` stay thin, parameterised and stored without outputs."""

from __future__ import annotations

import ast
import json

import nbformat
import pytest

from analysis.core.paths import notebooks_dir

NOTEBOOKS = sorted(notebooks_dir().glob("*.ipynb"))


def test_the_three_report_notebooks_exist():
    assert [p.stem for p in NOTEBOOKS] == ["01_expected_caseload", "02_tradeoff_bias", "03_case_municipality"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a code cell has stored output"
            assert cell.execution_count is None, f"{path.name}: a code cell has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_one_parameters_cell_first(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert tagged[0] is code[0]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_thin_cells_without_definitions(path):
    """Logic lives in ``analysis``: no def/class/loops in notebooks, and only a few lines a cell."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        kinds = {type(n).__name__ for n in ast.walk(tree)}
        banned = kinds & {"FunctionDef", "AsyncFunctionDef", "ClassDef", "Lambda", "For", "While"}
        assert not banned, f"{path.name}: {sorted(banned)} in\n{cell.source}"
        if "parameters" not in cell.metadata.get("tags", []):
            lines = [ln for ln in cell.source.splitlines() if ln.strip()]
            assert len(lines) <= 8, f"{path.name}: cell too long:\n{cell.source}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_papermill_reads_every_declared_parameter(path):
    """``papermill --help-notebook`` lists them all (its parser drops a line it cannot read)."""
    import papermill as pm

    from analysis.report.params import notebook_parameters

    assert list(pm.inspect_notebook(str(path))) == list(notebook_parameters(path))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_cell_has_an_id(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    ids = [c.get("id") for c in nb["cells"]]
    assert all(ids)
    assert len(set(ids)) == len(ids)
