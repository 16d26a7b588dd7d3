"""Ranks over years (analysis.model.history, the benchmark's history, its view and its prose).

Syntetisk Danmark plants the same municipality effects in every year, so a municipality's gap
should persist from year to year; each year is fitted on its own, as in the Ministry's benchmark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analysis.core.params import parse_run
from analysis.data.sources import PersonRegister
from analysis.data.synth import generate, write_register
from analysis.model import fit
from analysis.model.history import HISTORY_COLUMNS, rank_history
from analysis.report import figures, narrative, views
from analysis.report.fmt import ReportFigure
from analysis.run.benchmark import build
from tests.conftest import make_report

YEARS = (2022, 2023, 2024)
CASE = 450  # Nyborg


@pytest.fixture(scope="module")
def register():
    """Three years of 20,000 synthetic persons each (seed 5)."""
    return generate(n_persons=20_000, seed=5, years=YEARS)


@pytest.fixture(scope="module")
def history(register):
    return rank_history(register.persons, register.municipalities, draws=100, seed=4)


def test_one_row_per_year_and_municipality(history):
    assert list(history.columns) == list(HISTORY_COLUMNS)
    assert history.groupby("period").size().to_dict() == dict.fromkeys(map(str, YEARS), 98)
    for _, year in history.groupby("period"):
        assert sorted(year["rank"]) == list(range(1, 99))
        assert (year["rank_lower"] <= year["rank"]).all()
        assert (year["rank"] <= year["rank_upper"]).all()
    assert history.attrs["synthetic"] is True


def test_each_year_equals_a_fit_on_that_year_alone(register, history):
    p, m = register.persons, register.municipalities
    direct = fit(p[p["year"] == 2023], m[m["year"] == 2023], draws=100, seed=4).tidy()
    got = history[history["period"] == "2023"].set_index("code")
    want = direct.set_index("code").loc[got.index]
    cols = ["rank", "rank_lower", "rank_upper", "rank_cs_lower", "rank_cs_upper"]
    pd.testing.assert_frame_equal(got[cols], want[cols], check_dtype=False)
    np.testing.assert_allclose(got["difference_pp"], want["difference_pp"], rtol=1e-12)
    # and not a fit on all years pooled (which would add year effects and change the gaps)
    pooled = fit(p, m, draws=100, seed=4).tidy().set_index("code").loc[got.index]
    assert not np.allclose(got["difference_pp"], pooled["difference_pp"])


def test_requested_years_only(register):
    h = rank_history(register.persons, register.municipalities, years=[2024, 2022])
    assert sorted(h["period"].unique()) == ["2022", "2024"]


def test_planted_effects_persist_across_years():
    """Same planted effects every year → the yearly gaps agree (200,000 persons per year)."""
    reg = generate(n_persons=200_000, seed=6, years=(2023, 2024))
    h = rank_history(reg.persons, reg.municipalities, spec="fe")
    wide = h.pivot(index="code", columns="period", values="difference_pp")
    rho = stats.spearmanr(wide["2023"], wide["2024"]).statistic
    assert rho > 0.9, rho  # 0.96–0.97 over seeds 6–8


@pytest.mark.parametrize(
    ("drop", "years", "match"),
    [
        ("persons", None, "persons: a column 'year'"),
        ("municipalities", None, "municipalities: a column 'year'"),
        (None, [2021], r"years: \[2021\] not in the register \(it has \[2022, 2023, 2024\]\)"),
        (None, [], "years: "),
    ],
)
def test_bad_input_is_named(register, drop, years, match):
    p, m = register.persons, register.municipalities
    if drop == "persons":
        p = p.drop(columns="year")
    elif drop == "municipalities":
        m = m.drop(columns="year")
    with pytest.raises(ValueError, match=match):
        rank_history(p, m, years=years)


# ----------------------------------------------------------------------------- in the benchmark
@pytest.fixture(scope="module")
def multi_year_benchmark(register, tmp_path_factory):
    folder = write_register(tmp_path_factory.mktemp("years"), n_persons=20_000, seed=5, years=YEARS)
    return build(PersonRegister(folder), parse_run({"period": 2023, "draws": 100, "seed": 4}))


def test_benchmark_history_runs_up_to_the_report_year(multi_year_benchmark, register):
    bm = multi_year_benchmark
    h = bm.history
    assert sorted(h["period"].unique()) == ["2022", "2023"]
    # the report year is the report's own fit, row for row
    now = h[h["period"] == "2023"].set_index("code")
    tidy = bm.tidy().set_index("code").loc[now.index]
    for col in ("rank", "rank_lower", "rank_upper", "difference_pp"):
        np.testing.assert_array_equal(now[col].to_numpy(), tidy[col].to_numpy())
    # earlier years as fitted on their own
    before = h[h["period"] == "2022"].reset_index(drop=True)
    alone = rank_history(register.persons, register.municipalities, years=[2022], draws=100, seed=4)
    pd.testing.assert_frame_equal(before, alone, check_dtype=False)
    assert "history" in bm.timings


def test_single_year_benchmark_has_one_year_of_history(small_benchmark):
    h = small_benchmark.history
    assert h["period"].unique().tolist() == [small_benchmark.period]
    tidy = small_benchmark.tidy().set_index("code")
    np.testing.assert_array_equal(h.set_index("code").loc[tidy.index, "rank"], tidy["rank"])


def test_view_with_several_years_is_a_figure(multi_year_benchmark):
    bm = multi_year_benchmark
    view = views.rank_history_view(make_report(bm, "case", municipality="Nyborg"))
    assert isinstance(view, ReportFigure)
    html = view.to_html()
    assert "Nyborgs placering 2022–2023" in html
    assert "Syntetiske data" in html
    case = bm.history[bm.history["code"] == CASE].sort_values("period")
    for _, r in case.iterrows():
        assert f"{int(r['rank'])}. plads i {r['period']}" in html
    assert "Periode: 2022–2023." in html


def test_view_with_one_year_says_so(small_benchmark):
    view = views.rank_history_view(make_report(small_benchmark, "case", municipality=CASE))
    assert isinstance(view, narrative.Prose)
    assert f"kun én periode ({small_benchmark.period})" in view.markdown


# ----------------------------------------------------------------------------- prose and figure
def _frame(ranks: list[tuple[int, int, int, int]]) -> pd.DataFrame:
    """History rows for Nyborg: (year, rank, lower, upper)."""
    return pd.DataFrame(
        [
            {"period": str(y), "code": CASE, "name": "Nyborg", "rank": r, "rank_lower": lo, "rank_upper": hi}
            for y, r, lo, hi in ranks
        ]
    )


def test_text_lists_every_year_with_its_interval():
    text = narrative.rank_history_text(
        _frame([(2022, 40, 30, 50), (2023, 45, 35, 60), (2024, 20, 12, 28)]), CASE
    )
    assert "40. plads i 2022 (30–50), 45. plads i 2023 (35–60) og 20. plads i 2024 (12–28)" in text
    assert "overlapper ikke: placeringen i 2024 er bedre end i 2022" in text


def test_text_overlapping_intervals_do_not_tell_years_apart():
    text = narrative.rank_history_text(_frame([(2023, 40, 30, 50), (2024, 48, 50, 70)]), CASE)
    assert "overlapper, så data kan ikke skelne" in text
    worse = narrative.rank_history_text(_frame([(2023, 10, 5, 15), (2024, 48, 40, 70)]), CASE)
    assert "dårligere end i 2023" in worse


def test_text_unknown_municipality():
    with pytest.raises(ValueError, match="municipality 101 is not in the history frame"):
        narrative.rank_history_text(_frame([(2024, 1, 1, 2)]), 101)


def test_figure_draws_the_case_ranks(history):
    fig = figures.rank_over_years(history, highlight=CASE)
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    assert lo > hi  # rank 1 at the top
    case = history[history["code"] == CASE].sort_values("period")
    lines = [ln for ln in ax.get_lines() if ln.get_marker() == "o"]
    assert len(lines) == 1
    np.testing.assert_array_equal(lines[0].get_ydata(), case["rank"].to_numpy())
    with pytest.raises(ValueError, match="municipality 999"):
        figures.rank_over_years(history, highlight=999)
    with pytest.raises(ValueError, match="lacks column"):
        figures.rank_over_years(history.drop(columns="rank_upper"), highlight=CASE)
