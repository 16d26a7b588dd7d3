"""Columns of the tidy frame that come from other modules (rank sets, funnel, shrinkage).

Funnel limits are Spiegelhalter's normal limits around 0 for ``difference_pp`` with its
``se_pp``, widened for over-dispersion (:func:`analysis.funnel.funnel_limits`). Empirical
Bayes shrinks ``difference_pp`` towards 0 — its person-weighted national mean is 0 by
construction — with REML :math:`\tau^2` (:func:`analysis.shrinkage.eb_shrink`). Each is filled from :mod:`analysis.ranks`, :mod:`analysis.funnel` and
:mod:`analysis.shrinkage` when those are installed; otherwise the columns are present and
missing (NaN), so that the frame always has the same schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from analysis.model.results import ExpectedCaseloadResults

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


def add_extras(out: pd.DataFrame, res: ExpectedCaseloadResults) -> pd.DataFrame:
    """Add the rank-set, funnel and empirical-Bayes columns to a tidy frame."""
    for c in EXTRA_COLUMNS:
        out[c] = np.nan
    try:
        sets = res.rank_sets(simul=True)
    except ImportError:  # pragma: no cover - optional module not installed
        sets = None
    if sets is not None:
        out["rank_cs_lower"] = sets.lower.reindex(out["code"]).to_numpy()
        out["rank_cs_upper"] = sets.upper.reindex(out["code"]).to_numpy()
    try:
        from analysis.funnel import funnel_limits
    except ImportError:  # pragma: no cover
        funnel_limits = None
    if funnel_limits is not None:
        fl = funnel_limits(
            res.difference_pp, res.se_pp, target=0.0, levels=(0.95, 0.998), overdispersion=True
        )
        fl = fl.reindex(out["code"])
        for c in ("lower95", "upper95", "lower998", "upper998", "outlier95", "outlier998", "tau2"):
            out[f"funnel_{c}"] = fl[c].to_numpy()
    try:
        from analysis.shrinkage import eb_shrink
    except ImportError:  # pragma: no cover
        eb_shrink = None
    if eb_shrink is not None:
        eb = eb_shrink(res.difference_pp, res.se_pp, method="reml", mean="zero").reindex(out["code"])
        out["eb_difference_pp"] = eb["shrunk"].to_numpy()
        out["eb_se_pp"] = eb["posterior_sd"].to_numpy()
    return out
