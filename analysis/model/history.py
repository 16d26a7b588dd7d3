"""Ranks over years: the model fitted separately for each year of a register.

The Ministry's benchmark is estimated year by year, so a municipality's placement in one year
is compared with its placement in another under that year's own model. :func:`rank_history`
does the same: one :func:`~analysis.model.fit` per year on that year's persons and local
rammevilkår, with the same benefit set, specification, replicates and seed.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analysis.core.params import DEFAULT_DRAWS, BenefitSet
from analysis.model.estimate import Spec, fit

#: Columns of the frame returned by :func:`rank_history`.
HISTORY_COLUMNS = (
    "period",
    "code",
    "name",
    "benefit_set",
    "rank",
    "rank_lower",
    "rank_upper",
    "rank_cs_lower",
    "rank_cs_upper",
    "difference_pp",
    "ci_lower_pp",
    "ci_upper_pp",
)


def rank_history(
    persons: pd.DataFrame,
    municipalities: pd.DataFrame,
    *,
    years: Sequence[int] | None = None,
    benefits: BenefitSet | str = "bm2018",
    spec: Spec = "pooled",
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
) -> pd.DataFrame:
    """Rank and intervals of every municipality in each year, each year fitted on its own.

    Parameters
    ----------
    persons, municipalities : DataFrame
        Register with a ``year`` column in both tables.
    years : sequence of int, optional
        Years to fit; default every year in ``persons``. Each must occur in the register.
    benefits, spec, draws, seed
        As in :func:`analysis.model.fit`; the same for every year.

    Returns
    -------
    DataFrame
        One row per period (year) and municipality with :data:`HISTORY_COLUMNS`, sorted by period and code.

    Raises
    ------
    ValueError
        If ``persons`` lacks a ``year`` column or a requested year is not in the register.

    Examples
    --------
    >>> from analysis.data.synth import generate
    >>> reg = generate(n_persons=10_000, seed=1, years=(2023, 2024))  # synthetic
    >>> h = rank_history(reg.persons, reg.municipalities)
    >>> h.groupby("period")["rank"].agg(["min", "max"]).to_dict("index")
    {'2023': {'min': 1, 'max': 98}, '2024': {'min': 1, 'max': 98}}
    """
    for frame, what in ((persons, "persons"), (municipalities, "municipalities")):
        if "year" not in frame.columns:
            raise ValueError(f"{what}: a column 'year' is needed for ranks over years")
    present = sorted(int(y) for y in pd.unique(persons["year"]))
    if years is None:
        wanted = present
    else:
        wanted = sorted({int(y) for y in years})
        missing = [y for y in wanted if y not in present]
        if not wanted or missing:
            raise ValueError(f"years: {missing or list(years)} not in the register (it has {present})")
    frames = []
    for y in wanted:
        res = fit(
            persons.loc[persons["year"] == y],
            municipalities.loc[municipalities["year"] == y],
            benefits=benefits,
            spec=spec,
            draws=draws,
            seed=seed,
        )
        frames.append(res.tidy()[list(HISTORY_COLUMNS)])
    out = pd.concat(frames, ignore_index=True).sort_values(["period", "code"], ignore_index=True)
    out.attrs["synthetic"] = bool(persons.attrs.get("synthetic", False))
    return out
