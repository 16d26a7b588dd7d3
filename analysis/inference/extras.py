"""Columns of the tidy frame computed from a gap and its noise: rank sets, funnel, shrinkage.

Funnel limits are Spiegelhalter's normal limits around 0 for the gap with its standard error,
widened for over-dispersion (:func:`analysis.inference.funnel.funnel_limits`). Empirical Bayes
shrinks the gap towards 0 — its person-weighted national mean is 0 by construction — with REML
:math:`\\tau^2` (:func:`analysis.inference.shrinkage.eb_shrink`).
"""

from __future__ import annotations

import pandas as pd

from analysis.inference.funnel import funnel_limits
from analysis.inference.ranks import RankSets
from analysis.inference.shrinkage import eb_shrink

EXTRA_COLUMNS = (
    "rank_cs_lower",
    "rank_cs_upper",
    "funnel_lower95",
    "funnel_upper95",
    "funnel_lower998",
    "funnel_upper998",
    "funnel_outlier95",
    "funnel_outlier998",
    "funnel_tau2",
    "eb_difference_pp",
    "eb_se_pp",
)


def extra_columns(gap: pd.Series, se: pd.Series, sets: RankSets) -> pd.DataFrame:
    """Rank-set, funnel and empirical-Bayes columns, indexed like ``gap`` (:data:`EXTRA_COLUMNS`).

    Parameters
    ----------
    gap, se : Series
        The gap (pct.-points) and its standard error, indexed by municipality code.
    sets : RankSets
        Simultaneous rank confidence sets of the same gaps.
    """
    out = pd.DataFrame(index=gap.index)
    out["rank_cs_lower"] = sets.lower.reindex(gap.index).to_numpy()
    out["rank_cs_upper"] = sets.upper.reindex(gap.index).to_numpy()
    fl = funnel_limits(gap, se, target=0.0, levels=(0.95, 0.998), overdispersion=True).reindex(gap.index)
    for c in ("lower95", "upper95", "lower998", "upper998", "outlier95", "outlier998", "tau2"):
        out[f"funnel_{c}"] = fl[c].to_numpy()
    eb = eb_shrink(gap, se, method="reml", mean="zero").reindex(gap.index)
    out["eb_difference_pp"] = eb["shrunk"].to_numpy()
    out["eb_se_pp"] = eb["posterior_sd"].to_numpy()
    return out
