"""The README's figures are the code's: the agreement with the Ministry's benchmark is recomputed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis.core.params import parse_run
from analysis.data.open import open_source
from analysis.run.benchmark import build

README = Path(__file__).resolve().parents[1] / "README.md"


def _table() -> dict[str, list[str]]:
    text = README.read_text(encoding="utf-8")
    block = text[text.index("<!-- agreement:start -->") : text.index("<!-- agreement:end -->")]
    rows = [ln for ln in block.splitlines() if ln.startswith("| ") and not ln.startswith("| list")]
    return {r.split("|")[1].split()[0]: [c.strip() for c in r.split("|")[2:-1]] for r in rows}


@pytest.fixture(scope="module")
def agreement():
    bm = build(open_source("public"), parse_run({"data": "public"}))  # the main job's parameters
    return bm.official.agreement


def test_readme_commands_come_first():
    lines = README.read_text(encoding="utf-8").splitlines()
    block = lines[lines.index("```bash") + 1 : lines.index("```bash") + 3]
    assert block[0].startswith("python -m pip install nox && nox -s report")
    assert block[1].startswith("python -m pip install nox && nox -s tests")


def test_readme_agreement_table_is_what_the_code_computes(agreement):
    table = _table()
    assert set(table) == set(agreement.index)
    for key, cells in table.items():
        a = agreement.loc[key]
        assert cells[0] == f"{a['corr_expected']:.2f}", key
        assert cells[1] == f"{a['corr_gap']:.2f}", key
        assert cells[2] == f"{a['spearman_rank']:.2f}", key
        assert cells[3] == f"{100 * a['inside_interval']:.0f} %", key
        assert cells[4] == f"{a['mean_abs_rank_diff']:.1f}", key
    assert re.search(r"For 2020QMAT02, the one period", README.read_text(encoding="utf-8"))
