"""Cell sufficient statistics of the person register.

With categorical rammevilkår every person belongs to a *cell*: a unique combination of year,
municipality and covariate levels (age band, sex, education, origin, family type, prior benefit
history). Everything the linear model needs — the OLS solution, the exact person-level robust and
municipality-clustered covariances, the residual variance of each covariate cell — is a function
of three numbers per cell and outcome: the count :math:`n_c`, the sum :math:`S_c = \\sum_{i\\in c}
y_i` and the sum of squares :math:`Q_c = \\sum_{i\\in c} y_i^2`. Reducing 3.7 million persons to a
few hundred thousand cells is what keeps the model fast at population scale.

The reduction is exact: it only re-orders sums. Group sums of a benefit set are additive
(:math:`S_{c,\\text{set}} = \\sum_g S_{c,g}`), but sums of squares are not, so :math:`Q_c` is
computed from each person's set total. For the noise covariance of two disjoint benefit sets
(:func:`analysis.model.ols.noise_covariance`) the cells also keep, for each pair of groups
:math:`a \\ne b`, the cross-products :math:`P_{c,ab} = \\sum_{i\\in c} y_{i,a} y_{i,b}` — only
for pairs that some person has both of in the same year (in Syntetisk Danmark nobody has: a
person is on at most one group a year).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from analysis.core.benefits import GROUPS
from analysis.core.params import BenefitSet

#: Category levels in the order of the data contract; the first level is the reference.
LEVELS: dict[str, tuple[Any, ...]] = {
    "age": ("16-24", "25-29", "30-39", "40-49", "50-59", "60-66"),
    "sex": ("mand", "kvinde"),
    "education": ("grundskole", "gymnasial", "erhvervsfaglig", "videregaaende"),
    "origin": ("dansk", "vestlig", "ikke_vestlig"),
    "family": ("enlig", "enlig_boern", "par", "par_boern"),
    "prior": (0, 1, 2, 3, 4, 5),
}
CATEGORICAL: tuple[str, ...] = tuple(LEVELS)
#: Local rammevilkår joined from the municipality table by (code, year).
LOCAL: tuple[str, ...] = ("unemployment_rate", "jobs_per_resident", "urbanisation")


def _readonly(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class Cells:
    """Cell sufficient statistics (one entry per occupied cell).

    Attributes
    ----------
    year, code : ndarray
        Calendar year and municipality code of each cell.
    levels : mapping
        For each categorical covariate, the integer level index (into :data:`LEVELS`) per cell.
    local : mapping
        For each local covariate, its value per cell (from the municipality table).
    n : ndarray
        Number of persons per cell (float64).
    sums : mapping
        :math:`S_c` for each benefit group in the register (keys: group names).
    squares : mapping
        :math:`Q_c` for each requested benefit set (keys: set names from
        :class:`~analysis.core.params.BenefitSet`).
    sets : mapping
        Set name → its groups.
    cross : mapping
        :math:`P_{c,ab}` for each pair ``(a, b)`` of groups (in the order of
        :data:`~analysis.core.benefits.GROUPS`) that occur together in some person row; pairs
        that never do are left out (their cross-products are 0).
    n_persons : int
        Number of person rows reduced.
    synthetic : bool
        True when the register is synthetic (``persons.attrs["synthetic"]``).
    """

    year: np.ndarray
    code: np.ndarray
    levels: MappingProxyType
    local: MappingProxyType
    n: np.ndarray
    sums: MappingProxyType
    squares: MappingProxyType
    sets: MappingProxyType
    n_persons: int
    synthetic: bool
    names: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    cross: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))

    def __len__(self) -> int:
        return int(self.n.shape[0])

    def outcome(self, set_name: str) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(S, Q)`` of a requested benefit set."""
        if set_name not in self.squares:
            raise KeyError(
                f"benefits: set {set_name!r} was not requested when the cells were built; "
                f"available: {sorted(self.squares)}"
            )
        groups = self.sets[set_name]
        s = np.zeros_like(self.n)
        for g in groups:
            s = s + self.sums[g]
        return s, self.squares[set_name]

    def cross_sum(self, set_a: str, set_b: str) -> np.ndarray:
        """:math:`\\sum_{i\\in c} y_{i,A}\\,y_{i,B}` per cell for two requested, disjoint sets."""
        groups_a, groups_b = self.sets[set_a], self.sets[set_b]
        shared = sorted(set(groups_a) & set(groups_b))
        if shared:
            raise ValueError(
                f"benefits: {set_a} and {set_b} share {shared}; their noise covariance needs disjoint sets"
            )
        out = np.zeros_like(self.n)
        for a in groups_a:
            for b in groups_b:
                key = (a, b) if GROUPS.index(a) < GROUPS.index(b) else (b, a)
                if key in self.cross:
                    out = out + self.cross[key]
        return out


def _level_codes(persons: pd.DataFrame, col: str) -> np.ndarray:
    """Integer level index of a categorical column, checking every value against :data:`LEVELS`."""
    if col not in persons.columns:
        raise ValueError(f"persons: missing column {col!r}; expected one of the covariates {CATEGORICAL}")
    s = persons[col]
    levels = LEVELS[col]
    if col == "prior":
        v = s.to_numpy()
        if isinstance(s.dtype, pd.CategoricalDtype):
            v = np.asarray(s.astype("int64"))
        if not np.issubdtype(np.asarray(v).dtype, np.integer):
            if pd.isna(v).any():
                raise ValueError(f"persons: column 'prior' has {int(pd.isna(v).sum())} missing values")
            if not np.all(np.mod(v, 1) == 0):
                raise ValueError("persons: column 'prior' must hold whole years 0–5")
        v = np.asarray(v, dtype=np.int64)
        bad = (v < 0) | (v > 5)
        if bad.any():
            raise ValueError(
                f"persons: column 'prior' must be 0–5 (years of the previous five); "
                f"{int(bad.sum())} rows outside, e.g. {sorted(set(v[bad][:5].tolist()))}"
            )
        return v.astype(np.int8)
    lv_index = pd.Index(list(levels), dtype=object)
    if isinstance(s.dtype, pd.CategoricalDtype):
        raw = s.cat.codes.to_numpy()
        if tuple(s.cat.categories) == levels:
            codes = raw
        else:  # other category order or extra categories: translate the category table
            table = lv_index.get_indexer(s.cat.categories.astype(object))
            codes = np.where(raw >= 0, table[np.maximum(raw, 0)], -1)
    else:
        codes = lv_index.get_indexer(s.astype(object))
    bad = codes < 0
    if bad.any():
        examples = sorted({str(x) for x in s[bad].head(5).tolist()})
        raise ValueError(
            f"persons: column {col!r} has {int(bad.sum())} rows with missing or unknown values "
            f"(e.g. {examples}); expected one of {list(levels)}"
        )
    return np.asarray(codes, dtype=np.int8)


def _check_share(persons: pd.DataFrame, g: str) -> np.ndarray:
    if g not in persons.columns:
        raise ValueError(f"persons: missing benefit column {g!r}; expected the groups {GROUPS}")
    v = persons[g].to_numpy(dtype=np.float64, na_value=np.nan)
    nan = np.isnan(v)
    if nan.any():
        raise ValueError(
            f"persons: column {g!r} has {int(nan.sum())} missing values; expected shares in [0, 1]"
        )
    if v.size and (v.min() < 0 or v.max() > 1):
        raise ValueError(
            f"persons: column {g!r} must hold shares of the year in [0, 1]; found range [{v.min()}, {v.max()}]"
        )
    return v


def _local_table(municipalities: pd.DataFrame) -> pd.DataFrame:
    need = ["code", "year", *LOCAL]
    missing = [c for c in need if c not in municipalities.columns]
    if missing:
        raise ValueError(f"municipalities: missing column(s) {missing}; expected {need}")
    tab = municipalities[need].copy()
    dup = tab.duplicated(["code", "year"])
    if dup.any():
        raise ValueError(
            f"municipalities: {int(dup.sum())} duplicated (code, year) rows, "
            f"e.g. {tab.loc[dup, ['code', 'year']].head(3).to_dict('records')}"
        )
    for c in LOCAL:
        v = pd.to_numeric(tab[c], errors="coerce")
        if v.isna().any():
            raise ValueError(
                f"municipalities: column {c!r} has {int(v.isna().sum())} missing or non-numeric values"
            )
        tab[c] = v.astype("float64")
    return tab


def build_cells(
    persons: pd.DataFrame,
    municipalities: pd.DataFrame,
    *,
    benefit_sets: Sequence[BenefitSet | str] = ("bm2018",),
) -> Cells:
    """Reduce the person register to cell sufficient statistics.

    Parameters
    ----------
    persons : DataFrame
        Person register (schema in ``docs/architecture.md``).
    municipalities : DataFrame
        Municipality table with the local rammevilkår per ``(code, year)``.
    benefit_sets : sequence
        Benefit sets whose sums of squares are needed (:class:`~analysis.core.params.BenefitSet`
        or a name it parses).

    Returns
    -------
    Cells

    Notes
    -----
    A cell is identified by a mixed-radix integer of (year, municipality, age, sex, education,
    origin, family, prior); counts and sums come from :func:`numpy.bincount` on that index, so
    the cost is a few passes over the rows.
    """
    if len(persons) == 0:
        raise ValueError("persons: the register has no rows")
    for col in ("year", "code"):
        if col not in persons.columns:
            raise ValueError(f"persons: missing column {col!r}")
        if persons[col].isna().any():
            raise ValueError(f"persons: column {col!r} has missing values")
    sets = {b.name: b.groups for b in map(BenefitSet.parse, benefit_sets)}
    needed = [g for g in GROUPS if any(g in grp for grp in sets.values())]

    year = persons["year"].to_numpy(dtype=np.int64)
    code = persons["code"].to_numpy(dtype=np.int64)
    years, year_idx = np.unique(year, return_inverse=True)
    ucodes, code_idx = np.unique(code, return_inverse=True)

    local = _local_table(municipalities)
    present = pd.MultiIndex.from_arrays([np.repeat(years, len(ucodes)), np.tile(ucodes, len(years))])
    # only (code, year) combinations that occur in the register must be in the table
    occ_cy = np.unique(year_idx * len(ucodes) + code_idx)
    present = present[occ_cy]
    lidx = pd.MultiIndex.from_frame(local[["year", "code"]].astype("int64"))
    found = present.isin(lidx)
    if not found.all():
        miss = [tuple(map(int, t)) for t in present[~found][:5]]
        raise ValueError(
            f"municipalities: no row for {int((~found).sum())} (year, code) combinations in persons, e.g. {miss}"
        )

    codes = {c: _level_codes(persons, c) for c in CATEGORICAL}
    radix = [len(years), len(ucodes)] + [len(LEVELS[c]) for c in CATEGORICAL]
    key = year_idx.astype(np.int64)
    key = key * radix[1] + code_idx
    for c, r in zip(CATEGORICAL, radix[2:], strict=True):
        key = key * r + codes[c]
    size = int(np.prod(radix))
    n_full = np.bincount(key, minlength=size)
    occ = np.flatnonzero(n_full)
    n = n_full[occ].astype(np.float64)
    parts = np.unravel_index(occ, radix)
    cell_year = years[parts[0]]
    cell_code = ucodes[parts[1]]
    levels = {c: _readonly(parts[2 + j].astype(np.int8)) for j, c in enumerate(CATEGORICAL)}

    sums: dict[str, np.ndarray] = {}
    shares: dict[str, np.ndarray] = {}
    for g in needed:
        shares[g] = _check_share(persons, g)
        sums[g] = _readonly(np.bincount(key, weights=shares[g], minlength=size)[occ])
    squares: dict[str, np.ndarray] = {}
    for name, groups in sets.items():
        y = shares[groups[0]].copy()
        for g in groups[1:]:
            y += shares[g]
        if y.max() > 1 + 1e-9:
            raise ValueError(
                f"persons: the shares of {list(groups)} sum to more than 1 for {int((y > 1 + 1e-9).sum())} rows"
            )
        squares[name] = _readonly(np.bincount(key, weights=y * y, minlength=size)[occ])

    cross: dict[tuple[str, str], np.ndarray] = {}
    for i, a in enumerate(needed):
        for b in needed[i + 1 :]:
            prod = shares[a] * shares[b]
            if prod.any():
                cross[(a, b)] = _readonly(np.bincount(key, weights=prod, minlength=size)[occ])

    lk = local.set_index(["year", "code"])
    cy = pd.MultiIndex.from_arrays([cell_year, cell_code])
    loc_vals = {c: _readonly(lk[c].reindex(cy).to_numpy(dtype=np.float64)) for c in LOCAL}
    names: dict[int, str] = {}
    if "name" in municipalities.columns:
        names = {int(k): str(v) for k, v in zip(municipalities["code"], municipalities["name"], strict=True)}
    synthetic = bool(persons.attrs.get("synthetic", False) or municipalities.attrs.get("synthetic", False))
    return Cells(
        year=_readonly(cell_year),
        code=_readonly(cell_code),
        levels=MappingProxyType(levels),
        local=MappingProxyType(loc_vals),
        n=_readonly(n),
        sums=MappingProxyType(sums),
        squares=MappingProxyType(squares),
        sets=MappingProxyType(sets),
        n_persons=len(persons),
        synthetic=synthetic,
        names=MappingProxyType(names),
        cross=MappingProxyType(cross),
    )
