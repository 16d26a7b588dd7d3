"""End to end: execute the fixture notebook with papermill, render HTML and A4 PDF.

The fixture (``tests/fixtures/notebooks/report_fixture.ipynb``) draws synthetic numbers from
``numpy.random.default_rng(seed)``; the headline numbers are recomputed here from the same
draws, independently of the notebook, and must appear in both outputs.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

from analysis.core.municipalities import codes, lookup
from analysis.report.fmt import persons, pp
from analysis.report.manifest import MANIFEST_KEYS

pytestmark = pytest.mark.render

FIXTURE = Path(__file__).parent / "fixtures" / "notebooks" / "report_fixture.ipynb"
PARAMS = {"municipality": "Ærø", "year": 2018, "seed": 11}


def _headline(municipality: str, seed: int) -> dict[str, str]:
    rng = np.random.default_rng(seed)
    all_codes = np.array(codes())
    population = rng.integers(5_000, 60_000, size=all_codes.size)
    expected = population * rng.uniform(0.10, 0.16, size=all_codes.size)
    actual = expected + rng.normal(0, 0.01, size=all_codes.size) * population
    i = int(np.flatnonzero(all_codes == lookup(municipality).code)[0])
    diff_pp = 100 * (actual[i] - expected[i]) / population[i]
    return {"actual": persons(actual[i]), "expected": persons(expected[i]), "pp": pp(diff_pp)}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    from analysis.report.render import render_report

    out = tmp_path_factory.mktemp("reports")
    return render_report(FIXTURE, PARAMS, out, inputs=[FIXTURE])


@pytest.fixture(scope="module")
def html(rendered) -> str:
    return rendered.html.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def pdf_text(rendered) -> str:
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(rendered.pdf).pages)
    # Typst maps one glyph to one character in the PDF's ToUnicode table, so once a word has
    # been hyphenated at a line end, every hyphen of that font extracts as U+00AD (soft
    # hyphen; typst/typst#526). The page shows a hyphen; normalise for comparison.
    return text.replace("\xa0", " ").replace("\xad", "-")


def test_outputs_in_their_own_run_folder(rendered):
    assert rendered.run_dir.name == "report_fixture-aeroe-2018-11"
    for p in (rendered.notebook, rendered.html, rendered.pdf, rendered.manifest):
        assert p.parent == rendered.run_dir
        assert p.stat().st_size > 0
    assert not [p for p in rendered.run_dir.rglob("*") if ".tmp" in p.name]
    nb = nbformat.read(rendered.notebook, as_version=4)
    assert nb.metadata["papermill"]["parameters"] == PARAMS


def test_html_has_no_code_and_no_external_references(html):
    from bs4 import BeautifulSoup

    assert "jp-InputArea" not in html
    assert "input_area" not in html
    source = nbformat.read(FIXTURE, as_version=4)
    for cell in source.cells:
        if cell.cell_type != "code":
            continue
        for line in cell.source.splitlines():
            line = line.strip()
            if len(line) > 25 and not line.startswith("#|"):
                assert line not in html, line
    assert "file://" not in html
    assert "<script" not in html
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(src=True):
        assert tag["src"].startswith("data:"), tag["src"][:60]
    for tag in soup.find_all(href=True):
        assert tag["href"].startswith("#"), tag["href"]
    assert not re.search(r"url\(\s*['\"]?(https?:|file:)", html)


def test_html_content(html):
    h = _headline(PARAMS["municipality"], PARAMS["seed"])
    assert "Syntetiske data" in html
    assert "Ærø Kommune · 2018" in html
    for value in h.values():
        assert value in html, value
    assert re.search(r"Figur 2\.1</span>", html)
    assert re.search(r"Tabel 2\.1</span>", html)
    assert re.search(r"Boks 2\.1</span>", html)
    assert re.search(r"Figur 2\.2</span>", html)
    assert re.search(r"Bilagstabel B1\.1</span>", html)
    assert "Anm.:" in html
    assert "Kilde:" in html
    assert 'class="kb-toc"' in html
    assert "Indhold" in html


def test_pdf_is_a4_with_danish_text(rendered, pdf_text):
    from pypdf import PdfReader

    reader = PdfReader(rendered.pdf)
    assert len(reader.pages) >= 2
    for page in reader.pages:
        box = page.mediabox
        assert abs(float(box.width) - 595.28) < 1
        assert abs(float(box.height) - 841.89) < 1
    for ch in ("æ", "ø", "å", "Æ", "Ø"):
        assert ch in pdf_text, ch
    assert "Ærø Kommune" in pdf_text
    assert "Køge" in pdf_text
    for word in (
        "Figur 2.1",
        "Figur 2.2",
        "Tabel 2.1",
        "Boks 2.1",
        "Kilde:",
        "Anm.:",
        "Indhold",
        "Bilagstabel B1.1",
    ):
        assert word in pdf_text, word
    assert "SYNTETISKE DATA" in pdf_text
    assert "Syntetiske data (Syntetisk Danmark)" in pdf_text
    assert re.search(r"Side 1 af \d+", pdf_text)
    h = _headline(PARAMS["municipality"], PARAMS["seed"])
    for value in h.values():
        assert value in pdf_text, value


def test_manifest_written(rendered):
    m = json.loads(rendered.manifest.read_text(encoding="utf-8"))
    assert set(MANIFEST_KEYS) <= set(m)
    assert m["parameters"]["municipality"] == "Ærø"
    assert m["parameters"]["year"] == 2018
    assert m["seed"] == 11
    assert m["synthetic"] is True
    assert set(m["timings"]) >= {"execute", "html", "pdf", "total"}
    assert str(FIXTURE) in m["inputs"]
    assert set(rendered.timings) == set(m["timings"])


def test_failing_cell_is_reported(tmp_path):
    from nbformat.v4 import new_code_cell, new_notebook

    from analysis.report.render import RenderError, execute_notebook

    nb = new_notebook()
    params = new_code_cell("year: int = 2019")
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, new_code_cell("raise ValueError('tabel mangler for ' + str(year))")]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nbformat.write(nb, tmp_path / "bad.ipynb")
    with pytest.raises(RenderError, match=r"bad.ipynb: cell \d+ raised ValueError: tabel mangler for 2020"):
        execute_notebook(tmp_path / "bad.ipynb", tmp_path / "out.ipynb", {"year": 2020})
    assert not (tmp_path / "out.ipynb").exists()
    assert (tmp_path / "out.failed.ipynb").exists()
