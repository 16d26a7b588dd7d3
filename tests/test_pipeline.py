"""The default synthetic register is rebuilt only when its settings change (analysis.data.sources)."""

from __future__ import annotations

import json

from analysis.data.open import DEFAULT_YEARS, ensure_default_register


def test_default_register_is_built_once_and_reused(tmp_path):
    folder = tmp_path / "synthetic"
    _, built = ensure_default_register(folder, n_persons=3_000, seed=1)
    assert built
    params = json.loads((folder / "params.json").read_text(encoding="utf-8"))
    assert params["years"] == list(DEFAULT_YEARS)
    assert params["synthetic"] is True
    stamp = (folder / "persons.parquet").stat().st_mtime_ns
    _, built = ensure_default_register(folder, n_persons=3_000, seed=1)
    assert not built
    assert (folder / "persons.parquet").stat().st_mtime_ns == stamp


def test_default_register_is_rebuilt_when_a_setting_changes(tmp_path):
    folder = tmp_path / "synthetic"
    ensure_default_register(folder, n_persons=3_000, seed=1)
    for kwargs in ({"seed": 2}, {"n_persons": 3_500}, {"years": (2024,)}):
        args = {"n_persons": 3_000, "seed": 1, **kwargs}
        _, built = ensure_default_register(folder, **args)
        assert built, kwargs
        params = json.loads((folder / "params.json").read_text(encoding="utf-8"))
        assert params["seed"] == args["seed"]
        assert params["n_persons"] == args["n_persons"]
        assert params["years"] == list(args.get("years", DEFAULT_YEARS))
        ensure_default_register(folder, n_persons=3_000, seed=1)  # back to the default


def test_unreadable_params_file_means_rebuild(tmp_path):
    folder = tmp_path / "synthetic"
    ensure_default_register(folder, n_persons=3_000, seed=1)
    (folder / "params.json").write_text("{not json", encoding="utf-8")
    _, built = ensure_default_register(folder, n_persons=3_000, seed=1)
    assert built
    assert json.loads((folder / "params.json").read_text(encoding="utf-8"))["seed"] == 1
