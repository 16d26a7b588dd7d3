"""``kommunebench fit``: estimate the expected-caseload model on a register and write the tidy frame."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from analysis.core.io import write_parquet_atomic


def load_register(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Persons and municipalities from a register folder (read and validated by :mod:`analysis.data.synth`)."""
    from analysis.data.synth import load_register as _load

    reg = _load(folder)
    return reg.persons, reg.municipalities


def main(argv: list[str] | None = None, *, prog: str = "kommunebench fit", command: str = "fit") -> int:
    """Run ``kommunebench fit --data DIR --benefits SET --spec pooled|fe --out FILE.parquet``."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Estimate expected full-time persons on public benefits given the rammevilkår, and rank.",
    )
    parser.add_argument("--data", required=True, type=Path, help="register folder (persons, municipalities)")
    parser.add_argument("--benefits", default="bm2018", help="bm2018, bm2019, all, a group, or a,b,c")
    parser.add_argument("--spec", default="pooled", choices=["pooled", "fe"], help="model specification")
    parser.add_argument(
        "--cov-type",
        default="clustered",
        choices=["clustered", "robust", "unadjusted"],
        help="coefficient covariance",
    )
    parser.add_argument(
        "--bootstrap", type=int, default=0, help="replicates for rank intervals (0: 1,000 normal draws)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the draws")
    parser.add_argument("--level", type=float, default=0.95, help="confidence level")
    parser.add_argument("--out", required=True, type=Path, help="output Parquet file (tidy frame)")
    args = parser.parse_args(argv)

    from analysis.model import fit

    t0 = time.perf_counter()
    try:
        persons, municipalities = load_register(args.data)
        res = fit(
            persons,
            municipalities,
            benefits=args.benefits,
            spec=args.spec,
            cov_type=args.cov_type,
            bootstrap=args.bootstrap,
            seed=args.seed,
            level=args.level,
        )
    except (ValueError, OSError) as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    tidy = res.tidy()
    meta = {
        "command": command,
        "benefit_set": res.benefit_set,
        "groups": list(res.groups),
        "spec": res.spec,
        "cov_type": res.cov_type,
        "bootstrap": args.bootstrap,
        "seed": args.seed,
        "level": args.level,
        "nobs": res.nobs,
        "synthetic": res.synthetic,
        "notes": list(res.notes),
        "params": res.params.to_dict(),
    }
    write_parquet_atomic(tidy, args.out, metadata=meta)
    secs = time.perf_counter() - t0
    flag = " [SYNTETISKE DATA]" if res.synthetic else ""
    print(
        f"{res.benefit_set} ({res.spec}): {res.nobs:,} persons, {len(tidy)} municipalities, {secs:.1f} s{flag}"
    )
    show = tidy.sort_values("rank")[["rank", "rank_lower", "rank_upper", "name", "difference_pp"]]
    print(show.head(5).to_string(index=False, float_format=lambda v: f"{v:+.2f}"))
    print("…")
    print(show.tail(3).to_string(index=False, header=False, float_format=lambda v: f"{v:+.2f}"))
    for note in res.notes:
        print(f"Note: {note}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
