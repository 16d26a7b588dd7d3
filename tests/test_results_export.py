"""The run folder's ``results/``: codebook completeness and all-or-nothing writing."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.core.io import atomic_dir
from analysis.run import results as export


def test_codebook_covers_every_column_and_names_the_level(small_benchmark):
    tables = export.result_tables(small_benchmark)
    book = export.codebook(tables, level=0.9)
    for name, frame in tables.items():
        assert list(book.loc[book["table"] == name, "column"]) == list(frame.columns)
    meaning = book.set_index(["table", "column"])["meaning"]
    assert "90 %" in meaning[("results", "rank_lower")]
    blocks = [c for c in tables["results"].columns if c.startswith("contrib_")]
    assert blocks  # the decomposition is exported
    assert blocks[0].removeprefix("contrib_") in meaning[("results", blocks[0])]


def test_a_column_without_an_entry_is_refused():
    with pytest.raises(KeyError, match="'mystery' has no codebook entry"):
        export.codebook({"results": pd.DataFrame({"code": [101], "mystery": [1.0]})})


def test_results_are_the_fits_of_every_set_in_order(small_benchmark):
    tables = export.result_tables(small_benchmark)
    res = tables["results"]
    assert list(dict.fromkeys(res["benefit_set"])) == list(small_benchmark.fits)
    assert res["benefit_set"].iloc[0] == small_benchmark.benefit_set.name
    assert res["synthetic"].all()
    assert list(res.columns[:3]) == ["code", "name", "synthetic"]
    assert "official" not in tables  # no published figures for a synthetic register


def test_writing_is_all_or_nothing(small_benchmark, tmp_path, monkeypatch):
    folder = export.write_results(small_benchmark, tmp_path)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert set(before) == {"results.csv", "results.parquet", "history.csv", "history.parquet", "codebook.csv"}

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(export, "write_parquet_atomic", fail)
    with pytest.raises(OSError, match="disk full"):
        export.write_results(small_benchmark, tmp_path)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # the old folder, untouched
    assert [p.name for p in tmp_path.iterdir()] == ["results"]  # no temporary folder left


def test_atomic_dir_replaces_the_folder_whole(tmp_path):
    target = tmp_path / "out"
    with atomic_dir(target) as tmp:
        (tmp / "a.txt").write_text("1")
    with atomic_dir(target) as tmp:
        (tmp / "b.txt").write_text("2")
    assert [p.name for p in target.iterdir()] == ["b.txt"]

    def interrupted() -> None:
        with atomic_dir(target) as tmp:
            (tmp / "c.txt").write_text("3")
            raise RuntimeError("stopped half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        interrupted()
    assert [p.name for p in target.iterdir()] == ["b.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
