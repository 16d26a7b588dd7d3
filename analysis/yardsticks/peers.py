"""Comparison groups (sammenligningsgrupper): municipalities with similar rammevilkår.

Three ways of choosing whom a municipality is compared with:

* :func:`comparison_groups` — the ``k`` nearest municipalities on standardised rammevilkår
  (z-scores, Euclidean distance);
* :func:`expected_share_groups` — the jobindsats variant (Y30R21): the ``k`` nearest on the
  model's expected share, one-dimensional;
* :func:`contiguous_clusters` — the old AMS/STAR "klynger" (2006, 2013): sort on one index
  and cut it into contiguous groups of about ``size``;

and, beside them, :func:`dea_peers`: the frontier units a job centre is measured against in
the DEA of :mod:`analysis.yardsticks.frontier`.

All return tidy rows ``code, peer, distance, rank``; a municipality is never its own peer and
ties are broken by distance, then by the peer's code, so the result is deterministic.

Examples
--------
>>> import pandas as pd
>>> s = pd.Series({101: 0.10, 147: 0.12, 151: 0.13, 153: 0.20})
>>> expected_share_groups(s, k=2).query("code == 147")["peer"].tolist()
[151, 101]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from analysis.core.validate import keyed_by_code

if TYPE_CHECKING:
    from analysis.yardsticks.frontier import DEAResult

#: Local rammevilkår columns of the municipality table used by default.
LOCAL_COLUMNS: tuple[str, ...] = ("unemployment_rate", "jobs_per_resident", "urbanisation")
#: Distances are compared after rounding to this many decimals, so that ties that are exact in
#: real arithmetic (e.g. two neighbours at the same distance) are not split by rounding error.
DECIMALS = 12
_COLUMNS = ["code", "peer", "distance", "rank"]


def _keyed(df: pd.DataFrame | pd.Series, what: str) -> pd.DataFrame:
    """:func:`~analysis.core.validate.keyed_by_code` that also takes a Series and makes codes integers."""
    if isinstance(df, pd.Series):
        df = df.to_frame(name=df.name if df.name is not None else "value")
    if isinstance(df, pd.DataFrame):
        df = df.copy()
        if "code" in df.columns:
            df["code"] = df["code"].astype(int)
        else:
            df.index = df.index.astype(int)
    return keyed_by_code(df, what)


def _check_k(k: int, n: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n - 1:
        raise ValueError(
            f"k: expected an integer between 1 and {n - 1} (number of municipalities − 1), got {k!r}"
        )


def _matrix(
    features: pd.DataFrame, columns: Sequence[str] | None, standardise: bool, what: str
) -> tuple[pd.Index, np.ndarray]:
    f = _keyed(features, what)
    cols = list(f.columns) if columns is None else list(columns)
    if not cols:
        raise ValueError(f"{what}: no feature columns")
    missing = [c for c in cols if c not in f.columns]
    if missing:
        raise ValueError(f"{what}: missing column(s) {missing}; available {list(f.columns)}")
    z = np.empty((len(f), len(cols)))
    for j, c in enumerate(cols):
        v = f[c]
        if not pd.api.types.is_numeric_dtype(v) or pd.api.types.is_bool_dtype(v):
            raise TypeError(f"{what}: column {c!r} is {v.dtype}; expected numbers")
        v = v.astype(float)
        bad = ~np.isfinite(v.to_numpy())
        if bad.any():
            raise ValueError(
                f"{what}: column {c!r} has missing or infinite values for code(s) {f.index[bad].tolist()}"
            )
        if standardise:
            sd = v.std(ddof=0)
            if not sd > 0:
                raise ValueError(f"{what}: column {c!r} is constant; its z-score is undefined (leave it out)")
            v = (v - v.mean()) / sd
        z[:, j] = v.to_numpy()
    return f.index, z


def _nearest(index: pd.Index, z: np.ndarray, k: int, only: Sequence[int] | None = None) -> pd.DataFrame:
    n = len(index)
    _check_k(k, n)
    codes = index.to_numpy().astype(int)
    targets = range(n) if only is None else [int(np.flatnonzero(codes == c)[0]) for c in only]
    rows = []
    for i in targets:
        d = np.sqrt(((z - z[i]) ** 2).sum(axis=1))
        key = np.round(d, DECIMALS)
        cand = [j for j in range(n) if j != i]
        cand.sort(key=lambda j: (key[j], codes[j]))
        for r, j in enumerate(cand[:k], start=1):
            rows.append((int(codes[i]), int(codes[j]), float(d[j]), r))
    out = pd.DataFrame(rows, columns=_COLUMNS)
    return out.astype({"code": "int64", "peer": "int64", "distance": "float64", "rank": "int64"})


def comparison_groups(
    features: pd.DataFrame,
    *,
    k: int = 7,
    columns: Sequence[str] | None = None,
    standardise: bool = True,
) -> pd.DataFrame:
    r"""The ``k`` nearest municipalities to every municipality on rammevilkår.

    Parameters
    ----------
    features : DataFrame
        One row per municipality keyed by ``code`` (column or index), numeric columns.
    k : int
        Group size, 1 ≤ k ≤ n − 1. The default 7 matches the 6–8 job centres of the 2007
        "Jobcentre med samme rammevilkår" groups.
    columns : sequence of str, optional
        Feature columns to use (default all columns).
    standardise : bool
        Use z-scores (mean 0, population standard deviation 1 over the municipalities given).

    Returns
    -------
    DataFrame
        ``code, peer, distance, rank`` with ``k`` rows per code, rank 1 nearest.

    Notes
    -----
    With :math:`z_{mc} = (x_{mc} - \bar x_c)/s_c` the distance is
    :math:`d(m, m') = \lVert z_m - z_{m'}\rVert_2`: every chosen column weighs the same. Peers
    are ordered by distance (rounded to :data:`DECIMALS` decimals), then by code.

    References
    ----------
    Graversen, B. K., Larsen, M. and Arendt, J. N. (2013). *Kommunernes rammevilkår for
    beskæftigelsesindsatsen*. SFI 13:14.
    """
    index, z = _matrix(features, columns, standardise, "features")
    return _nearest(index, z, k)


def comparison_group(
    features: pd.DataFrame,
    code: int,
    *,
    k: int = 7,
    columns: Sequence[str] | None = None,
    standardise: bool = True,
) -> pd.DataFrame:
    """The comparison group of one municipality (rows of :func:`comparison_groups`)."""
    index, z = _matrix(features, columns, standardise, "features")
    if isinstance(code, bool) or int(code) not in set(index.astype(int)):
        raise ValueError(f"code: {code!r} is not among the {len(index)} municipalities in features")
    return _nearest(index, z, k, only=[int(code)])


def expected_share_groups(expected_share: pd.Series | pd.DataFrame, *, k: int = 7) -> pd.DataFrame:
    """Jobindsats-style groups: the ``k`` nearest municipalities on the expected share.

    Parameters
    ----------
    expected_share : Series or DataFrame
        Expected share on benefit per code (a Series, or a frame with ``expected_share`` or with
        ``expected`` and ``population`` as in the model's tidy frame).
    k : int
        Group size.

    Returns
    -------
    DataFrame
        ``code, peer, distance, rank``; ``distance`` = absolute difference in expected share.
    """
    if isinstance(expected_share, pd.DataFrame):
        f = _keyed(expected_share, "expected_share")
        if "expected_share" in f.columns:
            s = f["expected_share"]
        elif {"expected", "population"} <= set(f.columns):
            s = f["expected"] / f["population"]
        else:
            raise ValueError(
                "expected_share: frame needs column 'expected_share' or 'expected' and 'population'"
            )
    else:
        s = expected_share
    frame = _keyed(pd.Series(s, name="expected_share"), "expected_share")
    index, z = _matrix(frame, ["expected_share"], False, "expected_share")
    return _nearest(index, z, k)


def contiguous_clusters(index: pd.Series, *, size: int = 7) -> pd.Series:
    """Old-style clusters: sort on an index and cut it into contiguous groups.

    Parameters
    ----------
    index : Series
        One value per code (e.g. the expected share, the "rammevilkårsindeks").
    size : int
        Target group size; the number of clusters is ``max(1, round(n / size))`` and groups
        differ in size by at most one.

    Returns
    -------
    Series
        ``code`` → cluster number 1, 2, … in increasing order of the index (ties by code).
    """
    s = _keyed(pd.Series(index, name="index"), "index")["index"].astype(float)
    if s.isna().any():
        raise ValueError(f"index: missing values for code(s) {s.index[s.isna()].tolist()}")
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or not 1 <= size <= len(s):
        raise ValueError(f"size: expected an integer between 1 and {len(s)}, got {size!r}")
    order = sorted(s.index, key=lambda c: (s[c], c))
    n_groups = max(1, round(len(s) / size))
    out = {}
    for g, chunk in enumerate(np.array_split(np.asarray(order), n_groups), start=1):
        for c in chunk:
            out[int(c)] = g
    return pd.Series(out, name="cluster").rename_axis("code").sort_index()


def dea_peers(result: DEAResult) -> pd.DataFrame:
    """The DEA reference units of every unit, as tidy rows.

    Returns
    -------
    DataFrame
        ``code, peer, lambda, rank`` (rank 1 = largest λ, ties by code). Frontier units have
        themselves as peer with λ = 1 unless the programme found another optimum.
    """
    lam = result.lambdas
    rows = []
    for c in lam.index:
        w = lam.loc[c]
        w = w[w > 0]
        order = sorted(w.index, key=lambda p: (-w[p], p))
        rows += [(int(c), int(p), float(w[p]), r) for r, p in enumerate(order, start=1)]
    return pd.DataFrame(rows, columns=["code", "peer", "lambda", "rank"])


def rammevilkaar_features(
    persons: pd.DataFrame, municipalities: pd.DataFrame, *, year: int | None = None
) -> pd.DataFrame:
    """Standardisable rammevilkår per municipality: citizen composition and local labour market.

    Columns: the local columns of :data:`LOCAL_COLUMNS` from ``municipalities`` and, from
    ``persons``, the shares with only basic schooling (``grundskole``), of non-Western origin,
    aged 50–66, and with any of the previous five years mainly on benefits (``prior > 0``).
    """
    p, m = persons, municipalities
    if year is None and "year" in m.columns:
        year = int(m["year"].max())
    if year is not None:
        if "year" in p.columns:
            p = p.loc[p["year"].astype(int) == int(year)]
        if "year" in m.columns:
            m = m.loc[m["year"].astype(int) == int(year)]
    need_p = ["code", "education", "origin", "age", "prior"]
    missing = [c for c in need_p if c not in p.columns]
    if missing:
        raise ValueError(f"persons: missing column(s) {missing}")
    if p.empty:
        raise ValueError(f"persons: no rows for year {year}")
    comp = (
        pd.DataFrame(
            {
                "share_grundskole": (p["education"].astype(str) == "grundskole").astype(float),
                "share_ikke_vestlig": (p["origin"].astype(str) == "ikke_vestlig").astype(float),
                "share_50_66": p["age"].astype(str).isin(["50-59", "60-66"]).astype(float),
                "share_prior": (p["prior"] > 0).astype(float),
            }
        )
        .groupby(p["code"].astype(int).to_numpy())
        .mean()
    )
    comp.index = pd.Index(comp.index, name="code")
    local = _keyed(m, "municipalities")
    missing = [c for c in LOCAL_COLUMNS if c not in local.columns]
    if missing:
        raise ValueError(f"municipalities: missing column(s) {missing}")
    return local[list(LOCAL_COLUMNS)].astype(float).join(comp, how="inner")
