"""The run manifest: keys, input hashes, git state, JSON round trip and the Bilag table."""

from __future__ import annotations

import hashlib
import json

import pytest

from analysis.report.manifest import (
    MANIFEST_KEYS,
    build_manifest,
    file_sha256,
    git_info,
    manifest_frame,
    manifest_table,
    read_manifest,
    write_manifest,
)


def test_build_manifest_keys_and_hashes(tmp_path):
    data = tmp_path / "persons.parquet"
    data.write_bytes(b"\x00kommunebench\xff" * 1000)
    m = build_manifest(
        parameters={"municipality": "Ærø", "year": 2019},
        inputs=[data],
        seed=7,
        synthetic=True,
        timings={"execute": 1.23456},
    )
    assert set(MANIFEST_KEYS) <= set(m)
    assert m["inputs"][str(data)] == hashlib.sha256(data.read_bytes()).hexdigest()  # independent hash
    assert m["parameters"] == {"municipality": "Ærø", "year": 2019}
    assert m["seed"] == 7
    assert m["synthetic"] is True
    assert m["timings"] == {"execute": 1.235}
    for pkg in ("numpy", "pandas", "linearmodels", "papermill", "nbconvert", "typst", "kommunebench"):
        assert m["versions"][pkg] != "not installed"
    assert set(m["git"]) == {"sha", "dirty"}
    json.dumps(m)  # JSON-serialisable


def test_missing_input_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="manifest input not found"):
        build_manifest(inputs=[tmp_path / "nope.csv"])


def test_extra_keys_cannot_clash():
    with pytest.raises(ValueError, match="clashes"):
        build_manifest(extra={"seed": 1})


def test_git_info_outside_a_repository(tmp_path):
    assert git_info(tmp_path) == {"sha": "unknown", "dirty": "unknown"}


def test_git_info_in_a_repository():
    info = git_info()
    # The package is run from a git checkout here: a 40-hex SHA and a boolean dirty flag.
    if info["sha"] != "unknown":
        assert len(info["sha"]) == 40
        assert isinstance(info["dirty"], bool)


def test_file_sha256_streams(tmp_path):
    p = tmp_path / "big.bin"
    p.write_bytes(bytes(range(256)) * 10_000)
    assert file_sha256(p, chunk=999) == hashlib.sha256(p.read_bytes()).hexdigest()


def test_write_and_read_round_trip(tmp_path):
    m = build_manifest(parameters={"x": 1})
    path = write_manifest(tmp_path / "run" / "manifest.json", m)
    assert read_manifest(path) == json.loads(json.dumps(m))
    assert [p.name for p in path.parent.iterdir()] == ["manifest.json"]  # no temp files left
    with pytest.raises(ValueError, match="lacks keys"):
        write_manifest(tmp_path / "bad.json", {"git": {}})


def test_manifest_table_for_bilag():
    m = build_manifest(parameters={"municipality": "Ærø"}, seed=3, synthetic=True, timings={"pdf": 0.5})
    df = manifest_frame(m)
    assert df.loc["Parameter: municipality", "Værdi"] == "Ærø"
    assert df.loc["Syntetiske data", "Værdi"] == "ja"
    assert df.loc["Tid: pdf", "Værdi"] == "0,50 s"
    assert "Kørselsoplysninger" in manifest_table(m).to_html()
