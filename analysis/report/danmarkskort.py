"""Danmarkskort: a choropleth of the 98 municipalities on their real boundaries.

The map is drawn from the DAGI 1:500.000 boundaries (:func:`analysis.data.public.geo.
load_boundaries`), simplified once per process with a topology-preserving coverage
simplification (neighbours keep their shared borders, so no slivers or gaps appear), and
turned into matplotlib paths that every figure reuses. A figure is then a few path
collections and a colour bar: well under a second, so a batch of 98 case reports is cheap.

Layout (A4 text width, 16 cm): Jylland, Fyn, Sjælland and the islands on the left;
Bornholm, far to the east, in a framed box in the map's upper right corner (over the
Kattegat, at the same scale); to the right an enlargement of the dense capital area (its
frame drawn on the map); a horizontal diverging colour bar centred under it all. Christiansø is left out. Every figure's "Anm.:" should say so
(:data:`MAP_NOTE`) and its "Kilde:" line must credit the boundaries (:data:`ATTRIBUTION`).

Examples
--------
>>> import numpy as np, pandas as pd
>>> from analysis.core.municipalities import codes
>>> from analysis.report.danmarkskort import choropleth
>>> gap = pd.Series(np.linspace(-3, 3, 98), index=codes())
>>> fig = choropleth(gap, highlight=450, label="Forskel mellem faktisk og forventet andel, pct.-point")
>>> [ax.get_label() for ax in fig.axes]
['danmarkskort', 'bornholm', 'hovedstadsomraadet', 'farveskala']
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.data.public.geo import ATTRIBUTION
from analysis.report.theme import ACCENT, DARK, DIVERGING, FONT, GREY, apply_theme

BORNHOLM = 400
CAPITAL_AREA = (101, 147, 151, 153, 155, 157, 159, 161, 163, 165, 167, 173, 175, 183, 185, 187)
"""Municipalities the enlargement of the capital area is framed around (København, Frederiksberg
and the small municipalities around them; their neighbours show where they fall in the frame)."""
TOLERANCE_M = 300.0
"""Simplification tolerance of the main map and the Bornholm box, metres (about 0,3 pt at the
map's scale of roughly 80 km per inch: invisible in print, a quarter of the vertices)."""
TOLERANCE_ZOOM_M = 80.0
"""Simplification tolerance of the enlarged capital area, metres (about 0,3 pt at its scale)."""
FIGSIZE = (6.3, 5.35)
"""Inches (16,0 × 13,6 cm): the A4 text width of the report theme."""
MISSING_LABEL = "Ingen værdi"


def map_note(*, capital_inset: bool = True) -> str:
    """The "Anm.:" sentences that explain the map's layout (Bornholm, the capital area, Christiansø).

    Examples
    --------
    >>> map_note(capital_inset=False)
    'Bornholm er vist i rammen øverst til højre i samme målestok som resten af kortet. Christiansø er udeladt.'
    """
    capital = (
        "Hovedstadsområdet (markeret med en ramme på kortet) er vist forstørret til højre. "
        if capital_inset
        else ""
    )
    return (
        "Bornholm er vist i rammen øverst til højre i samme målestok som resten af kortet. "
        f"{capital}Christiansø er udeladt."
    )


MAP_NOTE = map_note()
"""The "Anm.:" text for the default layout (with the enlargement of the capital area)."""

__all__ = [
    "ATTRIBUTION",
    "CAPITAL_AREA",
    "FIGSIZE",
    "MAP_NOTE",
    "MISSING_LABEL",
    "choropleth",
    "colour_limits",
    "map_note",
]

_EDGE = "white"
_MISSING_FACE = "#EEF0F2"
_HATCH = "/////"
_FRAME = "#8A939C"
_PAD = 0.015  # main map extent padding, fraction of its height


# --------------------------------------------------------------------------- geometry (cached)
@dataclass(frozen=True)
class _Shapes:
    geoms: dict[int, Any]  # code -> simplified shapely geometry
    paths: dict[int, Any]  # code -> matplotlib Path (all parts, holes as reversed rings)
    main_part: dict[int, tuple[float, float, float, float]]  # bbox of the largest part
    bounds: dict[int, tuple[float, float, float, float]]
    land: Any  # prepared union of all municipalities (label placement, coastline)


def _to_path(geom: Any) -> Any:
    import shapely
    from matplotlib.path import Path

    verts, codes = [], []
    for poly in getattr(geom, "geoms", [geom]):
        poly = shapely.orient_polygons(poly)  # exterior ccw, holes cw: holes under any fill rule
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords)[:, :2]
            c = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
            c[0], c[-1] = Path.MOVETO, Path.CLOSEPOLY
            verts.append(xy)
            codes.append(c)
    return Path(np.concatenate(verts), np.concatenate(codes))


@cache
def _shapes(tolerance: float) -> _Shapes:
    import shapely

    from analysis.data.public.geo import load_boundaries

    gdf = load_boundaries()
    simple = shapely.coverage_simplify(gdf.geometry.to_numpy(), tolerance)
    geoms, paths, main_part, bounds = {}, {}, {}, {}
    for code, geom in zip(gdf.index, simple, strict=True):
        code = int(code)
        geoms[code] = geom
        paths[code] = _to_path(geom)
        largest = max(getattr(geom, "geoms", [geom]), key=lambda p: p.area)
        main_part[code] = tuple(float(v) for v in largest.bounds)
        bounds[code] = tuple(float(v) for v in geom.bounds)
    land = shapely.union_all(simple)
    shapely.prepare(land)
    return _Shapes(geoms, paths, main_part, bounds, land)


def _extent(shapes: _Shapes, codes: list[int], pad: float) -> tuple[float, float, float, float]:
    b = np.array([shapes.bounds[c] for c in codes])
    x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    p = pad * (y1 - y0)
    return x0 - p, y0 - p, x1 + p, y1 + p


# --------------------------------------------------------------------------- colour scale
def _nice_ceil(x: float) -> float:
    if not x > 0:
        return 1.0
    e = 10.0 ** math.floor(math.log10(x))
    return next(m * e for m in (1, 2, 3, 4, 5, 6, 8, 10) if m * e >= x * (1 - 1e-9))


def colour_limits(
    values: pd.Series, *, center: float = 0.0, limit: float | None = None, quantile: float = 1.0
) -> tuple[float, float, str]:
    """Symmetric colour limits around ``center`` and the colour bar's ``extend`` arrows.

    Parameters
    ----------
    values
        The mapped values (NaN ignored).
    center
        The value drawn in the neutral middle colour (0 = as expected).
    limit
        Half-width of the scale in the values' unit; default: the ``quantile`` of the absolute
        deviations from ``center``, rounded up to 1, 2, 3, 4, 5, 6 or 8 times a power of ten
        (so the ticks at ±limit and ±limit/2 are round numbers).
    quantile
        In (0, 1]; below 1, the few values beyond the limit get the end colours and the
        colour bar an arrow at that end.

    Returns
    -------
    (vmin, vmax, extend)
        ``vmin = center - h``, ``vmax = center + h``; ``extend`` is ``"neither"``, ``"min"``,
        ``"max"`` or ``"both"``.

    Examples
    --------
    >>> import pandas as pd
    >>> colour_limits(pd.Series([-1.2, 0.4, 2.7]))
    (-3.0, 3.0, 'neither')
    >>> colour_limits(pd.Series([-1.2, 0.4, 2.7]), limit=2.0)
    (-2.0, 2.0, 'max')
    """
    if not 0 < quantile <= 1:
        raise ValueError(f"quantile must be in (0, 1], got {quantile!r}")
    dev = (pd.Series(values, dtype="float64") - center).dropna()
    if limit is None:
        half = _nice_ceil(float(dev.abs().quantile(quantile))) if len(dev) else 1.0
    elif not (math.isfinite(limit) and limit > 0):
        raise ValueError(f"limit must be a positive number, got {limit!r}")
    else:
        half = float(limit)
    below, above = bool((dev < -half).any()), bool((dev > half).any())
    extend = {(False, False): "neither", (True, False): "min", (False, True): "max"}.get(
        (below, above), "both"
    )
    return center - half, center + half, extend


def _tick_formatter(center: float, decimals: int | None, ticks: np.ndarray) -> Any:
    from matplotlib.ticker import FixedFormatter

    from analysis.report.fmt import num

    if decimals is None:
        decimals = next((k for k in range(3) if np.allclose(ticks * 10**k, np.round(ticks * 10**k))), 2)
    return FixedFormatter([num(float(t), decimals, sign=center == 0) for t in ticks])


# --------------------------------------------------------------------------- drawing
def _collections(
    ax: Any,
    shapes: _Shapes,
    codes: list[int],
    series: pd.Series,
    cmap: Any,
    norm: Any,
    linewidth: float,
) -> None:
    from matplotlib.collections import PatchCollection
    from matplotlib.patches import PathPatch

    have = [c for c in codes if not np.isnan(series[c])]
    lack = [c for c in codes if np.isnan(series[c])]
    if have:
        pc = PatchCollection(
            [PathPatch(shapes.paths[c]) for c in have],
            cmap=cmap,
            norm=norm,
            edgecolor=_EDGE,
            linewidth=linewidth,
            zorder=2,
        )
        pc.set_array(series[have].to_numpy())
        pc.set_gid("kommuner")
        ax.add_collection(pc, autolim=False)
    if lack:
        patches = [PathPatch(shapes.paths[c]) for c in lack]
        pc = PatchCollection(patches, facecolor=_MISSING_FACE, edgecolor=_EDGE, linewidth=linewidth, zorder=2)
        pc.set_gid("kommuner-uden-vaerdi")
        ax.add_collection(pc, autolim=False)
        # the hatch in its own layer: its colour is the edge colour in every matplotlib version
        hatch = PatchCollection(
            patches, facecolor="none", edgecolor=GREY, linewidth=0, hatch=_HATCH, zorder=2
        )
        hatch.set_gid("kommuner-uden-vaerdi-skravering")
        ax.add_collection(hatch, autolim=False)


def _outline(ax: Any, shapes: _Shapes, code: int, lw: float) -> None:
    from matplotlib.patches import PathPatch

    # a white casing under the accent line keeps it visible on the red end of the scale
    for colour, width, gid in (("white", lw + 1.6, "fremhaevet-kant"), (ACCENT, lw, "fremhaevet")):
        patch = PathPatch(
            shapes.paths[code],
            facecolor="none",
            edgecolor=colour,
            linewidth=width,
            joinstyle="round",
            zorder=4,
        )
        patch.set_gid(gid)
        ax.add_artist(patch)  # add_patch would walk every vertex to update data limits


def _label(
    ax: Any, shapes: _Shapes, code: int, name: str, m_per_pt: float, size: float, avoid: Any = None
) -> Any:
    """Write ``name`` beside the municipality: inside the axes, off ``avoid`` (other boxes drawn
    on the map), covering as little land (and above all of the municipality itself) as possible."""
    import shapely
    from matplotlib import patheffects
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    prop = FontProperties(family=FONT, weight="bold", size=size)
    w_pt = TextToPath().get_text_width_height_descent(name, prop, ismath=False)[0] + 3  # + halo
    w, h = w_pt * m_per_pt, 1.25 * size * m_per_pt
    gap = 3 * m_per_pt
    x0, y0, x1, y1 = shapes.main_part[code]
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    ax0, ax1 = ax.get_xlim()
    ay0, ay1 = ax.get_ylim()
    own = shapes.geoms[code]
    # centres of the candidate boxes: beside, above, below and at the four corners
    cx = {"l": x0 - gap - w / 2, "c": xm, "r": x1 + gap + w / 2}
    cy = {"b": y0 - gap - h / 2, "c": ym, "t": y1 + gap + h / 2}
    best, best_box, best_cost = (xm, ym), None, math.inf
    for i, (kx, ky) in enumerate(
        (("r", "c"), ("l", "c"), ("c", "t"), ("c", "b"), ("r", "t"), ("l", "t"), ("r", "b"), ("l", "b"))
    ):
        # clamp into the axes (a small margin), so the name never crosses the map's edge
        x = min(max(cx[kx], ax0 + w / 2 + gap), ax1 - w / 2 - gap)
        y = min(max(cy[ky], ay0 + h / 2 + gap), ay1 - h / 2 - gap)
        box = shapely.box(x - w / 2, y - h / 2, x + w / 2, y + h / 2)
        land = shapely.intersection(shapes.land, box).area / (w * h)
        cost = land + 3 * shapely.intersection(own, box).area / (w * h) + 0.01 * i
        if avoid is not None and shapely.intersects(avoid, box):
            cost += 10
        if cost < best_cost:
            best, best_box, best_cost = (x, y), box, cost
    text = ax.text(
        *best,
        name,
        ha="center",
        va="center",
        fontproperties=prop,
        color=ACCENT,
        zorder=6,
        path_effects=[patheffects.withStroke(linewidth=2.6, foreground="white")],
    )
    text.set_gid("fremhaevet-navn")
    leader = shapely.shortest_line(best_box, own)
    if leader.length > 4 * m_per_pt:  # the name stands off the municipality: point at it
        (lx0, ly0), (lx1, ly1) = leader.coords
        ax.plot([lx0, lx1], [ly0, ly1], color=ACCENT, lw=0.8, zorder=5, solid_capstyle="butt", gid="leder")
    return text


def _map_axes(fig: Figure, rect: list[float], extent: tuple[float, float, float, float], name: str) -> Any:
    ax = fig.add_axes(rect, label=name)
    ax.set_xlim(extent[0], extent[2])
    ax.set_ylim(extent[1], extent[3])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    ax.set_facecolor("none")
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax


def _frame(ax: Any) -> None:
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color(_FRAME)
        spine.set_linewidth(0.6)


def choropleth(
    values: pd.Series,
    *,
    label: str,
    highlight: int | str | None = None,
    center: float = 0.0,
    limit: float | None = None,
    quantile: float = 1.0,
    decimals: int | None = None,
    low_text: str = "Færre end forventet",
    high_text: str = "Flere end forventet",
    cmap: str = DIVERGING,
    capital_inset: bool = True,
) -> Figure:
    """Danmarkskort: the 98 municipalities coloured by a value, on their real boundaries.

    Parameters
    ----------
    values
        One value per municipality, indexed by municipality code (``int``), e.g. actual minus
        expected share on public support in percentage points. Municipalities that are absent
        from the index or NaN are drawn hatched light grey and the legend says
        :data:`MISSING_LABEL` ("Ingen værdi"); they are never coloured as if "as expected".
    label
        Colour-bar label with unit, e.g. "Forskel mellem faktisk og forventet andel,
        pct.-point".
    highlight
        The case municipality (code or name): outlined thick in the theme's accent colour
        (on a white casing, so it shows on the red end of the scale too) and labelled with
        its name beside it, where the name covers the least land and stays inside the map
        (with a short leader line if it stands off). Inside the enlargement if at least two
        thirds of its area lie there (outlined in both maps); under the box for Bornholm.
    center
        The value at the neutral middle of the diverging scale (0 = as expected).
    limit, quantile
        Symmetric colour limits ``center ± limit``; see :func:`colour_limits` (default: the
        largest absolute deviation, rounded up to a round number).
    decimals
        Decimals of the colour-bar tick labels (default: as few as the ticks need). Ticks are
        at ``center``, ``center ± limit/2`` and ``center ± limit`` in Danish number format
        (decimal comma, true minus, "+" on positive differences when ``center`` is 0).
    low_text, high_text
        What values below and above ``center`` mean, written under the two ends of the
        colour bar.
    cmap
        Diverging matplotlib colour map (low values at its first end); default the theme's.
    capital_inset
        Add the enlargement of the capital area (:data:`CAPITAL_AREA`) to the right of the
        map; the main map then marks the enlarged area with a thin frame. Without it the
        figure is only as wide as the map.

    Returns
    -------
    matplotlib.figure.Figure
        :data:`FIGSIZE` inches (16 × 13,6 cm; without ``capital_inset`` only as wide as the
        map, about 9,5 cm), not attached to pyplot (nothing to close). Its axes carry the
        labels ``"danmarkskort"``, ``"bornholm"``, ``"hovedstadsomraadet"`` (if
        ``capital_inset``), ``"farveskala"`` (the colour bar) and ``"uden-vaerdi"`` (the
        legend swatch, only when values are missing); the municipality collections have
        gids ``"kommuner"`` and ``"kommuner-uden-vaerdi"``, the highlight outline
        ``"fremhaevet"`` and its name ``"fremhaevet-navn"``. The gids also appear as ``id``
        attributes in the SVG.

    Raises
    ------
    TypeError
        ``values`` is not a pandas Series.
    analysis.core.municipalities.UnknownMunicipalityError
        ``values`` has codes that are not among the 98 municipalities (Christiansø, 411,
        among them), or ``highlight`` is not a municipality.
    ValueError
        Duplicated codes, infinite values, no value at all, or invalid ``limit`` /
        ``quantile``.

    Notes
    -----
    Boundaries: DAGI 1:500.000 (2014), ETRS89 / UTM 32N; credit them in the figure's
    "Kilde:" line with :data:`ATTRIBUTION`. The main map and the Bornholm box share one
    scale; the capital area is enlarged about four times.
    """
    from matplotlib import colormaps
    from matplotlib.colors import Normalize
    from matplotlib.patches import Rectangle

    from analysis.core.municipalities import UnknownMunicipalityError, codes, lookup

    series = _check_values(values, codes(), UnknownMunicipalityError)
    hl = lookup(highlight).code if highlight is not None else None
    vmin, vmax, extend = colour_limits(series, center=center, limit=limit, quantile=quantile)
    norm = Normalize(vmin, vmax, clip=False)
    cm = colormaps[cmap]

    apply_theme()
    shapes = _shapes(TOLERANCE_M)
    layout = _layout(bool(capital_inset))
    fig = Figure(figsize=layout.size)
    main_codes = [c for c in series.index if c != BORNHOLM]

    ax = _map_axes(fig, layout.main, layout.main_extent, "danmarkskort")
    _collections(ax, shapes, main_codes, series, cm, norm, 0.3)
    _coast(ax, TOLERANCE_M, layout.main_extent, 0.3)

    bax = _map_axes(fig, layout.bornholm, layout.bornholm_extent, "bornholm")
    _frame(bax)
    _collections(bax, shapes, [BORNHOLM], series, cm, norm, 0.3)
    _coast(bax, TOLERANCE_M, layout.bornholm_extent, 0.3)

    zax, zoom_codes = None, []
    if layout.zoom is not None:
        fine = _shapes(TOLERANCE_ZOOM_M)
        zext = layout.zoom_extent
        zax = _map_axes(fig, layout.zoom, zext, "hovedstadsomraadet")
        _frame(zax)
        zoom_codes = [c for c in series.index if _overlaps(fine.bounds[c], zext)]
        _collections(zax, fine, zoom_codes, series, cm, norm, 0.6)
        _coast(zax, TOLERANCE_ZOOM_M, zext, 0.5)
        zax.text(0.0, 1.02, "Hovedstadsområdet, forstørret", transform=zax.transAxes, fontsize=8, va="bottom")
        frame = Rectangle(
            (zext[0], zext[1]),
            zext[2] - zext[0],
            zext[3] - zext[1],
            facecolor="none",
            edgecolor=DARK,
            linewidth=0.6,
            zorder=5,
        )
        frame.set_gid("hovedstadsomraadet-ramme")
        ax.add_artist(frame)

    if hl == BORNHOLM:
        _outline(bax, shapes, hl, 1.4)
        t = bax.text(1.0, -0.05, lookup(hl).name, transform=bax.transAxes, ha="right", va="top")
        t.set(fontsize=8.5, fontweight="bold", color=ACCENT)
        t.set_gid("fremhaevet-navn")
    elif hl is not None:
        _outline(ax, shapes, hl, 1.4)
        if zax is not None and hl in zoom_codes:
            _outline(zax, _shapes(TOLERANCE_ZOOM_M), hl, 1.8)
        if zax is not None and hl in zoom_codes and _share_inside(hl, layout.zoom_extent) >= 2 / 3:
            _label(zax, _shapes(TOLERANCE_ZOOM_M), hl, lookup(hl).name, layout.zoom_scale / 72, 8.5)
        else:
            _label(ax, shapes, hl, lookup(hl).name, layout.scale / 72, 8.5, avoid=layout.obstacles)

    _legend(
        fig,
        layout.size,
        cm,
        norm,
        extend,
        label,
        (low_text, high_text),
        center,
        decimals,
        series.isna().any(),
    )
    return fig


@dataclass(frozen=True)
class _Layout:
    size: tuple[float, float]  # figure, inches
    scale: float  # metres per inch, main map and Bornholm
    main: list[float]  # figure fractions
    main_extent: tuple[float, float, float, float]  # metres
    bornholm: list[float]
    bornholm_extent: tuple[float, float, float, float]
    zoom: list[float] | None
    zoom_extent: tuple[float, float, float, float]
    zoom_scale: float
    obstacles: Any  # shapely geometry (main-map metres) of the Bornholm box and the zoom frame


_BOTTOM = 0.86  # inches below the map for the colour bar
_TOP = 0.03
_COLUMN_GAP = 0.25
_ZOOM_ASPECT = 1.4  # height / width of the capital enlargement


@cache
def _layout(capital_inset: bool) -> _Layout:
    """Axes rectangles and map windows (figure inches → fractions), computed once."""
    import shapely

    shapes = _shapes(TOLERANCE_M)
    H = FIGSIZE[1]
    ext = _extent(shapes, [c for c in shapes.paths if c != BORNHOLM], _PAD)
    map_h = H - _BOTTOM - _TOP
    scale = (ext[3] - ext[1]) / map_h
    map_w = (ext[2] - ext[0]) / scale
    W = FIGSIZE[0] if capital_inset else map_w  # without the enlargement: as wide as the map
    main = [0.0, _BOTTOM / H, map_w / W, map_h / H]

    # Bornholm in the upper right corner of the main map (the Kattegat), same scale
    bext = _extent(shapes, [BORNHOLM], 0.12)
    bw, bh = (bext[2] - bext[0]) / scale, (bext[3] - bext[1]) / scale
    box = shapely.box(ext[2] - bw * scale, ext[3] - bh * scale, ext[2], ext[3])  # covers sea only
    bornholm = [(map_w - bw) / W, (H - _TOP - bh) / H, bw / W, bh / H]

    zoom, zext, zscale = None, ext, scale
    if capital_inset:
        fine = _shapes(TOLERANCE_ZOOM_M)
        cx0, cy0, cx1, cy1 = _extent(fine, list(CAPITAL_AREA), 0.03)
        zw = W - map_w - _COLUMN_GAP - 0.02
        zh = zw * _ZOOM_ASPECT
        zscale = (cx1 - cx0) / zw
        # the frame starts at the Køge Bugt coast and extends north (land, not sea)
        zext = (cx0, cy0, cx1, cy0 + zh * zscale)
        zoom = [(map_w + _COLUMN_GAP) / W, (H - _TOP - 0.2 - zh) / H, zw / W, zh / H]
    obstacles = box if zoom is None else shapely.union(box, shapely.box(*zext).boundary.buffer(scale / 72))
    return _Layout((W, H), scale, main, ext, bornholm, bext, zoom, zext, zscale, obstacles)


def _share_inside(code: int, window: tuple[float, float, float, float]) -> float:
    import shapely

    geom = _shapes(TOLERANCE_ZOOM_M).geoms[code]
    return shapely.clip_by_rect(geom, *window).area / geom.area


@cache
def _coast_path(tolerance: float, window: tuple[float, float, float, float]) -> Any:
    import shapely
    from matplotlib.path import Path

    lines = shapely.intersection(_shapes(tolerance).land.boundary, shapely.box(*window))
    verts, codes = [], []
    for line in getattr(lines, "geoms", [lines]):
        xy = np.asarray(line.coords)[:, :2]
        if len(xy) < 2:
            continue
        c = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
        c[0] = Path.MOVETO
        verts.append(xy)
        codes.append(c)
    return Path(np.concatenate(verts), np.concatenate(codes))


def _coast(ax: Any, tolerance: float, window: tuple[float, float, float, float], lw: float) -> None:
    from matplotlib.patches import PathPatch

    patch = PathPatch(
        _coast_path(tolerance, window), facecolor="none", edgecolor=GREY, linewidth=lw, zorder=3
    )
    patch.set_gid("kystlinje")
    ax.add_artist(patch)


def _overlaps(b: tuple[float, float, float, float], e: tuple[float, float, float, float]) -> bool:
    return b[0] < e[2] and b[2] > e[0] and b[1] < e[3] and b[3] > e[1]


def _check_values(values: Any, all_codes: list[int], unknown_error: type[Exception]) -> pd.Series:
    if not isinstance(values, pd.Series):
        raise TypeError(
            f"choropleth: values must be a pandas Series indexed by code, got {type(values).__name__}"
        )
    s = pd.Series(values.to_numpy(dtype="float64"), index=pd.Index(values.index).astype("int64"))
    if s.index.duplicated().any():
        raise ValueError(f"choropleth: duplicated codes {sorted(set(s.index[s.index.duplicated()]))}")
    unknown = sorted(set(s.index) - set(all_codes))
    if unknown:
        raise unknown_error(f"choropleth: values for codes that are not municipalities: {unknown}")
    if np.isinf(s.to_numpy()).any():
        raise ValueError(f"choropleth: infinite values for codes {s.index[np.isinf(s.to_numpy())].tolist()}")
    s = s.reindex(all_codes)
    if s.isna().all():
        raise ValueError("choropleth: no municipality has a value; nothing to map")
    return s


def _legend(
    fig: Figure,
    size: tuple[float, float],
    cm: Any,
    norm: Any,
    extend: str,
    label: str,
    ends: tuple[str, str],
    center: float,
    decimals: int | None,
    any_missing: bool,
) -> None:
    from matplotlib.cm import ScalarMappable
    from matplotlib.patches import Rectangle

    W, H = size
    cw, ch, cy = min(3.3, W - 0.4), 0.11, 0.38
    cax = fig.add_axes([(W - cw) / 2 / W, cy / H, cw / W, ch / H], label="farveskala")
    cb = fig.colorbar(ScalarMappable(norm=norm, cmap=cm), cax=cax, orientation="horizontal", extend=extend)
    cb.outline.set_visible(False)
    half = (norm.vmax - norm.vmin) / 2
    ticks = center + half * np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    cb.set_ticks(ticks)
    cax.xaxis.set_major_formatter(_tick_formatter(center, decimals, ticks))
    cax.tick_params(axis="x", length=2.5, width=0.6, pad=1.5, labelsize=8, color=DARK)
    cax.grid(False)
    cb.set_label(label, fontsize=9, labelpad=3)
    y = (cy + ch + 0.05) / H
    kw = {"fontsize": 8, "color": DARK, "va": "bottom"}
    fig.text((W - cw) / 2 / W, y, f"← {ends[0]}", ha="left", gid="lav-tekst", **kw)
    fig.text((W + cw) / 2 / W, y, f"{ends[1]} →", ha="right", gid="hoej-tekst", **kw)
    if any_missing:
        # beside the bar's right end if there is room, else in the map's upper left (Skagerrak)
        x, y = ((W + cw) / 2 + 0.3, cy) if W - (W + cw) / 2 > 1.3 else (0.05, H - _TOP - 0.25)
        box = fig.add_axes([x / W, y / H, 0.2 / W, ch / H], label="uden-vaerdi")
        box.axis("off")
        box.add_patch(Rectangle((0, 0), 1, 1, facecolor=_MISSING_FACE, hatch=_HATCH, edgecolor=GREY, lw=0.4))
        fig.text((x + 0.27) / W, (y + ch / 2) / H, MISSING_LABEL, ha="left", va="center", fontsize=8)
