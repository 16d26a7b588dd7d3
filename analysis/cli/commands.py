"""Every ``kommunebench`` command: its options, help and handler.

A handler parses its options into typed values at once (:mod:`analysis.core.params`), calls
the computation, writes outputs atomically and prints a short summary. Errors are raised, not
printed: :func:`analysis.cli.main` turns them into one line and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.core.params import DEFAULT_DRAWS, ParameterError

PARAM_KEYS = {
    "n_peers": "case reports",
    "cases": "trade-off report",
    "side_a": "trade-off report",
    "side_b": "trade-off report",
}
#: The reports (batch job kinds) that read each ``--param`` key.
PARAM_REPORTS = {
    "n_peers": ("case",),
    "cases": ("tradeoff",),
    "side_a": ("tradeoff",),
    "side_b": ("tradeoff",),
}


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    description: str = ""


# --------------------------------------------------------------------------- shared options
def _whole(name: str, lo: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        from analysis.core.params import whole_number

        try:
            return whole_number(name, text, lo=lo)
        except ParameterError as exc:
            raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[1]) from None

    parse.__name__ = name
    return parse


def _data_option(p: argparse.ArgumentParser, *, default: str = "", registers_only: bool = False) -> None:
    what = (
        "register folder (persons.parquet, municipalities.parquet), or 'synthetic' for the default register"
        if registers_only
        else "'public' (the embedded public data), 'synthetic' (Syntetisk Danmark), or a folder "
        "(a person register or aggregates.parquet); default: the main job's default data"
    )
    p.add_argument("--data", default=default, help=what)


def _model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--period", default="", help="a year (2024) or jobindsats period (2022QMAT04); default: the latest"
    )
    p.add_argument("--year", dest="period", help=argparse.SUPPRESS)
    p.add_argument(
        "--benefits",
        default="",
        help="benefit set: bm2018, bm2019, all, a group, or a,b,c; default: the data's own",
    )
    p.add_argument(
        "--spec",
        default="pooled",
        help="pooled (no municipality term) or fe (municipality fixed effects; person registers only)",
    )
    p.add_argument(
        "--draws",
        type=_whole("--draws", 1),
        default=DEFAULT_DRAWS,
        help="joint draws of the gaps from their estimated sampling distribution (rank intervals)",
    )
    p.add_argument("--seed", type=_whole("--seed", 0), default=0, help="seed of every random draw")


def _model_values(args: argparse.Namespace) -> dict[str, Any]:
    """The raw values of the options added by :func:`_data_option` and :func:`_model_options`."""
    return {k: getattr(args, k) for k in ("data", "period", "benefits", "spec", "draws", "seed")}


def writable(path: Path, kind: str, *, name: str = "--out") -> Path:
    """``path`` if an output of ``kind`` (``"parquet"``: a .parquet file; ``"folder"``) can be
    written there; checked before any work is done, so a long computation does not end in an
    unwritable path.

    Raises
    ------
    ParameterError
        Naming the option, the path and why not: a wrong suffix, a file where a folder is
        needed (or the reverse), or a folder without write permission.
    """
    import os

    path = Path(path).expanduser()
    if kind == "parquet" and path.suffix != ".parquet":
        raise ParameterError(f"{name}: expected a .parquet file, got {path}")
    if path.exists():
        if kind == "folder" and not path.is_dir():
            raise ParameterError(f"{name}: {path} is a file; expected a folder")
        if kind != "folder" and path.is_dir():
            raise ParameterError(f"{name}: {path} is a folder; expected a .parquet file")
    parent = path if kind == "folder" else path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent  # the folders up to the first existing one will be created
    if not parent.is_dir():
        raise ParameterError(f"{name}: cannot write {path}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ParameterError(f"{name}: cannot write {path}: no permission to write in {parent}")
    return path


def _output(kind: str, *, name: str = "--out") -> Callable[[str], Path]:
    """An argparse ``type`` for an output path (see :func:`writable`)."""

    def parse(text: str) -> Path:
        try:
            return writable(Path(text), kind, name=name)
        except ParameterError as exc:
            raise argparse.ArgumentTypeError(str(exc).split(": ", 1)[1]) from None

    parse.__name__ = "output path"
    return parse


def _out_option(p: argparse.ArgumentParser, what: str, *, kind: str = "parquet") -> None:
    p.add_argument("--out", type=_output(kind), required=True, help=what)


def _register(data: str):
    """A person register (``synthetic`` or a folder) for the commands that need person rows."""
    from analysis.core.params import DataRef
    from analysis.data.open import open_source
    from analysis.data.sources import PersonRegister

    src = open_source(DataRef.parse(data or "synthetic"))
    if not isinstance(src, PersonRegister):
        raise ParameterError(
            f"--data: this command needs a person register; {src.describe_short()} is aggregates"
        )
    return src


def _write(frame, path: Path, metadata: dict[str, Any]) -> None:
    from analysis.core.io import write_parquet_atomic

    write_parquet_atomic(frame, writable(path, "parquet"), metadata=metadata)


def _synthetic_mark(synthetic: bool) -> str:
    return " [SYNTHETIC DATA]" if synthetic else ""


# --------------------------------------------------------------------------- synth
def _synth_configure(p: argparse.ArgumentParser) -> None:
    from analysis.data.open import DEFAULT_PERSONS, DEFAULT_SEED, DEFAULT_YEARS

    p.add_argument(
        "--persons",
        type=_whole("--persons", 1),
        default=DEFAULT_PERSONS,
        help=f"persons aged 16-66 per year (default {DEFAULT_PERSONS:,}, as the default register)",
    )
    p.add_argument(
        "--seed", type=_whole("--seed", 0), default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    p.add_argument(
        "--years",
        default=",".join(map(str, DEFAULT_YEARS)),
        help=f"comma-separated years (default {','.join(map(str, DEFAULT_YEARS))})",
    )
    p.add_argument(
        "--no-tradeoff",
        action="store_true",
        help="draw kontanthjælp and førtidspension effects independently",
    )
    p.add_argument(
        "--tradeoff-corr", type=float, default=-0.6, help="planted kontanthjælp-førtidspension correlation"
    )
    _out_option(p, "output folder", kind="folder")


def _synth_run(args: argparse.Namespace) -> int:
    from analysis.data.synth import write_register

    try:
        years = [int(y) for y in args.years.split(",") if y.strip()]
    except ValueError:
        raise ParameterError(
            f"--years: expected comma-separated years like 2023,2024, got {args.years!r}"
        ) from None
    if not years:
        raise ParameterError("--years: expected at least one year")
    out = write_register(
        args.out,
        n_persons=args.persons,
        seed=args.seed,
        tradeoff=not args.no_tradeoff,
        years=years,
        tradeoff_corr=args.tradeoff_corr,
    )
    print(f"wrote synthetic register ({args.persons:,} persons per year, seed {args.seed}) to {out}")
    return 0


# --------------------------------------------------------------------------- municipalities
def _municipalities_run(args: argparse.Namespace) -> int:
    from analysis.core.municipalities import registry

    registry()[["code", "name", "region"]].sort_values("code").to_csv(sys.stdout, index=False)
    sys.stdout.flush()
    return 0


# --------------------------------------------------------------------------- aggregate
def _aggregate_configure(p: argparse.ArgumentParser) -> None:
    _data_option(p, registers_only=True)
    _out_option(p, "output Parquet file (municipality × year)")


def _aggregate_run(args: argparse.Namespace) -> int:
    from analysis.data.aggregate import aggregate_register

    reg = _register(args.data)._register
    agg = aggregate_register(reg.persons, reg.municipalities, source=str(args.data))
    meta = {"synthetic": reg.synthetic, "source": str(args.data), "rows": len(agg)}
    if reg.synthetic:
        meta["generator_seed"] = reg.params.get("seed")
    _write(agg, args.out, meta)
    print(f"wrote {len(agg)} municipality-years to {args.out}{_synthetic_mark(reg.synthetic)}")
    return 0


# --------------------------------------------------------------------------- statbank
def statbank_transport():
    """The HTTP transport of ``kommunebench statbank`` (None: the client's own; tests replace it)."""
    return None


def _statbank_configure(p: argparse.ArgumentParser) -> None:
    from analysis.cli import ArgumentParser
    from analysis.data.statbank import DEFAULT_TIMEOUT

    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=ArgumentParser)
    p_fetch = sub.add_parser("fetch", help="fetch the tables for the given years into the cache")
    p_build = sub.add_parser("build", help="build the aggregates table (Parquet) from the tables")
    sub.add_parser("tables", help="list the supported tables and what is cached")
    for q in (p_fetch, p_build):
        q.add_argument("--years", required=True, help="e.g. 2022,2023 or 2019-2023")
        q.add_argument("--offline", action="store_true", help="use only the cache")
        q.add_argument("--refresh", action="store_true", help="re-fetch even if cached")
        q.add_argument("--cache-dir", type=Path, default=None, help="default data/raw/statbank")
        q.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="network timeout, seconds")
        q.add_argument("--check", action="store_true", help="check requests against tableinfo first")
    p_build.add_argument("--out", type=_output("parquet"), required=True, help="output .parquet file")


def _statbank_run(args: argparse.Namespace) -> int:
    from analysis.data import statbank as sb

    if args.action == "tables":
        cache = sb.Cache()
        print("supported tables:")
        for t in sb.TABLES:
            print(f"  {t:<8} {sb.TABLE_DESCRIPTIONS[t]}")
        entries = cache.entries()
        print(f"\ncached responses in {cache.directory}: {len(entries)}")
        for m in entries:
            print(
                f"  {m.get('file')}  {m.get('table')}  {m.get('retrieved_utc', '?')}  {m.get('bytes', '?')} bytes"
            )
        return 0
    years = sb.parse_years(args.years)
    client = sb.StatBankClient(
        cache_dir=args.cache_dir,
        transport=statbank_transport(),
        offline=args.offline,
        refresh=args.refresh,
        timeout=args.timeout,
        fetch_command=f"kommunebench statbank fetch --years {','.join(map(str, years))}",
        check=args.check,
    )
    if args.action == "fetch":
        reqs = [r for y in years for r in sb.requests_for_year(y).values()]
        for entry in client.fetch_many(reqs):
            print(f"{entry.path.name}  {entry.meta['sha256'][:12]}  {entry.meta['bytes']} bytes")
        return 0
    df = sb.build_aggregates(years, client=client)
    meta = {
        "synthetic": False,
        "source": sb.SOURCE,
        "columns": sb.COLUMNS,
        "inputs": df.attrs.get("inputs", {}),
    }
    _write(df, args.out, meta)
    print(f"wrote {args.out} ({len(df)} rows)")
    return 0


# --------------------------------------------------------------------------- public data
def _public_configure(p: argparse.ArgumentParser) -> None:
    from analysis.cli import ArgumentParser

    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION", parser_class=ArgumentParser)
    b = sub.add_parser("build", help="check the raw files and write the municipality × period table")
    b.add_argument(
        "--out", type=_output("folder"), default=None, help="output folder (default data/processed/public)"
    )
    sub.add_parser("check", help="check every raw file against its provenance (sha256) and its contents")


def _public_run(args: argparse.Namespace) -> int:
    from analysis.data.public.panel import build_panel, write_panel

    if args.action == "check":
        panel = build_panel()
        print(f"ok: {panel['code'].nunique()} municipalities × {panel['period'].nunique()} periods")
        return 0
    parquet, book = write_panel(args.out)
    print(f"wrote {parquet} and {book}")
    return 0


# --------------------------------------------------------------------------- official
def _official_configure(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--file",
        type=Path,
        default=None,
        help="jobindsats Y30R21 JSON lines (default: the embedded 2020QMAT02 file)",
    )
    _out_option(
        p,
        "output Parquet file (code, period, benefit, population, expected, actual, difference, "
        "difference_pp, rank)",
    )


def _official_run(args: argparse.Namespace) -> int:
    from analysis.data.public.jobindsats import OFFICIAL_COLUMNS, load_official

    frame = load_official(args.file)
    cols = list(OFFICIAL_COLUMNS)
    meta = {
        "command": "official",
        "file": str(args.file or "embedded"),
        "synthetic": False,
        "source": "Jobindsats.dk (STAR), måling Y30R21",
    }
    _write(frame[cols], args.out, meta)
    periods = ", ".join(sorted(frame["period"].unique()))
    print(f"wrote {len(frame)} rows ({periods}; {', '.join(dict.fromkeys(frame['benefit']))}) to {args.out}")
    return 0


# --------------------------------------------------------------------------- fit
def _fit_configure(p: argparse.ArgumentParser) -> None:
    _data_option(p)
    _model_options(p)
    p.add_argument(
        "--cov-type",
        default="clustered",
        help="coefficient covariance: clustered (by municipality), robust or unadjusted",
    )
    p.add_argument(
        "--level", type=float, default=0.95, help="confidence level of the intervals (default 0.95)"
    )
    _out_option(p, "output Parquet file (the tidy frame, one row per municipality)")


def _fit_run(args: argparse.Namespace) -> int:
    from analysis.core.params import check_choice, parse_run
    from analysis.data.open import open_source
    from analysis.data.sources import PersonRegister

    params = parse_run(_model_values(args))
    check_choice("--cov-type", args.cov_type, ("clustered", "robust", "unadjusted"))
    if not 0 < args.level < 1:
        raise ParameterError(f"--level: expected a number between 0 and 1, got {args.level}")
    t0 = time.perf_counter()
    source = open_source(params.data)
    period = source.check_period(params.period)
    benefits = source.check_benefits(params.benefits)
    source.check_spec(params.spec)
    if isinstance(source, PersonRegister):
        from analysis.model import fit

        persons, mun = source._year(period)
        res = fit(
            persons,
            mun,
            benefits=benefits,
            spec=params.spec,
            cov_type=args.cov_type,
            draws=params.draws,
            seed=params.seed,
            level=args.level,
        )
    else:
        from analysis.model.panel import fit_panel

        pf = fit_panel(
            source.frame,
            benefits,
            blocks=source.blocks,
            until=period,
            cov_type=args.cov_type,
            rounding=source.rounding,
        )
        res = pf.results(period, draws=params.draws, seed=params.seed, level=args.level)
    tidy = res.tidy()
    meta = {
        "command": "fit",
        "parameters": {**params.run_key(), "period": period, "benefits": benefits.name},
        "cov_type": res.cov_type,
        "level": args.level,
        "nobs": res.nobs,
        "synthetic": res.synthetic,
        "notes": [{"code": n.code, "items": list(n.items)} for n in res.notes],
        "params": res.params.to_dict(),
        "inputs": dict(source.provenance.inputs),
    }
    _write(tidy, args.out, meta)
    secs = time.perf_counter() - t0
    unit = "persons" if res.estimator == "cells" else "municipality-periods"
    print(
        f"{benefits.name} ({res.spec}, {period}): {res.nobs:,} {unit}, {len(tidy)} municipalities, "
        f"{secs:.1f} s{_synthetic_mark(res.synthetic)}"
    )
    show = tidy.sort_values("rank")[["rank", "rank_lower", "rank_upper", "name", "difference_pp"]]
    print(show.head(5).to_string(index=False, float_format=lambda v: f"{v:+.2f}"))
    print("…")
    print(show.tail(3).to_string(index=False, header=False, float_format=lambda v: f"{v:+.2f}"))
    print(f"wrote {args.out}")
    return 0


# --------------------------------------------------------------------------- tradeoff
def _tradeoff_configure(p: argparse.ArgumentParser) -> None:
    _data_option(p, registers_only=True)
    p.add_argument("--spec", default="pooled", help="pooled or fe")
    p.add_argument("--side-a", default="kontanthjaelp", help="benefit groups on side A, comma-separated")
    p.add_argument("--side-b", default="foertidspension", help="benefit groups on side B, comma-separated")
    p.add_argument("--from-set", default="bm2018", help="benefit set of the reference ranking")
    p.add_argument("--to-set", default="all", help="benefit set of the comparison ranking")
    p.add_argument(
        "--replicates", type=_whole("--replicates", 100), default=2000, help="bootstrap replicates (≥ 100)"
    )
    p.add_argument("--seed", type=_whole("--seed", 0), default=0, help="seed of the bootstrap")
    _out_option(p, "output Parquet file (one row per municipality)")


def _tradeoff_run(args: argparse.Namespace) -> int:
    import math

    from analysis.core.params import BenefitSet, check_choice, parse_groups
    from analysis.model.tradeoff import analyse

    check_choice("--spec", args.spec, ("pooled", "fe"))
    side_a = parse_groups(args.side_a, name="--side-a")
    side_b = parse_groups(args.side_b, name="--side-b")
    if not side_a or not side_b:
        raise ParameterError("--side-a/--side-b: each side needs at least one benefit group")
    set_from = BenefitSet.parse(args.from_set, name="--from-set")
    set_to = BenefitSet.parse(args.to_set, name="--to-set")
    reg = _register(args.data)._register
    for option, side in (("--side-a", side_a), ("--side-b", side_b)):
        if not (reg.persons[list(side)] > 0).any(axis=None):
            raise ParameterError(
                f"{option}: no one in the register receives {'+'.join(side)}; "
                "each side of the trade-off needs recipients"
            )
    ta = analyse(
        reg.persons,
        reg.municipalities,
        spec=args.spec,
        set_from=set_from,
        set_to=set_to,
        side_a=side_a,
        side_b=side_b,
        replicates=args.replicates,
        seed=args.seed,
    )
    if ta.test is None or not math.isfinite(ta.test.estimate):
        raise ParameterError(
            f"--side-a/--side-b: the correlation of {'+'.join(side_a)} and {'+'.join(side_b)} is undefined: "
            "the estimation noise is as large as the spread between municipalities (too few recipients on a side)"
        )
    _write(ta.table, args.out, {"test": ta.test.as_dict(), "synthetic": ta.synthetic})
    print(f"{ta.test}{_synthetic_mark(ta.synthetic)}")
    print(f"{ta.n_moved(10)} municipalities move more than 10 places from {ta.set_from} to {ta.set_to}")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------- efficiency
def _efficiency_configure(p: argparse.ArgumentParser) -> None:
    from analysis.yardsticks.frontier import INPUT_KINDS, ORIENTATIONS, OUTPUT_KINDS, RTS_CHOICES

    _data_option(p, registers_only=True)
    p.add_argument("--orientation", default="input", help=f"DEA orientation: {', '.join(ORIENTATIONS)}")
    p.add_argument("--rts", default="crs", help=f"returns to scale: {', '.join(RTS_CHOICES)}")
    p.add_argument(
        "--input",
        default="expenditure_per_fulltime",
        dest="input_kind",
        help=f"DEA input: {', '.join(INPUT_KINDS)}",
    )
    p.add_argument("--outputs", default="eo", help=f"DEA outputs: {', '.join(OUTPUT_KINDS)}")
    p.add_argument("--spec", default="pooled", help="expected-caseload model: pooled or fe")
    p.add_argument(
        "--shift", type=float, default=0.10, help="relative re-booking of expenditure (sensitivity)"
    )
    p.add_argument(
        "--seed", type=_whole("--seed", 0), default=0, help="seed of the re-booked half and the bootstrap"
    )
    p.add_argument(
        "--bootstrap",
        type=_whole("--bootstrap", 0),
        default=0,
        help="Simar-Wilson bootstrap replicates (0: none; slow)",
    )
    _out_option(p, "output Parquet file (one row per job-centre unit)")


def _efficiency_run(args: argparse.Namespace) -> int:
    from analysis.core.params import check_choice
    from analysis.model import fit_many
    from analysis.yardsticks.frontier import (
        AREAS,
        INPUT_KINDS,
        ORIENTATIONS,
        OUTPUT_KINDS,
        RTS_CHOICES,
        efficiency_table,
        jobcentre_units,
    )

    check_choice("--orientation", args.orientation, ORIENTATIONS)
    check_choice("--rts", args.rts, RTS_CHOICES)
    check_choice("--input", args.input_kind, INPUT_KINDS)
    check_choice("--outputs", args.outputs, OUTPUT_KINDS)
    check_choice("--spec", args.spec, ("pooled", "fe"))
    reg = _register(args.data)._register
    # E/O needs one model per area; exits alone need only the benchmark total
    areas = AREAS if args.outputs != "exits" else ("bm2018",)
    fits = fit_many(reg.persons, reg.municipalities, benefit_sets=list(areas), spec=args.spec)
    tidy = {a: r.tidy() for a, r in fits.items()}
    units = jobcentre_units(reg.municipalities, tidy, input=args.input_kind, outputs=args.outputs)
    table, meta = efficiency_table(
        units,
        orientation=args.orientation,
        rts=args.rts,
        shift=args.shift,
        seed=args.seed,
        bootstrap=args.bootstrap,
    )
    meta.update(
        {
            "command": "efficiency",
            "synthetic": reg.synthetic,
            "spec": args.spec,
            "input": args.input_kind,
            "outputs": args.outputs,
        }
    )
    _write(table, args.out, meta)
    pot = ", ".join(f"{k} = {v:,.0f}" for k, v in meta["potential"].items())
    print(
        f"DEA {args.orientation}/{args.rts}: {len(table)} units, {int(table['efficient'].sum())} on the frontier"
        f"{_synthetic_mark(reg.synthetic)}"
    )
    print(f"potential: {pot}")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------- categories
def _categories_configure(p: argparse.ArgumentParser) -> None:
    from analysis.yardsticks.categories import FOCUS1_THRESHOLD, FOCUS2_THRESHOLD

    _data_option(p, registers_only=True)
    p.add_argument("--benefits", default="bm2019", help="benefit set of the result target (default bm2019)")
    p.add_argument("--spec", default="pooled", help="expected-caseload model: pooled or fe")
    p.add_argument("--year", type=int, default=None, help="year of the focus data (default: latest)")
    p.add_argument(
        "--focus1-threshold",
        type=float,
        default=FOCUS1_THRESHOLD,
        help=f"focus target 1 is met when the share without an active offer is below this (default {FOCUS1_THRESHOLD})",
    )
    p.add_argument(
        "--focus2-threshold",
        type=float,
        default=FOCUS2_THRESHOLD,
        help=f"focus target 2 is met when the share with the required conversations is at least this (default {FOCUS2_THRESHOLD})",
    )
    _out_option(p, "output Parquet file (one row per municipality)")


def _categories_run(args: argparse.Namespace) -> int:
    from analysis.core.params import BenefitSet, check_choice
    from analysis.model import fit
    from analysis.yardsticks.categories import LABELS, categories_table

    check_choice("--spec", args.spec, ("pooled", "fe"))
    benefits = BenefitSet.parse(args.benefits, name="--benefits")
    reg = _register(args.data)._register
    res = fit(reg.persons, reg.municipalities, benefits=benefits, spec=args.spec)
    table, meta = categories_table(
        res.tidy(),
        reg.municipalities,
        year=args.year,
        focus1_threshold=args.focus1_threshold,
        focus2_threshold=args.focus2_threshold,
    )
    meta.update(
        {"command": "categories", "synthetic": reg.synthetic, "benefits": benefits.name, "spec": args.spec}
    )
    _write(table, args.out, meta)
    counts = table["category"].value_counts().sort_index()
    print("; ".join(f"{k} {LABELS[int(k)]}: {v}" for k, v in counts.items()) + _synthetic_mark(reg.synthetic))
    print(
        f"{meta['changed_category']} municipalities change category under KL's results-first order; "
        f"{meta['outranked']} are listed below a municipality with a worse result"
    )
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------- measures
def _measures_configure(p: argparse.ArgumentParser) -> None:
    _data_option(p, registers_only=True)
    p.add_argument("--benefits", default="bm2018", help="benefit set of the full-time measure")
    p.add_argument("--year", type=int, default=None, help="register year (default: latest)")
    _out_option(p, "output Parquet file (one row per municipality)")


def _measures_run(args: argparse.Namespace) -> int:
    import pandas as pd

    from analysis.core.params import BenefitSet
    from analysis.yardsticks.measures import kl_measures

    benefits = BenefitSet.parse(args.benefits, name="--benefits")
    reg = _register(args.data)._register
    years = sorted(int(y) for y in pd.unique(reg.persons["year"]))
    year = years[-1] if args.year is None else args.year
    if year not in years:
        raise ParameterError(f"--year: {year} is not in the register (it has {', '.join(map(str, years))})")
    codes = sorted(int(c) for c in pd.unique(reg.municipalities["code"]))
    out = kl_measures(reg.persons, benefits=benefits, year=year, codes=codes)
    meta = {
        "command": "measures",
        "benefits": out.attrs["benefits"],
        "groups": out.attrs["groups"],
        "year": year,
        "synthetic": reg.synthetic,
    }
    _write(out.reset_index(), args.out, meta)
    print(
        f"KL measures for {len(out)} municipalities, {year}, {out.attrs['benefits']}{_synthetic_mark(reg.synthetic)}"
    )
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------- peers
def _peers_configure(p: argparse.ArgumentParser) -> None:
    _data_option(p, registers_only=True)
    p.add_argument(
        "--method",
        default="rammevilkaar",
        help="rammevilkaar (standardised framework conditions) or expected",
    )
    p.add_argument("--k", type=_whole("--k", 1), default=7, help="group size (default 7)")
    p.add_argument("--benefits", default="bm2018", help="benefit set of the expected share (method expected)")
    p.add_argument("--year", type=int, default=None, help="year of the rammevilkår (default: latest)")
    _out_option(p, "output Parquet file (code, peer, distance, rank)")


def _peers_run(args: argparse.Namespace) -> int:
    from analysis.core.params import BenefitSet, check_choice
    from analysis.yardsticks.peers import comparison_groups, expected_share_groups, rammevilkaar_features

    check_choice("--method", args.method, ("rammevilkaar", "expected"))
    reg = _register(args.data)._register
    meta: dict[str, object] = {
        "command": "peers",
        "method": args.method,
        "k": args.k,
        "synthetic": reg.synthetic,
    }
    if args.method == "rammevilkaar":
        feats = rammevilkaar_features(reg.persons, reg.municipalities, year=args.year)
        out = comparison_groups(feats, k=args.k)
        meta["columns"] = list(feats.columns)
    else:
        from analysis.model import fit

        benefits = BenefitSet.parse(args.benefits, name="--benefits")
        res = fit(reg.persons, reg.municipalities, benefits=benefits)
        out = expected_share_groups(res.tidy(), k=args.k)
        meta["benefits"] = benefits.name
    out["method"] = args.method
    _write(out, args.out, meta)
    print(
        f"{out['code'].nunique()} comparison groups of {args.k} ({args.method}){_synthetic_mark(reg.synthetic)}"
    )
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


# --------------------------------------------------------------------------- reports
def _report_options(p: argparse.ArgumentParser, *, command: str) -> None:
    _data_option(p)
    _model_options(p)
    p.add_argument("--publisher", default="kommunebench", help="publisher named on the cover")
    p.add_argument("--run-id", default=None, help="name of the run folder (a plain name; default: a new one)")
    p.add_argument(
        "--out", type=_output("folder"), default=None, help="parent folder of runs (default: reports/)"
    )
    p.add_argument(
        "--resume", action="store_true", help="continue an interrupted run with the same parameters"
    )
    p.add_argument(
        "--jobs", type=_whole("--jobs", 1), default=None, help="parallel renders (default: all cores)"
    )
    keys = ", ".join(f"{k} ({v})" for k, v in PARAM_KEYS.items())
    p.add_argument(
        "--param", action="append", default=[], metavar="KEY=VALUE", help=f"report parameter; keys: {keys}"
    )
    if command == "report":
        p.add_argument("--municipality", required=True, help="case municipality (name or 3-digit code)")
        p.add_argument("--national", action="store_true", help="also render the national reports")
    elif command == "reports":
        p.add_argument("--all", action="store_true", help="all 98 case reports")
        p.add_argument("--municipality", action="append", default=[], help="a case municipality (repeatable)")
        p.add_argument("--no-national", action="store_true", help="skip the national reports")
    else:  # run: the main job
        p.add_argument("--all", action="store_true", help="all 98 case reports")
        p.add_argument(
            "--municipality",
            action="append",
            default=[],
            help="case municipality (repeatable; default Nyborg)",
        )
        p.add_argument(
            "--no-demonstration",
            action="store_true",
            help="skip the separate synthetic run of the trade-off report (rendered when --data is public)",
        )


def _parse_param(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise ParameterError(f"--param: expected KEY=VALUE, got {text!r}")
    key, value = (s.strip() for s in text.split("=", 1))
    if key not in PARAM_KEYS:
        from analysis.core.params import did_you_mean

        own = {
            "municipality": "--municipality",
            "data": "--data",
            "period": "--period",
            "benefits": "--benefits",
            "spec": "--spec",
            "draws": "--draws",
            "seed": "--seed",
            "publisher": "--publisher",
        }
        if key in own:
            raise ParameterError(f"--param: {key} is set with {own[key]}, not --param")
        raise ParameterError(
            f"--param: unknown key {key!r}{did_you_mean(key, list(PARAM_KEYS))}; keys are {', '.join(PARAM_KEYS)}"
        )
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def _base(args: argparse.Namespace):
    from analysis.core.params import parse_report

    raw = {**_model_values(args), "publisher": args.publisher}
    raw.update(dict(_parse_param(p) for p in args.param))
    return parse_report(raw)


def _reports_run(args: argparse.Namespace, *, command: str) -> int:
    from analysis.core.municipalities import codes, lookup
    from analysis.core.params import parse_municipality
    from analysis.core.paths import reports_dir
    from analysis.run.batch import NATIONAL, check_run_id, run
    from analysis.run.results import RESULTS_DIR

    base = _base(args)
    if command == "report":
        munis = [parse_municipality(args.municipality)]
        national = args.national
    else:
        munis = (
            [lookup(c) for c in codes()] if args.all else [parse_municipality(m) for m in args.municipality]
        )
        national = not args.no_national
    rendered = {*(["case"] if munis else []), *(NATIONAL if national else [])}
    for text in args.param:  # a parameter no report of the run reads would be silently ignored
        key = _parse_param(text)[0]
        if not rendered & set(PARAM_REPORTS[key]):
            raise ParameterError(
                f"--param: {key} is a parameter of the {PARAM_KEYS[key]}, which this command does not "
                f"render{' (add --national)' if command == 'report' else ''}"
            )
    out = args.out or reports_dir()
    run_dir = out / check_run_id(args.run_id) if args.run_id else None
    if run_dir is None and args.resume:
        raise ParameterError("--resume: name the run to continue with --run-id")
    if run_dir is None:
        from analysis.run.batch import resolve, run_id

        run_dir = out / run_id(resolve(base)[1].run_key())
    folder, timings = run(
        base,
        municipalities=munis,
        national=national,
        run_dir=run_dir,
        resume=args.resume,
        jobs=args.jobs,
        progress=sys.stderr.isatty(),  # no progress bar in logs and pipes
    )
    print(f"reports in {folder}")
    print(f"results in {folder / RESULTS_DIR} (CSV and Parquet, codebook.csv)")
    print(
        "benchmark {:.1f} s, {} report(s) in {:.1f} s{}".format(
            timings["benchmark"],
            int(timings["n_rendered"]),
            timings["reports"],
            f", {int(timings['n_skipped'])} already done" if timings["n_skipped"] else "",
        )
    )
    return 0


def _run_run(args: argparse.Namespace) -> int:
    from analysis.core.params import parse_municipality
    from analysis.run.pipeline import main_job

    base = _base(args)
    munis = [parse_municipality(m) for m in args.municipality] or None
    return main_job(
        base,
        municipalities=munis,
        all_cases=args.all,
        jobs=args.jobs,
        out=args.out,
        demonstration=not args.no_demonstration,
        progress=sys.stderr.isatty(),
    )


COMMANDS: tuple[Command, ...] = (
    Command(
        "run",
        "the main job: default data, one fit, the national reports and the Nyborg report",
        lambda p: _report_options(p, command="run"),
        _run_run,
    ),
    Command(
        "synth",
        "write a synthetic register (Syntetisk Danmark) with planted truth",
        _synth_configure,
        _synth_run,
    ),
    Command("municipalities", "print the 98 municipalities as CSV", lambda p: None, _municipalities_run),
    Command("aggregate", "municipality × year table from a register", _aggregate_configure, _aggregate_run),
    Command(
        "statbank", "fetch and parse Statistics Denmark (StatBank) tables", _statbank_configure, _statbank_run
    ),
    Command(
        "public",
        "check or build the municipality × period table of the embedded public data",
        _public_configure,
        _public_run,
    ),
    Command(
        "official",
        "read the Ministry's published benchmark (jobindsats Y30R21) into a table",
        _official_configure,
        _official_run,
    ),
    Command("fit", "estimate the expected-caseload model and rank", _fit_configure, _fit_run),
    Command(
        "tradeoff",
        "kontanthjælp–førtidspension trade-off and rank shifts",
        _tradeoff_configure,
        _tradeoff_run,
    ),
    Command(
        "efficiency",
        "DEA efficiency frontier on job-centre expenditure",
        _efficiency_configure,
        _efficiency_run,
    ),
    Command(
        "categories",
        "STAR jobcenterindblik categories and KL's alternative",
        _categories_configure,
        _categories_run,
    ),
    Command("measures", "KL's result measures (2010)", _measures_configure, _measures_run),
    Command("peers", "comparison groups (sammenligningsgrupper)", _peers_configure, _peers_run),
    Command(
        "report",
        "render one case-municipality report",
        lambda p: _report_options(p, command="report"),
        lambda a: _reports_run(a, command="report"),
    ),
    Command(
        "reports",
        "render the national reports and case reports (--all for all 98)",
        lambda p: _report_options(p, command="reports"),
        lambda a: _reports_run(a, command="reports"),
    ),
)
