"""Markdown/HTML → Typst conversion, cell options, and rendering an executed notebook
(built in memory, so no kernel is needed) to HTML and Typst."""

from __future__ import annotations

import io
import re
import shutil

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from analysis.core.paths import TEMPLATES_DIR
from analysis.report.document import META_MIME
from analysis.report.fmt import ReportTable
from analysis.report.markup import html2typst, md2typst, parse_cell_options, parse_heading
from analysis.report.render import prepare_notebook, to_html, to_typst


def _compile(markup: str, tmp_path, *, report: bool = False) -> str:
    import typst
    from pypdf import PdfReader

    shutil.copyfile(TEMPLATES_DIR / "typst" / "report.typ", tmp_path / "report.typ")
    head = '#import "report.typ": *\n'
    head += '#show: report.with(title: "T", toc: false)\n' if report else ""
    (tmp_path / "main.typ").write_text(head + markup)
    pdf = typst.compile(str(tmp_path / "main.typ"), root=str(tmp_path))
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


MARKDOWN = """\
# Første kapitel {#sec-foerste}

Tekst med *kursiv*, **fed**, `kode`, [et link](https://example.org) og ~~streg~~.
Blød linje.

- punkt æ
- punkt ø
  1. under
+ ikke-markør

1. første
2. anden

| Kommune | Antal |
|---|--:|
| Ærø | 1.234 |

> Et citat.

```python
x = "#ikke typst"
```
"""


def test_md2typst_compiles_and_keeps_text(tmp_path):
    typ = md2typst(MARKDOWN)
    assert "= Første kapitel <sec-foerste>" in typ
    assert "#emph[kursiv]" in typ
    assert "#strong[fed]" in typ
    assert '#link("https://example.org")' in typ
    text = _compile(typ, tmp_path)
    for piece in [
        "Første kapitel",
        "kursiv",
        "fed",
        "kode",
        "et link",
        "punkt æ",
        "under",
        "Ærø",
        "1.234",
        "Et citat",
    ]:
        assert piece in text, piece
    assert '"#ikke typst"' in text


def test_parse_heading_attributes():
    h = parse_heading("Forord {.unnumbered}")
    assert (h.text, h.numbered, h.appendix) == ("Forord", False, False)
    h = parse_heading("Bilag {.appendix #sec-bilag}")
    assert (h.text, h.numbered, h.appendix, h.label) == ("Bilag", True, True, "sec-bilag")
    assert parse_heading("Plain").numbered


def test_html2typst_dataframe_with_multiindex(tmp_path):
    idx = pd.MultiIndex.from_tuples(
        [("Syd", "Ærø"), ("Syd", "Nyborg"), ("Nord", "Læsø")], names=["Region", "Kommune"]
    )
    df = pd.DataFrame({"Antal": [1.5, 2.25, -3.0], "Tekst": ["a", "b", "c"]}, index=idx)
    typ = html2typst(df.to_html())
    assert "rowspan: 2" in typ
    text = _compile(typ, tmp_path)
    for piece in ["Region", "Kommune", "Ærø", "Nyborg", "Læsø", "2.25", "-3.0"]:
        assert piece in text, piece
    # a column of numbers is right-aligned, a text column left-aligned
    assert "align: (left, left, right, left,)" in typ


def test_parse_cell_options():
    opts, src = parse_cell_options('#| label: fig-x\n#| fig-cap: "Æ: en titel"\nplot()\n#| not an option')
    assert opts == {"label": "fig-x", "fig-cap": "Æ: en titel"}
    assert src == "plot()\n#| not an option"
    assert parse_cell_options("x = 1") == ({}, "x = 1")
    with pytest.raises(ValueError, match="cell options"):
        parse_cell_options("#| just text\nx = 1")


def _executed_notebook() -> nbformat.NotebookNode:
    """A small notebook with outputs as papermill would leave them (no kernel needed)."""
    nb = new_notebook()
    params = new_code_cell('municipality = "Ærø"', execution_count=1)
    params.metadata["tags"] = ["parameters"]
    meta = new_code_cell("report_metadata(...)", execution_count=2)
    meta.outputs = [new_output("display_data", data={META_MIME: {"title": "Min titel", "synthetic": True}})]
    table = ReportTable(pd.DataFrame({"Antal": [1234.5]}, index=["Ærø"]), caption="En tabel", label="tbl-a")
    tcell = new_code_cell("ReportTable(...)  # SECRET_SOURCE_LINE", execution_count=3)
    tcell.outputs = [new_output("execute_result", data=table._repr_mimebundle_(), execution_count=3)]
    plain = new_code_cell("1 + 1", execution_count=4)
    plain.outputs = [new_output("execute_result", data={"text/plain": "2"}, execution_count=4)]
    warn = new_code_cell("import warnings", execution_count=5)
    warn.outputs = [new_output("stream", name="stderr", text="UserWarning: noise\n")]
    nb.cells = [
        params,
        meta,
        new_markdown_cell("# Forord {.unnumbered}\n\nÆble og øl på Ærø."),
        new_markdown_cell("# Kapitel\n\nSe @tbl-a."),
        tcell,
        plain,
        warn,
        new_markdown_cell("# Tabeller {.appendix}\n\nBilagstekst."),
        new_code_cell("ReportTable(...)", execution_count=6),
    ]
    appendix_table = ReportTable(pd.DataFrame({"x": [1]}), caption="Bilagstabellen")
    nb.cells[-1].outputs = [new_output("display_data", data=appendix_table._repr_mimebundle_())]
    return nb


def test_prepare_harvests_metadata_and_options():
    nb = _executed_notebook()
    prepared = prepare_notebook(nb)
    kb = prepared.metadata["kommunebench"]
    assert kb["title"] == "Min titel"
    assert kb["synthetic"] is True
    assert all(META_MIME not in o.get("data", {}) for c in prepared.cells for o in c.get("outputs", []))
    assert META_MIME in nb.cells[1].outputs[0]["data"]  # the input notebook is not modified


def test_to_html_structure(tmp_path):
    out = to_html(_executed_notebook(), tmp_path / "r.html")
    html = out.read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".*tmp"))  # no temp files left behind
    assert "SECRET_SOURCE_LINE" not in html
    assert "input_area" not in html
    assert "jp-InputArea" not in html
    assert "UserWarning" not in html  # stderr is not part of a report
    assert ">2<" not in html  # bare text/plain results are dropped
    assert "Syntetiske data" in html
    assert "Min titel" in html
    assert re.search(r"Tabel\s+1\.1", html)
    assert re.search(r"Bilagstabel\s+B1\.1", html)
    assert '<a href="#tbl-a">Tabel 1.1</a>' in html
    assert "<script" not in html
    assert "file://" not in html
    assert "https://" not in html
    assert 'lang="da"' in html


def test_to_typst_compiles(tmp_path):
    import typst
    from pypdf import PdfReader

    main = to_typst(_executed_notebook(), tmp_path / "build")
    pdf = typst.compile(str(main), root=str(main.parent))
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).replace("\xa0", " ")
    assert "Æble og øl på Ærø" in text
    assert "Tabel 1.1 En tabel" in text
    assert "Bilagstabel B1.1 Bilagstabellen" in text
    assert "Se Tabel 1.1" in text
    assert "SYNTETISKE DATA" in text
    assert "UserWarning" not in text
    assert "SECRET_SOURCE_LINE" not in text
