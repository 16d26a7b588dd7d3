"""The main job (``nox -s report``): default data → one model fit → reports.

1. From the embedded **public data** (jobindsats Y30R21 and Statistics Denmark) and their
   latest period: the national reports (expected caseload; trade-off bias, with what the public
   data lack) and the case report for Nyborg, in a new ``reports/<run-id>/`` folder, all from
   one shared model fit.
2. A separate, clearly marked run on **Syntetisk Danmark** (built on first use): the trade-off
   report, whose full demonstration needs førtidspension, which the public data lack. No report
   mixes the two.

``kommunebench run --help`` lists the options; ``--all`` renders all 98 case
reports.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from analysis.core.municipalities import Municipality, codes, lookup
from analysis.core.params import DataRef, ReportParameters
from analysis.run.results import RESULTS_DIR

DEFAULT_CASE = "Nyborg"


def main_job(
    base: ReportParameters,
    *,
    municipalities: Sequence[Municipality] | None = None,
    all_cases: bool = False,
    jobs: int | None = None,
    out: Path | None = None,
    demonstration: bool = True,
    progress: bool = True,
) -> int:
    """Render the default run (and, on public data, the synthetic demonstration); print where.

    Returns the exit status.
    """
    from analysis.run.batch import run

    t0 = time.perf_counter()
    if all_cases:
        munis = [lookup(c) for c in codes()]
    else:
        munis = list(municipalities or [lookup(DEFAULT_CASE)])
    runs = [(base, munis, True)]
    if demonstration and base.data.kind == "public":
        demo = base.model_copy(update={"data": DataRef("synthetic"), "benefits": None, "period": None})
        runs.append((demo, [], ("tradeoff",)))
    for params, cases, national in runs:
        run_dir = None if out is None else out / _new_id(params)
        run_dir, timings = run(
            params, municipalities=cases, national=national, jobs=jobs, run_dir=run_dir, progress=progress
        )
        kind = (
            "synthetic demonstration (Syntetisk Danmark)"
            if params.data.kind == "synthetic"
            else str(params.data)
        )
        print(f"reports ({kind}) in {run_dir}")
        for pdf in sorted(run_dir.rglob("report.pdf")):
            print(f"  {pdf.relative_to(run_dir.parent)}")
        print(
            f"  {(run_dir / RESULTS_DIR).relative_to(run_dir.parent)}/ (results as CSV and Parquet, codebook.csv)"
        )
        print(f"  model {timings['benchmark']:.1f} s, reports {timings['reports']:.1f} s")
    print(f"total {time.perf_counter() - t0:.1f} s")
    return 0


def _new_id(params: ReportParameters) -> str:
    from analysis.run.batch import resolve, run_id

    return run_id(resolve(params)[1].run_key())
