"""The main job (``nox -s report``): default data → one model fit → reports.

Renders the national reports (expected caseload; trade-off bias) and the case report for
Nyborg into a new ``reports/<run-id>/`` folder, all from one shared model fit of the default
data (built on first use when synthetic). ``python -m analysis.run.pipeline --help`` lists the
options; ``--all`` renders all 98 case reports.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from analysis.core.municipalities import Municipality, codes, lookup
from analysis.core.params import ReportParameters

DEFAULT_CASE = "Nyborg"


def main_job(
    base: ReportParameters,
    *,
    municipalities: Sequence[Municipality] | None = None,
    all_cases: bool = False,
    jobs: int | None = None,
    out: Path | None = None,
) -> int:
    """Render the default run and print where it went. Returns the exit status."""
    from analysis.run.batch import run, run_id

    t0 = time.perf_counter()
    if all_cases:
        munis = [lookup(c) for c in codes()]
    else:
        munis = list(municipalities or [lookup(DEFAULT_CASE)])
    run_dir = None
    if out is not None:
        run_dir = out / run_id(base.run_key())
    run_dir, timings = run(base, municipalities=munis, national=True, jobs=jobs, run_dir=run_dir)
    print(f"reports in {run_dir}")
    for pdf in sorted(run_dir.rglob("report.pdf")):
        print(f"  {pdf.relative_to(run_dir.parent)}")
    print(
        f"total {time.perf_counter() - t0:.1f} s "
        f"(model {timings['benchmark']:.1f} s, reports {timings['reports']:.1f} s)"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    from analysis.cli import main

    raise SystemExit(main(["run", *__import__("sys").argv[1:]]))
