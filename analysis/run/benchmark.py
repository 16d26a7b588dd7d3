"""One benchmark run: every model and yardstick the reports need, computed once.

:func:`build` reads a register folder, fits the expected-caseload model for the report's benefit
set, for ``bm2018`` and ``all`` and for every single benefit group (one set of cells), and
computes the trade-off diagnostics, the ranks in every earlier year of the register (each
year fitted on its own), the jobcenterindblik categories, the DEA efficiency scores,
KL's result measures and the rammevilkår used for comparison groups. A batch of reports shares
one :class:`Benchmark`: :meth:`Benchmark.save` writes it to the run folder and
:func:`load` reads it back (checking that the parameters match).
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import pandas as pd

from analysis.core.benefits import GROUPS, resolve
from analysis.core.io import atomic_path

CACHE_FILE = "benchmark.pkl"
FORMAT_VERSION = 2
Spec = Literal["pooled", "fe"]


@dataclass(frozen=True)
class Benchmark:
    """Results of one run, shared by the national and the case-municipality reports."""

    parameters: Mapping[str, Any]
    synthetic: bool
    municipalities: pd.DataFrame
    fits: Mapping[str, Any]
    tradeoff: Any
    categories: pd.DataFrame
    efficiency: pd.DataFrame
    efficiency_meta: Mapping[str, Any]
    measures: pd.DataFrame
    features: pd.DataFrame
    inputs: Mapping[str, str]
    timings: Mapping[str, float] = field(default_factory=dict)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def benefit_set(self) -> str:
        return resolve(self.parameters["benefits"])[0]

    @property
    def main(self) -> Any:
        """The fitted model of the report's benefit set."""
        return self.fits[self.benefit_set]

    def tidy(self) -> pd.DataFrame:
        """The tidy frame of the report's benefit set (one row per municipality)."""
        return self.main.tidy()

    def yardsticks(self) -> pd.DataFrame:
        """Per municipality: category, DEA score of its job centre and KL's measures."""
        cat = self.categories[["category", "category_label", "result_ok", "focus1_ok", "focus2_ok"]]
        out = cat.join(self.efficiency[["dea_score", "jobcentre"]], how="left").join(
            self.measures, how="left"
        )
        out.index.name = "code"
        return out

    def save(self, folder: str | Path) -> Path:
        """Write the benchmark to ``folder/benchmark.pkl`` atomically."""
        target = Path(folder) / CACHE_FILE
        for res in self.fits.values():
            res.tidy()  # computed once here and stored, so that each report only reads it
        fields = {f: getattr(self, f) for f in self.__dataclass_fields__}
        fields = {k: dict(v) if isinstance(v, MappingProxyType) else v for k, v in fields.items()}
        with atomic_path(target) as tmp, tmp.open("wb") as fh:
            pickle.dump({"version": FORMAT_VERSION, "fields": fields}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        return target


def _parameters(
    data: str | Path, year: int | None, benefits: str, spec: str, bootstrap: int, seed: int
) -> dict:
    if spec not in ("pooled", "fe"):
        raise ValueError(f"spec: expected 'pooled' or 'fe', got {spec!r}")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise ValueError(f"year: expected an integer year or None, got {year!r}")
    resolve(benefits)  # raises with the valid choices
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int) or bootstrap < 0:
        raise ValueError(f"bootstrap: expected a non-negative integer, got {bootstrap!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    return {
        "data": str(Path(data).resolve()),
        "year": None if year is None else int(year),
        "benefits": benefits,
        "spec": spec,
        "bootstrap": bootstrap,
        "seed": seed,
    }


def build(
    data: str | Path,
    *,
    year: int | None = None,
    benefits: str = "bm2018",
    spec: Spec = "pooled",
    bootstrap: int = 1000,
    seed: int = 0,
) -> Benchmark:
    """Fit the models and compute the yardsticks for one register and one set of parameters.

    Parameters
    ----------
    data
        Register folder (``persons.parquet``, ``municipalities.parquet``; synthetic or real).
    year
        Year to analyse; default the latest year in the register.
    benefits
        Benefit set of the main ranking (``bm2018``, ``bm2019``, ``all`` or ``a,b,c``).
    spec
        ``pooled`` or ``fe`` (see :func:`analysis.model.fit`).
    bootstrap
        Replicates for the rank intervals.
    seed
        Seed of every random draw.

    Examples
    --------
    >>> import tempfile
    >>> from analysis.data.synth import write_register
    >>> folder = write_register(tempfile.mkdtemp(), n_persons=20_000, seed=1)
    >>> bm = build(folder, bootstrap=200)
    >>> len(bm.tidy())
    98
    """
    from analysis.core.io import file_sha256
    from analysis.data.synth import load_register
    from analysis.model import fit_many
    from analysis.model.history import HISTORY_COLUMNS, rank_history
    from analysis.model.tradeoff import analyse_fits, benefit_sets_needed
    from analysis.yardsticks.categories import jobcenterindblik
    from analysis.yardsticks.frontier import EXCLUDED_SMALL, efficiency_table, jobcentre_units
    from analysis.yardsticks.measures import kl_measures
    from analysis.yardsticks.peers import rammevilkaar_features

    params = _parameters(data, year, benefits, spec, bootstrap, seed)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    folder = Path(data)
    reg = load_register(folder)
    persons, mun = reg.persons, reg.municipalities
    years = sorted(int(y) for y in mun["year"].unique())
    if year is None:
        year = years[-1]
    elif int(year) not in years:
        raise ValueError(f"year: {year} is not in the register {folder} (it has {years})")
    params["year"] = int(year)
    all_persons, all_mun = persons, mun
    if len(years) > 1:
        persons = persons.loc[persons["year"] == year]
        mun = mun.loc[mun["year"] == year]
    inputs = {str(p.resolve()): file_sha256(p) for p in sorted(folder.glob("*.parquet"))}
    timings["load"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    main_name = resolve(benefits)[0]
    wanted = list(dict.fromkeys([main_name, *benefit_sets_needed("bm2018", "all")]))
    fits = fit_many(
        persons,
        mun,
        benefit_sets=[benefits if w == main_name else w for w in wanted],
        spec=spec,
        bootstrap=bootstrap,
        seed=seed,
    )
    timings["fit"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    earlier = [y for y in years if y < year]
    current = fits[main_name].tidy().assign(year=int(year))[list(HISTORY_COLUMNS)]
    if earlier:
        past = rank_history(
            all_persons,
            all_mun,
            years=earlier,
            benefits=benefits,
            spec=spec,
            bootstrap=bootstrap,
            seed=seed,
        )
        history = pd.concat([past, current], ignore_index=True)
    else:
        history = current.reset_index(drop=True)
    timings["history"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    trade = analyse_fits(fits, replicates=2000, seed=seed)
    tidy = fits[main_name].tidy().set_index("code")
    mun_y = mun.set_index("code")
    cat_in = pd.DataFrame(
        {
            "actual_share": tidy["actual"] / tidy["population"],
            "expected_share": tidy["expected"] / tidy["population"],
            "no_offer_share": mun_y["no_offer_share"],
            "conversations_share_ok": mun_y["conversations_share_ok"],
        }
    )
    categories = jobcenterindblik(cat_in)
    areas = {g: fits[g].tidy() for g in ("dagpenge", "kontanthjaelp", "sygedagpenge")}
    empty = _units_without_caseload(areas)
    units = jobcentre_units(mun, areas, exclude=sorted({*EXCLUDED_SMALL, *empty}))
    eff_units, eff_meta = efficiency_table(units, seed=seed)
    if empty:
        eff_meta["notes"].append(
            "Udeladt af effektivitetsanalysen, fordi jobcentret ikke har nogen faktiske eller forventede "
            f"fuldtidspersoner i et af områderne i data: kommune {', '.join(map(str, empty))}."
        )
    eff_meta["excluded_empty"] = empty
    efficiency = _efficiency_by_municipality(eff_units)
    measures = kl_measures(persons, benefits=benefits, year=year)
    features = rammevilkaar_features(persons, mun, year=year)
    timings["yardsticks"] = time.perf_counter() - t0
    return Benchmark(
        parameters=MappingProxyType(params),
        synthetic=bool(reg.synthetic),
        municipalities=mun.reset_index(drop=True),
        fits=MappingProxyType(fits),
        tradeoff=trade,
        categories=categories,
        efficiency=efficiency,
        efficiency_meta=MappingProxyType(eff_meta),
        measures=measures,
        features=features,
        inputs=MappingProxyType(inputs),
        timings=MappingProxyType(timings),
        history=history,
    )


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
    from analysis.core.municipalities import codes

    out = pd.DataFrame(rows).set_index("code").reindex(codes())
    out.index.name = "code"
    return out


def load(folder: str | Path, *, expect: Mapping[str, Any] | None = None) -> Benchmark:
    """Read a saved benchmark; with ``expect``, check that it was built with those parameters.

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
    required = {
        n
        for n, f in Benchmark.__dataclass_fields__.items()
        if f.default is MISSING and f.default_factory is MISSING
    }
    if not isinstance(saved, dict) or not required <= set(saved) <= set(Benchmark.__dataclass_fields__):
        raise ValueError(f"{path}: not a saved benchmark (unexpected fields); {rebuild}")
    fields = {k: MappingProxyType(v) if isinstance(v, dict) else v for k, v in saved.items()}
    bm = Benchmark(**fields)
    if expect:
        diff = {
            k: (bm.parameters.get(k), v)
            for k, v in expect.items()
            if v is not None and bm.parameters.get(k) != v
        }
        if diff:
            detail = ", ".join(f"{k}: saved {a!r}, asked {b!r}" for k, (a, b) in diff.items())
            raise ValueError(f"{path}: built with other parameters ({detail})")
    return bm


def open_benchmark(
    data: str | Path,
    *,
    cache: str | Path | None = None,
    year: int | None = None,
    benefits: str = "bm2018",
    spec: Spec = "pooled",
    bootstrap: int = 1000,
    seed: int = 0,
) -> Benchmark:
    """Load the benchmark from ``cache`` when given (parameters checked), else build it."""
    if cache:
        expect = _parameters(data, year, benefits, spec, bootstrap, seed)
        return load(cache, expect=expect)
    return build(data, year=year, benefits=benefits, spec=spec, bootstrap=bootstrap, seed=seed)


def resolve_data(data: str | Path) -> Path:
    """The register folder: ``data`` itself, or the embedded synthetic default when empty."""
    from analysis.core.paths import synthetic_default_dir
    from analysis.report.params import ParameterError

    folder = Path(data) if str(data).strip() else synthetic_default_dir()
    missing = [n for n in ("persons.parquet", "municipalities.parquet") if not (folder / n).is_file()]
    if missing:
        hint = (
            " (build it with `nox -s report` or `kommunebench synth --out ...`)"
            if not str(data).strip()
            else ""
        )
        # ParameterError (a ValueError) so that the parameter checks do not name 'data' twice
        raise ParameterError(f"parameter 'data': {folder} lacks {', '.join(missing)}{hint}")
    return folder


def _check_benefits(value: Any) -> Any:
    resolve(value)
    return value


def _check_spec(value: Any) -> Any:
    if value not in ("pooled", "fe"):
        raise ValueError(f"expected 'pooled' or 'fe', got {value!r}")
    return value


def _check_count(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"expected a non-negative integer, got {value!r}")
    return value


def _check_k(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 20:
        raise ValueError(f"expected an integer from 1 to 20, got {value!r}")
    return value


def _groups(value: str) -> tuple[str, ...]:
    """Benefit groups from a comma-separated parameter ("" → empty)."""
    parts = tuple(p.strip() for p in str(value).split(",") if p.strip())
    unknown = [p for p in parts if p not in GROUPS]
    if unknown:
        raise ValueError(f"unknown benefit group(s) {unknown}; expected some of {', '.join(GROUPS)}")
    return parts


def _check_groups(value: Any) -> Any:
    _groups(value)
    return value


def _check_cases(value: Any) -> Any:
    from analysis.core.municipalities import lookup

    for part in str(value).split(","):
        if part.strip():
            lookup(part.strip())
    return value


def report_checks() -> dict[str, Any]:
    """Domain checks for report parameters, by name (run before any kernel starts)."""
    from analysis.report.params import DEFAULT_CHECKS

    return {
        **DEFAULT_CHECKS,
        "data": resolve_data,
        "benefits": _check_benefits,
        "spec": _check_spec,
        "bootstrap": _check_count,
        "n_peers": _check_k,
        "cases": _check_cases,
        "side_a": _check_groups,
        "side_b": _check_groups,
    }


REPORT_TITLES = {
    "national": ("Kommunernes beskæftigelsesindsats", "Faktisk og forventet antal på offentlig forsørgelse"),
    "tradeoff": (
        "Forbundne kar",
        "Kontanthjælp, førtidspension og kommunernes placering i benchmarket",
    ),
    "case": ("Kommunerapport", "Beskæftigelsesindsatsen målt med flere målestokke"),
}


def start_report(
    kind: Literal["national", "tradeoff", "case"],
    *,
    data: str = "",
    year: int | None = None,
    benefits: str = "bm2018",
    spec: Spec = "pooled",
    bootstrap: int = 1000,
    seed: int = 0,
    publisher: str = "kommunebench",
    cache: str = "",
    municipality: str | int | None = None,
    side_a: str = "",
    side_b: str = "",
    **_: Any,
) -> Benchmark:
    """First call of every report notebook: theme, benchmark, and the cover fields.

    Loads the shared benchmark from ``cache`` (checking its parameters) or builds it, applies
    the figure theme, and displays the report's cover fields (title, subtitle, publisher,
    date, synthetic banner). ``side_a``/``side_b`` (comma-separated benefit groups) choose the
    two sides of the trade-off when they differ from those the benchmark was analysed with.
    Extra keyword arguments (other notebook parameters) are ignored.
    """
    from analysis.core.municipalities import lookup
    from analysis.report.document import report_metadata
    from analysis.report.fmt import date_da
    from analysis.report.theme import apply_theme

    if kind not in REPORT_TITLES:
        raise ValueError(f"kind: expected one of {sorted(REPORT_TITLES)}, got {kind!r}")
    apply_theme()
    folder = resolve_data(data)
    bm = open_benchmark(
        folder, cache=cache or None, year=year, benefits=benefits, spec=spec, bootstrap=bootstrap, seed=seed
    )
    if (side_a or side_b) and bm.tradeoff is not None:
        test = bm.tradeoff.test
        sides = (_groups(side_a) or test.side_a, _groups(side_b) or test.side_b)
        if sides != (test.side_a, test.side_b):
            from dataclasses import replace

            from analysis.model.tradeoff import analyse_fits

            trade = analyse_fits(bm.fits, side_a=sides[0], side_b=sides[1], replicates=2000, seed=seed)
            bm = replace(bm, tradeoff=trade)
    title, subtitle = REPORT_TITLES[kind]
    if kind == "case":
        if municipality is None:
            raise ValueError("municipality: a case report needs a municipality (code or name)")
        m = lookup(municipality)
        title = f"{m.label}"
        subtitle = f"{subtitle}, {bm.parameters['year']}"
    else:
        subtitle = f"{subtitle}, {bm.parameters['year']}"
    report_metadata(
        title=title,
        subtitle=subtitle,
        kicker="Analyse",
        publisher=publisher,
        date=date_da(),
        synthetic=bm.synthetic,
        header_title=f"{title} · {bm.parameters['year']}",
    )
    return bm


__all__ = [
    "GROUPS",
    "Benchmark",
    "build",
    "load",
    "open_benchmark",
    "report_checks",
    "resolve_data",
    "start_report",
]
