"""Danish number formats and report display objects (tables and figures).

Numbers follow Danish typographic practice: ``.`` separates thousands, ``,`` marks decimals,
negative numbers carry a true minus sign (U+2212), and percentages are written "12,3 pct."
Rounding is half away from zero on the decimal representation (``0,45 → 0,5``), as in
published statistics, not the banker's rounding of :func:`format`.

:class:`ReportTable` and :class:`ReportFigure` are display objects. Their
``_repr_mimebundle_`` returns ``text/html`` (for the HTML report and for Jupyter) and
``text/x-typst`` (for the PDF report), so a numbered table or figure with its caption and
"Anm.:"/"Kilde:" lines renders natively in both routes.

Examples
--------
>>> num(1234.5, decimals=1)
'1.234,5'
>>> pct(12.345)
'12,3 pct.'
>>> pp(-0.42)
'−0,4 pct.-point'
>>> persons(1234.4)
'1.234'
>>> rank_interval(3, 7)
'3–7'
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import math
import numbers
import re
from collections.abc import Callable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import numpy as np
import pandas as pd

from analysis.report.markup import md2typst, typst_escape, typst_string

MINUS = "\u2212"
EN_DASH = "\u2013"
MISSING = EN_DASH
MONTHS_DA = (
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
)

__all__ = [
    "MINUS",
    "ReportBox",
    "ReportFigure",
    "ReportTable",
    "date_da",
    "num",
    "persons",
    "pct",
    "pp",
    "rank_interval",
    "share",
    "typst_escape",
    "typst_string",
]


# --------------------------------------------------------------------------- numbers
def _is_missing(x: Any) -> bool:
    if x is None or x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(isinstance(x, numbers.Real) and math.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def num(x: float | int | None, decimals: int = 0, *, sign: bool = False) -> str:
    """Format a number the Danish way: ``num(1234.5, decimals=1) -> "1.234,5"``.

    Parameters
    ----------
    x
        The number. ``None``/NaN gives an en dash ("–").
    decimals
        Digits after the decimal comma (≥ 0).
    sign
        Show "+" before positive numbers (for differences). Zero never gets a sign.

    Notes
    -----
    Rounding is half away from zero on the shortest decimal representation of ``x`` (so
    ``num(0.45, 1) == "0,5"`` and ``num(2.5) == "3"``). A value that rounds to zero is shown
    without a minus sign.
    """
    if not isinstance(decimals, int) or isinstance(decimals, bool) or decimals < 0:
        raise ValueError(f"decimals must be a non-negative integer, got {decimals!r}")
    if _is_missing(x):
        return MISSING
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"num() expects a real number, got {type(x).__name__} {x!r}")
    if math.isinf(float(x)):
        return (MINUS if x < 0 else "") + "∞"
    d = Decimal(repr(float(x)) if not isinstance(x, numbers.Integral) else int(x))
    q = d.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    negative = q < 0
    body = f"{abs(q):,.{decimals}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    if q == 0:
        return body
    if negative:
        return MINUS + body
    return ("+" + body) if sign else body


def pct(x: float | None, decimals: int = 1, *, sign: bool = False) -> str:
    """A value already in per cent: ``pct(12.345) -> "12,3 pct."``."""
    return MISSING if _is_missing(x) else f"{num(x, decimals, sign=sign)} pct."


def share(x: float | None, decimals: int = 1, *, sign: bool = False) -> str:
    """A share on the 0–1 scale, shown in per cent: ``share(0.123) -> "12,3 pct."``."""
    return MISSING if _is_missing(x) else pct(100 * float(x), decimals, sign=sign)


def pp(x: float | None, decimals: int = 1, *, sign: bool = False) -> str:
    """Percentage points: ``pp(0.42) -> "0,4 pct.-point"``, ``pp(-0.42) -> "−0,4 pct.-point"``."""
    return MISSING if _is_missing(x) else f"{num(x, decimals, sign=sign)} pct.-point"


def persons(x: float | None, *, sign: bool = False) -> str:
    """Full-time persons as a whole number: ``persons(1234.4) -> "1.234"``."""
    return num(x, 0, sign=sign)


def rank_interval(lower: int, upper: int) -> str:
    """A rank confidence set: ``rank_interval(3, 7) -> "3–7"``; equal bounds give ``"3"``."""
    for name, v in (("lower", lower), ("upper", upper)):
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
            raise ValueError(f"rank_interval: {name} must be a positive integer rank, got {v!r}")
    if lower > upper:
        raise ValueError(f"rank_interval: lower ({lower}) must not exceed upper ({upper})")
    return str(int(lower)) if lower == upper else f"{int(lower)}{EN_DASH}{int(upper)}"


def date_da(d: _dt.date | str | None = None) -> str:
    """A date in Danish long form: ``date_da(date(2026, 11, 23)) -> "23. november 2026"``."""
    if d is None:
        d = _dt.date.today()
    if isinstance(d, str):
        d = _dt.date.fromisoformat(d[:10])
    return f"{d.day}. {MONTHS_DA[d.month - 1]} {d.year}"


# --------------------------------------------------------------------------- display objects
# A formatted number as the tables show it: "1.234,5", "−0,8", "+12", "12,3 pct.", "0,4 pct.-point",
# a rank interval "3–7", a number with its interval "10 (4–45)", or the missing-value dash.
_NUM = r"[+\-−]?\d[\d.]*(?:,\d+)?"
_NUMERIC_CELL = re.compile(
    rf"^(?:{_NUM}(?:\s*[–-]\s*{_NUM})?(?:\s*(?:pct\.(?:-point)?|%|s))?"
    rf"(?:\s*\({_NUM}(?:\s*[–-]\s*{_NUM})?\))?|[–-])$"
)


def looks_numeric(text: str) -> bool:
    """Whether a formatted table cell is a number (and belongs right-aligned).

    >>> [looks_numeric(t) for t in ("1.234,5", "−0,8", "12,3 pct.", "3–7", "10 (4–45)", "Ærø")]
    [True, True, True, True, True, False]
    """
    return bool(_NUMERIC_CELL.match(str(text).strip()))


def _strip_prefix(text: str | None, prefix: str) -> str | None:
    if text is None:
        return None
    t = str(text).strip()
    if t.lower().startswith(prefix.lower()):
        t = t[len(prefix) :].strip()
    return t or None


def _notes_html(note: str | None, source: str | None) -> str:
    parts = []
    if note:
        parts.append(f'<p class="kb-note"><span>Anm.:</span> {html.escape(note)}</p>')
    if source:
        parts.append(f'<p class="kb-source"><span>Kilde:</span> {html.escape(source)}</p>')
    return f'<div class="kb-notes">{"".join(parts)}</div>' if parts else ""


def _notes_typst(note: str | None, source: str | None) -> str:
    args = []
    if note:
        args.append(f"note: [{typst_escape(note)}]")
    if source:
        args.append(f"source: [{typst_escape(source)}]")
    return ", ".join(args)


def _check_label(label: str | None) -> str | None:
    if label is None:
        return None
    if not label or not all(ch.isalnum() or ch in "-_:." for ch in label):
        raise ValueError(f"label must be letters, digits, '-', '_', ':' or '.', got {label!r}")
    return label


def _default_formatter(decimals: int) -> Callable[[Any], str]:
    def fmt(v: Any) -> str:
        if _is_missing(v):
            return MISSING
        if isinstance(v, bool | np.bool_):
            return "ja" if v else "nej"
        if isinstance(v, numbers.Integral):
            return num(int(v), 0)
        if isinstance(v, numbers.Real):
            return num(float(v), decimals)
        return str(v)

    return fmt


class ReportTable:
    """A numbered report table with caption, "Anm.:" and "Kilde:" lines.

    Parameters
    ----------
    df
        The data. Cells are formatted with ``formats`` (column → callable returning the cell
        text) or, by default, Danish numbers (integers whole, floats with ``decimals``).
    caption
        Caption text after the automatic "Tabel 3.1" label.
    note, source
        The "Anm.:" and "Kilde:" lines (a leading "Anm.:"/"Kilde:" is accepted and dropped).
    label
        Optional cross-reference label (``tbl-...``).
    index
        Show the index as the first column(s).
    decimals
        Default decimals for float columns.

    Notes
    -----
    Numeric columns — numeric dtype, or text that is all formatted numbers ("12,3 pct.",
    "3–7", "10 (4–45)"; see :func:`looks_numeric`) — are right-aligned, with tabular figures.
    In the PDF, columns are sized to their content and nothing is hyphenated; a long table
    breaks across pages with its header row repeated. :meth:`from_sections` makes a table
    with row headings ("Parametre", "Inddata", ...).

    Examples
    --------
    >>> t = ReportTable(pd.DataFrame({"Antal": [1234.4]}, index=["Nyborg"]), caption="Et eksempel")
    >>> "1.234,4" in t.to_html()
    True
    """

    def __init__(
        self,
        df: pd.DataFrame,
        *,
        caption: str,
        note: str | None = None,
        source: str | None = None,
        label: str | None = None,
        formats: Mapping[Any, Callable[[Any], str]] | None = None,
        index: bool = True,
        decimals: int = 1,
    ) -> None:
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"ReportTable: df must be a pandas DataFrame, got {type(df).__name__}")
        if not caption or not str(caption).strip():
            raise ValueError("ReportTable: caption must be a non-empty string")
        formats = dict(formats or {})
        unknown = [k for k in formats if k not in df.columns]
        if unknown:
            raise KeyError(
                f"ReportTable: formats given for unknown columns {unknown}; columns are {list(df.columns)}"
            )
        default = _default_formatter(decimals)
        self.caption = str(caption).strip()
        self.note = _strip_prefix(note, "Anm.:")
        self.source = _strip_prefix(source, "Kilde:")
        self.label = _check_label(label)
        idx_names = [("" if n is None else str(n)) for n in df.index.names] if index else []
        self.header: tuple[str, ...] = tuple(idx_names) + tuple(
            " ".join(map(str, c)) if isinstance(c, tuple) else str(c) for c in df.columns
        )
        rows = []
        for key, rec in zip(df.index, df.itertuples(index=False, name=None), strict=True):
            keys = (key if isinstance(key, tuple) else (key,)) if index else ()
            cells = [str(k) for k in keys]
            for col, v in zip(df.columns, rec, strict=True):
                cells.append(str(formats[col](v)) if col in formats else default(v))
            rows.append(tuple(cells))
        self.rows: tuple[tuple[str, ...], ...] = tuple(rows)
        k = len(idx_names)
        numeric = []
        for j, c in enumerate(df.columns):
            if pd.api.types.is_bool_dtype(df[c]):
                numeric.append(False)
            elif pd.api.types.is_numeric_dtype(df[c]):
                numeric.append(True)
            else:
                texts = [r[k + j] for r in rows if r[k + j].strip() not in ("", MISSING, "-")]
                numeric.append(bool(texts) and all(looks_numeric(t) for t in texts))
        self.numeric: tuple[bool, ...] = (False,) * k + tuple(numeric)
        # row headings: position in ``rows`` -> heading shown before that row
        self.groups: dict[int, str] = {}

    @classmethod
    def from_sections(
        cls, sections: Mapping[str, pd.DataFrame], *, caption: str, **kwargs: Any
    ) -> ReportTable:
        """One table from several frames with the same columns, each under a row heading.

        Examples
        --------
        >>> t = ReportTable.from_sections(
        ...     {"Kørsel": pd.DataFrame({"Værdi": ["ja"]}, index=["Syntetiske data"]),
        ...      "Parametre": pd.DataFrame({"Værdi": ["7"]}, index=["n_peers"])},
        ...     caption="Kørselsoplysninger")
        >>> t.groups
        {0: 'Kørsel', 1: 'Parametre'}
        """
        frames = list(sections.values())
        if not frames:
            raise ValueError("ReportTable.from_sections: no sections")
        columns = list(frames[0].columns)
        if any(list(f.columns) != columns for f in frames):
            raise ValueError("ReportTable.from_sections: every section must have the same columns")
        table = cls(pd.concat(frames), caption=caption, **kwargs)
        pos = 0
        for title, frame in sections.items():
            if len(frame):
                table.groups[pos] = str(title)
            pos += len(frame)
        return table

    # ---- renderers
    def to_html(self) -> str:
        """The table as an HTML ``<figure>`` (caption above, notes below)."""
        ident = f' id="{self.label}"' if self.label else ""
        th = "".join(
            f'<th class="{"num" if n else "txt"}">{html.escape(h)}</th>'
            for h, n in zip(self.header, self.numeric, strict=True)
        )
        body = "".join(
            (
                f'<tr class="kb-group"><th colspan="{len(self.header)}" scope="colgroup">'
                f"{html.escape(self.groups[i])}</th></tr>"
                if i in self.groups
                else ""
            )
            + "<tr>"
            + "".join(
                f'<td class="{"num" if n else "txt"}">{html.escape(c)}</td>'
                for c, n in zip(r, self.numeric, strict=True)
            )
            + "</tr>"
            for i, r in enumerate(self.rows)
        )
        return (
            f'<figure class="kb-table"{ident}><figcaption><span class="kb-num" data-kind="table">Tabel</span> '
            f"{html.escape(self.caption)}</figcaption>"
            f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"
            f"{_notes_html(self.note, self.source)}</figure>"
        )

    def to_typst(self) -> str:
        """The table as Typst: ``#kb-figure(kind: table, ...)`` around ``kb-table`` (``report.typ``).

        The notes go to ``kb-table``, which keeps them with the table's last rows.
        """
        align = ", ".join("right" if n else "left" for n in self.numeric)
        head = ", ".join(f"[{typst_escape(h)}]" for h in self.header)
        lines = []
        for i, r in enumerate(self.rows):
            if i in self.groups:
                lines.append(f"kb-group[{typst_escape(self.groups[i])}],")
            lines.append("(" + ", ".join(f"[{typst_escape(c)}]" for c in r) + ",),")
        body = "".join(f"\n   {line}" for line in lines)
        notes = _notes_typst(self.note, self.source)
        label = f" <{self.label}>" if self.label else ""
        return (
            f"#kb-figure(kind: table, caption: [{typst_escape(self.caption)}],\n"
            f" kb-table(align: ({align},),\n  header: ({head},),\n  rows: ({body}\n  ),"
            f"{' ' + notes + ',' if notes else ''}\n))"
            f"{label}\n"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self.to_html(), "text/x-typst": self.to_typst(), "text/plain": repr(self)}

    def __repr__(self) -> str:
        return f"ReportTable({self.caption!r}, {len(self.rows)} rows × {len(self.header)} columns)"


class ReportFigure:
    """A numbered report figure with caption, "Anm.:" and "Kilde:" lines.

    The matplotlib figure is rendered once to SVG (vector, glyphs as paths, so æøå print
    without font dependencies) and closed, so the notebook does not show it a second time.

    Parameters
    ----------
    fig
        A :class:`matplotlib.figure.Figure`.
    caption, note, source, label
        As for :class:`ReportTable`.
    width
        Width in the PDF as a fraction of the text width (0–1].
    """

    def __init__(
        self,
        fig: Any,
        *,
        caption: str,
        note: str | None = None,
        source: str | None = None,
        label: str | None = None,
        width: float = 1.0,
    ) -> None:
        from matplotlib.figure import Figure

        if not isinstance(fig, Figure):
            raise TypeError(f"ReportFigure: fig must be a matplotlib Figure, got {type(fig).__name__}")
        if not caption or not str(caption).strip():
            raise ValueError("ReportFigure: caption must be a non-empty string")
        if not 0 < width <= 1:
            raise ValueError(f"ReportFigure: width must be in (0, 1], got {width!r}")
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
        self.svg = buf.getvalue().decode("utf-8")
        self.caption = str(caption).strip()
        self.note = _strip_prefix(note, "Anm.:")
        self.source = _strip_prefix(source, "Kilde:")
        self.label = _check_label(label)
        self.width = float(width)
        import matplotlib.pyplot as plt

        plt.close(fig)

    def to_html(self) -> str:
        ident = f' id="{self.label}"' if self.label else ""
        b64 = base64.b64encode(self.svg.encode("utf-8")).decode("ascii")
        return (
            f'<figure class="kb-figure"{ident}><figcaption><span class="kb-num" data-kind="figure">Figur</span> '
            f"{html.escape(self.caption)}</figcaption>"
            f'<img src="data:image/svg+xml;base64,{b64}" alt="{html.escape(self.caption, quote=True)}">'
            f"{_notes_html(self.note, self.source)}</figure>"
        )

    def to_typst(self) -> str:
        notes = _notes_typst(self.note, self.source)
        label = f" <{self.label}>" if self.label else ""
        w = f"{round(100 * self.width, 1)}%"
        return (
            f"#kb-figure(kind: image, caption: [{typst_escape(self.caption)}]{', ' + notes if notes else ''},\n"
            f' image(bytes({typst_string(self.svg)}), format: "svg", width: {w}))'
            f"{label}\n"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self.to_html(), "text/x-typst": self.to_typst(), "text/plain": repr(self)}

    def __repr__(self) -> str:
        return f"ReportFigure({self.caption!r})"


class ReportBox:
    """A numbered method box ("Boks 2.1") with a title and a markdown body.

    Parameters
    ----------
    title
        Box title after the automatic "Boks 2.1" label.
    body
        Markdown text (headings are not allowed inside a box).
    label
        Optional cross-reference label (``box-...``).

    Examples
    --------
    >>> b = ReportBox("Forventet antal", "Modellen *forventer* et antal ud fra rammevilkår.")
    >>> "<em>forventer</em>" in b.to_html()
    True
    """

    def __init__(self, title: str, body: str, *, label: str | None = None) -> None:
        if not title or not str(title).strip():
            raise ValueError("ReportBox: title must be a non-empty string")
        if any(line.lstrip().startswith("#") for line in str(body).splitlines()):
            raise ValueError("ReportBox: body must not contain markdown headings")
        self.title = str(title).strip()
        self.body = str(body)
        self.label = _check_label(label)

    def to_html(self) -> str:
        import mistune

        ident = f' id="{self.label}"' if self.label else ""
        body = mistune.html(self.body)
        return (
            f'<figure class="kb-box"{ident}><figcaption><span class="kb-num" data-kind="box">Boks</span> '
            f'{html.escape(self.title)}</figcaption><div class="kb-box-body">{body}</div></figure>'
        )

    def to_typst(self) -> str:
        label = f" <{self.label}>" if self.label else ""
        return f"#kb-box(title: [{typst_escape(self.title)}])[\n{md2typst(self.body)}]{label}\n"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self.to_html(), "text/x-typst": self.to_typst(), "text/plain": repr(self)}

    def __repr__(self) -> str:
        return f"ReportBox({self.title!r})"
