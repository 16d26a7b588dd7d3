"""The run manifest: what produced a report, so that it can be reproduced.

Every report carries a manifest — as ``manifest.json`` beside the HTML and PDF, and as a
table in the Bilag — with the git commit and whether the working tree had uncommitted
changes, the versions of the packages that matter, the sha256 of each input file, the
parameters, the seed, the timings and whether the data are synthetic.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import re
import subprocess
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path, PureWindowsPath
from typing import Any

import pandas as pd

from analysis.core.io import file_sha256, write_json_atomic
from analysis.core.paths import PACKAGE_DIR

__all__ = [
    "MANIFEST_KEYS",
    "PARAMETER_LABELS",
    "PACKAGES",
    "build_manifest",
    "display_path",
    "file_sha256",
    "git_info",
    "manifest_frame",
    "manifest_sections",
    "manifest_table",
    "package_versions",
    "read_manifest",
    "write_manifest",
]

PACKAGES = (
    "kommunebench",
    "numpy",
    "pandas",
    "scipy",
    "linearmodels",
    "statsmodels",
    "matplotlib",
    "papermill",
    "nbconvert",
    "typst",
)
MANIFEST_KEYS = (
    "created",
    "git",
    "python",
    "platform",
    "versions",
    "inputs",
    "parameters",
    "seed",
    "synthetic",
    "timings",
)


def git_info(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """``{"sha": ..., "dirty": bool}`` of the repository holding ``path`` (the package by default).

    Returns ``{"sha": "unknown", "dirty": "unknown"}`` when git or the repository is missing.
    """
    where = Path(path) if path is not None else PACKAGE_DIR
    cwd = where if where.is_dir() else where.parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return {"sha": "unknown", "dirty": "unknown"}
    return {"sha": sha or "unknown", "dirty": bool(status.strip())}


def package_versions(packages: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Installed version of each distribution ("not installed" if absent)."""
    out = {}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _jsonable(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=str))


def build_manifest(
    *,
    parameters: Mapping[str, Any] | None = None,
    inputs: Iterable[str | os.PathLike[str]] = (),
    seed: int | None = None,
    synthetic: bool | None = None,
    timings: Mapping[str, float] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the run manifest.

    Parameters
    ----------
    parameters
        The report parameters (as injected).
    inputs
        Data files read; each is hashed (sha256). A missing file is an error, not skipped.
    seed
        The random seed (synthetic register, bootstrap), if any.
    synthetic
        Whether the data are synthetic.
    timings
        Step → seconds.
    extra
        Further JSON-serialisable entries (must not reuse the standard keys).

    Returns
    -------
    dict
        Keys :data:`MANIFEST_KEYS` (plus ``extra``), JSON-serialisable.
    """
    hashed = {}
    for p in inputs:
        path = Path(p)
        if not path.is_file():
            raise FileNotFoundError(f"manifest input not found: {path}")
        hashed[str(path)] = file_sha256(path)
    manifest: dict[str, Any] = {
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "git": git_info(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "versions": package_versions(),
        "inputs": hashed,
        "parameters": _jsonable(dict(parameters or {})),
        "seed": seed,
        "synthetic": synthetic,
        "timings": {k: round(float(v), 3) for k, v in (timings or {}).items()},
    }
    for k, v in (extra or {}).items():
        if k in manifest:
            raise ValueError(f"build_manifest: extra key {k!r} clashes with a standard manifest key")
        manifest[k] = _jsonable(v)
    return manifest


def write_manifest(path: str | os.PathLike[str], manifest: Mapping[str, Any]) -> Path:
    """Write the manifest as JSON (UTF-8, indented, keys in insertion order), atomically."""
    missing = [k for k in MANIFEST_KEYS if k not in manifest]
    if missing:
        raise ValueError(f"write_manifest: manifest lacks keys {missing}")
    return write_json_atomic(dict(manifest), path)


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


# Danish labels of the report parameters in the Bilag (the notebook's name in brackets).
PARAMETER_LABELS: dict[str, str] = {
    "municipality": "Kommune",
    "cases": "Fremhævede kommuner",
    "n_peers": "Antal sammenligningskommuner",
    "data": "Datakilde",
    "period": "Periode",
    "year": "År",
    "benefits": "Ydelsesgrupper",
    "spec": "Modelspecifikation",
    "draws": "Antal simulerede træk",
    "seed": "Startværdi for tilfældige tal",
    "publisher": "Udgiver",
    "cache": "Gemt benchmark",
    "side_a": "Ydelser på den ene side",
    "side_b": "Ydelser på den anden side",
    "synthetic": "Syntetiske data",
}
TIMING_LABELS: dict[str, str] = {
    "validate": "Kontrol af parametre",
    "load": "Indlæsning af data",
    "fit": "Estimation af modellen",
    "history": "Placering over tid",
    "yardsticks": "Andre målestokke",
    "execute": "Kørsel af notesbogen",
    "html": "HTML-rapport",
    "pdf": "PDF-rapport",
    "total": "I alt",
}
DATA_LABELS: dict[str, str] = {
    "public": "Offentlige data (indbygget i pakken)",
    "synthetic": "Syntetisk Danmark (syntetisk register)",
}
_ABSOLUTE = re.compile(r"^(?:/|~|[A-Za-z]:[\\/]|\\\\)")


def display_path(path: str | os.PathLike[str]) -> str:
    """A file or folder as the Bilag shows it: relative to the project when inside it, else its name.

    The rendered report never shows where it was made (``/home/…``, ``/tmp/…``): the full
    path is kept in ``manifest.json`` only.

    Examples
    --------
    >>> display_path("/somewhere/else/register/persons.parquet")
    'persons.parquet'
    >>> display_path("data/raw/statbank/AUP02.csv")
    'data/raw/statbank/AUP02.csv'
    """
    from analysis.core.paths import project_root

    text = str(path)
    if not _ABSOLUTE.match(text):
        return Path(text).as_posix()
    if re.match(r"^(?:[A-Za-z]:[\\/]|\\\\)", text):  # a Windows path, seen from elsewhere
        return PureWindowsPath(text).name or text
    p = Path(text).expanduser()
    try:
        return p.resolve().relative_to(project_root().resolve()).as_posix()
    except (ValueError, OSError):
        return p.name or text


def _value(v: Any) -> str:
    """A parameter value for the Bilag: paths shortened, an empty value shown as not given."""
    if v is None or v == "":
        return "– (ikke angivet)"
    if isinstance(v, bool):
        return "ja" if v else "nej"
    if isinstance(v, str):
        parts = [display_path(x.strip()) if _ABSOLUTE.match(x.strip()) else x for x in v.split(",")]
        return ",".join(parts)
    return json.dumps(v, ensure_ascii=False)


def _created(value: Any) -> str:
    """``2026-11-30T09:25:46+00:00`` as "30. november 2026 kl. 09.25 (UTC)"."""
    from analysis.report.fmt import date_da

    try:
        t = _dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value or "–")
    return f"{date_da(t.date())} kl. {t:%H.%M} (UTC)"


def _data_source(manifest: Mapping[str, Any]) -> str | None:
    source = manifest.get("data_source")
    if source:
        return str(source)
    data = manifest.get("parameters", {}).get("data")
    if data is None:
        return None
    if data in DATA_LABELS:
        return DATA_LABELS[data]
    if data == "":
        return "Standarddata (offentlige data)"
    return f"Register i mappen {display_path(data)}"


def manifest_sections(manifest: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The manifest for the Bilag: sections of (Oplysning, Værdi), all in Danish.

    Sections: "Kørsel" (code version, time, Python, synthetic data, seed), "Parametre" (every
    parameter, named in Danish with the notebook's name in brackets), "Inddata" (the data
    source and each input file — relative to the project, or just its name — with the start of
    its sha256), "Programversioner" and "Tidsforbrug". No absolute path of the machine that
    made the report is shown; ``manifest.json`` keeps the full detail.
    """

    def frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
        return pd.DataFrame(rows, columns=["Oplysning", "Værdi"]).set_index("Oplysning")

    git = manifest.get("git", {})
    dirty = git.get("dirty")
    params = dict(manifest.get("parameters", {}))
    run: list[tuple[str, str]] = [
        ("Kodeversion (git-commit)", str(git.get("sha", "unknown")).replace("unknown", "ukendt")),
        (
            "Ikke-gemte ændringer i koden",
            "ukendt" if dirty in (None, "unknown") else ("ja" if dirty else "nej"),
        ),
        ("Kørt", _created(manifest.get("created"))),
        ("Python-version", str(manifest.get("python", ""))),
    ]
    syn = manifest.get("synthetic")
    run.append(("Syntetiske data", "ukendt" if syn is None else ("ja" if syn else "nej")))
    if "seed" not in params:
        seed = manifest.get("seed")
        run.append(("Startværdi for tilfældige tal (seed)", "–" if seed is None else str(seed)))
    sections = {"Kørsel": frame(run)}
    if params:
        rows = []
        for k, v in params.items():
            label = PARAMETER_LABELS.get(k)
            rows.append((f"{label} ({k})" if label else k, _value(v)))
        sections["Parametre"] = frame(rows)
    inputs: list[tuple[str, str]] = []
    source = _data_source(manifest)
    if source:
        inputs.append(("Datakilde", source))
    for k, v in manifest.get("inputs", {}).items():
        digest = str(v).removeprefix("sha256:")
        inputs.append((display_path(k), f"sha256 {digest[:16]}…"))
    if inputs:
        sections["Inddata"] = frame(inputs)
    versions = [
        (str(k), str(v).replace("not installed", "ikke installeret"))
        for k, v in manifest.get("versions", {}).items()
    ]
    if versions:
        sections["Programversioner"] = frame(versions)
    timings = [
        (TIMING_LABELS.get(k, k), f"{v:.2f} s".replace(".", ","))
        for k, v in manifest.get("timings", {}).items()
    ]
    if timings:
        sections["Tidsforbrug"] = frame(timings)
    return sections


def manifest_frame(manifest: Mapping[str, Any]) -> pd.DataFrame:
    """The manifest as one two-column frame (Oplysning, Værdi), sections one after another."""
    return pd.concat(list(manifest_sections(manifest).values()))


def manifest_table(manifest: Mapping[str, Any], *, caption: str = "Kørselsoplysninger") -> Any:
    """The manifest as a :class:`~analysis.report.fmt.ReportTable` for the Bilag, in sections."""
    from analysis.report.fmt import ReportTable

    return ReportTable.from_sections(
        manifest_sections(manifest),
        caption=caption,
        note=(
            "Inddatafilerne er identificeret ved begyndelsen af deres sha256-kontrolsum. "
            "Den fulde kontrolsum og filernes placering står i manifest.json ved siden af rapporten."
        ),
    )
