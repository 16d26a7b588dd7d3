"""The main job (``nox -s report``): default data → one model fit → reports.

1. Build the embedded default register, "Syntetisk Danmark" (1,000,000 persons a year,
   2022–2024), in ``data/processed/synthetic/``
   unless it is already there with the same generator parameters (the folder is rebuilt, never
   edited by hand).
2. Render the national reports (expected caseload; trade-off bias) and the case report for
   Nyborg into a new ``reports/<run-id>/`` folder, all from one shared model fit.

``python -m analysis.run.pipeline --help`` lists the options; ``--all`` renders all 98 case
reports.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from analysis.core.paths import synthetic_default_dir

DEFAULT_PERSONS = 1_000_000
DEFAULT_SEED = 2024
DEFAULT_YEARS = (2022, 2023, 2024)
DEFAULT_CASE = "Nyborg"


def ensure_default_register(
    folder: Path, *, n_persons: int, seed: int, years: tuple[int, ...] = DEFAULT_YEARS
) -> tuple[Path, bool]:
    """Write the synthetic default register unless ``folder`` holds one made with these settings.

    Returns the folder and whether it was (re)built.
    """
    from analysis.data.synth import write_register

    params_file = folder / "params.json"
    if params_file.is_file() and (folder / "persons.parquet").is_file():
        try:
            saved = json.loads(params_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            saved = {}
        if (
            saved.get("n_persons") == n_persons
            and saved.get("seed") == seed
            and saved.get("tradeoff") is True
            and saved.get("years") == list(years)
        ):
            return folder, False
    write_register(folder, n_persons=n_persons, seed=seed, years=years)
    return folder, True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m analysis.run.pipeline",
        description="Build the default synthetic register and render the reports into reports/<run-id>/.",
    )
    parser.add_argument(
        "--persons", type=int, default=DEFAULT_PERSONS, help="persons per year in the synthetic register"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the synthetic register")
    parser.add_argument(
        "--municipality", action="append", default=None, help="case municipality (repeatable)"
    )
    parser.add_argument("--all", action="store_true", help="render all 98 case reports")
    parser.add_argument("--bootstrap", type=int, default=1000, help="replicates for the rank intervals")
    parser.add_argument("--jobs", type=int, default=None, help="parallel renders (default: all cores)")
    args = parser.parse_args(argv)

    from analysis.core.municipalities import codes
    from analysis.run.batch import run

    t0 = time.perf_counter()
    folder, built = ensure_default_register(synthetic_default_dir(), n_persons=args.persons, seed=args.seed)
    print(
        f"{'built' if built else 'reused'} synthetic register ({args.persons:,} persons a year, "
        f"{DEFAULT_YEARS[0]}–{DEFAULT_YEARS[-1]}) in {folder}"
    )
    munis = list(codes()) if args.all else (args.municipality or [DEFAULT_CASE])
    run_dir, timings = run(
        {"data": str(folder), "bootstrap": args.bootstrap, "seed": 0, "publisher": "kommunebench"},
        municipalities=munis,
        national=True,
        jobs=args.jobs,
    )
    print(f"reports in {run_dir}")
    for pdf in sorted(run_dir.rglob("report.pdf")):
        print(f"  {pdf.relative_to(run_dir.parent)}")
    print(
        f"total {time.perf_counter() - t0:.1f} s (model {timings['benchmark']:.1f} s, reports {timings['reports']:.1f} s)"
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
