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
import subprocess
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.core.io import file_sha256, write_json_atomic
from analysis.core.paths import PACKAGE_DIR

__all__ = [
    "MANIFEST_KEYS",
    "PACKAGES",
    "build_manifest",
    "file_sha256",
    "git_info",
    "manifest_frame",
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


def manifest_frame(manifest: Mapping[str, Any]) -> pd.DataFrame:
    """The manifest as a two-column frame (Oplysning, Værdi) for the Bilag."""
    rows: list[tuple[str, str]] = []
    git = manifest.get("git", {})
    dirty = git.get("dirty")
    dirty_text = "ukendt" if dirty == "unknown" else ("ja" if dirty else "nej")
    rows.append(("Git-version (SHA)", str(git.get("sha", "unknown"))))
    rows.append(("Ikke-committede ændringer", dirty_text))
    rows.append(("Oprettet (UTC)", str(manifest.get("created", ""))))
    rows.append(("Python", str(manifest.get("python", ""))))
    syn = manifest.get("synthetic")
    rows.append(("Syntetiske data", "ukendt" if syn is None else ("ja" if syn else "nej")))
    rows.append(("Seed", "–" if manifest.get("seed") is None else str(manifest["seed"])))
    for k, v in manifest.get("parameters", {}).items():
        rows.append((f"Parameter: {k}", json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v))
    for k, v in manifest.get("versions", {}).items():
        rows.append((f"Version: {k}", str(v)))
    for k, v in manifest.get("inputs", {}).items():
        rows.append((f"Input: {Path(k).name}", f"sha256 {v[:16]}…"))
    for k, v in manifest.get("timings", {}).items():
        rows.append((f"Tid: {k}", f"{v:.2f} s".replace(".", ",")))
    return pd.DataFrame(rows, columns=["Oplysning", "Værdi"]).set_index("Oplysning")


def manifest_table(manifest: Mapping[str, Any], *, caption: str = "Kørselsoplysninger (run manifest)") -> Any:
    """The manifest as a :class:`~analysis.report.fmt.ReportTable` for the Bilag."""
    from analysis.report.fmt import ReportTable

    return ReportTable(
        manifest_frame(manifest),
        caption=caption,
        note="Input-filer er identificeret ved deres sha256-kontrolsum. Den fulde liste står i manifest.json.",
    )
