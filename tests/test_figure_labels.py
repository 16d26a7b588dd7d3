"""Placing names beside points (analysis.report.figures._place_labels) and rank-axis ticks.

The figures' own layout is checked on every report figure in tests/test_figure_layout.py; these
are the building blocks on cases made to be hard: many names on one small cluster of points.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.figure import Figure

from analysis.report import figures
from analysis.report.figures import _Label, _place_labels, _renderer, rank_ticks
from analysis.report.theme import apply_theme

NAMES = [
    "Ishøj",
    "Lolland",
    "Silkeborg",
    "Høje-Taastrup",
    "Holbæk",
    "Langeland",
    "Nyborg",
    "Læsø",
    "Ærø",
    "Bornholm",
    "København",
    "Frederiksberg",
    "Vallensbæk",
    "Rødovre",
]


def _crowd(n: int, size=(3.0, 2.0), spread=0.03, seed=1):
    apply_theme()
    fig = Figure(figsize=size, layout="constrained")
    ax = fig.add_subplot()
    xy = np.random.default_rng(seed).normal(0.5, spread, (n, 2))
    ax.scatter(*xy.T, s=12)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    labels = [
        _Label(float(x), float(y), name, case=i == 0)
        for i, ((x, y), name) in enumerate(zip(xy, NAMES[:n], strict=True))
    ]
    return fig, ax, xy, labels


def _boxes(fig, texts):
    r = _renderer(fig)
    return [t.get_window_extent(r) for t in texts]


def _no_overlap_inside(fig, ax, texts):
    boxes = _boxes(fig, texts)
    axb = ax.get_window_extent(_renderer(fig))
    for i, a in enumerate(boxes):
        assert axb.x0 <= a.x0
        assert a.x1 <= axb.x1
        assert axb.y0 <= a.y0
        assert a.y1 <= axb.y1
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (texts[i].get_text(), [t.get_text() for t in texts])


def test_a_few_names_find_free_places_next_to_their_points():
    fig, ax, xy, labels = _crowd(5, size=(6.3, 3.6), spread=0.05)
    texts = _place_labels(ax, labels, points=xy)
    _no_overlap_inside(fig, ax, texts)
    # no name covers a point, and each stands close to its own (within 2 cm)
    r = _renderer(fig)
    pts = ax.transData.transform(xy)
    for t, p in zip(texts, pts, strict=True):
        b = t.get_window_extent(r)
        assert not any(b.contains(*q) for q in pts)
        nearest = np.hypot(max(b.x0 - p[0], 0, p[0] - b.x1), max(b.y0 - p[1], 0, p[1] - b.y1))
        assert nearest < 2 / 2.54 * fig.dpi
    assert texts[0].get_fontweight() == "bold"  # the case


def test_too_many_names_for_the_room_are_still_kept_apart():
    # 14 names on one cluster of points in a 3 × 2 in plot
    fig, ax, xy, labels = _crowd(14)
    texts = _place_labels(ax, labels, points=xy)
    _no_overlap_inside(fig, ax, texts)


def test_what_the_search_cannot_place_goes_to_adjusttext_then_anywhere_free(monkeypatch):
    # With only four places per name (2 pt off the point, four directions), most names find
    # no admissible place: adjustText moves those (only those), and the last pass puts any
    # still colliding at the nearest free place, so none overlap in the end.
    moved = []
    original = figures._adjust

    def spy(ax, texts, *args):
        moved.extend(t.get_text() for t in texts)
        return original(ax, texts, *args)

    monkeypatch.setattr(figures, "_adjust", spy)
    fig, ax, xy, labels = _crowd(10, size=(4, 3))
    texts = _place_labels(ax, labels, points=xy, radii_pt=(2,), n_angles=4)
    assert 0 < len(moved) < len(texts)
    _no_overlap_inside(fig, ax, texts)


def test_placement_is_deterministic():
    def positions():
        fig, ax, xy, labels = _crowd(9, size=(4, 3))
        return [t.get_position() for t in _place_labels(ax, labels, points=xy)]

    assert positions() == positions()


def test_names_that_stand_off_get_a_leader_line():
    fig, ax, xy, labels = _crowd(9, size=(4, 3))
    texts = _place_labels(ax, labels, points=xy)
    r = _renderer(fig)
    pts = ax.transData.transform(xy)
    far = 0
    for t, p in zip(texts, pts, strict=True):
        b = t.get_window_extent(r)
        gap = np.hypot(max(b.x0 - p[0], 0, p[0] - b.x1), max(b.y0 - p[1], 0, p[1] - b.y1))
        far += gap > 8 * fig.dpi / 72
    leaders = [line for line in ax.lines if line.get_gid() == "leder"]
    assert far >= 1
    assert len(leaders) == far


def test_layout_is_frozen_so_the_places_hold():
    fig, ax, xy, labels = _crowd(4, size=(6.3, 3.6), spread=0.1)
    texts = _place_labels(ax, labels, points=xy)
    before = np.array([b.bounds for b in _boxes(fig, texts)])
    fig.savefig(io.BytesIO(), format="svg")
    np.testing.assert_allclose([b.bounds for b in _boxes(fig, texts)], before)


@pytest.mark.parametrize(
    ("n", "ticks"),
    [
        (98, [1, 25, 50, 75, 98]),
        (97, [1, 25, 50, 75, 97]),
        (80, [1, 25, 50, 80]),
        (12, [1, 5, 10, 12]),
        (1, [1]),
    ],
)
def test_rank_ticks(n, ticks):
    assert rank_ticks(n) == ticks
