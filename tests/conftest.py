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
    from analysis.data.synth import generate

    reg = generate(n_persons=SMALL_N, seed=SMALL_SEED)
    return reg.persons, reg.municipalities, reg.truth


@pytest.fixture(scope="session")
def small_register_dir(tmp_path_factory):
    """Folder with the same register written by :func:`analysis.data.synth.write_register`."""
    from analysis.data.synth import write_register

    return write_register(tmp_path_factory.mktemp("register"), n_persons=SMALL_N, seed=SMALL_SEED)


# --------------------------------------------------------------------------- report building blocks
# One small Benchmark (analysis.run.benchmark.build) shared by tests/test_context.py, tests/test_views.py and
# tests/test_narrative.py: 60,000 synthetic persons (seed 3), 200 bootstrap replicates, other
# parameters at their defaults. Building it takes several seconds, so it is built once per session.
BENCHMARK_N = 60_000
BENCHMARK_SEED = 3
BENCHMARK_BOOTSTRAP = 200


@pytest.fixture(scope="session")
def small_benchmark_register(tmp_path_factory):
    """Folder with the 60,000-person synthetic register (seed 3) behind ``small_benchmark``."""
    from analysis.data.synth import write_register

    return write_register(
        tmp_path_factory.mktemp("benchmark_register"), n_persons=BENCHMARK_N, seed=BENCHMARK_SEED
    )


@pytest.fixture(scope="session")
def small_benchmark(small_benchmark_register):
    """``analysis.run.benchmark.build(small_benchmark_register, bootstrap=200)``; treat it as read-only
    (make variants with :func:`dataclasses.replace`)."""
    from analysis.run.benchmark import build

    return build(small_benchmark_register, bootstrap=BENCHMARK_BOOTSTRAP)
