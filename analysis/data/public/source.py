"""The embedded public data as a :class:`~analysis.data.sources.Source` (``--data public``).

The municipality × period table of :mod:`analysis.data.public.panel` (Y30R21 outcomes beside
Statistics Denmark's rammevilkår) feeds the aggregates model (population-weighted panel OLS
with period effects, clustered by municipality). It is built in memory from the raw files —
each checked against its recorded sha256 — in well under a second; ``kommunebench public build``
writes the same table to ``data/processed/public/`` for inspection.

Benefit sets
------------
Y30R21 publishes three areas and their total. The areas (``dagpenge``, ``sygedagpenge``,
``kontanthjaelp``) follow the benchmark's definition since 2019, in which ledighedsydelse and
ressourceforløb sit inside the areas; their total is ``bm2019`` ("Ydelsesgrupper i alt"). So
``bm2019`` and each single area can be ranked; ``bm2018`` (the areas without ledighedsydelse
and ressourceforløb) and the groups outside the benchmark (førtidspension, fleksjob) cannot.

The published benchmark (expected, difference, rank) of 2020QMAT02 is loaded for comparison
only (:meth:`PublicData.official`); it never enters the model.

Monthly kontanthjælp to 2026
----------------------------
:class:`PublicMonthly` (:func:`public_monthly_source`) is the second public source: jobindsats'
monthly kontanthjælp measure y60a02 over 12-month windows ending in July, ``2022M07`` …
``2026M07``, beside the same Statistics Denmark rammevilkår
(:mod:`analysis.data.public.monthly`). It has one outcome, ``kontanthjaelp`` — y60a02, which is
narrower than Y30R21's area "Kontanthjælp mv." (about three quarters of it in 2022) — and no
published benchmark.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.core.benefits import GROUPS
from analysis.core.params import BenefitSet, ParameterError
from analysis.data.sources import Aggregates, Missing, Provenance

#: Counts in Y30R21 are published rounded to 10 full-time persons.
ROUNDING = 10.0
#: y60a02's monthly full-time persons are published as whole numbers.
MONTHLY_ROUNDING = 1.0
#: Periods with the Ministry's published benchmark in the embedded data.
OFFICIAL_PERIODS = ("2020QMAT02",)
AREAS = ("dagpenge", "kontanthjaelp", "sygedagpenge")


def _blocks(columns: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """One decomposition block per covariate; DST's municipality groups together as ``komgrp``."""
    blocks: dict[str, tuple[str, ...]] = {}
    for c in columns:
        if not c.startswith("x_"):
            continue
        key = "komgrp" if c.startswith("x_komgrp_") else c[2:]
        blocks[key] = (*blocks.get(key, ()), c)
    return blocks


class PublicData(Aggregates):
    """The embedded public data (Y30R21 and Statistics Denmark), see the module docstring."""

    def __init__(self, frame: pd.DataFrame, *, provenance: Provenance) -> None:
        super().__init__(
            frame,
            provenance=provenance,
            blocks=_blocks(frame.columns),
            rounding=ROUNDING,
            default_benefits="bm2019",
        )

    def can_fit(self, benefits: BenefitSet) -> bool:
        # the areas already hold ledighedsydelse and ressourceforløb: only the published total and
        # single areas are well defined
        return benefits.name in self.own_sets or (benefits.is_group and benefits.name in self.groups)

    def check_benefits(self, benefits: BenefitSet | None) -> BenefitSet:
        if benefits is None or self.can_fit(benefits):
            return super().check_benefits(benefits)
        raise ParameterError(
            f"benefits: the public data (jobindsats Y30R21) rank bm2019 and the single areas "
            f"{', '.join(AREAS)}; {benefits.name} cannot be formed from them (the areas include "
            "ledighedsydelse and ressourceforløb since 2019, and førtidspension and fleksjob are not published)"
        )

    def describe_short(self) -> str:
        return "the public data (jobindsats Y30R21)"

    def missing(
        self, analysis: str, *, side_a: Sequence[str] = (), side_b: Sequence[str] = ()
    ) -> Missing | None:
        if analysis == "rank_shifts":
            return Missing(analysis, "no_all_groups", tuple(g for g in GROUPS if g not in self.groups))
        return super().missing(analysis, side_a=side_a, side_b=side_b)

    def official_periods(self) -> tuple[str, ...]:
        return OFFICIAL_PERIODS

    def official(self, period: str) -> pd.DataFrame:
        """The Ministry's published benchmark for ``period`` (all four lists); for comparison only."""
        from analysis.data.public.jobindsats import load_official

        if period not in OFFICIAL_PERIODS:
            return super().official(period)
        out = load_official()
        return out[out["period"] == period].reset_index(drop=True)


def public_source() -> PublicData:
    """The embedded public data as a source (checked against their provenance on every build).

    Raises
    ------
    InputError
        A raw file is missing, changed, or fails its checks (the message names the file).
    """
    from analysis.data.public.panel import build_panel, codebook

    frame = build_panel()
    tables = (
        ("Jobindsats.dk (STAR)", "måling Y30R21"),
        ("Danmarks Statistik", _dst_tables()),
    )
    prov = _provenance(codebook(), tables, description="public data", dataset="y30r21")
    return PublicData(frame, provenance=prov)


class PublicMonthly(Aggregates):
    """The embedded monthly public data: y60a02 kontanthjælp and Statistics Denmark's rammevilkår.

    One outcome, ``ft_kontanthjaelp`` (jobindsats y60a02, mean of 12 monthly full-time persons),
    over the windows of :data:`analysis.data.public.monthly.MONTHLY_PERIODS`; fitted as
    :class:`~analysis.data.sources.Aggregates` (population-weighted panel OLS with period effects,
    clustered by municipality), with the rounding of the monthly counts (whole full-time persons)
    in the noise. The population share's rounding (1 decimal, at most 0.05 percentage points in a
    window's share) is not in the noise (:mod:`analysis.data.public.monthly`).

    What it cannot feed, as :class:`PublicData`: the trade-off test and the rank shifts (one
    benefit group only; no førtidspension), the jobcenterindblik categories and the efficiency
    frontier (no job-centre data), KL's measures (no spells), and the Ministry's published figures
    (none exist for these windows).
    """

    def __init__(self, frame: pd.DataFrame, *, provenance: Provenance) -> None:
        super().__init__(
            frame,
            provenance=provenance,
            blocks=_blocks(frame.columns),
            rounding=MONTHLY_ROUNDING,
            default_benefits="kontanthjaelp",
        )

    def can_fit(self, benefits: BenefitSet) -> bool:
        # y60a02 is one benefit, not the register group nor Y30R21's area: only itself is ranked
        return benefits.is_group and benefits.name in self.groups

    def check_benefits(self, benefits: BenefitSet | None) -> BenefitSet:
        if benefits is None or self.can_fit(benefits):
            return super().check_benefits(benefits)
        raise ParameterError(
            f"benefits: the public monthly data (jobindsats y60a02) rank kontanthjaelp only; "
            f"{benefits.name} needs benefits the monthly files do not hold"
        )

    def describe_short(self) -> str:
        return "the public monthly data (jobindsats y60a02)"

    def missing(
        self, analysis: str, *, side_a: Sequence[str] = (), side_b: Sequence[str] = ()
    ) -> Missing | None:
        if analysis == "rank_shifts":
            return Missing(analysis, "no_all_groups", tuple(g for g in GROUPS if g not in self.groups))
        return super().missing(analysis, side_a=side_a, side_b=side_b)


def public_monthly_source(root: Path | None = None, *, unemployment: str = "aup02") -> PublicMonthly:
    """The embedded monthly public data as a source (checked against their provenance on every build).

    Parameters
    ----------
    root
        Another ``data/raw`` folder (tests).
    unemployment
        ``"aup02"`` (default, DST's annual rate as in the Y30R21 panel, carried from 2024) or
        ``"y25i01"`` (jobindsats' monthly rate, observed to 2026M07); see
        :func:`analysis.data.public.monthly.build_monthly_panel`.

    Raises
    ------
    InputError
        A raw file is missing, changed or malformed, or a window's outcome lacks a month (the
        message names the file, and the municipality, window and months where it applies).
    ValueError
        An unknown ``unemployment``.
    """
    from analysis.data.public.monthly import build_monthly_panel, monthly_codebook

    frame = build_monthly_panel(root, unemployment=unemployment)
    if unemployment == "y25i01":
        tables = (
            ("Jobindsats.dk (STAR)", "målinger y60a02 (kontanthjælp) og y25i01 (ledighed), månedlige"),
            ("Danmarks Statistik", _dst_tables(skip=("unemployment_pct",))),
        )
    else:
        tables = (
            ("Jobindsats.dk (STAR)", "måling y60a02 (kontanthjælp, månedlig)"),
            ("Danmarks Statistik", _dst_tables()),
        )
    prov = _provenance(
        monthly_codebook(root, unemployment=unemployment),
        tables,
        description="public monthly data (jobindsats y60a02, 12-month windows to July)",
        dataset="y60a02",
    )
    return PublicMonthly(frame, provenance=prov)


def _provenance(
    book: Mapping[str, Any], tables: tuple[tuple[str, str], ...], *, description: str, dataset: str
) -> Provenance:
    """The provenance of a public panel: its codebook's source files (under ``data/raw/``, with
    their recorded sha256) and the named tables."""
    inputs = {f"data/raw/{s['file']}": s["sha256"] for s in book["sources"]}
    return Provenance(
        kind="public", synthetic=False, tables=tables, inputs=inputs, description=description, dataset=dataset
    )


def _dst_tables(skip: Sequence[str] = ()) -> str:
    from analysis.data.public.dst import FACTORS
    from analysis.data.public.panel import COVARIATES

    tables = []
    for cov in COVARIATES:
        if cov.factor in skip:
            continue
        for t in FACTORS[cov.factor].tables:
            if t not in tables:
                tables.append(t)
    return ", ".join(tables) + " og Kommunegrupper"
