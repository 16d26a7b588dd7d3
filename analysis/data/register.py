"""Reading a person register (synthetic or real, one format) and its municipality table.

A register folder holds ``persons.parquet`` and ``municipalities.parquet`` (schemas in
``docs/architecture.md``); a synthetic one also ``truth.parquet`` and ``params.json``.
:func:`load_register` reads and validates it; :class:`Register` carries the tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.core.io import read_parquet_metadata
from analysis.core.validate import (
    CATEGORIES,
    InputError,
    validate_municipalities,
    validate_persons,
    validate_register,
    validate_truth,
)


@dataclass(frozen=True)
class Register:
    """A person register with its municipality table (real or synthetic).

    Attributes
    ----------
    persons, municipalities : DataFrame
        Tables following ``docs/architecture.md``; ``attrs["synthetic"]`` tells whether the
        data are synthetic.
    truth : DataFrame or None
        Planted municipality effects (``code``, ``benefit``, ``effect``); None for real data.
    params : dict
        Generator parameters (empty for real data).
    synthetic : bool
        True for Syntetisk Danmark.
    """

    persons: pd.DataFrame
    municipalities: pd.DataFrame
    truth: pd.DataFrame | None
    params: dict[str, Any] = field(default_factory=dict)
    synthetic: bool = False

    def __iter__(self):  # allows ``persons, municipalities, truth = reg``
        return iter((self.persons, self.municipalities, self.truth))


@dataclass(frozen=True)
class SyntheticRegister(Register):
    """A Syntetisk Danmark register: :class:`Register` with planted ``truth`` and ``params``."""

    synthetic: bool = True


def _read(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    try:
        df = pd.read_parquet(path)
        meta = read_parquet_metadata(path)
    except Exception as exc:  # pyarrow raises several types for corrupt files
        raise InputError(f"{path}: cannot read as Parquet ({type(exc).__name__}: {exc})") from exc
    return df, meta


def _restore_categories(persons: pd.DataFrame, source: str) -> pd.DataFrame:
    """Give the covariate columns the contract's categorical dtype, failing on unknown values."""
    out = persons
    for col, levels in CATEGORIES.items():
        if col not in persons.columns:
            continue  # reported by validate_persons
        s = persons[col]
        if isinstance(s.dtype, pd.CategoricalDtype) and [str(c) for c in s.cat.categories] == list(levels):
            continue
        values = s.astype("object")
        unknown = sorted({str(v) for v in pd.unique(values) if not pd.isna(v)} - set(levels))
        if unknown:
            rows = np.flatnonzero(~values.isin(levels).to_numpy() & values.notna().to_numpy())[:5].tolist()
            raise InputError(
                f"{source}: column {col!r}: unknown value(s) {unknown[:5]} (first rows {rows}); expected one of {list(levels)}"
            )
        if out is persons:
            out = persons.copy()
        out[col] = pd.Categorical(values, categories=pd.Index(levels, dtype="str"))
    return out


def load_register(data_dir: str | Path) -> Register:
    """Read and validate a register folder (synthetic or real, same format).

    Parameters
    ----------
    data_dir : path
        Folder with ``persons.parquet`` and ``municipalities.parquet``; a synthetic register also
        has ``truth.parquet`` and ``params.json``.

    Returns
    -------
    Register
        A :class:`SyntheticRegister` when the files say the data are synthetic, else a
        :class:`Register` with ``truth`` None (or the truth file when present), ``params`` {}
        and ``synthetic`` False. ``attrs["synthetic"]`` is set on every frame.

    Raises
    ------
    InputError
        Naming the missing or unreadable file, or listing the schema problems of a table.
    """
    folder = Path(data_dir)
    if not folder.is_dir():
        raise InputError(
            f"{folder}: register folder not found; expected a folder with persons.parquet and municipalities.parquet"
        )
    for name in ("persons.parquet", "municipalities.parquet"):
        if not (folder / name).is_file():
            raise InputError(
                f"{folder / name}: missing file; a register folder needs persons.parquet and municipalities.parquet"
            )
    persons, meta_p = _read(folder / "persons.parquet")
    municipalities, meta_m = _read(folder / "municipalities.parquet")
    params: dict[str, Any] = {}
    pj = folder / "params.json"
    if pj.is_file():
        try:
            params = json.loads(pj.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(f"{pj}: not valid JSON ({exc})") from exc
        if not isinstance(params, dict):
            raise InputError(f"{pj}: expected a JSON object, got {type(params).__name__}")
    synthetic = bool(params.get("synthetic") or meta_p.get("synthetic") or meta_m.get("synthetic"))
    if synthetic and not params:
        params = dict(meta_p.get("params") or meta_m.get("params") or {"synthetic": True})
    truth = None
    tp = folder / "truth.parquet"
    if tp.is_file():
        truth, _ = _read(tp)
        validate_truth(truth, source=str(tp))
    elif synthetic:
        raise InputError(f"{tp}: missing file; a synthetic register folder needs truth.parquet")
    persons = _restore_categories(persons, str(folder / "persons.parquet"))
    validate_persons(persons, source=str(folder / "persons.parquet"))
    validate_municipalities(municipalities, source=str(folder / "municipalities.parquet"))
    validate_register(persons, municipalities, source=str(folder))
    for df in (persons, municipalities, truth):
        if df is not None:
            df.attrs["synthetic"] = synthetic
    cls = SyntheticRegister if synthetic else Register
    return cls(
        persons=persons,
        municipalities=municipalities,
        truth=truth,
        params=params if synthetic else {},
        synthetic=synthetic,
    )
