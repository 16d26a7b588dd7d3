"""Benchmark of the expected-caseload model at population scale (``nox -s bench``).

Generates a full-scale synthetic register (3.7 million persons by default) once, writes it to
a temporary folder, and runs each step in its own Python process so that its wall time and peak
memory (maximum resident set size of that process) are measured separately:

* ``ours_pooled`` / ``ours_fe`` — :func:`analysis.model.fit` (cells + exact clustered SEs);
* ``pyfixest`` — ``feols("y ~ x | code", vcov={"CRV1": "code"})`` on the person rows;
* ``absorbingls`` — linearmodels ``AbsorbingLS`` absorbing the municipality, clustered;
* ``draws`` — 1,000 joint draws of the gaps from their estimated sampling distribution and the
  marginal rank intervals taken from them;
* ``public`` — the whole fit of the real public data (:func:`public_fit`: every area and
  period, history, trade-off, yardsticks and every tidy frame with all its inference).

The competitors receive the same person-level outcome and dummy-coded regressors (building
that matrix is not timed). The coefficients and clustered standard errors of the fixed-effects
fit are compared across the three (max absolute / relative difference), and the correlation of
the estimated gaps with the true gaps in the model's units (``gap_pp_fe`` of ``truth.parquet``)
is printed. Then the reports are timed as ``kommunebench reports`` makes them: one case report,
and all 98 case reports plus the two national ones on all cores (:func:`report_timings`).
Finally two simulations with planted truth: how often the 95 % intervals and rank sets cover
the true gaps and ranks in the model's units (:func:`coverage_simulation`, both
specifications, with the number of registers), and the bias of the noise-corrected
kontanthjælp–førtidspension correlation per register size (:func:`tradeoff_bias`, with its
standard error and the number of seeds). All data but the ``public`` step's are synthetic.

Run ``python -m analysis.run.bench --persons 200000 --no-reports --tradeoff-sizes 50000`` for a
quick check.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.core.benefits import SETS
from analysis.data.synth import true_gap, write_register

BENEFITS = "bm2018"
STEPS = ("ours_pooled", "ours_fe", "pyfixest", "absorbingls", "draws", "public")


def _peak_mb() -> float:
    """Peak resident set size of this process in MB.

    ``VmHWM`` of ``/proc/self/status`` where it exists: ``ru_maxrss`` of a child started by
    :mod:`subprocess` can start at the parent's peak, which would hide what the step itself used.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return kb / 1024


def _load(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    p = pd.read_parquet(folder / "persons.parquet")
    m = pd.read_parquet(folder / "municipalities.parquet")
    p.attrs["synthetic"] = m.attrs["synthetic"] = True
    return p, m


def _person_design(persons: pd.DataFrame, terms: list[str]) -> pd.DataFrame:
    """Dummy-coded person-level regressors named after the model's terms (no constant)."""
    cols: dict[str, np.ndarray] = {}
    for t in terms:
        if t == "const":
            continue
        if t.startswith("age_sex["):
            age, sex = t[8:-1].split(":")
            cols[t] = ((persons["age"] == age) & (persons["sex"] == sex)).to_numpy(np.float64)
        elif t.startswith("year["):
            cols[t] = (persons["year"] == int(t[5:-1])).to_numpy(np.float64)
        else:
            var, level = t[:-1].split("[")
            v = persons[var]
            cols[t] = (v == (int(level) if var == "prior" else level)).to_numpy(np.float64)
    return pd.DataFrame(cols)


def public_fit() -> dict:
    """Time the whole fit of the public data: every area and period, with all inference.

    :func:`analysis.data.open.open_source` ``("public")`` (the embedded Y30R21 outcomes and DST
    rammevilkår, built into the panel), then :func:`analysis.run.benchmark.build` with the
    default parameters (every area's panel fit, the history over all periods, the trade-off and
    the yardsticks the data can feed), then every fit's tidy frame (rank intervals from the
    draws, simultaneous rank sets, funnel, empirical Bayes) as a saved benchmark holds them.
    """
    from analysis.core.params import parse_run
    from analysis.data.open import open_source
    from analysis.run.benchmark import build

    t0 = time.perf_counter()
    source = open_source("public")
    t1 = time.perf_counter()
    bm = build(source, parse_run({"data": "public"}))
    t2 = time.perf_counter()
    for res in bm.fits.values():
        res.tidy()
    t3 = time.perf_counter()
    return {
        "seconds": t3 - t0,
        "seconds_open": t1 - t0,
        "seconds_build": t2 - t1,
        "seconds_inference": t3 - t2,
        "fits": sorted(bm.fits),
        "periods": list(source.periods),
    }


def run_step(step: str, folder: Path) -> dict:
    """Run one timed step in this process and return its measurements."""
    from analysis.model import fit

    if step == "public":
        base_mb = _peak_mb()
        out = {"step": step, **public_fit()}
        out["peak_mb"] = _peak_mb()
        out["peak_mb_over_loaded_data"] = out["peak_mb"] - base_mb
        return out
    persons, municipalities = _load(folder)
    base_mb = _peak_mb()
    out: dict = {"step": step}
    if step in ("ours_pooled", "ours_fe"):
        spec = "pooled" if step == "ours_pooled" else "fe"
        t0 = time.perf_counter()
        res = fit(persons, municipalities, benefits=BENEFITS, spec=spec, cov_type="clustered")
        out["seconds"] = time.perf_counter() - t0
        out["params"] = res.params.to_dict()
        out["se"] = res.std_errors.to_dict()
        out["n_cells"] = res.meta["n_cells"]
        if spec == "fe":
            out["difference_pp"] = res.difference_pp.to_dict()
    elif step == "draws":
        res = fit(persons, municipalities, benefits=BENEFITS, spec="fe", draws=1000, seed=1)
        again = fit(persons, municipalities, benefits=BENEFITS, spec="fe", draws=1000, seed=1)
        t0 = time.perf_counter()
        again.gap_draws  # noqa: B018 - computed (and cached) on first use
        out["seconds_draws"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        again.rank_interval()
        out["seconds_intervals"] = time.perf_counter() - t1
        out["seconds"] = out["seconds_draws"] + out["seconds_intervals"]
        out["same_seed_same_intervals"] = bool(res.rank_interval().equals(again.rank_interval()))
    else:
        ref = fit(persons, municipalities, benefits=BENEFITS, spec="fe", cov_type="clustered")
        terms = [t for t in ref.params.index if t != "const"]
        x = _person_design(persons, terms)
        y = persons[list(SETS[BENEFITS])].sum(axis=1).to_numpy()
        del ref
        if step == "pyfixest":
            import pyfixest as pf

            names = [f"x{i}" for i in range(len(terms))]
            data = x.set_axis(names, axis=1)
            data["y"] = y
            data["code"] = persons["code"].to_numpy()
            t0 = time.perf_counter()
            r = pf.feols(f"y ~ {' + '.join(names)} | code", data=data, vcov={"CRV1": "code"})
            out["seconds"] = time.perf_counter() - t0
            out["params"] = dict(zip(terms, r.coef().to_numpy().tolist(), strict=True))
            out["se"] = dict(zip(terms, r.se().to_numpy().tolist(), strict=True))
        else:
            from linearmodels.iv import AbsorbingLS

            x.insert(0, "const", 1.0)
            absorb = pd.DataFrame({"code": pd.Categorical(persons["code"].to_numpy())})
            t0 = time.perf_counter()
            r = AbsorbingLS(y, x, absorb=absorb).fit(
                cov_type="clustered", clusters=persons["code"].to_numpy(), debiased=True
            )
            out["seconds"] = time.perf_counter() - t0
            out["params"] = r.params.to_dict()
            out["se"] = r.std_errors.to_dict()
    out["peak_mb"] = _peak_mb()
    out["peak_mb_over_loaded_data"] = out["peak_mb"] - base_mb
    return out


def _subprocess(step: str, folder: Path) -> dict:
    cmd = [sys.executable, "-m", "analysis.run.bench", "--step", step, "--data", str(folder)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"step": step, "error": proc.stderr.strip().splitlines()[-1] if proc.stderr else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _max_diff(a: dict, b: dict) -> tuple[float, float]:
    keys = [k for k in a if k in b and k != "const"]
    x = np.array([a[k] for k in keys])
    y = np.array([b[k] for k in keys])
    return float(np.max(np.abs(x - y))), float(np.max(np.abs(x - y) / np.abs(y)))


def report_timings(folder: Path, *, jobs: int | None = None) -> dict[str, float]:
    """Time one case report and the full batch (98 case reports + 2 national) on ``folder``.

    Both runs go through :func:`analysis.run.batch.run` exactly as ``kommunebench reports`` does:
    one shared model fit (the "benchmark", fitted on the full register), then the reports in
    parallel. The one-report time is the rendering of Nyborg alone, after its run's fit.
    """
    import os

    from analysis.core.municipalities import codes, lookup
    from analysis.core.params import parse_report
    from analysis.run import batch

    shared = parse_report({"data": str(folder), "draws": 1000, "seed": 0, "publisher": "kommunebench"})
    workers = jobs or os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="kommunebench-reports-") as out:
        _, one = batch.run(
            shared,
            municipalities=[lookup("Nyborg")],
            national=False,
            run_dir=Path(out) / "one",
            jobs=1,
            progress=False,
        )
        t0 = time.perf_counter()
        _, full = batch.run(
            shared,
            municipalities=[lookup(c) for c in codes()],
            national=True,
            run_dir=Path(out) / "all",
            jobs=workers,
        )
        total = time.perf_counter() - t0
    print(f"shared model fit for a report run (all benefit sets, yardsticks): {one['benchmark']:.1f} s")
    print(f"one case report (Nyborg), rendered HTML + PDF: {one['reports']:.1f} s  (target ≤ 15 s)")
    print(
        f"all 98 case reports + 2 national reports on {workers} core(s): {total:.1f} s "
        f"= {total / 60:.1f} min incl. the shared fit  (target ≤ 5 min); "
        f"mean {full.get('mean_per_report', float('nan')):.1f} s per report per worker"
    )
    return {"fit": one["benchmark"], "one": one["reports"], "all": total}


def coverage_simulation(reps: int, n_persons: int, *, spec: str = "fe", benefits: str = BENEFITS) -> dict:
    """Coverage of the true gaps and true ranks by the 95 % intervals over ``reps`` registers.

    Each register is Syntetisk Danmark with its own seed (1000 + r); the truth is the gap that
    the specification targets, in the model's units (:func:`analysis.data.synth.true_gap`: the
    estimator applied to each person's expected share). Reported: the share of municipality ×
    register pairs whose 95 % gap interval, and whose marginal rank interval, covers the true
    gap and the true rank; the share of pairs covered by the simultaneous rank sets, and the
    share of *registers* in which the simultaneous sets cover all 98 true ranks at once (the
    sets' guarantee). Returns the counts.
    """
    from scipy import stats

    from analysis.data.synth import generate, true_gap
    from analysis.model import fit

    hits = {"ci": 0, "rank": 0, "rank_cs": 0, "all_at_once": 0}
    total = 0
    for r in range(reps):
        reg = generate(n_persons=n_persons, seed=1000 + r)
        res = fit(reg.persons, reg.municipalities, benefits=benefits, spec=spec, seed=r)
        t = res.tidy().set_index("code")
        truth_pp = true_gap(reg.truth, benefits, spec=spec).reindex(t.index)
        true_rank = pd.Series(stats.rankdata(truth_pp, method="min"), index=t.index)
        hits["ci"] += int(((t.ci_lower_pp <= truth_pp) & (truth_pp <= t.ci_upper_pp)).sum())
        hits["rank"] += int(((t.rank_lower <= true_rank) & (true_rank <= t.rank_upper)).sum())
        in_set = (t.rank_cs_lower <= true_rank) & (true_rank <= t.rank_cs_upper)
        hits["rank_cs"] += int(in_set.sum())
        hits["all_at_once"] += int(in_set.all())
        total += len(t)
    print(
        f"coverage ({spec}, {benefits}, {reps} registers × {n_persons:,} persons, true gap in model units, "
        f"nominal 95 %): gap CI {hits['ci'] / total:.3f}, marginal rank interval {hits['rank'] / total:.3f} "
        f"(of {total} municipality-registers); simultaneous rank sets cover all 98 at once in "
        f"{hits['all_at_once']} of {reps} registers ({hits['all_at_once'] / reps:.0%}), "
        f"each municipality {hits['rank_cs'] / total:.3f}"
    )
    return {**hits, "total": total, "registers": reps}


def tradeoff_bias(
    sizes: tuple[int, ...], seeds: int, *, specs: tuple[str, ...] = ("pooled", "fe")
) -> pd.DataFrame:
    """Bias of the noise-corrected kontanthjælp–førtidspension correlation, per register size.

    For each size, ``seeds`` registers of Syntetisk Danmark (seeds 0, 1, …) with the planted
    trade-off; each is analysed with :func:`analysis.model.tradeoff.analyse` under each
    specification. The planted value of a register is the correlation over the 98
    municipalities of its true kontanthjælp and førtidspension gaps in the model's units
    (``params["true_gap_correlation"]``). Printed per size and specification: the mean
    corrected estimate, the mean planted value, the mean difference with its standard error,
    the mean uncorrected correlation and the number of seeds. Returns the per-seed rows.
    """
    from analysis.data.synth import generate
    from analysis.model.tradeoff import analyse

    rows = []
    for n in sizes:
        for seed in range(seeds):
            reg = generate(n_persons=n, seed=seed)
            for spec in specs:
                ta = analyse(reg.persons, reg.municipalities, spec=spec, replicates=100, seed=seed)
                planted = reg.params["true_gap_correlation"][f"gap_pp_{spec}"][
                    "kontanthjaelp_foertidspension"
                ]
                rows.append(
                    {
                        "persons": n,
                        "spec": spec,
                        "seed": seed,
                        "estimate": ta.test.estimate,
                        "uncorrected": ta.test.raw_estimate,
                        "planted": planted,
                    }
                )
    out = pd.DataFrame(rows)
    out["bias"] = out["estimate"] - out["planted"]
    for (n, spec), g in out.groupby(["persons", "spec"], sort=False):
        k = int(g["bias"].notna().sum())
        print(
            f"trade-off correlation ({spec}, {n:,} persons, {k} seeds): corrected mean {g['estimate'].mean():+.3f}, "
            f"planted {g['planted'].mean():+.3f}, bias {g['bias'].mean():+.3f} (SE {g['bias'].std(ddof=1) / np.sqrt(k):.3f}); "
            f"uncorrected mean {g['uncorrected'].mean():+.3f}"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.run.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=3_700_000, help="register size (default 3.7 M)")
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument(
        "--steps", default=",".join(STEPS), help=f"comma-separated subset of {', '.join(STEPS)}"
    )
    parser.add_argument(
        "--coverage-reps", type=int, default=40, help="registers in the coverage simulation (0: skip)"
    )
    parser.add_argument("--coverage-persons", type=int, default=200_000)
    parser.add_argument(
        "--tradeoff-seeds",
        default="80,20,20",
        help="registers per size in the trade-off bias check: one number, or one per size (0: skip)",
    )
    parser.add_argument(
        "--tradeoff-sizes",
        default="50000,200000,1000000",
        help="comma-separated register sizes of the trade-off bias check",
    )
    parser.add_argument(
        "--no-reports", dest="reports", action="store_false", help="skip the report rendering timings"
    )
    parser.add_argument("--jobs", type=int, default=None, help="parallel renders (default: all cores)")
    parser.add_argument("--step", choices=STEPS, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.step:  # child process: one timed step
        print(json.dumps(run_step(args.step, args.data)))
        return 0

    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        parser.error(f"--steps: unknown step(s) {unknown}; expected {', '.join(STEPS)}")
    with tempfile.TemporaryDirectory(prefix="kommunebench-bench-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        write_register(folder, n_persons=args.persons, seed=args.seed)
        print(
            f"generated and wrote {args.persons:,} persons (synthetic) in {time.perf_counter() - t0:.1f} s, "
            f"peak RSS {_peak_mb():.0f} MB"
        )
        truth = pd.read_parquet(folder / "truth.parquet")
        results = {}
        for step in steps:
            res = _subprocess(step, folder)
            results[step] = res
            if "error" in res:
                print(f"{step:<12} FAILED: {res['error']}")
                continue
            print(
                f"{step:<12} {res['seconds']:8.2f} s   peak RSS {res['peak_mb']:8.0f} MB "
                f"(+{res['peak_mb_over_loaded_data']:.0f} MB over the loaded data)"
            )
        if args.reports:
            report_timings(folder, jobs=args.jobs)
    ours = results.get("ours_fe", {})
    for other in ("pyfixest", "absorbingls"):
        res = results.get(other, {})
        if "params" in ours and "params" in res:
            dp, rp = _max_diff(ours["params"], res["params"])
            ds, rs = _max_diff(ours["se"], res["se"])
            print(
                f"fe vs {other}: coef max abs diff {dp:.2e} (rel {rp:.2e}); clustered SE max rel diff {rs:.2e}; "
                f"time ratio {res['seconds'] / ours['seconds']:.1f}× ; peak memory ratio "
                f"{res['peak_mb'] / ours['peak_mb']:.1f}×"
            )
    if "draws" in results and "seconds" in results["draws"]:
        b = results["draws"]
        print(
            f"1,000 joint draws of the gaps: draws {b['seconds_draws']:.3f} s + intervals "
            f"{b['seconds_intervals']:.3f} s; same seed → same intervals: {b['same_seed_same_intervals']}"
        )
    if "difference_pp" in ours:
        est = pd.Series({int(k): v for k, v in ours["difference_pp"].items()})
        tr = true_gap(truth, BENEFITS, spec="fe").reindex(est.index)
        print(
            f"corr(fe difference_pp, true {BENEFITS} gap in model units) = {np.corrcoef(est, tr)[0, 1]:.4f}"
        )
    if "public" in results and "seconds" in results["public"]:
        b = results["public"]
        print(
            f"public data, whole fit ({len(b['fits'])} benefit sets × {len(b['periods'])} periods, all inference): "
            f"{b['seconds']:.1f} s = open {b['seconds_open']:.1f} s + build {b['seconds_build']:.1f} s "
            f"+ tidy frames {b['seconds_inference']:.1f} s; peak RSS {b['peak_mb']:.0f} MB"
        )
    if args.coverage_reps > 0:
        for spec in ("fe", "pooled"):
            coverage_simulation(args.coverage_reps, args.coverage_persons, spec=spec)
    sizes = tuple(int(x) for x in args.tradeoff_sizes.split(",") if x.strip())
    seeds = [int(x) for x in args.tradeoff_seeds.split(",") if x.strip()]
    if len(seeds) == 1:
        seeds = seeds * len(sizes)
    if len(seeds) != len(sizes):
        parser.error(f"--tradeoff-seeds: give one number or one per size ({len(sizes)})")
    for n, k in zip(sizes, seeds, strict=True):
        if k > 0:
            tradeoff_bias((n,), k)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
