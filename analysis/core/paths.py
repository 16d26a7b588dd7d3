"""All file-system locations the package uses, in one place.

The project root is found from the package location when running from a source checkout, and
can be overridden with the ``KOMMUNEBENCH_ROOT`` environment variable (used by tests to keep
outputs in a temporary directory).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
REGISTRY_DIR = PACKAGE_DIR / "registry"
TEMPLATES_DIR = PACKAGE_DIR / "templates"


def project_root() -> Path:
    """Return the project root (the folder holding ``data/``, ``notebooks/``, ``reports/``)."""
    env = os.environ.get("KOMMUNEBENCH_ROOT")
    if env:
        return Path(env).resolve()
    candidate = PACKAGE_DIR.parent
    if (candidate / "pyproject.toml").exists():
        return candidate
    return Path.cwd()


def data_dir() -> Path:
    return project_root() / "data"


def raw_dir() -> Path:
    """Immutable raw inputs with provenance (``data/raw``)."""
    return data_dir() / "raw"


def statbank_cache_dir() -> Path:
    return raw_dir() / "statbank"


def processed_dir() -> Path:
    """Outputs rebuilt by a command (``data/processed``); never edited by hand."""
    return data_dir() / "processed"


def synthetic_default_dir() -> Path:
    """Where ``nox -s report`` builds the embedded default synthetic register."""
    return processed_dir() / "synthetic"


def notebooks_dir() -> Path:
    return project_root() / "notebooks"


def reports_dir() -> Path:
    return project_root() / "reports"
