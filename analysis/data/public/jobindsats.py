"""Jobindsats.dk (STAR) tables: the benchmark measure Y30R21 and the monthly kommune measures.

Three loaders, each returning a long :class:`pandas.DataFrame` keyed by the official 3-digit
municipality ``code``:

* :func:`load_y30r21_actual` — the **actual** side of Y30R21 (full-time persons on public
  support and their share of the population 16–66) for the 98 kommuner × 4 ydelsesgrupper ×
  6 periods, from ``data/raw/jobindsats-y30r21/y30r21_actual.csv``. This is the outcome.
* :func:`load_official` — the Ministry's published benchmark (expected, actual, difference,
  rank) in the jobindsats API's own JSON-lines format, e.g. the embedded
  ``Y30R21-2020QMAT02.jsonl`` or a newer download. **For comparison only**: nothing from it
  (expected, difference, rank) is ever a model input.
* :func:`load_monthly` — kontanthjælp (y60a02) and registered unemployment (y25i01) per kommune
  and month from the dashboard re-shape in ``data/raw/jobindsats-monthly-kommune``.

Ydelsesgrupper → benefit keys
-----------------------------
=========================  =================  ==================================================
Y30R21 label               key                content
=========================  =================  ==================================================
``A-dagpenge mv.``         ``dagpenge``       dagpengeområdet: a-dagpenge (in VIVE's 2018
                                              categories also kontantydelse and
                                              arbejdsmarkedsydelse)
``Sygedagpenge mv.``       ``sygedagpenge``   sygedagpengeområdet: sygedagpenge and
                                              jobafklaringsforløb (bm.dk's area list)
``Kontanthjælp mv.``       ``kontanthjaelp``  kontanthjælpsområdet: kontanthjælp,
                                              uddannelseshjælp, integrationsydelse (VIVE 2018
                                              adds revalidering, forrevalidering)
``Ydelsesgrupper i alt``   ``bm2019``         the overall list: every benefit in the Ministry's
                                              benchmark since May 2019 (the three areas with
                                              ledighedsydelse and ressourceforløb)
=========================  =================  ==================================================

Sources: the project's method notes and the Y30R21 ``PROVENANCE.md`` (labels; the three areas;
the May 2019 additions), bm.dk's area pages as summarised in the method notes (sygedagpenge +
jobafklaringsforløb), VIVE's 2018 categories (the "mv." members). **Inference:** that
"Ydelsesgrupper i alt" is the 2019 set. In the file the total equals the sum of the three areas
within the rounding of the counts (|total − sum| ≤ 20 full-time persons, the most that four
numbers rounded to 10 allow, in 584 of the 588 kommune × period cells; 30–40 in København
2021QMAT04 and Aarhus 2021QMAT04–2022QMAT04, about 0.1 % of their totals), so
ledighedsydelse and ressourceforløb cannot be a fourth area on top of the three: they must sit
inside them (jobindsats does not say in which; "Kontanthjælp mv." or "Sygedagpenge mv." are
both plausible). The keys
``dagpenge``, ``sygedagpenge`` and ``kontanthjaelp`` therefore denote the Y30R21 *areas*, which
are broader than the register groups of the same name in :mod:`analysis.core.benefits`.

Rounding and the population
---------------------------
jobindsats publishes full-time persons rounded to the nearest 10 and shares in per cent rounded
to 2 decimals. The benchmark population (residents 16–66, the share's denominator) is not
published; it is recovered as ``actual / share × 100``. The ``bm2019`` row has the largest count,
so the smallest relative rounding error, and its population is used for all four rows of a
(code, period). A row (count ``a``, share ``s``) is consistent with that population when the
interval of populations its rounded values allow, ``[100·(a−5)/(s+0.005), 100·(a+5)/(s−0.005)]``,
overlaps the ``bm2019`` row's interval; a row that does not is an error naming the line — except
the rows listed in :data:`KNOWN_SHARE_DEFECTS` (two in the upstream data, see there), whose share
is recomputed as ``100 · actual / population``.

Periods
-------
Period codes ``YYYYQMAT02`` and ``YYYYQMAT04`` are moving annual totals ending in the 2nd and 4th
quarter of ``YYYY``: ``2020QMAT02`` = July 2019 – June 2020, ``2020QMAT04`` = calendar 2020. See
:func:`period_window` and :func:`year_weights`.

Examples
--------
>>> from analysis.data.public.jobindsats import period_window, year_weights
>>> period_window("2020QMAT02")
(Period('2019-07', 'M'), Period('2020-06', 'M'))
>>> year_weights("2021QMAT02")
{2020: 0.5, 2021: 0.5}
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.core.municipalities import codes
from analysis.core.paths import raw_dir
from analysis.core.validate import InputError
from analysis.data.public._checks import (
    Problems,
    check_complete,
    check_duplicates,
    code_for_name,
    name_of,
    nfc,
    registry_names,
)
from analysis.data.public.provenance import verified_file

SOURCE_Y30R21 = "jobindsats-y30r21"
ACTUAL_FILE = "y30r21_actual.csv"
#: Columns of ``kommunebench official``'s table (the published benchmark, our sign convention).
OFFICIAL_COLUMNS = (
    "code",
    "period",
    "benefit",
    "population",
    "expected",
    "actual",
    "difference",
    "difference_pp",
    "rank",
)
OFFICIAL_FILE = "Y30R21-2020QMAT02.jsonl"
SOURCE_MONTHLY = "jobindsats-monthly-kommune"
MONTHLY_FILE = "dashboard-data.json"

#: Ydelsesgruppe label in Y30R21 → benefit key (module docstring: what each area contains).
BENEFIT_KEYS: dict[str, str] = {
    "Ydelsesgrupper i alt": "bm2019",
    "A-dagpenge mv.": "dagpenge",
    "Sygedagpenge mv.": "sygedagpenge",
    "Kontanthjælp mv.": "kontanthjaelp",
}
#: Benefit keys in the order used for rows and columns.
BENEFITS: tuple[str, ...] = ("bm2019", "dagpenge", "sygedagpenge", "kontanthjaelp")
#: The six periods of ``y30r21_actual.csv``.
Y30R21_PERIODS: tuple[str, ...] = (
    "2020QMAT02",
    "2020QMAT04",
    "2021QMAT02",
    "2021QMAT04",
    "2022QMAT02",
    "2022QMAT04",
)
#: Area names in jobindsats that differ from the registry names (none so far: jobindsats uses
#: the registry's Danish names, "Bornholm" and "Vesthimmerlands" included).
JOBINDSATS_ALIASES: dict[str, int] = {}

#: Published rows whose share contradicts their own count and the municipality's population, by
#: (code, period, benefit). Herlev's and Furesø's A-dagpenge shares for 2021QMAT04 (2.00 and
#: 2.32) each fit the *other* municipality: 420 / 2.00 % = 21,000 residents, but Herlev's other
#: rows give 18,145–18,282; 490 / 2.32 % = 21,121, but Furesø's give 24,171–24,372. With the
#: shares swapped the three areas' shares add up to the total's share (Herlev 2.32 + 2.91 + 3.39
#: = 8.62, Furesø 2.00 + 2.22 + 1.96 = 6.18), and the counts add up to the totals as they stand,
#: so it is the published shares that are wrong (the jobindsats API lines themselves carry these
#: values). The loader keeps the counts and recomputes these shares as 100 · actual / population.
KNOWN_SHARE_DEFECTS: dict[tuple[int, str, str], str] = {
    (163, "2021QMAT04", "dagpenge"): "published share 2.00 fits Furesø's population, not Herlev's",
    (190, "2021QMAT04", "dagpenge"): "published share 2.32 fits Herlev's population, not Furesø's",
}

_CODES = frozenset(codes())
_PERIOD = re.compile(r"^(\d{4})QMAT0([24])$")
# half the rounding unit of the published figures
_COUNT_HALF = 5.0
_SHARE_HALF = 0.005
_REL_TOL = 1e-9


# --------------------------------------------------------------------------------------- periods
def parse_period(period: str) -> tuple[int, int]:
    """``"2020QMAT02"`` → ``(2020, 2)``: the year and the quarter the 12-month window ends in.

    Raises
    ------
    ValueError
        If ``period`` is not ``YYYYQMAT02`` or ``YYYYQMAT04``.
    """
    m = _PERIOD.match(str(period))
    if not m:
        raise ValueError(
            f"unknown period {period!r}: expected a jobindsats half-yearly period YYYYQMAT02 or YYYYQMAT04"
        )
    return int(m.group(1)), int(m.group(2))


def period_window(period: str) -> tuple[pd.Period, pd.Period]:
    """First and last month of a period's rolling 12-month window (monthly ``pandas.Period``).

    ``YYYYQMAT02`` runs July of ``YYYY−1`` to June of ``YYYY``; ``YYYYQMAT04`` is calendar ``YYYY``.
    """
    year, quarter = parse_period(period)
    end = pd.Period(year=year, month=3 * quarter, freq="M")
    return end - 11, end


def year_weights(period: str) -> dict[int, float]:
    """Share of the period's 12 months falling in each calendar year (the weights sum to 1)."""
    return dict(_year_weights(period))


@lru_cache(maxsize=64)
def _year_weights(period: str) -> tuple[tuple[int, float], ...]:
    start, _ = period_window(period)
    counts: dict[int, int] = {}
    for k in range(12):
        year = (start + k).year
        counts[year] = counts.get(year, 0) + 1
    return tuple((y, n / 12.0) for y, n in sorted(counts.items()))


# ----------------------------------------------------------------------------------- y30r21 actual
def _pop_interval(count: float, share: float) -> tuple[float, float]:
    """Populations consistent with a count rounded to 10 and a share (%) rounded to 2 decimals."""
    lo = 100.0 * max(count - _COUNT_HALF, 0.0) / (share + _SHARE_HALF)
    hi = 100.0 * (count + _COUNT_HALF) / (share - _SHARE_HALF) if share > _SHARE_HALF else math.inf
    return lo * (1 - _REL_TOL), hi * (1 + _REL_TOL)


def _parse_int(text: str) -> int | None:
    t = text.strip()
    if re.fullmatch(r"-?\d+", t):
        return int(t)
    return None


def _parse_float(text: str) -> float | None:
    t = text.strip()
    try:
        v = float(t)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def load_y30r21_actual(root: Path | None = None) -> pd.DataFrame:
    """Actual full-time persons on public support per kommune, ydelsesgruppe and period (Y30R21).

    Reads ``data/raw/jobindsats-y30r21/y30r21_actual.csv`` (jobindsats.dk, STAR, measure Y30R21,
    the "faktisk" columns) after checking its sha256.

    Parameters
    ----------
    root
        Another ``data/raw`` folder (tests); default the project's.

    Returns
    -------
    pandas.DataFrame
        2,352 rows (98 codes × 6 periods × 4 benefits), sorted by period, code, benefit, with
        columns ``code`` (int64, official 3-digit code), ``period`` (str, e.g. ``2020QMAT02``),
        ``benefit`` (str, one of :data:`BENEFITS`), ``actual`` (int64, full-time persons, rounded
        to 10 by jobindsats), ``share_pct`` (float64, per cent of the population 16–66),
        ``population`` (float64, residents 16–66 recovered from the ``bm2019`` row as
        ``actual / share × 100``; the same for the four rows of a code and period) and
        ``share_recomputed`` (bool; True for the rows of :data:`KNOWN_SHARE_DEFECTS`, whose
        ``share_pct`` is ``100 · actual / population``).

    Raises
    ------
    InputError
        The file is missing or changed (sha256); a column is missing; a code is unknown or its
        name differs from the registry; a period or ydelsesgruppe is unknown; a number does not
        parse; a (code, period, ydelsesgruppe) occurs twice; a municipality is missing from a
        period and group; a row's share contradicts its count and the population. The message
        names the file and the line (header = line 1).
    """
    path = verified_file(SOURCE_Y30R21, ACTUAL_FILE, root=root)
    p = Problems(path, "Y30R21 actual")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    cols = ["kommunekode", "kommune", "periode", "ydelsesgruppe", "faktisk_antal", "faktisk_andel_pct"]
    missing = [c for c in cols if c not in raw.columns]
    if missing:
        p.add(f"missing column(s) {missing}; found {list(raw.columns)}")
        p.raise_if_any()

    rows: list[tuple[int, str, str, int, float]] = []
    lines: list[int] = []
    for i, rec in enumerate(raw[cols].itertuples(index=False, name=None)):
        line = i + 2
        code_txt, name, period, group, count_txt, share_txt = (str(v) for v in rec)
        ok = True
        code = _parse_int(code_txt)
        if code is None or code not in _CODES:
            p.add(
                f"line {line}: column 'kommunekode': unknown municipality code {code_txt!r}; "
                "expected one of the 98 official 3-digit codes"
            )
            ok = False
        elif nfc(name) != name_of(code):
            p.add(
                f"line {line}: column 'kommune': name {name!r} does not match code {code} "
                f"({name_of(code)!r} in the registry)"
            )
            ok = False
        if period not in Y30R21_PERIODS:
            p.add(
                f"line {line}: column 'periode': unknown period {period!r}; "
                f"expected one of {', '.join(Y30R21_PERIODS)}"
            )
            ok = False
        if group not in BENEFIT_KEYS:
            p.add(
                f"line {line}: column 'ydelsesgruppe': unknown ydelsesgruppe {group!r}; "
                f"expected one of {', '.join(map(repr, BENEFIT_KEYS))}"
            )
            ok = False
        count = _parse_int(count_txt)
        if count is None or count < 0:
            p.add(
                f"line {line}: column 'faktisk_antal': {count_txt!r} is not a whole number ≥ 0 "
                "(full-time persons)"
            )
            ok = False
        share = _parse_float(share_txt)
        if share is None or not 0 <= share <= 100:
            p.add(
                f"line {line}: column 'faktisk_andel_pct': {share_txt!r} is not a share in per cent "
                "(0–100, decimal point)"
            )
            ok = False
        if ok and code is not None and count is not None and share is not None:
            rows.append((code, period, BENEFIT_KEYS[group], count, share))
            lines.append(line)
    p.raise_if_any()

    df = pd.DataFrame(rows, columns=["code", "period", "benefit", "actual", "share_pct"])
    df["line"] = lines
    check_duplicates(
        list(zip(df["code"], df["period"], df["benefit"], strict=True)),
        lines,
        p,
        key_names=("kommunekode", "periode", "ydelsesgruppe"),
    )
    for period in Y30R21_PERIODS:
        for benefit in BENEFITS:
            present = df.loc[(df["period"] == period) & (df["benefit"] == benefit), "code"]
            check_complete(present, p, where=f"period {period}, ydelsesgruppe {benefit!r}")
    p.raise_if_any()

    df = _attach_population(df, p)
    p.raise_if_any()
    order = {b: i for i, b in enumerate(BENEFITS)}
    df = df.assign(_b=df["benefit"].map(order)).sort_values(["period", "code", "_b"], kind="stable")
    out = df.drop(columns=["_b", "line"]).reset_index(drop=True)
    return out.astype(
        {
            "code": "int64",
            "period": "str",
            "benefit": "str",
            "actual": "int64",
            "share_pct": "float64",
            "population": "float64",
            "share_recomputed": "bool",
        }
    )


def _attach_population(df: pd.DataFrame, p: Problems) -> pd.DataFrame:
    """Population from the ``bm2019`` row; check every other row against it (rounding bounds)."""
    total = df[df["benefit"] == "bm2019"].set_index(["code", "period"])
    bad_total = total[total["share_pct"] <= 0]
    for (code, period), r in bad_total.iterrows():
        p.add(
            f"line {r['line']}: column 'faktisk_andel_pct': share {r['share_pct']} for "
            f"{code} {name_of(code)}, {period}, 'Ydelsesgrupper i alt' must be positive "
            "(the population is recovered from it)"
        )
    if bad_total.size:
        return df
    population = total["actual"] / total["share_pct"] * 100.0
    t_lo = {}
    t_hi = {}
    for key, r in total.iterrows():
        t_lo[key], t_hi[key] = _pop_interval(float(r["actual"]), float(r["share_pct"]))

    recomputed = np.zeros(len(df), dtype=bool)
    shares = df["share_pct"].to_numpy(dtype=float).copy()
    pops = np.empty(len(df))
    seen_defects = set()
    for i, (code, period, benefit, count, share, line) in enumerate(
        df[["code", "period", "benefit", "actual", "share_pct", "line"]].itertuples(index=False, name=None)
    ):
        key = (code, period)
        pops[i] = population[key]
        if benefit == "bm2019":
            continue
        lo, hi = _pop_interval(float(count), float(share))
        consistent = lo <= t_hi[key] and hi >= t_lo[key]
        defect = (code, period, benefit) in KNOWN_SHARE_DEFECTS
        if defect:
            seen_defects.add((code, period, benefit))
            if consistent:
                p.add(
                    f"line {line}: ({code} {name_of(code)}, {period}, {benefit}) is listed in "
                    "KNOWN_SHARE_DEFECTS but its share now agrees with the population; the list is "
                    "out of date for this file"
                )
                continue
            shares[i] = 100.0 * count / pops[i]
            recomputed[i] = True
        elif not consistent:
            p.add(
                f"line {line}: {code} {name_of(code)}, {period}, {benefit}: count {count} and share "
                f"{share} % imply a population of {lo:,.0f}–{hi:,.0f}, but the 'Ydelsesgrupper i alt' "
                f"row gives {t_lo[key]:,.0f}–{t_hi[key]:,.0f} (counts rounded to 10, shares to 2 "
                "decimals); expected the same population in every row"
            )
    return df.assign(population=pops, share_pct=shares, share_recomputed=recomputed)


# -------------------------------------------------------------------------------- official (jsonl)
#: JSON field of the jobindsats API → column of :func:`load_official`.
_PREFIX_N = "Forventet og faktisk antal fuldtidspersoner på offentlig forsørgelse: "
_PREFIX_S = "Forventet og faktisk andel fuldtidspersoner på offentlig forsørgelse: "
OFFICIAL_FIELDS: dict[str, str] = {
    "Area": "area",
    "Periode": "period",
    "Ydelsesgrupper": "group",
    _PREFIX_N + "Forventet antal": "expected",
    _PREFIX_N + "Faktisk antal": "actual",
    _PREFIX_N + "Forskel mellem forventet og faktisk antal": "forskel",
    _PREFIX_S + "Forventet andel (pct.)": "expected_share_pct",
    _PREFIX_S + "Faktisk andel (pct.)": "actual_share_pct",
    _PREFIX_S + "Forskel mellem forventet og faktisk andel (pct. point)": "forskel_pp",
    "Placering på benchmarkranglisten": "rank",
}
_INT_FIELDS = ("expected", "actual", "forskel", "rank")
_DEC_FIELDS = ("expected_share_pct", "actual_share_pct", "forskel_pp")
# a difference of two shares rounded to 2 decimals, itself rounded to 2 decimals
_PP_TOL = 0.010 + 1e-9


def _number(value: Any, *, integer: bool) -> float | int | None:
    """A JSON number or a string with a decimal comma (``"9,08"``, ``"-0,06"``); None if neither."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if integer:
            return int(value) if value.is_integer() else None
        return value
    if isinstance(value, str):
        t = value.strip().replace("\u2212", "-")
        if integer:
            return int(t) if re.fullmatch(r"-?\d+", t) else None
        if re.fullmatch(r"-?\d+(,\d+)?", t):
            return float(t.replace(",", "."))
    return None


def load_official(path: str | Path | None = None, *, root: Path | None = None) -> pd.DataFrame:
    """The Ministry's published benchmark (Y30R21) from a jobindsats API JSON-lines file.

    One JSON object per line with the API's Danish labels (:data:`OFFICIAL_FIELDS`), area names
    instead of codes, counts as numbers and shares as strings with a decimal comma. The embedded
    sample is ``data/raw/jobindsats-y30r21/Y30R21-2020QMAT02.jsonl`` (one period, 2020QMAT02);
    a newer download of Y30R21 in the same format can be passed as ``path``.

    **For comparison only**: the expected counts, differences and ranks are the Ministry's
    results, never inputs to this package's model (:func:`analysis.data.public.panel.build_panel`
    does not read this file).

    Sign convention
    ---------------
    ``difference = actual − expected`` (full-time persons) and ``difference_pp = actual share −
    expected share`` (percentage points), so negative is better than expected; rank 1 is the
    most negative ``difference_pp``. Despite its label ("Forskel mellem forventet og faktisk"),
    jobindsats' Forskel is *faktisk − forventet*: in the embedded file the counts satisfy
    ``Forskel = Faktisk − Forventet`` exactly in all 392 rows (the reverse in only the 30 with
    zero difference) and the pct.-point column equals the difference of the two published
    shares in all 392 rows. The loader checks this for every file: if a file used the opposite
    sign throughout, its differences are negated (``attrs["sign_flipped"]``); a row that fits
    neither sign is an error.

    Ranks
    -----
    ``rank`` is the published "Placering på benchmarkranglisten", 1–98 per period and
    ydelsesgruppe. The published ranks order ``difference_pp`` ascending. The published
    ``difference_pp`` is the difference of the two shares *after* rounding to 2 decimals, so
    kommuner often tie in it (2020QMAT02: 143 adjacent tied pairs over the four lists), and the
    Ministry's order within a tie is not recoverable from the file: it follows neither code,
    name, count difference, expected or actual share, nor population. It is consistent with
    ranking on the *unrounded* difference of shares (no tied pair contradicts the interval of
    unrounded values that the rounded counts and shares allow), which is the most plausible rule
    but not documented by jobindsats or bm.dk. Re-ranking the loaded ``difference_pp`` therefore
    reproduces the published ranks exactly up to the order within ties: each published rank lies
    between the tie block's first and last position.

    Parameters
    ----------
    path
        A JSON-lines file; default the embedded 2020QMAT02 sample. Its sha256 is checked against
        ``PROVENANCE.md`` only when it is the embedded file.
    root
        Another ``data/raw`` folder (tests), used when ``path`` is None.

    Returns
    -------
    pandas.DataFrame
        One row per code × period × benefit, sorted by period, benefit, rank: ``code`` (int64),
        ``period`` (str), ``benefit`` (str, :data:`BENEFITS`), ``population`` (float64,
        residents 16–66 recovered from the ``bm2019`` row's actual count and share),
        ``expected``, ``actual``, ``difference`` (int64, full-time persons, rounded to 10),
        ``expected_share_pct``, ``actual_share_pct`` (float64, per cent), ``difference_pp``
        (float64, percentage points), ``rank`` (int64, 1 = best).

    Raises
    ------
    InputError
        Naming the file and the line (1-based) and field: invalid JSON, a missing or unexpected
        field, an unknown area name, period or ydelsesgruppe, a number that does not parse, a
        duplicated (area, period, ydelsesgruppe), a municipality missing from a period ×
        ydelsesgruppe, a difference that is neither actual − expected nor its opposite, ranks that
        are not 1–98 once each. For the embedded file also a changed sha256.
    """
    embedded = (root or raw_dir()) / SOURCE_Y30R21 / OFFICIAL_FILE
    if path is None or Path(path).resolve() == embedded.resolve():
        file = verified_file(SOURCE_Y30R21, OFFICIAL_FILE, root=root)
    else:
        file = Path(path)
        if not file.is_file():
            raise InputError(f"{file}: no such file (expected a Y30R21 JSON-lines download)")
    p = Problems(file, "Y30R21 benchmark")
    records: list[dict[str, Any]] = []
    with open(file, encoding="utf-8") as fh:
        for line_no, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            rec = _official_record(text, line_no, p)
            if rec is not None:
                records.append(rec)
    p.raise_if_any()
    if not records:
        p.add("no data lines; expected one JSON object per line")
        p.raise_if_any()

    df = pd.DataFrame.from_records(records)
    check_duplicates(
        list(zip(df["area"], df["period"], df["group"], strict=True)),
        df["line"].tolist(),
        p,
        key_names=("Area", "Periode", "Ydelsesgrupper"),
    )
    for period in sorted(df["period"].unique()):
        for group, benefit in BENEFIT_KEYS.items():
            sel = (df["period"] == period) & (df["benefit"] == benefit)
            check_complete(df.loc[sel, "code"], p, where=f"period {period}, Ydelsesgrupper {group!r}")
            ranks = sorted(df.loc[sel, "rank"].tolist())
            if sel.any() and ranks != list(range(1, int(sel.sum()) + 1)):
                dup = sorted({r for r in ranks if ranks.count(r) > 1})
                gaps = sorted(set(range(1, 99)) - set(ranks))
                p.add(
                    f"period {period}, Ydelsesgrupper {group!r}: field 'Placering på benchmarkranglisten' "
                    f"must hold 1–98 once each; repeated {dup[:10]}, missing {gaps[:10]}"
                )
    p.raise_if_any()

    flipped = _check_sign(df, p)
    p.raise_if_any()
    if flipped:
        df["forskel"] = -df["forskel"]
        df["forskel_pp"] = -df["forskel_pp"]

    total = df[df["benefit"] == "bm2019"].set_index(["code", "period"])
    bad = total[total["actual_share_pct"] <= 0]
    for (code, period), r in bad.iterrows():
        p.add(
            f"line {r['line']}: {code} {name_of(code)}, {period}: 'Faktisk andel (pct.)' must be "
            "positive in 'Ydelsesgrupper i alt' (the population is recovered from it)"
        )
    p.raise_if_any()
    pop = (total["actual"] / total["actual_share_pct"] * 100.0).rename("population")
    df = df.join(pop, on=["code", "period"])
    order = {b: i for i, b in enumerate(BENEFITS)}
    df = df.assign(_b=df["benefit"].map(order)).sort_values(["period", "_b", "rank"], kind="stable")
    out = df.rename(columns={"forskel": "difference", "forskel_pp": "difference_pp"})[
        [
            "code",
            "period",
            "benefit",
            "population",
            "expected",
            "actual",
            "difference",
            "expected_share_pct",
            "actual_share_pct",
            "difference_pp",
            "rank",
        ]
    ].reset_index(drop=True)
    out = out.astype(
        {
            "code": "int64",
            "period": "str",
            "benefit": "str",
            "population": "float64",
            "expected": "int64",
            "actual": "int64",
            "difference": "int64",
            "expected_share_pct": "float64",
            "actual_share_pct": "float64",
            "difference_pp": "float64",
            "rank": "int64",
        }
    )
    out.attrs["source"] = str(file)
    out.attrs["sign_flipped"] = bool(flipped)
    return out


def _official_record(text: str, line_no: int, p: Problems) -> dict[str, Any] | None:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        p.add(f"line {line_no}: not valid JSON ({e.msg} at column {e.colno})")
        return None
    if not isinstance(obj, dict):
        p.add(f"line {line_no}: expected a JSON object, found {type(obj).__name__}")
        return None
    missing = [k for k in OFFICIAL_FIELDS if k not in obj]
    extra = [k for k in obj if k not in OFFICIAL_FIELDS]
    if missing or extra:
        if missing:
            p.add(f"line {line_no}: missing field(s) {missing}")
        if extra:
            p.add(f"line {line_no}: unexpected field(s) {extra}; expected the Y30R21 fields only")
        return None
    rec: dict[str, Any] = {"line": line_no}
    ok = True
    for label, col in OFFICIAL_FIELDS.items():
        value = obj[label]
        if col in _INT_FIELDS or col in _DEC_FIELDS:
            num = _number(value, integer=col in _INT_FIELDS)
            if num is None:
                kind = "a whole number" if col in _INT_FIELDS else "a number (decimal comma allowed)"
                p.add(f"line {line_no}: field {label!r}: cannot parse {value!r} as {kind}")
                ok = False
            rec[col] = num
        else:
            if not isinstance(value, str):
                p.add(f"line {line_no}: field {label!r}: expected text, found {value!r}")
                ok = False
            rec[col] = value
    if not ok:
        return None
    code = code_for_name(rec["area"], JOBINDSATS_ALIASES)
    if code is None:
        p.add(
            f"line {line_no}: field 'Area': unknown municipality {rec['area']!r}; expected one of the "
            "98 registry names (or an alias in JOBINDSATS_ALIASES)"
        )
        ok = False
    try:
        parse_period(rec["period"])
    except ValueError as e:
        p.add(f"line {line_no}: field 'Periode': {e}")
        ok = False
    if rec["group"] not in BENEFIT_KEYS:
        p.add(
            f"line {line_no}: field 'Ydelsesgrupper': unknown ydelsesgruppe {rec['group']!r}; "
            f"expected one of {', '.join(map(repr, BENEFIT_KEYS))}"
        )
        ok = False
    for col in ("expected", "actual"):
        if rec[col] < 0:
            p.add(f"line {line_no}: field for {col!r}: negative count {rec[col]}")
            ok = False
    if not ok:
        return None
    rec["code"] = code
    rec["benefit"] = BENEFIT_KEYS[rec["group"]]
    return rec


def _check_sign(df: pd.DataFrame, p: Problems) -> bool:
    """Whether the file's Forskel columns are forventet − faktisk (True) or faktisk − forventet."""
    o_minus_e = df["actual"] - df["expected"]
    pp = df["actual_share_pct"] - df["expected_share_pct"]
    ours = (df["forskel"] == o_minus_e) & ((df["forskel_pp"] - pp).abs() <= _PP_TOL)
    theirs = (df["forskel"] == -o_minus_e) & ((df["forskel_pp"] + pp).abs() <= _PP_TOL)
    neither = ~(ours | theirs)
    for _, r in df[neither].head(20).iterrows():
        p.add(
            f"line {r['line']}: Forskel {r['forskel']} / {r['forskel_pp']} pct.-point is neither "
            f"actual − expected ({r['actual'] - r['expected']} / "
            f"{r['actual_share_pct'] - r['expected_share_pct']:.2f}) nor its opposite"
        )
    if neither.any():
        return False
    # rows with a zero difference fit both conventions; the others decide
    informative = ours ^ theirs
    if (ours & informative).any() and (theirs & informative).any():
        lines_t = df.loc[theirs & informative, "line"].tolist()[:10]
        lines_o = df.loc[ours & informative, "line"].tolist()[:10]
        p.add(
            f"Forskel columns mix sign conventions: actual − expected on lines {lines_o}, "
            f"expected − actual on lines {lines_t}; expected one convention in a file"
        )
        return False
    return bool((theirs & informative).any())


# ---------------------------------------------------------------------------------------- monthly
#: Series of :func:`load_monthly`: key → (JSON section, JSON field, jobindsats measure, unit, meaning).
MONTHLY_SERIES: dict[str, tuple[str, str, str, str, str]] = {
    "kh_fulltime": (
        "cashAssistance",
        "fullTime",
        "y60a02",
        "full-time persons",
        "kontanthjælp recipients, full-time persons (fuldtidspersoner)",
    ),
    "kh_population_pct": (
        "cashAssistance",
        "populationRate",
        "y60a02",
        "per cent",
        "kontanthjælp full-time persons in per cent of the population 16–66",
    ),
    "unemployed": (
        "unemployment",
        "total",
        "y25i01",
        "persons",
        "registered unemployed (bruttoledige), all",
    ),
    "unemployment_pct": (
        "unemployment",
        "totalRate",
        "y25i01",
        "per cent",
        "registered unemployment in per cent of the labour force, all",
    ),
    "unemployed_dagpenge": (
        "unemployment",
        "dagpenge",
        "y25i01",
        "persons",
        "registered unemployed on a-dagpenge",
    ),
    "unemployment_dagpenge_pct": (
        "unemployment",
        "dagpengeRate",
        "y25i01",
        "per cent",
        "registered unemployed on a-dagpenge in per cent of the labour force",
    ),
    "unemployed_kontanthjaelp": (
        "unemployment",
        "kontanthjaelp",
        "y25i01",
        "persons",
        "registered unemployed on kontanthjælp (jobparate)",
    ),
    "unemployment_kontanthjaelp_pct": (
        "unemployment",
        "kontanthjaelpRate",
        "y25i01",
        "per cent",
        "registered unemployed on kontanthjælp in per cent of the labour force",
    ),
}
_MONTH = re.compile(r"^(\d{4})M(0[1-9]|1[0-2])$")

_SLUG_MAP = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", " ": "-"})


def slug(name: str) -> str:
    """The dashboard's key for a registry name: lower case, æ/ø/å → ae/oe/aa, blanks → ``-``.

    >>> slug("Høje-Taastrup"), slug("Ærø")
    ('hoeje-taastrup', 'aeroe')
    """
    return nfc(name).lower().translate(_SLUG_MAP)


def load_monthly(root: Path | None = None, *, wide: bool = False) -> pd.DataFrame:
    """Monthly kontanthjælp and registered unemployment per kommune (jobindsats y60a02, y25i01).

    Reads ``data/raw/jobindsats-monthly-kommune/dashboard-data.json`` (a dashboard's re-shape of
    jobindsats.dk API data, numbers unchanged; see its ``PROVENANCE.md``) after checking its
    sha256. Each of the 98 entries under ``municipalities`` is keyed by a slug of the Danish
    name; a key is accepted only if it equals :func:`slug` of a registry name *and* the entry's
    own ``name`` equals that registry name exactly.

    Months run 2021M08–2026M07 (60). jobindsats suppresses small counts: the unemployed on
    kontanthjælp (and twice the rate) are ``null`` in some months on Fanø, Ærø, Samsø and Læsø;
    they are kept as missing values (NaN), never filled.

    Parameters
    ----------
    root
        Another ``data/raw`` folder (tests).
    wide
        Return one row per code × month with one column per series instead of the long frame.

    Returns
    -------
    pandas.DataFrame
        Long (default): ``code`` (int64), ``month`` (``period[M]``), ``measure`` (str,
        jobindsats measure id, ``y60a02`` or ``y25i01``), ``series`` (str, a key of
        :data:`MONTHLY_SERIES`), ``value`` (float64; unit in :data:`MONTHLY_SERIES`); 98 × 60 × 8
        rows. Wide: ``code``, ``month`` and one float64 column per series; the measure ids are in
        ``attrs["measures"]``.

    Raises
    ------
    InputError
        Naming the file and the JSON path: invalid JSON, a missing section or field, an unknown
        slug or a name that differs from the registry, a month label that is malformed,
        repeated or later than ``meta.sourceStatus``'s latest period, a series whose length
        differs from its labels, a value that is not a number, a missing municipality.
    """
    path = verified_file(SOURCE_MONTHLY, MONTHLY_FILE, root=root)
    p = Problems(path, "jobindsats monthly")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        p.add(f"not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})")
        p.raise_if_any()
    munis = data.get("municipalities") if isinstance(data, dict) else None
    if not isinstance(munis, dict):
        p.add("missing object 'municipalities'")
        p.raise_if_any()
    assert isinstance(munis, dict)
    latest = _latest_periods(data, p)
    by_slug = {slug(n): c for n, c in _registry_items()}

    parts: list[tuple[int, list[int], str, str, np.ndarray]] = []
    seen: dict[int, str] = {}
    for key, entry in munis.items():
        where = f"municipalities[{key!r}]"
        code = by_slug.get(key)
        if code is None:
            p.add(f"{where}: unknown municipality key {key!r}; expected the slug of a registry name")
            continue
        if not isinstance(entry, dict) or nfc(str(entry.get("name", ""))) != name_of(code):
            got = entry.get("name") if isinstance(entry, dict) else entry
            p.add(f"{where}.name: {got!r} does not match the registry name {name_of(code)!r} of {code}")
            continue
        if code in seen:
            p.add(f"{where}: municipality {code} {name_of(code)} also under {seen[code]!r}")
            continue
        seen[code] = key
        for section in dict.fromkeys(s[0] for s in MONTHLY_SERIES.values()):
            parts.extend(_monthly_section(entry, section, code, where, latest.get(section), p))
    check_complete(seen, p, where="municipalities")
    p.raise_if_any()

    sizes = [len(part[1]) for part in parts]
    long = pd.DataFrame(
        {
            "code": np.repeat([part[0] for part in parts], sizes),
            "month": pd.PeriodIndex.from_ordinals(np.concatenate([part[1] for part in parts]), freq="M"),
            "measure": np.repeat([part[2] for part in parts], sizes),
            "series": np.repeat([part[3] for part in parts], sizes),
            "value": np.concatenate([part[4] for part in parts]),
        }
    )
    long = long.sort_values(["code", "month", "series"], kind="stable").reset_index(drop=True)
    long = long.astype({"code": "int64", "measure": "str", "series": "str", "value": "float64"})
    measures = {k: v[2] for k, v in MONTHLY_SERIES.items()}
    if not wide:
        long.attrs["measures"] = measures
        return long
    out = long.pivot(index=["code", "month"], columns="series", values="value")
    out = out.reindex(columns=list(MONTHLY_SERIES)).reset_index()
    out.columns.name = None
    out.attrs["measures"] = measures
    return out


def _registry_items() -> list[tuple[str, int]]:
    return list(registry_names().items())


def _latest_periods(data: Mapping[str, Any], p: Problems) -> dict[str, pd.Period]:
    status = data.get("meta", {}).get("sourceStatus", {}) if isinstance(data.get("meta"), dict) else {}
    out: dict[str, pd.Period] = {}
    for section in dict.fromkeys(s[0] for s in MONTHLY_SERIES.values()):
        info = status.get(section) if isinstance(status, dict) else None
        if not isinstance(info, dict) or not _MONTH.match(str(info.get("latestPeriod", ""))):
            p.add(f"meta.sourceStatus[{section!r}].latestPeriod: missing or not a month like 2026M07")
            continue
        measure = {s[0]: s[2] for s in MONTHLY_SERIES.values()}[section]
        if info.get("dataset") != measure:
            p.add(
                f"meta.sourceStatus[{section!r}].dataset: {info.get('dataset')!r}; expected the "
                f"jobindsats measure {measure!r}"
            )
        y, m = str(info["latestPeriod"]).split("M")
        out[section] = pd.Period(year=int(y), month=int(m), freq="M")
    return out


def _monthly_section(
    entry: Mapping[str, Any],
    section: str,
    code: int,
    where: str,
    latest: pd.Period | None,
    p: Problems,
) -> list[tuple[int, list[int], str, str, np.ndarray]]:
    sec = entry.get(section)
    path = f"{where}.{section}"
    if not isinstance(sec, dict):
        p.add(f"{path}: missing section")
        return []
    labels = sec.get("labels")
    if not isinstance(labels, list) or not labels:
        p.add(f"{path}.labels: missing or empty list of months")
        return []
    months: list[int] = []  # months since 1970-01, the ordinal of a monthly pandas.Period
    ok = True
    last = latest.ordinal if latest is not None else None
    for i, lab in enumerate(labels):
        if not isinstance(lab, str) or not _MONTH.match(lab):
            p.add(f"{path}.labels[{i}]: {lab!r} is not a month like 2021M08")
            ok = False
            continue
        y, m = lab.split("M")
        month = (int(y) - 1970) * 12 + int(m) - 1
        if last is not None and month > last:
            p.add(f"{path}.labels[{i}]: {lab} is later than the latest period {latest} in meta.sourceStatus")
            ok = False
        months.append(month)
    if not ok:
        return []
    check_duplicates(
        [(m,) for m in labels],
        list(range(len(labels))),
        p,
        key_names=("month",),
        at=f"{path}.labels positions",
    )
    out = []
    for key, (sec_name, field, measure, _unit, _desc) in MONTHLY_SERIES.items():
        if sec_name != section:
            continue
        values = sec.get(field)
        if not isinstance(values, list) or len(values) != len(labels):
            n = len(values) if isinstance(values, list) else None
            p.add(f"{path}.{field}: expected a list of {len(labels)} values (one per label), found {n}")
            continue
        # None = suppressed by jobindsats (small numbers): kept missing
        if all(v is None or type(v) in (int, float) for v in values):
            nums = np.array([np.nan if v is None else v for v in values], dtype=float)
        else:
            nums = np.full(len(values), np.nan)
        bad = [
            i
            for i, v in enumerate(values)
            if not (v is None or (type(v) in (int, float) and math.isfinite(v)))
        ]
        for i in bad[:10]:
            p.add(
                f"{path}.{field}[{i}] ({labels[i]}): {values[i]!r} is not a number; expected a number or null"
            )
        out.append((code, months, measure, key, nums))
    return out


__all__ = [
    "BENEFITS",
    "BENEFIT_KEYS",
    "KNOWN_SHARE_DEFECTS",
    "MONTHLY_SERIES",
    "OFFICIAL_FIELDS",
    "Y30R21_PERIODS",
    "load_monthly",
    "load_official",
    "load_y30r21_actual",
    "parse_period",
    "period_window",
    "slug",
    "year_weights",
]
