"""Bad input through the real command line: one line, exit 2, no traceback, nothing written.

Every case of the table :data:`CASES` runs ``python -m analysis.cli …`` in a subprocess, as a
user would (two at a time), and checks the exit status, that stderr is the one line
``kommunebench CMD: error: <message>`` with the expected message, that there is no traceback,
and that no file was written or left behind.

One small synthetic register (20,000 persons, 2024, made with ``kommunebench synth``) is shared
by all cases; variants of it — a constant covariate, two identical covariates, a covariate
absorbed by the municipality effects, a benefit group without recipients — are written from it.
``KOMMUNEBENCH_ROOT`` points at a temporary project root (the notebooks and raw public data
linked in), whose default synthetic register is that small register under the default
register's settings, so ``--data synthetic`` is wired as in a fresh clone without building
the million-person register.

Ctrl-C is tested on a real 5-report batch (:func:`interrupted`): SIGINT to the process group, as
a terminal sends it, as soon as the first report folder appears. The batch must stop at once
(exit 130, one line) and leave no unfinished report, temporary file or kernel; ``--resume``
must complete it (in the render tier: it renders the five reports). The same run is the
existing run of the cases about run folders.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parent.parent
BATCH = ["Nyborg", "Ta\u030arnby", "Aarhus", "Horsens", "Lolland"]  # Tårnby with a decomposed å
BATCH_FOLDERS = ["185-taarnby", "360-lolland", "450-nyborg", "615-horsens", "751-aarhus"]
REQUIRED = ("report.html", "report.pdf", "manifest.json", "notebook.ipynb")


# --------------------------------------------------------------------------- running the CLI
def _env(paths: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KOMMUNEBENCH_DEBUG", "PYTHONPATH")}
    env.update(
        PYTHONPATH=str(REPO),
        KOMMUNEBENCH_ROOT=paths["root"],
        TMPDIR=paths["tmp"],  # kernels' socket files land here: checked empty afterwards
        JUPYTER_RUNTIME_DIR=paths["runtime"],  # and their connection files here
    )
    return env


def cli(args: list[str], paths: dict[str, str], *, cwd: Path, timeout: float = 300):
    return subprocess.run(
        [sys.executable, "-m", "analysis.cli", *args],
        cwd=cwd,
        env=_env(paths),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def snapshot(base: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``base`` (size, mtime) and every folder."""
    out = {}
    for p in sorted(base.rglob("*")):
        rel = str(p.relative_to(base))
        out[rel] = (p.stat().st_size, p.stat().st_mtime_ns) if p.is_file() else (-1, 0)
    return out


def kernels_of(runtime: str) -> list[str]:
    """Command lines of live processes started with a connection file in ``runtime``."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if runtime in cmd:
            found.append(cmd)
    return found


# --------------------------------------------------------------------------- shared data
def _variant(src: Path, dst: Path, *, persons=None, municipalities=None) -> None:
    shutil.copytree(src, dst)
    if persons is not None:
        frame = persons(pd.read_parquet(dst / "persons.parquet"))
        frame.to_parquet(dst / "persons.parquet", index=False)
    if municipalities is not None:
        frame = municipalities(pd.read_parquet(dst / "municipalities.parquet"))
        frame.to_parquet(dst / "municipalities.parquet", index=False)


def _constant(m: pd.DataFrame) -> pd.DataFrame:
    return m.assign(urbanisation=0.5)


def _identical(m: pd.DataFrame) -> pd.DataFrame:
    return m.assign(jobs_per_resident=m["unemployment_rate"])


def _absorbed(p: pd.DataFrame) -> pd.DataFrame:
    """Education set by the municipality: no variation within any municipality."""
    levels = p["education"].cat.categories
    edu = np.where(p["code"] % 2 == 0, "videregaaende", "grundskole")
    return p.assign(education=pd.Categorical(edu, categories=levels))


def _no_recipients(p: pd.DataFrame) -> pd.DataFrame:
    """Nobody on ressourceforløb (their months moved to dagpenge, so every total is kept)."""
    return p.assign(dagpenge=p["dagpenge"] + p["ressourceforloeb"], ressourceforloeb=0.0)


@pytest.fixture(scope="module")
def paths(tmp_path_factory) -> dict[str, str]:
    from analysis.data.open import DEFAULT_PERSONS, DEFAULT_SEED, DEFAULT_YEARS

    base = tmp_path_factory.mktemp("cli").resolve()
    p = {
        k: str(base / k)
        for k in ("root", "reg", "runs", "tmp", "runtime", "work", "afile", "readonly", "cwd")
    }
    p["base"] = str(base)
    for k in ("root", "tmp", "runtime", "work", "cwd"):
        Path(p[k]).mkdir()
    Path(p["afile"]).write_text("not a folder\n")
    Path(p["readonly"]).mkdir(mode=0o555)
    root = Path(p["root"])
    (root / "notebooks").symlink_to(REPO / "notebooks")
    (root / "data" / "processed").mkdir(parents=True)
    (root / "data" / "raw").symlink_to(REPO / "data" / "raw")
    r = cli(["synth", "--persons", "20000", "--years", "2024", "--out", p["reg"]], p, cwd=Path(p["cwd"]))
    assert r.returncode == 0, r.stderr
    reg = Path(p["reg"])
    for name, kwargs in {
        "constant": {"municipalities": _constant},
        "identical": {"municipalities": _identical},
        "absorbed": {"persons": _absorbed},
        "norecipients": {"persons": _no_recipients},
    }.items():
        p[name] = str(base / name)
        _variant(reg, base / name, **kwargs)
    # the default synthetic register of a fresh clone, as `kommunebench synth` with its defaults
    # would write it — small here: params.json states the default settings, so it is loaded
    default = root / "data" / "processed" / "synthetic"
    shutil.copytree(reg, default)
    params = json.loads((default / "params.json").read_text())
    params.update(n_persons=DEFAULT_PERSONS, seed=DEFAULT_SEED, years=list(DEFAULT_YEARS), tradeoff=True)
    (default / "params.json").write_text(json.dumps(params))
    p["default"] = str(default)
    return p


def _batch_args(
    reg: str = "{reg}", runs: str = "{runs}", *, n_peers: int = 5, municipalities=BATCH, extra=()
) -> list[str]:
    """The interrupted batch's command line, or a variant of it."""
    return [
        "reports",
        *("--data", reg, "--out", runs, "--run-id", "r", "--no-national", "--draws", "100", "--jobs", "2"),
        *("--param", f"n_peers={n_peers}"),
        *[a for m in municipalities for a in ("--municipality", m)],
        *extra,
    ]


@pytest.fixture(scope="module")
def interrupted(paths) -> SimpleNamespace:
    """A 5-report batch interrupted (SIGINT to its process group) when its first report starts."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "analysis.cli", *_batch_args(paths["reg"], paths["runs"])],
        cwd=paths["cwd"],
        env=_env(paths),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    kommuner = Path(paths["runs"]) / "r" / "kommuner"
    deadline = time.monotonic() + 180
    try:
        while not (kommuner.is_dir() and any(kommuner.iterdir())):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"no report folder appeared: {proc.communicate()[1] if proc.poll() else ''}")
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGINT)
        t0 = time.monotonic()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    return SimpleNamespace(rc=proc.returncode, out=out, err=err, seconds=time.monotonic() - t0)


# --------------------------------------------------------------------------- the cases
@dataclass(frozen=True)
class Case:
    id: str
    args: tuple[str, ...]
    message: str  # the line after "kommunebench CMD: error: " ({names} from `paths`)
    usage: bool = False  # the usage precedes the error line


REG = ("--data", "{reg}")
CASES = [
    # 1. user errors, not tracebacks
    Case("no-command", (), "no command given; `kommunebench --help` lists the commands", usage=True),
    Case(
        "report-misspelt-municipality",
        ("report", "--municipality", "Nybrog", *REG),
        "municipality: unknown municipality 'Nybrog': did you mean Nyborg (450)?",
    ),
    Case(
        "reports-misspelt-municipality",
        ("reports", "--municipality", "Nybrog", *REG),
        "municipality: unknown municipality 'Nybrog': did you mean Nyborg (450)?",
    ),
    Case(
        "period-not-in-register",
        ("report", "--municipality", "Nyborg", *REG, "--period", "2019"),
        "period: 2019 is not in the data (the register {reg} has 2024)",
    ),
    Case(
        "data-missing-folder",
        ("report", "--municipality", "Nyborg", "--data", "/nonexistent"),
        "data: '/nonexistent' is neither 'public', 'public-monthly', 'synthetic' nor an existing folder "
        "(no such folder: /nonexistent)",
    ),
    Case(
        "data-not-a-register",
        ("fit", "--data", "{root}", "--out", "fit.parquet"),
        "data: {root} holds neither a person register (persons.parquet, municipalities.parquet) "
        "nor aggregates (aggregates.parquet)",
    ),
    Case(
        "param-null",
        ("report", "--municipality", "Nyborg", *REG, "--param", "n_peers=null"),
        "n_peers: expected a whole number, got None",
    ),
    Case(
        "param-unknown",
        ("report", "--municipality", "Nyborg", *REG, "--param", "n_peer=5"),
        "--param: unknown key 'n_peer' (did you mean 'n_peers'?); keys are n_peers, cases, side_a, side_b",
    ),
    Case(
        "draws-negative",
        ("report", "--municipality", "Nyborg", *REG, "--draws", "-5"),
        "argument --draws: expected a positive whole number, got -5",
    ),
    Case(
        "fit-seed-negative",
        ("fit", *REG, "--seed", "-1", "--out", "fit.parquet"),
        "argument --seed: expected a non-negative whole number, got -1",
    ),
    Case(
        "run-id-reused",
        ("report", "--municipality", "Nyborg", *REG, "--out", "{runs}", "--run-id", "r"),
        "run-id: {runs}/r exists already; pass --resume to continue it, or choose another --run-id",
    ),
    Case(
        "synth-out-under-a-file",
        ("synth", "--persons", "2000", "--out", "{afile}/register"),
        "argument --out: cannot write {afile}/register: {afile} is a file, not a folder",
    ),
    Case(
        "synth-out-is-a-file",
        ("synth", "--persons", "2000", "--out", "{afile}"),
        "argument --out: {afile} is a file; expected a folder",
    ),
    Case(
        "fit-out-under-a-file",
        ("fit", *REG, "--out", "{afile}/fit.parquet"),
        "argument --out: cannot write {afile}/fit.parquet: {afile} is a file, not a folder",
    ),
    Case(
        "fit-out-not-parquet",
        ("fit", *REG, "--out", "fit.csv"),
        "argument --out: expected a .parquet file, got fit.csv",
    ),
    Case(
        "reports-out-a-file",
        ("reports", "--municipality", "Nyborg", *REG, "--out", "{afile}"),
        "argument --out: {afile} is a file; expected a folder",
    ),
    # 2. the first run: --data synthetic is the default register under the project root
    Case(
        "synthetic-default-register",
        ("report", "--municipality", "Aarhus", "--data", "synthetic", "--period", "2019"),
        "period: 2019 is not in the data (the register {default} has 2024)",
    ),
    # 3. a run id is a plain name
    Case(
        "run-id-escapes",
        ("report", "--municipality", "Nyborg", *REG, "--run-id", "../escaped"),
        "run-id: '../escaped' is not a plain folder name (letters, digits, '.', '_', '-'; no '/' or '..')",
    ),
    Case(
        "run-id-absolute",
        ("report", "--municipality", "Nyborg", *REG, "--run-id", "{base}/escaped"),
        "run-id: '{base}/escaped' is not a plain folder name (letters, digits, '.', '_', '-'; no '/' or '..')",
    ),
    # 4. a run folder holds reports of one set of parameters
    Case(
        "resume-new-report-other-parameter",
        tuple(_batch_args(n_peers=12, municipalities=["Odense"], extra=["--resume"])),
        "--resume: the run r holds kommuner/450-nyborg made with n_peers=5; kommuner/461-odense would be "
        "made with n_peers=12; a run holds reports of one set of parameters: start a new run",
    ),
    Case(
        "resume-other-run-parameter",
        tuple(_batch_args(extra=["--seed", "1", "--resume"])),
        "--resume: the run r was made with seed=0, not 1; start a new run",
    ),
    Case(
        "param-municipality",
        ("report", "--municipality", "Nyborg", *REG, "--param", "municipality=Odense"),
        "--param: municipality is set with --municipality, not --param",
    ),
    Case(
        "param-read-by-no-report",
        ("report", "--municipality", "Nyborg", *REG, "--param", "side_a=dagpenge"),
        "--param: side_a is a parameter of the trade-off report, which this command does not render "
        "(add --national)",
    ),
    Case(
        "param-publisher",
        ("report", "--municipality", "Nyborg", *REG, "--param", "publisher=Andre"),
        "--param: publisher is set with --publisher, not --param",
    ),
    # 7. a decomposed å finds Tårnby (185): the refusal names its report folder
    Case(
        "unicode-decomposed",
        tuple(_batch_args(n_peers=12, municipalities=["Ta\u030arnby"], extra=["--resume"])),
        "--resume: the report kommuner/185-taarnby in run r was made with n_peers=5, not 12; start a new run",
    ),
    # 8. a singular model names its regressors
    Case(
        "collinear-constant-covariate",
        ("fit", "--data", "{constant}", "--out", "fit.parquet"),
        "model: collinear regressors: urbanisation is constant in the data (collinear with the constant "
        "term) (X'X is singular); check that every covariate varies in the data and that no two carry "
        "the same information",
    ),
    Case(
        "collinear-identical-covariates",
        ("fit", "--data", "{identical}", "--out", "fit.parquet"),
        "model: collinear regressors: unemployment_rate, jobs_per_resident are linearly dependent "
        "(X'X is singular); check that every covariate varies in the data and that no two carry the "
        "same information",
    ),
    Case(
        "absorbed-by-fixed-effects",
        ("fit", "--data", "{absorbed}", "--spec", "fe", "--out", "fit.parquet"),
        "model: collinear regressors: education[videregaaende] is absorbed by the municipality effects "
        "(no variation within any municipality); the fe specification cannot estimate it: use the "
        "pooled specification or check the data",
    ),
    Case(
        "report-collinear-leaves-no-run",
        ("report", "--municipality", "Nyborg", "--data", "{constant}", "--out", "runs"),
        "model: collinear regressors: urbanisation is constant in the data (collinear with the constant "
        "term) (X'X is singular); check that every covariate varies in the data and that no two carry "
        "the same information",
    ),
    # 9. a trade-off side without recipients
    Case(
        "tradeoff-side-without-recipients",
        ("tradeoff", "--data", "{norecipients}", "--side-a", "ressourceforloeb", "--out", "t.parquet"),
        "--side-a: no one in the register receives ressourceforloeb; each side of the trade-off needs recipients",
    ),
]


def _fill(text: str, paths: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: paths.get(m.group(1), m.group(0)), text)


@pytest.fixture(scope="module")
def outcomes(paths, interrupted) -> dict[str, tuple[list[str], subprocess.CompletedProcess, list[str]]]:
    """Every case's command line, result and what was left in its working folder.

    The cases run two at a time (they are independent: each writes, if at all, only into its
    own working folder or into paths that must not come to exist). Nothing under the shared
    folders may change: checked by comparing a snapshot of them before and after all cases.
    """
    from concurrent.futures import ThreadPoolExecutor

    base = Path(paths["base"])

    def one(case: Case):
        args = [_fill(a, paths) for a in case.args]
        cwd = Path(paths["work"]) / case.id
        cwd.mkdir()
        r = cli(args, paths, cwd=cwd)
        return args, r, sorted(str(f.relative_to(cwd)) for f in cwd.rglob("*"))

    todo = list(CASES)
    before = snapshot(base)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip([c.id for c in todo], pool.map(one, todo), strict=True))
    after = {k: v for k, v in snapshot(base).items() if not k.startswith("work/")}
    changed = sorted(set(before.items()) ^ set(after.items()))
    assert changed == [], f"the cases changed or left files: {changed}"
    return results


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_one_line(case: Case, paths, outcomes):
    args, r, left = outcomes[case.id]
    assert r.returncode == 2, r.stderr
    lines = r.stderr.splitlines()
    if case.usage:
        assert lines[0].startswith("usage: kommunebench")
        lines = lines[1:]
    prog = " ".join(["kommunebench", *args[:1]])
    assert lines == [f"{prog}: error: {_fill(case.message, paths)}"]  # one line: no traceback
    assert left == []  # nothing written, nothing left behind
    assert list(Path(paths["tmp"]).iterdir()) == []


# --------------------------------------------------------------------------- 5. Ctrl-C
def test_ctrl_c_stops_the_batch_at_once(paths, interrupted):
    assert interrupted.rc == 130, interrupted.err
    assert interrupted.err.splitlines() == ["kommunebench reports: interrupted"]  # no progress bar in a pipe
    assert interrupted.seconds < 15
    run = Path(paths["runs"]) / "r"
    # nothing half-written: no unfinished report, no temporary file, no kernel or its files
    for folder in (run / "kommuner").iterdir():
        assert all((folder / f).is_file() for f in REQUIRED), sorted(folder.rglob("*"))
    assert [p for p in run.rglob(".*") if ".tmp" in p.name] == []
    assert list(Path(paths["tmp"]).iterdir()) == []
    assert list(Path(paths["runtime"]).iterdir()) == []
    assert kernels_of(paths["runtime"]) == []


@pytest.mark.render
def test_resume_completes_the_interrupted_batch(paths, interrupted):
    """Renders the five reports (the render tier): the interrupted run is continued, not mixed."""
    run = Path(paths["runs"]) / "r"
    r = cli(_batch_args(paths["reg"], paths["runs"], extra=["--resume"]), paths, cwd=Path(paths["cwd"]))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert sorted(p.name for p in (run / "kommuner").iterdir()) == BATCH_FOLDERS
    for name in BATCH_FOLDERS:
        assert all((run / "kommuner" / name / f).is_file() for f in REQUIRED), name
    record = json.loads((run / "run.json").read_text(encoding="utf-8"))
    assert {v["n_peers"] for v in record["reports"].values()} == {5}
    assert sorted(record["reports"]) == [f"kommuner/{n}" for n in BATCH_FOLDERS]
    assert list(Path(paths["tmp"]).iterdir()) == []
    assert list(Path(paths["runtime"]).iterdir()) == []
    assert kernels_of(paths["runtime"]) == []


# --------------------------------------------------------------------------- the rest of 1
def test_closed_pipe_ends_quietly(paths):
    """`kommunebench municipalities | head -1`: the reader goes away; no BrokenPipeError."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "analysis.cli", "municipalities"],
        cwd=paths["cwd"],
        env=_env(paths),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()  # before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert err == ""


def test_report_help_lists_the_param_keys(paths):
    r = cli(["report", "--help"], paths, cwd=Path(paths["cwd"]))
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    from analysis.cli.commands import PARAM_KEYS

    for key in PARAM_KEYS:
        assert re.search(rf"--param KEY=VALUE .*\b{key}\b", text), key


def _help_options(parser: argparse.ArgumentParser) -> list[str]:
    """Options in the ``--help`` text of ``parser`` that have no help of their own."""
    text = parser.format_help()
    lines = text.split("options:\n", 1)[1].splitlines()
    missing = []
    for i, line in enumerate(lines):
        m = re.match(r"^  (-\S.*?)(?:\s{2,}(\S.*))?$", line)
        if not m:
            continue
        has_help = bool(m.group(2)) or (
            i + 1 < len(lines)
            and re.match(r"^\s{6,}\S", lines[i + 1])
            and not lines[i + 1].lstrip().startswith("-")
        )
        if not has_help:
            missing.append(m.group(1))
    return missing


def test_every_option_of_every_command_has_help():
    from analysis.cli import build_parser

    parser = build_parser()
    todo = [("kommunebench", parser)]
    checked = 0
    while todo:
        name, p = todo.pop()
        assert _help_options(p) == [], name
        checked += 1
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                todo += [(f"{name} {n}", sub) for n, sub in action.choices.items()]
    assert checked > 15


def test_synth_defaults_are_the_default_register(monkeypatch, tmp_path):
    """`kommunebench synth` with its defaults writes what `--data synthetic` builds on first use."""
    import analysis.data.synth as synth
    from analysis.cli import main
    from analysis.data.open import open_source

    signature = inspect.signature(synth.write_register)
    defaults = {k: v.default for k, v in signature.parameters.items() if k in ("tradeoff", "tradeoff_corr")}
    calls = []

    def record(out_dir, **kwargs):
        calls.append((Path(out_dir), {**defaults, **kwargs, "years": list(kwargs["years"])}))
        raise KeyboardInterrupt  # stop before generating a million persons

    monkeypatch.setattr(synth, "write_register", record)
    monkeypatch.setenv("KOMMUNEBENCH_ROOT", str(tmp_path))
    assert main(["synth", "--out", str(tmp_path / "register")]) == 130
    with pytest.raises(KeyboardInterrupt):
        open_source("synthetic")
    (_, by_cli), (folder, first_use) = calls
    assert folder == tmp_path / "data" / "processed" / "synthetic"
    assert by_cli == first_use


def test_read_only_output_folder_is_named(tmp_path, monkeypatch):
    """The permission check on its own (in-process: the superuser may write anywhere, so the
    missing permission is simulated)."""
    from analysis.cli.commands import writable
    from analysis.core.params import ParameterError

    monkeypatch.setattr(os, "access", lambda path, mode: False)
    with pytest.raises(ParameterError, match=f"--out: cannot write {tmp_path}/x.parquet: no permission"):
        writable(tmp_path / "x.parquet", "parquet")
