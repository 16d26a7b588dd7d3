"""The first call of every report notebook: parameters, benchmark, theme and cover.

A report notebook has a ``parameters`` cell (papermill's convention) and then one line::

    report = open_report("case", globals())

:func:`open_report` reads the notebook's declared parameters from the notebook file, takes
their values from the kernel's namespace, and parses them once (:func:`analysis.core.params.parse_report`).
A name in the namespace that the notebook neither declares nor binds itself — what papermill
injects for ``-p peers 5`` — fails with "unknown parameter 'peers' (did you mean 'n_peers'?)"
before anything is computed. It then loads the run's shared benchmark (or builds it), applies
the figure theme and sets the cover fields. The returned :class:`Report` is what every view
takes.
"""

from __future__ import annotations

import ast
import types
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from analysis.core.municipalities import Municipality
from analysis.core.params import ParameterError, ReportParameters, did_you_mean, parse_report

Kind = Literal["national", "tradeoff", "case"]
NOTEBOOKS: dict[str, str] = {
    "national": "01_expected_caseload",
    "tradeoff": "02_tradeoff_bias",
    "case": "03_case_municipality",
}
TITLES: dict[str, tuple[str, str]] = {
    "national": ("Kommunernes beskæftigelsesindsats", "Faktisk og forventet antal på offentlig forsørgelse"),
    "tradeoff": ("Forbundne kar", "Kontanthjælp, førtidspension og kommunernes placering i benchmarket"),
    "case": ("Kommunerapport", "Beskæftigelsesindsatsen målt med flere målestokke"),
}
_IPYTHON_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}


@dataclass(frozen=True, eq=False)
class Report:
    """What a report notebook works with: its kind, parsed parameters and the benchmark."""

    kind: str
    params: ReportParameters
    bm: Any  # analysis.run.benchmark.Benchmark
    declared: tuple[str, ...] = ()

    @property
    def case(self) -> Municipality:
        """The case municipality (case reports)."""
        if self.params.municipality is None:
            raise ParameterError("municipality: a case report needs a municipality (code or name)")
        return self.params.municipality

    @property
    def highlight(self) -> tuple[int, ...]:
        """Codes to label in figures: the case, or the trade-off report's ``cases``."""
        if self.params.municipality is not None:
            return (self.params.municipality.code,)
        return tuple(m.code for m in self.params.cases)


def notebook_path(kind: str) -> Path:
    """The notebook file of a report kind."""
    from analysis.core.paths import notebooks_dir

    if kind not in NOTEBOOKS:
        raise ValueError(f"kind: expected one of {', '.join(NOTEBOOKS)}, got {kind!r}")
    return notebooks_dir() / f"{NOTEBOOKS[kind]}.ipynb"


@cache
def _declared_and_bound(path: Path, mtime_ns: int) -> tuple[tuple[str, ...], frozenset[str]]:
    """The notebook's declared parameters, and every name its own code cells bind."""
    import nbformat

    from analysis.report.params import notebook_parameters

    nb = nbformat.read(path, as_version=4)
    declared = tuple(notebook_parameters(nb))
    bound: set[str] = set()
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                bound.add(node.id)
            elif isinstance(node, ast.Import | ast.ImportFrom):
                bound.update((a.asname or a.name).split(".")[0] for a in node.names)
    return declared, frozenset(bound)


def namespace_parameters(kind: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The declared parameters' values in ``namespace``; unknown injected names fail.

    Raises
    ------
    ParameterError
        A name that looks like a parameter (a plain value) but is not declared by the notebook.
    """
    path = notebook_path(kind)
    declared, bound = _declared_and_bound(path, path.stat().st_mtime_ns)
    for name, value in namespace.items():
        if name.startswith("_") or name in _IPYTHON_NAMES or name in declared or name in bound:
            continue
        if isinstance(value, types.ModuleType | type) or callable(value):
            continue
        raise ParameterError(
            f"unknown parameter {name!r}{did_you_mean(name, declared)}; "
            f"{path.name} declares {', '.join(declared)}"
        )
    return {n: namespace[n] for n in declared if n in namespace}


def open_report(kind: Kind, namespace: Mapping[str, Any] | None = None, **values: Any) -> Report:
    """Parse the parameters, load (or build) the benchmark, apply the theme, set the cover.

    Parameters
    ----------
    kind
        ``national``, ``tradeoff`` or ``case``.
    namespace
        The notebook's ``globals()``: the parameters are read from it (and unknown injected
        names refused).
    **values
        Parameters given directly (outside a notebook); they override ``namespace``.

    Raises
    ------
    ParameterError
        A parameter that is unknown or outside its domain, or that the data cannot serve.
    """
    from analysis.core.params import parse_run
    from analysis.report.document import report_metadata
    from analysis.report.fmt import date_da
    from analysis.report.labels import data_label, period_label
    from analysis.report.theme import apply_theme
    from analysis.run.benchmark import open_benchmark

    path = notebook_path(kind)
    raw = dict(namespace_parameters(kind, namespace) if namespace is not None else {})
    raw.update(values)
    declared, _ = _declared_and_bound(path, path.stat().st_mtime_ns)
    params = parse_report(raw, allowed=declared)
    if kind == "case" and params.municipality is None:
        raise ParameterError("municipality: a case report needs a municipality (code or name)")
    apply_theme()
    bm = open_benchmark(parse_run(params.run_key()), cache=params.cache or None)
    if kind == "tradeoff":
        bm = bm.with_sides(params.side_a, params.side_b)
    report = Report(kind=kind, params=params, bm=bm, declared=declared)
    title, subtitle = TITLES[kind]
    if kind == "case":
        title = report.case.label
    subtitle = f"{subtitle}, {period_label(bm.period)}"
    report_metadata(
        title=title,
        subtitle=subtitle,
        kicker="Analyse",
        publisher=params.publisher,
        date=date_da(),
        synthetic=bm.synthetic,
        data_label=None if bm.synthetic else data_label(bm.provenance),
        header_title=f"{title} · {period_label(bm.period)}",
    )
    return report


__all__ = ["NOTEBOOKS", "TITLES", "Report", "namespace_parameters", "notebook_path", "open_report"]
