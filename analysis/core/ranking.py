"""The ranking key of the benchmark, named once.

Municipalities are ranked on the **gap**: actual minus expected full-time persons in
percentage points of the population aged 16–66 (``difference_pp``). Rank 1 is the most
negative gap — furthest below expected, the best — as in the Ministry's lists (which publish
expected − actual, the opposite sign, and rank the same way). Tied gaps share the smallest rank.
The count (full-time persons) and the ratio actual/expected are shown beside it but are not the
key: Nyborg was first in 2018 although Frederiksberg had the lower ratio.

Every ranking in the package — point ranks, rank draws, rank confidence sets, the official
figures — goes through :data:`KEY` and :func:`rank`.

Examples
--------
>>> import pandas as pd
>>> rank(pd.Series([0.4, -1.2, 0.4], index=[101, 147, 151])).tolist()
[2, 1, 2]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata


@dataclass(frozen=True)
class RankingKey:
    """The column ranked on, its unit, and the direction (rank 1 = smallest when ``ascending``)."""

    column: str
    unit: str
    ascending: bool

    @property
    def descending(self) -> bool:
        """For functions that rank the largest value first by default (:mod:`analysis.inference.ranks`)."""
        return not self.ascending


KEY = RankingKey(column="difference_pp", unit="percentage points of the population 16-66", ascending=True)
"""The benchmark's ranking key: ``difference_pp``, rank 1 = most negative."""


def rank(values: pd.Series | np.ndarray, *, key: RankingKey = KEY) -> pd.Series | np.ndarray:
    """Ranks 1…n on ``values`` in the key's direction; ties share the smallest rank.

    Parameters
    ----------
    values
        Gaps (n,), as a Series (index kept) or an array.

    Returns
    -------
    Series or ndarray of int64, same shape and index as ``values``.
    """
    arr = np.asarray(values, dtype=np.float64)
    r = rankdata(arr if key.ascending else -arr, method="min").astype(np.int64)
    if isinstance(values, pd.Series):
        return pd.Series(r, index=values.index.copy(), name="rank")
    return r


def rank_draws(draws: np.ndarray, *, key: RankingKey = KEY) -> np.ndarray:
    """Ranks within each row of a draws × units array (ties: smallest rank)."""
    arr = np.asarray(draws, dtype=np.float64)
    return rankdata(arr if key.ascending else -arr, method="min", axis=1).astype(np.int64)
