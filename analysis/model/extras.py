"""Columns of the tidy frame that come from other modules (rank sets, funnel, shrinkage).

Funnel limits are Spiegelhalter's normal limits around 0 for ``difference_pp`` with its
``se_pp``, widened for over-dispersion (:func:`analysis.inference.funnel.funnel_limits`). Empirical
Bayes shrinks ``difference_pp`` towards 0 — its person-weighted national mean is 0 by
construction — with REML :math:`\tau^2` (:func:`analysis.inference.shrinkage.eb_shrink`). The rank sets come from
:mod:`analysis.inference.ranks`, the limits from :mod:`analysis.inference.funnel` and the shrinkage from
:mod:`analysis.inference.shrinkage`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    from analysis.inference.funnel import funnel_limits
    from analysis.inference.shrinkage import eb_shrink

    codes = out["code"]
    sets = res.rank_sets(simul=True)
    out["rank_cs_lower"] = sets.lower.reindex(codes).to_numpy()
    out["rank_cs_upper"] = sets.upper.reindex(codes).to_numpy()
    fl = funnel_limits(res.difference_pp, res.se_pp, target=0.0, levels=(0.95, 0.998), overdispersion=True)
    fl = fl.reindex(codes)
    for c in ("lower95", "upper95", "lower998", "upper998", "outlier95", "outlier998", "tau2"):
        out[f"funnel_{c}"] = fl[c].to_numpy()
    eb = eb_shrink(res.difference_pp, res.se_pp, method="reml", mean="zero").reindex(codes)
    out["eb_difference_pp"] = eb["shrunk"].to_numpy()
    out["eb_se_pp"] = eb["posterior_sd"].to_numpy()
    return out
