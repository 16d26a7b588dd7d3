"""Statistics Denmark (DST) tables: municipal covariates and the municipality groups.

* :func:`load_factors` — the municipal indicators in ``data/raw/dst-municipal-factors-dph/factors``
  (one CSV per indicator, ``municipality,year,value``), derived from StatBank tables by a public
  third-party project and copied unchanged (see that folder's ``PROVENANCE.md``). Each indicator
  is recorded with the DST table it comes from (:data:`FACTORS`), for "Kilde:" lines.
* :func:`load_komgrp` — DST's classification *Kommunegrupper* (5 groups) from
  ``data/raw/dst-komgrp/komgrp.csv``.

Names are matched exactly to the registry; DST's English label "Copenhagen" is the only alias
(:data:`DST_ALIASES`). Two indicators were checked against the raw StatBank extracts kept beside
them: ``income`` equals INDKP101 (average disposable income, men and women) in all 3,724 rows and
``education`` equals 100 · (H40 + H50 + H60 + H70 + H80) / total of HFUDD11, rounded to one
decimal, in all 490 rows (``tests/test_public_loaders.py`` repeats both checks).

Examples
--------
>>> from analysis.data.public.dst import FACTORS
>>> FACTORS["unemployment_pct"].source
'Danmarks Statistik, AUP02'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analysis.core.municipalities import codes
from analysis.data.public._checks import (
    Problems,
    check_complete,
    check_duplicates,
    code_for_name,
    name_of,
    nfc,
)
from analysis.data.public.provenance import verified_file

SOURCE_FACTORS = "dst-municipal-factors-dph"
SOURCE_KOMGRP = "dst-komgrp"
KOMGRP_FILE = "komgrp.csv"

#: DST's English area labels that differ from the registry names.
DST_ALIASES: dict[str, int] = {"Copenhagen": 101}

_ELECTION_YEARS = (2007, 2011, 2015, 2019, 2022)


@dataclass(frozen=True)
class Factor:
    """One indicator file: the DST table(s) behind it, its unit, meaning and the years it holds."""

    name: str
    tables: tuple[str, ...]
    unit: str
    description: str
    years: tuple[int, ...]
    outcome: bool = False  # the outcome in disguise: never a rammevilkår

    @property
    def file(self) -> str:
        return f"factors/{self.name}.csv"

    @property
    def source(self) -> str:
        """Attribution for a "Kilde:" line, e.g. ``Danmarks Statistik, AUP02``."""
        return "Danmarks Statistik, " + ", ".join(self.tables)


def _span(a: int, b: int) -> tuple[int, ...]:
    return tuple(range(a, b + 1))


#: The indicator files, with the DST tables named in the folder's PROVENANCE.md and the years
#: each file holds (any other year is an error). Stock figures from FOLK1A refer to the first
#: quarter (``population.csv`` records it: election year 2007 → 2008Q1, 2019 → 2019Q1,
#: 2022 → 2022Q1, 2026 → 2026M02).
FACTORS: dict[str, Factor] = {
    f.name: f
    for f in (
        Factor(
            "unemployment_pct",
            ("AUP02",),
            "per cent",
            "registered gross unemployment (bruttoledighed), per cent of the labour force, annual",
            _span(2007, 2024),
        ),
        Factor(
            "income",
            ("INDKP101",),
            "DKK",
            "average disposable income per person, men and women (nominal DKK)",
            _span(1987, 2024),
        ),
        Factor(
            "commute_distance_km",
            ("AFSTB4",),
            "km",
            "average commuting distance of residents, km",
            _span(2008, 2024),
        ),
        Factor(
            "owner_occupied_dwelling_share_pct",
            ("BOL101",),
            "per cent",
            "owner-occupied dwellings (BOL101 by tenure), per cent of dwellings; 2021–22 closed by DST (BBR errors)",
            (*_span(2010, 2020), *_span(2023, 2025)),
        ),
        Factor(
            "detached_house_dwelling_share_pct",
            ("BOL101",),
            "per cent",
            "detached houses (parcelhuse), per cent of dwellings",
            _span(2010, 2025),
        ),
        Factor(
            "one_person_household_share_pct",
            ("BOL103",),
            "per cent",
            "one-person households, per cent of households",
            _span(2010, 2025),
        ),
        Factor(
            "immigration_share_pct",
            ("FOLK1E",),
            "per cent",
            "immigrants and descendants, per cent of the population",
            (*_ELECTION_YEARS, 2026),
        ),
        Factor(
            "population",
            ("FOLK1A", "FOLK1AM"),
            "persons",
            "population, all ages",
            (*_ELECTION_YEARS, 2026),
        ),
        Factor(
            "population_density",
            ("FOLK1A", "ARE207"),
            "persons per km²",
            "population per km² of land",
            (*_ELECTION_YEARS, 2026),
        ),
        Factor(
            "education",
            ("HFUDD11",),
            "per cent",
            "persons with a higher education (H40 short-cycle … H80 PhD), per cent of persons in HFUDD11",
            (2008, 2011, 2015, 2019, 2022),
        ),
        Factor(
            "age65_pct",
            ("FOLK1A",),
            "per cent",
            "residents aged 65 or over, per cent of the population",
            _ELECTION_YEARS,
        ),
        Factor(
            "employment_per_1000",
            ("LBESK69",),
            "per 1,000 residents",
            "full-time employees by municipality of residence per 1,000 residents",
            _ELECTION_YEARS,
            outcome=True,
        ),
        Factor(
            "welfare_per_1000",
            ("AUK01", "FOLK1A"),
            "per 1,000 residents",
            "net unemployed kontanthjælp recipients (Q4) per 1,000 residents (Q1)",
            _ELECTION_YEARS,
            outcome=True,
        ),
        Factor(
            "crime_per_1000",
            ("STRAF11",),
            "per 1,000 residents",
            "offences recorded in STRAF11 per 1,000 residents",
            _ELECTION_YEARS,
        ),
        Factor(
            "cars_per_1000",
            ("BIL707",),
            "per 1,000 residents",
            "cars recorded in BIL707 per 1,000 residents",
            (*_ELECTION_YEARS, 2026),
        ),
        Factor(
            "turnout_pct",
            ("FVKOM", "FVPANDEL"),
            "per cent",
            "turnout at the general election",
            _ELECTION_YEARS,
        ),
    )
}


def load_factors(
    names: list[str] | tuple[str, ...] | None = None, *, root: Path | None = None
) -> pd.DataFrame:
    """DST municipal indicators per code and year, long format.

    Parameters
    ----------
    names
        Indicators to load (keys of :data:`FACTORS`); default all 16.
    root
        Another ``data/raw`` folder (tests).

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (int64), ``year`` (int64), ``factor`` (str), ``value`` (float64, unit in
        :data:`FACTORS`), ``table`` (str, the DST table(s), e.g. ``AUP02``); one row per
        indicator × code × year it holds (98 per year), sorted by factor, code, year. Each file's
        sha256 is checked against the folder's ``PROVENANCE.md`` before it is read.

    Raises
    ------
    ValueError
        An unknown indicator name.
    InputError
        Naming the file and line (header = line 1): missing columns, an unknown municipality
        name, a year the file should not hold, a value that is not a finite number, a repeated
        (municipality, year), a municipality missing in a year, a changed file.
    """
    chosen = list(FACTORS) if names is None else list(names)
    unknown = [n for n in chosen if n not in FACTORS]
    if unknown:
        raise ValueError(f"names: unknown indicator(s) {unknown}; expected some of {', '.join(FACTORS)}")
    frames = [_load_factor(FACTORS[n], root) for n in chosen]
    return pd.concat(frames, ignore_index=True)


def _load_factor(f: Factor, root: Path | None) -> pd.DataFrame:
    path = verified_file(SOURCE_FACTORS, f.file, root=root)
    p = Problems(path, f"DST indicator {f.name!r}")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in ("municipality", "year", "value") if c not in raw.columns]
    if missing:
        p.add(f"missing column(s) {missing}; found {list(raw.columns)}")
        p.raise_if_any()
    rows: list[tuple[int, int, float]] = []
    lines: list[int] = []
    for i, (name, year_txt, value_txt) in enumerate(
        raw[["municipality", "year", "value"]].itertuples(index=False, name=None)
    ):
        line = i + 2
        ok = True
        code = code_for_name(name, DST_ALIASES)
        if code is None:
            p.add(
                f"line {line}: column 'municipality': unknown municipality {name!r}; expected one of "
                "the 98 registry names or an alias in DST_ALIASES"
            )
            ok = False
        year = int(year_txt) if year_txt.strip().isdigit() else None
        if year is None or year not in f.years:
            p.add(
                f"line {line}: column 'year': unknown year {year_txt!r}; expected one of "
                f"{f.years[0]}…{f.years[-1]} ({', '.join(map(str, f.years))})"
            )
            ok = False
        try:
            value = float(value_txt)
        except ValueError:
            value = float("nan")
        if not pd.notna(value) or value in (float("inf"), float("-inf")):
            p.add(f"line {line}: column 'value': {value_txt!r} is not a finite number ({f.unit})")
            ok = False
        if ok and code is not None and year is not None:
            rows.append((code, year, value))
            lines.append(line)
    p.raise_if_any()
    df = pd.DataFrame(rows, columns=["code", "year", "value"])
    check_duplicates(
        list(zip(df["code"], df["year"], strict=True)), lines, p, key_names=("municipality", "year")
    )
    for year in f.years:
        check_complete(df.loc[df["year"] == year, "code"], p, where=f"year {year}")
    p.raise_if_any()
    df = df.sort_values(["code", "year"], kind="stable").reset_index(drop=True)
    df.insert(2, "factor", f.name)
    df["table"] = "+".join(f.tables)
    return df.astype({"code": "int64", "year": "int64", "factor": "str", "value": "float64", "table": "str"})


#: Group number → DST's name (Kommunegrupper).
KOMGRP_NAMES: dict[int, str] = {
    1: "Hovedstadskommuner",
    2: "Storbykommuner",
    3: "Provinsbykommuner",
    4: "Oplandskommuner",
    5: "Landkommuner",
}


def load_komgrp(root: Path | None = None) -> pd.DataFrame:
    """DST's Kommunegrupper: the group (1–5) of each of the 98 municipalities.

    ``komgrp.csv`` is DST's classification export (``SEKVENS;KODE;NIVEAU;TITEL;…``,
    semicolon-separated, UTF-8 with BOM): level-1 rows are the five groups, level-2 rows the
    municipalities, and a municipality belongs to the last level-1 row above it (in file order,
    which follows SEKVENS).

    Parameters
    ----------
    root
        Another ``data/raw`` folder (tests).

    Returns
    -------
    pandas.DataFrame
        98 rows sorted by code: ``code`` (int64), ``group`` (int64, 1–5), ``group_name`` (str,
        :data:`KOMGRP_NAMES`).

    Raises
    ------
    InputError
        Naming the file and line: missing columns, a level other than 1 or 2, a municipality row
        before any group, an unknown group number or name, an unknown code or a name that differs
        from the registry, a municipality listed twice or missing, a changed file.
    """
    path = verified_file(SOURCE_KOMGRP, KOMGRP_FILE, root=root)
    p = Problems(path, "DST Kommunegrupper")
    raw = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = [c for c in ("SEKVENS", "KODE", "NIVEAU", "TITEL") if c not in raw.columns]
    if missing:
        p.add(f"missing column(s) {missing}; found {list(raw.columns)}")
        p.raise_if_any()
    group: int | None = None
    rows: list[tuple[int, int]] = []
    lines: list[int] = []
    for i, (kode, level, title) in enumerate(
        raw[["KODE", "NIVEAU", "TITEL"]].itertuples(index=False, name=None)
    ):
        line = i + 2
        kode = kode.strip()
        if level.strip() == "1":
            g = int(kode) if kode.isdigit() else None
            if g not in KOMGRP_NAMES or nfc(title) != KOMGRP_NAMES[g]:
                p.add(
                    f"line {line}: group {kode!r} {title!r}: expected one of "
                    f"{', '.join(f'{k} {v}' for k, v in KOMGRP_NAMES.items())}"
                )
                group = None
            else:
                group = g
        elif level.strip() == "2":
            code = int(kode) if kode.isdigit() else None
            if code is None or code not in _CODES:
                p.add(f"line {line}: column 'KODE': unknown municipality code {kode!r}")
            elif nfc(title) != name_of(code):
                p.add(
                    f"line {line}: column 'TITEL': {title!r} does not match code {code} "
                    f"({name_of(code)!r} in the registry)"
                )
            elif group is None:
                p.add(f"line {line}: municipality {code} {title!r} is not under a valid group (level-1 row)")
            else:
                rows.append((code, group))
                lines.append(line)
        else:
            p.add(f"line {line}: column 'NIVEAU': {level!r}; expected 1 (group) or 2 (municipality)")
    p.raise_if_any()
    df = pd.DataFrame(rows, columns=["code", "group"])
    check_duplicates([(c,) for c in df["code"]], lines, p, key_names=("KODE",))
    check_complete(df["code"], p, where="level-2 rows")
    p.raise_if_any()
    df["group_name"] = df["group"].map(KOMGRP_NAMES)
    df = df.sort_values("code").reset_index(drop=True)
    return df.astype({"code": "int64", "group": "int64", "group_name": "str"})


_CODES = frozenset(codes())

__all__ = ["DST_ALIASES", "FACTORS", "KOMGRP_NAMES", "Factor", "load_factors", "load_komgrp"]
