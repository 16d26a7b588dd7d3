"""Report front-matter set from inside a notebook.

A notebook calls :func:`report_metadata` once (e.g. after loading the data, when it knows
whether they are synthetic). The call displays an output of MIME type :data:`META_MIME`; the
renderer harvests it into the notebook metadata for the cover and running header, and drops
it from the rendered report.
"""

from __future__ import annotations

from typing import Any

META_MIME = "application/vnd.kommunebench.report+json"
FIELDS = (
    "title",
    "subtitle",
    "kicker",
    "publisher",
    "authors",
    "date",
    "synthetic",
    "data_label",
    "header_title",
)

__all__ = ["FIELDS", "META_MIME", "ReportMetadata", "report_metadata"]


class ReportMetadata:
    """Display object carrying cover fields (see :func:`report_metadata`)."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = dict(fields)

    @property
    def fields(self) -> dict[str, Any]:
        return dict(self._fields)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        text = ", ".join(f"{k}={v!r}" for k, v in self._fields.items())
        return {META_MIME: self.fields, "text/plain": f"Rapportoplysninger: {text}"}


def report_metadata(*, display: bool = True, **fields: Any) -> ReportMetadata:
    """Set the report's cover fields from the notebook.

    Parameters
    ----------
    display
        Display the object now (in a notebook); otherwise return it for display.
    **fields
        Any of ``title``, ``subtitle``, ``kicker``, ``publisher``, ``authors`` (str or list),
        ``date`` (text), ``synthetic`` (bool: adds the "Syntetiske data" banner and header
        mark), ``data_label`` (real data: a line on the cover naming them, e.g. "Offentlige data:
        …"), ``header_title`` (running header; defaults to the title).
    """
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise ValueError(f"report_metadata: unknown field(s) {unknown}; allowed: {', '.join(FIELDS)}")
    if "synthetic" in fields and not isinstance(fields["synthetic"], bool):
        raise TypeError(f"report_metadata: synthetic must be True or False, got {fields['synthetic']!r}")
    for k, v in fields.items():
        if k not in ("synthetic", "authors") and v is not None and not isinstance(v, str):
            raise TypeError(f"report_metadata: {k} must be a string, got {type(v).__name__}")
    obj = ReportMetadata(fields)
    if display:
        try:
            from IPython import get_ipython
            from IPython.display import display as _display

            if get_ipython() is not None:
                _display(obj)
        except ImportError:  # pragma: no cover
            pass
    return obj
