"""jobcenterindblik categories: the truth table, threshold edges and KL's results-first order."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

from analysis.yardsticks.categories import (
    FOCUS2_THRESHOLD,
    LABELS,
    jobcenterindblik,
    reclassified,
    results_first,
)

# STAR's rule as stated in the sources, written out independently of the implementation:
# (result met, both focus met) -> category
RULE = {(True, True): 1, (False, True): 2, (True, False): 3, (False, False): 4}


def main(argv: list[str]) -> int:
    """``kommunebench categories ARGS`` through the one command-line wrapper."""
    from analysis.cli import main as cli_main

    return cli_main(["categories", *argv])


def _row(result: bool, focus1: bool, focus2: bool) -> dict[str, float]:
    return {
        "actual_share": 0.10 if result else 0.14,
        "expected_share": 0.12,
        "no_offer_share": 0.20 if focus1 else 0.40,
        "conversations_share_ok": 0.95 if focus2 else 0.30,
    }


@pytest.mark.parametrize(("result", "focus1", "focus2"), list(itertools.product([True, False], repeat=3)))
def test_truth_table(result, focus1, focus2):
    out = jobcenterindblik(pd.DataFrame([_row(result, focus1, focus2)], index=pd.Index([450], name="code")))
    r = out.loc[450]
    assert (r["result_ok"], r["focus1_ok"], r["focus2_ok"]) == (result, focus1, focus2)
    assert r["category"] == RULE[(result, focus1 and focus2)]
    assert r["category_label"] == LABELS[r["category"]]


def test_all_eight_in_one_frame():
    combos = list(itertools.product([True, False], repeat=3))
    df = pd.DataFrame([_row(*c) for c in combos])
    df.insert(0, "code", range(101, 101 + len(combos)))
    out = jobcenterindblik(df)
    assert list(out.index) == list(range(101, 109))
    assert out["category"].tolist() == [RULE[(r, f1 and f2)] for r, f1, f2 in combos]
    assert set(out["category_label"]) == set(LABELS.values())


@pytest.mark.parametrize(
    ("column", "value", "flag", "expected"),
    [
        ("actual_share", 0.12, "result_ok", True),  # actual exactly at expected: no tolerance, met
        ("actual_share", 0.12 + 1e-12, "result_ok", False),
        ("no_offer_share", 0.30, "focus1_ok", False),  # must be *under* 30 %
        ("no_offer_share", 0.30 - 1e-12, "focus1_ok", True),
        ("conversations_share_ok", FOCUS2_THRESHOLD, "focus2_ok", True),  # at least the threshold
        ("conversations_share_ok", FOCUS2_THRESHOLD - 1e-12, "focus2_ok", False),
    ],
)
def test_threshold_edges(column, value, flag, expected):
    row = _row(True, True, True)
    row[column] = value
    out = jobcenterindblik(pd.DataFrame([row], index=pd.Index([101], name="code")))
    assert bool(out.loc[101, flag]) is expected


def test_thresholds_are_parameters():
    row = _row(True, True, True) | {"no_offer_share": 0.35, "conversations_share_ok": 0.5}
    df = pd.DataFrame([row], index=pd.Index([101], name="code"))
    assert jobcenterindblik(df)["category"].iloc[0] == 3
    loose = jobcenterindblik(df, focus1_threshold=0.4, focus2_threshold=0.5)
    assert loose["category"].iloc[0] == 1


def test_bad_input():
    df = pd.DataFrame([_row(True, True, True)], index=pd.Index([101], name="code"))
    with pytest.raises(ValueError, match="focus2_threshold"):
        jobcenterindblik(df, focus2_threshold=1.5)
    with pytest.raises(ValueError, match=r"missing column\(s\) \['no_offer_share'\]"):
        jobcenterindblik(df.drop(columns="no_offer_share"))
    bad = df.copy()
    bad["no_offer_share"] = float("nan")
    with pytest.raises(ValueError, match=r"'no_offer_share'.*\[101\]"):
        jobcenterindblik(bad)
    two = pd.concat([df, df])
    with pytest.raises(ValueError, match="duplicated"):
        jobcenterindblik(two)


def _nyborg_case() -> tuple[pd.DataFrame, pd.Series]:
    # 450 (Nyborg-like): best result, misses a focus target -> STAR category 3.
    # 101: worse than expected but meets the focus targets -> category 2, listed above 450.
    rows = {
        450: _row(True, False, True),
        147: _row(True, True, True),
        101: _row(False, True, True),
        151: _row(False, False, False),
    }
    df = pd.DataFrame.from_dict(rows, orient="index").rename_axis("code")
    gap = pd.Series({450: -2.0, 147: -0.5, 101: 1.0, 151: 2.5})
    return df, gap


def test_results_first_and_reclassified():
    df, gap = _nyborg_case()
    table = results_first(jobcenterindblik(df), gap)
    assert table.loc[450, "category"] == 3
    assert table.loc[450, "result_rank"] == 1
    # STAR's list: 147 (cat 1), 101 (cat 2), 450 (cat 3), 151 (cat 4)
    assert table["star_position"].to_dict() == {450: 3, 147: 1, 101: 2, 151: 4}
    assert table.loc[450, "results_first_category"] == 2
    assert table.loc[101, "results_first_category"] == 3
    assert table.loc[450, "outranked_by"] == 2  # 147 and 101 both have worse gaps and sit above
    assert table.loc[147, "outranked_by"] == 0
    assert table.loc[450, "position_change"] == 2
    # positions are a permutation; ranks by result are 1..n here (no ties)
    assert sorted(table["star_position"]) == [1, 2, 3, 4]
    moved = reclassified(table)
    assert list(moved.index) == [450, 101]


def test_results_first_missing_gap():
    df, gap = _nyborg_case()
    with pytest.raises(ValueError, match=r"difference_pp.*\[151\]"):
        results_first(jobcenterindblik(df), gap.drop(151))


# ----------------------------------------------------------------------------- command line


@pytest.fixture(scope="module")
def register_dir(tmp_path_factory):
    from analysis.data.synth import write_register

    return write_register(tmp_path_factory.mktemp("register"), n_persons=6_000, seed=2)


def test_categories_command(register_dir, tmp_path, capsys):
    from analysis.core.io import read_parquet_metadata

    out = tmp_path / "cat.parquet"
    assert main(["--data", str(register_dir), "--benefits", "bm2018", "--out", str(out)]) == 0
    table = pd.read_parquet(out)
    meta = read_parquet_metadata(out)
    assert len(table) == 98
    assert table["code"].is_unique
    assert meta["synthetic"] is True
    assert meta["benefits"] == "bm2018"
    assert "SYNTHETIC" in capsys.readouterr().out
    # the result target agrees with the sign of the model's gap (actual − expected ≤ 0)
    assert (table["result_ok"] == (table["difference_pp"] <= 1e-12)).all()
    # every row follows the rule table
    both = table["focus1_ok"] & table["focus2_ok"]
    assert [RULE[(r, f)] for r, f in zip(table["result_ok"], both, strict=True)] == table["category"].tolist()
    assert sorted(table["star_position"]) == list(range(1, 99))


def test_categories_command_bad_threshold(register_dir, tmp_path, capsys):

    rc = main(["--data", str(register_dir), "--focus2-threshold", "80", "--out", str(tmp_path / "x.parquet")])
    assert rc == 2
    assert "focus2_threshold" in capsys.readouterr().err
    assert not (tmp_path / "x.parquet").exists()
