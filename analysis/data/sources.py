"""The data-source seam: where the numbers of a run come from.

A :class:`Source` is the only thing that reads data files for a run. Two kinds exist:

* :class:`PersonRegister` — a person register (Syntetisk Danmark or a real register in the same
  format): the model is OLS on cell sufficient statistics, each year fitted on its own;
* :class:`Aggregates` — municipality × period aggregates (public data, StatBank tables, or the
  aggregates of a register): the model is population-weighted panel OLS with period effects.

Each source says which periods and benefit groups it has, and which analyses it can feed
(:meth:`Source.missing` gives a reason code when it cannot): the yardsticks need job-centre
data, KL's measures need spells, the trade-off needs its two sides. The report layer turns a
reason code into one Danish sentence.

:func:`analysis.data.open.open_source` turns a :class:`~analysis.core.params.DataRef` into a
source, building the embedded default synthetic register when it is not there yet.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Literal

import pandas as pd

from analysis.core.benefits import GROUPS, SETS
from analysis.core.io import file_sha256
from analysis.core.params import BenefitSet, ParameterError, check_choice

Analysis = Literal["tradeoff_test", "rank_shifts", "categories", "efficiency", "measures", "official"]
ANALYSES: tuple[str, ...] = (
    "tradeoff_test",
    "rank_shifts",
    "categories",
    "efficiency",
    "measures",
    "official",
)

#: Reason codes of :meth:`Source.missing` (labelled in :mod:`analysis.report.labels`).
REASONS = (
    "no_jobcentre_data",  # categories, efficiency: no conversations, active offers or expenditure
    "no_spells",  # measures: no spell lengths or exits
    "no_side_groups",  # tradeoff_test: a side's benefit groups have no outcome (detail: groups)
    "no_all_groups",  # rank_shifts: not every benefit group has an outcome (detail: groups)
    "not_published",  # official: no published benchmark for the period
)

JOBCENTRE_COLUMNS = ("expenditure", "conversations_share_ok", "no_offer_share", "exits_to_work")


@dataclass(frozen=True)
class Missing:
    """Why a source cannot feed an analysis: a reason code and the items it concerns."""

    analysis: str
    reason: str
    detail: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provenance:
    """What a source is made of, for "Kilde:" lines and the run manifest.

    ``tables`` are ``(publisher, table)`` pairs such as ``("Jobindsats.dk (STAR)", "Y30R21")``;
    ``inputs`` maps each input file (relative to the project where possible) to its sha256.
    """

    kind: Literal["public", "synthetic", "folder"]
    synthetic: bool
    tables: tuple[tuple[str, str], ...] = ()
    inputs: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    dataset: str = ""  # which measure the outcome is: "y30r21", "y60a02" (public data); "" otherwise


class Source(ABC):
    """A source of municipality data for one run (see the module docstring)."""

    model: ClassVar[Literal["cells", "panel"]]
    specs: ClassVar[tuple[str, ...]]

    @property
    @abstractmethod
    def provenance(self) -> Provenance: ...

    @property
    def synthetic(self) -> bool:
        return self.provenance.synthetic

    @property
    @abstractmethod
    def periods(self) -> tuple[str, ...]:
        """Periods with data, oldest first (``"2024"``, ``"2022QMAT04"``)."""

    @property
    @abstractmethod
    def groups(self) -> tuple[str, ...]:
        """Benefit groups with an outcome, in the order of :data:`~analysis.core.benefits.GROUPS`."""

    @property
    def own_sets(self) -> tuple[str, ...]:
        """Named sets with an outcome of their own (a published total), beyond sums of groups."""
        return ()

    @property
    def default_benefits(self) -> BenefitSet:
        """The benefit set ranked when none is asked for."""
        return BenefitSet.parse("bm2018")

    def latest(self) -> str:
        return self.periods[-1]

    def check_period(self, period: str | None) -> str:
        """``period`` when the source has it, the latest when None.

        Raises
        ------
        ParameterError
            Naming the period and the ones the source has.
        """
        if period is None:
            return self.latest()
        if period not in self.periods:
            raise ParameterError(
                f"period: {period} is not in the data ({self.describe_short()} has {', '.join(self.periods)})"
            )
        return period

    def can_fit(self, benefits: BenefitSet) -> bool:
        return benefits.name in self.own_sets or all(g in self.groups for g in benefits.groups)

    def check_benefits(self, benefits: BenefitSet | None) -> BenefitSet:
        """``benefits`` when the source has its outcome, the default when None.

        Raises
        ------
        ParameterError
            Naming the groups the data lack.
        """
        if benefits is None:
            return self.default_benefits
        if not self.can_fit(benefits):
            lacking = [g for g in benefits.groups if g not in self.groups]
            raise ParameterError(
                f"benefits: {benefits.name} needs {', '.join(lacking)}, which {self.describe_short()} lacks; "
                f"it has {', '.join([*self.groups, *self.own_sets])}"
            )
        return benefits

    def check_spec(self, spec: str) -> str:
        check_choice("spec", spec, self.specs)
        return spec

    def fittable(self, names: Sequence[str]) -> list[BenefitSet]:
        """The sets among ``names`` (set names or group keys) that the source can fit."""
        out = []
        for n in names:
            b = BenefitSet.parse(n)
            if self.can_fit(b):
                out.append(b)
        return list({b.name: b for b in out}.values())

    def missing(
        self, analysis: str, *, side_a: Sequence[str] = (), side_b: Sequence[str] = ()
    ) -> Missing | None:
        """None when the source can feed ``analysis``, else why not (:data:`REASONS`)."""
        check_choice("analysis", analysis, ANALYSES)
        if analysis == "tradeoff_test":
            lacking = tuple(g for g in (*side_a, *side_b) if g not in self.groups)
            return Missing(analysis, "no_side_groups", lacking) if lacking else None
        if analysis == "rank_shifts":
            lacking = tuple(g for g in GROUPS if g not in self.groups)
            return Missing(analysis, "no_all_groups", lacking) if lacking else None
        if analysis == "official":
            return None if self.official_periods() else Missing(analysis, "not_published")
        return self._missing(analysis)

    def official_periods(self) -> tuple[str, ...]:
        """Periods for which the source holds the Ministry's published benchmark (for comparison only)."""
        return ()

    def official(self, period: str) -> pd.DataFrame:
        """The published benchmark of ``period`` (:func:`analysis.data.public.jobindsats.load_official`)."""
        raise ParameterError(f"period: {self.describe_short()} holds no published benchmark for {period}")

    def _missing(self, analysis: str) -> Missing | None:
        return None

    @abstractmethod
    def describe_short(self) -> str:
        """A few words naming the source in messages (English)."""

    @abstractmethod
    def municipalities(self, period: str) -> pd.DataFrame:
        """Municipality table of ``period`` indexed by ``code`` (``name``, ``population`` and,
        where the source has them, local rammevilkår and job-centre columns)."""

    @abstractmethod
    def fit_many(
        self, sets: Sequence[BenefitSet], *, period: str, spec: str, draws: int, seed: int
    ) -> dict[str, Any]:
        """Fitted :class:`~analysis.model.ExpectedCaseloadResults` for ``period``, keyed by set name.

        ``draws`` joint draws of the gaps from their estimated sampling distribution (seeded by
        ``seed``) lie behind the marginal rank intervals. Every result carries its noise
        covariance with the other disjoint sets fitted here (``noise_cov_pp``).
        """

    @abstractmethod
    def history(self, benefits: BenefitSet, *, period: str, spec: str, draws: int, seed: int) -> pd.DataFrame:
        """Ranks in every period up to ``period`` (:data:`analysis.model.history.HISTORY_COLUMNS`)."""

    @abstractmethod
    def features(self, period: str) -> pd.DataFrame:
        """Rammevilkår per municipality (indexed by ``code``) for comparison groups."""

    def persons(self, period: str) -> pd.DataFrame:
        """Person rows of ``period`` (person registers only)."""
        raise ParameterError(f"data: {self.describe_short()} has no person rows")

    def describe(self, period: str) -> dict[str, Any]:
        """Facts for the report's data paragraph: kind, municipalities, population, observations."""
        mun = self.municipalities(period)
        return {
            "model": self.model,
            "kind": self.provenance.kind,
            "synthetic": self.synthetic,
            "period": period,
            "periods": self.periods,
            "municipalities": len(mun),
            "population": float(mun["population"].sum()),
        }


# --------------------------------------------------------------------------- person register
class PersonRegister(Source):
    """A person register folder (``persons.parquet``, ``municipalities.parquet``)."""

    model = "cells"
    specs = ("pooled", "fe")

    def __init__(self, folder: str | Path, *, kind: Literal["synthetic", "folder"] = "folder") -> None:
        self.folder = Path(folder)
        self._kind = kind

    @cached_property
    def _register(self):
        from analysis.data.register import load_register

        return load_register(self.folder)

    @cached_property
    def provenance(self) -> Provenance:
        inputs = {str(p.resolve()): file_sha256(p) for p in sorted(self.folder.glob("*.parquet"))}
        return Provenance(
            kind=self._kind,
            synthetic=bool(self._register.synthetic),
            inputs=inputs,
            description=str(self.folder),
        )

    @cached_property
    def periods(self) -> tuple[str, ...]:
        years = sorted(int(y) for y in self._register.municipalities["year"].unique())
        return tuple(str(y) for y in years)

    @cached_property
    def groups(self) -> tuple[str, ...]:
        """Groups with a column and at least one recipient (a group nobody receives has no outcome)."""
        persons = self._register.persons
        return tuple(g for g in GROUPS if g in persons.columns and bool(persons[g].to_numpy().any()))

    def describe_short(self) -> str:
        return f"the register {self.folder}"

    def _missing(self, analysis: str) -> Missing | None:
        mun = self._register.municipalities
        if analysis in ("categories", "efficiency"):
            lacking = tuple(c for c in JOBCENTRE_COLUMNS if c not in mun.columns)
            return Missing(analysis, "no_jobcentre_data", lacking) if lacking else None
        if analysis == "measures":
            lacking = tuple(
                c for c in ("spell_months", "exited", "employed_3m") if c not in self._register.persons
            )
            return Missing(analysis, "no_spells", lacking) if lacking else None
        return None

    def _year(self, period: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        reg = self._register
        if len(self.periods) == 1:
            return reg.persons, reg.municipalities
        y = int(period)
        return reg.persons.loc[reg.persons["year"] == y], reg.municipalities.loc[
            reg.municipalities["year"] == y
        ]

    def municipalities(self, period: str) -> pd.DataFrame:
        _, mun = self._year(period)
        return mun.set_index("code").sort_index()

    def persons(self, period: str) -> pd.DataFrame:
        return self._year(period)[0]

    def fit_many(self, sets, *, period, spec, draws, seed):
        from analysis.model import fit_many

        persons, mun = self._year(period)
        return fit_many(persons, mun, benefit_sets=list(sets), spec=spec, draws=draws, seed=seed)

    def history(self, benefits, *, period, spec, draws, seed):
        from analysis.model.history import HISTORY_COLUMNS, rank_history

        earlier = [int(p) for p in self.periods if p < period]
        current = self.fit_many([benefits], period=period, spec=spec, draws=draws, seed=seed)[benefits.name]
        frames = []
        if earlier:
            reg = self._register
            frames.append(
                rank_history(
                    reg.persons,
                    reg.municipalities,
                    years=earlier,
                    benefits=benefits,
                    spec=spec,
                    draws=draws,
                    seed=seed,
                )
            )
        frames.append(current.tidy()[list(HISTORY_COLUMNS)])
        return pd.concat(frames, ignore_index=True)

    def features(self, period: str) -> pd.DataFrame:
        from analysis.yardsticks.peers import rammevilkaar_features

        persons, mun = self._year(period)
        return rammevilkaar_features(persons, mun, year=int(period))

    def describe(self, period: str) -> dict[str, Any]:
        out = super().describe(period)
        out["observations"] = len(self.persons(period))
        return out


# --------------------------------------------------------------------------- aggregates
class Aggregates(Source):
    """Municipality × period aggregates (``docs/architecture.md``): ``code``, ``period`` (or
    ``year``), ``population``, ``ft_<group or set>``, ``x_<covariate>``."""

    model = "panel"
    specs = ("pooled",)

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        provenance: Provenance,
        blocks: Mapping[str, Sequence[str]] | None = None,
        rounding: float = 0.0,
        default_benefits: str = "bm2018",
    ) -> None:
        from analysis.model.panel import as_panel

        self.frame = as_panel(frame)
        self.frame.attrs["synthetic"] = provenance.synthetic
        self._provenance = provenance
        self.blocks = blocks
        self.rounding = rounding
        self._default = default_benefits
        self._fits: dict[tuple[str, str], Any] = {}

    @property
    def provenance(self) -> Provenance:
        return self._provenance

    @cached_property
    def periods(self) -> tuple[str, ...]:
        return tuple(sorted(self.frame["period"].unique()))

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(g for g in GROUPS if f"ft_{g}" in self.frame.columns)

    @property
    def own_sets(self) -> tuple[str, ...]:
        return tuple(s for s in SETS if f"ft_{s}" in self.frame.columns)

    @property
    def default_benefits(self) -> BenefitSet:
        return BenefitSet.parse(self._default)

    def describe_short(self) -> str:
        return {"public": "the public data", "synthetic": "the synthetic aggregates"}.get(
            self.provenance.kind, "the aggregates"
        )

    def _missing(self, analysis: str) -> Missing | None:
        if analysis in ("categories", "efficiency"):
            lacking = tuple(c for c in JOBCENTRE_COLUMNS if c not in self.frame.columns)
            return Missing(analysis, "no_jobcentre_data", lacking) if lacking else None
        if analysis == "measures":
            return Missing(analysis, "no_spells")
        return None

    def _panel(self, benefits: BenefitSet, until: str):
        from analysis.model.panel import fit_panel

        key = (benefits.name, until)
        if key not in self._fits:
            self._fits[key] = fit_panel(
                self.frame, benefits, blocks=self.blocks, until=until, rounding=self.rounding
            )
        return self._fits[key]

    def municipalities(self, period: str) -> pd.DataFrame:
        rows = self.frame.loc[self.frame["period"] == period].set_index("code").sort_index()
        if "name" not in rows.columns:
            from analysis.core.municipalities import registry

            rows = rows.assign(name=registry()["name"].reindex(rows.index).to_numpy())
        return rows

    def fit_many(self, sets, *, period, spec, draws, seed):
        from analysis.model.panel import with_noise_covariances

        self.check_spec(spec)
        return with_noise_covariances(
            {b.name: self._panel(b, period).results(period, draws=draws, seed=seed) for b in sets}
        )

    def history(self, benefits, *, period, spec, draws, seed):
        from analysis.model.history import HISTORY_COLUMNS

        self.check_spec(spec)
        pf = self._panel(benefits, period)
        frames = [pf.results(p, draws=draws, seed=seed).tidy()[list(HISTORY_COLUMNS)] for p in pf.periods]
        return pd.concat(frames, ignore_index=True)

    def features(self, period: str) -> pd.DataFrame:
        rows = self.municipalities(period)
        x = [c for c in rows.columns if c.startswith("x_")]
        return rows[x].astype(float)


def aggregates_of_register(folder: str | Path) -> Aggregates:
    """The StatBank-schema aggregates of a register folder, as an :class:`Aggregates` source.

    Used to run the aggregate route on synthetic data (tests, and a check of the two routes
    against each other).
    """
    from analysis.data.aggregate import aggregate_register
    from analysis.data.register import load_register

    reg = load_register(folder)
    agg = aggregate_register(reg.persons, reg.municipalities, source=str(folder))
    inputs = {str(p.resolve()): file_sha256(p) for p in sorted(Path(folder).glob("*.parquet"))}
    prov = Provenance(
        kind="synthetic" if reg.synthetic else "folder",
        synthetic=bool(reg.synthetic),
        inputs=inputs,
        description=f"aggregates of {folder}",
    )
    return Aggregates(agg, provenance=prov)


__all__ = [
    "ANALYSES",
    "REASONS",
    "Aggregates",
    "Missing",
    "PersonRegister",
    "Provenance",
    "Source",
    "aggregates_of_register",
]
