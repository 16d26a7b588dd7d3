"""Municipality × year aggregates of a person register.

:func:`aggregate_register` reduces a person register (synthetic or real, same format) to the
aggregate schema that the StatBank parser also produces (``docs/architecture.md``), so that the
aggregate model can be run, and compared, on either source:

* ``population``: persons 16–66 in the register;
* ``ft_<group>``: full-time persons on each benefit group, :math:`\\sum_i y_{ig}`;
* ``x_<covariate>_<level>``: the share of the population at each level of each categorical
  covariate except the first (reference) level, so the shares of one covariate are not collinear
  with the intercept; ``x_prior_mean``: mean prior benefit years (0–5);
* ``x_unemployment_rate``, ``x_jobs_per_resident``, ``x_urbanisation`` from the municipality table.

Examples
--------
>>> from analysis.data.synth import generate
>>> from analysis.data.aggregate import aggregate_register
>>> reg = generate(n_persons=5_000, seed=1)
>>> agg = aggregate_register(reg.persons, reg.municipalities)
>>> len(agg), agg.attrs["synthetic"]
(98, True)
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.core.benefits import GROUPS
from analysis.core.validate import (
    CATEGORIES,
    LOCAL_COLUMNS,
    InputError,
    validate_aggregates,
    validate_municipalities,
    validate_persons,
    validate_register,
)


def covariate_column(covariate: str, level: str) -> str:
    """Aggregate column name of a covariate level: ``("age", "25-29")`` → ``"x_age_25_29"``."""
    return f"x_{covariate}_{re.sub(r'[^0-9A-Za-z]+', '_', str(level)).strip('_').lower()}"


def covariate_columns() -> list[str]:
    """All ``x_`` columns :func:`aggregate_register` writes, in order."""
    cols = [covariate_column(k, lv) for k, levels in CATEGORIES.items() for lv in levels[1:]]
    return [*cols, "x_prior_mean", *(f"x_{c}" for c in LOCAL_COLUMNS)]


def aggregate_register(
    persons: pd.DataFrame, municipalities: pd.DataFrame, *, source: str = "register", validate: bool = True
) -> pd.DataFrame:
    """Aggregate a person register to one row per municipality and year.

    Parameters
    ----------
    persons, municipalities : DataFrame
        Person register and municipality table following ``docs/architecture.md``.
    source : str, keyword-only
        Label used in error messages.
    validate : bool, keyword-only
        Check both inputs (and their agreement) before aggregating. The output is always
        checked with :func:`analysis.core.validate.validate_aggregates`.

    Returns
    -------
    DataFrame
        Columns ``code``, ``year``, ``name``, ``population``, ``ft_<group>`` for the seven groups,
        then :func:`covariate_columns`; sorted by year and code with a default index.
        ``attrs["synthetic"]`` is carried over from the inputs.

    Raises
    ------
    InputError
        If an input breaks its contract, or a municipality-year has no persons.

    Notes
    -----
    For municipality *m* and year *t* with persons :math:`i \\in (m, t)`:
    :math:`\\text{ft}_{g} = \\sum_i y_{ig}` and :math:`x_{k,\\ell} = n^{-1}\\sum_i 1[x_{ik}=\\ell]`.
    Sums are taken in the persons' row order within each municipality-year.
    """
    if validate:
        validate_persons(persons, source=f"{source}: persons")
        validate_municipalities(municipalities, source=f"{source}: municipalities")
        validate_register(persons, municipalities, source=source)
    mun = municipalities.sort_values(["year", "code"], kind="stable").reset_index(drop=True)
    keys = pd.MultiIndex.from_arrays([mun["year"].to_numpy(), mun["code"].to_numpy()])
    p_keys = pd.MultiIndex.from_arrays([persons["year"].to_numpy(), persons["code"].to_numpy()])
    idx = keys.get_indexer(p_keys)
    if (idx < 0).any():
        rows = np.flatnonzero(idx < 0)
        raise InputError(
            f"{source}: persons in {rows.size} row(s) (first rows {rows[:5].tolist()}) have a (year, code) "
            "that is not in the municipality table"
        )
    k = len(mun)
    n = np.bincount(idx, minlength=k).astype(np.int64)
    if (n == 0).any():
        empty = [f"{c} in {y}" for y, c in keys[n == 0][:5]]
        raise InputError(f"{source}: no persons for {int((n == 0).sum())} municipality-year(s), e.g. {empty}")
    out = pd.DataFrame(
        {
            "code": mun["code"].to_numpy(),
            "year": mun["year"].to_numpy(),
            "name": mun["name"].to_numpy(),
            "population": n,
        }
    )
    for g in GROUPS:
        out[f"ft_{g}"] = np.bincount(idx, weights=persons[g].to_numpy(dtype=np.float64), minlength=k)
    for cov, levels in CATEGORIES.items():
        s = persons[cov]
        if not isinstance(s.dtype, pd.CategoricalDtype) or [str(c) for c in s.cat.categories] != list(levels):
            raise InputError(
                f"{source}: persons column {cov!r}: expected dtype category with levels {list(levels)}"
            )
        counts = np.bincount(
            idx * len(levels) + s.cat.codes.to_numpy().astype(np.int64), minlength=k * len(levels)
        )
        shares = counts.reshape(k, len(levels)) / n[:, None]
        for j, lv in enumerate(levels[1:], start=1):
            out[covariate_column(cov, lv)] = shares[:, j]
    out["x_prior_mean"] = (
        np.bincount(idx, weights=persons["prior"].to_numpy(dtype=np.float64), minlength=k) / n
    )
    for c in LOCAL_COLUMNS:
        out[f"x_{c}"] = mun[c].to_numpy(dtype=np.float64)
    out.attrs["synthetic"] = bool(
        persons.attrs.get("synthetic", False) or municipalities.attrs.get("synthetic", False)
    )
    validate_aggregates(out, source=f"{source}: aggregates")
    return out
