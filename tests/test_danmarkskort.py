"""The real Danmarkskort: DAGI boundaries (loader)."""

from __future__ import annotations

import json
import re
import shutil
import time

import pytest

from analysis.core.io import file_sha256
from analysis.core.municipalities import codes
from analysis.core.paths import raw_dir
from analysis.core.validate import InputError
from analysis.data.public.geo import CHRISTIANSOE, FILE, SOURCE, load_boundaries


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


def test_boundaries_cached_and_copied():
    a = load_boundaries()
    t = time.perf_counter()
    b = load_boundaries()
    assert time.perf_counter() - t < 0.5  # the parsed file is cached per process
    a.loc[450, "name"] = "changed"
    assert load_boundaries().loc[450, "name"] == "Nyborg"
    assert b.loc[450, "name"] == "Nyborg"


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
