"""STAR's jobcenterindblik categories and KL's results-first alternative.

From 2019/2020 the Agency for Labour Market and Recruitment (STAR) placed every municipality
in one of four categories built from one result target and two focus (process) targets:

======  ==============================  ======================  ===================
number  label                           result target met       both focus targets
======  ==============================  ======================  ===================
1       Inspirationskommune             yes                     yes
2       Ikke aktuel i risiko            no                      yes
3       Opmærksomhedskommune            yes                     no
4       I risiko for skærpet tilsyn     no                      no
======  ==============================  ======================  ===================

Result target: the actual share on benefit must not exceed the expected share (no tolerance).
Focus target 1: fewer than 30 % of persons with at least 12 months on benefit may have had
neither an active offer nor 100 hours of work in the last 12 months. Focus target 2 concerns
job-centre conversations (samtaler); its threshold is a parameter because the rule text was not
found (see ``FOCUS2_THRESHOLD``).

KL (letter to the minister, 4 March 2020) objected that the 1–4 order ranks process above
results: Nyborg, best on results, landed in category 3 below municipalities with worse results.
:func:`results_first` computes KL's alternative and :func:`reclassified` lists who moves.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"code": [450, 101], "actual_share": [0.10, 0.20], "expected_share": [0.12, 0.18],
...                    "no_offer_share": [0.35, 0.10], "conversations_share_ok": [0.9, 0.9]})
>>> jobcenterindblik(df)["category"].tolist()
[3, 2]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analysis.core.validate import keyed_by_code

#: Focus target 1 (STAR, verified): the no-offer share must be *below* this.
FOCUS1_THRESHOLD = 0.30
#: Focus target 2 (conversations): the share with the required conversations must be at least
#: this. The official rule text was not found; 0.70 mirrors focus target 1 (at most 30 % may
#: miss the requirement). Treat it as a parameter, not as STAR's number.
FOCUS2_THRESHOLD = 0.70

LABELS: dict[int, str] = {
    1: "Inspirationskommune",
    2: "Ikke aktuel i risiko",
    3: "Opmærksomhedskommune",
    4: "I risiko for skærpet tilsyn",
}
#: KL's results-first order: result target first, then the focus targets.
RESULTS_FIRST_LABELS: dict[int, str] = {
    1: "Resultatmål og fokusmål opfyldt",
    2: "Resultatmål opfyldt, fokusmål ikke opfyldt",
    3: "Resultatmål ikke opfyldt, fokusmål opfyldt",
    4: "Hverken resultatmål eller fokusmål opfyldt",
}
INPUT_COLUMNS: tuple[str, ...] = (
    "actual_share",
    "expected_share",
    "no_offer_share",
    "conversations_share_ok",
)


def _check_share(value: float, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"{name}: expected a share in [0, 1], got {value!r}")


def jobcenterindblik(
    df: pd.DataFrame,
    *,
    focus1_threshold: float = FOCUS1_THRESHOLD,
    focus2_threshold: float = FOCUS2_THRESHOLD,
) -> pd.DataFrame:
    r"""STAR's four jobcenterindblik categories.

    Parameters
    ----------
    df : DataFrame
        One row per municipality keyed by ``code`` (column or index) with ``actual_share``,
        ``expected_share`` (share of the population on the benchmark's benefits, 0–1),
        ``no_offer_share`` (focus target 1) and ``conversations_share_ok`` (focus target 2).
    focus1_threshold : float
        Focus target 1 is met when ``no_offer_share < focus1_threshold`` (STAR: 30 %).
    focus2_threshold : float
        Focus target 2 is met when ``conversations_share_ok >= focus2_threshold``
        (default :data:`FOCUS2_THRESHOLD`, an assumption).

    Returns
    -------
    DataFrame
        Indexed by ``code``: the input columns, ``result_ok``, ``focus1_ok``, ``focus2_ok``,
        ``category`` (1–4) and ``category_label``.

    Notes
    -----
    :math:`\text{result\_ok} = [\text{actual} \le \text{expected}]`; the category is
    :math:`1` if result and both focus targets are met, :math:`2` if only the focus targets,
    :math:`3` if only the result, :math:`4` if neither. Shares are compared exactly as given;
    round them beforehand if the published figures are rounded.

    References
    ----------
    Styrelsen for Arbejdsmarked og Rekruttering: "Skærpet tilsyn med kommunernes
    beskæftigelsesindsats" and its questions and answers (2020).
    KL (2020). Letter to the Minister for Employment, 4 March 2020.
    """
    _check_share(focus1_threshold, "focus1_threshold")
    _check_share(focus2_threshold, "focus2_threshold")
    d = keyed_by_code(df, "df")
    missing = [c for c in INPUT_COLUMNS if c not in d.columns]
    if missing:
        raise ValueError(f"df: missing column(s) {missing}; expected {list(INPUT_COLUMNS)}")
    out = d[list(INPUT_COLUMNS)].copy()
    for col in INPUT_COLUMNS:
        if not pd.api.types.is_numeric_dtype(out[col]) or pd.api.types.is_bool_dtype(out[col]):
            raise TypeError(f"df: column {col!r} is {out[col].dtype}; expected shares (numbers in [0, 1])")
        v = out[col].astype(float)
        bad = v.isna() | (v < 0) | (v > 1)
        if bad.any():
            raise ValueError(
                f"df: column {col!r} must be a share in [0, 1]; missing or out of range for code(s) {out.index[bad].tolist()}"
            )
        out[col] = v
    out["result_ok"] = out["actual_share"] <= out["expected_share"]
    out["focus1_ok"] = out["no_offer_share"] < focus1_threshold
    out["focus2_ok"] = out["conversations_share_ok"] >= focus2_threshold
    focus = out["focus1_ok"] & out["focus2_ok"]
    res = out["result_ok"]
    cat = np.select([res & focus, ~res & focus, res & ~focus], [1, 2, 3], default=4)
    out["category"] = pd.Series(cat, index=out.index).astype("int8")
    out["category_label"] = out["category"].map(LABELS)
    return out


def results_first(categories: pd.DataFrame, difference_pp: pd.Series) -> pd.DataFrame:
    """KL's results-first reading beside STAR's categories.

    Parameters
    ----------
    categories : DataFrame
        Output of :func:`jobcenterindblik`.
    difference_pp : Series
        Actual − expected in pct.-points of the population 16–66 per code (negative is good),
        from the expected-caseload model.

    Returns
    -------
    DataFrame
        ``categories`` plus ``difference_pp``; ``result_rank`` (1 = most negative gap, ties
        share the best rank); ``star_position`` (the list in STAR's order: category, then
        gap, then code); ``results_first_category`` (1 result and focus met, 2 result only, 3
        focus only, 4 neither) with its label; ``position_change`` = ``star_position −
        result_rank`` (positive: STAR places the municipality lower than its result does);
        ``outranked_by`` — how many municipalities with a worse result STAR places above it.

    Notes
    -----
    The results-first categories only swap STAR's 2 and 3: the result target decides first.
    """
    cat = keyed_by_code(categories, "categories")
    need = ["category", "result_ok", "focus1_ok", "focus2_ok"]
    if any(c not in cat.columns for c in need):
        raise ValueError(f"categories: expected the output of jobcenterindblik (columns {need})")
    gap = difference_pp.copy()
    gap.index = pd.Index(gap.index, name="code")
    missing = sorted(set(cat.index) - set(gap.dropna().index))
    if missing:
        raise ValueError(f"difference_pp: missing or NaN for code(s) {missing}")
    out = cat.copy()
    out["difference_pp"] = gap.reindex(out.index).astype(float)
    out["result_rank"] = out["difference_pp"].rank(method="min", ascending=True).astype(int)
    order = sorted(out.index, key=lambda c: (int(out.at[c, "category"]), out.at[c, "difference_pp"], c))
    out["star_position"] = pd.Series(np.arange(1, len(order) + 1), index=order).reindex(out.index)
    swap = {1: 1, 2: 3, 3: 2, 4: 4}
    out["results_first_category"] = out["category"].map(swap).astype("int8")
    out["results_first_label"] = out["results_first_category"].map(RESULTS_FIRST_LABELS)
    out["position_change"] = out["star_position"] - out["result_rank"]
    g = out["difference_pp"].to_numpy()
    pos = out["star_position"].to_numpy()
    out["outranked_by"] = [int(((pos < pos[i]) & (g > g[i])).sum()) for i in range(len(out))]
    return out


def reclassified(table: pd.DataFrame) -> pd.DataFrame:
    """Municipalities whose standing changes between STAR's order and KL's results-first order.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`results_first`.

    Returns
    -------
    DataFrame
        Rows with ``category != results_first_category`` (STAR's categories 2 and 3) or
        ``outranked_by > 0``, sorted by ``result_rank`` then code: the Nyborg case is a
        municipality in category 3 with the best result and a positive ``outranked_by``.
    """
    need = ["category", "results_first_category", "outranked_by", "result_rank"]
    if any(c not in table.columns for c in need):
        raise ValueError(f"table: expected the output of results_first (columns {need})")
    t = table.copy()
    keep = (t["category"] != t["results_first_category"]) | (t["outranked_by"] > 0)
    t = t.loc[keep]
    return t.assign(_code=t.index).sort_values(["result_rank", "_code"]).drop(columns="_code")


# ----------------------------------------------------------------------------- command line


def categories_table(
    tidy: pd.DataFrame,
    municipalities: pd.DataFrame,
    *,
    year: int | None = None,
    focus1_threshold: float = FOCUS1_THRESHOLD,
    focus2_threshold: float = FOCUS2_THRESHOLD,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Categories from the model's tidy frame and the municipality table (focus columns).

    ``actual_share = actual / population`` and ``expected_share = expected / population`` from
    the model; focus shares from ``municipalities`` in ``year`` (default the latest year).
    """
    t = keyed_by_code(tidy, "tidy")
    mun = municipalities
    if "year" in mun.columns:
        yr = int(mun["year"].max()) if year is None else int(year)
        if yr not in set(mun["year"].astype(int)):
            raise ValueError(
                f"year: {yr} not in the municipality table (years {sorted(set(mun['year'].astype(int)))})"
            )
        mun = mun.loc[mun["year"].astype(int) == yr]
    else:
        yr = year
    m = keyed_by_code(mun, "municipalities")
    need = ["no_offer_share", "conversations_share_ok"]
    missing = [c for c in need if c not in m.columns]
    if missing:
        raise ValueError(f"municipalities: missing column(s) {missing}")
    absent = sorted(set(t.index) - set(m.index))
    if absent:
        raise ValueError(f"municipalities: no focus data for code(s) {absent}")
    df = pd.DataFrame(
        {
            "actual_share": t["actual"] / t["population"],
            "expected_share": t["expected"] / t["population"],
            "no_offer_share": m["no_offer_share"].reindex(t.index),
            "conversations_share_ok": m["conversations_share_ok"].reindex(t.index),
        }
    )
    cat = jobcenterindblik(df, focus1_threshold=focus1_threshold, focus2_threshold=focus2_threshold)
    table = results_first(cat, t["difference_pp"])
    if "name" in t.columns:
        table.insert(0, "name", t["name"].reindex(table.index))
    meta = {
        "year": yr,
        "focus1_threshold": focus1_threshold,
        "focus2_threshold": focus2_threshold,
        "reclassified": len(reclassified(table)),
        "changed_category": int((table["category"] != table["results_first_category"]).sum()),
        "outranked": int((table["outranked_by"] > 0).sum()),
    }
    return table.reset_index(), meta
