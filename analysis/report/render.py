"""Execute a parameterised notebook and render it to HTML and A4 PDF.

The route (see ``docs``): papermill executes the notebook; nbconvert's ``HTMLExporter`` with
the lean template in ``analysis/templates/html`` gives a self-contained HTML page (no input
cells, no scripts, no external resources); a Typst exporter with ``analysis/templates/typst``
turns the same executed notebook into ``main.typ`` plus the extracted figures, which the
``typst`` compiler (a pip wheel, no system dependencies) turns into the PDF.

Every run writes into its own folder (``out_dir/<run name>/``) so batch renders never
overwrite each other, and every file is written atomically.

Examples
--------
Rendering starts a kernel and takes some seconds, so the example is not run by the test suite::

    from analysis.report.render import render_report

    r = render_report("notebooks/03_case_municipality.ipynb", {"municipality": "Nyborg", "year": 2024}, "reports")
    r.pdf  # reports/03_case_municipality-nyborg-2024/report.pdf
"""

from __future__ import annotations

import copy
import logging
import os
import re
import shutil
import tempfile
import time
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import nbformat

from analysis.core.io import atomic_path, write_text_atomic
from analysis.core.paths import PACKAGE_DIR, TEMPLATES_DIR
from analysis.report.document import FIELDS, META_MIME
from analysis.report.fmt import date_da
from analysis.report.manifest import build_manifest, write_manifest
from analysis.report.markup import (
    APPENDIX_TAG,
    html2typst,
    mark_headings,
    md2typst,
    parse_cell_options,
    parse_heading,
    typst_escape,
    typst_string,
)
from analysis.report.params import validate_parameters

__all__ = [
    "RenderError",
    "RenderedReport",
    "execute_notebook",
    "prepare_notebook",
    "render_report",
    "run_name_for",
    "to_html",
    "to_pdf",
    "to_typst",
]

log = logging.getLogger(__name__)

FONTS_DIR = PACKAGE_DIR / "resources" / "fonts"
HTML_PRIORITY = ["text/html", "text/markdown", "image/svg+xml", "image/png", "image/jpeg", "text/plain"]
TYPST_PRIORITY = [
    "text/x-typst",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/markdown",
    "text/html",
    "text/plain",
]
Format = Literal["html", "pdf"]
FORMATS: tuple[str, ...] = ("html", "pdf")


class RenderError(RuntimeError):
    """Executing or rendering a report failed; the message names the notebook and the step."""


# --------------------------------------------------------------------------- preparation
def _read(nb: nbformat.NotebookNode | str | os.PathLike[str]) -> nbformat.NotebookNode:
    if isinstance(nb, str | os.PathLike):
        return nbformat.read(Path(nb), as_version=4)
    return nb


def prepare_notebook(nb: nbformat.NotebookNode | str | os.PathLike[str]) -> nbformat.NotebookNode:
    """A copy of an executed notebook, ready for the templates.

    - ``#| key: value`` cell options move into ``cell.metadata`` (and out of the source);
    - outputs of :data:`~analysis.report.document.META_MIME` (from ``report_metadata``)
      are harvested into ``metadata.kommunebench`` and removed;
    - the markdown cell tagged ``appendix`` gets ``{.appendix}`` on its first heading (the
      Bilag starts there; see :func:`~analysis.report.markup.mark_headings`);
    - without a cell tagged ``toc``, the table of contents goes after the "Forord" (before
      the next chapter), or first when there is no Forord;
    - ``metadata.kommunebench`` gets defaults (title "Rapport", today's date in Danish) and
      the flag ``toc_cell`` when the table of contents has a place among the cells.
    """
    nb = copy.deepcopy(_read(nb))
    kb: dict[str, Any] = {"title": "Rapport", "date": date_da()}
    kb.update({k: v for k, v in dict(nb.metadata.get("kommunebench", {})).items()})
    toc_cell = any("toc" in c.get("metadata", {}).get("tags", []) for c in nb.cells)
    if not toc_cell:
        toc_cell = _toc_after_forord(nb)
    appendix_pending = False
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            tagged = APPENDIX_TAG in cell.get("metadata", {}).get("tags", [])
            if tagged or appendix_pending:
                cell.source, found = mark_headings(cell.source, appendix=True)
                appendix_pending = not found
            continue
        if cell.cell_type != "code":
            continue
        try:
            opts, source = parse_cell_options(cell.source)
        except ValueError as exc:
            raise RenderError(f"cell {i}: {exc}") from exc
        if opts:
            cell.metadata.update(opts)
            cell.source = source
        kept = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if META_MIME in data:
                fields = dict(data[META_MIME])
                kb.update({k: v for k, v in fields.items() if k in FIELDS})
                continue
            kept.append(out)
        cell.outputs = kept
    kb["toc_cell"] = toc_cell
    nb.metadata["kommunebench"] = kb
    return nb


def _level1_headings(cell: Any) -> list[str]:
    if cell.cell_type != "markdown":
        return []
    return [m.group(1).strip() for m in re.finditer(r"(?m)^ {0,3}#[ \t]+(.+?)[ \t#]*$", cell.source)]


def _toc_after_forord(nb: nbformat.NotebookNode) -> bool:
    """Insert an empty markdown cell tagged ``toc`` before the first chapter after "Forord".

    Returns whether it did (there is a Forord followed by another chapter).
    """
    from nbformat.v4 import new_markdown_cell

    forord = None
    for i, cell in enumerate(nb.cells):
        heads = [parse_heading(h, 1).text.casefold() for h in _level1_headings(cell)]
        if forord is None:
            if "forord" in heads:
                forord = i
                if len(heads) > heads.index("forord") + 1:
                    return False  # the next chapter in the same cell: leave the default
            continue
        if heads:
            toc = new_markdown_cell("", id="kommunebench-toc")  # a fixed id: the same HTML every run
            toc.metadata["tags"] = ["toc"]
            nb.cells.insert(i, toc)
            return True
    return False


# --------------------------------------------------------------------------- exporters
def _html_exporter() -> Any:
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    cfg = Config({"NbConvertBase": {"display_data_priority": HTML_PRIORITY}})
    return HTMLExporter(
        config=cfg,
        template_name="html",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
        anchor_link_text="",
    )


def _typst_exporter() -> Any:
    from nbconvert.exporters import TemplateExporter
    from nbconvert.preprocessors import ExtractOutputPreprocessor
    from traitlets import default
    from traitlets.config import Config

    class TypstExporter(TemplateExporter):
        output_mimetype = "text/x-typst"
        export_from_notebook = None

        @default("file_extension")
        def _file_extension_default(self) -> str:
            return ".typ"

        @default("template_extension")
        def _template_extension_default(self) -> str:
            return ".typ.j2"

        @default("raw_mimetypes")
        def _raw_mimetypes_default(self) -> list[str]:
            return ["text/x-typst"]

    cfg = Config({"NbConvertBase": {"display_data_priority": TYPST_PRIORITY}})
    exporter = TypstExporter(
        config=cfg,
        template_name="typst",
        extra_template_basedirs=[str(TEMPLATES_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        filters={
            "md2typst": md2typst,
            "html2typst": html2typst,
            "typst_str": typst_string,
            "typst_escape": typst_escape,
        },
    )
    exporter.register_preprocessor(
        ExtractOutputPreprocessor(extract_output_types={"image/png", "image/jpeg", "image/svg+xml"}),
        enabled=True,
    )
    return exporter


# --------------------------------------------------------------------------- HTML
_REF = re.compile(r"@((?:fig|tbl|sec)-[A-Za-z0-9_\-]*[A-Za-z0-9])")


def _slug(text: str) -> str:
    t = unicodedata.normalize("NFKD", text.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa"))
    t = re.sub(r"[^a-z0-9]+", "-", t.encode("ascii", "ignore").decode()).strip("-")
    return t or "afsnit"


def _finish_html(page: str) -> str:
    """Number headings, figures and tables (per chapter), build the TOC, resolve @refs."""
    from bs4 import BeautifulSoup, NavigableString

    soup = BeautifulSoup(page, "html.parser")
    main = soup.find("main")
    if main is None:
        return page
    for a in main.select("a.anchor-link"):
        a.decompose()
    levels = [0, 0, 0]
    appendix = False
    counters = {"figure": 0, "table": 0, "box": 0}
    refs: dict[str, str] = {}
    toc: list[tuple[int, str, str, str]] = []
    used: set[str] = set()
    for el in main.find_all(["h1", "h2", "h3", "figure"]):
        if el.name == "figure":
            span = el.find("span", class_="kb-num")
            if span is None:
                continue
            kind = span.get("data-kind", "figure")
            counters[kind] = counters.get(kind, 0) + 1
            word = {"figure": "Figur", "table": "Tabel", "box": "Boks"}.get(kind, "Figur")
            if appendix:
                word, number = f"Bilags{word.lower()}", f"B{levels[0]}.{counters[kind]}"
            else:
                number = f"{levels[0]}.{counters[kind]}"
            span.string = f"{word} {number}"
            if el.get("id"):
                refs[el["id"]] = f"{word} {number}"
            continue
        level = int(el.name[1])
        h = parse_heading(el.get_text(), level)
        # strip the {...} attributes from the last text node
        if re.search(r"\{[^{}]*\}\s*$", el.get_text()):
            for node in reversed(list(el.find_all(string=True))):
                if "{" in node:
                    node.replace_with(NavigableString(re.sub(r"\s*\{[^{}]*\}\s*$", "", str(node))))
                    break
        if h.appendix:
            appendix = True
            levels = [0, 0, 0]
            el["class"] = [*el.get("class", []), "kb-newpage"]  # the Bilag starts on a new page (print)
        number = ""
        if h.numbered:
            levels[level - 1] += 1
            for k in range(level, 3):
                levels[k] = 0
            if level == 1:
                counters = dict.fromkeys(counters, 0)
                if levels[0] == 1 and "kb-newpage" not in el.get("class", []):
                    el["class"] = [*el.get("class", []), "kb-newpage"]  # the main matter, likewise
            parts = [str(x) for x in levels[:level]]
            number = (
                (f"Bilag {parts[0]}" if level == 1 else "B" + ".".join(parts))
                if appendix
                else ".".join(parts)
            )
            tag = soup.new_tag("span", attrs={"class": "kb-secnum"})
            tag.string = number
            el.insert(0, tag)
        ident = h.label or _slug(h.text)
        base, k = ident, 2
        while ident in used:
            ident, k = f"{base}-{k}", k + 1
        used.add(ident)
        el["id"] = ident
        if h.label:
            refs[h.label] = f"afsnit {number}" if number else h.text
        if level <= 2:
            toc.append((level, number, h.text, ident))
    # cross-references
    for node in list(main.find_all(string=_REF)):
        if node.find_parent(["code", "pre"]):
            continue
        pieces, pos, text = [], 0, str(node)
        for m in _REF.finditer(text):
            pieces.append(NavigableString(text[pos : m.start()]))
            a = soup.new_tag("a", href=f"#{m.group(1)}")
            a.string = refs.get(m.group(1), m.group(1))
            pieces.append(a)
            pos = m.end()
        pieces.append(NavigableString(text[pos:]))
        for p in pieces:
            node.insert_before(p)
        node.extract()
    # table of contents
    for nav in soup.find_all("nav", class_="kb-toc"):
        nav.clear()
        title = soup.new_tag("h2")
        title.string = "Indhold"
        nav.append(title)
        top = soup.new_tag("ol")
        nav.append(top)
        current_sub = None
        for level, number, text, ident in toc:
            li = soup.new_tag("li")
            a = soup.new_tag("a", href=f"#{ident}")
            if number:
                s = soup.new_tag("span", attrs={"class": "kb-secnum"})
                s.string = number
                a.append(s)
            a.append(NavigableString(text))
            li.append(a)
            if level == 1 or current_sub is None:
                top.append(li)
                current_sub = soup.new_tag("ol")
                li.append(current_sub)
            else:
                current_sub.append(li)
        for ol in nav.find_all("ol"):
            if not ol.find("li"):
                ol.decompose()
    return str(soup)


def to_html(nb: nbformat.NotebookNode | str | os.PathLike[str], out_path: str | os.PathLike[str]) -> Path:
    """Render an executed notebook to a self-contained HTML report at ``out_path`` (atomic).

    No input cells, no prompts, no scripts and no external resources: figures are embedded
    as data URIs and the stylesheet is inline.
    """
    prepared = prepare_notebook(nb)
    body, _ = _html_exporter().from_notebook_node(prepared)
    return write_text_atomic(_finish_html(body), out_path)


# --------------------------------------------------------------------------- Typst / PDF
def to_typst(nb: nbformat.NotebookNode | str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> Path:
    """Write ``main.typ``, ``report.typ`` and the extracted figures into ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    prepared = prepare_notebook(nb)
    body, resources = _typst_exporter().from_notebook_node(prepared, resources={"unique_key": "fig"})
    for name, data in (resources.get("outputs") or {}).items():
        target = out_dir / name
        if target.resolve().parent != out_dir.resolve():
            raise RenderError(f"refusing to write extracted output outside {out_dir}: {name}")
        with atomic_path(target) as tmp:
            tmp.write_bytes(data if isinstance(data, bytes) else str(data).encode("utf-8"))
    with atomic_path(out_dir / "report.typ") as tmp:
        shutil.copyfile(TEMPLATES_DIR / "typst" / "report.typ", tmp)
    return write_text_atomic(body, out_dir / "main.typ")


def _font_paths(extra: Iterable[str | os.PathLike[str]] = ()) -> list[str]:
    """Font folders for Typst: ``extra``, the package's fonts (if any) and matplotlib's
    DejaVu fonts (the figure font, so headings and figures match on every machine)."""
    import matplotlib

    paths = [str(p) for p in extra]
    if FONTS_DIR.is_dir():
        paths.append(str(FONTS_DIR))
    paths.append(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf"))
    return paths


def _timestamp() -> int | None:
    """``SOURCE_DATE_EPOCH`` (reproducible builds) if set, else now."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise RenderError(f"SOURCE_DATE_EPOCH must be an integer (UNIX seconds), got {value!r}") from None


def to_pdf(
    nb: nbformat.NotebookNode | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    name: str = "report.pdf",
    font_paths: Sequence[str | os.PathLike[str]] = (),
    build_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """Render an executed notebook to an A4 PDF via Typst.

    Parameters
    ----------
    nb
        Executed notebook (node or path).
    out_dir
        Folder for the PDF.
    name
        File name of the PDF.
    font_paths
        Extra font folders for Typst. The package's ``resources/fonts`` (if present) and
        matplotlib's DejaVu fonts are always added, Typst's bundled fonts (Libertinus Serif,
        New Computer Modern, DejaVu Sans Mono) are always available, and system fonts are
        ignored, so the PDF looks the same on every machine. Set ``SOURCE_DATE_EPOCH`` for
        byte-reproducible PDFs.
    build_dir
        Folder for the Typst sources (``main.typ``, ``report.typ``, the figures), kept for
        inspection; default: a temporary folder, removed afterwards, so that nothing but the
        PDF lands in ``out_dir``.
    """
    if build_dir is None:
        with tempfile.TemporaryDirectory(prefix="kommunebench-typst-") as tmp:
            return to_pdf(nb, out_dir, name=name, font_paths=font_paths, build_dir=tmp)
    out_dir = Path(out_dir)
    build = Path(build_dir)
    main = to_typst(nb, build)
    import typst

    try:
        pdf, warnings = typst.compile_with_warnings(
            str(main),
            root=str(build),
            font_paths=_font_paths(font_paths),
            ignore_system_fonts=True,
            timestamp=_timestamp(),
        )
    except typst.TypstError as exc:
        raise RenderError(f"Typst could not compile {main}: {exc}") from exc
    for message in dict.fromkeys(str(getattr(w, "message", w)) for w in warnings):
        log.warning("Typst (%s): %s", main, message)
    target = out_dir / name
    with atomic_path(target) as tmp:
        tmp.write_bytes(pdf)
    return target


# --------------------------------------------------------------------------- execution
class WarmKernel:
    """One Jupyter kernel kept running for several notebooks (used by the report batch).

    Starting a kernel and importing pandas, matplotlib and scipy costs a few seconds per
    notebook; a batch of 100 reports pays it once per worker instead. Before each notebook
    the kernel's namespace is cleared (``%reset -f``) and open figures are closed, so a
    notebook sees only its own parameters and what it computes; modules stay imported. A
    kernel that has died is started again.

    Parameters
    ----------
    cwd
        Working directory of the kernel (the notebooks' folder).
    kernel_name
        Jupyter kernel spec.
    """

    def __init__(self, cwd: str | os.PathLike[str], kernel_name: str = "python3") -> None:
        self.cwd = str(cwd)
        self.kernel_name = kernel_name
        self._km: Any = None

    def manager(self) -> Any:
        """The started kernel manager, with a clean namespace."""
        from jupyter_client.manager import KernelManager

        if self._km is None or not self._km.is_alive():
            # local IPC sockets in the temporary folder: nothing listens on the network
            ipc = Path(tempfile.gettempdir()) / f"kommunebench-kernel-{os.getpid()}-{id(self)}"
            self._km = KernelManager(kernel_name=self.kernel_name, transport="ipc", ip=str(ipc))
            self._km.start_kernel(cwd=self.cwd, extra_arguments=["--HistoryManager.enabled=False"])
            return self._km
        kc = self._km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=60)
            reply = kc.execute_interactive(
                "%reset -f\nimport matplotlib.pyplot as _plt\n_plt.close('all')\ndel _plt",
                store_history=False,
                timeout=60,
            )
        finally:
            kc.stop_channels()
        if reply["content"]["status"] != "ok":
            raise RenderError(f"could not clear the kernel's namespace: {reply['content']}")
        return self._km

    def shutdown(self) -> None:
        if self._km is not None and self._km.has_kernel:
            self._km.shutdown_kernel(now=True)
        self._km = None


def execute_notebook(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    *,
    cwd: str | os.PathLike[str] | None = None,
    kernel_name: str = "python3",
    timeout: float = 600,
    validate: bool = True,
    kernel: WarmKernel | None = None,
) -> nbformat.NotebookNode:
    """Execute a notebook with papermill and write the executed copy atomically.

    Parameters are validated against the notebook's ``parameters`` cell first (before any
    kernel starts). On a failing cell a :class:`RenderError` names the notebook, the cell
    and the exception; the partly executed notebook is kept as ``<output>.failed.ipynb``.
    With ``kernel`` (a :class:`WarmKernel`) the notebook runs in that already started kernel,
    whose namespace is cleared first; otherwise papermill starts and stops a new kernel.
    """
    import papermill as pm

    input_path, output_path = Path(input_path), Path(output_path)
    if not input_path.is_file():
        raise FileNotFoundError(f"notebook not found: {input_path}")
    params = dict(parameters or {})
    if validate:
        validate_parameters(input_path, params)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = output_path.with_name(f".{output_path.name}.{os.getpid()}.tmp.ipynb")
    try:
        extra = {"km": kernel.manager()} if kernel is not None else {}
        pm.execute_notebook(
            str(input_path),
            str(tmp),
            parameters=params,
            kernel_name=kernel_name,
            **extra,
            cwd=str(cwd) if cwd is not None else str(input_path.parent),
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
            request_save_on_cell_execute=False,
        )
    except pm.PapermillExecutionError as exc:
        failed = output_path.with_suffix(".failed.ipynb")
        if tmp.exists():
            os.replace(tmp, failed)
        msg = (
            f"{input_path}: cell {exc.exec_count} raised {exc.ename}: {exc.evalue} (executed copy: {failed})"
        )
        log.error(msg)
        raise RenderError(msg) from exc
    except BaseException:
        if tmp.exists():
            tmp.unlink()
        raise
    os.replace(tmp, output_path)
    return nbformat.read(output_path, as_version=4)


# --------------------------------------------------------------------------- one report
@dataclass(frozen=True)
class RenderedReport:
    """Paths and timings of one rendered report (all in ``run_dir``)."""

    run_dir: Path
    notebook: Path
    html: Path | None
    pdf: Path | None
    manifest: Path
    timings: Mapping[str, float] = field(default_factory=dict)


def run_name_for(notebook: str | os.PathLike[str], parameters: Mapping[str, Any]) -> str:
    """A folder name from the notebook stem and the parameter values (``03_case_municipality-nyborg-2024``)."""
    vals = [_slug(str(v)) for k, v in parameters.items() if isinstance(v, str | int | float) and str(v) != ""]
    return "-".join([Path(notebook).stem, *vals])[:120]


def render_report(
    notebook: str | os.PathLike[str],
    parameters: Mapping[str, Any],
    out_dir: str | os.PathLike[str],
    *,
    run_name: str | None = None,
    formats: Sequence[Format] = FORMATS,
    inputs: Iterable[str | os.PathLike[str]] = (),
    seed: int | None = None,
    cwd: str | os.PathLike[str] | None = None,
    kernel_name: str = "python3",
    timeout: float = 600,
    kernel: WarmKernel | None = None,
    build_dir: str | os.PathLike[str] | None = None,
) -> RenderedReport:
    """Validate, execute and render one report into ``out_dir/<run_name>/``.

    Parameters
    ----------
    notebook
        The report notebook (with a ``parameters`` cell).
    parameters
        Values to inject; validated before the kernel starts.
    out_dir
        Parent folder; each run gets its own sub-folder.
    run_name
        Sub-folder name; default from the notebook and parameter values (:func:`run_name_for`).
    formats
        Any of ``"html"``, ``"pdf"``.
    inputs
        Data files to hash into the manifest.
    seed
        Seed to record in the manifest (default: the ``seed`` parameter, if any).
    build_dir
        Folder to keep the PDF's Typst sources in (default: a temporary folder, removed).

    Returns
    -------
    RenderedReport
        With ``notebook.ipynb``, ``report.html``, ``report.pdf`` and ``manifest.json`` paths.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad or not formats:
        raise ValueError(f"formats must be a non-empty selection of {FORMATS}, got {list(formats)!r}")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    full = validate_parameters(notebook, parameters)
    timings["validate"] = time.perf_counter() - t0
    name = run_name or run_name_for(notebook, parameters)
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise ValueError(f"run_name must be a plain folder name, got {name!r}")
    run_dir = Path(out_dir) / name
    run_dir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    executed = execute_notebook(
        notebook,
        run_dir / "notebook.ipynb",
        parameters,
        cwd=cwd,
        kernel_name=kernel_name,
        timeout=timeout,
        validate=False,
        kernel=kernel,
    )
    timings["execute"] = time.perf_counter() - t
    html_path = pdf_path = None
    if "html" in formats:
        t = time.perf_counter()
        html_path = to_html(executed, run_dir / "report.html")
        timings["html"] = time.perf_counter() - t
    if "pdf" in formats:
        t = time.perf_counter()
        pdf_path = to_pdf(executed, run_dir, name="report.pdf", build_dir=build_dir)
        timings["pdf"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    kb = prepare_notebook(executed).metadata["kommunebench"]
    manifest = build_manifest(
        parameters=full,
        inputs=inputs,
        seed=seed if seed is not None else full.get("seed"),
        synthetic=kb.get("synthetic"),
        timings=timings,
        extra={"notebook": str(notebook), "run_dir": str(run_dir)},
    )
    manifest_path = write_manifest(run_dir / "manifest.json", manifest)
    return RenderedReport(
        run_dir=run_dir,
        notebook=run_dir / "notebook.ipynb",
        html=html_path,
        pdf=pdf_path,
        manifest=manifest_path,
        timings=MappingProxyType(dict(timings)),
    )
