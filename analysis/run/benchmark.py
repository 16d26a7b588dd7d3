"""One benchmark run: every model and yardstick the reports need, computed once from a source.

:func:`build` takes a :class:`~analysis.data.sources.Source` and parsed
:class:`~analysis.core.params.RunParameters`. It fits the expected-caseload model for the
report's benefit set, for every single benefit group and for ``bm2018`` and ``all`` where the
source has them, and computes what the source can feed: the trade-off diagnostics, the ranks
in every earlier period, the jobcenterindblik categories, the DEA efficiency scores, KL's
result measures and the rammevilkår used for comparison groups. What a source cannot feed is
recorded in :attr:`Benchmark.missing` (a reason code per analysis) instead.

A batch of reports shares one :class:`Benchmark`: :meth:`Benchmark.save` writes it to the run
folder and :func:`load` reads it back, checking that it was built with the same parameters.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.core.benefits import GROUPS
from analysis.core.io import atomic_path
from analysis.core.params import BenefitSet, RunParameters
from analysis.data.sources import Missing, Provenance, Source

CACHE_FILE = "benchmark.pkl"
FORMAT_VERSION = 4


@dataclass(frozen=True, eq=False)
class Benchmark:
    """Results of one run, shared by the national and the case-municipality reports.

    Attributes
    ----------
    params : RunParameters
        As asked for, with ``period`` and ``benefits`` resolved against the source.
    provenance : Provenance
        What the source is made of (for "Kilde:" lines and the manifest).
    describe : mapping
        Facts on the data (model kind, municipalities, population, observations).
    municipalities : DataFrame
        The source's municipality table of the period (indexed by ``code``).
    fits : mapping
        Set name → :class:`~analysis.model.ExpectedCaseloadResults`.
    tradeoff : TradeoffAnalysis or None
    categories, efficiency, measures : DataFrame or None
    features : DataFrame
        Rammevilkår per municipality for comparison groups.
    history : DataFrame
        Ranks in every period up to ``params.period``.
    missing : mapping
        Analysis → :class:`~analysis.data.sources.Missing` for what the source cannot feed.
    """

    params: RunParameters
    provenance: Provenance
    describe: Mapping[str, Any]
    municipalities: pd.DataFrame
    fits: Mapping[str, Any]
    tradeoff: Any
    categories: pd.DataFrame | None
    efficiency: pd.DataFrame | None
    efficiency_meta: Mapping[str, Any]
    measures: pd.DataFrame | None
    features: pd.DataFrame
    history: pd.DataFrame
    missing: Mapping[str, Missing] = field(default_factory=dict)
    official: Any = None  # analysis.yardsticks.official.OfficialComparison, where published
    timings: Mapping[str, float] = field(default_factory=dict)

    @property
    def synthetic(self) -> bool:
        return self.provenance.synthetic

    @property
    def period(self) -> str:
        assert self.params.period is not None
        return self.params.period

    @property
    def benefit_set(self) -> BenefitSet:
        return self.params.benefits

    @property
    def main(self) -> Any:
        """The fitted model of the report's benefit set."""
        return self.fits[self.benefit_set.name]

    def tidy(self) -> pd.DataFrame:
        """The tidy frame of the report's benefit set (one row per municipality)."""
        return self.main.tidy()

    def has(self, analysis: str) -> bool:
        """Whether the run has ``analysis`` (see :data:`analysis.data.sources.ANALYSES`)."""
        return analysis not in self.missing

    def yardsticks(self) -> pd.DataFrame:
        """Per municipality: category, DEA score of its job centre and KL's measures (what exists)."""
        out = pd.DataFrame(index=pd.Index(self.main.codes, name="code"))
        if self.categories is not None:
            out = out.join(
                self.categories[["category", "category_label", "result_ok", "focus1_ok", "focus2_ok"]]
            )
        if self.efficiency is not None:
            out = out.join(self.efficiency[["dea_score", "jobcentre"]])
        if self.measures is not None:
            out = out.join(self.measures)
        out.index.name = "code"
        return out

    def with_sides(self, side_a: tuple[str, ...], side_b: tuple[str, ...]) -> Benchmark:
        """The benchmark with the trade-off analysed for other sides (same fits)."""
        from analysis.model.tradeoff import analyse_fits

        if self.tradeoff is None or not (side_a or side_b):
            return self
        test = self.tradeoff.test
        current = (test.side_a, test.side_b) if test is not None else ((), ())
        sides = (side_a or current[0], side_b or current[1])
        if sides == current:
            return self
        trade = analyse_fits(
            self.fits,
            set_from=self.tradeoff.set_from,
            set_to=self.tradeoff.set_to,
            side_a=sides[0],
            side_b=sides[1],
            replicates=2000,
            seed=self.params.seed,
        )
        missing = dict(self.missing)
        missing.pop("tradeoff_test", None)
        lacking = tuple(g for g in (*sides[0], *sides[1]) if g not in trade.groups)
        if lacking:
            missing["tradeoff_test"] = Missing("tradeoff_test", "no_side_groups", lacking)
        return replace(self, tradeoff=trade, missing=missing)

    def save(self, folder: str | Path) -> Path:
        """Write the benchmark to ``folder/benchmark.pkl`` atomically (tidy frames computed first)."""
        target = Path(folder) / CACHE_FILE
        for res in self.fits.values():
            res.tidy()  # computed once here and kept with the object, so each report only reads it
        fields = {f: getattr(self, f) for f in self.__dataclass_fields__}
        fields = {
            k: dict(v) if isinstance(v, Mapping) and not isinstance(v, pd.DataFrame) else v
            for k, v in fields.items()
        }
        with atomic_path(target) as tmp, tmp.open("wb") as fh:
            pickle.dump({"version": FORMAT_VERSION, "fields": fields}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return target


# --------------------------------------------------------------------------- building
def _wanted_sets(source: Source, main: BenefitSet) -> list[BenefitSet]:
    names = [main.name, *GROUPS, "bm2018", "all"]
    return [main, *[b for b in source.fittable(names) if b.name != main.name]]


def build(source: Source, params: RunParameters) -> Benchmark:
    """Fit the models and compute the yardsticks for one source and one set of parameters.

    Parameters
    ----------
    source
        Where the data come from (:func:`analysis.data.sources.open_source`).
    params
        Parsed run parameters; ``period`` None means the source's latest, ``benefits`` is
        checked against what the source has.

    Raises
    ------
    ParameterError
        A period, benefit set or specification the source cannot serve.

    Examples
    --------
    >>> import tempfile
    >>> from analysis.core.params import parse_run
    >>> from analysis.data.sources import PersonRegister
    >>> from analysis.data.synth import write_register
    >>> folder = write_register(tempfile.mkdtemp(), n_persons=20_000, seed=1)
    >>> bm = build(PersonRegister(folder), parse_run({"draws": 200}))
    >>> len(bm.tidy()), bm.period
    (98, '2024')
    """
    from analysis.model.tradeoff import DEFAULT_SIDE_A, DEFAULT_SIDE_B, analyse_fits

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    period = source.check_period(params.period)
    main = source.check_benefits(params.benefits)
    spec = source.check_spec(params.spec)
    params = params.model_copy(update={"period": period, "benefits": main})
    municipalities = source.municipalities(period)
    timings["load"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    fits = source.fit_many(
        _wanted_sets(source, main), period=period, spec=spec, draws=params.draws, seed=params.seed
    )
    timings["fit"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    history = source.history(main, period=period, spec=spec, draws=params.draws, seed=params.seed)
    timings["history"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    missing: dict[str, Missing] = {}
    for analysis in ("tradeoff_test", "rank_shifts", "categories", "efficiency", "measures", "official"):
        m = source.missing(analysis, side_a=DEFAULT_SIDE_A, side_b=DEFAULT_SIDE_B)
        if m is not None:
            missing[analysis] = m
    trade = None
    if sum(g in fits for g in GROUPS) >= 2:
        trade = analyse_fits(fits, replicates=2000, seed=params.seed)
    categories = efficiency = measures = None
    eff_meta: dict[str, Any] = {}
    if "categories" not in missing:
        categories = _categories(fits[main.name], municipalities)
    if "efficiency" not in missing:
        efficiency, eff_meta = _efficiency(fits, municipalities, seed=params.seed)
    if "measures" not in missing:
        from analysis.yardsticks.measures import kl_measures

        measures = kl_measures(source.persons(period), benefits=main, year=int(period))
    features = source.features(period)
    official = None
    published = [p for p in source.official_periods() if p <= period]
    if published:
        official = _official(source, fits, published[-1], period=period, spec=spec, params=params)
    elif "official" not in missing:
        missing["official"] = Missing("official", "not_published")
    timings["yardsticks"] = time.perf_counter() - t0
    return Benchmark(
        params=params,
        provenance=source.provenance,
        describe=source.describe(period),
        municipalities=municipalities,
        fits=fits,
        tradeoff=trade,
        categories=categories,
        efficiency=efficiency,
        efficiency_meta=eff_meta,
        measures=measures,
        features=features,
        history=history,
        missing=missing,
        official=official,
        timings=timings,
    )


def _official(
    source: Source, fits: Mapping[str, Any], published: str, *, period: str, spec: str, params
) -> Any:
    """The open model beside the Ministry's published figures of ``published`` (≤ the run's period).

    When the run is about a later period, the published period is fitted on its own data up to
    it (nothing later enters), with the run's specification, draws and seed.
    """
    from analysis.yardsticks.official import compare

    off = source.official(published)
    keys = [k for k in dict.fromkeys(off["benefit"])]
    if published == period:
        use = {k: fits[k] for k in keys if k in fits}
    else:
        use = source.fit_many(
            source.fittable(keys), period=published, spec=spec, draws=params.draws, seed=params.seed
        )
    return compare(use, off, period=published)


def _categories(res: Any, municipalities: pd.DataFrame) -> pd.DataFrame:
    from analysis.yardsticks.categories import jobcenterindblik

    tidy = res.tidy().set_index("code")
    return jobcenterindblik(
        pd.DataFrame(
            {
                "actual_share": tidy["actual"] / tidy["population"],
                "expected_share": tidy["expected"] / tidy["population"],
                "no_offer_share": municipalities["no_offer_share"],
                "conversations_share_ok": municipalities["conversations_share_ok"],
            }
        )
    )


def _efficiency(
    fits: Mapping[str, Any], municipalities: pd.DataFrame, *, seed: int
) -> tuple[pd.DataFrame, dict]:
    from analysis.yardsticks.frontier import EXCLUDED_SMALL, efficiency_table, jobcentre_units

    areas = {g: fits[g].tidy() for g in ("dagpenge", "kontanthjaelp", "sygedagpenge")}
    empty = _units_without_caseload(areas)
    units = jobcentre_units(municipalities.reset_index(), areas, exclude=sorted({*EXCLUDED_SMALL, *empty}))
    eff_units, meta = efficiency_table(units, seed=seed)
    meta["excluded_empty"] = empty
    return _efficiency_by_municipality(eff_units), meta


def _units_without_caseload(areas: Mapping[str, pd.DataFrame]) -> list[int]:
    """Municipalities whose job centre has no actual, or no positive expected, full-time persons
    in some area.

    The frontier's outputs are expected/actual per area: undefined at zero actual, and negative
    when the linear model's expected count is negative. Both happen only in small samples (a few
    thousand persons per municipality never give them).
    """
    from analysis.core.municipalities import registry

    jc = registry()["jobcenter"]
    out: set[int] = set()
    for frame in areas.values():
        t = frame.set_index("code")
        per_unit = t[["actual", "expected"]].groupby(t.index.map(jc)).sum()
        empty_units = set(per_unit.index[(per_unit["actual"] <= 0) | (per_unit["expected"] <= 0)])
        out |= {int(c) for c in t.index if jc[c] in empty_units}
    return sorted(out)


def _efficiency_by_municipality(units: pd.DataFrame) -> pd.DataFrame:
    """Give each member municipality its job centre's DEA score (excluded ones get NaN)."""
    from analysis.core.municipalities import codes

    rows = []
    for _, u in units.iterrows():
        for member in str(u["members"]).split(","):
            rows.append(
                {
                    "code": int(member),
                    "jobcentre": int(u["code"]),
                    "dea_score": float(u["efficiency"]),
                    "dea_rank": int(u["dea_rank"]),
                    "dea_peers": str(u["peers"]),
                }
            )
    out = pd.DataFrame(rows).set_index("code").reindex(codes())
    out.index.name = "code"
    return out


# --------------------------------------------------------------------------- saving and loading
def load(folder: str | Path, *, expect: RunParameters | None = None) -> Benchmark:
    """Read a saved benchmark; with ``expect``, check that it was built with those parameters.

    ``expect``'s ``period`` and ``benefits`` are compared only when given (None means "as the
    source decides").

    Raises
    ------
    FileNotFoundError, ValueError
        Naming the file and, for a mismatch, the differing parameters.
    """
    path = Path(folder) / CACHE_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no saved benchmark; build one with analysis.run.benchmark.build(...).save()"
        )
    rebuild = "rebuild it with analysis.run.benchmark.build(...).save()"
    try:
        with path.open("rb") as fh:
            payload = pickle.load(fh)
    except (
        pickle.UnpicklingError,
        EOFError,
        AttributeError,
        ImportError,
        IndexError,
        KeyError,
        TypeError,
        ValueError,
        OverflowError,
    ) as exc:
        raise ValueError(
            f"{path}: not a saved benchmark (unreadable: {type(exc).__name__}: {exc}); {rebuild}"
        ) from exc
    if not isinstance(payload, dict) or not {"version", "fields"} <= set(payload):
        raise ValueError(f"{path}: not a saved benchmark; {rebuild}")
    if payload["version"] != FORMAT_VERSION:
        raise ValueError(
            f"{path}: saved by another version of kommunebench (format {payload['version']!r}, this "
            f"version reads {FORMAT_VERSION}); {rebuild}"
        )
    saved = payload["fields"]
    names = set(Benchmark.__dataclass_fields__)
    if not isinstance(saved, dict) or not set(saved) <= names or "params" not in saved:
        raise ValueError(f"{path}: not a saved benchmark (unexpected fields); {rebuild}")
    bm = Benchmark(**saved)
    if expect is not None:
        diff = mismatches(bm.params, expect)
        if diff:
            detail = ", ".join(f"{k}: saved {a!r}, asked {b!r}" for k, (a, b) in diff.items())
            raise ValueError(f"{path}: built with other parameters ({detail})")
    return bm


def mismatches(saved: RunParameters, asked: RunParameters) -> dict[str, tuple[str, str]]:
    """Parameters in which ``asked`` differs from ``saved`` (None period/benefits match anything)."""
    a, b = saved.run_key(), asked.run_key()
    out = {}
    for k in a:
        if k in ("period", "benefits") and getattr(asked, k) is None:
            continue
        if a[k] != b[k]:
            out[k] = (a[k], b[k])
    return out


def open_benchmark(params: RunParameters, *, cache: str | Path | None = None) -> Benchmark:
    """Load the benchmark from ``cache`` when given (parameters checked), else build it."""
    if cache:
        return load(cache, expect=params)
    from analysis.data.open import open_source

    return build(open_source(params.data), params)


__all__ = ["CACHE_FILE", "Benchmark", "build", "load", "mismatches", "open_benchmark"]
