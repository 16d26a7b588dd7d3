"""Danmarkskort: a tile-grid map of the 98 municipalities.

No geometry library is needed: each municipality gets one square tile on a regular grid.
Tiles are assigned by an optimal assignment (Hungarian algorithm, ``scipy.optimize.
linear_sum_assignment``) of the municipalities' approximate positions (``resources/
tilegrid.csv``, see ``TILEGRID.md`` for provenance) to grid cells, minimising the total
squared displacement. The map shows position only roughly and areas not at all; every figure
note must say so (:data:`MAP_NOTE`).

Examples
--------
>>> from analysis.report.maps import tile_positions
>>> tiles = tile_positions()
>>> len(tiles), bool(tiles[["col", "row"]].duplicated().any())
(98, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from analysis.core.paths import PACKAGE_DIR

TILEGRID_FILE = PACKAGE_DIR / "resources" / "tilegrid.csv"
MAP_NOTE = (
    "Kortet er et felt-kort (tile grid): hver kommune er ét lige stort felt placeret omtrent efter "
    "kommunens hovedby; det viser ikke de sande kommunegrænser eller arealer. Bornholm er flyttet."
)
BORNHOLM = 400
_BORNHOLM_INSET = (55.25, 13.05)  # lat, lon where Bornholm is drawn
_LAT0 = 56.0
_CAPITAL = (55.70, 12.45)  # lat, lon of the fisheye centre
_FISHEYE = (1.5, 0.7)  # extra stretch at the centre, radius in degrees
CELL = 0.22
"""Tile size in degrees latitude (longitude scaled by cos 56°)."""

__all__ = ["MAP_NOTE", "danmarkskort", "load_tilegrid", "tile_positions"]


@lru_cache(maxsize=1)
def load_tilegrid() -> pd.DataFrame:
    """The tile-grid positions, indexed by municipality code, checked against the registry."""
    from analysis.core.municipalities import codes

    df = pd.read_csv(
        TILEGRID_FILE, dtype={"code": "int64", "short": "string", "lat": "float64", "lon": "float64"}
    )
    if df["code"].duplicated().any():
        raise ValueError(
            f"{TILEGRID_FILE}: duplicated codes {df.loc[df['code'].duplicated(), 'code'].tolist()}"
        )
    missing = sorted(set(codes()) - set(df["code"]))
    extra = sorted(set(df["code"]) - set(codes()))
    if missing or extra:
        raise ValueError(f"{TILEGRID_FILE}: codes missing {missing}, not municipalities {extra}")
    if df[["lat", "lon"]].isna().any().any() or not df["lat"].between(54.5, 57.8).all():
        raise ValueError(f"{TILEGRID_FILE}: lat/lon missing or outside Denmark")
    return df.set_index("code", drop=False).rename_axis(None).sort_index()


@lru_cache(maxsize=4)
def _positions(cell: float) -> pd.DataFrame:
    from scipy.optimize import linear_sum_assignment

    tg = load_tilegrid()
    lat = tg["lat"].to_numpy().copy()
    lon = tg["lon"].to_numpy().copy()
    b = tg.index.get_loc(BORNHOLM)
    lat[b], lon[b] = _BORNHOLM_INSET
    x = lon * np.cos(np.deg2rad(_LAT0))
    y = lat.copy()
    # Spread the dense capital area (fisheye around Copenhagen) before gridding.
    cx, cy = _CAPITAL[1] * np.cos(np.deg2rad(_LAT0)), _CAPITAL[0]
    dx, dy = x - cx, y - cy
    stretch = 1 + _FISHEYE[0] * np.exp(-((dx**2 + dy**2) / _FISHEYE[1] ** 2))
    x, y = (cx + dx * stretch) / cell, (cy + dy * stretch) / cell
    x -= x.min()
    y -= y.min()
    cols = np.arange(int(np.floor(x.max())) + 3) - 1
    rows = np.arange(int(np.floor(y.max())) + 3) - 1
    cc, rr = np.meshgrid(cols, rows)
    cells = np.column_stack([cc.ravel(), rr.ravel()]).astype(float)
    pts = np.column_stack([x, y])
    cost = ((pts[:, None, :] - (cells[None, :, :] + 0.5)) ** 2).sum(axis=2)
    r, c = linear_sum_assignment(cost)
    order = np.argsort(r)
    chosen = cells[c[order]].astype(int)
    out = pd.DataFrame(
        {
            "code": tg.index.to_numpy(),
            "short": tg["short"].to_numpy(),
            "col": chosen[:, 0] - chosen[:, 0].min(),
            "row": chosen[:, 1] - chosen[:, 1].min(),
        },
        index=tg.index,
    )
    return out


def tile_positions(*, cell: float = CELL) -> pd.DataFrame:
    """Grid cell (``col``, ``row``; row 0 at the south) of each municipality, indexed by code.

    Deterministic: the same positions file and ``cell`` always give the same tiles.
    """
    if not 0.05 <= cell <= 0.5:
        raise ValueError(f"cell must be between 0.05 and 0.5 degrees, got {cell!r}")
    return _positions(float(cell)).copy()


def danmarkskort(
    values: Mapping[int, float] | pd.Series | None = None,
    *,
    highlight: int | str | None = None,
    cmap: str = "RdBu_r",
    center: float | None = 0.0,
    vmin: float | None = None,
    vmax: float | None = None,
    label: str | None = None,
    ax: Any = None,
    labels: bool = True,
    decimals: int | None = None,
    cell: float = CELL,
) -> Any:
    """Draw the tile-grid map of the 98 municipalities.

    Parameters
    ----------
    values
        A value per municipality code (e.g. ``difference_pp``), coloured with ``cmap``;
        ``None`` draws all tiles grey. Codes not among the 98 raise ``KeyError``; missing
        municipalities are drawn hatched light grey (never silently coloured).
    highlight
        The case municipality (code or name): outlined in the accent colour.
    cmap
        Matplotlib colour map name.
    center
        Value at the middle of the colour map (symmetric limits around it), or ``None``.
    vmin, vmax
        Colour limits (override ``center``).
    label
        Colour-bar label.
    ax
        Axes to draw in (a new square-ish figure otherwise).
    labels
        Write the three-letter label on each tile.
    decimals
        Decimals on the colour-bar ticks (default: as many as the ticks need).
    cell
        Tile size in degrees latitude (see :func:`tile_positions`).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize
    from matplotlib.patches import Rectangle

    from analysis.core.municipalities import lookup
    from analysis.report.theme import ACCENT, DARK, GREY, LIGHT, decimal_comma

    tiles = tile_positions(cell=cell)
    series = None
    if values is not None:
        series = pd.Series(values, dtype="float64")
        series.index = series.index.astype("int64")
        unknown = sorted(set(series.index) - set(tiles.index))
        if unknown:
            raise KeyError(f"danmarkskort: values for unknown municipality codes {unknown}")
    hl = lookup(highlight).code if highlight is not None else None
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.3, 5.6))
    else:
        fig = ax.figure
    norm = None
    cm = plt.get_cmap(cmap)
    if series is not None and series.notna().any():
        lo = float(series.min()) if vmin is None else vmin
        hi = float(series.max()) if vmax is None else vmax
        if center is not None and vmin is None and vmax is None:
            half = max(abs(lo - center), abs(hi - center)) or 1.0
            lo, hi = center - half, center + half
        norm = Normalize(lo, hi)
    for code, t in tiles.iterrows():
        v = series.get(code, np.nan) if series is not None else np.nan
        if series is None:
            face, hatch = GREY, None
        elif np.isnan(v):
            face, hatch = LIGHT, "///"
        else:
            face, hatch = cm(norm(v)), None
        edge, lw = (ACCENT, 2.2) if code == hl else ("white", 0.8)
        ax.add_patch(
            Rectangle(
                (t["col"], t["row"]),
                0.94,
                0.94,
                facecolor=face,
                edgecolor=edge,
                linewidth=lw,
                hatch=hatch,
                zorder=3 if code == hl else 2,
            )
        )
        if labels:
            rgba = face if not isinstance(face, str) else plt.matplotlib.colors.to_rgba(face)
            lum = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2]
            ax.text(
                t["col"] + 0.47,
                t["row"] + 0.47,
                t["short"],
                ha="center",
                va="center",
                fontsize=5.2,
                color="white" if lum < 0.5 else DARK,
                fontweight="bold" if code == hl else "normal",
                zorder=4,
            )
    ax.set_xlim(-0.5, tiles["col"].max() + 1.5)
    ax.set_ylim(-0.5, tiles["row"].max() + 1.5)
    ax.set_aspect("equal")
    ax.axis("off")
    if norm is not None:
        sm = plt.cm.ScalarMappable(norm=norm, cmap=cm)
        cb = fig.colorbar(sm, ax=ax, shrink=0.6, pad=0.01)
        if label:
            cb.set_label(label)
        cb.outline.set_visible(False)
        decimal_comma(cb.ax, axis="y", decimals=decimals)
    return fig
