"""Report figures, drawn from the tidy result frames (one theme, one accent colour).

Every function takes tidy frames (one row per municipality) and returns a matplotlib
:class:`~matplotlib.figure.Figure`; none computes results of its own, so what a figure shows is
what the tested frames hold. The case municipality, if given, is drawn in the accent colour and
labelled; all others are grey.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.report.fmt import num
from analysis.report.theme import ACCENT, BLUE, DARK, GREY, LIGHT, apply_theme, decimal_comma


def _require(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise ValueError(f"{what}: the frame lacks column(s) {missing}; it has {list(df.columns)}")


def _figure(figsize: tuple[float, float] | None = None) -> tuple[Figure, Any]:
    apply_theme()
    fig = Figure(figsize=figsize or (6.3, 3.6), layout="constrained")
    return fig, fig.add_subplot()


def caterpillar(
    tidy: pd.DataFrame,
    *,
    highlight: int | None = None,
    interval: str = "rank",
    label_n: int = 0,
) -> Figure:
    """Municipalities ordered by rank with their interval.

    Parameters
    ----------
    tidy
        Tidy model frame with ``code, name, rank`` and, for ``interval="rank"``,
        ``rank_lower, rank_upper`` (marginal) and optionally ``rank_cs_lower, rank_cs_upper``
        (simultaneous); for ``interval="pp"``, ``difference_pp, ci_lower_pp, ci_upper_pp``.
    highlight
        Code of the case municipality.
    interval
        ``"rank"`` (rank with rank confidence interval) or ``"pp"`` (difference in
        percentage points with its confidence interval).
    label_n
        Also label the ``label_n`` best and worst municipalities.
    """
    if interval not in ("rank", "pp"):
        raise ValueError(f"interval: expected 'rank' or 'pp', got {interval!r}")
    df = tidy.sort_values("rank").reset_index(drop=True)
    fig, ax = _figure((6.3, 3.8))
    x = np.arange(1, len(df) + 1)
    if interval == "rank":
        _require(df, ["code", "name", "rank", "rank_lower", "rank_upper"], "caterpillar")
        y, lo, hi = df["rank"], df["rank_lower"], df["rank_upper"]
        if {"rank_cs_lower", "rank_cs_upper"} <= set(df.columns) and df["rank_cs_lower"].notna().all():
            ax.vlines(x, df["rank_cs_lower"], df["rank_cs_upper"], color=LIGHT, lw=3.2, zorder=1)
        ax.set_ylabel("Placering (1 = bedst)")
        ax.invert_yaxis()
    else:
        _require(df, ["code", "name", "rank", "difference_pp", "ci_lower_pp", "ci_upper_pp"], "caterpillar")
        y, lo, hi = df["difference_pp"], df["ci_lower_pp"], df["ci_upper_pp"]
        ax.axhline(0, color=DARK, lw=0.8)
        ax.set_ylabel("Faktisk − forventet (pct.-point)")
        decimal_comma(ax, axis="y")
    colors = np.where(df["code"] == highlight, ACCENT, GREY)
    ax.vlines(x, lo, hi, color=colors, lw=1.0, zorder=2)
    ax.scatter(x, y, c=colors, s=9, zorder=3)
    ax.set_xlabel("Kommuner ordnet efter placering")
    ax.set_xlim(0, len(df) + 1)
    labelled = set(df["code"].head(label_n)) | set(df["code"].tail(label_n))
    if highlight is not None:
        labelled.add(highlight)
    for i, row in df[df["code"].isin(labelled)].iterrows():
        color = ACCENT if row["code"] == highlight else DARK
        ax.annotate(
            str(row["name"]),
            (x[i], y.iloc[i]),
            xytext=(4, 6),
            textcoords="offset points",
            fontsize=7.5,
            color=color,
            fontweight="bold" if row["code"] == highlight else "normal",
        )
    return fig


def funnel_plot(tidy: pd.DataFrame, *, highlight: int | None = None, label_outliers: bool = True) -> Figure:
    """Funnel plot: difference (pct.-points) against population, with 95 % and 99,8 % limits.

    The limit lines join the per-municipality limits from the tidy frame
    (``funnel_lower95`` … ``funnel_upper998``), ordered by population.
    """
    cols = ["code", "name", "population", "difference_pp", "funnel_lower95", "funnel_upper95"]
    _require(tidy, [*cols, "funnel_lower998", "funnel_upper998"], "funnel_plot")
    df = tidy.sort_values("population")
    fig, ax = _figure()
    for lo, hi, style in (
        ("funnel_lower95", "funnel_upper95", "--"),
        ("funnel_lower998", "funnel_upper998", ":"),
    ):
        ax.plot(df["population"], df[lo], color=BLUE, lw=0.9, ls=style)
        ax.plot(df["population"], df[hi], color=BLUE, lw=0.9, ls=style)
    ax.axhline(0, color=DARK, lw=0.8)
    colors = np.where(df["code"] == highlight, ACCENT, GREY)
    ax.scatter(df["population"], df["difference_pp"], c=colors, s=12, zorder=3)
    ax.set_xscale("log")
    ax.set_xlabel("Befolkning 16–66 år (logaritmisk skala)")
    ax.set_ylabel("Faktisk − forventet (pct.-point)")
    decimal_comma(ax, axis="y")
    ax.xaxis.set_major_formatter(_thousands())
    out = df["difference_pp"].gt(df["funnel_upper998"]) | df["difference_pp"].lt(df["funnel_lower998"])
    show = df[(out & label_outliers) | (df["code"] == highlight)]
    for _, row in show.iterrows():
        ax.annotate(
            str(row["name"]),
            (row["population"], row["difference_pp"]),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=7.5,
            color=ACCENT if row["code"] == highlight else DARK,
        )
    ax.plot([], [], color=BLUE, ls="--", lw=0.9, label="95 pct.-grænse")
    ax.plot([], [], color=BLUE, ls=":", lw=0.9, label="99,8 pct.-grænse")
    ax.legend(loc="upper right")
    return fig


def _thousands() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _p: num(v, 0))


def decomposition_bars(decomp: pd.DataFrame, code: int, *, labels: dict[str, str] | None = None) -> Figure:
    """Contribution of each block of rammevilkår to a municipality's expected share.

    Parameters
    ----------
    decomp
        Frame indexed by code with one column per block (percentage points), as returned by
        ``ExpectedCaseloadResults.decomposition()`` (its ``total`` column, if any, is drawn last).
    code
        The municipality.
    labels
        Danish labels of the blocks.
    """
    if code not in decomp.index:
        raise ValueError(f"decomposition_bars: municipality {code} is not in the decomposition")
    row = decomp.loc[code]
    blocks = [c for c in row.index if c != "total"]
    values = row[blocks].astype(float)
    names = [(labels or {}).get(b, b) for b in blocks]
    fig, ax = _figure((6.3, 0.45 * len(blocks) + 1.2))
    colors = np.where(values > 0, ACCENT, BLUE)
    ax.barh(names, values, color=colors)
    ax.axvline(0, color=DARK, lw=0.8)
    ax.invert_yaxis()
    ax.set_xlabel("Bidrag til forventet andel i forhold til landsgennemsnittet (pct.-point)")
    decimal_comma(ax, axis="x")
    for i, v in enumerate(values):
        ax.annotate(
            num(v, 2, sign=True),
            (v, i),
            xytext=(4 if v >= 0 else -4, 0),
            textcoords="offset points",
            va="center",
            ha="left" if v >= 0 else "right",
            fontsize=7.5,
        )
    return fig


def quadrant(
    table: pd.DataFrame,
    *,
    x: str = "resid_kontanthjaelp",
    y: str = "resid_foertidspension",
    highlight: Sequence[int] = (),
    xlabel: str = "Kontanthjælp mv.: faktisk − forventet (pct.-point)",
    ylabel: str = "Førtidspension: faktisk − forventet (pct.-point)",
    a_name: str = "kontanthjælp",
    b_name: str = "førtidspension",
) -> Figure:
    """Quadrant scatter of two residuals with a fitted line and the case municipalities labelled.

    ``a_name`` and ``b_name`` name the two sides in the corner labels ("Bedre på …").
    """
    _require(table, ["code", "name", x, y], "quadrant")
    fig, ax = _figure((6.3, 4.2))
    is_case = table["code"].isin(list(highlight))
    ax.axhline(0, color=DARK, lw=0.8)
    ax.axvline(0, color=DARK, lw=0.8)
    ax.scatter(table.loc[~is_case, x], table.loc[~is_case, y], color=GREY, s=14)
    ax.scatter(table.loc[is_case, x], table.loc[is_case, y], color=ACCENT, s=22, zorder=3)
    slope, intercept = np.polyfit(table[x], table[y], 1)
    xs = np.linspace(table[x].min(), table[x].max(), 50)
    ax.plot(xs, intercept + slope * xs, color=BLUE, lw=1)
    for _, row in table[is_case].iterrows():
        ax.annotate(
            str(row["name"]), (row[x], row[y]), xytext=(4, 4), textcoords="offset points", color=ACCENT
        )
    pad = dict(fontsize=7.5, color=DARK, alpha=0.8)
    ax.text(
        0.02,
        0.97,
        f"Bedre på {a_name},\ndårligere på {b_name}",
        transform=ax.transAxes,
        va="top",
        **pad,
    )
    ax.text(
        0.98,
        0.03,
        f"Dårligere på {a_name},\nbedre på {b_name}",
        transform=ax.transAxes,
        ha="right",
        **pad,
    )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    decimal_comma(ax, axis="x")
    decimal_comma(ax, axis="y")
    return fig


def slope_chart(
    table: pd.DataFrame,
    *,
    left: str = "rank_bm2018",
    right: str = "rank_all",
    left_label: str = "Benchmark 2018",
    right_label: str = "Alle ydelser",
    highlight: Sequence[int] = (),
    n_label: int = 5,
) -> Figure:
    """Slope chart of ranks under two benefit sets; the largest movers and cases labelled."""
    _require(table, ["code", "name", left, right], "slope_chart")
    fig, ax = _figure((6.3, 5.2))
    shift = (table[right] - table[left]).abs()
    top = set(
        table.assign(_s=shift).sort_values(["_s", "code"], ascending=[False, True])["code"].head(n_label)
    )
    for _, row in table.iterrows():
        case = row["code"] in highlight
        strong = case or row["code"] in top
        ax.plot(
            [0, 1],
            [row[left], row[right]],
            color=ACCENT if case else (BLUE if strong else GREY),
            lw=1.4 if strong else 0.5,
            alpha=1.0 if strong else 0.6,
            zorder=3 if strong else 1,
        )
        if strong:
            ax.annotate(
                str(row["name"]),
                (1, row[right]),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=7.5,
            )
    ax.set_xticks([0, 1], [left_label, right_label])
    ax.set_xlim(-0.1, 1.35)
    ax.set_ylim(len(table) + 1, 0)
    ax.set_ylabel("Placering (1 = bedst)")
    ax.grid(axis="x", visible=False)
    return fig


def actual_vs_expected(frame: pd.DataFrame, *, highlight: int | None = None) -> Figure:
    """Actual and expected share (pct.) per municipality, for a case and its comparison group.

    ``frame`` holds one row per municipality with ``code, name, actual_share, expected_share``
    (in per cent), in the order to draw.
    """
    _require(frame, ["code", "name", "actual_share", "expected_share"], "actual_vs_expected")
    fig, ax = _figure((6.3, 0.32 * len(frame) + 1.3))
    y = np.arange(len(frame))
    ax.barh(y - 0.2, frame["expected_share"], height=0.38, color=LIGHT, edgecolor=BLUE, label="Forventet")
    colors = np.where(frame["code"] == highlight, ACCENT, GREY)
    ax.barh(y + 0.2, frame["actual_share"], height=0.38, color=colors, label="Faktisk")
    ax.set_yticks(y, frame["name"])
    ax.invert_yaxis()
    ax.set_xlabel("Andel af befolkningen 16–66 år på offentlig forsørgelse (pct.)")
    decimal_comma(ax, axis="x")
    ax.legend(loc="lower right")
    return fig


def scatter_rankings(
    table: pd.DataFrame, *, x: str, y: str, xlabel: str, ylabel: str, highlight: int | None = None
) -> Figure:
    """Two rankings of the same units against each other (e.g. DEA vs expected caseload)."""
    _require(table, ["code", "name", x, y], "scatter_rankings")
    fig, ax = _figure((5.2, 4.6))
    colors = np.where(table["code"] == highlight, ACCENT, GREY)
    ax.scatter(table[x], table[y], c=colors, s=14)
    lim = max(table[x].max(), table[y].max()) + 1
    ax.plot([0, lim], [0, lim], color=BLUE, lw=0.8, ls="--")
    if highlight is not None and (table["code"] == highlight).any():
        row = table[table["code"] == highlight].iloc[0]
        ax.annotate(
            str(row["name"]), (row[x], row[y]), xytext=(4, 4), textcoords="offset points", color=ACCENT
        )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.invert_xaxis()
    ax.invert_yaxis()
    return fig


def rank_over_years(history: pd.DataFrame, *, highlight: int) -> Figure:
    """Placement of every municipality by period (grey), the case with its 95 % rank interval.

    ``history`` has one row per period and municipality with ``period, code, rank, rank_lower,
    rank_upper`` (:data:`analysis.model.history.HISTORY_COLUMNS`); periods are equally spaced
    on the x axis in their sort order and labelled in Danish.
    """
    from analysis.report.labels import period_label

    _require(history, ["period", "code", "rank", "rank_lower", "rank_upper"], "rank_over_years")
    if not (history["code"] == highlight).any():
        raise ValueError(f"rank_over_years: municipality {highlight} is not in the history frame")
    fig, ax = _figure((6.3, 3.4))
    wide = history.pivot(index="period", columns="code", values="rank").sort_index()
    periods = [str(p) for p in wide.index]
    x = np.arange(len(periods))
    for code in wide.columns:
        if code != highlight:
            ax.plot(x, wide[code], color=GREY, lw=0.5, alpha=0.35, zorder=1)
    case = history[history["code"] == highlight].set_index("period").reindex(wide.index)
    ax.vlines(x, case["rank_lower"], case["rank_upper"], color=ACCENT, lw=1.2, zorder=2)
    ax.plot(x, case["rank"], color=ACCENT, lw=1.6, marker="o", ms=4, zorder=3)
    for xi, rank in zip(x, case["rank"], strict=True):
        ax.annotate(
            str(int(rank)),
            (xi, rank),
            xytext=(6, 0),
            textcoords="offset points",
            va="center",
            color=ACCENT,
            fontweight="bold",
            fontsize=7.5,
        )
    ax.set_xticks(x, [period_label(p) for p in periods])
    ax.set_xlim(-0.4, len(periods) - 0.6)
    ax.set_ylim(wide.shape[1] + 1, 0)
    ax.set_ylabel("Placering (1 = bedst)")
    ax.set_xlabel("Periode" if any(len(p) > 4 for p in periods) else "År")
    ax.grid(axis="x", visible=False)
    return fig


def agreement_scatter(
    table: pd.DataFrame, *, label_codes: Sequence[int] = (), highlight: int | None = None
) -> Figure:
    """The open model's gap against the Ministry's, one dot per municipality, with the 45° line.

    ``table`` has ``code, name, difference_pp, official_difference_pp`` (pct.-points), as
    :meth:`analysis.yardsticks.official.OfficialComparison.of` gives it.
    """
    _require(table, ["code", "name", "difference_pp", "official_difference_pp"], "agreement_scatter")
    fig, ax = _figure((6.3, 4.2))
    x, y = table["official_difference_pp"], table["difference_pp"]
    lo = float(min(x.min(), y.min())) - 0.2
    hi = float(max(x.max(), y.max())) + 0.2
    ax.plot([lo, hi], [lo, hi], color=DARK, lw=0.8, zorder=1)
    ax.axhline(0, color=LIGHT, lw=0.8, zorder=0)
    ax.axvline(0, color=LIGHT, lw=0.8, zorder=0)
    colors = np.where(table["code"] == highlight, ACCENT, GREY)
    ax.scatter(x, y, c=colors, s=12, zorder=2)
    for _, row in table[table["code"].isin(label_codes) | (table["code"] == highlight)].iterrows():
        is_case = row["code"] == highlight
        ax.annotate(
            str(row["name"]),
            (row["official_difference_pp"], row["difference_pp"]),
            xytext=(4, 4),
            textcoords="offset points",
            fontsize=7.5,
            color=ACCENT if is_case else DARK,
            fontweight="bold" if is_case else "normal",
        )
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel("Ministeriet: faktisk − forventet (pct.-point)")
    ax.set_ylabel("Åben model: faktisk − forventet (pct.-point)")
    decimal_comma(ax, axis="x")
    decimal_comma(ax, axis="y")
    return fig
