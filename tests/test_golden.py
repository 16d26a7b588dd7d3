"""The redesign changed no number: today's run equals the run recorded before it (to 1e-12).

The recorded frames and how they were made are described in ``tests/fixtures/golden/README.md``.
The tolerance is 1e-12 (relative and absolute) because the arithmetic is the same operation for
operation: any larger difference is a change of behaviour, not rounding.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis.core.params import parse_run
from analysis.data.sources import PersonRegister
from analysis.data.synth import write_register
from analysis.run.benchmark import build

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
QUADRANTS = {
    "bedre A, dårligere B": "a_better_b_worse",
    "dårligere A, bedre B": "a_worse_b_better",
    "bedre på begge": "both_better",
    "dårligere på begge": "both_worse",
}


@pytest.fixture(scope="module")
def bm(tmp_path_factory):
    folder = write_register(tmp_path_factory.mktemp("golden"), n_persons=20_000, seed=1, years=(2023, 2024))
    return build(PersonRegister(folder), parse_run({"draws": 200, "seed": 0}))


def recorded(name: str) -> pd.DataFrame:
    frame = pd.read_parquet(GOLDEN / f"{name}.parquet")
    if "year" in frame.columns:
        frame = frame.rename(columns={"year": "period"}).assign(period=lambda f: f["period"].astype(str))
    if "quadrant" in frame.columns:
        frame["quadrant"] = frame["quadrant"].map(QUADRANTS)
    return frame


def now(bm, name: str) -> pd.DataFrame:
    if name.startswith("tidy_"):
        return bm.fits[name.removeprefix("tidy_")].tidy()
    if name.startswith("tradeoff_"):
        part = name.removeprefix("tradeoff_")
        return bm.tradeoff.movers() if part == "movers" else getattr(bm.tradeoff, part)
    return getattr(bm, name)


NAMES = sorted(p.stem for p in GOLDEN.glob("*.parquet"))


def test_every_fit_is_recorded(bm):
    assert {f"tidy_{name}" for name in bm.fits} == {n for n in NAMES if n.startswith("tidy_")}


@pytest.mark.parametrize("name", NAMES)
def test_frame_equals_the_recorded_one(bm, name):
    pd.testing.assert_frame_equal(
        now(bm, name), recorded(name), check_exact=False, rtol=1e-12, atol=1e-12, check_dtype=False
    )
