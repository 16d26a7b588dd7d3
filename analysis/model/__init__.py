"""The expected-caseload model: cell sufficient statistics, exact OLS, results and tidy frame.

>>> from analysis.model import fit
>>> from analysis.data.synth import generate
>>> reg = generate(n_persons=10_000, seed=0)  # Syntetisk Danmark (synthetic)
>>> res = fit(reg.persons, reg.municipalities, benefits="bm2018", spec="pooled")
>>> sorted(res.tidy().columns[:4])
['benefit_set', 'code', 'name', 'year']
"""

from __future__ import annotations

from analysis.model.cells import Cells, build_cells
from analysis.model.estimate import fit, fit_many
from analysis.model.panel import fit_aggregate
from analysis.model.results import ExpectedCaseloadResults

__all__ = ["Cells", "ExpectedCaseloadResults", "build_cells", "fit", "fit_aggregate", "fit_many"]
