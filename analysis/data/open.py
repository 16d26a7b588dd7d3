"""Opening the data a run names: ``public``, ``synthetic`` or a folder (:func:`open_source`)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from analysis.core.io import file_sha256
from analysis.core.params import DataRef, ParameterError
from analysis.data.public.source import public_monthly_source, public_source
from analysis.data.sources import Aggregates, PersonRegister, Provenance, Source

DEFAULT_PERSONS = 1_000_000
DEFAULT_SEED = 2024
DEFAULT_YEARS = (2022, 2023, 2024)


def ensure_default_register(
    folder: Path | None = None,
    *,
    n_persons: int = DEFAULT_PERSONS,
    seed: int = DEFAULT_SEED,
    years: tuple[int, ...] = DEFAULT_YEARS,
) -> tuple[Path, bool]:
    """Write the synthetic default register unless ``folder`` holds one made with these settings.

    Returns the folder and whether it was (re)built.
    """
    from analysis.core.paths import synthetic_default_dir
    from analysis.data.synth import write_register

    folder = synthetic_default_dir() if folder is None else Path(folder)
    params_file = folder / "params.json"
    if params_file.is_file() and (folder / "persons.parquet").is_file():
        try:
            saved = json.loads(params_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            saved = {}
        if (
            saved.get("n_persons") == n_persons
            and saved.get("seed") == seed
            and saved.get("tradeoff") is True
            and saved.get("years") == list(years)
        ):
            return folder, False
    write_register(folder, n_persons=n_persons, seed=seed, years=years)
    return folder, True


def open_source(ref: DataRef | str) -> Source:
    """The source a :class:`DataRef` names.

    ``synthetic`` is the default register (built on first use), ``public`` the embedded public
    data (Y30R21), ``public-monthly`` the monthly kontanthjælp figures (y60a02, to 2026), a folder a
    person register (``persons.parquet``) or aggregates (``aggregates.parquet``).

    Raises
    ------
    ParameterError
        A folder that is neither.
    """
    ref = DataRef.parse(ref)
    if ref.kind == "synthetic":
        folder, _ = ensure_default_register()
        return PersonRegister(folder, kind="synthetic")
    if ref.kind == "public":
        return public_source()
    if ref.kind == "public-monthly":
        return public_monthly_source()
    folder = ref.path
    assert folder is not None
    if (folder / "persons.parquet").is_file():
        return PersonRegister(folder)
    if (folder / "aggregates.parquet").is_file():
        from analysis.core.io import read_parquet_metadata

        frame = pd.read_parquet(folder / "aggregates.parquet")
        prov = Provenance(
            kind="folder",
            synthetic=bool(read_parquet_metadata(folder / "aggregates.parquet").get("synthetic", False)),
            inputs={
                str((folder / "aggregates.parquet").resolve()): file_sha256(folder / "aggregates.parquet")
            },
            description=str(folder),
        )
        return Aggregates(frame, provenance=prov)
    raise ParameterError(
        f"data: {folder} holds neither a person register (persons.parquet, municipalities.parquet) "
        "nor aggregates (aggregates.parquet)"
    )


__all__ = ["DEFAULT_PERSONS", "DEFAULT_SEED", "DEFAULT_YEARS", "ensure_default_register", "open_source"]
