"""A tiny random register for unit tests of the model (synthetic; not Syntetisk Danmark).

:func:`random_register` follows the person and municipality schemas of ``docs/architecture.md``
and plants a known municipality effect per benefit group, so that estimators can be checked
against independent fits on the raw rows. Its frames carry ``attrs["synthetic"] = True``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.core.benefits import GROUPS
from analysis.model.cells import LEVELS


@dataclass(frozen=True)
class RandomRegister:
    persons: pd.DataFrame
    municipalities: pd.DataFrame
    truth: pd.DataFrame  # code, benefit, effect (population-weighted mean 0)


def random_register(
    *,
    n_persons: int = 5_000,
    n_municipalities: int = 12,
    years: tuple[int, ...] = (2017,),
    seed: int = 0,
    effect_sd: float = 0.008,
    local_slope: float = 0.002,
) -> RandomRegister:
    """Draw a small synthetic register with planted municipality effects.

    Shares are whole months / 12 (as in the register), so each set total takes at most 13
    values. Each group's share has mean ``base_g + x'γ_g + effect_{m,g}`` (clipped to [0, 1]).
    """
    rng = np.random.default_rng(seed)
    codes = np.arange(101, 101 + 2 * n_municipalities, 2)
    size = rng.dirichlet(np.full(n_municipalities, 3.0))
    code = rng.choice(codes, size=n_persons, p=size)
    year = rng.choice(np.asarray(years), size=n_persons)
    cat = {}
    for col in ("age", "sex", "education", "origin", "family"):
        lv = LEVELS[col]
        p = rng.dirichlet(np.full(len(lv), 4.0))
        cat[col] = pd.Categorical.from_codes(rng.choice(len(lv), size=n_persons, p=p), categories=list(lv))
    prior = rng.choice(6, size=n_persons, p=[0.55, 0.15, 0.1, 0.08, 0.07, 0.05]).astype(np.int8)
    mun_rows = []
    for y in years:
        for c in codes:
            mun_rows.append(
                {
                    "year": y,
                    "code": int(c),
                    "name": f"Municipality {c}",
                    "population": 0,
                    "unemployment_rate": rng.uniform(2, 7),
                    "jobs_per_resident": rng.uniform(0.5, 1.2),
                    "urbanisation": rng.uniform(0.1, 0.9),
                }
            )
    mun = pd.DataFrame(mun_rows)
    mun["year"] = mun["year"].astype("int16")
    mun["code"] = mun["code"].astype("int16")
    key = pd.MultiIndex.from_arrays([year, code])
    counts = pd.Series(1, index=key).groupby(level=[0, 1]).sum()
    mun["population"] = [int(counts.get((y, c), 0)) for y, c in zip(mun["year"], mun["code"], strict=True)]
    loc = mun.set_index(["year", "code"]).loc[key, ["unemployment_rate", "jobs_per_resident", "urbanisation"]]
    eff = rng.normal(0, effect_sd, size=(n_municipalities, len(GROUPS)))
    w = np.bincount(np.searchsorted(codes, code), minlength=n_municipalities) / n_persons
    eff -= w @ eff  # population-weighted mean zero
    ci = np.searchsorted(codes, code)
    persons = pd.DataFrame(
        {"year": year.astype("int16"), "code": code.astype("int16"), **cat, "prior": prior}
    )
    remaining = np.ones(n_persons)
    for j, g in enumerate(GROUPS):
        mean = (
            0.01
            + 0.01 * (cat["education"].codes == 0)
            + 0.008 * prior
            + 0.006 * (cat["origin"].codes == 2)
            + local_slope * loc["unemployment_rate"].to_numpy()
            + 0.006 * (cat["age"].codes >= 4) * (j >= 3)
            + eff[ci, j]
        )
        months = rng.binomial(12, np.clip(mean, 0, 1))
        share = np.minimum(months / 12.0, remaining)
        share = np.floor(share * 12 + 1e-9) / 12
        remaining = remaining - share
        persons[g] = share
    persons["spell_months"] = np.zeros(n_persons, dtype=np.int16)
    persons["exited"] = False
    persons["employed_3m"] = False
    persons.attrs["synthetic"] = True
    mun.attrs["synthetic"] = True
    truth = pd.DataFrame(
        [
            {"code": int(c), "benefit": g, "effect": eff[i, j]}
            for i, c in enumerate(codes)
            for j, g in enumerate(GROUPS)
        ]
    )
    return RandomRegister(persons=persons, municipalities=mun, truth=truth)
