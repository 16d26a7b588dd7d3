import os
import stat

import pandas as pd
import pytest

from analysis.core.io import atomic_path, read_parquet_metadata, write_parquet_atomic, write_text_atomic


def _write_then_fail(target, text):
    with atomic_path(target) as tmp:
        tmp.write_text(text)
        raise RuntimeError("boom")


def test_atomic_path_leaves_nothing_on_error(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        _write_then_fail(target, "half")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_keeps_old_file_on_error(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        _write_then_fail(target, "new")
    assert target.read_text() == "old"


def test_parquet_is_deterministic_and_keeps_metadata(tmp_path):
    df = pd.DataFrame({"code": [101, 450], "x": [0.5, 1.25]})
    a = write_parquet_atomic(df, tmp_path / "a.parquet", metadata={"synthetic": True})
    b = write_parquet_atomic(df, tmp_path / "b.parquet", metadata={"synthetic": True})
    assert a.read_bytes() == b.read_bytes()
    assert read_parquet_metadata(a) == {"synthetic": True}
    pd.testing.assert_frame_equal(pd.read_parquet(a), df)


def test_written_files_have_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        target = tmp_path / "out.txt"
        write_text_atomic("x", target)
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
