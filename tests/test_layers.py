"""The layers keep to their jobs: no report language below the report layer, no import cycles,
no command-line parsing or file writing in computation modules."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "analysis"
DANISH = re.compile(
    r"[æøåÆØÅ]|\b(kommune|forventet|bedre|dårligere|placering|fuldtidspersoner|ydelse)\b", re.I
)


def _strings(path: Path) -> list[tuple[int, str]]:
    """String constants of a module that are not docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                docs.add(id(first.value))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
    ]


@pytest.mark.parametrize(
    "path",
    sorted([*(PACKAGE / "model").glob("*.py"), *(PACKAGE / "inference").glob("*.py")]),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_the_model_speaks_no_danish(path):
    """Labels, notes and prose belong to analysis.report.labels; the model carries codes."""
    found = [(line, s) for line, s in _strings(path) if DANISH.search(s)]
    assert not found, f"{path.name}: Danish report vocabulary in {found[:3]}"


def test_no_import_cycles():
    """No module imports one that imports it back (imports inside functions counted)."""
    from tests.import_graph import cycles

    assert cycles(PACKAGE) == []
    tool = Path(__file__).resolve().parents[2] / "shared" / "tools" / "import_cycles.py"
    if tool.is_file():  # a second, independent checker, where it sits beside the repository
        out = subprocess.run(
            [sys.executable, str(tool), str(PACKAGE)], capture_output=True, text=True, check=True
        )
        assert "cycles: 0" in out.stdout, out.stdout


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(PACKAGE.rglob("*.py")) if p.parent.name not in ("cli",) and p.name != "bench.py"],
    ids=lambda p: str(p.relative_to(PACKAGE)),
)
def test_computation_modules_have_no_argparse(path):
    """Every command lives in analysis.cli; a computation module neither parses arguments nor prints."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imports = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert "argparse" not in imports
    mains = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "main"]
    assert not mains
