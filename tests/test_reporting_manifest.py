"""The run manifest: keys, input hashes, git state, JSON round trip and the Bilag table."""

from __future__ import annotations

import hashlib
import json

import pytest

from analysis.report.manifest import (
    MANIFEST_KEYS,
    build_manifest,
    display_path,
    file_sha256,
    git_info,
    manifest_frame,
    manifest_sections,
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


ENGLISH = ("run manifest", "Seed", "Input:", "Version:", "Parameter:", "Tid:", "committed", "not installed")


def test_manifest_table_for_bilag():
    m = build_manifest(parameters={"municipality": "Ærø"}, seed=3, synthetic=True, timings={"pdf": 0.5})
    df = manifest_frame(m)
    assert df.loc["Kommune (municipality)", "Værdi"] == "Ærø"
    assert df.loc["Syntetiske data", "Værdi"] == "ja"
    assert df.loc["Startværdi for tilfældige tal (seed)", "Værdi"] == "3"
    assert df.loc["PDF-rapport", "Værdi"] == "0,50 s"
    html = manifest_table(m).to_html()
    assert "Kørselsoplysninger" in html
    assert "run manifest" not in html


def test_manifest_is_in_danish_in_sections(tmp_path):
    data = tmp_path / "persons.parquet"
    data.write_bytes(b"x")
    m = build_manifest(
        parameters={"data": "synthetic", "seed": 7, "side_a": ""},
        inputs=[data],
        seed=7,
        synthetic=True,
        timings={"load": 0.1, "fit": 1.0},
    )
    sections = manifest_sections(m)
    assert list(sections) == ["Kørsel", "Parametre", "Inddata", "Programversioner", "Tidsforbrug"]
    assert "Startværdi for tilfældige tal (seed)" in sections["Parametre"].index
    # the seed is a parameter here, so the run section does not repeat it
    assert "Startværdi for tilfældige tal (seed)" not in sections["Kørsel"].index
    assert sections["Parametre"].loc["Ydelser på den ene side (side_a)", "Værdi"] == "– (ikke angivet)"
    assert sections["Inddata"].loc["Datakilde", "Værdi"].startswith("Syntetisk Danmark")
    assert list(sections["Tidsforbrug"].index) == ["Indlæsning af data", "Estimation af modellen"]
    table = manifest_table(m)
    assert table.groups == {
        0: "Kørsel",
        5: "Parametre",
        8: "Inddata",
        10: "Programversioner",
        20: "Tidsforbrug",
    }
    text = table.to_html() + table.to_typst()
    for word in ENGLISH:
        assert word not in text, word


def test_bilag_shows_no_machine_paths(tmp_path, monkeypatch):
    """Absolute paths become project-relative, or just a name; manifest.json keeps them whole."""
    monkeypatch.setenv("KOMMUNEBENCH_ROOT", str(tmp_path / "project"))
    inside = tmp_path / "project" / "data" / "raw" / "a.csv"
    inside.parent.mkdir(parents=True)
    inside.write_bytes(b"a")
    outside = tmp_path / "elsewhere" / "register" / "persons.parquet"
    outside.parent.mkdir(parents=True)
    outside.write_bytes(b"b")
    m = build_manifest(
        parameters={"data": str(outside.parent), "cache": str(tmp_path / "run" / ".cache"), "n": 3},
        inputs=[inside, outside],
    )
    assert str(outside) in m["inputs"]  # the JSON keeps the full path
    df = manifest_frame(m)
    assert df.loc["Datakilde (data)", "Værdi"] == "register"
    assert df.loc["Gemt benchmark (cache)", "Værdi"] == ".cache"
    assert df.loc["Datakilde", "Værdi"] == "Register i mappen register"
    assert "data/raw/a.csv" in df.index
    assert "persons.parquet" in df.index
    text = manifest_table(m).to_html() + manifest_table(m).to_typst()
    assert str(tmp_path) not in text
    assert df.loc["n", "Værdi"] == "3"  # a parameter without a Danish name keeps its own


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/home/someone/register/persons.parquet", "persons.parquet"),
        ("/tmp/run/.cache", ".cache"),
        ("C:\\Users\\x\\data.csv", "data.csv"),
        ("data/raw/a.csv", "data/raw/a.csv"),
        ("y30r21_actual.csv", "y30r21_actual.csv"),
    ],
)
def test_display_path(path, shown):
    assert display_path(path) == shown


def test_display_path_inside_the_project(tmp_path, monkeypatch):
    monkeypatch.setenv("KOMMUNEBENCH_ROOT", str(tmp_path))
    assert display_path(tmp_path / "data" / "x.csv") == "data/x.csv"


def test_created_time_in_danish():
    m = build_manifest()
    m["created"] = "2026-11-30T09:25:46+00:00"
    assert manifest_frame(m).loc["Kørt", "Værdi"] == "30. november 2026 kl. 09.25 (UTC)"
