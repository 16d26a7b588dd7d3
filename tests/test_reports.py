"""Render tier: the three report notebooks run under papermill on a small synthetic register.

One batch run (national reports + the case report for Nyborg, sharing one model fit) is made
per test session; the tests then read what it wrote. 60,000 persons a year keep it to about half a
minute on two cores; the numbers are not meaningful at this size, only their consistency.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from pathlib import Path

import nbformat
import pytest

from analysis.core.municipalities import lookup
from analysis.core.params import ParameterError, parse_report
from analysis.data.synth import write_register
from analysis.report.fmt import num, persons, rank_interval
from analysis.run import batch
from analysis.run.benchmark import load

pytestmark = pytest.mark.render

CASE = 450  # Nyborg


@pytest.fixture(scope="module")
def register_dir(tmp_path_factory) -> Path:
    # two years, so that the case report draws the placement over time
    return write_register(tmp_path_factory.mktemp("register"), n_persons=60_000, seed=3, years=(2023, 2024))


@pytest.fixture(scope="module")
def run(register_dir, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("reports") / "run"
    base = parse_report({"data": str(register_dir), "draws": 200, "seed": 0, "publisher": "Testforlaget"})
    run_dir, timings = batch.run(base, municipalities=[lookup("Nyborg")], run_dir=out, jobs=2, progress=False)
    return run_dir, timings


def _load(run_dir: Path):
    return load(batch.work_dir(run_dir))


def _folders(run_dir: Path) -> dict[str, Path]:
    return {
        "01": run_dir / "national" / "01_expected_caseload",
        "02": run_dir / "national" / "02_tradeoff_bias",
        "case": run_dir / "kommuner" / "450-nyborg",
    }


@pytest.fixture(scope="module")
def pdf_pages(run) -> dict[str, list[str]]:
    """Extracted text of every page of each report's PDF, read once for all tests."""
    from pypdf import PdfReader

    return {
        key: [page.extract_text() for page in PdfReader(folder / "report.pdf").pages]
        for key, folder in _folders(run[0]).items()
    }


def _text(path: Path) -> str:
    """Visible text of an HTML report (tags removed, entities decoded, whitespace collapsed)."""
    raw = path.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", raw, flags=re.S)
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", raw)))


def test_every_report_is_complete(run):
    run_dir, timings = run
    assert timings["n_rendered"] == 3
    assert (run_dir / "run.json").is_file()
    for folder in _folders(run_dir).values():
        for name in ("report.html", "report.pdf", "manifest.json", "notebook.ipynb"):
            assert (folder / name).is_file(), folder / name
        nb = nbformat.read(folder / "notebook.ipynb", as_version=4)
        errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
        assert not errors


def test_run_folder_holds_what_a_user_shares_and_the_rest_lies_beside_it(run):
    """Reports, results and manifests in the run folder; the pickle and Typst sources outside it."""
    run_dir, _ = run
    shared = {p.relative_to(run_dir).as_posix() for p in run_dir.rglob("*")}
    assert not [p for p in shared if p.endswith((".pkl", ".typ")) or "/typst" in p or ".cache" in p]
    work = batch.work_dir(run_dir)
    assert work.parent.name == ".cache"
    assert work.parent.parent == run_dir.parent
    assert (work / "benchmark.pkl").is_file()
    for folder in ("national/01_expected_caseload", "national/02_tradeoff_bias", "kommuner/450-nyborg"):
        assert (work / "typst" / folder / "main.typ").is_file(), folder


def test_results_beside_the_reports_equal_the_model_and_have_a_codebook(run):
    import pandas as pd

    from analysis.core.io import read_parquet_metadata

    run_dir, _ = run
    bm = _load(run_dir)
    folder = run_dir / "results"
    book = pd.read_csv(folder / "codebook.csv")
    assert list(book.columns) == ["table", "column", "unit", "meaning"]
    assert set(book["table"]) == {"results", "history"}  # no official figures for a synthetic register
    assert not book[["unit", "meaning"]].isna().any().any()
    for table in ("results", "history"):
        csv = pd.read_csv(folder / f"{table}.csv", dtype={"period": str})
        parquet = pd.read_parquet(folder / f"{table}.parquet")
        assert list(csv.columns) == list(parquet.columns) == list(book.loc[book["table"] == table, "column"])
        assert csv["synthetic"].all()
        pd.testing.assert_frame_equal(csv, parquet, check_dtype=False, check_exact=False, rtol=1e-12)
        meta = read_parquet_metadata(folder / f"{table}.parquet")
        assert meta["synthetic"] is True
        assert [e["column"] for e in meta["codebook"]] == list(csv.columns)
    results = pd.read_parquet(folder / "results.parquet")
    assert set(results["benefit_set"]) == set(bm.fits)
    assert len(results) == 98 * len(bm.fits)
    mine = (
        results[results["benefit_set"] == bm.benefit_set.name]
        .drop(columns="synthetic")
        .reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(mine, bm.tidy(), check_dtype=False)
    history = pd.read_parquet(folder / "history.parquet")
    assert set(history["period"]) == set(bm.history["period"])


def test_html_has_no_input_cells(run):
    for folder in _folders(run[0]).values():
        raw = (folder / "report.html").read_text(encoding="utf-8")
        assert "jp-InputArea" not in raw
        assert "input_area" not in raw
        text = _text(folder / "report.html")
        assert "views." not in text
        assert "open_report" not in text
        assert "import " not in text


def test_case_headline_numbers_equal_the_tidy_results(run):
    run_dir, _ = run
    bm = _load(run_dir)
    row = bm.tidy().set_index("code").loc[CASE]
    text = _text(_folders(run_dir)["case"] / "report.html")
    assert f"Nyborg havde {persons(row['actual'])} fuldtidspersoner" in text
    assert f"Det giver en {int(row['rank'])}.-plads blandt 98 kommuner" in text
    from analysis.report.narrative import _between

    assert f"placeringen {_between(row['rank_lower'], row['rank_upper'])}, når Nyborg ses for sig" in text
    assert f"{_between(row['rank_cs_lower'], row['rank_cs_upper'])}, når alle kommuner" in text
    a = bm.fits["all"].tidy().set_index("code").loc[CASE]
    all_rank = f"{int(a['rank'])}. plads ({rank_interval(int(a['rank_lower']), int(a['rank_upper']))})"
    assert f"får Nyborg {all_rank} mod {int(row['rank'])}. plads" in text
    assert "Samlet har Nyborg" in text


def test_case_report_shows_the_placement_over_the_years(run, pdf_pages):
    run_dir, _ = run
    bm = _load(run_dir)
    case = bm.history[bm.history["code"] == CASE].sort_values("period")
    assert case["period"].tolist() == ["2023", "2024"]
    folder = _folders(run_dir)["case"]
    text = _text(folder / "report.html")
    assert "Nyborgs placering 2023–2024" in text
    for _, r in case.iterrows():
        assert f"{int(r['rank'])}. plads i {r['period']}" in text
    pdf = " ".join(pdf_pages["case"])
    assert "placering 2023–2024" in re.sub(r"\s+", " ", pdf)


def test_chapters_are_numbered_as_in_the_report_style(run, pdf_pages):
    """Forord and Litteratur unnumbered, "1 Sammenfatning" first, appendix as "Bilag 1" with B-tables."""
    for key, folder in _folders(run[0]).items():
        html = (folder / "report.html").read_text(encoding="utf-8")
        secnums = {
            title.strip(): num_
            for num_, title in re.findall(r'<span class="kb-secnum">([^<]+)</span>\s*([^<{]+)', html)
        }
        assert secnums.get("Sammenfatning") == "1", (key, secnums)
        assert "Forord" not in secnums
        assert "Litteratur" not in secnums
        assert "Bilag 1" in secnums.values(), (key, secnums)
        assert "Bilagstabel B1.1" in html, key
        pages = [re.sub(r"\s+", " ", p) for p in pdf_pages[key]]
        toc = next(p for p in pages if "Indhold" in p)
        assert "1 Sammenfatning" in toc, (key, toc)
        assert "1 Forord" not in toc
        assert "Bilag 1" in toc, key
        assert any("Bilagstabel B1.1" in p for p in pages), key


def test_national_headline_numbers_equal_the_tidy_results(run):
    run_dir, _ = run
    bm = _load(run_dir)
    tidy = bm.tidy()
    text = _text(_folders(run_dir)["01"] / "report.html")
    assert f"i alt {persons(tidy['actual'].sum())} fuldtidspersoner" in text
    best = tidy.sort_values("rank").iloc[0]
    assert f"Bedst placeret er {best['name']}" in text
    t = bm.tradeoff.test
    text2 = _text(_folders(run_dir)["02"] / "report.html")
    assert f"Korrelation {num(t.estimate, 2)}" in text2


def test_pdf_is_a4_and_keeps_danish_letters(run, pdf_pages):
    from pypdf import PdfReader

    for key, folder in _folders(run[0]).items():
        reader = PdfReader(folder / "report.pdf")
        assert len(reader.pages) >= 5, key
        for page in reader.pages:
            box = page.mediabox
            assert abs(float(box.width) - 595.28) < 1
            assert abs(float(box.height) - 841.89) < 1
        text = "\n".join(pdf_pages[key])
        # æ, ø and å in words every report uses, extracted as the letters themselves
        for word in ("kontanthjælp", "forsørgelse", "på offentlig", "bilag"):
            assert word in text.lower(), (key, word)
        assert "\ufffd" not in text
        assert "Syntetiske data" in text  # cover and every source line say so
        assert text.count("Kilde:") >= 2


def test_synthetic_marked_on_cover_and_every_source_line(run):
    for folder in _folders(run[0]).values():
        raw = _text(folder / "report.html")
        assert "SYNTETISKE DATA" in raw.upper()
        sources = re.findall(r"Kilde: ([^.]*)\.", raw)
        assert sources
        assert all("Syntetiske data" in s for s in sources), sources


def test_manifest_records_the_run(run, register_dir):
    manifest = json.loads((_folders(run[0])["case"] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["municipality"] == str(CASE)
    assert manifest["parameters"]["draws"] == 200
    assert manifest["seed"] == 0
    assert manifest["synthetic"] is True
    hashed = {Path(k).name for k in manifest["inputs"]}
    assert {"persons.parquet", "municipalities.parquet"} <= hashed
    assert all(re.fullmatch(r"[0-9a-f]{64}", v.removeprefix("sha256:")) for v in manifest["inputs"].values())
    assert "sha" in manifest["git"]
    assert "dirty" in manifest["git"]
    assert {"execute", "pdf", "html"} <= set(manifest["timings"])


def test_resume_skips_finished_reports_and_runs_never_mix(run, register_dir):
    run_dir, _ = run
    record = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert record["reports"]["kommuner/450-nyborg"]["municipality"] == "450"
    base = parse_report({**record["parameters"], "publisher": "Testforlaget"})
    nyborg = [lookup("Nyborg")]
    pdf = _folders(run_dir)["case"] / "report.pdf"
    before = pdf.stat().st_mtime_ns
    _, timings = batch.run(base, municipalities=nyborg, run_dir=run_dir, resume=True, jobs=1, progress=False)
    assert timings["n_rendered"] == 0
    assert timings["n_skipped"] == 3
    assert pdf.stat().st_mtime_ns == before
    with pytest.raises(ParameterError, match="--resume"):
        batch.run(base, municipalities=nyborg, run_dir=run_dir, progress=False)
    with pytest.raises(ParameterError, match="made with seed=0, not 1"):
        batch.run(base.model_copy(update={"seed": 1}), municipalities=nyborg, run_dir=run_dir, resume=True)
    # a report already in the run, asked for with another parameter of its own
    other = base.model_copy(update={"n_peers": 12})
    with pytest.raises(ParameterError, match="report kommuner/450-nyborg .* made with n_peers=7, not 12"):
        batch.run(other, municipalities=nyborg, run_dir=run_dir, resume=True)


def test_impossible_period_fails_before_anything_is_written(register_dir, tmp_path):
    with pytest.raises(ParameterError, match="period: 1999 is not in the data"):
        batch.run(
            parse_report({"data": str(register_dir), "period": 1999}),
            municipalities=[lookup("Nyborg")],
            run_dir=tmp_path / "run",
            progress=False,
        )
    assert not (tmp_path / "run").exists()


def test_report_command_rejects_a_bad_parameter(register_dir, tmp_path, capsys):
    from analysis.cli import main

    argv = ["report", "--data", str(register_dir), "--municipality", "Nyborg", "--out", str(tmp_path)]
    assert main([*argv, "--param", "n_peers=-1"]) == 2
    assert capsys.readouterr().err == (
        "kommunebench report: error: n_peers: expected a whole number from 1 to 20, got -1\n"
    )
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------------------- the aggregates route
@pytest.fixture(scope="module")
def aggregates_run(register_dir, tmp_path_factory) -> Path:
    """The StatBank-schema aggregates of the same register, as a folder, rendered as a run."""
    from analysis.cli import main

    folder = tmp_path_factory.mktemp("aggregates")
    assert main(["aggregate", "--data", str(register_dir), "--out", str(folder / "aggregates.parquet")]) == 0
    base = parse_report({"data": str(folder), "draws": 200, "seed": 0})
    run_dir, timings = batch.run(
        base,
        municipalities=[lookup("Nyborg")],
        national=("national",),
        run_dir=tmp_path_factory.mktemp("agg-reports") / "run",
        jobs=2,
        progress=False,
    )
    assert timings["n_rendered"] == 2
    return run_dir


def test_reports_render_from_an_aggregates_source(aggregates_run):
    bm = load(batch.work_dir(aggregates_run))
    assert bm.main.estimator == "panel"
    national = _text(aggregates_run / "national" / "01_expected_caseload" / "report.html")
    case = _text(aggregates_run / "kommuner" / "450-nyborg" / "report.html")
    # the same kind of report, from municipality × period shares
    assert "kommune-perioder" in national
    assert "befolkningsvægtet" in national
    row = bm.tidy().set_index("code").loc[CASE]
    assert f"Det giver en {int(row['rank'])}.-plads blandt 98 kommuner" in case
    # what needs person rows is left out, and said so
    assert "KL's resultatmål er udeladt, fordi datakilden ikke har forløb på personniveau" in case
    assert "Jobcenterindblikkets kategorier er udeladt" in case
    assert "Syntetiske data" in national  # the aggregates of a synthetic register stay synthetic


def test_papermill_run_directly_refuses_an_unknown_parameter(register_dir, tmp_path):
    """``papermill NB OUT -p peers 5`` (a typo of n_peers) fails in the first cell, before any computation."""
    import os
    import subprocess
    import sys

    from analysis.core.paths import notebooks_dir, project_root

    out = tmp_path / "out.ipynb"
    cmd = [sys.executable, "-m", "papermill", str(notebooks_dir() / "03_case_municipality.ipynb"), str(out)]
    cmd += ["-p", "peers", "5", "-p", "data", str(register_dir), "--no-progress-bar"]
    env = {**os.environ, "PYTHONPATH": str(project_root())}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert done.returncode != 0
    assert "unknown parameter 'peers' (did you mean 'n_peers'?)" in done.stderr + done.stdout
    nb = nbformat.read(out, as_version=4)
    executed = [c for c in nb.cells if c.cell_type == "code" and c.get("execution_count")]
    assert len(executed) <= 3  # parameters, injected parameters, the validating cell: nothing after it


# --------------------------------------------------------------------------- page layout and Bilag
_MACHINE_PATHS = ("/work/", "/tmp/", "/home/", "/root/", "/private/", str(Path.home()) + "/")
_ENGLISH_LABELS = ("run manifest", "Seed", "Input:", "Version:", "Parameter:", "Tid:")


def test_reports_show_no_machine_paths(run, pdf_pages):
    """Where a report was made (the register folder, the run's cache) stays in manifest.json."""
    for key, folder in _folders(run[0]).items():
        pdf = " ".join(pdf_pages[key])
        html = (folder / "report.html").read_text(encoding="utf-8")
        for marker in (*_MACHINE_PATHS, str(run[0])):
            assert marker not in pdf, (key, marker)
            assert marker not in html, (key, marker)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert any(Path(k).is_absolute() for k in manifest["inputs"])  # the full detail is kept there


def test_bilag_is_in_danish_and_lists_every_parameter(run, pdf_pages):
    from analysis.report.notebook import notebook_path
    from analysis.report.params import notebook_parameters

    kinds = {"01": "national", "02": "tradeoff", "case": "case"}
    for key, folder in _folders(run[0]).items():
        pdf = " ".join(pdf_pages[key])
        bilag = pdf[pdf.rindex("Kørselsoplysninger") :]
        for label in _ENGLISH_LABELS:
            assert label not in pdf, (key, label)
            assert label not in _text(folder / "report.html"), (key, label)
        for label in (
            "Startværdi for tilfældige tal",
            "Inddata",
            "Tidsforbrug",
            "Ikke-gemte ændringer i koden",
        ):
            assert label in bilag, (key, label)
        flat = re.sub(r"\s+", "", bilag)  # a label may wrap in its cell
        for name in notebook_parameters(notebook_path(kinds[key])):
            assert f"({name})" in flat or name in flat, (key, name)


def test_tables_are_not_hyphenated(run, pdf_pages):
    """Every longer word of every table's header and cells is whole in the PDF's text."""
    from bs4 import BeautifulSoup

    for key, folder in _folders(run[0]).items():
        pdf = " ".join(pdf_pages[key])
        nb = nbformat.read(folder / "notebook.ipynb", as_version=4)
        words: set[str] = set()
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                page = out.get("data", {}).get("text/html", "")
                for table in BeautifulSoup(page, "html.parser").find_all("table"):
                    for th in table.find_all(["th", "td"]):
                        words |= {w for w in re.split(r"[\s/\-–()]+", th.get_text(" ")) if len(w) >= 7}
        assert words, key
        missing = sorted(w for w in words if w not in pdf)
        assert not missing, (key, missing)


def test_front_matter_shares_a_page_and_chapters_follow_on(pdf_pages):
    """Forord and Indhold on one page after the cover; the main matter starts on the next, and
    a chapter follows the one before on the same page (no page of its own for each)."""
    for key, pages in pdf_pages.items():
        assert "Forord" in pages[1], key
        assert "Indhold" in pages[1], key
        assert "1 Sammenfatning" in pages[2], key
        assert "2 Indledning" in pages[2], key
