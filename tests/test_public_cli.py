"""The public-data commands: ``official``, ``public check|build`` and ``fit --data public``."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.cli import main
from analysis.core.io import read_parquet_metadata
from analysis.data.public.jobindsats import OFFICIAL_COLUMNS, load_official

ISSUE_FIT_COLUMNS = [
    "code",
    "period",
    "population",
    "actual",
    "expected",
    "difference",
    "difference_pp",
    "rank",
    "rank_lower",
    "rank_upper",
]


def test_official_writes_the_published_benchmark(tmp_path, capsys):
    out = tmp_path / "official.parquet"
    assert main(["official", "--out", str(out)]) == 0
    got = pd.read_parquet(out)
    assert list(got.columns) == list(OFFICIAL_COLUMNS)
    want = load_official()[list(OFFICIAL_COLUMNS)]
    pd.testing.assert_frame_equal(got, want.reset_index(drop=True), check_dtype=False)
    assert read_parquet_metadata(out)["synthetic"] is False
    assert "392 rows" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["official.parquet"]


def test_official_names_a_bad_file(tmp_path, capsys):
    bad = tmp_path / "Y30R21.jsonl"
    bad.write_text('{"Area": "Atlantis"}\n', encoding="utf-8")
    assert main(["official", "--file", str(bad), "--out", str(tmp_path / "o.parquet")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("kommunebench official: error: ")
    assert str(bad) in err
    assert err.count("\n") == 1
    assert not (tmp_path / "o.parquet").exists()


def test_public_check_and_build(tmp_path, capsys):
    assert main(["public", "check"]) == 0
    assert "98 municipalities × 6 periods" in capsys.readouterr().out
    assert main(["public", "build", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["panel.codebook.json", "panel.parquet"]
    assert len(pd.read_parquet(tmp_path / "panel.parquet")) == 98 * 6


def test_fit_on_public_data(tmp_path, capsys):
    out = tmp_path / "fit.parquet"
    argv = [
        "fit",
        "--data",
        "public",
        "--benefits",
        "kontanthjaelp",
        "--period",
        "2022QMAT04",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    tidy = pd.read_parquet(out)
    assert set(ISSUE_FIT_COLUMNS) <= set(tidy.columns)
    assert len(tidy) == 98
    assert (tidy["period"] == "2022QMAT04").all()
    assert tidy["expected"].sum() == pytest.approx(tidy["actual"].sum(), rel=1e-9)
    meta = read_parquet_metadata(out)
    assert meta["parameters"]["benefits"] == "kontanthjaelp"
    assert meta["synthetic"] is False
