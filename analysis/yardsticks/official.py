"""The Ministry's published benchmark beside the open model: how close do public data come?

The official figures (jobindsats Y30R21: expected and actual full-time persons, their shares,
the difference and the rank) are read for comparison only. :func:`compare` puts them beside
the open model's results for the same period and benefit list and measures the agreement:

* the correlation across the 98 municipalities of the *expected* shares (does the public
  model find the same rammevilkår effect?) and of the *gaps* (actual − expected, the ranking
  key);
* the Spearman correlation of the ranks, and how often the Ministry's rank lies inside the open
  model's marginal 95 % rank interval;
* the municipalities where the two rankings disagree most.

Both sides use the same actual counts, so the gaps differ only through the expected shares.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.core.display import ResultsDisplay, make_summary


@dataclass(frozen=True, eq=False)
class OfficialComparison(ResultsDisplay):
    """The open model and the Ministry's benchmark side by side, for one period.

    ``table`` has one row per benefit list and municipality: ``benefit, code, name``, the open
    model's ``expected_share``, ``difference_pp``, ``rank``, ``rank_lower``, ``rank_upper`` and
    the Ministry's ``official_expected_share``, ``official_difference_pp``, ``official_rank``
    (shares and gaps in per cent / percentage points of the population 16–66).
    """

    period: str
    table: pd.DataFrame

    @property
    def benefits(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.table["benefit"]))

    def of(self, benefit: str) -> pd.DataFrame:
        """The rows of one benefit list, indexed by code."""
        t = self.table[self.table["benefit"] == benefit]
        if t.empty:
            raise KeyError(f"benefit: {benefit!r} is not compared (compared: {', '.join(self.benefits)})")
        return t.set_index("code")

    @cached_property
    def agreement(self) -> pd.DataFrame:
        """Per benefit list: ``corr_expected``, ``corr_gap`` (Pearson), ``spearman_rank``,
        ``inside_interval`` (share of official ranks inside the open model's marginal interval),
        ``mean_abs_rank_diff`` and ``max_abs_rank_diff``, ``n``."""
        rows = []
        for b in self.benefits:
            t = self.of(b)
            diff = (t["rank"] - t["official_rank"]).abs()
            inside = (t["official_rank"] >= t["rank_lower"]) & (t["official_rank"] <= t["rank_upper"])
            rows.append(
                {
                    "benefit": b,
                    "n": len(t),
                    "corr_expected": float(
                        np.corrcoef(t["expected_share"], t["official_expected_share"])[0, 1]
                    ),
                    "corr_gap": float(np.corrcoef(t["difference_pp"], t["official_difference_pp"])[0, 1]),
                    "spearman_rank": float(stats.spearmanr(t["rank"], t["official_rank"]).statistic),
                    "inside_interval": float(inside.mean()),
                    "mean_abs_rank_diff": float(diff.mean()),
                    "max_abs_rank_diff": int(diff.max()),
                }
            )
        return pd.DataFrame(rows).set_index("benefit")

    def disagreements(self, benefit: str, n: int = 10) -> pd.DataFrame:
        """The ``n`` municipalities whose two ranks differ most (ties by code)."""
        t = self.of(benefit).assign(rank_diff=lambda f: f["rank"] - f["official_rank"])
        t["abs_rank_diff"] = t["rank_diff"].abs()
        return t.sort_values(["abs_rank_diff", "official_rank"], ascending=[False, True]).head(n)

    @property
    def summary(self):
        tab = self.agreement[
            ["corr_expected", "corr_gap", "spearman_rank", "inside_interval", "mean_abs_rank_diff"]
        ]
        return make_summary(
            "Open model vs the Ministry's published benchmark",
            [("Period", self.period)],
            tab,
            float_format="%.3f",
        )

    def _repr_fields(self):
        return [("period", self.period), ("benefits", ",".join(self.benefits))]


def compare(fits: Mapping[str, Any], official: pd.DataFrame, *, period: str) -> OfficialComparison:
    """Compare fitted results with the published benchmark of ``period``.

    Parameters
    ----------
    fits
        Benefit key (``bm2019``, ``dagpenge``, …) → :class:`~analysis.model.ExpectedCaseloadResults`
        for ``period``; keys without official figures are ignored.
    official
        The published benchmark (:func:`analysis.data.public.jobindsats.load_official`).
    period
        The period compared.

    Raises
    ------
    ValueError
        No benefit list in common, a fit for another period, or municipalities that do not match.
    """
    off = official[official["period"] == period]
    keys = [b for b in dict.fromkeys(off["benefit"]) if b in fits]
    if not keys:
        raise ValueError(
            f"official: no benefit list of {period} was fitted (published: {sorted(set(off['benefit']))}, "
            f"fitted: {sorted(fits)})"
        )
    frames = []
    for b in keys:
        res = fits[b]
        if res.period != period:
            raise ValueError(f"fits[{b!r}]: fitted for {res.period}, not {period}")
        t = res.tidy().set_index("code")
        o = off[off["benefit"] == b].set_index("code")
        if set(o.index) != set(t.index):
            raise ValueError(f"official: the municipalities of {b} differ from the fitted ones")
        o = o.reindex(t.index)
        frames.append(
            pd.DataFrame(
                {
                    "benefit": b,
                    "code": t.index,
                    "name": t["name"].to_numpy(),
                    "actual": t["actual"].to_numpy(),
                    "expected_share": (100 * t["expected"] / t["population"]).to_numpy(),
                    "difference_pp": t["difference_pp"].to_numpy(),
                    "rank": t["rank"].to_numpy(),
                    "rank_lower": t["rank_lower"].to_numpy(),
                    "rank_upper": t["rank_upper"].to_numpy(),
                    "official_actual": o["actual"].to_numpy(),
                    "official_expected_share": o["expected_share_pct"].to_numpy(),
                    "official_difference_pp": o["difference_pp"].to_numpy(),
                    "official_rank": o["rank"].to_numpy(),
                }
            )
        )
    return OfficialComparison(period=period, table=pd.concat(frames, ignore_index=True))


__all__ = ["OfficialComparison", "compare"]
