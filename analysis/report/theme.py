"""One figure theme for every report figure.

A restrained look: a single accent colour for the case municipality, grey for the other
municipalities (a darker grey for those a figure names), a diverging palette only for the map, a
light grid, sans-serif text (DejaVu Sans, which covers æøå), no top/right
spines. In a notebook, :func:`apply_theme` also switches inline output to SVG (vector, for
print) plus PNG (fallback).

Examples
--------
>>> from analysis.report.theme import ACCENT, GREY, source_line
>>> source_line(synthetic=True)
'Kilde: Syntetiske data (Syntetisk Danmark), ikke virkelige tal.'
"""

from __future__ import annotations

from typing import Any

ACCENT = "#C8102E"
"""The case municipality (one accent colour only)."""
GREY = "#A3A9B0"
"""All other municipalities."""
MID = "#5F6B77"
"""Municipalities named in a figure other than the case (a darker grey, not a colour)."""
DARK = "#1F2A36"
"""Text, axes and reference lines."""
BLUE = "#2E5C8A"
"""Secondary series (e.g. 'expected') and headings."""
LIGHT = "#E6E9ED"
"""Grid lines and bands."""
PALETTE = (BLUE, ACCENT, "#7A9CC6", "#E0A03A", "#5B8C5A", "#8E6C8A", GREY)
"""Qualitative palette for the rare figure with several series."""
SEQUENTIAL = "Blues"
DIVERGING = "RdBu_r"
FONT = "DejaVu Sans"
FIGSIZE = (6.3, 3.6)
"""Inches; 6.3 in ≈ 16 cm, the text width of the A4 report."""
LABEL_SIZE = 7.5
"""Points: names and values written beside the data (the smallest text of any figure)."""
MIN_FONT_SIZE = 7.0
"""Points: no figure text is smaller (A4 print at 100 %)."""

SYNTHETIC_SOURCE = "Syntetiske data (Syntetisk Danmark), ikke virkelige tal"
REAL_SOURCE = "Danmarks Statistik (Statistikbanken) og egne beregninger"


def rc_params() -> dict[str, Any]:
    """The matplotlib rcParams of the theme (usable with ``matplotlib.rc_context``)."""
    from cycler import cycler

    return {
        "font.family": "sans-serif",
        "font.sans-serif": [FONT, "Arial", "Helvetica"],
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "axes.labelsize": 9,
        "axes.labelcolor": DARK,
        "axes.edgecolor": "#8A939C",
        "axes.linewidth": 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "axes.axisbelow": True,
        "axes.prop_cycle": cycler(color=list(PALETTE)),
        "grid.color": LIGHT,
        "grid.linewidth": 0.6,
        "xtick.color": DARK,
        "ytick.color": DARK,
        "xtick.labelsize": 8,
        "ytick.labelsize": 8,
        "legend.frameon": False,
        "legend.fontsize": 8,
        "figure.figsize": FIGSIZE,
        "figure.dpi": 110,
        "savefig.dpi": 200,
        "savefig.bbox": "tight",
        "svg.fonttype": "path",
        "svg.hashsalt": "kommunebench",
        "axes.formatter.use_locale": False,
        "text.color": DARK,
    }


def apply_theme(*, inline_formats: tuple[str, ...] = ("svg", "png")) -> None:
    """Apply the report theme to matplotlib and seaborn (idempotent).

    Parameters
    ----------
    inline_formats
        Inline figure formats when running under IPython/Jupyter. SVG first gives vector
        figures in HTML and PDF; PNG is kept as a fallback.
    """
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="paper", font=FONT, rc=rc_params())
    mpl.rcParams.update(rc_params())
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats(*inline_formats)
    except ImportError:  # pragma: no cover - IPython is a dependency
        pass


def decimal_comma(ax: Any, *, axis: str = "y", decimals: int | None = None) -> None:
    """Show an axis's tick labels with Danish decimal comma and thousands dot."""
    from matplotlib.ticker import FuncFormatter

    from analysis.report.fmt import num

    if axis not in ("x", "y"):
        raise ValueError(f"axis must be one of 'x', 'y'; got {axis!r}")

    def _f(v: float, _pos: int) -> str:
        d = decimals
        if d is None:
            d = next((k for k in range(4) if abs(v * 10**k - round(v * 10**k)) < 1e-9), 3)
        return num(v, d)

    getattr(ax, f"{axis}axis").set_major_formatter(FuncFormatter(_f))


def source_line(synthetic: bool, extra: str = "") -> str:
    """The "Kilde:" line of a figure or table.

    Parameters
    ----------
    synthetic
        Whether the numbers come from the synthetic register. If so, the line says
        "Syntetiske data (Syntetisk Danmark), ikke virkelige tal" — always.
    extra
        Further source text, e.g. the StatBank table ids or "egne beregninger".
    """
    if not isinstance(synthetic, bool):
        raise TypeError(f"source_line: synthetic must be True or False, got {synthetic!r}")
    base = SYNTHETIC_SOURCE if synthetic else REAL_SOURCE
    extra = extra.strip().rstrip(".")
    text = f"{base}; {extra}" if extra else base
    return f"Kilde: {text}."
