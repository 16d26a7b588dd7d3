"""Shared fixtures: a small Syntetisk Danmark register (synthetic data), in memory and on disk.

Both are session-scoped and built from ``generate(n_persons=20_000, seed=1)``; treat them as
read-only (copy before modifying).
"""

from __future__ import annotations

import pytest

SMALL_N = 20_000
SMALL_SEED = 1


@pytest.fixture(scope="session")
def small_register():
    """``(persons, municipalities, truth)`` of a 20,000-person synthetic register (seed 1)."""
    from analysis.synth import generate

    reg = generate(n_persons=SMALL_N, seed=SMALL_SEED)
    return reg.persons, reg.municipalities, reg.truth


@pytest.fixture(scope="session")
def small_register_dir(tmp_path_factory):
    """Folder with the same register written by :func:`analysis.synth.write_register`."""
    from analysis.synth import write_register

    return write_register(tmp_path_factory.mktemp("register"), n_persons=SMALL_N, seed=SMALL_SEED)
