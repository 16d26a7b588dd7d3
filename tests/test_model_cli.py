"""The ``kommunebench fit`` command writes the tidy frame atomically."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.core.io import read_parquet_metadata
from analysis.data import synth
from analysis.data.register import load_register
from analysis.model import fit


def main(argv: list[str]) -> int:
    """``kommunebench fit ARGS`` through the one command-line wrapper."""
    from analysis.cli import main as cli_main

    return cli_main(["fit", *argv])


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("register")
    synth.write_register(folder, n_persons=6_000, seed=2)
    return folder


def test_fit_command_writes_tidy(data_dir, tmp_path, capsys):
    out = tmp_path / "fit.parquet"
    argv = ["--data", str(data_dir), "--benefits", "bm2019", "--spec", "fe", "--seed", "3", "--out", str(out)]
    assert main(argv) == 0
    tidy = pd.read_parquet(out)
    required = ["code", "benefit_set", "population", "actual", "expected", "difference", "rank"]
    for c in [*required, "rank_lower", "rank_upper"]:
        assert c in tidy.columns
    reg = load_register(data_dir)
    direct = fit(reg.persons, reg.municipalities, benefits="bm2019", spec="fe", seed=3).tidy()
    pd.testing.assert_series_equal(tidy["expected"], direct["expected"])
    pd.testing.assert_series_equal(tidy["rank_upper"], direct["rank_upper"])
    assert len(tidy) == 98
    assert read_parquet_metadata(out)["synthetic"] is True
    text = capsys.readouterr().out
    assert "SYNTHETIC" in text
    assert "bm2019" in text
    assert [p.name for p in tmp_path.iterdir()] == ["fit.parquet"]  # no temporary file left


def test_fit_command_reports_bad_input(data_dir, tmp_path, capsys):
    rc = main(["--data", str(data_dir), "--benefits", "nope", "--out", str(tmp_path / "x.parquet")])
    assert rc == 2
    assert "benefits: unknown benefit group" in capsys.readouterr().err
    assert not (tmp_path / "x.parquet").exists()
    rc = main(["--data", str(tmp_path / "missing"), "--out", str(tmp_path / "y.parquet")])
    assert rc == 2
    assert "missing" in capsys.readouterr().err
    assert main(["--data", str(data_dir), "--spec", "random", "--out", str(tmp_path / "z.parquet")]) == 2
    assert "spec: got 'random'; expected one of 'pooled', 'fe'" in capsys.readouterr().err
