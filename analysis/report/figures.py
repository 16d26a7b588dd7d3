"""Report figures, drawn from the tidy result frames (one theme, one accent colour).

Every function takes tidy frames (one row per municipality) and returns a matplotlib
:class:`~matplotlib.figure.Figure`; none computes results of its own, so what a figure shows is
what the tested frames hold. The case municipality, if given, is drawn in the accent colour and
labelled; all others are grey, and the few other municipalities a figure names are written in
a darker grey.

Names are placed so that they never collide: each is put where it covers no other name, stays
inside the plot and covers as few points and lines as possible, preferably close to its point,
with a thin leader line when it stands off (:func:`_place_labels`; what the search cannot
resolve is handed to adjustText). Rank axes run from 1 to the number of municipalities with
ticks at 1, 25, 50, 75 and 98, and say "1 = bedst".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.report.fmt import num
from analysis.report.theme import (
    ACCENT,
    BLUE,
    DARK,
    GREY,
    LABEL_SIZE,
    LIGHT,
    MID,
    apply_theme,
    decimal_comma,
)

RANK_LABEL = "Placering (1 = bedst)"


def _require(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: the frame lacks column(s) {missing}; it has {list(df.columns)}")


def _figure(figsize: tuple[float, float] | None = None) -> tuple[Figure, Any]:
    apply_theme()
    fig = Figure(figsize=figsize or (6.3, 3.6), layout="constrained")
    return fig, fig.add_subplot()


# --------------------------------------------------------------------------- rank axes
def rank_ticks(n: int) -> list[int]:
    """Ticks of a rank axis for ``n`` units: 1, the round steps between, and ``n`` itself.

    Examples
    --------
    >>> rank_ticks(98)
    [1, 25, 50, 75, 98]
    >>> rank_ticks(30)
    [1, 10, 20, 30]
    >>> rank_ticks(3)
    [1, 2, 3]
    """
    n = int(n)
    if n <= 1:
        return [1]
    step = 25 if n >= 60 else 10 if n >= 25 else 5 if n >= 12 else 1
    ticks = sorted({1, *range(step, n, step)})
    if len(ticks) > 1 and n - ticks[-1] < 0.4 * step:
        ticks.pop()  # too close to n to be read apart from it
    return [*ticks, n]


def _rank_axis(ax: Any, which: str, n: int, *, label: str = RANK_LABEL, invert: bool = True) -> None:
    """Make ``ax``'s ``which`` axis a rank axis: 1 … n (1 at the top when ``invert``)."""
    from matplotlib.ticker import NullLocator

    axis = ax.yaxis if which == "y" else ax.xaxis
    axis.set_ticks(rank_ticks(n))
    axis.set_minor_locator(NullLocator())
    lim = (n + 1, 0) if invert else (0, n + 1)
    (ax.set_ylim if which == "y" else ax.set_xlim)(*lim)
    axis.set_label_text(label)


# --------------------------------------------------------------------------- label placement
@dataclass(frozen=True)
class _Label:
    """A name (or value, or a short list of lines) to write beside the point ``(x, y)``
    (data coordinates)."""

    x: float
    y: float
    text: str
    case: bool = False
    color: str | None = None
    bold: bool | None = None

    @property
    def colour(self) -> str:
        return self.color or (ACCENT if self.case else DARK)


def _renderer(fig: Figure) -> Any:
    canvas = fig.canvas
    if not hasattr(canvas, "get_renderer"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(fig)
    return canvas.get_renderer()


def _freeze(fig: Figure) -> Any:
    """Run the layout once and keep it: labels are placed in the final coordinates."""
    renderer = _renderer(fig)
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    for ax in fig.axes:
        ax.set_autoscale_on(False)
    return renderer


def _segments(x: Any, y: Any, hi: Any = None) -> np.ndarray:
    """Line segments ``(x0, y0, x1, y1)`` as an (m, 4) array, in data coordinates: the
    polyline through ``x, y``, or with ``hi`` the vertical bars from ``y`` to ``hi`` at ``x``."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if hi is not None:
        return np.column_stack([x, y, x, np.asarray(hi, dtype=float)])
    return np.column_stack([x[:-1], y[:-1], x[1:], y[1:]])


def _hits_segments(boxes: np.ndarray, segs: np.ndarray) -> np.ndarray:
    """Which segments (m, 4) cross which boxes (c, 4: x0, y0, x1, y1): a (c, m) bool array
    (Liang–Barsky clipping, vectorised)."""
    if len(segs) == 0 or len(boxes) == 0:
        return np.zeros((len(boxes), len(segs)), dtype=bool)
    sx0, sy0, sx1, sy1 = (segs[:, i][None, :] for i in range(4))
    bx0, by0, bx1, by1 = (boxes[:, i][:, None] for i in range(4))
    dx, dy = sx1 - sx0, sy1 - sy0
    t0 = np.zeros((len(boxes), len(segs)))
    t1 = np.ones_like(t0)
    reject = np.zeros_like(t0, dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        for p, q in ((-dx, sx0 - bx0), (dx, bx1 - sx0), (-dy, sy0 - by0), (dy, by1 - sy0)):
            p = np.broadcast_to(p, t0.shape)
            q = np.broadcast_to(q, t0.shape)
            r = q / p
            reject |= (p == 0) & (q < 0)
            t0 = np.where(p < 0, np.maximum(t0, r), t0)
            t1 = np.where(p > 0, np.minimum(t1, r), t1)
    return ~reject & (t0 <= t1)


def _overlap(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(c, 4) boxes against (k, 4) boxes: a (c, k) bool array of overlaps."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), dtype=bool)
    return (
        (a[:, None, 0] < b[None, :, 2])
        & (b[None, :, 0] < a[:, None, 2])
        & (a[:, None, 1] < b[None, :, 3])
        & (b[None, :, 1] < a[:, None, 3])
    )


def _box_point_dist(boxes: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Distance from each of (k, 2) points to each of (c, 4) boxes: (c, k)."""
    if len(pts) == 0 or len(boxes) == 0:
        return np.full((len(boxes), len(pts)), np.inf)
    dx = np.maximum(boxes[:, None, 0] - pts[None, :, 0], 0) + np.maximum(
        pts[None, :, 0] - boxes[:, None, 2], 0
    )
    dy = np.maximum(boxes[:, None, 1] - pts[None, :, 1], 0) + np.maximum(
        pts[None, :, 1] - boxes[:, None, 3], 0
    )
    return np.hypot(dx, dy)


def _seg_point_dist(segs: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Distance from each of (k, 2) points to each of (c, 4) segments: (c, k)."""
    if len(segs) == 0 or len(pts) == 0:
        return np.full((len(segs), len(pts)), np.inf)
    a, b = segs[:, None, :2], segs[:, None, 2:]
    d = b - a
    length2 = np.maximum((d**2).sum(axis=2), 1e-12)
    t = np.clip(((pts[None, :, :] - a) * d).sum(axis=2) / length2, 0, 1)
    closest = a + t[:, :, None] * d
    return np.hypot(*(pts[None, :, :] - closest).transpose(2, 0, 1))


def _leader_ends(boxes: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The point of each box nearest to ``target``: (c, 2)."""
    return np.column_stack(
        [np.clip(target[0], boxes[:, 0], boxes[:, 2]), np.clip(target[1], boxes[:, 1], boxes[:, 3])]
    )


def _crossings(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which of the (c, 4) segments ``a`` properly cross which of the (m, 4) segments ``b``."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)), dtype=bool)

    def orient(p: tuple[Any, Any], q: tuple[Any, Any], r: tuple[Any, Any]) -> Any:
        return np.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]))

    a0, a1 = (a[:, None, 0], a[:, None, 1]), (a[:, None, 2], a[:, None, 3])
    b0, b1 = (b[None, :, 0], b[None, :, 1]), (b[None, :, 2], b[None, :, 3])
    return (orient(a0, a1, b0) * orient(a0, a1, b1) < 0) & (orient(b0, b1, a0) * orient(b0, b1, a1) < 0)


def _adjust(
    ax: Any, texts: list[Any], targets: np.ndarray, pts: np.ndarray, segs: np.ndarray, keep: list[np.ndarray]
) -> None:
    """Hand the labels the candidate search could not place to adjustText.

    Only ``texts`` move; the names already placed and the boxes to keep clear of (``keep``,
    display coordinates), the points and the short data lines push them away (a long line's
    bounding box would cover the whole plot). Deterministic: a fixed number of iterations and
    no initial random 'explosion'; the names stay inside the axes.
    """
    from adjustText import adjust_text
    from matplotlib.transforms import Bbox

    inv = ax.transData.inverted()
    axb = ax.get_window_extent()
    small = [s for s in segs if abs(s[2] - s[0]) * abs(s[3] - s[1]) < 0.01 * axb.width * axb.height]
    boxes = [np.array([min(s[0], s[2]), min(s[1], s[3]), max(s[0], s[2]), max(s[1], s[3])]) for s in small]
    objects = [Bbox(inv.transform(b.reshape(2, 2))) for b in [*boxes, *keep]]
    x, y = inv.transform(pts).T if len(pts) else (None, None)
    tx, ty = inv.transform(targets).T
    adjust_text(
        texts,
        x=x,
        y=y,
        objects=objects or None,
        target_x=tx,
        target_y=ty,
        ax=ax,
        iter_lim=1000,
        force_explode=0,
        expand=(1.15, 1.4),
        ensure_inside_axes=True,
    )


def _backing() -> dict[str, Any]:
    """A tight white box behind a name, so thin lines under it do not cut through the letters.

    (A box rather than a stroked halo: text drawn through path effects reaches the SVG as bare
    outlines, without the text itself beside them.)"""
    return {"boxstyle": "square,pad=0.12", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}


def _place_labels(
    ax: Any,
    labels: Sequence[_Label],
    *,
    points: Any = None,
    marker_pt: float = 2.0,
    segments: Sequence[np.ndarray] = (),
    avoid: Sequence[Any] = (),
    fontsize: float = LABEL_SIZE,
    radii_pt: Sequence[float] = (2, 6, 11, 17, 25, 35, 48, 64, 84, 110, 140, 175),
    n_angles: int = 32,
    leader_min_pt: float = 8.0,
    leaders: bool = True,
    segment_weight: float = 2.5,
    leader_off_vertical: float = 0.0,
) -> list[Any]:
    """Write ``labels`` beside their points without any two colliding.

    Each label is tried at ``n_angles`` directions and at distances ``radii_pt`` (points) from
    its point. A place is admissible when it lies inside the axes, overlaps no name already
    placed (nor the ``avoid`` artists, e.g. corner texts), covers no other labelled point and
    its leader line crosses no placed name. Among those, the one covering the fewest
    ``points`` (drawn markers of radius ``marker_pt``) and ``segments`` (data lines, each an
    (m, 4) array of ``x0, y0, x1, y1`` in data coordinates; a crossing costs
    ``segment_weight`` against a covered point's 6), whose leader runs over the fewest points
    and crosses the fewest other leaders, then the nearest, preferably to the right, wins.
    Labels are placed one at a time; a few orders are tried (the cases first, or last) and the
    order with the lowest total cost is kept. If even that leaves a label without an
    admissible place, adjustText (:func:`adjustText.adjust_text`) moves those labels apart,
    and any it leaves colliding go to the nearest free place anywhere in the axes. A label standing more than
    ``leader_min_pt`` off its point gets a thin leader line; with ``leader_off_vertical``
    (degrees), drawn leaders steeper than that from the vertical are avoided (in a caterpillar
    a vertical leader would read as part of the interval).

    The figure's layout is frozen first (names are placed in final coordinates), so call this
    after everything else is drawn and the axes limits are set. Deterministic: same input,
    same places.
    """
    if not labels:
        return []
    fig = ax.figure
    renderer = _freeze(fig)
    k = fig.dpi / 72.0
    to_disp = ax.transData.transform
    axb = ax.get_window_extent(renderer)
    inner = np.array([axb.x0 + 1.5 * k, axb.y0 + 1.5 * k, axb.x1 - 1.5 * k, axb.y1 - 1.5 * k])
    pts = (
        to_disp(np.asarray(points, dtype=float).reshape(-1, 2))
        if points is not None and len(points)
        else np.empty((0, 2))
    )
    pts = pts[np.isfinite(pts).all(axis=1)]
    segs_data = [np.asarray(s, dtype=float).reshape(-1, 4) for s in segments if len(s)]
    if segs_data:
        sd = np.vstack(segs_data)
        sd = sd[np.isfinite(sd).all(axis=1)]
        segs = np.column_stack([to_disp(sd[:, :2]), to_disp(sd[:, 2:])])
    else:
        segs = np.empty((0, 4))
    targets = to_disp(np.array([[lab.x, lab.y] for lab in labels], dtype=float))
    fixed = [np.array(b.extents) for b in (a.get_window_extent(renderer) for a in avoid)]
    texts = []
    for lab in labels:
        t = ax.text(
            lab.x,
            lab.y,
            lab.text,
            fontsize=fontsize,
            color=lab.colour,
            fontweight="bold" if (lab.case if lab.bold is None else lab.bold) else "normal",
            ha="center",
            va="center",
            multialignment="left",
            zorder=6,
            bbox=_backing(),
        )
        t.set_in_layout(False)
        texts.append(t)
    sizes = np.array(
        [[t.get_window_extent(renderer).width, t.get_window_extent(renderer).height] for t in texts]
    )
    search = _Search(
        targets,
        sizes,
        pts,
        segs,
        fixed,
        inner,
        k,
        marker_pt,
        segment_weight,
        radii_pt,
        n_angles,
        leader_min_pt,
        leader_off_vertical,
    )
    cases = [i for i, lab in enumerate(labels) if lab.case]
    rest = [i for i, lab in enumerate(labels) if not lab.case]
    rng = np.random.default_rng(0)
    orders = [rest, rest[::-1]] + [list(rng.permutation(rest)) for _ in range(6 if len(rest) > 2 else 0)]
    # the case first (it gets the best place), unless placing it last costs less in total
    runs = [[*cases, *o] for o in orders] + ([[*o, *cases] for o in orders[:2]] if cases and rest else [])
    best = min((search.run(order) for order in runs), key=lambda res: (len(res[0]), res[1]))
    bad, _, boxes = best
    for t, bx in zip(texts, boxes, strict=True):
        t.set_position(ax.transData.inverted().transform(((bx[0] + bx[2]) / 2, (bx[1] + bx[3]) / 2)))
    if bad:
        good = [bx for i, bx in enumerate(boxes) if i not in bad]
        _adjust(ax, [texts[i] for i in bad], targets[bad], pts, segs, [*fixed, *good])
        boxes = [np.array(t.get_window_extent(renderer).extents) for t in texts]
        # what adjustText leaves colliding goes to the nearest free place anywhere in the axes
        for i in bad:
            others = [*fixed, *(bx for j, bx in enumerate(boxes) if j != i)]
            free = search.anywhere(i, others)
            if free is not None:
                boxes[i] = free
                texts[i].set_position(
                    ax.transData.inverted().transform(((free[0] + free[2]) / 2, (free[1] + free[3]) / 2))
                )
    if leaders:
        for lab, bx, tgt in zip(labels, boxes, targets, strict=True):
            end = _leader_ends(bx[None, :], tgt)[0]
            dist = float(np.hypot(*(end - tgt)))
            if dist <= leader_min_pt * k:
                continue
            start = tgt + (end - tgt) * (marker_pt + 1.0) * k / dist
            stop = end - (end - tgt) * 1.0 * k / dist
            (x0, y0), (x1, y1) = ax.transData.inverted().transform(np.array([start, stop]))
            ax.plot(
                [x0, x1],
                [y0, y1],
                color=ACCENT if lab.case else MID,
                lw=0.6,
                zorder=5,
                solid_capstyle="butt",
                gid="leder",
            )
    return texts


@dataclass
class _Search:
    """The candidate search of :func:`_place_labels`, in display coordinates."""

    targets: np.ndarray  # (n, 2)
    sizes: np.ndarray  # (n, 2) width, height
    pts: np.ndarray  # (p, 2) drawn markers
    segs: np.ndarray  # (m, 4) drawn lines
    fixed: list[np.ndarray]  # boxes to keep clear of
    inner: np.ndarray  # the axes, less a margin
    k: float  # pixels per point
    marker_pt: float
    segment_weight: float
    radii_pt: Sequence[float]
    n_angles: int
    leader_min_pt: float  # shorter leaders are not drawn
    leader_off_vertical: float  # degrees; steeper drawn leaders cost extra

    def anywhere(self, i: int, others: list[np.ndarray]) -> np.ndarray | None:
        """The box for label ``i`` nearest its point among a grid over the whole axes that
        overlaps none of ``others`` (None if ``i`` already overlaps none, or no place is free)."""
        k, pad = self.k, 1.5 * self.k
        w, h = self.sizes[i]
        ob = np.array(others) if others else np.empty((0, 4))
        x0, y0, x1, y1 = self.inner
        gx, gy = np.meshgrid(
            np.linspace(x0 + w / 2, x1 - w / 2, 60), np.linspace(y0 + h / 2, y1 - h / 2, 40), indexing="ij"
        )
        cx, cy = gx.ravel(), gy.ravel()
        cand = np.column_stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
        ok = ~_overlap(cand + np.array([-pad, -pad, pad, pad]), ob).any(axis=1)
        others_pts = np.delete(self.targets, i, axis=0)
        ok &= ~(_box_point_dist(cand, others_pts) < self.marker_pt * k + pad).any(axis=1)
        if not ok.any():
            return None
        cost = 6.0 * (_box_point_dist(cand, self.pts) < self.marker_pt * k + 0.5 * k).sum(axis=1)
        cost += np.hypot(cx - self.targets[i][0], cy - self.targets[i][1]) / (25.0 * k)
        cost[~ok] = np.inf
        return cand[int(np.argmin(cost))]

    def run(self, order: Sequence[int]) -> tuple[list[int], float, list[np.ndarray]]:
        """Place the labels in ``order``: (labels without an admissible place, total cost, boxes)."""
        k = self.k
        pad = 1.5 * k
        angles = np.deg2rad(np.arange(self.n_angles) * 360.0 / self.n_angles)
        rr, aa = np.meshgrid(np.asarray(self.radii_pt, dtype=float) * k, angles, indexing="ij")
        rr, aa = rr.ravel(), aa.ravel()
        dx, dy = np.cos(aa), np.sin(aa)
        placed = list(self.fixed)
        leaders: list[np.ndarray] = []
        boxes: list[np.ndarray] = [np.zeros(4)] * len(self.targets)
        bad: list[int] = []
        total = 0.0
        for i in order:
            w, h = self.sizes[i]
            tx, ty = self.targets[i]
            cx = tx + dx * (rr + w / 2)
            cy = ty + dy * (rr + h / 2)
            cand = np.column_stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
            grown = cand + np.array([-pad, -pad, pad, pad])
            inner = self.inner
            hard = (
                (cand[:, 0] < inner[0])
                | (cand[:, 1] < inner[1])
                | (cand[:, 2] > inner[2])
                | (cand[:, 3] > inner[3])
            ).astype(float)
            others = np.delete(self.targets, i, axis=0)
            hard += (_box_point_dist(cand, others) < self.marker_pt * k + pad).sum(axis=1)
            ends = _leader_ends(cand, self.targets[i])
            lead = np.column_stack([np.repeat(self.targets[i][None, :], len(cand), axis=0), ends])
            if placed:
                pb = np.array(placed)
                hard += _overlap(grown, pb).sum(axis=1)
                hard += _hits_segments(pb, lead).sum(axis=0)
            soft = 6.0 * (_box_point_dist(cand, self.pts) < self.marker_pt * k + 0.5 * k).sum(axis=1)
            # a leader that runs over other points is hard to follow
            near = _seg_point_dist(lead, self.pts) < self.marker_pt * k + 0.5 * k
            near &= np.hypot(*(self.pts - self.targets[i]).T)[None, :] > self.marker_pt * k + 1.0 * k
            soft += 1.5 * near.sum(axis=1)
            soft += self.segment_weight * _hits_segments(cand, self.segs).sum(axis=1)
            if leaders:
                pl = np.array(leaders)
                soft += 4.0 * _hits_segments(cand, pl).sum(axis=1) + 3.0 * _crossings(lead, pl).sum(axis=1)
            if self.leader_off_vertical > 0:
                ldx, ldy = np.abs(ends[:, 0] - tx), np.abs(ends[:, 1] - ty)
                drawn = np.hypot(ldx, ldy) > self.leader_min_pt * k
                steep = ldx < ldy * np.tan(np.deg2rad(self.leader_off_vertical))
                soft += 20.0 * (drawn & steep)
            # nearest first; at equal distance to the right, then above or below, left last
            cost = 1000.0 * hard + soft + rr / (25.0 * k) + 0.05 * (1 - dx)
            j = int(np.argmin(cost))
            if hard[j] > 0:
                bad.append(i)
            total += float(cost[j])
            boxes[i] = cand[j]
            placed.append(cand[j])
            if np.hypot(*(ends[j] - self.targets[i])) > self.leader_min_pt * k:
                leaders.append(lead[j])
        return bad, total, boxes


def _labels_for(
    df: pd.DataFrame, codes: Sequence[int], x: Any, y: Any, *, highlight: Sequence[int] = ()
) -> list[_Label]:
    """Labels for ``codes`` (each once, the cases first) at the columns or arrays ``x``, ``y``."""
    hl = [int(c) for c in highlight]
    by_code = df.assign(_x=np.asarray(x, dtype=float), _y=np.asarray(y, dtype=float)).drop_duplicates("code")
    by_code = by_code.set_index("code")
    out, seen = [], set()
    for code in [*hl, *codes]:
        code = int(code)
        if code in seen or code not in by_code.index:
            continue
        seen.add(code)
        row = by_code.loc[code]
        if not (np.isfinite(row["_x"]) and np.isfinite(row["_y"])):
            continue
        out.append(_Label(float(row["_x"]), float(row["_y"]), str(row["name"]), case=code in hl))
    return out


def caterpillar(
    tidy: pd.DataFrame,
    *,
    highlight: int | None = None,
    interval: str = "rank",
    label_n: int = 0,
) -> Figure:
    """Municipalities ordered by rank with their interval.

    Parameters
    ----------
    tidy
        Tidy model frame with ``code, name, rank`` and, for ``interval="rank"``,
        ``rank_lower, rank_upper`` (marginal) and optionally ``rank_cs_lower, rank_cs_upper``
        (simultaneous); for ``interval="pp"``, ``difference_pp, ci_lower_pp, ci_upper_pp``.
    highlight
        Code of the case municipality.
    interval
        ``"rank"`` (rank with rank confidence interval) or ``"pp"`` (difference in
        percentage points with its confidence interval).
    label_n
        Also name the ``label_n`` best and worst municipalities.

    Notes
    -----
    Both axes of the rank version are rank axes (1 … number of municipalities, 1 = bedst);
    the case is drawn in the accent colour, all others in grey, and the names are placed off
    the points and intervals, with leader lines where they stand off.
    """
    if interval not in ("rank", "pp"):
        raise ValueError(f"interval: expected 'rank' or 'pp', got {interval!r}")
    df = tidy.sort_values(["rank", "code"]).reset_index(drop=True)
    fig, ax = _figure((6.3, 3.8))
    n = len(df)
    x = np.arange(1, n + 1)
    segs = []
    if interval == "rank":
        _require(df, ["code", "name", "rank", "rank_lower", "rank_upper"], "caterpillar")
        y, lo, hi = df["rank"], df["rank_lower"], df["rank_upper"]
        if {"rank_cs_lower", "rank_cs_upper"} <= set(df.columns) and df["rank_cs_lower"].notna().all():
            ax.vlines(x, df["rank_cs_lower"], df["rank_cs_upper"], color=LIGHT, lw=3.2, zorder=1)
        _rank_axis(ax, "y", n)
    else:
        _require(df, ["code", "name", "rank", "difference_pp", "ci_lower_pp", "ci_upper_pp"], "caterpillar")
        y, lo, hi = df["difference_pp"], df["ci_lower_pp"], df["ci_upper_pp"]
        ax.axhline(0, color=DARK, lw=0.8)
        segs.append(np.array([[0, 0, n + 1, 0]]))
        ax.set_ylabel("Faktisk − forventet (pct.-point)")
        decimal_comma(ax, axis="y")
    is_case = (df["code"] == highlight).to_numpy()
    colors = np.where(is_case, ACCENT, GREY)
    ax.vlines(x, lo, hi, color=colors, lw=1.0, zorder=2)
    if is_case.any():  # the case's interval on top of its neighbours'
        i = int(np.flatnonzero(is_case)[0])
        ax.vlines(x[i], lo.iloc[i], hi.iloc[i], color=ACCENT, lw=1.4, zorder=3)
    ax.scatter(x, y, c=colors, s=9, zorder=4, linewidths=0)
    segs.append(_segments(x, lo, hi))
    _rank_axis(ax, "x", n, label="Kommuner ordnet efter placering", invert=False)
    ax.grid(axis="x", visible=False)
    labs = _labels_for(df, [], x, y, highlight=[] if highlight is None else [highlight])
    # The best and the worst are neighbours on the x axis: one list per end ("1. Læsø", ...)
    # with one leader to the group reads better than a fan of leaders to points 3 pt apart.
    for part in (df.head(max(label_n, 0)), df.tail(max(label_n, 0))):
        part = part[part["code"] != highlight]
        if len(part):
            text = "\n".join(f"{int(r)}. {nm}" for r, nm in zip(part["rank"], part["name"], strict=True))
            # the leader points at the middle one of the group (a point of the group, never the
            # case's point between two of them)
            mid = int(part.index[len(part) // 2])
            labs.append(_Label(float(x[mid]), float(np.asarray(y)[mid]), text))
    # thin interval lines under a name on its white backing stay legible: crossing them costs little
    _place_labels(
        ax,
        labs,
        points=np.column_stack([x, y]),
        marker_pt=1.5,
        segments=segs,
        segment_weight=0.3,
        leader_off_vertical=25,
    )
    return fig


def _funnel_se(df: pd.DataFrame) -> tuple[pd.Series, float]:
    """Each municipality's standard error and τ² behind its funnel limits (from the frame)."""
    from scipy import stats

    tau2 = float(df["funnel_tau2"].iloc[0]) if "funnel_tau2" in df.columns else 0.0
    if "se_pp" in df.columns and df["se_pp"].notna().all() and (df["se_pp"] > 0).all():
        return df["se_pp"].astype(float), tau2
    # the limits are ±z·√(se² + τ²): invert them
    z = stats.norm.ppf(0.975)
    total = ((df["funnel_upper95"] - df["funnel_lower95"]) / (2 * z)) ** 2
    return np.sqrt(np.maximum(total - tau2, 1e-12 * total.max())), tau2


def funnel_plot(tidy: pd.DataFrame, *, highlight: int | None = None, label_outliers: bool = True) -> Figure:
    """Funnel plot: difference (pct.-points) against population, with 95 % and 99,8 % limits.

    The limits are smooth functions of the population size n (log axis): ``±z √(s(n)² + τ²)``
    with ``s(n)² = a + b/n`` fitted to the municipalities' own standard errors
    (:func:`analysis.inference.funnel.funnel_curve_by_size`) and τ² from the frame
    (``funnel_tau2``), i.e. the limit a municipality of that size would have. The frame's
    ``se_pp`` gives the standard errors; without it they are read back from the limits
    ``funnel_lower95``/``funnel_upper95``. Named: the municipalities outside their own 99,8 %
    limits (``funnel_*998``, when ``label_outliers``) and the case. The legend stands above
    the plot, outside the data.
    """
    from analysis.inference.funnel import funnel_curve_by_size

    cols = ["code", "name", "population", "difference_pp", "funnel_lower95", "funnel_upper95"]
    _require(tidy, [*cols, "funnel_lower998", "funnel_upper998"], "funnel_plot")
    df = tidy.sort_values(["population", "code"]).reset_index(drop=True)
    se, tau2 = _funnel_se(df)
    pop = df["population"].astype(float)
    grid = np.geomspace(pop.min() / 1.25, pop.max() * 1.25, 240)
    curve = funnel_curve_by_size(pop, se, grid=grid, tau2=tau2, levels=(0.95, 0.998))
    fig, ax = _figure((6.3, 3.8))
    segs = []
    for lvl, style, lw, text in (
        ("95", (0, (4, 2)), 0.9, "95 pct.-grænse"),
        ("998", "-", 0.8, "99,8 pct.-grænse"),
    ):
        for side in ("lower", "upper"):
            ax.plot(
                curve["size"],
                curve[f"{side}{lvl}"],
                color=BLUE,
                lw=lw,
                ls=style,
                label=text if side == "upper" else None,
            )
            segs.append(_segments(curve["size"], curve[f"{side}{lvl}"]))
    ax.axhline(0, color=DARK, lw=0.8, zorder=1)
    is_case = (df["code"] == highlight).to_numpy()
    on_top = np.argsort(is_case, kind="stable")  # the case drawn last, over its neighbours
    ax.scatter(
        pop.to_numpy()[on_top],
        df["difference_pp"].to_numpy()[on_top],
        c=np.where(is_case, ACCENT, GREY)[on_top],
        s=np.where(is_case, 22, 14)[on_top],
        zorder=3,
        linewidths=0,
    )
    ax.set_xscale("log")
    ax.set_xlim(grid[0], grid[-1])
    ax.set_xlabel("Befolkning 16–66 år (logaritmisk skala)")
    ax.set_ylabel("Faktisk − forventet (pct.-point)")
    decimal_comma(ax, axis="y")
    ax.xaxis.set_major_formatter(_thousands())
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, borderaxespad=0.2, handlelength=2.6)
    out = df["difference_pp"].gt(df["funnel_upper998"]) | df["difference_pp"].lt(df["funnel_lower998"])
    named = df.loc[out & bool(label_outliers), "code"].tolist()
    labs = _labels_for(
        df, named, pop, df["difference_pp"], highlight=[] if highlight is None else [highlight]
    )
    _place_labels(ax, labs, points=np.column_stack([pop, df["difference_pp"]]), segments=segs)
    return fig


def _thousands() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _p: num(v, 0))


def _fit_texts_x(fig: Figure, ax: Any, texts: Sequence[Any], pad_frac: float = 0.02) -> None:
    """Widen ``ax``'s x limits until every text in ``texts`` (drawn in data x) fits inside."""
    for _ in range(4):
        renderer = _renderer(fig)
        fig.draw_without_rendering()
        inv = ax.transData.inverted()
        x0, x1 = ax.get_xlim()
        lo, hi = x0, x1
        for t in texts:
            e = t.get_window_extent(renderer)
            (a, _), (b, _) = inv.transform([[e.x0, e.y0], [e.x1, e.y1]])
            lo, hi = min(lo, a), max(hi, b)
        span = x1 - x0
        if lo >= x0 + pad_frac * span * 0.5 and hi <= x1 - pad_frac * span * 0.5:
            return
        ax.set_xlim(min(x0, lo - pad_frac * span), max(x1, hi + pad_frac * span))


def decomposition_bars(decomp: pd.DataFrame, code: int, *, labels: dict[str, str] | None = None) -> Figure:
    """Contribution of each block of rammevilkår to a municipality's expected share.

    Parameters
    ----------
    decomp
        Frame indexed by code with one column per block (percentage points), as returned by
        ``ExpectedCaseloadResults.decomposition()``; its ``total`` column, if any, is drawn last,
        set apart and in the dark text colour.
    code
        The municipality.
    labels
        Danish labels of the blocks.

    Notes
    -----
    All blocks are drawn in one colour (the side of zero says the sign; the value is written
    at the end of the bar, inside the plot: the x axis is widened to make room).
    """
    if code not in decomp.index:
        raise ValueError(f"decomposition_bars: municipality {code} is not in the decomposition")
    row = decomp.loc[code]
    blocks = [c for c in row.index if c != "total"]
    values = row[blocks].astype(float).to_numpy()
    names = [(labels or {}).get(b, b) for b in blocks]
    pos = list(np.arange(len(blocks), dtype=float))
    total = "total" in row.index
    if total:
        pos.append(len(blocks) + 0.4)
        values = np.append(values, float(row["total"]))
        names.append((labels or {}).get("total", "I alt"))
    fig, ax = _figure((6.3, 0.3 * len(values) + 1.1))
    colors = [BLUE] * len(blocks) + ([DARK] if total else [])
    ax.barh(pos, values, color=colors, height=0.62)
    ax.axvline(0, color=DARK, lw=0.8)
    ax.set_yticks(pos, names)
    if total:
        ax.get_yticklabels()[-1].set_fontweight("bold")
    ax.set_ylim(pos[-1] + 0.6, -0.6)
    ax.grid(axis="y", visible=False)
    # two lines: long block names leave the plot narrow, and a centred one-line label would
    # run past the figure's right edge
    ax.set_xlabel("Bidrag til forventet andel i forhold til\nlandsgennemsnittet (pct.-point)")
    decimal_comma(ax, axis="x")
    texts = []
    for p, v in zip(pos, values, strict=True):
        texts.append(
            ax.annotate(
                num(v, 2, sign=True),
                (v, p),
                xytext=(3 if v >= 0 else -3, 0),
                textcoords="offset points",
                va="center",
                ha="left" if v >= 0 else "right",
                fontsize=LABEL_SIZE,
                fontweight="bold" if total and p == pos[-1] else "normal",
            )
        )
    _fit_texts_x(fig, ax, texts)
    return fig


def _corner_room(fig: Figure, ax: Any, texts: Sequence[Any], xs: np.ndarray, ys: np.ndarray) -> None:
    """Widen the y limits until no point lies under the corner ``texts`` (axes coordinates)."""
    for _ in range(6):
        renderer = _renderer(fig)
        fig.draw_without_rendering()
        pts = ax.transData.transform(np.column_stack([xs, ys]))
        y0, y1 = ax.get_ylim()
        grow_top = grow_bottom = False
        for t in texts:
            e = t.get_window_extent(renderer).expanded(1.08, 1.25)
            inside = (pts[:, 0] >= e.x0) & (pts[:, 0] <= e.x1) & (pts[:, 1] >= e.y0) & (pts[:, 1] <= e.y1)
            if inside.any():
                if t.get_position()[1] > 0.5:
                    grow_top = True
                else:
                    grow_bottom = True
        if not (grow_top or grow_bottom):
            return
        span = y1 - y0
        ax.set_ylim(y0 - 0.12 * span * grow_bottom, y1 + 0.12 * span * grow_top)


def quadrant(
    table: pd.DataFrame,
    *,
    x: str = "resid_kontanthjaelp",
    y: str = "resid_foertidspension",
    highlight: Sequence[int] = (),
    xlabel: str = "Kontanthjælp mv.: faktisk − forventet (pct.-point)",
    ylabel: str = "Førtidspension: faktisk − forventet (pct.-point)",
    a_name: str = "kontanthjælp",
    b_name: str = "førtidspension",
    label_n: int = 3,
) -> Figure:
    """Quadrant scatter of two residuals with a fitted line and the case municipalities labelled.

    ``a_name`` and ``b_name`` name the two sides in the corner labels ("Bedre på …"); the y
    axis is widened if a point would fall under them. Besides the cases, the ``label_n``
    municipalities farthest from the origin (in standardised units) are named in grey.
    """
    _require(table, ["code", "name", x, y], "quadrant")
    fig, ax = _figure((6.3, 4.2))
    hl = [int(c) for c in highlight]
    is_case = table["code"].isin(hl).to_numpy()
    xs, ys = table[x].to_numpy(dtype=float), table[y].to_numpy(dtype=float)
    ax.axhline(0, color=DARK, lw=0.8)
    ax.axvline(0, color=DARK, lw=0.8)
    ax.scatter(xs[~is_case], ys[~is_case], color=GREY, s=14, linewidths=0)
    if is_case.any():
        ax.scatter(xs[is_case], ys[is_case], color=ACCENT, s=24, zorder=3, linewidths=0)
    slope, intercept = np.polyfit(xs, ys, 1)
    line_x = np.linspace(xs.min(), xs.max(), 50)
    ax.plot(line_x, intercept + slope * line_x, color=BLUE, lw=1)
    pad = dict(fontsize=LABEL_SIZE, color=MID)
    corners = [
        ax.text(
            0.015,
            0.985,
            f"Bedre på {a_name},\ndårligere på {b_name}",
            transform=ax.transAxes,
            va="top",
            **pad,
        ),
        ax.text(
            0.985,
            0.015,
            f"Dårligere på {a_name},\nbedre på {b_name}",
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            **pad,
        ),
    ]
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    decimal_comma(ax, axis="x")
    decimal_comma(ax, axis="y")
    _corner_room(fig, ax, corners, xs, ys)
    z = np.hypot((xs - xs.mean()) / xs.std(), (ys - ys.mean()) / ys.std())
    far = (
        table.assign(_z=z).sort_values(["_z", "code"], ascending=[False, True])["code"].head(max(label_n, 0))
    )
    labs = _labels_for(table, list(far), xs, ys, highlight=hl)
    xl = ax.get_xlim()
    segs = [
        _segments(line_x, intercept + slope * line_x),
        np.array([[xl[0], 0, xl[1], 0]]),
        np.array([[0, ax.get_ylim()[0], 0, ax.get_ylim()[1]]]),
    ]
    _place_labels(ax, labs, points=np.column_stack([xs, ys]), marker_pt=2.2, segments=segs, avoid=corners)
    return fig


def _spread(y: np.ndarray, height: float, lo: float, hi: float) -> np.ndarray:
    """Move the sorted-by-value positions ``y`` apart to at least ``height`` within [lo, hi]
    (display units), each as little as possible in order."""
    order = np.argsort(y, kind="stable")
    pos = y[order].astype(float).copy()
    for i in range(1, len(pos)):
        pos[i] = max(pos[i], pos[i - 1] + height)
    if len(pos) and pos[-1] > hi:
        pos[-1] = hi
        for i in range(len(pos) - 2, -1, -1):
            pos[i] = min(pos[i], pos[i + 1] - height)
    if len(pos) and pos[0] < lo:
        pos[0] = lo
        for i in range(1, len(pos)):
            pos[i] = max(pos[i], pos[i - 1] + height)
    out = np.empty_like(pos)
    out[order] = pos
    return out


def slope_chart(
    table: pd.DataFrame,
    *,
    left: str = "rank_bm2018",
    right: str = "rank_all",
    left_label: str = "Benchmark 2018",
    right_label: str = "Alle ydelser",
    highlight: Sequence[int] = (),
    n_label: int = 5,
) -> Figure:
    """Slope chart of ranks under two benefit sets; the largest movers and cases labelled.

    The cases are drawn in the accent colour, the ``n_label`` largest movers in a darker grey,
    all others in light grey. Names stand right of the right-hand ranks, spread apart where
    ranks are close (with a short leader line to their rank).
    """
    _require(table, ["code", "name", left, right], "slope_chart")
    hl = [int(c) for c in highlight]
    n = int(max(len(table), table[left].max(), table[right].max()))
    fig, ax = _figure((6.3, 5.2))
    shift = (table[right] - table[left]).abs()
    top = set(
        table.assign(_s=shift).sort_values(["_s", "code"], ascending=[False, True])["code"].head(n_label)
    )
    named = []
    for _, row in table.iterrows():
        case = int(row["code"]) in hl
        strong = case or row["code"] in top
        ax.plot(
            [0, 1],
            [row[left], row[right]],
            color=ACCENT if case else (MID if strong else GREY),
            lw=1.5 if case else (1.1 if strong else 0.5),
            alpha=1.0 if strong else 0.55,
            zorder=4 if case else (3 if strong else 1),
            solid_capstyle="round",
        )
        if strong:
            named.append((float(row[right]), str(row["name"]), case))
    ax.set_xticks([0, 1], [left_label, right_label])
    ax.set_xlim(-0.06, 1.34)
    _rank_axis(ax, "y", n)
    ax.grid(axis="x", visible=False)
    ax.spines["bottom"].set_visible(False)
    ax.tick_params(axis="x", length=0)
    if named:
        renderer = _freeze(fig)
        k = fig.dpi / 72
        ys = ax.transData.transform(np.column_stack([np.ones(len(named)), [r for r, _, _ in named]]))[:, 1]
        axb = ax.get_window_extent(renderer)
        h = 1.25 * LABEL_SIZE * k
        spread = _spread(ys, h, axb.y0 + h / 2, axb.y1 - h / 2)
        inv = ax.transData.inverted()
        x_line = ax.transData.transform((1, 0))[0]
        for (rank, name, case), y_to in zip(named, spread, strict=True):
            x_text = x_line + 14 * k
            _, y_data = inv.transform((x_text, y_to))
            xt_data, _ = inv.transform((x_text, y_to))
            ax.text(
                xt_data,
                y_data,
                name,
                va="center",
                ha="left",
                fontsize=LABEL_SIZE,
                color=ACCENT if case else DARK,
                fontweight="bold" if case else "normal",
                zorder=6,
            )
            x_a, _ = inv.transform((x_line + 2 * k, 0))
            x_b, _ = inv.transform((x_text - 2 * k, 0))
            ax.plot([x_a, x_b], [rank, y_data], color=ACCENT if case else MID, lw=0.6, zorder=5)
    return fig


def actual_vs_expected(frame: pd.DataFrame, *, highlight: int | None = None) -> Figure:
    """Actual and expected share (pct.) per municipality, for a case and its comparison group.

    ``frame`` holds one row per municipality with ``code, name, actual_share, expected_share``
    (in per cent), in the order to draw. The case's actual bar and name are in the accent
    colour; the legend stands above the plot.
    """
    from matplotlib.patches import Patch

    _require(frame, ["code", "name", "actual_share", "expected_share"], "actual_vs_expected")
    fig, ax = _figure((6.3, 0.3 * len(frame) + 1.3))
    y = np.arange(len(frame))
    ax.barh(y - 0.19, frame["expected_share"], height=0.36, color=LIGHT, edgecolor=BLUE, lw=0.7)
    is_case = (frame["code"] == highlight).to_numpy()
    ax.barh(y + 0.19, frame["actual_share"], height=0.36, color=np.where(is_case, ACCENT, GREY))
    ax.set_yticks(y, frame["name"])
    for tick, case in zip(ax.get_yticklabels(), is_case, strict=True):
        if case:
            tick.set_color(ACCENT)
            tick.set_fontweight("bold")
    ax.set_ylim(len(frame) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("Andel af befolkningen 16–66 år på offentlig forsørgelse (pct.)")
    decimal_comma(ax, axis="x")
    handles = [  # in the order of the bars in each row
        Patch(facecolor=LIGHT, edgecolor=BLUE, lw=0.7, label="Forventet"),
        Patch(facecolor=GREY, label="Faktisk"),
    ]
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2, borderaxespad=0.2)
    return fig


def scatter_rankings(
    table: pd.DataFrame, *, x: str, y: str, xlabel: str, ylabel: str, highlight: int | None = None
) -> Figure:
    """Two rankings of the same units against each other (e.g. DEA vs expected caseload).

    Both axes are rank axes (1 = bedst at the top and the left)."""
    _require(table, ["code", "name", x, y], "scatter_rankings")
    fig, ax = _figure((5.2, 4.6))
    is_case = (table["code"] == highlight).to_numpy()
    ax.scatter(table[x], table[y], c=np.where(is_case, ACCENT, GREY), s=14, linewidths=0)
    n = int(max(len(table), table[x].max(), table[y].max()))
    ax.plot([0, n + 1], [0, n + 1], color=DARK, lw=0.8, ls=(0, (4, 2)))
    _rank_axis(ax, "x", n, label=f"{xlabel} (1 = bedst)" if "1 = bedst" not in xlabel else xlabel)
    _rank_axis(ax, "y", n, label=f"{ylabel} (1 = bedst)" if "1 = bedst" not in ylabel else ylabel)
    labs = _labels_for(table, [], table[x], table[y], highlight=[] if highlight is None else [highlight])
    _place_labels(
        ax,
        labs,
        points=table[[x, y]].to_numpy(dtype=float),
        segments=[np.array([[0, 0, n + 1, n + 1]])],
    )
    return fig


def rank_over_years(history: pd.DataFrame, *, highlight: int) -> Figure:
    """Placement of every municipality by period (grey), the case with its 95 % rank interval.

    ``history`` has one row per period and municipality with ``period, code, rank, rank_lower,
    rank_upper`` (:data:`analysis.model.history.HISTORY_COLUMNS`); periods are equally spaced
    on the x axis in their sort order and labelled in Danish. The case's placements are
    written beside its points, off its line and intervals.
    """
    from analysis.report.labels import period_short

    _require(history, ["period", "code", "rank", "rank_lower", "rank_upper"], "rank_over_years")
    if not (history["code"] == highlight).any():
        raise ValueError(f"rank_over_years: municipality {highlight} is not in the history frame")
    fig, ax = _figure((6.3, 3.4))
    wide = history.pivot(index="period", columns="code", values="rank").sort_index()
    periods = [str(p) for p in wide.index]
    x = np.arange(len(periods))
    for code in wide.columns:
        if code != highlight:
            ax.plot(x, wide[code], color=GREY, lw=0.5, alpha=0.35, zorder=1)
    case = history[history["code"] == highlight].set_index("period").reindex(wide.index)
    ax.vlines(x, case["rank_lower"], case["rank_upper"], color=ACCENT, lw=1.2, zorder=2)
    ax.plot(x, case["rank"], color=ACCENT, lw=1.6, marker="o", ms=4, zorder=3)
    ax.set_xticks(x, [period_short(p) for p in periods])
    ax.set_xlim(-0.4, len(periods) - 0.6)
    _rank_axis(ax, "y", int(wide.shape[1]))
    ax.set_xlabel("Periode" if any(len(p) > 4 for p in periods) else "År")
    ax.grid(axis="x", visible=False)
    ok = case["rank"].notna().to_numpy()
    labs = [
        _Label(float(xi), float(r), str(int(r)), case=True)
        for xi, r in zip(x[ok], case["rank"].to_numpy()[ok], strict=True)
    ]
    segs = [
        _segments(x[ok], case["rank"].to_numpy(dtype=float)[ok]),
        _segments(x, case["rank_lower"].to_numpy(dtype=float), case["rank_upper"].to_numpy(dtype=float)),
    ]
    _place_labels(
        ax,
        labs,
        points=np.column_stack([x[ok], case["rank"].to_numpy(dtype=float)[ok]]),
        marker_pt=2.5,
        segments=segs,
        radii_pt=(1.5, 3, 5, 8),
        leaders=False,
    )
    return fig


def agreement_scatter(
    table: pd.DataFrame, *, label_codes: Sequence[int] = (), highlight: int | None = None
) -> Figure:
    """The open model's gap against the Ministry's, one dot per municipality, with the 45° line.

    ``table`` has ``code, name, difference_pp, official_difference_pp`` (pct.-points), as
    :meth:`analysis.yardsticks.official.OfficialComparison.of` gives it. The ``label_codes``
    are named in grey, the case in the accent colour, off the dots and the 45° line.
    """
    _require(table, ["code", "name", "difference_pp", "official_difference_pp"], "agreement_scatter")
    fig, ax = _figure((6.3, 4.2))
    x = table["official_difference_pp"].to_numpy(dtype=float)
    y = table["difference_pp"].to_numpy(dtype=float)
    span = float(max(np.nanmax(x), np.nanmax(y)) - min(np.nanmin(x), np.nanmin(y)))
    lo = float(min(np.nanmin(x), np.nanmin(y))) - 0.06 * span
    hi = float(max(np.nanmax(x), np.nanmax(y))) + 0.06 * span
    ax.axhline(0, color=LIGHT, lw=0.8, zorder=0)
    ax.axvline(0, color=LIGHT, lw=0.8, zorder=0)
    is_case = (table["code"] == highlight).to_numpy()
    ax.scatter(x[~is_case], y[~is_case], c=GREY, s=14, zorder=2, linewidths=0)
    if is_case.any():
        ax.scatter(x[is_case], y[is_case], c=ACCENT, s=22, zorder=3, linewidths=0)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("Ministeriet: faktisk − forventet (pct.-point)")
    ax.set_ylabel("Åben model: faktisk − forventet (pct.-point)")
    decimal_comma(ax, axis="x")
    decimal_comma(ax, axis="y")
    # One unit is as long on both axes (the 45° line is at 45°); the x range widens around the
    # data to fill the page width instead of the figure shrinking to a square.
    renderer = _renderer(fig)
    fig.draw_without_rendering()
    box = ax.get_window_extent(renderer)
    half = (hi - lo) * box.width / box.height / 2
    mid = (lo + hi) / 2
    x0, x1 = mid - half, mid + half
    ax.set_xlim(x0, x1)
    ax.plot([x0, x1], [x0, x1], color=DARK, lw=0.8, zorder=1)
    labs = _labels_for(table, list(label_codes), x, y, highlight=[] if highlight is None else [highlight])
    _place_labels(
        ax, labs, points=np.column_stack([x, y]), marker_pt=2.2, segments=[np.array([[x0, x0, x1, x1]])]
    )
    return fig
