"""Danish number formats, Typst escaping and the table/figure display objects."""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import shutil
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from analysis.core.paths import TEMPLATES_DIR
from analysis.report.fmt import (
    MINUS,
    ReportBox,
    ReportFigure,
    ReportTable,
    date_da,
    looks_numeric,
    num,
    pct,
    persons,
    pp,
    rank_interval,
    share,
    typst_escape,
)
from analysis.report.theme import SYNTHETIC_SOURCE, apply_theme, source_line


# --------------------------------------------------------------------------- numbers
@pytest.mark.parametrize(
    ("x", "decimals", "expected"),
    [
        (1234.5, 1, "1.234,5"),
        (0, 0, "0"),
        (999.96, 1, "1.000,0"),
        (1234567.891, 2, "1.234.567,89"),
        (-1234.5, 1, "−1.234,5"),
        (0.45, 1, "0,5"),  # half away from zero on the decimal value (binary 0.45 < 0.45)
        (2.5, 0, "3"),  # not banker's rounding
        (-2.5, 0, "−3"),
        (-0.04, 1, "0,0"),  # rounds to zero: no minus sign
        (12, 2, "12,00"),
        (np.float64(3.14159), 3, "3,142"),
        (np.int64(-42000), 0, "−42.000"),
    ],
)
def test_num_danish_format(x, decimals, expected):
    assert num(x, decimals) == expected


def test_num_uses_true_minus_and_optional_plus():
    assert num(-1, 0)[0] == MINUS == "\u2212"
    assert num(1.25, 1, sign=True) == "+1,3"
    assert num(0.0, 1, sign=True) == "0,0"


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA])
def test_num_missing_is_dash(missing):
    assert num(missing, 1) == "–"


def test_num_rejects_bad_input():
    with pytest.raises(TypeError, match="real number"):
        num("12", 1)
    with pytest.raises(ValueError, match="decimals"):
        num(1.0, -1)


def test_num_matches_independent_decimal_rounding():
    # Reference: Python's Decimal with ROUND_HALF_UP on the repr, then manual separators.
    rng = np.random.default_rng(1)
    for x in rng.normal(0, 1e5, size=200):
        d = Decimal(repr(float(x))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        sign = "−" if d < 0 else ""
        whole, frac = f"{abs(d):.2f}".split(".")
        groups = []
        while whole:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        expected = f"{sign}{'.'.join(groups)},{frac}"
        if d == 0:
            expected = expected.lstrip("−")
        assert num(float(x), 2) == expected


def test_pct_pp_persons_share():
    assert pct(12.345) == "12,3 pct."
    assert pct(-3.05, 1) == "−3,1 pct."
    assert pp(0.42) == "0,4 pct.-point"
    assert pp(-0.42) == "−0,4 pct.-point"
    assert pp(0.42, sign=True) == "+0,4 pct.-point"
    assert persons(1234.4) == "1.234"
    assert persons(1234.5) == "1.235"
    assert persons(-0.4) == "0"
    assert share(0.123) == "12,3 pct."
    assert pct(None) == "–"


def test_rank_interval():
    assert rank_interval(3, 7) == "3–7"
    assert rank_interval(5, 5) == "5"
    with pytest.raises(ValueError, match="must not exceed"):
        rank_interval(7, 3)
    with pytest.raises(ValueError, match="positive integer"):
        rank_interval(0, 3)


def test_date_da():
    assert date_da(dt.date(2026, 11, 23)) == "23. november 2026"
    assert date_da("2019-05-01") == "1. maj 2019"


# --------------------------------------------------------------------------- Typst escaping
def _typst_text(markup: str, tmp_path, *, report: bool = False) -> str:
    """Compile markup with Typst (bare, or inside the report style) and return the PDF text."""
    import typst
    from pypdf import PdfReader

    shutil.copyfile(TEMPLATES_DIR / "typst" / "report.typ", tmp_path / "report.typ")
    head = '#import "report.typ": *\n'
    head += (
        '#show: report.with(title: "T", toc: false)\n' if report else "#set page(width: 30cm, height: auto)\n"
    )
    (tmp_path / "main.typ").write_text(head + markup)
    pdf = typst.compile(str(tmp_path / "main.typ"), root=str(tmp_path))
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize(
    "text",
    [
        "pct.-point og #hash $dollar *stjerne* _under_ `kode` <a> @ref [x] ~ // /* æøå ÆØÅ",
        "- ikke en liste",
        "+ heller ikke",
        "= ingen overskrift",
        "2019. år",
        "a--b og a---b",
    ],
)
def test_typst_escape_prints_literally(text, tmp_path):
    out = _typst_text(f"#par[{typst_escape(text)}]", tmp_path)
    assert " ".join(out.split()) == " ".join(text.split())


# --------------------------------------------------------------------------- display objects
def _frame() -> pd.DataFrame:
    df = pd.DataFrame(
        {"Faktisk": [1234.4, 56.0], "Andel": [0.1234, -0.5], "Navn": ["Ærø", "Køge"]},
        index=pd.Index([492, 259], name="Kode"),
    )
    return df


class _Cells(HTMLParser):
    """Collect the text of th/td cells per tr (stdlib only; pandas.read_html needs lxml)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _table_rows(html: str) -> list[list[str]]:
    parser = _Cells()
    parser.feed(html)
    return parser.rows


def test_report_table_html_has_danish_numbers_and_notes():
    t = ReportTable(_frame(), caption="Test", note="Anm.: en note", source=source_line(True), label="tbl-x")
    html = t.to_html()
    assert "1.234,4" in html
    assert "−0,5" in html
    assert '<th class="txt">Kode</th>' in html
    assert "<span>Anm.:</span> en note" in html  # the duplicate "Anm.:" prefix is dropped
    assert "Syntetiske data" in html
    assert 'id="tbl-x"' in html
    bundle = t._repr_mimebundle_()
    assert set(bundle) >= {"text/html", "text/x-typst"}
    # the HTML table parses back to the same shape: a header row and two body rows of 4 cells
    rows = _table_rows(html)
    assert [len(r) for r in rows] == [4, 4, 4]
    assert rows[1][1] == "1.234,4"


def test_report_table_formats_and_errors():
    t = ReportTable(_frame(), caption="Test", formats={"Andel": share}, index=False)
    assert t.rows[0] == ("1.234,4", "12,3 pct.", "Ærø")
    assert t.numeric == (True, True, False)
    with pytest.raises(KeyError, match="unknown columns"):
        ReportTable(_frame(), caption="x", formats={"Nope": str})
    with pytest.raises(ValueError, match="caption"):
        ReportTable(_frame(), caption=" ")
    with pytest.raises(ValueError, match="label"):
        ReportTable(_frame(), caption="x", label="bad label")


def test_report_table_and_figure_compile_in_typst(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    apply_theme()
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [1, 4, 9])
    ax.set_title("Kurve for Ærø")
    f = ReportFigure(fig, caption="En figur", note="En note.", source=source_line(True), label="fig-a")
    assert not plt.fignum_exists(fig.number)  # closed, so the notebook does not show it twice
    t = ReportTable(_frame(), caption="En tabel", source=source_line(False))
    doc = "= Kapitel\n" + f.to_typst() + t.to_typst() + "Se @fig-a.\n"
    text = _typst_text(doc, tmp_path, report=True)
    assert "Figur 1.1 En figur" in text
    assert "Tabel 1.1 En tabel" in text
    assert "Se Figur 1.1." in " ".join(text.split()).replace("\xa0", " ")
    assert "Kilde: " + SYNTHETIC_SOURCE in text
    assert "1.234,4" in text
    assert "Køge" in text
    assert "data:image/svg+xml;base64," in f.to_html()


def test_source_line():
    assert source_line(True) == "Kilde: Syntetiske data (Syntetisk Danmark), ikke virkelige tal."
    assert "Syntetiske data" in source_line(True, "egne beregninger")
    assert source_line(True, "egne beregninger").endswith("; egne beregninger.")
    assert "Syntetisk" not in source_line(False)
    with pytest.raises(TypeError, match="synthetic"):
        source_line("ja")  # type: ignore[arg-type]


def test_apply_theme_sets_rc():
    import matplotlib as mpl

    apply_theme()
    assert mpl.rcParams["svg.fonttype"] == "path"
    assert mpl.rcParams["axes.spines.top"] is False
    assert math.isclose(mpl.rcParams["figure.figsize"][0], 6.3)


def test_report_box_numbered_per_chapter(tmp_path):
    box = ReportBox("Metode", "Et *forbehold* om data:\n\n- punkt ét\n- punkt to", label="box-m")
    assert "<em>forbehold</em>" in box.to_html()
    doc = "= Første\n= Anden\n" + box.to_typst() + box.to_typst().replace("<box-m>", "") + "Se @box-m.\n"
    text = " ".join(_typst_text(doc, tmp_path, report=True).split()).replace("\xa0", " ")
    assert "Boks 2.1 Metode" in text
    assert "Boks 2.2 Metode" in text
    assert "punkt ét" in text
    assert "Se Boks 2.1." in text
    with pytest.raises(ValueError, match="headings"):
        ReportBox("x", "# Overskrift")


# --------------------------------------------------------------------------- table layout
@pytest.mark.parametrize(
    ("text", "numeric"),
    [
        ("1.234,5", True),
        ("−0,8", True),
        ("+12", True),
        ("12,3 pct.", True),
        ("0,4 pct.-point", True),
        ("3–7", True),
        ("10 (4–45)", True),
        ("–", True),
        ("2,46 s", True),
        ("Ærø", False),
        ("juli 2019–juni 2020", False),
        ("2022QMAT04", False),
        ("A-dagpenge mv.", False),
    ],
)
def test_looks_numeric(text, numeric):
    assert looks_numeric(text) is numeric


def test_text_columns_of_numbers_are_right_aligned():
    df = pd.DataFrame(
        {"Åben model": ["10 (4–45)", "29 (5–83)", "–"], "Liste": ["A-dagpenge mv.", "Sygedagpenge", "–"]},
        index=pd.Index(["a", "b", "c"], name="Nøgle"),
    )
    t = ReportTable(df, caption="x")
    assert t.numeric == (False, True, False)
    assert "kb-table(align: (left, right, left,)" in t.to_typst()
    assert '<td class="num">10 (4–45)</td>' in t.to_html()
    assert ReportTable(pd.DataFrame({"x": ["–", "–"]}), caption="x").numeric == (False, False)


LONG_HEADERS = [
    "Placering (benchmark)",
    "Jobcenterindblik",
    "DEA-score",
    "Rangsæt (simultant)",
    "Ministeriets plads i intervallet",
    "Effektivitetsanalysen",
    "Fuldtidspersoner pr. 100",
]


def _wide_frame(n: int = 8) -> pd.DataFrame:
    names = ["Kerteminde", "Ikast-Brande", "Faaborg-Midtfyn", "Skanderborg", "Ringkøbing-Skjern"]
    rng = np.random.default_rng(0)
    data = {h: rng.integers(1, 99, size=n) for h in LONG_HEADERS}
    return pd.DataFrame(data, index=pd.Index([names[i % len(names)] for i in range(n)], name="Kommune"))


def _yardsticks() -> pd.DataFrame:
    """As the case report's table of yardsticks: eight columns, most headers longer than their numbers."""
    return pd.DataFrame(
        {
            "Placering (benchmark)": [29, 28, 68],
            "Placering (alle ydelser)": [7, 42, 65],
            "Jobcenterindblik": [3, 3, 2],
            "DEA-score": ["0,57", "0,46", "0,31"],
            "Fuldtidspersoner pr. 100": ["7,0", "6,4", "9,8"],
            "Varighed (mdr.)": ["17,7", "21,6", "19,5"],
            "I job efter 3 mdr.": ["84 pct.", "58 pct.", "60 pct."],
        },
        index=pd.Index(["Nyborg", "Kerteminde", "Skanderborg"], name="Kommune"),
    )


def test_report_table_never_hyphenates(tmp_path):
    """A wide table: cells wrap between words, never inside one (extracted text keeps the words)."""
    t = ReportTable(_yardsticks(), caption="Nyborg og sammenligningskommunerne på målestokkene")
    text = _typst_text("= Kapitel\n" + t.to_typst(), tmp_path, report=True)
    assert "\xad" not in text  # Typst's hyphenation point, as extracted
    words = set(text.split())
    for word in (
        "Kerteminde",
        "Skanderborg",
        "Jobcenterindblik",
        "DEA-score",
        "Fuldtidspersoner",
        "(benchmark)",
    ):
        assert word in words, word


def test_too_wide_table_breaks_only_at_hyphens_in_words(tmp_path):
    """Eight columns of very long headers: set smaller, and a word breaks only at its own hyphen."""
    t = ReportTable(_wide_frame(), caption="Syv lange overskrifter")
    text = _typst_text("= Kapitel\n" + t.to_typst(), tmp_path, report=True)
    assert "\xad" not in text
    words = set(text.split())
    for word in (
        "Kerteminde",
        "Skanderborg",
        "Jobcenterindblik",
        "Effektivitetsanalysen",
        "(simultant)",
        "intervallet",
    ):
        assert word in words, word
    assert "Ikast-Brande" in words or {"Ikast-", "Brande"} <= words


def test_long_table_breaks_across_pages_with_its_header(tmp_path):
    import typst
    from pypdf import PdfReader

    t = ReportTable(_wide_frame(120)[LONG_HEADERS[:3]], caption="En lang tabel", note="En note.")
    shutil.copyfile(TEMPLATES_DIR / "typst" / "report.typ", tmp_path / "report.typ")
    main = '#import "report.typ": *\n#show: report.with(title: "T", toc: false)\n= Kapitel\n' + t.to_typst()
    (tmp_path / "main.typ").write_text(main)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(typst.compile(str(tmp_path / "main.typ")))).pages]
    body = pages[1:]  # after the cover
    assert len(body) >= 3
    for page in body:
        assert "Jobcenterindblik" in page  # the header row on every page
    assert sum("En lang tabel" in p for p in body) == 1  # the caption once, with the first rows
    assert "Tabel 1.1 En lang tabel" in " ".join(body[0].split()).replace("\xa0", " ")
    assert "Anm.:" in body[-1]


def _table_pages(n: int, tmp_path) -> list[str]:
    """The body pages' text of a report holding one table of ``n`` numbered rows with a note."""
    import typst
    from pypdf import PdfReader

    frame = pd.DataFrame(
        {"Værdi": range(n)}, index=pd.Index([f"Række{i:03d}" for i in range(n)], name="Oplysning")
    )
    t = ReportTable(frame, caption="Lang tabel", note="Noten under tabellen.")
    shutil.copyfile(TEMPLATES_DIR / "typst" / "report.typ", tmp_path / "report.typ")
    main = '#import "report.typ": *\n#show: report.with(title: "T", toc: false)\n= Kapitel\n' + t.to_typst()
    (tmp_path / "main.typ").write_text(main)
    return [p.extract_text() for p in PdfReader(io.BytesIO(typst.compile(str(tmp_path / "main.typ")))).pages][
        1:
    ]


def test_long_table_never_leaves_its_note_alone(tmp_path):
    """Rows that exactly fill the pages: the "Anm.:" goes over with the last rows, not alone.

    The number of rows that fill two pages is found from a longer table; around it (±2 rows)
    the page with the note must also hold at least two of the table's rows, in order.
    """
    pages = _table_pages(200, tmp_path)
    per_page = [len(re.findall(r"Række\d{3}", page)) for page in pages]
    filled = per_page[0] + per_page[1]
    for n in range(filled - 2, filled + 3):
        pages = _table_pages(n, tmp_path)
        with_note = [page for page in pages if "Noten under tabellen." in page]
        assert len(with_note) == 1, n
        rows = re.findall(r"Række(\d{3})", with_note[0])
        assert len(rows) >= 2, (n, rows)
        assert rows[-1] == f"{n - 1:03d}", (n, rows)
        assert sum(len(re.findall(r"Række\d{3}", page)) for page in pages) == n  # each row once


def test_short_table_is_kept_whole(tmp_path):
    """A table shorter than three quarters of a page moves to the next page rather than breaking."""
    filler = "#lorem(520)\n"
    t = ReportTable(_wide_frame(25)[LONG_HEADERS[:2]], caption="Hel tabel", note="Noten.")
    text = _typst_text("= Kapitel\n" + filler + t.to_typst(), tmp_path, report=True)
    pages = text.split("Side ")
    holding = [p for p in pages if "Hel tabel" in p]
    assert len(holding) == 1
    assert "Noten." in holding[0]


def test_table_sections_are_row_headings(tmp_path):
    t = ReportTable.from_sections(
        {
            "Kørsel": pd.DataFrame({"Værdi": ["ja", "nej"]}, index=pd.Index(["a", "b"], name="Oplysning")),
            "Parametre": pd.DataFrame({"Værdi": ["7"]}, index=pd.Index(["n_peers"], name="Oplysning")),
        },
        caption="Kørselsoplysninger",
    )
    assert t.groups == {0: "Kørsel", 2: "Parametre"}
    assert len(t.rows) == 3
    html = t.to_html()
    assert '<tr class="kb-group"><th colspan="2" scope="colgroup">Parametre</th></tr>' in html
    assert _table_rows(html)[1] == ["Kørsel"]
    assert "kb-group[Parametre]," in t.to_typst()
    text = " ".join(_typst_text("= K\n" + t.to_typst(), tmp_path, report=True).split())
    assert "Kørsel a ja b nej Parametre n_peers 7" in text
    with pytest.raises(ValueError, match="same columns"):
        ReportTable.from_sections({"a": pd.DataFrame({"x": [1]}), "b": pd.DataFrame({"y": [1]})}, caption="c")
