"""Render reports in batch: the national reports and one report per case municipality.

A run lives in ``reports/<run-id>/``: ``run.json`` (the parameters), ``benchmark.pkl`` (the one
model fit every report shares), ``national/<notebook>/`` and ``kommuner/<code>-<name>/`` with
each report's ``report.html``, ``report.pdf``, ``manifest.json`` and executed notebook.

* Parameters are validated for every notebook before any kernel starts.
* A run folder is never reused for other parameters: a new run gets a new id, and an existing
  id is only continued (``--resume``) when its ``run.json`` holds the same parameters.
* Reports already complete in the folder are skipped, so an interrupted batch resumes where it
  stopped. Reports render in parallel on all cores with a progress bar; each worker keeps one
  kernel running and clears its namespace between reports.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import multiprocessing
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.core.io import write_json_atomic
from analysis.core.municipalities import codes, fold, lookup
from analysis.core.paths import notebooks_dir, reports_dir

NATIONAL = ("01_expected_caseload", "02_tradeoff_bias")
CASE = "03_case_municipality"
SHARED = ("data", "year", "benefits", "spec", "bootstrap", "seed", "publisher")
REQUIRED_OUTPUTS = ("report.html", "report.pdf", "manifest.json")


@dataclass(frozen=True)
class Job:
    """One report to render."""

    notebook: str
    parameters: Mapping[str, Any]
    folder: Path

    @property
    def done(self) -> bool:
        return all((self.folder / f).is_file() for f in REQUIRED_OUTPUTS)


def run_id(parameters: Mapping[str, Any], *, now: _dt.datetime | None = None) -> str:
    """``YYYYMMDD-HHMMSS-<hash of the parameters>``: new for every run, traceable to its parameters."""
    stamp = (now or _dt.datetime.now(_dt.UTC)).strftime("%Y%m%d-%H%M%S")
    digest = hashlib.sha256(json.dumps(dict(parameters), sort_keys=True, default=str).encode()).hexdigest()[
        :8
    ]
    return f"{stamp}-{digest}"


def _case_folder(code: int) -> str:
    return f"{code}-{fold(lookup(code).name)}"


def plan(
    run_dir: Path,
    shared: Mapping[str, Any],
    *,
    municipalities: Sequence[int | str] = (),
    national: bool = True,
    case_parameters: Mapping[str, Any] | None = None,
) -> list[Job]:
    """The jobs of a run (national reports first, then one per municipality)."""
    nb_dir = notebooks_dir()
    common = {**shared, "cache": str(run_dir)}
    jobs = []
    if national:
        jobs += [Job(f"{nb_dir / n}.ipynb", common, run_dir / "national" / n) for n in NATIONAL]
    seen: set[int] = set()
    for m in municipalities:
        code = lookup(m).code
        if code in seen:
            continue
        seen.add(code)
        params = {**common, **(case_parameters or {}), "municipality": str(code)}
        jobs.append(Job(f"{nb_dir / CASE}.ipynb", params, run_dir / "kommuner" / _case_folder(code)))
    return jobs


def _validate(jobs: Iterable[Job]) -> None:
    from analysis.report.params import validate_parameters
    from analysis.run.benchmark import report_checks

    checks = report_checks()
    for job in jobs:
        validate_parameters(job.notebook, job.parameters, checks=checks)


_KERNEL: Any = None  # the worker process's warm kernel (see analysis.report.render.WarmKernel)


def _start_worker() -> None:
    """Worker initialiser: one kernel per worker, reused by every report it renders."""
    from multiprocessing.util import Finalize

    from analysis.report.render import WarmKernel

    global _KERNEL
    _KERNEL = WarmKernel(notebooks_dir())
    # worker processes end without running atexit handlers, but they do run these finalisers
    Finalize(_KERNEL, _KERNEL.shutdown, exitpriority=10)


def _render(job: Job) -> tuple[str, float]:
    from analysis.report.render import render_report

    t0 = time.perf_counter()
    render_report(
        job.notebook,
        job.parameters,
        job.folder.parent,
        run_name=job.folder.name,
        inputs=sorted(Path(job.parameters["data"]).glob("*.parquet")),
        seed=int(job.parameters.get("seed", 0)),
        kernel=_KERNEL,
    )
    return str(job.folder), time.perf_counter() - t0


def resolve_shared(shared: Mapping[str, Any]) -> dict[str, Any]:
    """Make the shared parameters explicit: absolute data folder and the register year."""
    import pandas as pd

    from analysis.run.benchmark import resolve_data

    out = dict(shared)
    folder = resolve_data(out.get("data", ""))
    out["data"] = str(folder.resolve())
    years = sorted(
        int(y) for y in pd.read_parquet(folder / "municipalities.parquet", columns=["year"])["year"].unique()
    )
    if out.get("year") is None:
        out["year"] = years[-1]
    elif int(out["year"]) not in years:
        raise ValueError(f"year: {out['year']} is not in the register {folder} (it has {years})")
    return out


def open_run(run_dir: Path, shared: Mapping[str, Any], *, resume: bool) -> None:
    """Create ``run_dir`` with its ``run.json``, or check it for ``resume``; never mix runs."""
    record = run_dir / "run.json"
    if run_dir.exists() and any(run_dir.iterdir()):
        if not resume:
            raise FileExistsError(
                f"{run_dir}: run folder exists already; pass --resume to continue it, or choose another --run-id"
            )
        if not record.is_file():
            raise FileExistsError(
                f"{run_dir}: not a kommunebench run (no run.json); refusing to write into it"
            )
        saved = json.loads(record.read_text(encoding="utf-8"))["parameters"]
        if saved != json.loads(json.dumps(dict(shared), default=str)):
            raise ValueError(
                f"{run_dir}: the run was made with other parameters ({saved}); start a new run instead"
            )
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic({"parameters": dict(shared), "created": _dt.datetime.now(_dt.UTC).isoformat()}, record)


def run(
    shared: Mapping[str, Any],
    *,
    municipalities: Sequence[int | str] = (),
    national: bool = True,
    case_parameters: Mapping[str, Any] | None = None,
    run_dir: Path | None = None,
    resume: bool = False,
    jobs: int | None = None,
    progress: bool = True,
) -> tuple[Path, dict[str, float]]:
    """Validate, fit once, and render every report of a run. Returns the run folder and timings."""
    from analysis.run.benchmark import build

    shared = resolve_shared(shared)
    run_dir = Path(run_dir) if run_dir else reports_dir() / run_id(shared)
    todo = plan(
        run_dir, shared, municipalities=municipalities, national=national, case_parameters=case_parameters
    )
    if not todo:
        raise ValueError("nothing to render: ask for --national and/or municipalities")
    _validate(todo)
    open_run(run_dir, shared, resume=resume)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    from analysis.run.benchmark import CACHE_FILE

    if not (run_dir / CACHE_FILE).is_file():
        bm = build(
            shared["data"],
            year=shared.get("year"),
            benefits=shared.get("benefits", "bm2018"),
            spec=shared.get("spec", "pooled"),
            bootstrap=shared.get("bootstrap", 1000),
            seed=shared.get("seed", 0),
        )
        bm.save(run_dir)
    timings["benchmark"] = time.perf_counter() - t0
    pending = [j for j in todo if not j.done]
    workers = max(1, min(jobs or os.cpu_count() or 1, len(pending) or 1))
    t0 = time.perf_counter()
    per_report: list[float] = []
    if pending:
        from tqdm import tqdm

        bar = tqdm(
            total=len(pending), desc="rapporter", unit="rapport", disable=not progress, file=sys.stderr
        )
        # "spawn": a forked child would inherit the parent's ZeroMQ context and threads (from an
        # earlier kernel in the same process) and can hang; a fresh interpreter cannot
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_start_worker) as pool:
            futures = {pool.submit(_render, j): j for j in pending}
            for fut in as_completed(futures):
                _, seconds = fut.result()
                per_report.append(seconds)
                bar.update(1)
        bar.close()
    timings["reports"] = time.perf_counter() - t0
    timings["n_rendered"] = float(len(pending))
    timings["n_skipped"] = float(len(todo) - len(pending))
    if per_report:
        timings["mean_per_report"] = sum(per_report) / len(per_report)
    return run_dir, timings


def _parse_param(text: str) -> tuple[str, Any]:
    if "=" not in text:
        raise SystemExit(f"--param: expected key=value, got {text!r}")
    key, value = text.split("=", 1)
    try:
        return key.strip(), json.loads(value)
    except json.JSONDecodeError:
        return key.strip(), value


def _parser(prog: str, command: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Render one case-municipality report."
            if command == "report"
            else "Render the national reports and case-municipality reports into reports/<run-id>/."
        ),
    )
    p.add_argument("--data", default="", help="register folder (default: the embedded synthetic register)")
    p.add_argument("--year", type=int, default=None, help="register year (default: the latest)")
    p.add_argument("--benefits", default="bm2018", help="benefit set: bm2018, bm2019, all or a,b,c")
    p.add_argument("--spec", default="pooled", choices=["pooled", "fe"])
    p.add_argument("--bootstrap", type=int, default=1000, help="replicates for the rank intervals")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--publisher", default="kommunebench")
    p.add_argument("--run-id", default=None, help="name of the run folder under reports/ (default: new)")
    p.add_argument("--out", type=Path, default=None, help="parent folder of runs (default: reports/)")
    p.add_argument(
        "--resume", action="store_true", help="continue an interrupted run with the same parameters"
    )
    p.add_argument("--jobs", type=int, default=None, help="parallel renders (default: all cores)")
    p.add_argument(
        "--param", action="append", default=[], help="case-report parameter key=value (repeatable)"
    )
    if command == "report":
        p.add_argument("--municipality", required=True, help="case municipality (name or code)")
        p.add_argument("--national", action="store_true", help="also render the national reports")
    else:
        p.add_argument("--all", action="store_true", help="all 98 case reports")
        p.add_argument("--municipality", action="append", default=[], help="a case municipality (repeatable)")
        p.add_argument("--no-national", action="store_true", help="skip the national reports")
    return p


def main(
    argv: list[str] | None = None, *, prog: str = "kommunebench reports", command: str = "reports"
) -> int:
    """``kommunebench report --municipality X`` and ``kommunebench reports [--all]``."""
    args = _parser(prog, command).parse_args(argv)
    shared = {
        "data": args.data,
        "year": args.year,
        "benefits": args.benefits,
        "spec": args.spec,
        "bootstrap": args.bootstrap,
        "seed": args.seed,
        "publisher": args.publisher,
    }
    shared = resolve_shared(shared)
    extra = dict(_parse_param(p) for p in args.param)
    if command == "report":
        munis: list[int | str] = [args.municipality]
        national = args.national
    else:
        munis = list(codes()) if args.all else list(args.municipality)
        national = not args.no_national
    out = args.out or reports_dir()
    run_dir = out / args.run_id if args.run_id else None
    if run_dir is None:
        run_dir = out / run_id(shared)
    folder, timings = run(
        shared,
        municipalities=munis,
        national=national,
        case_parameters=extra,
        run_dir=run_dir,
        resume=args.resume,
        jobs=args.jobs,
    )
    print(f"reports in {folder}")
    print(
        "benchmark {:.1f} s, {} report(s) in {:.1f} s{}".format(
            timings["benchmark"],
            int(timings["n_rendered"]),
            timings["reports"],
            f", {int(timings['n_skipped'])} already done" if timings["n_skipped"] else "",
        )
    )
    return 0
