"""Project tasks. `nox -s report` runs the main job; `nox -s tests` the test suite.

Sessions
--------
tests   unit, reference and invariant tests plus the render tier (notebooks under papermill on
        small synthetic data); a few minutes on 2 cores.
lint    ruff.
report  builds the embedded default synthetic register and renders the national reports and
        the Nyborg case report into reports/<run-id>/.
bench   full-scale (3.7 M persons) timings against named baselines, ratios printed; the whole
        public-data fit; coverage of the planted truth and the trade-off correlation's bias.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_venv = "yes"
PYTHON = None  # the interpreter nox runs under (Python 3.11+ and pip are all we assume)


@nox.session(python=PYTHON, venv_backend="venv")
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=PYTHON, venv_backend="venv")
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", "analysis", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", "analysis", "tests", "noxfile.py")


@nox.session(python=PYTHON, venv_backend="venv")
def report(session: nox.Session) -> None:
    session.install("-e", ".")
    session.run("python", "-m", "analysis.cli", "run", *session.posargs)


@nox.session(python=PYTHON, venv_backend="venv")
def bench(session: nox.Session) -> None:
    session.install("-e", ".[bench]")
    session.run("python", "-m", "analysis.run.bench", *session.posargs)
