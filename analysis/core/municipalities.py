"""The 98 Danish municipalities: codes, names, regions and job centres.

Lookup works by code (``450``, ``"450"``, ``"0450"``) or by name, insensitive to case, to
æ/ø/å written as ae/oe/aa ("Koebenhavn", "aeroe") and to Unicode normalisation (a name in
decomposed form, "a" followed by U+030A COMBINING RING ABOVE, matches "Tårnby"). An unknown
name fails with a message that suggests the closest names.

Examples
--------
>>> from analysis.core.municipalities import lookup
>>> lookup("nyborg").code
450
>>> lookup("Koege").name
'Køge'
"""

from __future__ import annotations

import difflib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from analysis.core.paths import REGISTRY_DIR

REGISTRY_FILE = REGISTRY_DIR / "municipalities.csv"
REGIONS = ("Hovedstaden", "Sjælland", "Syddanmark", "Midtjylland", "Nordjylland")


class UnknownMunicipalityError(KeyError, ValueError):
    """Raised when a code or name does not identify one of the 98 municipalities."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class Municipality:
    code: int
    name: str
    region: str
    jobcenter: int
    population_total: int

    @property
    def label(self) -> str:
        """Name followed by " Kommune" (Bornholm is a regional municipality)."""
        return "Bornholms Regionskommune" if self.code == 400 else f"{self.name} Kommune"


@lru_cache(maxsize=1)
def registry() -> pd.DataFrame:
    """Return the registry as a frame indexed by ``code`` (a copy is not made; do not mutate)."""
    df = pd.read_csv(REGISTRY_FILE, dtype={"code": "int64", "jobcenter": "int64"})
    if len(df) != 98 or df["code"].duplicated().any():
        raise ValueError(f"{REGISTRY_FILE}: expected 98 unique municipality codes, got {len(df)}")
    return df.set_index("code", drop=False).rename_axis(None)


def codes() -> list[int]:
    """The 98 codes in ascending order."""
    return sorted(registry()["code"].tolist())


def fold(text: str) -> str:
    r"""Normalise a name for matching: lower case, æ/ø/å → ae/oe/aa, no accents or separators.

    The text is first brought to Unicode normal form NFC, so a name written with combining
    characters (``"Ta\u030arnby"``, as macOS file names and some exports give it) folds like
    the precomposed one (``"Tårnby"``) instead of losing its ring. This is the one place names
    are matched: :func:`lookup` and the StatBank parser both go through it.

    Examples
    --------
    >>> fold("Ta\u030arnby") == fold("Tårnby") == "taarnby"
    True
    """
    t = unicodedata.normalize("NFC", text).strip().lower()
    for a, b in (("æ", "ae"), ("ø", "oe"), ("å", "aa"), ("é", "e"), ("ü", "u")):
        t = t.replace(a, b)
    t = unicodedata.normalize("NFKD", t).encode("ascii", "ignore").decode()
    t = t.replace("bornholms regionskommune", "bornholm")
    t = t.removesuffix(" kommune")
    return "".join(ch for ch in t if ch.isalnum())


@lru_cache(maxsize=1)
def _by_folded_name() -> dict[str, int]:
    return {fold(name): int(code) for code, name in zip(registry()["code"], registry()["name"], strict=True)}


def _from_row(code: int) -> Municipality:
    r = registry().loc[code]
    return Municipality(
        code=int(r["code"]),
        name=str(r["name"]),
        region=str(r["region"]),
        jobcenter=int(r["jobcenter"]),
        population_total=int(r["population_total"]),
    )


def lookup(key: int | str) -> Municipality:
    """Find a municipality by code or name.

    Parameters
    ----------
    key
        A 3-digit code (int or string, zero-padding allowed) or a name in any case, with or
        without "Kommune", with æ/ø/å or ae/oe/aa, precomposed or decomposed (it is brought to
        NFC before matching).

    Raises
    ------
    UnknownMunicipalityError
        If nothing matches; the message suggests the closest names.
    """
    if isinstance(key, bool):
        raise UnknownMunicipalityError(f"municipality must be a code or a name, got {key!r}")
    text = unicodedata.normalize("NFC", str(key)).strip()
    if text.isdigit():
        code = int(text)
        if code in registry().index:
            return _from_row(code)
        raise UnknownMunicipalityError(
            f"unknown municipality code {text!r}: expected one of the 98 official 3-digit codes "
            f"(101 København … 860 Hjørring; see `kommunebench municipalities`)"
        )
    folded = fold(text)
    hit = _by_folded_name().get(folded)
    if hit is not None:
        return _from_row(hit)
    close = difflib.get_close_matches(folded, list(_by_folded_name()), n=3, cutoff=0.6)
    if close:
        names = [f"{registry().loc[_by_folded_name()[c], 'name']} ({_by_folded_name()[c]})" for c in close]
        hint = f"did you mean {names[0]}?"
        if len(names) > 1:
            hint += f" (also close: {', '.join(names[1:])})"
    else:
        hint = "see `kommunebench municipalities` for the 98 names"
    raise UnknownMunicipalityError(f"unknown municipality {text!r}: {hint}")


def name_of(code: int) -> str:
    return str(registry().loc[int(code), "name"])
