"""Every report figure is legible: no two texts overlap, none leaves the figure, none is too small.

The figures are drawn exactly as the three notebooks draw them: each figure-producing view of
:mod:`analysis.report.views` is called on a national, a trade-off and five case reports
(København, Nyborg, Læsø, Bornholm, Ærø: the case's name lands in different corners of every
figure), on the small synthetic benchmark and on the public data. The view's
:class:`~analysis.report.fmt.ReportFigure` is replaced by one that keeps the matplotlib figure
instead of drawing it to SVG, so the test sees the figure the report would have shown.

On each figure the canvas is drawn once while every text that is actually drawn is recorded
(tick labels, axis labels, legends, names, values, colour-bar labels). Then, with the
renderer's boxes (``Text.get_window_extent``):

* no two texts overlap (by more than half a pixel at 100 dpi);
* every text lies inside the figure (it would otherwise be cut off, or make the saved figure
  wider than the page and shrink everything else);
* no text is smaller than :data:`analysis.report.theme.MIN_FONT_SIZE` points;
* a name written beside the data (a text of the plot's own axes) covers no drawn point of the
  same axes other than its own.

The same figures are also checked for the house style: only the theme's colours outside the
map (one accent, for the case only, and greys), rank axes from 1 to 98 that say "1 = bedst",
and legends outside the data area.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.text import Text

from analysis.report import views
from analysis.report.theme import MIN_FONT_SIZE
from tests.conftest import make_report

CASES = (101, 450, 825, 400, 492)
"""København, Nyborg, Læsø, Bornholm, Ærø."""
VIEWS = {
    "national": ("ranking_figure", "difference_figure", "funnel_figure", "map_figure", "official_figure"),
    "tradeoff": ("quadrant_figure", "slope_figure"),
    "case": (
        "comparison_figure",
        "case_decomposition_figure",
        "ranking_figure",
        "map_figure",
        "rank_history_view",
        "quadrant_figure",
        "official_figure",
    ),
}
"""The figure-producing views of notebooks 01, 02 and 03 (the others return text or tables)."""
REPORTS = ("national", "tradeoff", *(f"case{c}" for c in CASES))
TOL = 0.5  # pixels at 100 dpi


class _Kept:
    """Stands in for ReportFigure: keeps the figure (and the caption, for messages)."""

    def __init__(self, fig, *, caption, **_kw):
        self.fig = fig
        self.caption = caption


@pytest.fixture(scope="module")
def public_benchmark():
    from analysis.core.params import parse_run
    from analysis.data.open import open_source
    from analysis.run.benchmark import build

    return build(open_source("public"), parse_run({"data": "public", "draws": 200}))


def _figures(bm, report: str) -> dict[str, object]:
    """The figures a report would show, by view name (views that return text are left out)."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(views, "ReportFigure", _Kept)
        if report.startswith("case"):
            r, names = make_report(bm, "case", municipality=int(report[4:])), VIEWS["case"]
        else:
            r, names = make_report(bm, report), VIEWS[report]
        out = {}
        for name in names:
            obj = getattr(views, name)(r)
            if isinstance(obj, _Kept):
                out[name] = obj.fig
    return out


@pytest.fixture(scope="module")
def report_figures(request):
    """``report_figures(source, report)``: the report's figures, drawn once per module."""
    cache: dict[tuple[str, str], dict[str, object]] = {}

    def get(source: str, report: str) -> dict[str, object]:
        if (source, report) not in cache:
            bm = request.getfixturevalue("small_benchmark" if source == "synthetic" else "public_benchmark")
            cache[source, report] = _figures(bm, report)
        return cache[source, report]

    return get


def _drawn_texts(fig, monkeypatch) -> list[Text]:
    """Draw the canvas and return every non-empty text that was drawn."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    drawn: list[Text] = []
    original = Text.draw

    def record(self, renderer):
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)
        return original(self, renderer)

    with monkeypatch.context() as m:
        m.setattr(Text, "draw", record)
        fig.set_dpi(100)
        FigureCanvasAgg(fig).draw()
    return drawn


def _points(ax) -> np.ndarray:
    """Display coordinates of the markers drawn by the axes' scatter collections."""
    from matplotlib.collections import PathCollection

    pts = [
        c.get_offset_transform().transform(c.get_offsets())
        for c in ax.collections
        if isinstance(c, PathCollection) and len(c.get_offsets())
    ]
    return np.vstack(pts) if pts else np.empty((0, 2))


def layout_problems(fig, monkeypatch) -> list[str]:
    """What is wrong with the figure's texts (an empty list when nothing is)."""
    texts = _drawn_texts(fig, monkeypatch)
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in texts]
    width, height = fig.bbox.width, fig.bbox.height
    problems = []
    for t, b in zip(texts, boxes, strict=True):
        if b.x0 < -TOL or b.y0 < -TOL or b.x1 > width + TOL or b.y1 > height + TOL:
            problems.append(
                f"{t.get_text()!r} leaves the figure ({b.x0:.0f}, {b.y0:.0f}, {b.x1:.0f}, {b.y1:.0f})"
            )
        if t.get_fontsize() < MIN_FONT_SIZE - 1e-9:
            problems.append(f"{t.get_text()!r} is {t.get_fontsize()} pt, below {MIN_FONT_SIZE}")
    for i in range(len(texts)):
        for j in range(i + 1, len(texts)):
            a, b = boxes[i], boxes[j]
            w = min(a.x1, b.x1) - max(a.x0, b.x0)
            h = min(a.y1, b.y1) - max(a.y0, b.y0)
            if w > TOL and h > TOL:
                problems.append(f"{texts[i].get_text()!r} overlaps {texts[j].get_text()!r}")
    for ax in fig.axes:
        pts = _points(ax)
        for t in ax.texts:
            if t not in texts or t.get_transform() is not ax.transData:
                continue
            b = t.get_window_extent(renderer)
            own = ax.transData.transform(t.xy) if hasattr(t, "xy") else None
            inside = (pts[:, 0] > b.x0) & (pts[:, 0] < b.x1) & (pts[:, 1] > b.y0) & (pts[:, 1] < b.y1)
            if own is not None:
                inside &= np.hypot(*(pts - own).T) > 1
            if inside.any():
                problems.append(f"{t.get_text()!r} covers {int(inside.sum())} point(s)")
    return problems


EXPECTED = {
    # synthetic data: one period (no history figure), no Ministry figures
    "synthetic": {"national": 4, "tradeoff": 2, "case": 5},
    # public data: three benefit areas only (no trade-off figures), several periods, the Ministry's
    "public": {"national": 5, "tradeoff": 0, "case": 6},
}


@pytest.mark.parametrize("source", ["synthetic", "public"])
@pytest.mark.parametrize("report", REPORTS)
def test_figures_have_no_colliding_text(report_figures, source, report, monkeypatch):
    figs = report_figures(source, report)
    assert len(figs) == EXPECTED[source][report[:4] if report.startswith("case") else report]
    problems = {name: layout_problems(fig, monkeypatch) for name, fig in figs.items()}
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, f"{source} {report}: {problems}"


# --------------------------------------------------------------------------- house style
def _colours(fig) -> set[str]:
    """Every colour the figure draws with, as '#rrggbb' (transparent ones left out), except the
    map's colour-mapped municipalities and colour bar."""
    from matplotlib.collections import Collection
    from matplotlib.colors import to_hex, to_rgba_array
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    out: set[str] = set()

    def add(c):
        if c is None or (isinstance(c, str) and c == "none"):
            return
        for rgba in to_rgba_array(c):
            if rgba[3] > 0:
                out.add(to_hex(rgba[:3]))

    for ax in fig.axes:
        if ax.get_label() == "farveskala":
            continue
        for a in ax.get_children():
            if not a.get_visible() or a is ax.patch:
                continue
            if isinstance(a, Collection):
                if a.get_array() is not None:  # colour-mapped (the map's municipalities)
                    continue
                add(a.get_facecolor())
                add(a.get_edgecolor())
            elif isinstance(a, Line2D):
                add(a.get_color())
                if a.get_marker() not in (None, "None", ""):
                    add(a.get_markerfacecolor())
            elif isinstance(a, Patch):
                add(a.get_facecolor())
                add(a.get_edgecolor())
            elif isinstance(a, Text) and a.get_text().strip():
                add(a.get_color())
        for t in [*ax.get_xticklabels(), *ax.get_yticklabels()]:
            add(t.get_color())
    return out


def _theme_colours() -> set[str]:
    from matplotlib.colors import to_hex

    from analysis.report import theme

    return {to_hex(c) for c in (theme.ACCENT, theme.GREY, theme.MID, theme.DARK, theme.BLUE, theme.LIGHT)} | {
        "#ffffff",
        "#8a939c",  # the theme's axis and map-frame grey (axes.edgecolor)
        "#eef0f2",  # the map's "Ingen værdi" fill
    }


@pytest.mark.parametrize("source", ["synthetic", "public"])
@pytest.mark.parametrize("report", ["national", "tradeoff", "case450", "case825"])
def test_figures_use_one_accent_for_the_case_and_greys(report_figures, source, report):
    from matplotlib.colors import to_hex

    from analysis.report.theme import ACCENT

    allowed = _theme_colours()
    for name, fig in report_figures(source, report).items():
        used = _colours(fig)
        assert used <= allowed, f"{name}: colours outside the theme {sorted(used - allowed)}"
        # a case report's case, or the trade-off report's named cases (København and Nyborg by default);
        # the decomposition is the case's own figure: nothing to set it apart from
        highlighted = report.startswith("case") or (report == "tradeoff" and name != "correlation_table")
        has_case = highlighted and name != "case_decomposition_figure"
        assert (to_hex(ACCENT) in used) == has_case, (
            f"{name}: accent {'missing' if has_case else 'without a case'}"
        )


RANK_TICKS = [1, 25, 50, 75, 98]


@pytest.mark.parametrize("source", ["synthetic", "public"])
def test_rank_axes_run_from_1_to_98_and_say_1_is_best(report_figures, source):
    seen = 0
    for report in ("national", "tradeoff", "case101"):
        for name, fig in report_figures(source, report).items():
            for ax in fig.axes:
                for axis, lim in ((ax.xaxis, ax.get_xlim()), (ax.yaxis, ax.get_ylim())):
                    label = axis.get_label_text()
                    if "lacering" not in label:
                        continue
                    seen += 1
                    where = f"{name}: {label}"
                    assert [int(t) for t in axis.get_ticklocs()] == RANK_TICKS, where
                    assert [t.get_text() for t in axis.get_ticklabels()] == [str(t) for t in RANK_TICKS], (
                        where
                    )
                    assert 0 <= min(lim) < 1, where
                    assert 98 < max(lim) <= 99, where
                    if axis is ax.yaxis:
                        assert "1 = bedst" in label, where
                        assert lim[0] > lim[1], f"{where}: 1 (the best) belongs at the top"
    assert seen >= (6 if source == "synthetic" else 4)


def test_legends_stand_outside_the_data(report_figures):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    n = 0
    for source, report in (("public", "national"), ("public", "case450"), ("synthetic", "case450")):
        for name, fig in report_figures(source, report).items():
            renderer = FigureCanvasAgg(fig).get_renderer()
            fig.draw_without_rendering()
            for ax in fig.axes:
                legend = ax.get_legend()
                if legend is None:
                    continue
                n += 1
                assert not legend.get_window_extent(renderer).overlaps(ax.get_window_extent(renderer)), name
    assert n >= 3  # the funnel and the comparison figures have legends


def test_the_check_catches_collisions(monkeypatch):
    """The checker itself: two names on top of each other, and one past the edge, are caught."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 2), layout="constrained")
    ax = fig.add_subplot()
    ax.scatter([0.2, 0.8], [0.5, 0.5])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.text(0.5, 0.5, "Ishøj")
    ax.text(0.52, 0.5, "Lolland")
    ax.text(1.3, 0.1, "Langeland")
    ax.text(0.15, 0.49, "Silkeborg", fontsize=5)
    found = [p.split(" (")[0] for p in layout_problems(fig, monkeypatch)]
    # and nothing else: the tick labels, axis and scatter are fine
    assert sorted(found) == sorted(
        [
            "'Ishøj' overlaps 'Lolland'",
            "'Langeland' leaves the figure",
            "'Silkeborg' is 5.0 pt, below 7.0",
            "'Silkeborg' covers 1 point(s)",
            "'Lolland' covers 1 point(s)",  # the long name reaches the dot at 0.8
        ]
    )
