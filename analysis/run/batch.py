"""Render reports in batch: the national reports and one report per case municipality.

A run lives in ``reports/<run-id>/``: ``run.json`` (the run's parameters and every report's
own), ``results/`` (the tidy results as CSV and Parquet with a codebook,
:mod:`analysis.run.results`), ``national/<notebook>/`` and ``kommuner/<code>-<name>/`` with each
report's ``report.html``, ``report.pdf``, ``manifest.json`` and executed notebook. That is the
folder a user shares. What only the machine needs stays outside it, in
``reports/.cache/<run-id>/`` (:func:`work_dir`): ``benchmark.pkl`` (the one model fit every
report shares) and ``typst/`` (each PDF's Typst sources, kept for inspection).

* Parameters are parsed once (:mod:`analysis.core.params`) and checked against the data source
  (period, benefit set, specification) before any kernel starts.
* A run folder is never reused for other parameters: an existing run is only continued
  (``resume=True``) when its ``run.json`` holds the same run parameters, the same report
  parameters for each report already in it, and — for a report added on resume — the values
  the reports already in it share (``n_peers``, the publisher, …); a mismatch names the
  parameter.
* Reports already complete in the folder are skipped, so an interrupted batch resumes where it
  stopped. Reports render in parallel with a progress bar; each worker keeps one kernel running
  and clears its namespace between reports.
* Ctrl-C stops the queue at once: the workers and their kernels are stopped and unfinished
  report folders removed, so a run folder holds only complete reports (and a new run whose
  model fit did not finish is removed altogether).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing import resource_tracker
from pathlib import Path
from typing import Any

from analysis.core.io import write_json_atomic
from analysis.core.municipalities import Municipality, fold
from analysis.core.params import ParameterError, ReportParameters, RunParameters, parse_report, parse_run
from analysis.core.paths import reports_dir

NATIONAL = ("national", "tradeoff")
REQUIRED_OUTPUTS = ("report.html", "report.pdf", "manifest.json")
CACHE_DIR = ".cache"  # beside the runs: <out>/.cache/<run-id>/ (work_dir)
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@dataclass(frozen=True)
class Job:
    """One report to render: its kind, the notebook's parameter values, and its folder."""

    kind: str
    notebook: Path
    values: Mapping[str, Any]
    folder: Path
    build: Path | None = None  # the Typst sources of its PDF (outside the run folder)

    @property
    def done(self) -> bool:
        return all((self.folder / f).is_file() for f in REQUIRED_OUTPUTS)

    @property
    def key(self) -> str:
        """The report's folder relative to the run (its key in ``run.json``)."""
        return f"{self.folder.parent.name}/{self.folder.name}"


def check_run_id(run_id: str) -> str:
    """A run id is a plain folder name (letters, digits, ``._-``); paths are refused."""
    if not _RUN_ID.match(run_id) or run_id in (".", ".."):
        raise ParameterError(
            f"run-id: {run_id!r} is not a plain folder name (letters, digits, '.', '_', '-'; no '/' or '..')"
        )
    return run_id


def run_id(parameters: Mapping[str, Any], *, now: _dt.datetime | None = None) -> str:
    """``YYYYMMDD-HHMMSS-<hash of the parameters>``: new for every run, traceable to its parameters."""
    stamp = (now or _dt.datetime.now(_dt.UTC)).strftime("%Y%m%d-%H%M%S")
    digest = hashlib.sha256(json.dumps(dict(parameters), sort_keys=True, default=str).encode()).hexdigest()[
        :8
    ]
    return f"{stamp}-{digest}"


def work_dir(run_dir: str | os.PathLike[str]) -> Path:
    """The run's working folder, outside the run folder: ``<out>/.cache/<run-id>/``.

    It holds the saved benchmark and the Typst sources of the PDFs; the run folder itself holds
    only what a user shares (reports, results, manifests, notebooks).
    """
    run_dir = Path(run_dir)
    return run_dir.parent / CACHE_DIR / run_dir.name


def case_folder(m: Municipality) -> str:
    return f"{m.code}-{fold(m.name)}"


def resolve(base: ReportParameters) -> tuple[Any, RunParameters]:
    """Open the data source and resolve the run's period and benefit set against it.

    Raises
    ------
    ParameterError
        A period, benefit set or specification the source cannot serve.
    """
    from analysis.data.open import open_source

    source = open_source(base.data)
    period = source.check_period(base.period)
    benefits = source.check_benefits(base.benefits)
    source.check_spec(base.spec)
    run = parse_run({**base.run_key(), "period": period, "benefits": benefits.name})
    return source, run


def plan(
    run_dir: Path,
    run: RunParameters,
    base: ReportParameters,
    *,
    municipalities: Sequence[Municipality] = (),
    national: bool | Sequence[str] = True,
) -> list[Job]:
    """The jobs of a run (national reports first, then one per municipality).

    Every job's values are the notebook's own parameters, taken from ``base`` with the run's
    resolved period and benefit set, and the run's saved benchmark (:func:`work_dir`).
    """
    from analysis.report.notebook import NOTEBOOKS, notebook_path
    from analysis.report.params import notebook_parameters

    resolved = base.model_copy(
        update={"period": run.period, "benefits": run.benefits, "cache": str(work_dir(run_dir))}
    )
    typst = work_dir(run_dir) / "typst"
    jobs = []
    nationals = NATIONAL if national is True else tuple(national or ())
    unknown = [k for k in nationals if k not in NATIONAL]
    if unknown:
        raise ParameterError(f"national: unknown report(s) {unknown}; expected some of {', '.join(NATIONAL)}")
    kinds = [*nationals, *(["case"] if municipalities else [])]
    declared = {k: tuple(notebook_parameters(notebook_path(k))) for k in kinds}
    if nationals:
        for kind in nationals:
            values = resolved.notebook_values(declared[kind])
            folder = Path("national") / NOTEBOOKS[kind]
            jobs.append(Job(kind, notebook_path(kind), values, run_dir / folder, typst / folder))
    seen: set[int] = set()
    for m in municipalities:
        if m.code in seen:
            continue
        seen.add(m.code)
        values = resolved.model_copy(update={"municipality": m}).notebook_values(declared["case"])
        folder = Path("kommuner") / case_folder(m)
        jobs.append(Job("case", notebook_path("case"), values, run_dir / folder, typst / folder))
    for job in jobs:  # the values each notebook will receive parse as they are
        parse_report(job.values, allowed=declared[job.kind])
    return jobs


#: Values a report records but that are not parameters of its content: the case report's own
#: municipality, and the saved benchmark's folder.
_PER_REPORT = ("municipality", "cache")


def _refuse_existing(run_dir: Path, *, resume: bool) -> None:
    if not resume and run_dir.exists() and any(run_dir.iterdir()):
        raise ParameterError(
            f"run-id: {run_dir} exists already; pass --resume to continue it, or choose another --run-id"
        )


def open_run(run_dir: Path, run: RunParameters, jobs: Sequence[Job], *, resume: bool) -> None:
    """Create ``run_dir`` with its ``run.json``, or check it for ``resume``; never mix runs.

    ``run.json`` records the run parameters and every report's own parameters. Resuming fails,
    naming the parameter, when the run parameters differ, when a report already in the run is
    asked for with other values, or when a new report would differ from the reports already
    in the run in a parameter they share (``n_peers`` of the case reports, the publisher, …):
    a run folder holds reports made with one set of parameters.
    """
    record = run_dir / "run.json"
    key = run.run_key()
    reports = {j.key: dict(j.values) for j in jobs}
    if run_dir.exists() and any(run_dir.iterdir()):
        _refuse_existing(run_dir, resume=resume)
        if not record.is_file():
            raise ParameterError(
                f"run-id: {run_dir} is not a kommunebench run (no run.json); refusing to write into it"
            )
        try:
            saved = json.loads(record.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ParameterError(f"run-id: {record} is not valid JSON ({exc}); start a new run") from None
        old = saved.get("parameters", {})
        for k, v in key.items():
            if old.get(k) != v:
                raise ParameterError(
                    f"--resume: the run {run_dir.name} was made with {k}={old.get(k)!r}, not {v!r}; start a new run"
                )
        old_reports = saved.get("reports", {})
        for name, values in reports.items():
            if name in old_reports:
                for k, v in values.items():
                    if k != "cache" and old_reports[name].get(k) != v:
                        raise ParameterError(
                            f"--resume: the report {name} in run {run_dir.name} was made with "
                            f"{k}={old_reports[name].get(k)!r}, not {v!r}; start a new run"
                        )
                continue
            for other, old_values in old_reports.items():  # a new report beside the old ones
                for k, v in values.items():
                    if k not in _PER_REPORT and k in old_values and old_values[k] != v:
                        raise ParameterError(
                            f"--resume: the run {run_dir.name} holds {other} made with "
                            f"{k}={old_values[k]!r}; {name} would be made with {k}={v!r}; "
                            "a run holds reports of one set of parameters: start a new run"
                        )
        reports = {**old_reports, **reports}
        write_json_atomic({**saved, "reports": reports}, record)
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(
        {"parameters": key, "reports": reports, "created": _dt.datetime.now(_dt.UTC).isoformat()}, record
    )


_KERNEL: Any = None  # the worker process's warm kernel (see analysis.report.render.WarmKernel)


def _start_worker() -> None:
    """Worker initialiser: one kernel per worker, reused by every report it renders.

    Ctrl-C is for the parent, which stops the queue; a worker ignores it (it starts with the
    signal blocked, see :func:`_render_all`) and ends at once on SIGTERM (``Pool.terminate``),
    killing its kernel first.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # before anything slow (the imports below)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGTERM, _stop_worker)

    from multiprocessing.util import Finalize

    from analysis.core.paths import notebooks_dir
    from analysis.report.render import WarmKernel

    global _KERNEL
    _KERNEL = WarmKernel(notebooks_dir())
    # worker processes end without running atexit handlers, but they do run these finalisers
    Finalize(_KERNEL, _KERNEL.shutdown, exitpriority=10)


def _stop_worker(signum: int, frame: Any) -> None:
    """SIGTERM in a worker: kill its kernel (process group), remove the kernel's connection and
    socket files, and exit without unwinding (the parent removes the unfinished report)."""
    km = getattr(_KERNEL, "_km", None)  # the running kernel's manager, if any
    if km is not None:
        provisioner = getattr(km, "provisioner", None)
        process = getattr(provisioner, "process", None)
        if process is not None:
            try:
                pgid = getattr(provisioner, "pgid", None)
                if pgid:
                    os.killpg(pgid, signal.SIGKILL)
                else:
                    process.kill()
                process.wait(timeout=10)
            except Exception:  # already gone; exiting regardless
                pass
        for cleanup in (km.cleanup_connection_file, km.cleanup_ipc_files):
            try:
                cleanup()
            except Exception:  # best effort on the way out
                pass
    os._exit(128 + signum)


def _render(job: Job, inputs: Sequence[str]) -> tuple[str, float]:
    from analysis.report.render import render_report

    t0 = time.perf_counter()
    render_report(
        job.notebook,
        job.values,
        job.folder.parent,
        run_name=job.folder.name,
        inputs=inputs,
        seed=int(job.values.get("seed", 0)),
        kernel=_KERNEL,
        build_dir=job.build,
    )
    return str(job.folder), time.perf_counter() - t0


def _discard_unfinished(job: Job) -> None:
    """Remove what an unfinished render of ``job`` left: the whole folder, or — when a failed
    render kept its executed notebook for inspection — the temporary files only."""
    folder = job.folder
    if job.done or not folder.is_dir():
        return
    if (folder / "notebook.failed.ipynb").is_file():
        for tmp in folder.rglob(".*.tmp*"):
            tmp.unlink(missing_ok=True)
        return
    shutil.rmtree(folder, ignore_errors=True)


def _render_all(jobs: Sequence[Job], inputs: Sequence[str], *, workers: int, bar: Any) -> list[float]:
    """Render ``jobs`` in ``workers`` processes; returns the seconds of each report.

    The queue is fed one report per free worker. A failing report stops the queue: the reports
    being rendered finish, then its error is raised (a worker that dies raises
    ``BrokenProcessPool``). Ctrl-C (or any other interruption) stops everything at once: the
    workers and their kernels are killed and unfinished report folders removed, so a run folder
    holds only complete reports and ``--resume`` continues it.
    """
    from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

    # "spawn": a forked child would inherit the parent's ZeroMQ context and threads (from an
    # earlier kernel in the same process) and can hang; a fresh interpreter cannot
    ctx = multiprocessing.get_context("spawn")
    # Workers start with Ctrl-C blocked (a blocked signal stays blocked across exec), so that it
    # never reaches one before its initialiser has told it to ignore it; a Ctrl-C meanwhile
    # reaches the parent when it unblocks. The resource tracker, started on first use, unblocks
    # SIGINT after starting itself: start it first.
    resource_tracker.ensure_running()
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_start_worker)
    waiting = list(reversed(jobs))
    seconds: list[float] = []

    def submit() -> Future:
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # a worker may start here
        try:
            return pool.submit(_render, waiting.pop(), inputs)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)

    try:
        running: set[Future] = set()
        error: BaseException | None = None
        while waiting or running:
            while waiting and error is None and len(running) < workers:
                running.add(submit())
            if not running:
                break
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for fut in finished:
                exc = fut.exception()
                if exc is None:
                    seconds.append(fut.result()[1])
                    bar.update(1)
                elif error is None:
                    error = exc
        pool.shutdown(wait=True)
        if error is not None:
            raise error
    except BaseException:
        with _no_interrupt():  # a second Ctrl-C must not stop the clean-up half-way
            _terminate_workers(pool)  # SIGTERM: each worker kills its kernel and exits at once
            pool.shutdown(wait=True, cancel_futures=True)
            for job in jobs:
                _discard_unfinished(job)
        raise
    return seconds


def _terminate_workers(pool: Any) -> None:
    """SIGTERM to every live worker of a ``ProcessPoolExecutor``."""
    terminate = getattr(pool, "terminate_workers", None)  # Python ≥ 3.14
    if terminate is not None:
        terminate()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()


@contextlib.contextmanager
def _no_interrupt() -> Iterator[None]:
    """Ignore Ctrl-C inside the block (in the main thread; elsewhere signals are not ours)."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run(
    base: ReportParameters,
    *,
    municipalities: Sequence[Municipality] = (),
    national: bool | Sequence[str] = True,
    run_dir: Path | None = None,
    resume: bool = False,
    jobs: int | None = None,
    progress: bool = True,
) -> tuple[Path, dict[str, float]]:
    """Resolve, fit once, and render every report of a run. Returns the run folder and timings.

    Raises
    ------
    ParameterError
        Anything the parameters, the data source or an existing run folder cannot serve —
        before any kernel starts.
    """
    from analysis.run.benchmark import CACHE_FILE, build, load
    from analysis.run.results import RESULTS_DIR, write_results

    if run_dir is not None:
        _refuse_existing(Path(run_dir), resume=resume)  # before the data are read
    source, run_params = resolve(base)
    run_dir = Path(run_dir) if run_dir else reports_dir() / run_id(run_params.run_key())
    todo = plan(run_dir, run_params, base, municipalities=municipalities, national=national)
    if not todo:
        raise ParameterError("nothing to render: ask for the national reports and/or municipalities")
    created = [d for d in (run_dir, *run_dir.parents) if not d.exists()]  # by open_run, if new
    open_run(run_dir, run_params, todo, resume=resume)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    cache = work_dir(run_dir)
    try:
        bm = None
        if not (cache / CACHE_FILE).is_file():
            bm = build(source, run_params)
            bm.save(cache)
        if not (run_dir / RESULTS_DIR).is_dir():
            write_results(bm if bm is not None else load(cache, expect=run_params), run_dir)
    except BaseException:
        if created:  # a model that cannot be fitted (or Ctrl-C) leaves no empty run behind
            with _no_interrupt():
                shutil.rmtree(run_dir, ignore_errors=True)
                shutil.rmtree(cache, ignore_errors=True)
                for folder in (*created[1:], cache.parent):
                    with contextlib.suppress(OSError):
                        folder.rmdir()  # only if empty
        raise
    timings["benchmark"] = time.perf_counter() - t0
    inputs = sorted(source.provenance.inputs)
    pending = [j for j in todo if not j.done]
    workers = max(1, min(jobs or os.cpu_count() or 1, len(pending) or 1))
    t0 = time.perf_counter()
    per_report: list[float] = []
    if pending:
        from tqdm import tqdm

        for job in pending:  # what an earlier, killed run left of these reports
            _discard_unfinished(job)
        bar = tqdm(
            total=len(pending), desc="rapporter", unit="rapport", disable=not progress, file=sys.stderr
        )
        try:
            per_report = _render_all(pending, inputs, workers=workers, bar=bar)
        finally:
            bar.close()
    timings["reports"] = time.perf_counter() - t0
    timings["n_rendered"] = float(len(pending))
    timings["n_skipped"] = float(len(todo) - len(pending))
    if per_report:
        timings["mean_per_report"] = sum(per_report) / len(per_report)
    return run_dir, timings


__all__ = [
    "CACHE_DIR",
    "Job",
    "case_folder",
    "check_run_id",
    "open_run",
    "plan",
    "resolve",
    "run",
    "run_id",
    "work_dir",
]
