"""Syntetisk Danmark: a seeded synthetic person register with planted truth.

The 98 real municipalities (codes, names, regions, job centres and realistic sizes) are filled
with synthetic persons aged 16–66 whose covariates, benefit histories and shares of the year on
each benefit group follow the data contract in ``docs/architecture.md``. Every municipality has
a planted effect per benefit group, saved beside the data, so that estimators can be checked
against the truth. The data are **synthetic**: every frame carries ``attrs["synthetic"] = True``
and every file written says so in its metadata.

Planted truth
-------------
``truth.parquet`` has one row per municipality (``code``) and benefit group (``benefit``):

* ``gap_pp_<spec>`` — the *true gap in the model's units*: what the expected-caseload model
  with specification ``<spec>`` (``pooled`` or ``fe``) estimates when it is fitted on all the
  register's years together, in percentage points of the population 16–66. It is the model's
  point estimator applied to each person's expected share :math:`\\mu_{ig} = E[y_{ig}\\mid x_i, m]`
  instead of the drawn one (:func:`analysis.model.estimate.target_gaps`); because the estimator
  is linear in the outcome, :math:`E[\\hat d_m \\mid X] = d_m(\\mu)` exactly, so this is the
  value a 95 % interval should cover 95 % of the time. With fixed effects it contains the
  municipality's local labour market (unemployment, jobs, urbanisation), which the pooled
  specification models instead;
* ``gap_pp_<spec>_<year>`` — the same for one year fitted on its own, as a report on that
  period fits it (for a one-year register the two columns are equal);
* ``effect`` — the planted municipality factor's average additive shift of the expected share
  (share units, population-weighted mean 0). It is *not* what either specification estimates:
  it leaves out the local labour market that the fixed-effects gap contains and the part of the
  shift that the pooled specification attributes to the covariates. It is kept to describe the
  design (its correlations are the planted ones).

A benefit set's true gap is the sum of its groups' (:func:`true_gap`). The parameters record
the correlation of the true kontanthjælp and førtidspension gaps under each specification
(``true_gap_correlation``) beside the design's (``design_correlation``).

Amounts in the municipality table that follow the caseload (job-centre ``expenditure``,
``exits_to_work``) are on the register's scale: a 20,000-person sample has proportionally
smaller amounts than the full 3.7 million. Rates and shares do not depend on the sample size.

Examples
--------
>>> from analysis.data.synth import generate
>>> reg = generate(n_persons=20_000, seed=1)
>>> len(reg.persons), reg.municipalities["code"].nunique(), reg.persons.attrs["synthetic"]
(20000, 98, True)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.core.benefits import GROUPS
from analysis.core.io import write_json_atomic, write_parquet_atomic
from analysis.core.municipalities import registry
from analysis.core.validate import (
    CATEGORIES,
)
from analysis.data.register import SyntheticRegister

GENERATOR = "syntetisk-danmark/1"
#: Share of the total population aged 16–66, used to scale the registry's totals (≈ 3.7 million).
SHARE_16_66 = 0.63
FULL_SCALE = 3_700_000
#: Fewest persons drawn per municipality in a sample (Læsø would otherwise get a handful).
MIN_PER_MUNICIPALITY = 30
FILES = ("persons.parquet", "municipalities.parquet", "truth.parquet", "params.json")

_G = {g: j for j, g in enumerate(GROUPS)}
_NG = len(GROUPS)

# --- Municipality-level latent "deprivation" (positive: weaker labour market and more social
# problems), hand-set for places known for it, plus noise for the rest.
_DEPRIVATION: dict[int, float] = {
    360: 2.2,
    376: 1.4,
    482: 1.6,
    183: 1.8,
    153: 1.8,
    165: 1.6,
    169: 1.2,
    101: 0.9,
    306: 1.2,
    330: 1.0,
    773: 0.8,
    400: 0.9,
    390: 0.8,
    492: 0.6,
    825: 0.5,
    461: 0.6,
    167: 0.6,
    175: 0.6,
    813: 0.8,
    707: 0.7,
    326: 0.6,
    260: 0.5,
    730: 0.4,
    741: 0.3,
    157: -1.8,
    230: -1.8,
    173: -1.5,
    223: -1.6,
    201: -1.3,
    190: -1.0,
    240: -1.0,
    746: -1.0,
    147: -0.6,
    269: -1.0,
    350: -0.9,
    710: -0.9,
    727: -0.6,
    155: -1.2,
    187: -0.4,
    265: -0.5,
}
_CAPITAL_AREA = frozenset(
    {101, 147, 151, 153, 155, 157, 159, 161, 163, 165, 167, 169, 173, 175, 183, 185, 187, 190}
)
_COMMUTER_BELT = frozenset({201, 210, 219, 223, 230, 240, 253, 259, 265, 269})
_CITIES = frozenset({101, 147, 461, 751, 851})

# --- Baseline expected share of the year on each group: intercept + additive increments per
# covariate level (share units). Columns follow GROUPS:
#            dagpenge kontanthj sygedagp foertidsp fleksjob ledighedsy ressourcef
_INTERCEPT = np.array([0.008, 0.004, 0.004, 0.001, 0.0005, 0.0004, 0.0004])
_COEF: dict[str, np.ndarray] = {
    "age": np.array(
        [
            [0.000, 0.010, 0.000, 0.000, 0.000, 0.0000, 0.0010],  # 16-24
            [0.012, 0.008, 0.004, 0.000, 0.001, 0.0000, 0.0010],  # 25-29
            [0.010, 0.005, 0.009, 0.002, 0.003, 0.0005, 0.0015],  # 30-39
            [0.006, 0.003, 0.012, 0.005, 0.006, 0.0010, 0.0015],  # 40-49
            [0.008, 0.002, 0.017, 0.012, 0.010, 0.0020, 0.0010],  # 50-59
            [0.012, 0.000, 0.016, 0.020, 0.010, 0.0020, 0.0000],  # 60-66
        ]
    ),
    "sex": np.array(
        [
            [0.000, 0.000, 0.000, 0.000, 0.000, 0.0000, 0.0000],  # mand
            [0.002, 0.000, 0.008, 0.003, 0.004, 0.0003, 0.0003],  # kvinde
        ]
    ),
    "education": np.array(
        [
            [0.000, 0.015, 0.006, 0.010, 0.006, 0.0010, 0.0030],  # grundskole
            [0.002, 0.003, 0.003, 0.002, 0.002, 0.0003, 0.0000],  # gymnasial
            [0.004, 0.002, 0.006, 0.004, 0.006, 0.0005, 0.0000],  # erhvervsfaglig
            [0.006, 0.000, 0.000, 0.000, 0.002, 0.0000, 0.0000],  # videregaaende
        ]
    ),
    "origin": np.array(
        [
            [0.000, 0.000, 0.000, 0.000, 0.000, 0.0000, 0.0000],  # dansk
            [0.004, 0.006, 0.000, 0.000, 0.000, 0.0000, 0.0000],  # vestlig
            [0.006, 0.025, 0.004, 0.008, 0.000, 0.0005, 0.0030],  # ikke_vestlig
        ]
    ),
    "family": np.array(
        [
            [0.000, 0.006, 0.000, 0.006, 0.000, 0.0003, 0.0005],  # enlig
            [0.000, 0.012, 0.002, 0.002, 0.000, 0.0003, 0.0005],  # enlig_boern
            [0.000, 0.000, 0.000, 0.000, 0.000, 0.0000, 0.0000],  # par
            [0.000, 0.000, 0.002, 0.000, 0.000, 0.0000, 0.0000],  # par_boern
        ]
    ),
    "prior": np.array(
        [
            [0.000, 0.000, 0.000, 0.000, 0.000, 0.0000, 0.0000],  # 0 years of the last five
            [0.030, 0.035, 0.030, 0.010, 0.010, 0.0040, 0.0050],  # 1
            [0.025, 0.060, 0.030, 0.030, 0.030, 0.0060, 0.0100],  # 2
            [0.015, 0.080, 0.025, 0.080, 0.060, 0.0080, 0.0200],  # 3
            [0.005, 0.070, 0.020, 0.150, 0.080, 0.0100, 0.0250],  # 4
            [0.000, 0.020, 0.000, 0.360, 0.040, 0.0040, 0.0050],  # 5
        ]
    ),
}
# Local rammevilkår (centred at unemployment 4 %, 0.8 jobs per resident, urbanisation 0.5).
_LOCAL_CENTRE = {"unemployment_rate": 4.0, "jobs_per_resident": 0.8, "urbanisation": 0.5}
_LOCAL_COEF: dict[str, np.ndarray] = {
    "unemployment_rate": np.array([0.0030, 0.0040, 0.0010, 0.0020, 0.0000, 0.0005, 0.0005]),
    "jobs_per_resident": np.array([-0.0100, -0.0100, 0.0000, -0.0050, 0.0000, 0.0000, 0.0000]),
    "urbanisation": np.array([0.0000, 0.0040, 0.0000, -0.0060, -0.0040, 0.0000, 0.0000]),
}
#: Mean share of the year given that a person is on the group (12 × this = mean months).
_DURATION = np.array([0.45, 0.70, 0.40, 0.97, 0.85, 0.40, 0.80])
#: Standard deviation of the planted municipality multiplier per group (relative change of the
#: expected share; the multiplier is 1 + sd · factor, at least _MIN_MULTIPLIER).
_EFFECT_SD = np.array([0.45, 0.48, 0.42, 0.22, 0.22, 0.25, 0.45])
_MIN_MULTIPLIER = 0.15
#: Correlation of the general job-centre quality across dagpenge, kontanthjælp and sygedagpenge.
_QUALITY_CORR = 0.6
# Spells, exits and employment after exit, per group.
_P_CARRY = np.array([0.3, 0.6, 0.3, 0.95, 0.8, 0.5, 0.7])
_P_EXIT = np.array([0.80, 0.45, 0.85, 0.01, 0.15, 0.50, 0.20])
_P_EMPLOYED = np.array([0.70, 0.35, 0.75, 0.10, 0.30, 0.40, 0.20])
_COST_PER_FT = 0.015  # DKK million of job-centre administration per full-time recipient


def _allocate(weights: np.ndarray, n: int, floor: int) -> np.ndarray:
    """Integers summing to ``n``, proportional to ``weights`` but at least ``floor`` each."""
    w = weights / weights.sum()
    fixed = np.zeros(w.size, dtype=bool)
    while True:
        free = n - floor * fixed.sum()
        x = np.where(fixed, float(floor), free * w / w[~fixed].sum())
        newly = (~fixed) & (x < floor)
        if not newly.any():
            break
        fixed |= newly
    out = np.floor(x).astype(np.int64)
    rest = n - out.sum()
    order = np.argsort(-(x - out), kind="stable")
    out[order[:rest]] += 1
    return out


def _draw_categorical(rng: np.random.Generator, prob: np.ndarray) -> np.ndarray:
    """One draw per row of a (rows × levels) probability matrix (rows sum to 1)."""
    cum = np.cumsum(prob, axis=1)
    u = rng.random(prob.shape[0]) * cum[:, -1]
    return (u[:, None] >= cum[:, :-1]).sum(axis=1).astype(np.int8)


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _check_options(
    n_persons: object, seed: object, years: object, tradeoff_corr: object, tradeoff: object
) -> tuple[int, ...]:
    if isinstance(n_persons, bool) or not isinstance(n_persons, (int, np.integer)):
        raise ValueError(f"n_persons: expected a whole number, got {n_persons!r}")
    if n_persons < 98 * 10:
        raise ValueError(f"n_persons: expected at least 980 (10 per municipality), got {n_persons}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected a non-negative whole number, got {seed!r}")
    if not isinstance(tradeoff, (bool, np.bool_)):
        raise ValueError(f"tradeoff: expected True or False, got {tradeoff!r}")
    if isinstance(years, (str, bytes)) or not isinstance(years, Sequence) or len(years) == 0:
        raise ValueError(f"years: expected a non-empty sequence of calendar years, got {years!r}")
    ys = []
    for y in years:
        if isinstance(y, bool) or not isinstance(y, (int, np.integer)) or not 1900 <= int(y) <= 2100:
            raise ValueError(f"years: expected calendar years 1900–2100, got {y!r}")
        ys.append(int(y))
    if len(set(ys)) != len(ys):
        raise ValueError(f"years: duplicated year in {ys}")
    if not isinstance(tradeoff_corr, (int, float, np.floating)) or not -1.0 < float(tradeoff_corr) < 1.0:
        raise ValueError(
            f"tradeoff_corr: expected a correlation strictly between -1 and 1, got {tradeoff_corr!r}"
        )
    return tuple(sorted(ys))


def _planted_factors(
    rng: np.random.Generator, *, tradeoff: bool, rho: float
) -> tuple[np.ndarray, dict[str, float]]:
    """Standardised municipality factors (98 × groups) with the designed correlations.

    Independent normal draws are whitened so their sample covariance over the 98
    municipalities is the identity, then combined linearly: dagpenge, kontanthjælp and
    sygedagpenge share a general job-centre quality factor (pairwise correlation
    ``_QUALITY_CORR``); with the trade-off,
    førtidspension = ρ·kontanthjælp + √(1−ρ²)·noise and ressourceforløb likewise with
    ρ_r = ρ·√(1−ρ²)/2, so the *sample* correlations equal the design exactly.
    """
    z = rng.standard_normal((98, _NG + 1))
    z -= z.mean(axis=0)
    chol = np.linalg.cholesky(np.cov(z, rowvar=False))
    w = np.linalg.solve(chol, z.T).T  # sample covariance = identity
    q, u = w[:, -1], w[:, :-1]
    a = np.sqrt(_QUALITY_CORR)
    f = u.copy()
    for g in ("dagpenge", "kontanthjaelp", "sygedagpenge"):
        f[:, _G[g]] = a * q + np.sqrt(1 - _QUALITY_CORR) * u[:, _G[g]]
    rho_r = rho * np.sqrt(1 - rho**2) / 2 if tradeoff else 0.0
    rho_fp = rho if tradeoff else 0.0
    kh = f[:, _G["kontanthjaelp"]]
    f[:, _G["foertidspension"]] = rho_fp * kh + np.sqrt(1 - rho_fp**2) * u[:, _G["foertidspension"]]
    f[:, _G["ressourceforloeb"]] = rho_r * kh + np.sqrt(1 - rho_r**2) * u[:, _G["ressourceforloeb"]]
    return f, {"kontanthjaelp_foertidspension": rho_fp, "kontanthjaelp_ressourceforloeb": float(rho_r)}


def _municipality_frame(rng: np.random.Generator) -> pd.DataFrame:
    reg = registry().sort_values("code")
    code = reg["code"].to_numpy()
    logpop = np.log(reg["population_total"].to_numpy(dtype=float))
    zpop = (logpop - logpop.mean()) / logpop.std()
    dep = np.array([_DEPRIVATION.get(int(c), 0.0) for c in code]) + 0.5 * rng.standard_normal(98)
    capital = np.isin(code, list(_CAPITAL_AREA))
    city = np.isin(code, list(_CITIES))
    belt = np.isin(code, list(_COMMUTER_BELT))
    urb = _sigmoid(
        -0.4 + 1.2 * zpop + 2.5 * capital + 1.5 * belt + 1.5 * city + 0.4 * rng.standard_normal(98)
    )
    urb = np.clip(urb, 0.05, 0.995)
    unemp = np.clip(3.7 + 0.9 * dep + 0.4 * urb + 0.3 * rng.standard_normal(98), 2.0, 7.0)
    jobs = np.clip(0.72 + 0.25 * urb + 0.25 * city - 0.05 * dep + 0.08 * rng.standard_normal(98), 0.45, 1.4)
    return pd.DataFrame(
        {
            "code": code,
            "name": reg["name"].to_numpy(),
            "region": reg["region"].to_numpy(),
            "jobcenter": reg["jobcenter"].to_numpy(),
            "size": reg["population_total"].to_numpy(dtype=float) * SHARE_16_66,
            "deprivation": dep,
            "urbanisation": urb,
            "unemployment_rate": unemp,
            "jobs_per_resident": jobs,
        }
    )


def _draw_persons(rng: np.random.Generator, m: np.ndarray, mun: pd.DataFrame) -> dict[str, np.ndarray]:
    """Person covariates (level indices) given each person's municipality index ``m``."""
    n = m.size
    urb = mun["urbanisation"].to_numpy()
    dep = mun["deprivation"].to_numpy()
    uc = urb - 0.6
    # age: cities younger (more 25-39), peripheries older
    age_base = np.log([0.18, 0.10, 0.18, 0.19, 0.21, 0.14])
    age_tilt = np.array([0.15, 0.8, 0.45, 0.0, -0.25, -0.45])
    age = _draw_categorical(rng, _softmax(age_base + uc[:, None] * age_tilt)[m])
    sex = (rng.random(n) < 0.495).astype(np.int8)
    # origin: more non-Western immigrants and descendants in cities and deprived suburbs
    p_nv = np.clip(0.05 + 0.045 * dep + 0.12 * urb, 0.02, 0.42)
    p_v = np.clip(0.035 + 0.04 * urb, 0.02, 0.1)
    origin = _draw_categorical(rng, np.column_stack([1 - p_nv - p_v, p_v, p_nv])[m])
    # education: by age, origin and the municipality's affluence
    edu_base = np.log([0.17, 0.13, 0.37, 0.33])
    edu_age = np.array(
        [
            [1.6, 1.1, -1.0, -1.2],
            [0.0, 0.3, 0.0, 0.3],
            [0, 0, 0, 0.2],
            [0, -0.2, 0.1, 0],
            [0.2, -0.5, 0.2, -0.2],
            [0.4, -0.7, 0.2, -0.3],
        ]
    )
    edu_origin = np.array([[0, 0, 0, 0], [0.1, 0.2, -0.4, 0.2], [0.9, 0.1, -0.6, -0.3]])
    edu_mun = np.column_stack(
        [0.3 * dep, -0.1 * dep + 0.3 * uc, 0.2 * dep - 0.6 * uc, -0.45 * dep + 1.0 * uc]
    )
    education = _draw_categorical(rng, _softmax(edu_base + edu_age[age] + edu_origin[origin] + edu_mun[m]))
    # family type: by age, sex and urbanisation
    fam_age = np.log(
        np.array(
            [
                [0.80, 0.03, 0.14, 0.03],
                [0.45, 0.05, 0.33, 0.17],
                [0.22, 0.08, 0.15, 0.55],
                [0.20, 0.10, 0.12, 0.58],
                [0.25, 0.04, 0.55, 0.16],
                [0.27, 0.01, 0.70, 0.02],
            ]
        )
    )
    fam_sex = np.array([[0.0, -0.8, 0.0, 0.0], [0.0, 0.6, 0.0, 0.0]])
    fam_mun = np.column_stack([0.6 * uc, 0.1 * dep, -0.2 * uc, -0.3 * uc])
    family = _draw_categorical(rng, _softmax(fam_age[age] + fam_sex[sex] + fam_mun[m]))
    # prior benefit years (0-5): ordered logit on a risk score
    risk = (
        np.array([0.9, 0.1, 0.0, -0.9])[education]
        + np.array([0.0, 0.2, 0.8])[origin]
        + np.array([-0.9, -0.2, 0.0, 0.15, 0.4, 0.6])[age]
        + np.array([0.4, 0.6, -0.3, -0.3])[family]
        + 0.25 * dep[m]
    )
    latent = risk - 0.35 + rng.logistic(size=n)
    prior = np.searchsorted(np.array([1.05, 1.50, 1.86, 2.22, 2.70]), latent).astype(np.int8)
    return {
        "age": age,
        "sex": sex,
        "education": education,
        "origin": origin,
        "family": family,
        "prior": prior,
    }


def truth_column(spec: str, period: str | int | None = None) -> str:
    """Name of the truth column of ``spec`` for one year (``period``) or all years (None)."""
    if spec not in ("pooled", "fe"):
        raise ValueError(f"spec: expected 'pooled' or 'fe', got {spec!r}")
    return f"gap_pp_{spec}" if period is None else f"gap_pp_{spec}_{int(period)}"


def true_gap(truth: pd.DataFrame, benefits: Any, *, spec: str, period: str | int | None = None) -> pd.Series:
    """The true gap (pp) of a benefit set in the model's units, per municipality.

    Parameters
    ----------
    truth : DataFrame
        ``truth.parquet`` of a register (:attr:`SyntheticRegister.truth`).
    benefits : BenefitSet or str
        A benefit set or a name :class:`~analysis.core.params.BenefitSet` parses; its true gap
        is the sum of its groups' (the estimator is linear in the outcome).
    spec : {"pooled", "fe"}
        The specification whose estimand is wanted.
    period : str or int, optional
        The year fitted on its own (as a report on one period fits it); None for all the
        register's years fitted together (as :func:`analysis.model.fit` on the whole register).

    Returns
    -------
    Series
        Indexed by ``code``, in percentage points of the population 16–66.

    Raises
    ------
    ValueError
        A spec other than ``pooled``/``fe``; a year or a group the truth does not have.
    """
    from analysis.core.params import BenefitSet

    col = truth_column(spec, period)
    if col not in truth.columns:
        have = sorted(c for c in truth.columns if c.startswith("gap_pp_"))
        raise ValueError(f"period: the truth has no column {col!r}; it has {have}")
    groups = BenefitSet.parse(benefits).groups
    missing = [g for g in groups if g not in set(truth["benefit"].astype(str))]
    if missing:
        raise ValueError(f"benefits: the truth has no rows for {missing}")
    rows = truth[truth["benefit"].astype(str).isin(groups)]
    out = rows.groupby(rows["code"].astype("int64"))[col].sum()
    out.index.name = "code"
    return out.rename("true_gap_pp")


def _model_truth(
    person_frames: list[pd.DataFrame],
    expected_shares: list[np.ndarray],
    mun_frames: list[pd.DataFrame],
    years: tuple[int, ...],
) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The gaps each specification targets (:func:`analysis.model.estimate.target_gaps`).

    The estimator is applied to each person's expected shares instead of the drawn ones: for
    all years together and, with several years, for each year on its own. Returns the truth
    columns (name → code × group frame, pp) and a description of each for ``params``.
    """
    from analysis.model.estimate import target_gaps

    ids = ["year", "code", *CATEGORIES, "prior"]

    def expected_frame(ts: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
        frames = []
        for t in ts:
            f = person_frames[t][ids].copy()
            for j, g in enumerate(GROUPS):
                f[g] = expected_shares[t][:, j]
            frames.append(f)
        e = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        m = pd.concat([mun_frames[t] for t in ts], ignore_index=True)
        return e, m

    samples: dict[int | None, list[int]] = {None: list(range(len(years)))}
    samples.update({y: [t] for t, y in enumerate(years)})
    out: dict[str, pd.DataFrame] = {}
    note: dict[str, str] = {}
    for year, ts in samples.items():
        what = "all years fitted together" if year is None else f"{year} fitted on its own"
        if len(years) == 1 and year is not None:  # the one year is the whole register
            gaps = {spec: out[truth_column(spec)] for spec in ("pooled", "fe")}
        else:
            gaps = target_gaps(*expected_frame(ts), groups=GROUPS)
        for spec, wide in gaps.items():
            col = truth_column(spec, year)
            out[col] = wide
            note[col] = f"true gap (pp) of the {spec} specification, {what}"
    return out, note


def generate(
    *,
    n_persons: int = FULL_SCALE,
    seed: int = 0,
    tradeoff: bool = True,
    years: Sequence[int] = (2024,),
    tradeoff_corr: float = -0.6,
) -> SyntheticRegister:
    """Draw Syntetisk Danmark: persons 16–66 in the 98 municipalities, with planted truth.

    Parameters
    ----------
    n_persons : int
        Persons per year (full scale 3,700,000). They are allocated to municipalities in
        proportion to their 16–66 population, with at least 30 per municipality (fewer only
        when ``n_persons`` < 2,940).
    seed : int
        Seed of :func:`numpy.random.default_rng`; the same seed gives identical data.
    tradeoff : bool
        Plant the kontanthjælp–førtidspension trade-off (negatively correlated municipality
        effects). With False the two are drawn independently.
    years : sequence of int
        Calendar years; each year has its own persons and local conditions, the planted
        municipality effects are the same in every year.
    tradeoff_corr : float
        Correlation across the 98 municipalities of the kontanthjælp and førtidspension factors
        when ``tradeoff`` is True (strictly between −1 and 1).

    Returns
    -------
    SyntheticRegister
        ``persons``, ``municipalities`` and ``truth`` frames (``attrs["synthetic"] = True``) and
        the ``params`` dict (JSON-serialisable) with every design constant and realised
        summary.

    Notes
    -----
    Person *i* in municipality *m* has covariate levels :math:`x_i` (age band, sex, education,
    origin, family type, prior benefit years) drawn from distributions that vary with the
    municipality's urbanisation and deprivation. The baseline expected share on group *g* is
    additive,

    .. math:: b_{ig} = \\alpha_g + \\sum_k \\gamma_{g,k}(x_{ik}) + \\lambda_g'(z_m - \\bar z),

    with local rammevilkår :math:`z_m` (unemployment rate, jobs per resident, urbanisation),
    and the municipality multiplies it by :math:`\\max(1 + \\sigma_g f_{mg}, 0.15)` where the factors
    :math:`f` have the designed correlations (see ``_planted_factors``). Expected shares
    :math:`\\mu_{ig}` are scaled down where :math:`\\sum_g \\mu_{ig}/d_g > 1` (:math:`d_g` the mean
    share of the year given group *g*). A person is on group *g* with probability
    :math:`\\mu_{ig}/d_g` (at most one group a year) for :math:`1 + \\text{Bin}(11, (12 d_g-1)/11)`
    months, so :math:`E[y_{ig} \\mid x_i, m] = \\mu_{ig}` exactly. The truth in the model's units
    (``gap_pp_<spec>``, module docstring) is the model's estimator applied to :math:`\\mu`. The
    design is also summarised by the municipality's average additive shift of the expected share,

    .. math:: \\text{effect}_{mg} = \\frac{1}{n_m}\\sum_{i\\in m} (\\mu_{ig} - \\mu^0_{ig}) - c_g,

    where :math:`\\mu^0` is the expected share without the municipality factor and :math:`c_g`
    makes the population-weighted mean zero; it is not what either specification estimates.

    References
    ----------
    Ministry of Employment (2018), letter on the benchmark of municipalities' employment efforts;
    KL (2018), letter to the Folketing's employment committee (the kontanthjælp–førtidspension
    "forbundne kar").
    """
    ys = _check_options(n_persons, seed, years, tradeoff_corr, tradeoff)
    n_persons, seed, rho = int(n_persons), int(seed), float(tradeoff_corr)
    rng = np.random.default_rng(seed)
    mun0 = _municipality_frame(rng)
    floor = min(MIN_PER_MUNICIPALITY, n_persons // 98)
    alloc = _allocate(mun0["size"].to_numpy(), n_persons, floor)
    factors, design_corr = _planted_factors(rng, tradeoff=bool(tradeoff), rho=rho)
    rel = _EFFECT_SD * (factors - (alloc / alloc.sum()) @ factors)  # weighted mean zero
    mult = np.maximum(1.0 + rel, _MIN_MULTIPLIER)  # 98 × groups; linear keeps the correlations
    exit_shift = 0.3 * rng.standard_normal(98)
    emp_shift = 0.35 * rng.standard_normal(98)
    efficiency = 0.15 * rng.standard_normal(98)
    # better kontanthjælp results go with a little more contact (more conversations)
    conv_base = np.clip(14 - 4 * rel[:, _G["kontanthjaelp"]] + 2.5 * rng.standard_normal(98), 5, 30)
    offer_base = np.clip(
        0.3 + 0.05 * rng.standard_normal(98) + 0.03 * mun0["deprivation"].to_numpy(), 0.12, 0.5
    )

    m_idx = np.repeat(np.arange(98), alloc)
    expected_shares: list[np.ndarray] = []
    shift_sum = np.zeros((98, _NG))
    scaled_count = 0
    clipped_count = 0
    person_frames, mun_frames = [], []
    for t, year in enumerate(ys):
        shock = 0.0 if t == 0 else 0.3 * rng.standard_normal()
        unemp = np.clip(
            mun0["unemployment_rate"].to_numpy() + shock + (0.15 * rng.standard_normal(98) if t else 0),
            1.5,
            8.0,
        )
        jobs = mun0["jobs_per_resident"].to_numpy() * (1 + (0.01 * rng.standard_normal(98) if t else 0))
        urb = mun0["urbanisation"].to_numpy()
        local = (
            np.outer(unemp - _LOCAL_CENTRE["unemployment_rate"], _LOCAL_COEF["unemployment_rate"])
            + np.outer(jobs - _LOCAL_CENTRE["jobs_per_resident"], _LOCAL_COEF["jobs_per_resident"])
            + np.outer(urb - _LOCAL_CENTRE["urbanisation"], _LOCAL_COEF["urbanisation"])
        )
        x = _draw_persons(rng, m_idx, mun0)
        base = _INTERCEPT + local[m_idx]
        for k in ("age", "sex", "education", "origin", "family", "prior"):
            base += _COEF[k][x[k]]
        clipped_count += int((base < 1e-4).sum())
        np.maximum(base, 1e-4, out=base)
        mu = base * mult[m_idx]
        # keep the probabilities of being on each group summing to at most 1
        for arr, count in ((base, False), (mu, True)):
            s = (arr / _DURATION).sum(axis=1)
            over = s > 1.0
            if count:
                scaled_count += int(over.sum())
            arr[over] /= s[over, None]
        diff = mu - base
        for j in range(_NG):
            shift_sum[:, j] += np.bincount(m_idx, weights=diff[:, j], minlength=98)
        del diff, base
        pi = mu / _DURATION
        expected_shares.append(mu)  # E[y | x, m] per person and group, for the truth in model units
        del mu
        cum = np.cumsum(pi, axis=1)
        del pi
        u = rng.random(m_idx.size)
        grp = (u[:, None] >= cum).sum(axis=1).astype(np.int8)  # 0..6 group, 7 none
        del cum, u
        on = grp < _NG
        g_on = grp[on]
        p_month = (12 * _DURATION - 1) / 11
        months = np.zeros(m_idx.size, dtype=np.int16)
        months[on] = 1 + rng.binomial(11, p_month[g_on])
        persons = pd.DataFrame(
            {
                "year": np.full(m_idx.size, year, dtype=np.int16),
                "code": mun0["code"].to_numpy().astype(np.int16)[m_idx],
            }
        )
        for k, levels in CATEGORIES.items():
            persons[k] = pd.Categorical.from_codes(x[k], categories=pd.Index(levels, dtype="str"))
        persons["prior"] = x["prior"]
        share = months.astype(np.float64) / 12.0
        for j, g in enumerate(GROUPS):
            persons[g] = np.where(grp == j, share, 0.0)
        # spells, exits and employment three months after exit
        carry = on & (x["prior"] > 0) & (rng.random(m_idx.size) < _P_CARRY[np.minimum(grp, _NG - 1)])
        spell = months + np.where(carry, 12 * x["prior"].astype(np.int16), 0).astype(np.int16)
        p_exit = np.zeros(m_idx.size)
        p_exit[on] = _sigmoid(np.log(_P_EXIT[g_on] / (1 - _P_EXIT[g_on])) + exit_shift[m_idx[on]])
        exited = on & (months < 12) & (rng.random(m_idx.size) < p_exit)
        edu = x["education"]
        logit_emp = (
            np.log(_P_EMPLOYED / (1 - _P_EMPLOYED))[np.minimum(grp, _NG - 1)]
            + emp_shift[m_idx]
            + 0.4 * (edu == 3)
            - 0.4 * (edu == 0)
        )
        employed = exited & (rng.random(m_idx.size) < _sigmoid(logit_emp))
        persons["spell_months"] = spell.astype(np.int16)
        persons["exited"] = exited
        persons["employed_3m"] = employed
        person_frames.append(persons)

        ft_total = np.bincount(m_idx, weights=share, minlength=98)
        recipients = np.maximum(ft_total, 1e-9)
        conv = np.clip(conv_base + 0.5 * rng.standard_normal(98), 3, 40)
        mun_frames.append(
            pd.DataFrame(
                {
                    "year": np.full(98, year, dtype=np.int16),
                    "code": mun0["code"].to_numpy().astype(np.int16),
                    "name": mun0["name"].to_numpy(),
                    "region": mun0["region"].to_numpy(),
                    "jobcenter": mun0["jobcenter"].to_numpy().astype(np.int16),
                    "population": alloc.astype(np.int64),
                    "unemployment_rate": np.round(unemp, 2),
                    "jobs_per_resident": np.round(jobs, 3),
                    "urbanisation": np.round(urb, 3),
                    "expenditure": np.round(
                        _COST_PER_FT * recipients * np.exp(efficiency + 0.05 * rng.standard_normal(98)), 4
                    ),
                    "conversations_per_recipient": np.round(conv, 2),
                    "conversations_share_ok": np.round(
                        _sigmoid(1.5 + 0.1 * (conv - 14) + 0.5 * rng.standard_normal(98)), 3
                    ),
                    "no_offer_share": np.round(
                        np.clip(offer_base + 0.02 * rng.standard_normal(98), 0.05, 0.6), 3
                    ),
                    "exits_to_work": np.bincount(m_idx, weights=employed, minlength=98).astype(np.int64),
                }
            )
        )

    n_total = alloc * len(ys)
    effect = shift_sum / n_total[:, None]
    effect -= (n_total / n_total.sum()) @ effect  # population-weighted mean zero
    codes = mun0["code"].to_numpy()
    truth = pd.DataFrame(
        {
            "code": np.repeat(codes, _NG).astype(np.int16),
            "benefit": pd.Categorical(
                np.tile(np.asarray(GROUPS, dtype=object), 98), categories=pd.Index(GROUPS, dtype="str")
            ),
            "effect": effect.ravel(),
        }
    )
    persons = pd.concat(person_frames, ignore_index=True) if len(person_frames) > 1 else person_frames[0]
    municipalities = pd.concat(mun_frames, ignore_index=True) if len(mun_frames) > 1 else mun_frames[0]
    gaps, truth_note = _model_truth(person_frames, expected_shares, mun_frames, ys)
    del expected_shares
    for col, wide in gaps.items():
        truth[col] = wide.reindex(index=codes, columns=list(GROUPS)).to_numpy().ravel()
    w = n_total / n_total.sum()

    def wcorr(a: np.ndarray, b: np.ndarray) -> float:
        am, bm = a - w @ a, b - w @ b
        return float((w @ (am * bm)) / np.sqrt((w @ am**2) * (w @ bm**2)))

    kh, fp, rf = (
        effect[:, _G["kontanthjaelp"]],
        effect[:, _G["foertidspension"]],
        effect[:, _G["ressourceforloeb"]],
    )
    n_rows = m_idx.size * len(ys)
    params: dict[str, Any] = {
        "generator": GENERATOR,
        "synthetic": True,
        "seed": seed,
        "n_persons": n_persons,
        "n_persons_per_year": n_persons,
        "years": list(ys),
        "tradeoff": bool(tradeoff),
        "tradeoff_corr": rho,
        "design_correlation": {**design_corr, "quality_dagpenge_kontanthjaelp_sygedagpenge": _QUALITY_CORR},
        "realised_correlation": {
            "kontanthjaelp_foertidspension": float(np.corrcoef(kh, fp)[0, 1]),
            "kontanthjaelp_foertidspension_weighted": wcorr(kh, fp),
            "kontanthjaelp_ressourceforloeb": float(np.corrcoef(kh, rf)[0, 1]),
            "factor_kontanthjaelp_foertidspension": float(np.corrcoef(factors[:, 1], factors[:, 3])[0, 1]),
        },
        "effect_sd": {g: float(np.sqrt(w @ effect[:, j] ** 2)) for j, g in enumerate(GROUPS)},
        "truth_columns": truth_note,
        "true_gap_correlation": {
            col: {
                "kontanthjaelp_foertidspension": float(
                    np.corrcoef(wide["kontanthjaelp"], wide["foertidspension"])[0, 1]
                ),
                "kontanthjaelp_ressourceforloeb": float(
                    np.corrcoef(wide["kontanthjaelp"], wide["ressourceforloeb"])[0, 1]
                ),
            }
            for col, wide in gaps.items()
            if col in ("gap_pp_pooled", "gap_pp_fe")
        },
        "min_per_municipality": int(floor),
        "share_16_66": SHARE_16_66,
        "coefficients": {
            "intercept": dict(zip(GROUPS, _INTERCEPT.tolist(), strict=True)),
            **{
                k: {
                    str(lv): dict(zip(GROUPS, row.tolist(), strict=True))
                    for lv, row in zip(CATEGORIES.get(k, tuple(range(6))), v, strict=True)
                }
                for k, v in _COEF.items()
            },
            "local": {k: dict(zip(GROUPS, v.tolist(), strict=True)) for k, v in _LOCAL_COEF.items()},
            "local_centre": dict(_LOCAL_CENTRE),
        },
        "mean_share_given_on": dict(zip(GROUPS, _DURATION.tolist(), strict=True)),
        "effect_relative_sd": dict(zip(GROUPS, _EFFECT_SD.tolist(), strict=True)),
        "municipality_multiplier": {
            str(c): dict(zip(GROUPS, np.round(r, 12).tolist(), strict=True))
            for c, r in zip(codes, mult, strict=True)
        },
        "exit_logit_shift": {str(c): float(v) for c, v in zip(codes, exit_shift, strict=True)},
        "employment_after_exit_logit_shift": {
            str(c): float(v) for c, v in zip(codes, emp_shift, strict=True)
        },
        "employment_after_exit_base_rate": dict(zip(GROUPS, _P_EMPLOYED.tolist(), strict=True)),
        "cost_per_full_time_person_dkk_million": _COST_PER_FT,
        "fraction_persons_scaled_to_sum_1": scaled_count / n_rows,
        "fraction_person_groups_floored": clipped_count / (n_rows * _NG),
    }
    for df in (persons, municipalities, truth):
        df.attrs["synthetic"] = True
    return SyntheticRegister(
        persons=persons, municipalities=municipalities, truth=truth, params=params, synthetic=True
    )


def write_register(
    out_dir: str | Path,
    *,
    n_persons: int = FULL_SCALE,
    seed: int = 0,
    tradeoff: bool = True,
    years: Sequence[int] = (2024,),
    tradeoff_corr: float = -0.6,
) -> Path:
    """Generate a register and write ``persons``, ``municipalities``, ``truth`` (Parquet) and ``params.json``.

    Every file is written atomically; the parameters are stored in ``params.json`` and in the
    Parquet schema metadata under the key ``kommunebench`` (with ``"synthetic": true``). The
    same arguments give byte-identical files.

    Returns
    -------
    Path
        ``out_dir``.
    """
    reg = generate(
        n_persons=n_persons, seed=seed, tradeoff=tradeoff, years=years, tradeoff_corr=tradeoff_corr
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    meta = {"synthetic": True, "generator": GENERATOR, "params": reg.params}
    write_parquet_atomic(reg.persons, out / "persons.parquet", metadata=meta)
    write_parquet_atomic(reg.municipalities, out / "municipalities.parquet", metadata=meta)
    write_parquet_atomic(reg.truth, out / "truth.parquet", metadata=meta)
    write_json_atomic(reg.params, out / "params.json")
    return out


__all__ = ["FILES", "generate", "true_gap", "truth_column", "write_register"]
