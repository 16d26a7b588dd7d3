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
# One small Benchmark (analysis.run.benchmark.build) shared by tests/test_benchmark.py, tests/test_views.py and
# tests/test_narrative.py: 60,000 synthetic persons (seed 3), 200 draws, other
# parameters at their defaults. Building it takes several seconds, so it is built once per session.
BENCHMARK_N = 60_000
BENCHMARK_SEED = 3
BENCHMARK_DRAWS = 200


@pytest.fixture(scope="session")
def small_benchmark_register(tmp_path_factory):
    """Folder with the 60,000-person synthetic register (seed 3) behind ``small_benchmark``."""
    from analysis.data.synth import write_register

    return write_register(
        tmp_path_factory.mktemp("benchmark_register"), n_persons=BENCHMARK_N, seed=BENCHMARK_SEED
    )


@pytest.fixture(scope="session")
def small_benchmark(small_benchmark_register):
    """``build(PersonRegister(small_benchmark_register), draws=200)``; treat it as read-only
    (make variants with :func:`dataclasses.replace`)."""
    from analysis.core.params import parse_run
    from analysis.data.sources import PersonRegister
    from analysis.run.benchmark import build

    params = parse_run({"data": str(small_benchmark_register), "draws": BENCHMARK_DRAWS})
    return build(PersonRegister(small_benchmark_register), params)


def make_report(bm, kind="national", **values):
    """A :class:`~analysis.report.notebook.Report` on ``bm`` with parsed ``values`` (no notebook)."""
    from analysis.core.params import parse_report
    from analysis.report.notebook import Report

    params = parse_report({**bm.params.run_key(), **values})
    if kind == "case" and params.municipality is None:
        params = parse_report({**params.notebook_values(list(params.model_fields)), "municipality": "Nyborg"})
    return Report(kind=kind, params=params, bm=bm, declared=tuple(values))


@pytest.fixture(scope="session")
def national_report(small_benchmark):
    return make_report(small_benchmark, "national")


@pytest.fixture(scope="session")
def case_report(small_benchmark):
    return make_report(small_benchmark, "case", municipality="Nyborg")
