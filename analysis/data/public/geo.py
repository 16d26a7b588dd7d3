"""Boundaries of the 98 municipalities (DAGI 1:500.000), for the Danmarkskort.

The raw file ``data/raw/geo-kommuner-dagi500/kommuner.geojson`` holds the generalised official
boundaries ("Danmarks Administrative Geografiske Inddeling 1:500.000", 2014) as 311 polygon
parts (islands are separate features) for 99 codes: the 98 kommuner and Christiansø (0411),
which is not a municipality and is left out. :func:`load_boundaries` checks the file against
its ``PROVENANCE.md``, dissolves the parts to one (multi)polygon per municipality and projects
them to ETRS89 / UTM zone 32N (EPSG:25832, metres), the usual metric CRS for Danish maps.

Every figure drawn from these boundaries credits the source with :data:`ATTRIBUTION`.

Examples
--------
>>> from analysis.data.public.geo import load_boundaries
>>> kommuner = load_boundaries()
>>> len(kommuner), kommuner.crs.to_epsg(), kommuner.loc[450, "name"]
(98, 25832, 'Nyborg')
>>> round(kommuner.loc[400].geometry.area / 1e6)  # Bornholm, km²
589
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.core.validate import InputError
from analysis.data.public.provenance import verified_file

if TYPE_CHECKING:
    import geopandas

SOURCE = "geo-kommuner-dagi500"
"""Folder under ``data/raw`` holding the boundary file and its ``PROVENANCE.md``."""
FILE = "kommuner.geojson"
CRS = "EPSG:25832"
"""ETRS89 / UTM zone 32N: metres, the standard projection for maps of Denmark."""
CHRISTIANSOE = 411
"""Christiansø (Ertholmene): in the file, but not a municipality; left out."""
ATTRIBUTION = "Indeholder data fra Klimadatastyrelsen (tidl. Geodatastyrelsen), DAGI 1:500.000, 2014"
"""Attribution required by the data's terms; goes in the "Kilde:" line of every map."""

__all__ = ["ATTRIBUTION", "CHRISTIANSOE", "CRS", "FILE", "SOURCE", "load_boundaries"]


def load_boundaries(root: Path | None = None) -> geopandas.GeoDataFrame:
    """One (multi)polygon per municipality, in metres (EPSG:25832).

    The file is checked against the sha256 in its ``PROVENANCE.md`` on every call; the parsed
    and dissolved result is cached per process (per file path, size and modification time), so
    only the first call reads the file. Each call returns a fresh copy.

    Parameters
    ----------
    root
        Another ``data/raw`` folder holding ``geo-kommuner-dagi500/`` (tests); default the
        project's ``data/raw``.

    Returns
    -------
    geopandas.GeoDataFrame
        98 rows indexed by the municipality code (``int``, 101 … 860, ascending, index name
        ``code``) with columns ``name`` (the name in the municipality registry, e.g.
        "Høje-Taastrup") and ``geometry`` (2-D ``Polygon`` or ``MultiPolygon``, valid, CRS
        EPSG:25832, coordinates in metres). Christiansø (0411) is left out.

    Raises
    ------
    InputError
        The file is missing or differs from the retrieved one (see
        :func:`~analysis.data.public.provenance.verified_file`), lacks the ``KOMKODE`` /
        ``KOMNAVN`` properties, holds codes that are not 4-digit numbers or geometries that
        are not polygons, or does not cover exactly the 98 municipality codes (the message
        names the file and the missing and unexpected codes).

    Notes
    -----
    Source: DAGI 1:500.000 (Geodatastyrelsen, 2014; today Klimadatastyrelsen), via the
    GitHub repository ``Neogeografen/dagi``; credit it as :data:`ATTRIBUTION`. The
    boundaries are those of 2014; the minor adjustments since then do not show at this scale.
    """
    path = verified_file(SOURCE, FILE, root=root)
    st = path.stat()
    return _load(path.resolve(), st.st_mtime_ns, st.st_size).copy()


@cache
def _load(path: Path, mtime_ns: int, size: int) -> geopandas.GeoDataFrame:
    # cached per (path, mtime, size), like the sha256 check in provenance.verified_file
    import geopandas as gpd
    import pandas as pd
    import shapely

    from analysis.core.municipalities import codes, registry

    parts = gpd.read_file(path)
    missing_cols = [c for c in ("KOMKODE", "KOMNAVN") if c not in parts.columns]
    if missing_cols:
        raise InputError(f"{path}: missing properties {missing_cols}; it has {list(parts.columns)}")
    komkode = parts["KOMKODE"].astype("string")
    bad = sorted(set(komkode[~komkode.fillna("").str.fullmatch(r"\d{4}")].fillna("<missing>")))
    if bad:
        raise InputError(f"{path}: KOMKODE must be a 4-digit code like '0101'; got {bad[:5]}")
    kinds = set(parts.geom_type.dropna())
    if parts.geometry.isna().any() or not kinds <= {"Polygon", "MultiPolygon"}:
        raise InputError(f"{path}: expected polygon geometries only; got {sorted(kinds)} and missing ones")
    if parts.crs is None or parts.crs.to_epsg() != 4326:
        raise InputError(f"{path}: expected WGS84 lon/lat (CRS84) coordinates; got CRS {parts.crs}")

    code = komkode.astype("int64").to_numpy()
    expected = set(codes())
    present = set(code.tolist()) - {CHRISTIANSOE}
    missing, extra = sorted(expected - present), sorted(present - expected)
    if missing or extra:
        raise InputError(
            f"{path}: the boundaries must cover exactly the 98 municipality codes "
            f"(and Christiansø {CHRISTIANSOE}); missing codes {missing}, unexpected codes {extra}"
        )

    geoms = shapely.force_2d(parts.geometry.to_numpy())  # z is a constant -999 placeholder
    keep = code != CHRISTIANSOE
    grouped = pd.Series(list(geoms[keep]), index=code[keep]).groupby(level=0)
    merged = grouped.agg(lambda g: shapely.union_all(list(g)))
    out = gpd.GeoDataFrame(
        {"name": registry().loc[merged.index, "name"].to_numpy()},
        geometry=list(merged.to_numpy()),
        index=pd.Index(merged.index.astype("int64"), name="code"),
        crs=parts.crs,
    ).to_crs(CRS)
    invalid = ~out.geometry.is_valid
    if invalid.any():
        out.loc[invalid, "geometry"] = shapely.make_valid(out.geometry[invalid].to_numpy())
        if not out.geom_type.isin(["Polygon", "MultiPolygon"]).all():
            raise InputError(
                f"{path}: boundaries of codes {out.index[invalid].tolist()} are not valid polygons"
            )
    return out.sort_index()
