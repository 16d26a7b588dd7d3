"""One display convention for every results object of the package.

Results are frozen dataclasses whose derived quantities are :func:`functools.cached_property`
(computed on first use, then kept — and pickled with the object). Each has a ``summary``
property returning a :class:`statsmodels.iolib.summary.Summary` (text, HTML and LaTeX, as in
linearmodels and statsmodels); :class:`ResultsDisplay` turns that into ``str()``, ``repr()``
and the notebook's HTML view. Summaries are neutral (English, codes and numbers): Danish
labels belong to the report layer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from statsmodels.iolib.summary import Summary
from statsmodels.iolib.table import SimpleTable


class ResultsDisplay:
    """Mixin: ``__str__`` is the summary text, ``_repr_html_`` its HTML; ``__repr__`` one line.

    Subclasses define ``summary`` (a :class:`~statsmodels.iolib.summary.Summary`) and
    ``_repr_fields()`` (the ``name=value`` pairs of the one-line repr).
    """

    summary: Any

    def _repr_fields(self) -> Sequence[tuple[str, object]]:
        return ()

    def __str__(self) -> str:
        return self.summary.as_text()

    def __repr__(self) -> str:
        fields = " ".join(f"{k}={v}" for k, v in self._repr_fields())
        return f"<{type(self).__name__}{' ' if fields else ''}{fields}>"

    def _repr_html_(self) -> str:
        return self.summary.as_html()


def make_summary(
    title: str,
    info: Sequence[tuple[str, object]],
    table: pd.DataFrame | None = None,
    *,
    float_format: str = "%.5f",
    notes: Sequence[str] = (),
) -> Summary:
    """A :class:`Summary` with a title, a two-column block of facts and an optional table.

    Parameters
    ----------
    title
        First line.
    info
        ``(label, value)`` pairs, shown two per row.
    table
        A frame whose index becomes the first column (numbers formatted with ``float_format``).
    notes
        Lines appended at the end.
    """
    s = Summary()
    half = (len(info) + 1) // 2
    left, right = list(info[:half]), list(info[half:])
    right += [("", "")] * (len(left) - len(right))
    rows = [
        [f"{a}:", str(b), f"{c}:" if c else "", str(d)] for (a, b), (c, d) in zip(left, right, strict=True)
    ]
    s.tables.append(SimpleTable(rows, title=title, txt_fmt={"table_dec_above": "=", "table_dec_below": "-"}))
    if table is not None and len(table):
        data = [
            [float_format % v if isinstance(v, float) else str(v) for v in row]
            for row in table.itertuples(index=False)
        ]
        s.tables.append(
            SimpleTable(data, headers=list(map(str, table.columns)), stubs=[str(i) for i in table.index])
        )
    if notes:
        s.add_extra_txt(list(notes))
    return s
