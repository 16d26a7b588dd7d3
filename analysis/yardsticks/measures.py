"""KL's result measures (2010): more in work, faster into work, lasting work.

KL's reform paper of October 2010 proposed judging the municipalities' employment effort on
three results rather than on processes:

(a) *flere i job* — full-time persons on public benefits (fewer is better);
(b) *hurtigere i job* — average duration on public support;
(c) *varigt i job* — share employed 3 months after leaving public support.

:func:`kl_measures` computes the three per municipality from the person register
(``docs/architecture.md``).

Examples
--------
>>> import pandas as pd
>>> persons = pd.DataFrame({"year": [2017] * 3, "code": [101, 101, 147],
...     "dagpenge": [0.5, 0.0, 0.25], "kontanthjaelp": [0.0, 0.0, 0.0], "sygedagpenge": [0.0, 0.0, 0.0],
...     "spell_months": [6, 0, 3], "exited": [True, False, False], "employed_3m": [True, False, False]})
>>> out = kl_measures(persons)
>>> out["fulltime"].tolist(), out["mean_spell_months"].tolist()
([0.5, 0.25], [6.0, 3.0])
>>> out["employed_3m_share"].tolist()  # nobody left support in 147: undefined, not 0
[1.0, nan]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from analysis.core.params import BenefitSet

LABELS: dict[str, str] = {
    "fulltime": "Fuldtidspersoner på offentlig forsørgelse",
    "fulltime_pct": "Fuldtidspersoner pr. 100 indbyggere (16–66 år)",
    "mean_spell_months": "Gennemsnitlig varighed på offentlig forsørgelse (måneder)",
    "employed_3m_share": "Andel i beskæftigelse 3 måneder efter afgang",
}


def kl_measures(
    persons: pd.DataFrame,
    *,
    benefits: BenefitSet | str = "bm2018",
    year: int | None = None,
    codes: Sequence[int] | None = None,
) -> pd.DataFrame:
    r"""KL's three result measures per municipality.

    Parameters
    ----------
    persons : DataFrame
        Person register with ``year``, ``code``, the benefit share columns of ``benefits``,
        ``spell_months``, ``exited`` and ``employed_3m``.
    benefits : BenefitSet or str
        Benefit set for measure (a), or a name :meth:`BenefitSet.parse` accepts.
    year : int, optional
        Register year; required when ``persons`` holds several years.
    codes : sequence of int, optional
        Municipalities to report (default those present); a code without persons gets
        ``persons = 0``, ``fulltime = 0`` and NaN rates.

    Returns
    -------
    DataFrame
        Indexed by ``code``: ``persons`` (16–66), ``fulltime`` (full-time persons on the set),
        ``fulltime_pct`` (per 100 persons), ``spells`` (persons with a spell),
        ``mean_spell_months``, ``exited``, ``employed_3m`` (count) and ``employed_3m_share``.
        ``attrs`` carry ``benefits``, ``groups`` and ``year``.

    Notes
    -----
    For municipality :math:`m` with persons :math:`i` and benefit shares :math:`y_{ig}`:

    .. math::
        F_m = \sum_{i\in m}\sum_{g\in G} y_{ig},\qquad
        D_m = \frac{\sum_{i\in m} d_i\,[d_i>0]}{\sum_{i\in m}[d_i>0]},\qquad
        R_m = \frac{\sum_{i\in m} e_i\,x_i}{\sum_{i\in m} x_i},

    with :math:`d_i` the latest spell length in months, :math:`x_i` = left public support in the
    year and :math:`e_i` = employed 3 months later. :math:`D_m` is NaN when no resident had a
    spell and :math:`R_m` is NaN when nobody left public support: the measure is undefined
    (no one to follow up), which is not the same as 0 % retention.

    References
    ----------
    KL (2010). Reform paper on the employment effort, October 2010.
    """
    bset = BenefitSet.parse(benefits)
    name, groups = bset.name, bset.groups
    need = ["code", "spell_months", "exited", "employed_3m", *groups]
    missing = [c for c in need if c not in persons.columns]
    if missing:
        raise ValueError(f"persons: missing column(s) {missing}")
    p = persons
    if "year" in p.columns:
        years = sorted(int(y) for y in pd.unique(p["year"]))
        if year is None and len(years) > 1:
            raise ValueError(f"year: persons holds several years {years}; choose one")
        if year is not None:
            if int(year) not in years:
                raise ValueError(f"year: {year} not in the register (years {years})")
            p = p.loc[p["year"].astype(int) == int(year)]
        year = years[0] if year is None and years else year
    shares = p[list(groups)]
    for g in groups:
        v = shares[g]
        bad = v.isna() | (v < 0) | (v > 1)
        if bad.any():
            raise ValueError(
                f"persons: column {g!r} must be a share in [0, 1]; {int(bad.sum())} bad row(s), e.g. row {bad.idxmax()!r}"
            )
    spell = p["spell_months"]
    if spell.isna().any() or (spell < 0).any():
        raise ValueError("persons: column 'spell_months' must be a non-negative number of months")
    for col in ("exited", "employed_3m"):
        if not pd.api.types.is_bool_dtype(p[col]):
            raise TypeError(f"persons: column {col!r} is {p[col].dtype}; expected bool")
    bad = p["employed_3m"] & ~p["exited"]
    if bad.any():
        raise ValueError(
            f"persons: employed_3m is True for {int(bad.sum())} row(s) that did not exit (e.g. row {bad.idxmax()!r})"
        )
    code = p["code"].astype(int)
    has_spell = spell > 0
    frame = pd.DataFrame(
        {
            "persons": 1,
            "fulltime": shares.sum(axis=1).astype(float),
            "spells": has_spell.astype(int),
            "spell_sum": spell.where(has_spell, 0).astype(float),
            "exited": p["exited"].astype(int),
            "employed_3m": p["employed_3m"].astype(int),
        }
    )
    g = frame.groupby(code.to_numpy()).sum()
    g.index = pd.Index(g.index.astype(int), name="code")
    if codes is not None:
        g = g.reindex(pd.Index(sorted(int(c) for c in codes), name="code"), fill_value=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "persons": g["persons"].astype(int),
                "fulltime": g["fulltime"],
                "fulltime_pct": 100.0 * g["fulltime"] / g["persons"].where(g["persons"] > 0),
                "spells": g["spells"].astype(int),
                "mean_spell_months": g["spell_sum"] / g["spells"].where(g["spells"] > 0),
                "exited": g["exited"].astype(int),
                "employed_3m": g["employed_3m"].astype(int),
                "employed_3m_share": g["employed_3m"] / g["exited"].where(g["exited"] > 0),
            }
        )
    out.attrs.update(
        {
            "benefits": name,
            "groups": list(groups),
            "year": year,
            "synthetic": bool(persons.attrs.get("synthetic", False)),
        }
    )
    return out
