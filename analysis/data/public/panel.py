"""The public municipality × period table: real outcomes (Y30R21) beside public rammevilkår (DST).

:func:`build_panel` returns one row per municipality and Y30R21 period (98 × 6 = 588 rows);
:func:`write_panel` writes it to ``data/processed/public/panel.parquet`` with a JSON codebook
beside it (:func:`codebook`: sources with sha256, column definitions, the interpolation rule per
covariate). Nothing from the Ministry's published benchmark (expected counts, differences, ranks)
is read: the official figures are for comparison only, never a model input.

Periods
-------
Y30R21 is published half-yearly over rolling 12-month windows (month precision):

==============  ====================  ==========================
period          window                calendar-year weights
==============  ====================  ==========================
``2020QMAT02``  2019-07 … 2020-06     ½ · 2019 + ½ · 2020
``2020QMAT04``  2020-01 … 2020-12     2020
``2021QMAT02``  2020-07 … 2021-06     ½ · 2020 + ½ · 2021
``2021QMAT04``  2021-01 … 2021-12     2021
``2022QMAT02``  2021-07 … 2022-06     ½ · 2021 + ½ · 2022
``2022QMAT04``  2022-01 … 2022-12     2022
==============  ====================  ==========================

Outcomes
--------
``population`` is the benchmark population 16–66 recovered from the overall row (see
:mod:`analysis.data.public.jobindsats`); ``ft_<key>`` the actual full-time persons and
``share_<key>`` their share in per cent as published, for ``key`` in ``bm2019`` (Ydelsesgrupper i
alt), ``dagpenge``, ``sygedagpenge``, ``kontanthjaelp`` (the Y30R21 areas). Two published shares
that contradict their own counts are recomputed (``KNOWN_SHARE_DEFECTS``, listed in the codebook).

Covariates (rammevilkår)
------------------------
Public municipality-level indicators from Statistics Denmark, chosen to cover the groups of
rammevilkår the Ministry's model uses (age, family, education, origin, socio-economic
conditions, local labour market, proximity to the large cities), as far as public aggregates
allow. Each is a numeric column ``x_<name>``:

``x_unemployment_pct`` (AUP02)
    Registered gross unemployment, per cent of the labour force: the local labour market.
    **Caveat**: the registered unemployed include a-dagpenge recipients and jobparate
    kontanthjælp recipients, so this partly measures the outcome itself (and the job centre's
    work); the Ministry measures demand on the commuting area instead. Kept because demand is the
    largest rammevilkår and no commuting-area measure is public here; a model should report a
    specification without it (flagged ``partly_outcome`` in the codebook).
``x_log_income`` (INDKP101)
    Natural log of the average disposable income per person (nominal DKK): socio-economic
    composition. Disposable income includes transfers, so it also falls a little when more
    residents are on benefits. The log is taken of the window's time-weighted mean; nominal
    growth is common to all municipalities and absorbed by period effects.
``x_commute_km`` (AFSTB4)
    Average commuting distance, km: access to jobs and remoteness.
``x_higher_education_pct`` (HFUDD11)
    Persons with a higher education (short-cycle, professional bachelor, bachelor, master, PhD),
    per cent of persons in HFUDD11: education.
``x_immigrants_pct`` (FOLK1E)
    Immigrants and descendants, per cent of the population: origin (no Western/non-Western split
    is available in these files).
``x_age65_pct`` (FOLK1A)
    Residents aged 65 or over, per cent of the population: age structure (a proxy; the age
    distribution within 16–66 is not in these files).
``x_one_person_households_pct`` (BOL103)
    One-person households, per cent of households: family type.
``x_owner_occupied_pct`` (BOL101)
    Owner-occupied dwellings, per cent of dwellings: housing and socio-economic composition.
``x_log_density`` (FOLK1A, ARE207)
    Natural log of residents per km²: urbanisation.
``x_komgrp_2`` … ``x_komgrp_5`` (DST Kommunegrupper)
    Dummies for Storby-, Provinsby-, Oplands- and Landkommuner (reference: Hovedstadskommuner):
    DST's typology of urbanisation and distance to the large cities. ``komgrp`` holds the group
    number.

Left out, with the reason (also in the codebook): ``welfare_per_1000`` (AUK01 kontanthjælp
recipients) and ``employment_per_1000`` (LBESK69 employees by residence) are the outcome or its
mirror image; ``detached_house_dwelling_share_pct`` is nearly collinear with owner-occupation and
density (2019: r = 0.84 and −0.92 with log density); ``population`` (size) adds nothing beyond
density and is not a rammevilkår; ``crime_per_1000``, ``cars_per_1000`` and ``turnout_pct`` are
weak or political proxies.

Time weighting and interpolation
--------------------------------
A covariate's value for a period is the time-weighted mean of its annual values over the
window's calendar years (:func:`~analysis.data.public.jobindsats.year_weights`: July 2019 – June
2020 is ½ · 2019 + ½ · 2020). An annual value is the observed value when the series has that
year; otherwise it is linearly interpolated between the nearest observed years before and after,
and beyond the last (or before the first) observation the nearest observed value is carried
flat. Series observed only in election years (immigrants, age 65+, density: 2019 and 2022;
education: 2019 and 2022) are interpolated for 2020–21; BOL101's owner-occupied share, missing
for 2021–22, is interpolated between 2020 and 2023. Stock figures dated 1 January (FOLK1A and
the tables built on it) are used as that calendar year's value. The codebook records, per
covariate and year, whether the value was observed, interpolated or carried.

Examples
--------
>>> from analysis.data.public.panel import annual_value
>>> annual_value({2020: 50.0, 2023: 53.0}, 2021)
(51.0, 'interpolated 2020–2023')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.core.io import write_json_atomic, write_parquet_atomic
from analysis.core.paths import processed_dir
from analysis.core.validate import InputError
from analysis.data.public import dst, jobindsats
from analysis.data.public._checks import name_of
from analysis.data.public.provenance import recorded_sums

PANEL_FILE = "panel.parquet"
CODEBOOK_FILE = "panel.codebook.json"


@dataclass(frozen=True)
class Covariate:
    """A covariate column: the DST indicator it comes from, its transform and why it is in."""

    column: str
    factor: str
    transform: Literal["identity", "log"]
    label_da: str
    rationale: str
    partly_outcome: bool = False


COVARIATES: tuple[Covariate, ...] = (
    Covariate(
        "x_unemployment_pct",
        "unemployment_pct",
        "identity",
        "Bruttoledighed, pct. af arbejdsstyrken",
        "local labour market (demand); partly the outcome: the registered unemployed include "
        "a-dagpenge and jobparate kontanthjælp recipients",
        partly_outcome=True,
    ),
    Covariate(
        "x_log_income",
        "income",
        "log",
        "Gennemsnitlig disponibel indkomst pr. person (log)",
        "socio-economic composition; includes transfers, nominal DKK (log of the window mean)",
    ),
    Covariate(
        "x_commute_km",
        "commute_distance_km",
        "identity",
        "Gennemsnitlig pendlingsafstand, km",
        "access to jobs, remoteness",
    ),
    Covariate(
        "x_higher_education_pct",
        "education",
        "identity",
        "Andel med videregående uddannelse, pct.",
        "education of the population",
    ),
    Covariate(
        "x_immigrants_pct",
        "immigration_share_pct",
        "identity",
        "Indvandrere og efterkommere, pct. af befolkningen",
        "origin of the population",
    ),
    Covariate(
        "x_age65_pct",
        "age65_pct",
        "identity",
        "Andel 65 år og derover, pct. af befolkningen",
        "age structure (proxy)",
    ),
    Covariate(
        "x_one_person_households_pct",
        "one_person_household_share_pct",
        "identity",
        "Enpersonshusstande, pct. af husstandene",
        "family type",
    ),
    Covariate(
        "x_owner_occupied_pct",
        "owner_occupied_dwelling_share_pct",
        "identity",
        "Ejerboliger, pct. af boligerne",
        "housing tenure, socio-economic composition",
    ),
    Covariate(
        "x_log_density",
        "population_density",
        "log",
        "Indbyggere pr. km² (log)",
        "urbanisation",
    ),
)
#: Reference group of the Kommunegrupper dummies (left out): 1 Hovedstadskommuner.
KOMGRP_REFERENCE = 1
KOMGRP_COLUMNS: tuple[str, ...] = tuple(f"x_komgrp_{g}" for g in dst.KOMGRP_NAMES if g != KOMGRP_REFERENCE)

#: DST indicators not used as covariates, and why.
EXCLUDED: dict[str, str] = {
    "welfare_per_1000": "outcome: AUK01 kontanthjælp recipients are part of the Y30R21 outcome",
    "employment_per_1000": "outcome mirror: residents in employment are the complement of those on benefits",
    "detached_house_dwelling_share_pct": "nearly collinear with owner-occupation (r = 0.84) and log "
    "density (r = −0.92) in 2019",
    "population": "size adds nothing beyond density and is not a rammevilkår",
    "crime_per_1000": "weak proxy: offences recorded by place, not the residents' circumstances",
    "cars_per_1000": "weak proxy, collinear with income and density",
    "turnout_pct": "political participation, not a rammevilkår",
}

INTERPOLATION_RULE = (
    "A covariate's value for a period is the time-weighted mean of its annual values over the "
    "window's calendar years (months in the year / 12). An annual value is the observed value "
    "when the series has that year; otherwise it is linearly interpolated between the nearest "
    "observed years before and after; beyond the last (or before the first) observed year the "
    "nearest observed value is carried flat. Log transforms are applied to the window mean."
)

OUTCOME_SOURCE = "Jobindsats.dk (STAR), måling Y30R21"


def annual_value(observed: Mapping[int, float], year: int) -> tuple[float, str]:
    """A series' value for ``year``: observed, linearly interpolated, or carried flat.

    Parameters
    ----------
    observed
        ``year → value`` of the years the series holds (at least one).
    year
        The calendar year wanted.

    Returns
    -------
    (float, str)
        The value and how it was obtained: ``"observed"``, ``"interpolated A–B"`` or
        ``"carried from A"``.
    """
    if not observed:
        raise ValueError("observed: empty series")
    if year in observed:
        return float(observed[year]), "observed"
    years = sorted(observed)
    before = [y for y in years if y < year]
    after = [y for y in years if y > year]
    if before and after:
        a, b = before[-1], after[0]
        w = (year - a) / (b - a)
        return float(observed[a] + w * (observed[b] - observed[a])), f"interpolated {a}–{b}"
    nearest = before[-1] if before else after[0]
    return float(observed[nearest]), f"carried from {nearest}"


def window_value(observed: Mapping[int, float], period: str) -> float:
    """Time-weighted mean of :func:`annual_value` over the period's window."""
    return sum(w * annual_value(observed, y)[0] for y, w in jobindsats.year_weights(period).items())


def _window_years() -> list[int]:
    return sorted({y for p in jobindsats.Y30R21_PERIODS for y in jobindsats.year_weights(p)})


def build_panel(root: Path | None = None) -> pd.DataFrame:
    """The municipality × period table of real outcomes and public rammevilkår.

    Reads (each checked against its sha256) ``jobindsats-y30r21/y30r21_actual.csv``, the DST
    indicator files of :data:`COVARIATES` and ``dst-komgrp/komgrp.csv``; never the published
    benchmark.

    Parameters
    ----------
    root
        Another ``data/raw`` folder (tests).

    Returns
    -------
    pandas.DataFrame
        588 rows (98 codes × the 6 periods of ``Y30R21_PERIODS``), sorted by period and code:

        * ``code`` (int64), ``name`` (str), ``komgrp`` (int64, DST Kommunegruppe 1–5);
        * ``period`` (str), ``period_start``, ``period_end`` (``period[M]``, first and last month
          of the rolling 12-month window);
        * ``population`` (float64, residents 16–66, recovered from the overall row);
        * ``ft_<key>`` (int64, actual full-time persons, rounded to 10) and ``share_<key>``
          (float64, per cent of ``population``) for key in ``bm2019``, ``dagpenge``,
          ``sygedagpenge``, ``kontanthjaelp``;
        * covariates ``x_*`` (float64; :data:`COVARIATES` then :data:`KOMGRP_COLUMNS` 0/1),
          time-weighted over the window as described in the module docstring.

    Raises
    ------
    InputError
        From the loaders: a changed, incomplete or malformed raw file (the message names it).
    """
    actual = jobindsats.load_y30r21_actual(root)
    factors = dst.load_factors([c.factor for c in COVARIATES], root=root)
    komgrp = dst.load_komgrp(root).set_index("code")["group"]

    wide_ft = actual.pivot(index=["code", "period"], columns="benefit", values="actual")
    wide_sh = actual.pivot(index=["code", "period"], columns="benefit", values="share_pct")
    pop = actual.drop_duplicates(["code", "period"]).set_index(["code", "period"])["population"]
    out = pd.DataFrame(index=wide_ft.index).reset_index()
    out["period"] = pd.Categorical(out["period"], categories=jobindsats.Y30R21_PERIODS, ordered=True)
    out = out.sort_values(["period", "code"], kind="stable").reset_index(drop=True)
    out["period"] = out["period"].astype(str)
    keys = list(zip(out["code"], out["period"], strict=True))
    out.insert(1, "name", [name_of(c) for c in out["code"]])
    out.insert(2, "komgrp", out["code"].map(komgrp).astype("int64"))
    windows = {p: jobindsats.period_window(p) for p in jobindsats.Y30R21_PERIODS}
    out["period_start"] = pd.PeriodIndex([windows[p][0] for p in out["period"]], freq="M")
    out["period_end"] = pd.PeriodIndex([windows[p][1] for p in out["period"]], freq="M")
    out["population"] = pop.loc[keys].to_numpy(dtype=float)
    for b in jobindsats.BENEFITS:
        out[f"ft_{b}"] = wide_ft[b].loc[keys].to_numpy().astype("int64")
    for b in jobindsats.BENEFITS:
        out[f"share_{b}"] = wide_sh[b].loc[keys].to_numpy(dtype=float)

    add_covariates(out, factors, window_value)
    return check_covariates(add_komgrp_dummies(out), what="public panel")


def add_covariates(
    out: pd.DataFrame, factors: pd.DataFrame, value: Callable[[Mapping[int, float], str], float]
) -> None:
    """Add the :data:`COVARIATES` columns to ``out`` (in place): ``value(year → value, period)``
    of each row's municipality and period, logged where the covariate says so.

    ``factors`` is :func:`analysis.data.public.dst.load_factors` (``factor, code, year, value``);
    ``value`` weights the years of a period's window (:func:`window_value` for Y30R21 periods,
    :func:`analysis.data.public.monthly.window_value` for July windows).
    """
    keys = list(zip(out["code"], out["period"], strict=True))
    by_factor = {
        name: {int(c): dict(zip(g["year"], g["value"], strict=True)) for c, g in df.groupby("code")}
        for name, df in factors.groupby("factor")
    }
    for cov in COVARIATES:
        series = by_factor[cov.factor]
        values = np.array([value(series[c], p) for c, p in keys])
        out[cov.column] = np.log(values) if cov.transform == "log" else values


def add_komgrp_dummies(out: pd.DataFrame) -> pd.DataFrame:
    """``out`` with the 0/1 :data:`KOMGRP_COLUMNS` from its ``komgrp`` column (in place)."""
    for g, col in zip([g for g in dst.KOMGRP_NAMES if g != KOMGRP_REFERENCE], KOMGRP_COLUMNS, strict=True):
        out[col] = (out["komgrp"] == g).astype("float64")
    return out


def check_covariates(out: pd.DataFrame, *, what: str) -> pd.DataFrame:
    """``out`` unchanged if every covariate ``x_*`` is finite.

    Raises
    ------
    InputError
        Naming ``what``, the covariates and the first rows (code, period) that are not finite.
    """
    bad = [c for c in out.columns if c.startswith("x_") and not np.isfinite(out[c].to_numpy()).all()]
    if bad:
        rows = out.loc[~np.isfinite(out[bad].to_numpy()).all(axis=1), ["code", "period"]]
        raise InputError(
            f"{what}: covariate(s) {bad} not finite for {len(rows)} row(s), first "
            f"{rows.head(5).to_records(index=False).tolist()}; check the DST indicator files"
        )
    return out


def _annual_rules(root: Path | None) -> dict[str, dict[str, str]]:
    """Per covariate and window year: observed / interpolated / carried (the same for all codes)."""
    factors = dst.load_factors([c.factor for c in COVARIATES], root=root)
    out = {}
    for cov in COVARIATES:
        years = sorted(factors.loc[factors["factor"] == cov.factor, "year"].unique().tolist())
        fake = dict.fromkeys(years, 0.0)
        out[cov.column] = {str(y): annual_value(fake, y)[1] for y in _window_years()}
    return out


def covariate_sources(covariates: Sequence[Covariate], *, root: Path | None = None) -> list[dict[str, str]]:
    """Codebook ``sources`` entries of the rammevilkår files behind ``covariates`` and of the
    kommunegrupper (file, recorded sha256, attribution); shared by the Y30R21 and monthly panels."""
    f_sums = recorded_sums(dst.SOURCE_FACTORS, root=root)
    k_sums = recorded_sums(dst.SOURCE_KOMGRP, root=root)
    return [
        *(
            {
                "file": f"{dst.SOURCE_FACTORS}/{dst.FACTORS[c.factor].file}",
                "sha256": f_sums[dst.FACTORS[c.factor].file],
                "source": dst.FACTORS[c.factor].source,
            }
            for c in covariates
        ),
        {
            "file": f"{dst.SOURCE_KOMGRP}/{dst.KOMGRP_FILE}",
            "sha256": k_sums[dst.KOMGRP_FILE],
            "source": "Danmarks Statistik, Kommunegrupper",
        },
    ]


def covariate_columns(rules: Mapping[str, Any], *, rule: str) -> dict[str, dict[str, Any]]:
    """Codebook ``columns`` entries of every covariate (with its per-period ``rules`` under the
    key ``rule``) and of the kommunegruppe dummies; shared by the Y30R21 and monthly panels."""
    columns: dict[str, dict[str, Any]] = {}
    for cov in COVARIATES:
        f = dst.FACTORS[cov.factor]
        columns[cov.column] = {
            "description": f.description,
            "label_da": cov.label_da,
            "unit": f"log({f.unit})" if cov.transform == "log" else f.unit,
            "source": f.source,
            "indicator": cov.factor,
            "transform": cov.transform,
            "rationale": cov.rationale,
            "partly_outcome": cov.partly_outcome,
            rule: rules[cov.column],
        }
    for g, col in zip([g for g in dst.KOMGRP_NAMES if g != KOMGRP_REFERENCE], KOMGRP_COLUMNS, strict=True):
        columns[col] = {
            "description": f"1 if DST Kommunegruppe {g} ({dst.KOMGRP_NAMES[g]}), else 0; "
            f"reference group {KOMGRP_REFERENCE} ({dst.KOMGRP_NAMES[KOMGRP_REFERENCE]})",
            "label_da": dst.KOMGRP_NAMES[g],
            "unit": "0/1",
            "source": "Danmarks Statistik, Kommunegrupper",
        }
    return columns


def codebook(root: Path | None = None) -> dict[str, Any]:
    """Metadata of the panel: sources with sha256, periods, columns, the interpolation rule.

    Returns
    -------
    dict
        JSON-serialisable: ``sources`` (file, sha256, attribution), ``periods`` (window and
        year weights), ``columns`` (description, unit, source, transform and, for covariates, the
        rule used per window year), ``excluded`` (indicators left out and why),
        ``corrections`` (published shares recomputed), ``interpolation_rule``, ``not_used``.
    """
    y_sums = recorded_sums(jobindsats.SOURCE_Y30R21, root=root)
    sources = [
        {
            "file": f"{jobindsats.SOURCE_Y30R21}/{jobindsats.ACTUAL_FILE}",
            "sha256": y_sums[jobindsats.ACTUAL_FILE],
            "source": OUTCOME_SOURCE,
        },
        *covariate_sources(COVARIATES, root=root),
    ]
    periods = {}
    for p in jobindsats.Y30R21_PERIODS:
        start, end = jobindsats.period_window(p)
        periods[p] = {
            "start": str(start),
            "end": str(end),
            "year_weights": {str(y): w for y, w in jobindsats.year_weights(p).items()},
        }
    labels = {v: k for k, v in jobindsats.BENEFIT_KEYS.items()}
    columns: dict[str, dict[str, Any]] = {
        "code": {"description": "official 3-digit municipality code", "unit": ""},
        "name": {"description": "municipality name (registry)", "unit": ""},
        "komgrp": {"description": "DST Kommunegruppe 1–5", "unit": "", "source": "Danmarks Statistik"},
        "period": {"description": "Y30R21 period code (rolling 12 months, half-yearly)", "unit": ""},
        "period_start": {"description": "first month of the window", "unit": "month"},
        "period_end": {"description": "last month of the window", "unit": "month"},
        "population": {
            "description": "residents 16–66, recovered as actual / share × 100 from the "
            "'Ydelsesgrupper i alt' row (counts rounded to 10, shares to 2 decimals)",
            "unit": "persons",
            "source": OUTCOME_SOURCE,
        },
    }
    for b in jobindsats.BENEFITS:
        columns[f"ft_{b}"] = {
            "description": f"actual full-time persons, Y30R21 {labels[b]!r}",
            "unit": "full-time persons (rounded to 10)",
            "source": OUTCOME_SOURCE,
        }
    for b in jobindsats.BENEFITS:
        columns[f"share_{b}"] = {
            "description": f"actual share of the population 16–66, Y30R21 {labels[b]!r}",
            "unit": "per cent (2 decimals as published)",
            "source": OUTCOME_SOURCE,
        }
    columns.update(covariate_columns(_annual_rules(root), rule="annual_rule"))
    corrections = [
        {"code": c, "name": name_of(c), "period": p, "benefit": b, "reason": why}
        for (c, p, b), why in jobindsats.KNOWN_SHARE_DEFECTS.items()
    ]
    return {
        "table": "kommunebench public panel: municipality × Y30R21 period",
        "rows": "one per municipality (98) and period (6)",
        "sources": sources,
        "periods": periods,
        "columns": columns,
        "interpolation_rule": INTERPOLATION_RULE,
        "excluded": EXCLUDED,
        "corrections": {
            "rule": "published share contradicts its count and the population; share = 100 · ft / population",
            "rows": corrections,
        },
        "not_used": "The Ministry's published benchmark (expected, difference, rank; "
        "Y30R21-2020QMAT02.jsonl) is not read: it is for comparison only, never a model input.",
    }


def write_panel(folder: str | Path | None = None, *, root: Path | None = None) -> tuple[Path, Path]:
    """Build the panel and write ``panel.parquet`` and ``panel.codebook.json`` atomically.

    Parameters
    ----------
    folder
        Target folder; default ``data/processed/public``.
    root
        Another ``data/raw`` folder (tests).

    Returns
    -------
    (pathlib.Path, pathlib.Path)
        The Parquet file (codebook also in its schema metadata under ``kommunebench``) and the
        JSON codebook.
    """
    target = Path(folder) if folder is not None else processed_dir() / "public"
    panel = build_panel(root)
    meta = codebook(root)
    meta["n_rows"] = len(panel)
    parquet = write_parquet_atomic(panel, target / PANEL_FILE, metadata=meta)
    js = write_json_atomic(meta, target / CODEBOOK_FILE)
    return parquet, js


__all__ = [
    "CODEBOOK_FILE",
    "COVARIATES",
    "EXCLUDED",
    "INTERPOLATION_RULE",
    "KOMGRP_COLUMNS",
    "PANEL_FILE",
    "Covariate",
    "add_covariates",
    "add_komgrp_dummies",
    "annual_value",
    "build_panel",
    "check_covariates",
    "codebook",
    "covariate_columns",
    "covariate_sources",
    "window_value",
    "write_panel",
]
