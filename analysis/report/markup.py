"""Markdown and HTML tables to Typst markup, and Quarto-style cell options.

The converter walks mistune's abstract syntax tree (mistune 3 ships with nbconvert), so no
pandoc is needed. It covers what report notebooks use: headings, paragraphs, emphasis, strong, strike,
inline code, code blocks, links, bullet and numbered lists, block quotes, rules, pipe tables
and HTML tables (pandas ``DataFrame.to_html`` output, via BeautifulSoup). Cross-references
written ``@fig-x``/``@tbl-x``/``@sec-x`` are passed through. TeX math is not converted (it is
printed literally).

Headings and the report's parts
-------------------------------
A report notebook stays clean to read in Jupyter: the chapters named in
:data:`UNNUMBERED_HEADINGS` ("Forord", "Litteratur", ...) are recognised by name and left
unnumbered, and the Bilag starts at the markdown cell tagged ``appendix`` (cell metadata
``"tags": ["appendix"]``; see :func:`mark_headings`). The older attribute syntax written in
the heading — ``# Forord {.unnumbered}``, ``{-}``, ``{.appendix}``, ``{#sec-label}`` — works
as well.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = [
    "APPENDIX_TAG",
    "UNNUMBERED_HEADINGS",
    "Heading",
    "html2typst",
    "mark_headings",
    "md2typst",
    "parse_cell_options",
    "parse_heading",
]

# Chapters that are never numbered, recognised by their name (a level-1 heading).
UNNUMBERED_HEADINGS = ("Forord", "Indhold", "Litteratur", "Referencer", "Litteraturliste")
# The tag of the markdown cell where the Bilag (appendix) starts.
APPENDIX_TAG = "appendix"

_REF = re.compile(r"@((?:fig|tbl|sec)-[A-Za-z0-9_\-]*[A-Za-z0-9])")
_ATTRS = re.compile(r"\s*\{([^{}]*)\}\s*$")
_NUMERIC = re.compile(r"^[\s+\-−]?[\d.,\s]+(?:\s*(?:pct\.(?:-point)?|%))?$")
_OPTION = re.compile(r"^\s*#\|\s?(.*)$")


# --------------------------------------------------------------------------- cell options
_TYPST_SPECIAL = set("\\#$*_`<>@[]~/'\"")
_LITERAL = {"-": "\\u{2d}", "+": "\\u{2b}", "=": "\\u{3d}", ".": "\\u{2e}"}


def typst_escape(text: str) -> str:
    """Escape ``text`` for Typst markup (content in ``[...]``), so it prints literally.

    Markup characters get a backslash. A hyphen is left alone inside words ("pct.-point")
    but written as a Unicode escape where Typst would read syntax: ``--``/``---`` (dashes),
    ``-?`` (soft hyphen), and list/heading markers (``-``, ``+``, ``=``, ``1.``) at the start.
    """
    s = str(text)
    out = []
    for i, ch in enumerate(s):
        nxt = s[i + 1] if i + 1 < len(s) else ""
        if ch in _TYPST_SPECIAL:
            out.append("\\" + ch)
        elif ch == "-" and (i == 0 or nxt in "-?" or (i > 0 and s[i - 1] == "-")):
            out.append(_LITERAL["-"])
        elif ch in "+=" and i == 0:
            out.append(_LITERAL[ch])
        elif ch == "." and nxt in (" ", "") and s[:i].isdigit():
            out.append(_LITERAL["."])
        else:
            out.append(ch)
    return "".join(out)


def typst_string(text: str) -> str:
    """``text`` as a Typst string literal (with quotes)."""
    s = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "")
    return f'"{s}"'


def parse_cell_options(source: str) -> tuple[dict[str, Any], str]:
    """Split Quarto-style ``#| key: value`` lines from the top of a code cell.

    Returns the options (parsed as YAML) and the remaining source. Raises ``ValueError``
    naming the offending lines if they are not valid YAML key/value pairs.
    """
    lines = source.splitlines()
    opts: list[str] = []
    i = 0
    while i < len(lines):
        m = _OPTION.match(lines[i])
        if not m:
            break
        opts.append(m.group(1))
        i += 1
    if not opts:
        return {}, source
    try:
        parsed = yaml.safe_load("\n".join(opts))
    except yaml.YAMLError as exc:
        raise ValueError(f"invalid '#|' cell options {opts!r}: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ValueError(f"'#|' cell options must be 'key: value' lines, got {opts!r}")
    return {str(k): v for k, v in parsed.items()}, "\n".join(lines[i:])


# --------------------------------------------------------------------------- headings
@dataclass(frozen=True)
class Heading:
    """A markdown heading's text and its ``{...}`` attributes."""

    text: str
    numbered: bool = True
    appendix: bool = False
    label: str | None = None


def parse_heading(text: str, level: int | None = None) -> Heading:
    """Split ``"Forord {.unnumbered #sec-forord}"`` into text and attributes.

    With ``level=1``, a chapter named in :data:`UNNUMBERED_HEADINGS` ("Forord",
    "Litteratur", ...) is unnumbered without any attribute.
    """
    m = _ATTRS.search(text)
    attrs = m.group(1).split() if m else []
    body = (text[: m.start()] if m else text).strip()
    label = next((a[1:] for a in attrs if a.startswith("#")), None)
    appendix = ".appendix" in attrs
    numbered = not ({".unnumbered", "-"} & set(attrs))
    if level == 1 and body.casefold() in {h.casefold() for h in UNNUMBERED_HEADINGS}:
        numbered = False
    return Heading(body, numbered=numbered, appendix=appendix, label=label)


_ATX = re.compile(r"^( {0,3}#{1,6})[ \t]+(.*?)[ \t#]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")


def mark_headings(source: str, *, appendix: bool = False) -> tuple[str, bool]:
    r"""Mark the first heading of a markdown cell as the start of the Bilag.

    The renderer calls this for a cell tagged ``appendix``: the cell's first heading gets the
    ``{.appendix}`` attribute (merged into any attributes it has). Returns the new source and
    whether a heading was found (if not, the next cell's first heading starts the Bilag).

    >>> mark_headings("# Modellens koefficienter\n\nTekst.", appendix=True)
    ('# Modellens koefficienter {.appendix}\n\nTekst.', True)
    """
    if not appendix:
        return source, False
    lines = source.split("\n")
    fenced = False
    for i, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
        if fenced:
            continue
        m = _ATX.match(line)
        if not m:
            continue
        text = m.group(2)
        a = _ATTRS.search(text)
        if a:
            attrs = a.group(1).split()
            if ".appendix" not in attrs:
                attrs.append(".appendix")
            text = f"{text[: a.start()].rstrip()} {{{' '.join(attrs)}}}"
        else:
            text = f"{text} {{.appendix}}"
        lines[i] = f"{m.group(1)} {text}"
        return "\n".join(lines), True
    return source, False


# --------------------------------------------------------------------------- markdown
def _text(raw: str) -> str:
    out, pos = [], 0
    for m in _REF.finditer(raw):
        out.append(typst_escape(raw[pos : m.start()]))
        out.append("@" + m.group(1))
        pos = m.end()
    out.append(typst_escape(raw[pos:]))
    return "".join(out)


def _inline(nodes: list[dict[str, Any]]) -> str:
    out = []
    for n in nodes:
        t = n["type"]
        if t == "text":
            out.append(_text(n["raw"]))
        elif t == "emphasis":
            out.append(f"#emph[{_inline(n['children'])}]")
        elif t == "strong":
            out.append(f"#strong[{_inline(n['children'])}]")
        elif t == "strikethrough":
            out.append(f"#strike[{_inline(n['children'])}]")
        elif t == "codespan":
            out.append(f"#raw({typst_string(n['raw'])})")
        elif t == "link":
            out.append(f"#link({typst_string(n['attrs']['url'])})[{_inline(n['children'])}]")
        elif t == "image":
            alt = _inline(n.get("children", []))
            out.append(f"#emph[{alt}]" if alt else "")
        elif t == "softbreak":
            out.append(" ")
        elif t == "linebreak":
            out.append(" \\\n")
        elif t in ("inline_html",):
            out.append(_text(re.sub(r"<[^>]+>", "", n["raw"])))
        elif "children" in n:
            out.append(_inline(n["children"]))
        elif "raw" in n:
            out.append(_text(n["raw"]))
    return "".join(out)


def _indent(text: str, by: str) -> str:
    return "\n".join((by + line) if line else line for line in text.splitlines())


def _table_md(node: dict[str, Any]) -> str:
    head = next((c for c in node["children"] if c["type"] == "table_head"), None)
    body = next((c for c in node["children"] if c["type"] == "table_body"), None)
    head_cells = head["children"] if head else []
    ncol = len(head_cells)
    align = ", ".join(
        {"right": "right", "center": "center"}.get(c["attrs"].get("align") or "", "left") for c in head_cells
    )
    header = [f"[{_inline(c['children'])}]" for c in head_cells]
    rows = [
        [f"[{_inline(c['children'])}]" for c in row["children"]] for row in (body["children"] if body else [])
    ]
    if ncol == 0:
        return ""
    return "#" + _kb_table(align, header, rows)


def _kb_table(align: str, header: list[str], rows: list[list[str]]) -> str:
    """``kb-table(...)`` (report.typ): sized to its content, never hyphenated, header repeated."""
    lines = [f"kb-table(align: ({align},),", "  header: (" + ", ".join(header) + ",),", "  rows: ("]
    lines += ["    (" + ", ".join(r) + ",)," for r in rows]
    lines.append("  ),")
    lines.append(")")
    return "\n".join(lines)


def _blocks(nodes: list[dict[str, Any]], *, in_list: bool = False) -> list[str]:
    out: list[str] = []
    for n in nodes:
        t = n["type"]
        if t == "blank_line":
            continue
        if t == "heading":
            level = int(n["attrs"]["level"])
            h = parse_heading(_plain(n["children"]), level)
            body = _text(h.text)
            label = f" <{h.label}>" if h.label else ""
            prefix = "#show: kb-appendix\n" if h.appendix else ""
            if not h.numbered:
                out.append(f"{prefix}#heading(level: {level}, numbering: none)[{body}]{label}")
            else:
                out.append(f"{prefix}{'=' * level} {body}{label}")
        elif t in ("paragraph", "block_text"):
            out.append(_inline(n["children"]))
        elif t == "list":
            marker = "+" if n["attrs"].get("ordered") else "-"
            items = []
            for item in n["children"]:
                inner = "\n".join(_blocks(item["children"], in_list=True))
                first, _, rest = inner.partition("\n")
                items.append(f"{marker} {first}" + (("\n" + _indent(rest, "  ")) if rest else ""))
            out.append("\n".join(items))
        elif t == "block_code":
            lang = (n.get("attrs") or {}).get("info") or ""
            lang_arg = f", lang: {typst_string(lang.split()[0])}" if lang else ""
            out.append(f"#raw({typst_string(n['raw'].rstrip(chr(10)))}, block: true{lang_arg})")
        elif t == "block_quote":
            out.append("#quote(block: true)[\n" + "\n\n".join(_blocks(n["children"])) + "\n]")
        elif t == "thematic_break":
            out.append("#line(length: 100%, stroke: 0.5pt + luma(180))")
        elif t == "table":
            out.append(_table_md(n))
        elif t == "block_html":
            out.append(html2typst(n["raw"]))
        elif "children" in n:
            out.extend(_blocks(n["children"], in_list=in_list))
    return out


def _plain(nodes: list[dict[str, Any]]) -> str:
    return "".join(n.get("raw", "") if "children" not in n else _plain(n["children"]) for n in nodes)


_MD = None


_STICKY_INTRO = 600  # characters: a shorter paragraph ending a cell right after a heading


def md2typst(source: str) -> str:
    """Convert markdown (a notebook's markdown cell or a ``text/markdown`` output) to Typst.

    A cell that ends with a heading and one short paragraph — a chapter's introduction to
    the figure or table that follows — keeps that paragraph with what follows (a sticky
    block), so the heading and its introduction never stand alone at the foot of a page.
    """
    global _MD
    if _MD is None:
        import mistune

        _MD = mistune.create_markdown(renderer=None, plugins=["table", "strikethrough"])
    nodes = [n for n in _MD(source) if n["type"] != "blank_line"]
    blocks = _blocks(nodes)
    if (
        len(nodes) >= 2
        and len(blocks) == len(nodes)
        and nodes[-2]["type"] == "heading"
        and nodes[-1]["type"] == "paragraph"
        and len(_plain(nodes[-1]["children"])) <= _STICKY_INTRO
    ):
        blocks[-1] = f"#block(sticky: true)[{blocks[-1]}]"
    return "\n\n".join(b for b in blocks if b.strip()) + "\n"


# --------------------------------------------------------------------------- HTML tables
def html2typst(source: str) -> str:
    """Convert HTML to Typst: tables become ``table(...)``, other markup plain text.

    Handles pandas ``DataFrame.to_html``/``Styler.to_html`` output including ``colspan`` and
    ``rowspan`` (MultiIndex). Columns whose body cells all look numeric are right-aligned.
    """
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(source, "html.parser")
    tables = soup.find_all("table")
    if not tables:
        text = soup.get_text(" ", strip=True)
        return _text(text) if text else ""
    out = []
    for table in tables:
        caption = table.find("caption")
        rows = table.find_all("tr")
        head_rows = table.find("thead").find_all("tr") if table.find("thead") else []
        grid_rows: list[list[tuple[str, int, int]]] = []
        ncol = 0
        for tr in rows:
            cells = []
            for cell in tr.find_all(["th", "td"], recursive=False):
                cs, rs = int(cell.get("colspan", 1) or 1), int(cell.get("rowspan", 1) or 1)
                cells.append((cell.get_text(" ", strip=True), cs, rs))
            grid_rows.append(cells)
        # column count: widest row accounting for rowspans from above
        carry = [0] * 256
        for cells in grid_rows:
            width = sum(cs for _, cs, _ in cells) + sum(1 for c in carry if c > 0)
            ncol = max(ncol, width)
            carry = [max(c - 1, 0) for c in carry]
            col = 0
            for _, cs, rs in cells:
                while col < len(carry) and carry[col] > 0:
                    col += 1
                for k in range(cs):
                    if col + k < len(carry) and rs > 1:
                        carry[col + k] = rs - 1
                col += cs
        body_rows = [r for tr, r in zip(rows, grid_rows, strict=True) if tr not in head_rows]
        numeric = [True] * ncol
        seen = [False] * ncol
        for cells in body_rows:
            if sum(cs for _, cs, _ in cells) != ncol:
                continue
            col = 0
            for text, cs, _ in cells:
                if cs == 1 and text:
                    seen[col] = True
                    numeric[col] = numeric[col] and bool(_NUMERIC.match(text))
                col += cs
        align = ", ".join("right" if (n and s) else "left" for n, s in zip(numeric, seen, strict=True))

        def cell_markup(text: str, cs: int, rs: int) -> str:
            body = f"[{_text(text)}]"
            if cs == 1 and rs == 1:
                return body
            args = (f"colspan: {cs}, " if cs > 1 else "") + (f"rowspan: {rs}, " if rs > 1 else "")
            return f"table.cell({args.rstrip(', ')})[{_text(text)}]"

        head = [c for tr, r in zip(rows, grid_rows, strict=True) if tr in head_rows for c in r]
        spans = any(cs > 1 or rs > 1 for r in grid_rows for _, cs, rs in r)
        if len(head_rows) == 1 and not spans and all(len(r) == ncol for r in grid_rows):
            # the plain case: a table sized to its content (kb-table in report.typ)
            tbl = "#" + _kb_table(
                align, [cell_markup(*c) for c in head], [[cell_markup(*c) for c in r] for r in body_rows]
            )
        else:
            # merged cells or several header rows: Typst's own column sizing
            lines = [f"#table(columns: {ncol}, align: ({align},),"]
            if head_rows:
                lines.append("  table.header(" + ", ".join(cell_markup(*c) for c in head) + "),")
            for cells in body_rows:
                lines.append("  " + ", ".join(cell_markup(*c) for c in cells) + ",")
            lines.append("  table.hline(stroke: 0.8pt),")
            lines.append(")")
            tbl = "\n".join(lines)
        if caption is not None:
            tbl = f"#figure(kind: table, caption: [{_text(caption.get_text(' ', strip=True))}], {tbl[1:]})"
        out.append(tbl)
    return "\n\n".join(out)
