"""Input checks shared by the inference functions: one-dimensional, finite, aligned series."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

ArrayLike = pd.Series | np.ndarray | Sequence[float]


def as_series(x: ArrayLike, name: str, *, unique: bool = False) -> pd.Series:
    """``x`` as a float Series (an array gets a 0..n−1 index).

    Raises
    ------
    TypeError
        A DataFrame.
    ValueError
        Not one-dimensional, empty, not finite (naming up to 10 labels) or — with ``unique`` —
        repeated index labels; the message starts with ``name``.
    """
    if isinstance(x, pd.DataFrame):
        raise TypeError(f"{name}: expected a one-dimensional Series or array, got a DataFrame")
    if isinstance(x, pd.Series):
        s = x.astype(float)
    else:
        arr = np.asarray(x, dtype=float)
        if arr.ndim != 1:
            raise ValueError(f"{name}: expected a one-dimensional array, got shape {arr.shape}")
        s = pd.Series(arr)
    if len(s) == 0:
        raise ValueError(f"{name}: no values given")
    vals = s.to_numpy()
    if not np.all(np.isfinite(vals)):
        bad = s.index[~np.isfinite(vals)].tolist()[:10]
        raise ValueError(f"{name}: values must be finite (no NaN or inf); offending labels {bad}")
    if unique and not s.index.is_unique:
        raise ValueError(f"{name}: index labels must be unique")
    return s


def aligned(a: ArrayLike, b: ArrayLike, name_a: str, name_b: str) -> tuple[pd.Series, pd.Series]:
    """``a`` and ``b`` as Series (:func:`as_series`) on one index.

    Two Series are aligned on their labels (``b`` reordered to ``a``); a Series and an array
    share the Series' index.

    Raises
    ------
    ValueError
        As :func:`as_series`; different lengths; or Series whose labels differ.
    """
    sa, sb = as_series(a, name_a), as_series(b, name_b)
    if len(sa) != len(sb):
        raise ValueError(f"{name_b}: length {len(sb)} differs from that of {name_a} ({len(sa)})")
    if isinstance(a, pd.Series) and isinstance(b, pd.Series):
        if not sa.index.equals(sb.index):
            if set(sa.index) != set(sb.index) or not sa.index.is_unique:
                raise ValueError(f"{name_b}: index labels do not match those of {name_a}")
            sb = sb.loc[sa.index]
    elif isinstance(b, pd.Series):
        sa.index = sb.index
    else:
        sb.index = sa.index
    return sa, sb
