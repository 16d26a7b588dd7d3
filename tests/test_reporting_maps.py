"""The tile-grid Danmarkskort: one tile per municipality, no overlaps, deterministic."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from analysis.core.municipalities import codes
from analysis.report.maps import MAP_NOTE, danmarkskort, load_tilegrid, tile_positions


def test_98_tiles_one_per_code_no_shared_cell():
    t = tile_positions()
    assert len(t) == 98
    assert sorted(t.index) == codes()
    assert not t[["col", "row"]].duplicated().any()
    assert (t[["col", "row"]] >= 0).all().all()
    assert t["short"].is_unique


def test_deterministic():
    a = tile_positions()
    from analysis.report import maps

    maps._positions.cache_clear()
    b = tile_positions()
    pd.testing.assert_frame_equal(a, b)


def test_tiles_keep_rough_geography():
    # Invariant: tile rows follow latitude and tile columns follow longitude (Bornholm excluded,
    # it is moved); rank correlation well above chance.
    t = tile_positions().drop(index=400)
    g = load_tilegrid().drop(index=400)
    assert spearmanr(t["row"], g.loc[t.index, "lat"]).statistic > 0.8
    assert spearmanr(t["col"], g.loc[t.index, "lon"]).statistic > 0.8
    # Hjørring is north of Sønderborg, Esbjerg west of Aarhus
    assert t.loc[860, "row"] > t.loc[540, "row"]
    assert t.loc[561, "col"] < t.loc[751, "col"]


def test_danmarkskort_draws_98_tiles_and_highlight():
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex
    from matplotlib.patches import Rectangle

    from analysis.report.theme import ACCENT

    values = pd.Series(np.linspace(-1, 1, 98), index=codes())
    values.iloc[3] = np.nan  # missing value is drawn hatched, not dropped
    fig = danmarkskort(values, highlight="Nyborg", label="pct.-point")
    ax = fig.axes[0]
    rects = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(rects) == 98
    outlined = [r for r in rects if to_hex(r.get_edgecolor()) == ACCENT.lower()]
    assert len(outlined) == 1
    assert sum(1 for r in rects if r.get_hatch()) == 1
    assert len(ax.texts) == 98
    plt.close(fig)


def test_danmarkskort_rejects_unknown_codes():
    with pytest.raises(KeyError, match="unknown municipality codes"):
        danmarkskort({999: 1.0})


def test_map_note_says_tile_grid():
    assert "tile grid" in MAP_NOTE
    assert "ikke de sande kommunegrænser" in MAP_NOTE
