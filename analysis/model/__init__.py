"""The expected-caseload model: cell sufficient statistics, exact OLS, panel OLS on aggregates,
results and tidy frame.

>>> from analysis.model import fit
>>> from analysis.data.synth import generate
>>> reg = generate(n_persons=10_000, seed=0)  # Syntetisk Danmark (synthetic)
>>> res = fit(reg.persons, reg.municipalities, benefits="bm2018", spec="pooled")
>>> sorted(res.tidy().columns[:4])
['benefit_set', 'code', 'name', 'period']
"""

from __future__ import annotations

from analysis.model.cells import Cells, build_cells
from analysis.model.estimate import fit, fit_many
from analysis.model.panel import PanelFit, fit_aggregate, fit_panel
from analysis.model.results import Coefficients, ExpectedCaseloadResults, FitNote

__all__ = [
    "Cells",
    "Coefficients",
    "ExpectedCaseloadResults",
    "FitNote",
    "PanelFit",
    "build_cells",
    "fit",
    "fit_aggregate",
    "fit_many",
    "fit_panel",
]
