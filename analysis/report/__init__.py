"""Report machinery: figure theme, Danish number formats, display objects, templates,
notebook execution and rendering to HTML and A4 PDF, run manifests and parameter checks.

Notebooks import from here; the rendering functions (which load papermill and nbconvert)
live in :mod:`analysis.report.render`.
"""

from analysis.report.document import report_metadata
from analysis.report.fmt import (
    ReportBox,
    ReportFigure,
    ReportTable,
    date_da,
    num,
    pct,
    persons,
    pp,
    rank_interval,
    share,
)
from analysis.report.manifest import build_manifest, manifest_table, write_manifest
from analysis.report.params import ParameterError, validate_in_notebook, validate_parameters
from analysis.report.theme import ACCENT, GREY, apply_theme, source_line

__all__ = [
    "ACCENT",
    "GREY",
    "ParameterError",
    "ReportBox",
    "ReportFigure",
    "ReportTable",
    "apply_theme",
    "build_manifest",
    "date_da",
    "manifest_table",
    "num",
    "pct",
    "persons",
    "pp",
    "rank_interval",
    "report_metadata",
    "share",
    "source_line",
    "validate_in_notebook",
    "validate_parameters",
    "write_manifest",
]
