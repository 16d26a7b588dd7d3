"""Schema checks for every input table of the package.

Each ``validate_*`` function checks one table against the data contracts in
``docs/architecture.md`` and returns it unchanged when it conforms. Otherwise it raises one
:class:`InputError` listing *every* problem found; each line names the source (file name or
label), the column, what was expected and the first offending rows (row numbers, or
municipality codes where that is more useful). Nothing is dropped, filled in or converted.

Examples
--------
>>> import pandas as pd
>>> from analysis.core.validate import InputError, validate_truth
>>> try:
...     validate_truth(pd.DataFrame({"code": [101]}), source="truth.parquet")
... except InputError as e:
...     print(str(e).splitlines()[1])
  - truth.parquet: missing column(s) ['benefit', 'effect']
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from analysis.core.benefits import GROUPS
from analysis.core.municipalities import codes as _codes
from analysis.core.municipalities import registry

#: Category levels of the person covariates, in the order of the data contract; the first level
#: is the reference level in models and aggregates.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "age": ("16-24", "25-29", "30-39", "40-49", "50-59", "60-66"),
    "sex": ("mand", "kvinde"),
    "education": ("grundskole", "gymnasial", "erhvervsfaglig", "videregaaende"),
    "origin": ("dansk", "vestlig", "ikke_vestlig"),
    "family": ("enlig", "enlig_boern", "par", "par_boern"),
}
PRIOR_MAX = 5
PERSON_COLUMNS: tuple[str, ...] = (
    "year",
    "code",
    *CATEGORIES,
    "prior",
    *GROUPS,
    "spell_months",
    "exited",
    "employed_3m",
)
#: Local rammevilkår every municipality table must have.
LOCAL_COLUMNS: tuple[str, ...] = ("unemployment_rate", "jobs_per_resident", "urbanisation")
MUNICIPALITY_REQUIRED: tuple[str, ...] = ("year", "code", "name", "population", *LOCAL_COLUMNS)
#: Job-centre columns checked when present (the synthetic register always has them).
MUNICIPALITY_OPTIONAL: tuple[str, ...] = (
    "region",
    "jobcenter",
    "expenditure",
    "conversations_per_recipient",
    "conversations_share_ok",
    "no_offer_share",
    "exits_to_work",
)
_SHARE_COLUMNS = ("urbanisation", "conversations_share_ok", "no_offer_share")
_NONNEGATIVE_COLUMNS = ("jobs_per_resident", "expenditure", "conversations_per_recipient", "exits_to_work")
#: Tolerance on person row sums (sums of months/12 accumulate rounding of order 1e-16).
ROW_SUM_TOL = 1e-9
_SHOW = 5


class InputError(ValueError):
    """An input table does not follow its data contract; the message lists every problem."""


def keyed_by_code(df: pd.DataFrame, what: str, *, unit: str = "municipality") -> pd.DataFrame:
    """Return ``df`` indexed by ``code`` (taken from a ``code`` column or the index).

    Raises
    ------
    TypeError
        If ``df`` is not a DataFrame.
    ValueError
        Naming ``what`` and the duplicated codes, if a code occurs twice.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{what}: expected a DataFrame keyed by code, got {type(df).__name__}")
    out = df.set_index("code") if "code" in df.columns else df.copy()
    out.index = pd.Index(out.index, name="code")
    if out.index.has_duplicates:
        dup = sorted(set(out.index[out.index.duplicated()].tolist()))
        raise ValueError(f"{what}: duplicated code(s) {dup}; expected one row per {unit}")
    return out


class Problems:
    """Collects the problems found in one input and raises them as one :class:`InputError`.

    Each problem is one line starting with ``source``; the message heads them with
    ``invalid <what> <noun> '<source>' (n problems):`` and, with ``max_shown``, lists that many
    and summarises the rest.
    """

    def __init__(
        self, source: str | os.PathLike[str], what: str, *, noun: str = "table", max_shown: int | None = None
    ) -> None:
        self.source = str(source)
        self.what = what
        self.noun = noun
        self.max_shown = max_shown
        self.items: list[str] = []

    def add(self, text: str) -> None:
        self.items.append(f"{self.source}: {text}")

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        n = len(self.items)
        head = f"invalid {self.what} {self.noun} {self.source!r} ({n} problem{'s' if n > 1 else ''}):"
        shown = self.items if self.max_shown is None else self.items[: self.max_shown]
        lines = [head, *(f"  - {p}" for p in shown)]
        if n > len(shown):
            lines.append(f"  - … and {n - len(shown)} more")
        raise InputError("\n".join(lines))


def _first(values: Iterable[object], k: int = _SHOW) -> str:
    vals = list(values)
    shown = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in vals[:k])
    return f"[{shown}{', …' if len(vals) > k else ''}]"


def _rows(mask: np.ndarray) -> str:
    idx = np.flatnonzero(mask)
    return f"{idx.size} row(s), first rows {_first(idx.tolist())}"


def _rows_with_codes(df: pd.DataFrame, mask: np.ndarray) -> str:
    text = _rows(mask)
    if "code" in df.columns:
        try:
            text += f" (codes {_first(pd.unique(df['code'].to_numpy()[mask]).tolist())})"
        except TypeError:  # unhashable junk in the code column; rows are enough
            pass
    return text


def _is_int(s: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def _is_float_or_int(s: pd.Series) -> bool:
    return (pd.api.types.is_float_dtype(s.dtype) or _is_int(s)) and not isinstance(
        s.dtype, pd.CategoricalDtype
    )


def _require_frame(df: object, source: str) -> pd.DataFrame:
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"{source}: expected a pandas DataFrame, got {type(df).__name__}")
    return df


def _missing_columns(df: pd.DataFrame, required: Sequence[str], p: Problems) -> bool:
    missing = [c for c in required if c not in df.columns]
    if missing:
        p.add(f"missing column(s) {missing}")
    dup = df.columns[df.columns.duplicated()].tolist()
    if dup:
        p.add(f"duplicated column name(s) {dup}")
    return bool(missing or dup)


def _check_code_year(df: pd.DataFrame, p: Problems, *, complete: bool, unique: bool) -> None:
    """``code`` and ``year`` integer columns; known codes; optionally 98 per year, no duplicates."""
    ok = True
    for col in ("year", "code"):
        if col not in df.columns:
            ok = False
            continue
        s = df[col]
        if not _is_int(s):
            p.add(f"column {col!r}: expected an integer dtype, found {s.dtype}")
            ok = False
    if not ok:
        return
    code = df["code"].to_numpy()
    year = df["year"].to_numpy()
    known = np.isin(code, np.asarray(_codes()))
    if not known.all():
        bad = sorted(pd.unique(code[~known]).tolist())
        p.add(
            f"column 'code': unknown municipality code(s) {_first(bad)} in {_rows(~known)}; "
            "expected one of the 98 official 3-digit codes"
        )
    bad_year = (year < 1900) | (year > 2100)
    if bad_year.any():
        p.add(
            f"column 'year': expected a calendar year 1900–2100, found {_first(pd.unique(year[bad_year]))} in {_rows(bad_year)}"
        )
    if unique:
        dup = pd.DataFrame({"code": code, "year": year}).duplicated(keep=False).to_numpy()
        if dup.any():
            keys = list(dict.fromkeys((int(c), int(y)) for c, y in zip(code[dup], year[dup], strict=True)))
            p.add(
                f"columns ('code', 'year'): duplicated key(s) {_first(keys)} in {_rows(dup)}; expected one row per municipality and year"
            )
    if complete:
        all_codes = set(_codes())
        for y in sorted(pd.unique(year).tolist()):
            present = set(pd.unique(code[year == y]).tolist())
            missing = sorted(all_codes - present)
            if missing:
                p.add(
                    f"column 'code': {len(missing)} municipality code(s) missing in year {y}: {_first(missing)}; "
                    "expected all 98 municipalities every year"
                )


def _check_numeric(
    df: pd.DataFrame,
    col: str,
    p: Problems,
    *,
    lower: float | None = None,
    upper: float | None = None,
    what: str = "",
    integer_valued: bool = False,
) -> None:
    s = df[col]
    if not _is_float_or_int(s):
        p.add(f"column {col!r}: expected a numeric (integer or float) dtype, found {s.dtype}")
        return
    v = s.to_numpy(dtype=np.float64, na_value=np.nan)
    nan = ~np.isfinite(v)
    if nan.any():
        p.add(f"column {col!r}: expected finite numbers, found NaN/inf in {_rows_with_codes(df, nan)}")
    vv = np.where(nan, 0.0 if lower is None else lower, v)
    label = what or (
        f"values in [{lower}, {upper}]"
        if lower is not None and upper is not None
        else f"values ≥ {lower}"
        if lower is not None
        else f"values ≤ {upper}"
    )
    if lower is not None:
        bad = vv < lower
        if bad.any():
            p.add(f"column {col!r}: expected {label}, found {_first(v[bad])} in {_rows_with_codes(df, bad)}")
    if upper is not None:
        bad = vv > upper
        if bad.any():
            p.add(f"column {col!r}: expected {label}, found {_first(v[bad])} in {_rows_with_codes(df, bad)}")
    if integer_valued:
        bad = np.mod(vv, 1) != 0
        if bad.any():
            p.add(
                f"column {col!r}: expected whole numbers, found {_first(v[bad])} in {_rows_with_codes(df, bad)}"
            )


def _check_category(df: pd.DataFrame, col: str, levels: Sequence[str], p: Problems) -> None:
    s = df[col]
    if not isinstance(s.dtype, pd.CategoricalDtype):
        p.add(f"column {col!r}: expected dtype category with levels {list(levels)}, found {s.dtype}")
        return
    cats = [str(c) for c in s.cat.categories]
    unknown = [c for c in cats if c not in levels]
    if unknown:
        mask = s.isin(unknown).to_numpy()
        where = f" in {_rows(mask)}" if mask.any() else " (unused categories)"
        p.add(f"column {col!r}: unknown categor(y/ies) {unknown}{where}; expected levels {list(levels)}")
    elif cats != list(levels):
        p.add(f"column {col!r}: categories {cats} are not the contract levels in order {list(levels)}")
    nan = s.isna().to_numpy()
    if nan.any():
        p.add(f"column {col!r}: expected one of {list(levels)}, found missing values in {_rows(nan)}")


def validate_persons(df: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Check a person register (``persons.parquet``) against the data contract.

    Parameters
    ----------
    df : DataFrame
        One row per person aged 16–66 and year (columns in :data:`PERSON_COLUMNS`; extra
        columns are allowed and left alone).
    source : str
        File name or label used in every error message.

    Returns
    -------
    DataFrame
        ``df`` itself, unchanged.

    Raises
    ------
    InputError
        Listing each problem: missing columns, integer ``year``/``code``/``prior``/``spell_months``,
        unknown municipality codes, categorical covariates with other levels than the contract,
        NaN, shares outside [0, 1], row sums of the seven shares above 1, ``prior`` outside 0–5,
        negative spells, non-boolean flags, ``employed_3m`` without ``exited`` and ``exited``
        without any benefit in the year.
    """
    df = _require_frame(df, str(source))
    p = Problems(source, "person register")
    if _missing_columns(df, PERSON_COLUMNS, p):
        p.raise_if_any()
    if len(df) == 0:
        p.add("no rows; expected at least one person")
        p.raise_if_any()
    _check_code_year(df, p, complete=False, unique=False)
    for col, levels in CATEGORIES.items():
        _check_category(df, col, levels, p)
    for col, hi in (("prior", PRIOR_MAX), ("spell_months", None)):
        if not _is_int(df[col]):
            p.add(f"column {col!r}: expected an integer dtype, found {df[col].dtype}")
        else:
            _check_numeric(df, col, p, lower=0, upper=hi)
    shares_ok = True
    for g in GROUPS:
        if not pd.api.types.is_float_dtype(df[g].dtype):
            p.add(f"column {g!r}: expected float64 shares of the year (months/12), found {df[g].dtype}")
            shares_ok = False
            continue
        before = len(p.items)
        _check_numeric(df, g, p, lower=0.0, upper=1.0, what="shares of the year in [0, 1]")
        shares_ok &= len(p.items) == before
    flags_ok = True
    for col in ("exited", "employed_3m"):
        if not pd.api.types.is_bool_dtype(df[col].dtype) or df[col].isna().any():
            p.add(f"column {col!r}: expected dtype bool without missing values, found {df[col].dtype}")
            flags_ok = False
    if shares_ok:
        total = np.zeros(len(df))
        for g in GROUPS:
            total += df[g].to_numpy(dtype=np.float64)
        over = total > 1.0 + ROW_SUM_TOL
        if over.any():
            p.add(
                f"columns {list(GROUPS)}: expected the shares of a person to sum to at most 1, "
                f"found sums {_first(np.round(total[over], 6))} in {_rows_with_codes(df, over)}"
            )
        if flags_ok:
            bad = df["exited"].to_numpy(dtype=bool) & (total <= 0)
            if bad.any():
                p.add(
                    f"column 'exited': True for persons with no benefit in the year in {_rows_with_codes(df, bad)}"
                )
    if flags_ok:
        bad = df["employed_3m"].to_numpy(dtype=bool) & ~df["exited"].to_numpy(dtype=bool)
        if bad.any():
            p.add(
                f"column 'employed_3m': expected False when 'exited' is False, found True in {_rows_with_codes(df, bad)}"
            )
    p.raise_if_any()
    return df


def validate_municipalities(df: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Check a municipality × year table (``municipalities.parquet``).

    Required columns are :data:`MUNICIPALITY_REQUIRED`; the job-centre columns in
    :data:`MUNICIPALITY_OPTIONAL` are checked when present. All 98 municipalities must appear
    exactly once per year; names must match the registry; shares must lie in [0, 1];
    ``unemployment_rate`` is in per cent (0–100); counts and amounts are non-negative;
    ``population`` is a positive whole number.

    Returns ``df`` unchanged, or raises :class:`InputError` listing every problem.
    """
    df = _require_frame(df, str(source))
    p = Problems(source, "municipality")
    if _missing_columns(df, MUNICIPALITY_REQUIRED, p):
        p.raise_if_any()
    _check_code_year(df, p, complete=True, unique=True)
    _check_numeric(
        df, "population", p, lower=1, what="a positive number of persons 16–66", integer_valued=True
    )
    _check_numeric(df, "unemployment_rate", p, lower=0.0, upper=100.0, what="a rate in per cent (0–100)")
    for col in _SHARE_COLUMNS:
        if col in df.columns:
            _check_numeric(df, col, p, lower=0.0, upper=1.0, what="a share in [0, 1]")
    for col in _NONNEGATIVE_COLUMNS:
        if col in df.columns:
            _check_numeric(df, col, p, lower=0.0, integer_valued=col == "exits_to_work")
    if "jobcenter" in df.columns:
        s = df["jobcenter"]
        if not _is_int(s):
            p.add(f"column 'jobcenter': expected an integer dtype, found {s.dtype}")
        else:
            bad = ~np.isin(s.to_numpy(), np.asarray(_codes()))
            if bad.any():
                p.add(
                    f"column 'jobcenter': expected a municipality code, found {_first(s[bad].tolist())} in {_rows(bad)}"
                )
    if _is_int(df["code"]) and df["name"].notna().all():
        reg = registry()["name"]
        code = df["code"].to_numpy()
        known = np.isin(code, reg.index.to_numpy())
        expected = np.full(len(df), None, dtype=object)
        expected[known] = reg.reindex(code[known]).to_numpy()
        bad = known & (df["name"].astype(str).to_numpy() != expected)
        if bad.any():
            pairs = [
                f"{c}: {n!r} (registry {e!r})"
                for c, n, e in zip(code[bad], df["name"][bad], expected[bad], strict=True)
            ]
            p.add(f"column 'name': names do not match the registry for code(s) {_first(pairs, 3)}")
    elif df["name"].isna().any():
        p.add(f"column 'name': missing names in {_rows(df['name'].isna().to_numpy())}")
    p.raise_if_any()
    return df


def validate_truth(df: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Check a planted-truth table (``truth.parquet``): ``code``, ``benefit``, ``effect``.

    Every municipality must have exactly one row per benefit group, for the same groups;
    ``benefit`` must be a group of :data:`analysis.core.benefits.GROUPS`; ``effect`` a finite share
    difference in [−1, 1].
    """
    df = _require_frame(df, str(source))
    p = Problems(source, "truth")
    if _missing_columns(df, ("code", "benefit", "effect"), p):
        p.raise_if_any()
    code_ok = _is_int(df["code"])
    if not code_ok:
        p.add(f"column 'code': expected an integer dtype, found {df['code'].dtype}")
    benefit = df["benefit"].astype("object").to_numpy()
    known = np.isin(benefit, np.asarray(GROUPS, dtype=object))
    if not known.all():
        p.add(
            f"column 'benefit': unknown benefit group(s) {_first(pd.unique(benefit[~known]).tolist())} in {_rows(~known)}; expected one of {list(GROUPS)}"
        )
    _check_numeric(df, "effect", p, lower=-1.0, upper=1.0, what="a share difference in [-1, 1]")
    if code_ok:
        code = df["code"].to_numpy()
        unknown = ~np.isin(code, np.asarray(_codes()))
        if unknown.any():
            p.add(
                f"column 'code': unknown municipality code(s) {_first(sorted(set(code[unknown].tolist())))} in {_rows(unknown)}"
            )
        missing = sorted(set(_codes()) - set(code.tolist()))
        if missing:
            p.add(
                f"column 'code': {len(missing)} municipality code(s) missing: {_first(missing)}; expected all 98"
            )
        key = pd.DataFrame({"code": code, "benefit": benefit})
        dup = key.duplicated(keep=False).to_numpy()
        if dup.any():
            p.add(f"columns ('code', 'benefit'): duplicated key(s) in {_rows_with_codes(df, dup)}")
        elif known.all() and not unknown.any():
            per_code = key.groupby("code")["benefit"].nunique()
            n_groups = key["benefit"].nunique()
            short = per_code.index[per_code < n_groups].tolist()
            if short:
                p.add(f"column 'benefit': code(s) {_first(short)} lack some of the {n_groups} benefit groups")
    p.raise_if_any()
    return df


def validate_aggregates(df: pd.DataFrame, *, source: str) -> pd.DataFrame:
    """Check a municipality × year aggregate table (from a register or from StatBank).

    Schema: ``code``, ``year``, ``population`` (persons 16–66), one or more ``ft_<group>`` (full-time
    persons on a benefit group of :data:`analysis.core.benefits.GROUPS`) and numeric covariates
    ``x_<name>``. Other columns (e.g. ``name``) are allowed. All 98 municipalities must appear
    exactly once per year; no value may be missing; full-time persons are non-negative and at
    most the population, also summed over the groups.

    Returns ``df`` unchanged, or raises :class:`InputError` listing every problem.
    """
    df = _require_frame(df, str(source))
    p = Problems(source, "aggregate")
    if _missing_columns(df, ("code", "year", "population"), p):
        p.raise_if_any()
    ft = [c for c in df.columns if str(c).startswith("ft_")]
    unknown = [c for c in ft if c[3:] not in GROUPS]
    if unknown:
        p.add(f"column(s) {unknown}: unknown benefit group; expected ft_<group> with group in {list(GROUPS)}")
    if not ft:
        p.add(f"no ft_<group> column; expected at least one of {[f'ft_{g}' for g in GROUPS]}")
    _check_code_year(df, p, complete=True, unique=True)
    _check_numeric(df, "population", p, lower=0, what="a positive number of persons 16–66")
    pop = df["population"]
    if _is_float_or_int(pop):
        zero = pop.to_numpy(dtype=np.float64, na_value=np.nan) == 0
        if zero.any():
            p.add(
                f"column 'population': expected a positive number of persons 16–66, found 0 in {_rows_with_codes(df, zero)}"
            )
    pop_ok = _is_float_or_int(pop) and bool(
        np.isfinite(pop.to_numpy(dtype=np.float64, na_value=np.nan)).all()
    )
    all_ft_ok = True
    for c in ft:
        before = len(p.items)
        _check_numeric(df, c, p, lower=0.0, what="a non-negative number of full-time persons")
        if len(p.items) > before:
            all_ft_ok = False
        elif pop_ok:
            over = df[c].to_numpy(dtype=np.float64) > pop.to_numpy(dtype=np.float64) * (1 + ROW_SUM_TOL)
            if over.any():
                all_ft_ok = False
                p.add(
                    f"column {c!r}: full-time persons exceed the population in {_rows_with_codes(df, over)}"
                )
    if ft and pop_ok and all_ft_ok and not unknown:
        total = df[ft].to_numpy(dtype=np.float64).sum(axis=1)
        over = total > pop.to_numpy(dtype=np.float64) * (1 + ROW_SUM_TOL)
        if over.any():
            p.add(
                f"columns {ft}: total full-time persons exceed the population in {_rows_with_codes(df, over)}"
            )
    for c in [c for c in df.columns if str(c).startswith("x_")]:
        _check_numeric(df, c, p)
    p.raise_if_any()
    return df


def validate_register(persons: pd.DataFrame, municipalities: pd.DataFrame, *, source: str) -> None:
    """Cross-check a person register against its municipality table.

    Every (code, year) of the persons must have a municipality row, every year of the
    municipality table must have persons, and ``population`` must equal the number of person
    rows of that municipality and year. Both tables should have passed their own validators.
    """
    p = Problems(source, "register")
    counts = persons.groupby(["year", "code"], observed=True).size()
    mun = municipalities.set_index(["year", "code"])["population"]
    p_years = set(pd.unique(persons["year"]).tolist())
    m_years = set(pd.unique(municipalities["year"]).tolist())
    if p_years - m_years:
        p.add(
            f"municipality table: no rows for year(s) {sorted(p_years - m_years)} found in the person register"
        )
    if m_years - p_years:
        p.add(
            f"person register: no persons for year(s) {sorted(m_years - p_years)} of the municipality table"
        )
    common = sorted(p_years & m_years)
    mun = mun[mun.index.get_level_values("year").isin(common)]
    counts = counts.reindex(mun.index, fill_value=0)
    bad = counts.to_numpy() != mun.to_numpy()
    if bad.any():
        pairs = [
            f"{c} in {y}: population {int(m)} vs {int(n)} persons"
            for (y, c), m, n in zip(mun.index[bad], mun[bad], counts[bad], strict=True)
        ]
        p.add(
            f"column 'population': does not equal the number of person rows for {int(bad.sum())} municipality-year(s): {_first(pairs, 3)}"
        )
    p.raise_if_any()
