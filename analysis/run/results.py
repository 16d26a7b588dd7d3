"""The run's results as data: tidy tables in CSV and Parquet, with a codebook, beside the reports.

Every run folder gets ``results/`` with

* ``results`` — one row per fitted benefit set (the report's own, every single benefit group,
  and ``bm2018``/``all`` where the source has them) and municipality: the columns of
  :meth:`~analysis.model.ExpectedCaseloadResults.tidy`;
* ``history`` — the report's benefit set in every period up to the run's, fitted once on all of
  them (the ranks behind "Placering over tid");
* ``official`` — where the Ministry has published the period (or an earlier one): the open
  model beside the Ministry's own figures, one row per benefit list and municipality;

each as ``<table>.csv`` (UTF-8, comma, decimal point, no index) and ``<table>.parquet`` (the
codebook and the run parameters in the schema metadata under ``kommunebench``), and
``codebook.csv`` with one row per table and column: ``table, column, unit, meaning``. A column
without a codebook entry is an error, so that a new column cannot reach users undocumented.

Every table carries a ``synthetic`` column, so rows from a synthetic run can never pass for
real ones when tables of several runs are stacked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.core.io import atomic_dir, write_parquet_atomic

RESULTS_DIR = "results"
CODEBOOK_FILE = "codebook.csv"
TABLES = ("results", "history", "official")

_PP = "pct.-points of the population 16–66"
_RANK = "rank 1–98 (1 = furthest below expected)"

#: column → (unit, meaning); ``{level}`` is the run's confidence level.
COLUMNS: dict[str, tuple[str, str]] = {
    "code": ("code", "municipality code (kommunekode)"),
    "name": ("text", "municipality name"),
    "period": (
        "period",
        "period: a calendar year, or a jobindsats period such as 2022QMAT04 (the 12 months ending "
        "with that quarter)",
    ),
    "benefit_set": (
        "code",
        "benefit set or single benefit group (ydelsesgruppe) the model of the row is fitted on",
    ),
    "benefit": ("code", "benefit list of the Ministry's benchmark the row compares"),
    "spec": ("code", "model specification: pooled (no municipality term) or fe (municipality fixed effects)"),
    "synthetic": ("true/false", "true when the data are synthetic (Syntetisk Danmark), false for real data"),
    "population": ("persons", "residents aged 16–66 (person-years when several years are pooled)"),
    "actual": ("full-time persons", "actual full-time persons on public benefits (fuldtidspersoner)"),
    "expected": ("full-time persons", "expected full-time persons given the rammevilkår (the model)"),
    "difference": ("full-time persons", "actual − expected"),
    "difference_pp": (_PP, "the ranking key: 100 · (actual − expected) / population"),
    "oe": ("ratio", "actual / expected"),
    "se_pp": (_PP, "standard error of difference_pp (municipality noise and coefficient uncertainty)"),
    "ci_lower_pp": (_PP, "lower end of the {level} confidence interval of difference_pp"),
    "ci_upper_pp": (_PP, "upper end of the {level} confidence interval of difference_pp"),
    "rank": (_RANK, "rank on difference_pp"),
    "rank_lower": (
        _RANK,
        "best rank of the marginal {level} rank interval (from the joint draws of the gaps)",
    ),
    "rank_upper": (_RANK, "worst rank of the marginal {level} rank interval"),
    "rank_cs_lower": (
        _RANK,
        "best rank of the simultaneous {level} rank confidence set (all 98 at once; Mogstad et al. 2024)",
    ),
    "rank_cs_upper": (_RANK, "worst rank of the simultaneous {level} rank confidence set"),
    "funnel_lower95": (_PP, "lower 95 % funnel limit of difference_pp around 0, widened for over-dispersion"),
    "funnel_upper95": (_PP, "upper 95 % funnel limit of difference_pp around 0, widened for over-dispersion"),
    "funnel_lower998": (_PP, "lower 99.8 % funnel limit of difference_pp around 0"),
    "funnel_upper998": (_PP, "upper 99.8 % funnel limit of difference_pp around 0"),
    "funnel_outlier95": ("true/false", "difference_pp outside the 95 % funnel limits"),
    "funnel_outlier998": ("true/false", "difference_pp outside the 99.8 % funnel limits"),
    "funnel_tau2": ("(pct.-points)²", "over-dispersion variance added to se_pp² in the funnel limits"),
    "eb_difference_pp": (_PP, "empirical-Bayes estimate of difference_pp, shrunk towards 0 (REML)"),
    "eb_se_pp": (_PP, "posterior standard deviation of eb_difference_pp"),
    "expected_share": ("per cent of the population 16–66", "the open model's expected share"),
    "official_actual": ("full-time persons", "the Ministry's published actual full-time persons"),
    "official_expected_share": (
        "per cent of the population 16–66",
        "the Ministry's published expected share",
    ),
    "official_difference_pp": (_PP, "the Ministry's published actual − expected"),
    "official_rank": (_RANK, "the Ministry's published rank"),
}
_CONTRIB = (
    _PP,
    "contribution of the rammevilkår {block} to the expected share minus the national mean share",
)


def _entry(column: str, level: float) -> tuple[str, str]:
    if column in COLUMNS:
        unit, meaning = COLUMNS[column]
    elif column.startswith("contrib_"):
        unit, meaning = _CONTRIB[0], _CONTRIB[1].replace("{block}", column.removeprefix("contrib_"))
    else:
        raise KeyError(f"column {column!r} has no codebook entry (analysis.run.results.COLUMNS)")
    return unit, meaning.replace("{level}", f"{level:.0%}".replace("%", " %"))


def codebook(tables: Mapping[str, pd.DataFrame], *, level: float = 0.95) -> pd.DataFrame:
    """The codebook of ``tables``: one row per table and column.

    Parameters
    ----------
    tables
        Table name → frame, as from :func:`result_tables`.
    level
        The confidence level of the intervals (written into their meaning).

    Returns
    -------
    DataFrame
        Columns ``table, column, unit, meaning``, in the tables' column order.

    Raises
    ------
    KeyError
        A column without an entry in :data:`COLUMNS` (``contrib_<block>`` columns have one).
    """
    rows = [
        {"table": name, "column": col, **dict(zip(("unit", "meaning"), _entry(col, level), strict=True))}
        for name, frame in tables.items()
        for col in frame.columns
    ]
    return pd.DataFrame(rows, columns=["table", "column", "unit", "meaning"])


def result_tables(bm: Any) -> dict[str, pd.DataFrame]:
    """The run's tidy tables (see the module docstring) from a :class:`~analysis.run.benchmark.Benchmark`.

    Returns
    -------
    dict
        ``"results"`` (fitted sets × 98 rows, the report's own set first), ``"history"``
        (periods × 98) and, where published, ``"official"`` (benefit lists × 98). Each has a
        ``synthetic`` column after the identifying columns.
    """
    synthetic = bool(bm.synthetic)
    out = {
        "results": pd.concat([res.tidy() for res in bm.fits.values()], ignore_index=True),
        "history": bm.history.reset_index(drop=True),
    }
    if bm.official is not None:
        off = bm.official.table.reset_index(drop=True)
        out["official"] = off.assign(period=bm.official.period)[["period", *off.columns]]
    for name, frame in out.items():
        frame = frame.copy()
        frame.attrs = {}
        at = list(frame.columns).index("name") + 1 if "name" in frame.columns else 0
        frame.insert(at, "synthetic", synthetic)
        out[name] = frame
    return out


def write_results(bm: Any, run_dir: str | os.PathLike[str]) -> Path:
    """Write ``run_dir/results/``: every table as CSV and Parquet, and ``codebook.csv``.

    The folder is written beside its target and moved into place whole, so a run folder never
    holds half of it; an existing ``results/`` is replaced.

    Returns
    -------
    Path
        The ``results`` folder.

    Raises
    ------
    KeyError
        A column without a codebook entry (before anything is written).
    """
    tables = result_tables(bm)
    book = codebook(tables, level=bm.main.level)
    meta: dict[str, Any] = {"parameters": bm.params.run_key(), "synthetic": bool(bm.synthetic)}
    target = Path(run_dir) / RESULTS_DIR
    with atomic_dir(target) as tmp:
        for name, frame in tables.items():
            frame.to_csv(tmp / f"{name}.csv", index=False, encoding="utf-8")
            entries = book[book["table"] == name][["column", "unit", "meaning"]].to_dict("records")
            write_parquet_atomic(frame, tmp / f"{name}.parquet", metadata={**meta, "codebook": entries})
        book.to_csv(tmp / CODEBOOK_FILE, index=False, encoding="utf-8")
    return target


__all__ = ["CODEBOOK_FILE", "COLUMNS", "RESULTS_DIR", "TABLES", "codebook", "result_tables", "write_results"]
