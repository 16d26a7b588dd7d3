"""The real Danmarkskort: DAGI boundaries (loader) and the choropleth drawn on them.

Figure tests assert on the figure's objects (axes, collections, patches, texts), never on pixels.
"""

from __future__ import annotations

import json
import re
import shutil

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
import shapely

from analysis.core.io import file_sha256
from analysis.core.municipalities import UnknownMunicipalityError, codes
from analysis.core.paths import raw_dir
from analysis.core.validate import InputError
from analysis.data.public.geo import CHRISTIANSOE, FILE, SOURCE, load_boundaries
from analysis.report.danmarkskort import FIGSIZE, MISSING_LABEL, choropleth, colour_limits
from analysis.report.theme import ACCENT

LABEL = "Forskel mellem faktisk og forventet andel, pct.-point"


# --------------------------------------------------------------------------- loader
def test_boundaries_98_valid_polygons_in_metres():
    b = load_boundaries()
    assert len(b) == 98
    assert b.index.name == "code"
    assert b.index.tolist() == codes()
    assert CHRISTIANSOE not in b.index
    assert 400 in b.index
    assert b.crs.to_epsg() == 25832
    assert b.crs.is_projected
    assert b.crs.axis_info[0].unit_name == "metre"
    assert b.geometry.is_valid.all()
    assert not b.geometry.is_empty.any()
    assert not b.geometry.has_z.any()
    assert set(b.geom_type) <= {"Polygon", "MultiPolygon"}
    assert b.loc[169, "name"] == "Høje-Taastrup"  # registry names, not the file's spelling
    # Bornholm lies east of every other municipality
    assert b.loc[[400]].total_bounds[0] > b.drop(index=400).total_bounds[2]


def test_boundaries_reference_areas():
    # Reference values: Denmark's land area is about 42,900 km² (Statistics Denmark, ARE207);
    # København about 90 km², Bornholm about 588 km². The 1:500.000 generalisation moves
    # coastlines by up to a few hundred metres, so allow 3 % nationally and 5 % per municipality.
    area = load_boundaries().geometry.area / 1e6
    assert area.sum() == pytest.approx(42_900, rel=0.03)
    assert area[101] == pytest.approx(90, rel=0.05)
    assert area[400] == pytest.approx(588, rel=0.05)
    # the Frederiksberg enclave is a hole in København, not overlapping it
    b = load_boundaries()
    assert b.loc[101].geometry.intersection(b.loc[147].geometry).area < 1.0


def test_boundaries_cached_and_copied(monkeypatch):
    import geopandas

    a = load_boundaries()
    reads = []
    monkeypatch.setattr(geopandas, "read_file", lambda *a, **k: reads.append(a) or pytest.fail("read again"))
    b = load_boundaries()
    assert reads == []  # the parsed file is cached per process
    a.loc[450, "name"] = "changed"
    assert load_boundaries().loc[450, "name"] == "Nyborg"
    assert b.loc[450, "name"] == "Nyborg"


def test_attribution_is_the_one_the_provenance_asks_for():
    from analysis.data.public.geo import ATTRIBUTION

    prov = (raw_dir() / SOURCE / "PROVENANCE.md").read_text(encoding="utf-8")
    assert f'Attribute as: "{ATTRIBUTION}"' in prov


def _copy_raw(tmp_path, edit):
    """A copy of the raw boundary folder under ``tmp_path``, its GeoJSON edited by ``edit``
    and its PROVENANCE.md updated to the edited file's sha256 (so the code checks, not the
    sha256 check, must catch the change)."""
    folder = tmp_path / SOURCE
    shutil.copytree(raw_dir() / SOURCE, folder)
    path = folder / FILE
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc["features"])
    path.write_text(json.dumps(doc), encoding="utf-8")
    prov = folder / "PROVENANCE.md"
    text = re.sub(r"[0-9a-f]{64}(\s+kommuner\.geojson)", file_sha256(path) + r"\1", prov.read_text("utf-8"))
    prov.write_text(text, encoding="utf-8")
    return path


def test_missing_code_fails_naming_file_and_code(tmp_path):
    def drop_nyborg(features):
        features[:] = [f for f in features if f["properties"]["KOMKODE"] != "0450"]

    path = _copy_raw(tmp_path, drop_nyborg)
    with pytest.raises(InputError, match=r"missing codes \[450\], unexpected codes \[\]") as e:
        load_boundaries(root=tmp_path)
    assert str(path) in str(e.value)


def test_changed_code_fails_naming_file_and_codes(tmp_path):
    def recode(features):
        for f in features:
            if f["properties"]["KOMKODE"] == "0101":
                f["properties"]["KOMKODE"] = "0102"

    path = _copy_raw(tmp_path, recode)
    with pytest.raises(InputError, match=r"missing codes \[101\], unexpected codes \[102\]") as e:
        load_boundaries(root=tmp_path)
    assert str(path) in str(e.value)


def test_malformed_code_fails(tmp_path):
    def unpadded(features):
        features[0]["properties"]["KOMKODE"] = "766"

    _copy_raw(tmp_path, unpadded)
    with pytest.raises(InputError, match="4-digit code"):
        load_boundaries(root=tmp_path)


def test_edited_file_without_new_checksum_fails(tmp_path):
    folder = tmp_path / SOURCE
    shutil.copytree(raw_dir() / SOURCE, folder)
    with (folder / FILE).open("a", encoding="utf-8") as fh:
        fh.write("\n")
    with pytest.raises(InputError, match=r"kommuner\.geojson: content differs"):
        load_boundaries(root=tmp_path)


def test_edited_copy_does_not_poison_the_cache(tmp_path):
    def drop_nyborg(features):
        features[:] = [f for f in features if f["properties"]["KOMKODE"] != "0450"]

    _copy_raw(tmp_path, drop_nyborg)
    with pytest.raises(InputError):
        load_boundaries(root=tmp_path)
    assert len(load_boundaries()) == 98


# --------------------------------------------------------------------------- figure
@pytest.fixture(scope="module")
def gap():
    return pd.Series(np.random.default_rng(4).normal(0, 1.6, 98), index=codes())


def _axes(fig):
    return {ax.get_label(): ax for ax in fig.axes}


def _gid(ax, gid):
    return [a for a in (*ax.collections, *ax.patches, *ax.texts, *ax.lines) if a.get_gid() == gid]


def _n_paths(ax, gid):
    return sum(len(c.get_paths()) for c in _gid(ax, gid))


def test_figure_layout_and_colour_bar(gap):
    fig = choropleth(gap, highlight=450, label=LABEL)
    ax = _axes(fig)
    assert list(ax) == ["danmarkskort", "bornholm", "hovedstadsomraadet", "farveskala"]
    assert tuple(fig.get_size_inches()) == pytest.approx(FIGSIZE)
    assert 15.5 <= FIGSIZE[0] * 2.54 <= 16.5  # the report's A4 text width
    # exactly one colour bar, horizontal, with the given label, centred in the figure
    bars = [a for a in fig.axes if a.get_xlabel() or a.get_ylabel()]
    assert bars == [ax["farveskala"]]
    assert ax["farveskala"].get_xlabel() == LABEL
    box = ax["farveskala"].get_position()
    assert box.width > 3 * box.height
    assert (box.x0 + box.x1) / 2 == pytest.approx(0.5, abs=1e-6)
    texts = [t.get_text() for t in fig.texts]
    assert "← Færre end forventet" in texts
    assert "Flere end forventet →" in texts
    # the maps have no ticks, no grid and equal aspect; the main map no frame
    for name in ("danmarkskort", "bornholm", "hovedstadsomraadet"):
        a = ax[name]
        assert len(a.get_xticks()) == 0
        assert len(a.get_yticks()) == 0
        assert a.get_aspect() == 1.0
    assert not any(s.get_visible() for s in ax["danmarkskort"].spines.values())


def test_every_municipality_drawn_once_christiansoe_left_out(gap):
    fig = choropleth(gap, label=LABEL)
    ax = _axes(fig)
    assert _n_paths(ax["danmarkskort"], "kommuner") == 97
    assert _n_paths(ax["bornholm"], "kommuner") == 1
    assert _n_paths(ax["danmarkskort"], "kommuner-uden-vaerdi") == 0
    with pytest.raises(UnknownMunicipalityError, match=r"\[411\]"):
        choropleth(pd.concat([gap, pd.Series({CHRISTIANSOE: 0.0})]), label=LABEL)


def test_bornholm_in_framed_inset_upper_right_over_sea(gap):
    fig = choropleth(gap, label=LABEL)
    ax = _axes(fig)
    main, born = ax["danmarkskort"], ax["bornholm"]
    assert all(s.get_visible() for s in born.spines.values())  # thin frame
    assert max(s.get_linewidth() for s in born.spines.values()) <= 1.0
    mb, bb = main.get_position(), born.get_position()
    assert bb.x1 == pytest.approx(mb.x1)  # upper right corner
    assert bb.y1 == pytest.approx(mb.y1)
    assert bb.width < 0.25 * mb.width
    # the box covers no land of the main map: its corners in the main map's coordinates
    fig.canvas.draw()  # fix the aspect-adjusted axes positions
    to_data = main.transData.inverted()
    (x0, y0), (x1, y1) = to_data.transform(born.get_window_extent().get_points())
    land = shapely.union_all(load_boundaries().drop(index=400).geometry.to_numpy())
    assert not land.intersects(shapely.box(x0, y0, x1, y1))
    # the inset shows Bornholm at the main map's scale
    sx = np.diff(main.get_xlim())[0] / main.get_window_extent().width
    sb = np.diff(born.get_xlim())[0] / born.get_window_extent().width
    assert sb == pytest.approx(sx, rel=0.02)


@pytest.mark.parametrize(
    ("code", "name", "label_axes", "outlined"),
    [
        (450, "Nyborg", "danmarkskort", ["danmarkskort"]),
        (101, "København", "hovedstadsomraadet", ["danmarkskort", "hovedstadsomraadet"]),
        (400, "Bornholm", "bornholm", ["bornholm"]),
    ],
)
def test_highlight_outlined_in_accent_and_named(gap, code, name, label_axes, outlined):
    from matplotlib.colors import same_color

    fig = choropleth(gap, highlight=code, label=LABEL)
    ax = _axes(fig)
    for axname, a in ax.items():
        lines = _gid(a, "fremhaevet")
        if axname in outlined:
            assert len(lines) == 1
            assert same_color(lines[0].get_edgecolor(), ACCENT)
            assert lines[0].get_linewidth() >= 1.2
            assert lines[0].get_facecolor()[3] == 0  # outline only
        else:
            assert lines == []
    names = [t for a in fig.axes for t in _gid(a, "fremhaevet-navn")]
    assert [t.get_text() for t in names] == [name]
    assert names[0].axes is ax[label_axes]
    assert same_color(names[0].get_color(), ACCENT)


@pytest.mark.parametrize("code", [860, 550, 825, 563, 376, 101, 147, 169, 217, 185])
def test_highlight_name_stays_inside_its_map(gap, code):
    # Edge cases: the far north (Hjørring, Læsø), the south-west corner (Tønder, Fanø), the
    # south (Guldborgsund), the capital area and the edge of its enlargement.
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = choropleth(gap, highlight=code, label=LABEL)
    renderer = FigureCanvasAgg(fig).get_renderer()
    (text,) = [t for a in fig.axes for t in _gid(a, "fremhaevet-navn")]
    box, host = text.get_window_extent(renderer), text.axes.get_window_extent(renderer)
    assert host.x0 <= box.x0
    assert box.x1 <= host.x1
    assert host.y0 <= box.y0
    assert box.y1 <= host.y1
    for other in fig.axes:
        if other is not text.axes and other.get_label() != "danmarkskort":
            assert not other.get_window_extent(renderer).overlaps(box), other.get_label()


def test_colour_limits_symmetric_around_center(gap):
    fig = choropleth(gap, label=LABEL)
    (coll,) = _gid(_axes(fig)["danmarkskort"], "kommuner")
    norm = coll.norm
    assert norm.vmin == -norm.vmax
    assert norm.vmax >= gap.abs().max()  # default: nothing beyond the scale
    assert norm.vmax <= 1.25 * gap.abs().max()  # rounded up to a round number, not far beyond
    shifted = choropleth(gap + 2.0, center=1.5, label=LABEL)
    (coll,) = _gid(_axes(shifted)["danmarkskort"], "kommuner")
    assert (coll.norm.vmin + coll.norm.vmax) / 2 == pytest.approx(1.5)
    assert coll.norm.vmax - 1.5 >= (gap + 0.5).abs().max()


def test_colour_limits_quantile_and_extend_arrows():
    s = pd.Series([-1.0, -0.5, 0.2, 0.8, 9.0])
    assert colour_limits(s) == (-10.0, 10.0, "neither")
    lo, hi, extend = colour_limits(s, quantile=0.75)  # |s| sorted: 0.2 0.5 0.8 1 9
    assert (lo, hi, extend) == (-1.0, 1.0, "max")
    assert colour_limits(s, limit=0.7) == (-0.7, 0.7, "both")
    with pytest.raises(ValueError, match="quantile"):
        colour_limits(s, quantile=0)
    with pytest.raises(ValueError, match="limit"):
        colour_limits(s, limit=-1)


def test_extend_arrow_on_the_colour_bar(gap):
    outlier = gap.copy()
    outlier[840] = 25.0
    fig = choropleth(outlier, label=LABEL, quantile=0.95)
    cax = _axes(fig)["farveskala"]
    assert cax._colorbar.extend == "max"
    (coll,) = _gid(_axes(fig)["danmarkskort"], "kommuner")
    assert coll.norm.vmax < 25.0


def test_ticks_in_danish_number_format():
    s = pd.Series(np.linspace(-0.7, 0.6, 98), index=codes())
    fig = choropleth(s, label=LABEL)
    cax = _axes(fig)["farveskala"]
    fig.canvas.draw()
    labels = [t.get_text() for t in cax.get_xticklabels()]
    assert labels == ["\u22120,8", "\u22120,4", "0,0", "+0,4", "+0,8"]


def test_missing_values_drawn_hatched_and_said_so(gap):
    # Documented choice: municipalities without a value are drawn hatched grey and the legend
    # says "Ingen værdi"; they are never coloured as if "as expected".
    values = gap.drop([101, 860, 400])
    values[450] = np.nan
    fig = choropleth(values, label=LABEL)
    ax = _axes(fig)
    assert _n_paths(ax["danmarkskort"], "kommuner-uden-vaerdi") == 3
    assert _n_paths(ax["danmarkskort"], "kommuner") == 94
    assert _n_paths(ax["bornholm"], "kommuner-uden-vaerdi") == 1
    assert _n_paths(ax["hovedstadsomraadet"], "kommuner-uden-vaerdi") == 1  # København
    (hatch,) = _gid(ax["danmarkskort"], "kommuner-uden-vaerdi-skravering")
    assert hatch.get_hatch()
    assert MISSING_LABEL in [t.get_text() for t in fig.texts]
    # no missing values: no "Ingen værdi" in the legend
    assert MISSING_LABEL not in [t.get_text() for t in choropleth(gap, label=LABEL).texts]


def test_bad_values_fail_clearly(gap):
    with pytest.raises(TypeError, match="pandas Series"):
        choropleth(gap.to_dict(), label=LABEL)
    with pytest.raises(UnknownMunicipalityError, match=r"\[999\]"):
        choropleth(pd.concat([gap, pd.Series({999: 1.0})]), label=LABEL)
    with pytest.raises(ValueError, match="duplicated"):
        choropleth(pd.concat([gap, gap.iloc[:1]]), label=LABEL)
    with pytest.raises(ValueError, match="infinite"):
        choropleth(gap.replace(gap.iloc[0], np.inf), label=LABEL)
    with pytest.raises(ValueError, match="no municipality has a value"):
        choropleth(gap * np.nan, label=LABEL)
    with pytest.raises(UnknownMunicipalityError):
        choropleth(gap, highlight="Atlantis", label=LABEL)


def test_without_capital_inset(gap):
    fig = choropleth(gap.drop([860]), highlight=101, label=LABEL, capital_inset=False)
    ax = _axes(fig)
    assert list(ax) == ["danmarkskort", "bornholm", "farveskala", "uden-vaerdi"]
    assert fig.get_size_inches()[0] < FIGSIZE[0]
    assert _gid(ax["danmarkskort"], "hovedstadsomraadet-ramme") == []
    assert [t.axes for t in _gid(ax["danmarkskort"], "fremhaevet-navn")] == [ax["danmarkskort"]]
