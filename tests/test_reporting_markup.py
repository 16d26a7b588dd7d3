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
from analysis.report.markup import (
    Heading,
    html2typst,
    mark_headings,
    md2typst,
    parse_cell_options,
    parse_heading,
)
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


# --------------------------------------------------------------------------- the report's parts
def test_parse_heading_recognises_unnumbered_chapters_by_name():
    assert not parse_heading("Forord", 1).numbered
    assert not parse_heading("Litteratur", 1).numbered
    assert not parse_heading("litteratur", 1).numbered
    assert parse_heading("Litteratur", 2).numbered  # a section may be called so and still count
    assert parse_heading("Forord").numbered  # without a level: the attributes alone decide
    assert parse_heading("Forord og tak", 1).numbered
    assert parse_heading("Forord {#sec-f}", 1) == Heading("Forord", numbered=False, label="sec-f")


def test_mark_headings_for_the_appendix_tag():
    assert mark_headings("# Bilag\n\nTekst.", appendix=True) == ("# Bilag {.appendix}\n\nTekst.", True)
    assert mark_headings("Tekst.\n\n## Kørsel {#sec-k}", appendix=True) == (
        "Tekst.\n\n## Kørsel {#sec-k .appendix}",
        True,
    )
    fenced = "```\n# ikke en overskrift\n```\n"
    assert mark_headings(fenced, appendix=True) == (fenced, False)
    assert mark_headings("# Kapitel") == ("# Kapitel", False)
    assert mark_headings("# B {.appendix}", appendix=True) == ("# B {.appendix}", True)


def _report_notebook(syntax: str) -> nbformat.NotebookNode:
    """A small executed report: Forord, two chapters, Litteratur and a Bilag with a table.

    ``syntax="attributes"`` writes ``{.unnumbered}``/``{.appendix}`` in the headings (the old
    way); ``"tags"`` names the chapters plainly and tags the Bilag's first cell ``appendix``.
    """
    old = syntax == "attributes"
    table = ReportTable(pd.DataFrame({"Antal": [1234.5]}, index=["Ærø"]), caption="En tabel", label="tbl-a")
    appendix_table = ReportTable(pd.DataFrame({"x": [1]}), caption="Bilagstabellen")
    meta = new_code_cell("report_metadata(...)", execution_count=1)
    meta.outputs = [new_output("display_data", data={META_MIME: {"title": "Min titel"}})]
    tcell = new_code_cell("ReportTable(...)", execution_count=2)
    tcell.outputs = [new_output("execute_result", data=table._repr_mimebundle_(), execution_count=2)]
    acell = new_code_cell("ReportTable(...)", execution_count=3)
    acell.outputs = [new_output("display_data", data=appendix_table._repr_mimebundle_())]
    bilag = new_markdown_cell("# Modeltabeller" + (" {.appendix}" if old else "") + "\n\nBilagstekst.")
    if not old:
        bilag.metadata["tags"] = ["appendix"]
    nb = new_notebook()
    nb.cells = [
        meta,
        new_markdown_cell("# Forord" + (" {.unnumbered}" if old else "") + "\n\nÆble og øl."),
        new_markdown_cell("# Sammenfatning\n\nSe @tbl-a."),
        tcell,
        new_markdown_cell("# Resultater\n\n## Et afsnit\n\nTekst."),
        new_markdown_cell("# Litteratur" + (" {.unnumbered}" if old else "") + "\n\n- En kilde."),
        bilag,
        acell,
        new_markdown_cell("# Kørselsoplysninger\n\nMere."),
    ]
    return nb


def _headings(html: str) -> list[str]:
    from bs4 import BeautifulSoup

    main = BeautifulSoup(html, "html.parser").find("main")
    return [
        " ".join(h.get_text(" ", strip=True).split())
        for h in main.find_all(["h1", "h2"])
        if not h.find_parent("nav")  # the table of contents' own title
    ]


@pytest.mark.parametrize("syntax", ["attributes", "tags"])
def test_report_parts_are_numbered_as_in_the_report_style(syntax, tmp_path):
    import typst
    from pypdf import PdfReader

    nb = _report_notebook(syntax)
    html = to_html(nb, tmp_path / "r.html").read_text(encoding="utf-8")
    assert _headings(html) == [
        "Forord",
        "1 Sammenfatning",
        "2 Resultater",
        "2.1 Et afsnit",
        "Litteratur",
        "Bilag 1 Modeltabeller",
        "Bilag 2 Kørselsoplysninger",
    ]
    assert "{" not in " ".join(_headings(html))
    assert re.search(r"Bilagstabel\s+B1\.1", html)
    assert '<a href="#tbl-a">Tabel 1.1</a>' in html
    main = to_typst(nb, tmp_path / "build")
    pdf = typst.compile(str(main), root=str(main.parent))
    pages = [
        " ".join(p.extract_text().split()).replace("\xa0", " ") for p in PdfReader(io.BytesIO(pdf)).pages
    ]
    text = " ".join(pages)
    for piece in (
        "1 Sammenfatning",
        "2 Resultater",
        "2.1 Et afsnit",
        "Bilag 1 Modeltabeller",
        "Bilag 2 Kørselsoplysninger",
        "Bilagstabel B1.1 Bilagstabellen",
        "Se Tabel 1.1",
    ):
        assert piece in text, piece
    assert "1 Forord" not in text
    assert "Litteratur" in text
    assert "3 Litteratur" not in text
    assert "{" not in text


def test_old_and_new_heading_syntax_give_the_same_report(tmp_path):
    html = {
        s: to_html(_report_notebook(s), tmp_path / f"{s}.html").read_text(encoding="utf-8")
        for s in ("attributes", "tags")
    }
    assert _headings(html["attributes"]) == _headings(html["tags"])
    typ = {
        s: to_typst(_report_notebook(s), tmp_path / s).read_text(encoding="utf-8")
        for s in ("attributes", "tags")
    }
    assert typ["attributes"] == typ["tags"]


def test_contents_follow_the_forord_on_its_page(tmp_path):
    import typst
    from pypdf import PdfReader

    prepared = prepare_notebook(_report_notebook("tags"))
    tagged = [i for i, c in enumerate(prepared.cells) if "toc" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert prepared.cells[tagged[0] + 1].source.startswith("# Sammenfatning")
    assert prepared.metadata["kommunebench"]["toc_cell"] is True
    main = to_typst(_report_notebook("tags"), tmp_path / "build")
    pdf = typst.compile(str(main), root=str(main.parent))
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert "Forord" in pages[1]
    assert "Indhold" in pages[1]
    assert pages[1].index("Forord") < pages[1].index("Indhold")
    assert "Sammenfatning" in pages[2]  # the main matter starts on the next page
    nb = _report_notebook("tags")
    html = to_html(nb, tmp_path / "r.html").read_text(encoding="utf-8")
    assert html.index("Æble og øl") < html.index('class="kb-toc"') < html.index("Sammenfatning</h1>")
    again = to_html(nb, tmp_path / "r2.html").read_text(encoding="utf-8")
    assert again == html  # the inserted cell has a fixed id


def test_a_short_introduction_keeps_with_what_follows():
    assert "#block(sticky: true)[Kort indledning.]" in md2typst("# Kapitel\n\nKort indledning.")
    assert "sticky" not in md2typst("# Kapitel\n\nFørste afsnit.\n\nAndet afsnit.")
    assert "sticky" not in md2typst("Bare tekst.")
    assert "sticky" not in md2typst("# Kapitel\n\n" + "Lang tekst. " * 80)
