"""The monthly kontanthjælp panel: jobindsats y60a02 over rolling 12-month windows up to 2026.

:func:`build_monthly_panel` returns one row per municipality and rolling 12-month window ending
in July (98 × 5 = 490 rows); :func:`write_monthly_panel` writes it to
``data/processed/public/monthly.parquet`` with a JSON codebook beside it
(:func:`monthly_codebook`: sources with sha256, windows, column definitions, the rule used per
covariate, window and calendar year, and which covariate values are carried forward). The
outcome comes from ``data/raw/jobindsats-monthly-kommune/dashboard-data.json`` (jobindsats
measure y60a02, month by month), the covariates from the same Statistics Denmark files as the
Y30R21 panel (:mod:`analysis.data.public.panel`). No published benchmark exists for these
windows, and none is read.

Windows
-------
The monthly series run 2021M08–2026M07 (60 months; :func:`~analysis.data.public.jobindsats.load_monthly`
checks the labels, and :func:`build_monthly_panel` that every window month is there). The
periods are the five non-overlapping 12-month windows ending in July:

===========  ====================  ===========================
period       window                calendar-year weights
===========  ====================  ===========================
``2022M07``  2021-08 … 2022-07     5/12 · 2021 + 7/12 · 2022
``2023M07``  2022-08 … 2023-07     5/12 · 2022 + 7/12 · 2023
``2024M07``  2023-08 … 2024-07     5/12 · 2023 + 7/12 · 2024
``2025M07``  2024-08 … 2025-07     5/12 · 2024 + 7/12 · 2025
``2026M07``  2025-08 … 2026-07     5/12 · 2025 + 7/12 · 2026
===========  ====================  ===========================

A period code ``YYYYMmm`` names the window's last month (it passes
:func:`analysis.core.params.parse_run`'s period format). ``2022M07`` is one month later than
Y30R21's ``2022QMAT02`` (2021-07 … 2022-06), the closest published Y30R21 window.

Outcome: y60a02 against Y30R21's "Kontanthjælp mv."
---------------------------------------------------
``ft_kontanthjaelp`` is the mean over the window's 12 months of y60a02's monthly full-time
persons (``cashAssistance.fullTime``, "fuldtidspersoner"; jobindsats publishes them as whole
numbers). In jobindsats' general usage a month's full-time persons are the recipients weighted by
the part of the month they received the benefit, so the 12-month mean is the window's full-time
persons in the sense of Y30R21's counts (the provenance does not restate the definition). What
the provenance files and the data say about the benefit:

* ``PROVENANCE.md`` of ``jobindsats-monthly-kommune`` names the measure "y60a02
  (kontanthjælp)", with full-time persons and their share of the population 16–66. Its
  visitation breakdown (``cashVisitation``, same measure) has the categories Jobparat,
  Aktivitetsparat, Uddannelsesparat, Åbenlys uddannelsesparat and Uoplyst. **Inference:** the
  two uddannelsesparat categories are those of uddannelseshjælp recipients, so y60a02 includes
  uddannelseshjælp, not only kontanthjælp in the narrow sense.
* Y30R21's area "Kontanthjælp mv." is kontanthjælp, uddannelseshjælp and integrationsydelse
  (VIVE's 2018 categories add revalidering and forrevalidering), and since 2019 possibly
  ledighedsydelse or ressourceforløb (an inference, see :mod:`analysis.data.public.jobindsats`).
* In the overlapping windows (``2022M07`` against ``2022QMAT02``), y60a02's full-time persons
  are 75 % of Y30R21's "Kontanthjælp mv." nationally and 48–89 % by municipality
  (:func:`compare_y30r21`). So y60a02 is **narrower** than the Y30R21 area, by about 31,000
  full-time persons (0.86 % of the population 16–66 on average).
* **Inference:** the part y60a02 leaves out (area minus y60a02, per resident) is smaller where
  more residents are immigrants (correlation −0.23 with ``x_immigrants_pct``) and larger where
  more are on sygedagpenge (0.62 with Y30R21's sygedagpenge share). So it is not mainly
  integrationsydelse; it looks like the health-related benefits the area may hold
  (ressourceforløb, ledighedsydelse, revalidering). The files say neither which benefits
  y60a02 leaves out nor whether it includes integrationsydelse.

The two outcomes are therefore not the same list: ranks on the monthly panel are ranks on
y60a02 kontanthjælp, not a continuation of the Ministry's Y30R21 kontanthjælp list.

Population and shares
---------------------
The benchmark population (residents 16–66) is not published; as for Y30R21 it is recovered
from full-time persons and their population share (``cashAssistance.populationRate``, per cent,
**rounded to 1 decimal**):

.. math:: \\text{population}_w = 100 \\cdot \\frac{\\sum_{m \\in w} \\text{ft}_m}{\\sum_{m \\in w} \\text{rate}_m},

a ratio of sums over the window's 12 months. Then ``share_kontanthjaelp`` = 100 ·
``ft_kontanthjaelp`` / ``population`` equals the mean of the 12 published rates exactly, so the
share is as published; its rounding error is at most 0.05 percentage points (each month's rate
is off by at most 0.05), and the recovered population is off by at most 0.05 / mean rate
relatively (4 % where the rate is 1.2 %). The model's noise does not include this rounding error
(:class:`~analysis.data.public.source.PublicMonthly` adds only the rounding of the counts).

Consistency check: a month with full-time persons ``f`` and rate ``r`` allows the populations
``[100·(f − 0.5)/(r + 0.05), 100·(f + 0.5)/(r − 0.05)]``. jobindsats' denominators change
within a window (the population grows), so these intervals need not overlap; but each must lie
within :data:`POPULATION_TOLERANCE` (5 %) of the window's population, or the build stops naming
the municipality and month (on the embedded file the largest distance is 3.3 %, Brøndby
2023M10). The recovered ``2022M07`` populations are within 2.5 % of Y30R21's ``2022QMAT02``
populations (−0.4 % in total; :func:`compare_y30r21`), although jobindsats does not say that
y60a02's denominator is the benchmark population.

Missing values
--------------
jobindsats suppresses small numbers, and :func:`~analysis.data.public.jobindsats.load_monthly`
keeps them missing. In the embedded file only y25i01's unemployed on kontanthjælp (Fanø, Ærø,
Samsø, Læsø) have gaps, and that series is not used here; y60a02's full-time persons and rates
are complete. **Decision:** a window whose outcome lacks a month (a missing or suppressed
value, or a month not in the file) is an :class:`~analysis.core.validate.InputError` naming the
municipality, the window and the months. A mean over fewer months would be a different number
presented as the same one, and leaving the municipality out would give a period with fewer than
98 municipalities, which the ranks, their intervals and the reports assume. A future file with
such gaps needs an explicit, documented rule (for instance a window of the available months
with its own flag), not a silent one.

Covariates (rammevilkår)
------------------------
The ``x_`` columns of the Y30R21 panel (:data:`analysis.data.public.panel.COVARIATES` and the
Kommunegrupper dummies), from the same files and by the same rule: the window value is the
time-weighted mean of annual values over the window's calendar years (table above); an annual
value is observed, interpolated linearly between the nearest observed years, or carried flat
beyond the last observation (:func:`analysis.data.public.panel.annual_value`); logs are taken of
the window mean. The codebook records the rule per covariate, window and year, and lists every
carried value. With the embedded files:

=================================  ==============  ==========================================
covariate                          last observed   carried (flat) in windows
=================================  ==============  ==========================================
``x_unemployment_pct``             2024            2025 and 2026: ``2025M07`` (7/12),
                                                   ``2026M07`` (all of it)
``x_log_income``                   2024            as unemployment
``x_commute_km``                   2024            as unemployment
``x_one_person_households_pct``    2025            2026: ``2026M07`` (7/12)
``x_owner_occupied_pct``           2025            2026: ``2026M07`` (7/12); 2021–22
                                                   interpolated 2020–2023
``x_higher_education_pct``         2022            2023–2026: ``2023M07`` (7/12), ``2024M07``
                                                   … ``2026M07`` (all of it)
``x_age65_pct``                    2022            as education
``x_immigrants_pct``               2026            none; 2023–2025 interpolated 2022–2026
``x_log_density``                  2026            none; 2023–2025 interpolated 2022–2026
=================================  ==============  ==========================================

Education and the share aged 65+ are therefore constant from ``2023M07`` on: with period
effects they enter the last windows through their 2022 cross-section only.

Unemployment from the monthly file (option)
-------------------------------------------
The registered unemployment rate is the covariate most carried (all of ``2026M07`` is 2024's
value). The monthly file holds the same statistic month by month: the calendar-year mean of
jobindsats y25i01's rate equals DST's AUP02 annual rate within 0.03 percentage points in every
municipality in 2022, 2023 and 2024. ``build_monthly_panel(unemployment="y25i01")`` therefore
takes ``x_unemployment_pct`` as the window mean of y25i01's 12 monthly rates (observed in every
window, nothing carried; a missing month is an error as for the outcome). The default,
``"aup02"``, keeps the Y30R21 panel's covariate and rule.

Schema
------
One row per municipality and window, sorted by period and code (490 rows):

=================================  =========  ================================================
column                             dtype      meaning
=================================  =========  ================================================
``code``, ``name``, ``komgrp``     int, str   municipality; DST Kommunegruppe 1–5
``period``                         str        ``2022M07`` … ``2026M07`` (last month of window)
``period_start``, ``period_end``   period[M]  first and last month of the window
``population``                     float64    residents 16–66, recovered as above
``ft_kontanthjaelp``               float64    mean monthly y60a02 full-time persons
``share_kontanthjaelp``            float64    per cent of ``population`` (mean published rate)
``x_*``                            float64    covariates as in the Y30R21 panel
=================================  =========  ================================================

Examples
--------
>>> from analysis.data.public.monthly import window_months, window_weights
>>> window_months("2026M07")
(Period('2025-08', 'M'), Period('2026-07', 'M'))
>>> window_weights("2026M07")
{2025: 0.4166666666666667, 2026: 0.5833333333333334}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.core.io import write_json_atomic, write_parquet_atomic
from analysis.core.paths import processed_dir
from analysis.data.public import dst, jobindsats
from analysis.data.public._checks import Problems, name_of
from analysis.data.public.panel import (
    COVARIATES,
    EXCLUDED,
    INTERPOLATION_RULE,
    add_covariates,
    add_komgrp_dummies,
    annual_value,
    check_covariates,
    covariate_columns,
    covariate_sources,
)
from analysis.data.public.provenance import recorded_sums, verified_file

MONTHLY_PANEL_FILE = "monthly.parquet"
MONTHLY_CODEBOOK_FILE = "monthly.codebook.json"

#: The windows of the monthly panel: 12 months ending in July (module docstring).
MONTHLY_PERIODS: tuple[str, ...] = ("2022M07", "2023M07", "2024M07", "2025M07", "2026M07")
#: The benefit key of the outcome (``ft_kontanthjaelp``, ``share_kontanthjaelp``).
OUTCOME_KEY = "kontanthjaelp"
#: Series of :func:`~analysis.data.public.jobindsats.load_monthly` the outcome is built from.
FULLTIME_SERIES = "kh_fulltime"
RATE_SERIES = "kh_population_pct"
#: Half the rounding unit of the monthly figures: full-time persons are whole numbers, the
#: population share is in per cent with 1 decimal.
FULLTIME_HALF = 0.5
RATE_HALF = 0.05
#: Largest relative distance allowed between a month's population interval and the window's
#: recovered population (the embedded file's largest is 3.3 %).
POPULATION_TOLERANCE = 0.05

OUTCOME_SOURCE = "Jobindsats.dk (STAR), måling y60a02 (kontanthjælp), månedlig"
OUTCOME_DEFINITION = (
    "y60a02 'kontanthjælp' as published monthly by jobindsats.dk: full-time persons and their "
    "share of the population 16–66. Its visitation categories include uddannelsesparat and "
    "åbenlyst uddannelsesparat, so it includes uddannelseshjælp (inference). It is narrower than "
    "Y30R21's area 'Kontanthjælp mv.' (kontanthjælp, uddannelseshjælp, integrationsydelse and "
    "other 'mv.' benefits): in 2022M07 against 2022QMAT02 its full-time persons are 75 % of the "
    "area's nationally, 48–89 % by municipality. Which benefits it leaves out is not in the files; "
    "the left-out part is larger where the sygedagpenge share is larger and smaller where more "
    "residents are immigrants, so it looks like ressourceforløb, ledighedsydelse or revalidering "
    "rather than integrationsydelse (inference)."
)
MISSING_RULE = (
    "A window whose y60a02 full-time persons or population share lacks a month (suppressed, "
    "missing, or not in the file) stops the build with an error naming the municipality, window "
    "and months: no mean over fewer months, no municipality left out. The embedded file has no "
    "such gap; only y25i01's unemployed on kontanthjælp, which is not used, has suppressed values."
)
POPULATION_RULE = (
    "population = 100 · Σ full-time persons / Σ population share (per cent) over the window's 12 "
    "months; full-time persons are whole numbers, shares have 1 decimal. share_kontanthjaelp is "
    "then the mean of the 12 published shares (rounding error ≤ 0.05 percentage points). Each "
    "month's interval of populations [100·(f − 0.5)/(r + 0.05), 100·(f + 0.5)/(r − 0.05)] must lie "
    f"within {POPULATION_TOLERANCE:.0%} of the window's population."
)

#: Where ``x_unemployment_pct`` comes from (:func:`build_monthly_panel`'s ``unemployment``).
UNEMPLOYMENT_SOURCES = ("aup02", "y25i01")
UNEMPLOYMENT_SERIES = "unemployment_pct"
UNEMPLOYMENT_Y25I01_RULE = (
    "mean of jobindsats y25i01's monthly registered gross unemployment rate (per cent of the "
    "labour force, 1 decimal) over the window's 12 months; observed in every window, nothing carried"
)

_PERIOD = re.compile(r"^(\d{4})M(0[1-9]|1[0-2])$")


# ----------------------------------------------------------------------------------------- windows
def window_months(period: str) -> tuple[pd.Period, pd.Period]:
    """First and last month of the rolling 12-month window ending in ``period`` (``YYYYMmm``).

    Raises
    ------
    ValueError
        If ``period`` is not a month such as ``2026M07``.
    """
    m = _PERIOD.match(str(period))
    if not m:
        raise ValueError(f"unknown period {period!r}: expected the window's last month, such as 2026M07")
    end = pd.Period(year=int(m.group(1)), month=int(m.group(2)), freq="M")
    return end - 11, end


def window_weights(period: str) -> dict[int, float]:
    """Share of the window's 12 months in each calendar year (the weights sum to 1)."""
    return dict(_window_weights(period))


@lru_cache(maxsize=64)
def _window_weights(period: str) -> tuple[tuple[int, float], ...]:
    start, _ = window_months(period)
    counts: dict[int, int] = {}
    for k in range(12):
        y = (start + k).year
        counts[y] = counts.get(y, 0) + 1
    return tuple((y, n / 12.0) for y, n in sorted(counts.items()))


def window_value(observed: Mapping[int, float], period: str) -> float:
    """Time-weighted mean of :func:`~analysis.data.public.panel.annual_value` over the window.

    Parameters
    ----------
    observed
        ``year → value`` of the years the series holds.
    period
        A window of :data:`MONTHLY_PERIODS` (any ``YYYYMmm``).

    Examples
    --------
    >>> window_value({2024: 6.0}, "2026M07")  # both years carried from 2024
    6.0
    >>> round(window_value({2022: 10.0, 2026: 14.0}, "2024M07"), 4)  # 5/12 · 11 + 7/12 · 12
    11.5833
    """
    return sum(w * annual_value(observed, y)[0] for y, w in window_weights(period).items())


def window_rules(years: tuple[int, ...] | list[int], period: str) -> dict[str, str]:
    """How each calendar year of the window is obtained from a series observed in ``years``.

    Returns ``{"2025": "carried from 2024", "2026": "carried from 2024"}`` and the like
    (``"observed"``, ``"interpolated A–B"``, ``"carried from A"``).
    """
    fake = dict.fromkeys(years, 0.0)
    return {str(y): annual_value(fake, y)[1] for y in window_weights(period)}


# --------------------------------------------------------------------------------------- outcome
def _label(month: pd.Period) -> str:
    """A month as jobindsats labels it: ``2024M03``."""
    return f"{month.year}M{month.month:02d}"


def _outcome(monthly: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``code, period, ft, population, share`` per window; every problem in one InputError."""
    p = Problems(path, "jobindsats monthly (y60a02)")
    codes = sorted(int(c) for c in monthly["code"].unique())
    by_key = monthly.set_index(["code", "month"])[[FULLTIME_SERIES, RATE_SERIES]]
    rows = []
    for period in MONTHLY_PERIODS:
        start, end = window_months(period)
        months = pd.period_range(start, end, freq="M")
        grid = pd.MultiIndex.from_product([codes, months], names=["code", "month"])
        win = by_key.reindex(grid)
        for code in codes:
            w = win.loc[code]
            f = w[FULLTIME_SERIES].to_numpy(dtype=float)
            r = w[RATE_SERIES].to_numpy(dtype=float)
            where = f"{code} {name_of(code)}, window {period} ({_label(start)}…{_label(end)})"
            gaps = [
                (series, [_label(m) for m, v in zip(months, vals, strict=True) if not np.isfinite(v)])
                for series, vals in ((FULLTIME_SERIES, f), (RATE_SERIES, r))
            ]
            gaps = [(s, ms) for s, ms in gaps if ms]
            if gaps:
                for series, ms in gaps:
                    field = jobindsats.MONTHLY_SERIES[series][1]
                    p.add(
                        f"{where}: y60a02 cashAssistance.{field} missing (suppressed or not in the file) "
                        f"in {', '.join(ms)}; a mean over fewer than 12 months is not the window's "
                        "value, so the window cannot be built"
                    )
                continue
            bad = [_label(m) for m, fv, rv in zip(months, f, r, strict=True) if fv < 0 or rv <= 0 or rv > 100]
            if bad:
                p.add(
                    f"{where}: full-time persons negative or population share not in (0, 100] "
                    f"in {', '.join(bad)}"
                )
                continue
            pop = 100.0 * f.sum() / r.sum()
            lo = 100.0 * np.maximum(f - FULLTIME_HALF, 0.0) / (r + RATE_HALF)
            hi = np.where(
                r > RATE_HALF, 100.0 * (f + FULLTIME_HALF) / np.maximum(r - RATE_HALF, 1e-12), np.inf
            )
            dist = np.maximum(lo / pop - 1.0, 1.0 - hi / pop).clip(min=0.0)
            off = np.flatnonzero(dist > POPULATION_TOLERANCE)
            if off.size:
                worst = off[np.argsort(-dist[off], kind="stable")]
                i = worst[0]
                more = (
                    f" (and {off.size - 1} more month(s): {', '.join(_label(months[k]) for k in worst[1:])})"
                )
                p.add(
                    f"{where}: {_label(months[i])} full-time persons {f[i]:g} and share {r[i]:g} % imply a "
                    f"population of {lo[i]:,.0f}–{hi[i]:,.0f}, {dist[i]:.1%} from the window's "
                    f"{pop:,.0f}; expected within {POPULATION_TOLERANCE:.0%} (shares rounded to 1 decimal)"
                    + (more if off.size > 1 else "")
                )
                continue
            rows.append((code, period, float(f.mean()), pop, float(r.mean())))
    p.raise_if_any()
    return pd.DataFrame(rows, columns=["code", "period", "ft", "population", "share"])


def _unemployment_y25i01(monthly: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``code, period, value``: the window mean of y25i01's monthly unemployment rate."""
    p = Problems(path, "jobindsats monthly (y25i01)")
    codes = sorted(int(c) for c in monthly["code"].unique())
    by_key = monthly.set_index(["code", "month"])[UNEMPLOYMENT_SERIES]
    rows = []
    for period in MONTHLY_PERIODS:
        start, end = window_months(period)
        months = pd.period_range(start, end, freq="M")
        win = by_key.reindex(pd.MultiIndex.from_product([codes, months], names=["code", "month"]))
        for code in codes:
            v = win.loc[code].to_numpy(dtype=float)
            gaps = [_label(m) for m, x in zip(months, v, strict=True) if not np.isfinite(x)]
            if gaps:
                p.add(
                    f"{code} {name_of(code)}, window {period}: y25i01 unemployment.totalRate missing in "
                    f"{', '.join(gaps)}; a mean over fewer than 12 months is not the window's value"
                )
                continue
            rows.append((code, period, float(v.mean())))
    p.raise_if_any()
    return pd.DataFrame(rows, columns=["code", "period", "value"])


def _check_unemployment(unemployment: str) -> None:
    if unemployment not in UNEMPLOYMENT_SOURCES:
        raise ValueError(
            f"unemployment: {unemployment!r} is not one of {', '.join(UNEMPLOYMENT_SOURCES)} "
            "(the annual DST rate, carried beyond 2024, or jobindsats' monthly rate)"
        )


# ----------------------------------------------------------------------------------------- panel
def build_monthly_panel(root: Path | None = None, *, unemployment: str = "aup02") -> pd.DataFrame:
    """The municipality × window table of y60a02 kontanthjælp and public rammevilkår.

    Reads (each checked against its sha256) ``jobindsats-monthly-kommune/dashboard-data.json``,
    the DST indicator files of :data:`~analysis.data.public.panel.COVARIATES` and
    ``dst-komgrp/komgrp.csv``.

    Parameters
    ----------
    root
        Another ``data/raw`` folder (tests).
    unemployment
        ``"aup02"`` (default): ``x_unemployment_pct`` from DST's annual AUP02 rate by the
        Y30R21 panel's rule, carried from 2024 into 2025–26. ``"y25i01"``: the window mean of
        jobindsats' monthly rate from the same file as the outcome, observed to 2026M07 (the
        calendar-year mean of y25i01 equals AUP02 within 0.03 percentage points in every
        municipality in 2022–24, so it is the same statistic, published monthly).

    Returns
    -------
    pandas.DataFrame
        490 rows (98 codes × the 5 windows of :data:`MONTHLY_PERIODS`), sorted by period and
        code, with the columns of the module docstring's schema: ``code`` (int64), ``name``
        (str), ``komgrp`` (int64), ``period`` (str), ``period_start``, ``period_end``
        (``period[M]``), ``population`` (float64, persons 16–66), ``ft_kontanthjaelp`` (float64,
        full-time persons, mean of 12 months), ``share_kontanthjaelp`` (float64, per cent) and
        the ``x_`` covariates (float64) in the order of the Y30R21 panel.

    Raises
    ------
    InputError
        A raw file missing or changed (sha256), malformed (from the loaders), or a window whose
        outcome (or, with ``unemployment="y25i01"``, unemployment rate) lacks a month or whose
        months disagree on the population; the message names the file, the municipality, the
        window and the months.
    ValueError
        An unknown ``unemployment``.
    """
    _check_unemployment(unemployment)
    monthly = jobindsats.load_monthly(root, wide=True)
    path = verified_file(jobindsats.SOURCE_MONTHLY, jobindsats.MONTHLY_FILE, root=root)
    outcome = _outcome(monthly, path)
    factors = dst.load_factors([c.factor for c in COVARIATES], root=root)
    komgrp = dst.load_komgrp(root).set_index("code")["group"]

    out = outcome.rename(columns={"ft": f"ft_{OUTCOME_KEY}", "share": f"share_{OUTCOME_KEY}"})
    out["period"] = pd.Categorical(out["period"], categories=MONTHLY_PERIODS, ordered=True)
    out = out.sort_values(["period", "code"], kind="stable").reset_index(drop=True)
    out["period"] = out["period"].astype(str)
    out.insert(1, "name", [name_of(c) for c in out["code"]])
    out.insert(2, "komgrp", out["code"].map(komgrp).astype("int64"))
    windows = {p: window_months(p) for p in MONTHLY_PERIODS}
    out.insert(4, "period_start", pd.PeriodIndex([windows[p][0] for p in out["period"]], freq="M"))
    out.insert(5, "period_end", pd.PeriodIndex([windows[p][1] for p in out["period"]], freq="M"))
    out = out[
        ["code", "name", "komgrp", "period", "period_start", "period_end", "population"]
        + [f"ft_{OUTCOME_KEY}", f"share_{OUTCOME_KEY}"]
    ].astype({"code": "int64", "population": "float64"})

    add_covariates(out, factors, window_value)
    if unemployment == "y25i01":
        keys = list(zip(out["code"], out["period"], strict=True))
        u = _unemployment_y25i01(monthly, path).set_index(["code", "period"])["value"]
        out["x_unemployment_pct"] = u.loc[keys].to_numpy(dtype=float)
    return check_covariates(add_komgrp_dummies(out), what="monthly panel")


def compare_y30r21(root: Path | None = None) -> pd.DataFrame:
    """The first window (``2022M07``) beside Y30R21's ``2022QMAT02``, one month earlier.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code`` (98 rows): ``ft_y60a02`` (mean monthly full-time persons 2021-08 …
        2022-07), ``ft_y30r21`` (Y30R21 "Kontanthjælp mv.", 2021-07 … 2022-06, rounded to 10),
        ``ratio`` (the first over the second), ``population_y60a02`` and ``population_y30r21``
        (the two recovered populations 16–66) and ``population_rel`` (their relative
        difference). ``attrs["national_ratio"]`` and ``attrs["population_rel_total"]`` hold the
        national figures.
    """
    panel = build_monthly_panel(root)
    first = panel[panel["period"] == MONTHLY_PERIODS[0]].set_index("code")
    y = jobindsats.load_y30r21_actual(root)
    y = y[y["period"] == "2022QMAT02"]
    ft_y = y[y["benefit"] == OUTCOME_KEY].set_index("code")["actual"].astype(float)
    pop_y = y[y["benefit"] == "bm2019"].set_index("code")["population"]
    out = pd.DataFrame(
        {
            "ft_y60a02": first[f"ft_{OUTCOME_KEY}"],
            "ft_y30r21": ft_y.reindex(first.index),
            "population_y60a02": first["population"],
            "population_y30r21": pop_y.reindex(first.index),
        }
    )
    out["ratio"] = out["ft_y60a02"] / out["ft_y30r21"]
    out["population_rel"] = out["population_y60a02"] / out["population_y30r21"] - 1.0
    out.attrs["national_ratio"] = float(out["ft_y60a02"].sum() / out["ft_y30r21"].sum())
    out.attrs["population_rel_total"] = float(
        out["population_y60a02"].sum() / out["population_y30r21"].sum() - 1.0
    )
    return out


# -------------------------------------------------------------------------------------- codebook
def _covariate_rules(root: Path | None, unemployment: str) -> dict[str, dict[str, dict[str, str]]]:
    """Per covariate, window and calendar year: observed / interpolated / carried."""
    factors = dst.load_factors([c.factor for c in COVARIATES], root=root)
    out = {}
    for cov in COVARIATES:
        if cov.column == "x_unemployment_pct" and unemployment == "y25i01":
            out[cov.column] = {p: {"window": "observed (y25i01 monthly)"} for p in MONTHLY_PERIODS}
            continue
        years = sorted(int(y) for y in factors.loc[factors["factor"] == cov.factor, "year"].unique())
        out[cov.column] = {p: window_rules(years, p) for p in MONTHLY_PERIODS}
    return out


def carried_values(rules: Mapping[str, Mapping[str, Mapping[str, str]]]) -> list[dict[str, Any]]:
    """The carried-forward values of :func:`monthly_codebook`'s rules, one entry per covariate,
    window and year: ``covariate``, ``period``, ``year``, ``carried_from``, ``weight`` (the
    year's share of the window)."""
    out = []
    for col, by_period in rules.items():
        for period, by_year in by_period.items():
            w = window_weights(period)
            for year, rule in by_year.items():
                if rule.startswith("carried from "):
                    out.append(
                        {
                            "covariate": col,
                            "period": period,
                            "year": int(year),
                            "carried_from": int(rule.removeprefix("carried from ")),
                            "weight": w[int(year)],
                        }
                    )
    return out


def monthly_codebook(root: Path | None = None, *, unemployment: str = "aup02") -> dict[str, Any]:
    """Metadata of the monthly panel: sources with sha256, windows, columns and rules.

    ``root`` and ``unemployment`` as in :func:`build_monthly_panel`.

    Returns
    -------
    dict
        JSON-serialisable: ``sources`` (file, sha256, attribution), ``periods`` (window and
        year weights), ``columns`` (description, unit, source; for covariates the rule per
        window and year), ``carried`` (every carried-forward covariate value: covariate,
        window, year, year carried from, weight in the window), ``outcome_definition``,
        ``population_rule``, ``missing_values``, ``interpolation_rule``, ``excluded``,
        ``not_used``, ``unemployment`` (the choice).
    """
    _check_unemployment(unemployment)
    m_sums = recorded_sums(jobindsats.SOURCE_MONTHLY, root=root)
    from_dst = [c for c in COVARIATES if not (c.column == "x_unemployment_pct" and unemployment == "y25i01")]
    sources = [
        {
            "file": f"{jobindsats.SOURCE_MONTHLY}/{jobindsats.MONTHLY_FILE}",
            "sha256": m_sums[jobindsats.MONTHLY_FILE],
            "source": OUTCOME_SOURCE,
        },
        *covariate_sources(from_dst, root=root),
    ]
    periods = {}
    for p in MONTHLY_PERIODS:
        start, end = window_months(p)
        periods[p] = {
            "start": str(start),
            "end": str(end),
            "year_weights": {str(y): w for y, w in window_weights(p).items()},
        }
    columns: dict[str, dict[str, Any]] = {
        "code": {"description": "official 3-digit municipality code", "unit": ""},
        "name": {"description": "municipality name (registry)", "unit": ""},
        "komgrp": {"description": "DST Kommunegruppe 1–5", "unit": "", "source": "Danmarks Statistik"},
        "period": {"description": "last month of the rolling 12-month window (YYYYMmm)", "unit": ""},
        "period_start": {"description": "first month of the window", "unit": "month"},
        "period_end": {"description": "last month of the window", "unit": "month"},
        "population": {
            "description": "residents 16–66, recovered from y60a02's full-time persons and their "
            "population share: " + POPULATION_RULE,
            "unit": "persons",
            "source": OUTCOME_SOURCE,
        },
        f"ft_{OUTCOME_KEY}": {
            "description": "mean over the window's 12 months of y60a02's monthly full-time persons",
            "unit": "full-time persons (monthly figures whole numbers)",
            "source": OUTCOME_SOURCE,
        },
        f"share_{OUTCOME_KEY}": {
            "description": "100 · ft_kontanthjaelp / population = mean of the 12 published shares",
            "unit": "per cent (monthly shares published with 1 decimal)",
            "source": OUTCOME_SOURCE,
        },
    }
    rules = _covariate_rules(root, unemployment)
    columns.update(covariate_columns(rules, rule="window_rule"))
    if unemployment == "y25i01":  # the monthly rate replaces DST's annual one
        columns["x_unemployment_pct"] |= {
            "description": UNEMPLOYMENT_Y25I01_RULE,
            "unit": "per cent",
            "source": "Jobindsats.dk (STAR), måling y25i01 (ledighed), månedlig",
            "indicator": "y25i01 totalRate",
        }
    return {
        "table": "kommunebench public monthly panel: municipality × 12-month window ending in July",
        "rows": f"one per municipality (98) and window ({len(MONTHLY_PERIODS)})",
        "sources": sources,
        "periods": periods,
        "columns": columns,
        "carried": carried_values(rules),
        "outcome_definition": OUTCOME_DEFINITION,
        "population_rule": POPULATION_RULE,
        "missing_values": MISSING_RULE,
        "interpolation_rule": INTERPOLATION_RULE,
        "excluded": EXCLUDED,
        "unemployment": unemployment,
        "not_used": "No published benchmark (expected, difference, rank) exists for these windows. "
        + (
            "Of the monthly file only y60a02's full-time persons and population shares are read; "
            "y25i01 (registered unemployment) is not a covariate here (the annual AUP02 rate is, as "
            "in the Y30R21 panel)."
            if unemployment == "aup02"
            else "Of the monthly file y60a02's full-time persons and population shares and y25i01's "
            "unemployment rate are read; DST's annual AUP02 rate is replaced by y25i01."
        ),
    }


def write_monthly_panel(
    folder: str | Path | None = None, *, root: Path | None = None, unemployment: str = "aup02"
) -> tuple[Path, Path]:
    """Build the monthly panel and write ``monthly.parquet`` and ``monthly.codebook.json`` atomically.

    Parameters
    ----------
    folder
        Target folder; default ``data/processed/public``.
    root, unemployment
        As in :func:`build_monthly_panel`.

    Returns
    -------
    (pathlib.Path, pathlib.Path)
        The Parquet file (codebook also in its schema metadata under ``kommunebench``) and the
        JSON codebook.
    """
    target = Path(folder) if folder is not None else processed_dir() / "public"
    panel = build_monthly_panel(root, unemployment=unemployment)
    meta = monthly_codebook(root, unemployment=unemployment)
    meta["n_rows"] = len(panel)
    parquet = write_parquet_atomic(panel, target / MONTHLY_PANEL_FILE, metadata=meta)
    js = write_json_atomic(meta, target / MONTHLY_CODEBOOK_FILE)
    return parquet, js


__all__ = [
    "FULLTIME_SERIES",
    "MONTHLY_CODEBOOK_FILE",
    "MONTHLY_PANEL_FILE",
    "MONTHLY_PERIODS",
    "OUTCOME_KEY",
    "POPULATION_TOLERANCE",
    "RATE_SERIES",
    "UNEMPLOYMENT_SOURCES",
    "build_monthly_panel",
    "carried_values",
    "compare_y30r21",
    "monthly_codebook",
    "window_months",
    "window_rules",
    "window_value",
    "window_weights",
    "write_monthly_panel",
]
