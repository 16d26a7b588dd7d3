"""The benchmark on the embedded public data (jobindsats Y30R21, Statistics Denmark) and its views.

The model is never given the Ministry's expected counts, differences or ranks: these tests check
the open model's own invariants (national expected = actual in every period, the point rank in
its intervals), that the published figures are only put beside it, and that every view names
the real source.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.core.params import ParameterError, parse_run
from analysis.data.open import open_source
from analysis.data.public.jobindsats import load_official
from analysis.report import narrative, views
from analysis.report.fmt import ReportBox, ReportFigure, ReportTable
from analysis.run.benchmark import build
from tests.conftest import make_report

NYBORG = 450


@pytest.fixture(scope="module")
def source():
    return open_source("public")


@pytest.fixture(scope="module")
def bm(source):
    """The latest period, as the main job's default."""
    return build(source, parse_run({"data": "public", "draws": 300}))


@pytest.fixture(scope="module")
def bm_published(source):
    """The period with the Ministry's published benchmark."""
    return build(source, parse_run({"data": "public", "period": "2020QMAT02", "draws": 300}))


def test_defaults_are_the_latest_period_and_the_overall_list(bm, source):
    assert bm.period == source.periods[-1] == "2022QMAT04"
    assert bm.benefit_set.name == "bm2019"
    assert not bm.synthetic
    assert bm.provenance.kind == "public"
    assert set(bm.fits) == {"bm2019", "dagpenge", "kontanthjaelp", "sygedagpenge"}


@pytest.mark.parametrize("period", ["2020QMAT02", "2021QMAT04", "2022QMAT04"])
def test_national_expected_equals_actual_in_every_period(source, period):
    fits = source.fit_many(
        source.fittable(["bm2019", "kontanthjaelp"]), period=period, spec="pooled", draws=200, seed=0
    )
    for name, res in fits.items():
        assert res.period == period
        assert res.expected.sum() == pytest.approx(res.actual.sum(), rel=1e-9), name


@pytest.mark.parametrize("name", ["bm2019", "dagpenge", "kontanthjaelp", "sygedagpenge"])
def test_point_rank_lies_inside_its_interval_and_set(bm, name):
    t = bm.fits[name].tidy()
    assert (t["rank_lower"] <= t["rank"]).all()
    assert (t["rank"] <= t["rank_upper"]).all()
    assert (t["rank_cs_lower"] <= t["rank"]).all()
    assert (t["rank"] <= t["rank_cs_upper"]).all()
    assert sorted(t["rank"]) == list(range(1, 99)) or t["difference_pp"].duplicated().any()


def test_actual_counts_are_the_published_ones(bm, source):
    """The outcome is Y30R21's actual count as published (rounded to 10), nothing modelled."""
    frame = source.frame[source.frame["period"] == bm.period].set_index("code")
    t = bm.tidy().set_index("code")
    np.testing.assert_array_equal(t["actual"].to_numpy(), frame.loc[t.index, "ft_bm2019"].to_numpy())
    assert (t["actual"] % 10 == 0).all()


def test_the_noise_does_not_vanish_for_few_recipients(bm):
    """The gap's noise comes from the expected share, so a small count still has a real interval."""
    t = bm.fits["sygedagpenge"].tidy().set_index("code")
    small = t["actual"].idxmin()
    assert t.loc[small, "se_pp"] > 0.05
    assert t.loc[small, "rank_upper"] - t.loc[small, "rank_lower"] >= 5


def test_bm2018_and_groups_outside_the_benchmark_are_refused(source):
    for benefits, what in (("bm2018", "bm2018 cannot be formed"), ("foertidspension", "foertidspension")):
        with pytest.raises(ParameterError, match=what):
            build(source, parse_run({"data": "public", "benefits": benefits}))
    with pytest.raises(ParameterError, match="spec: got 'fe'"):
        build(source, parse_run({"data": "public", "spec": "fe"}))
    with pytest.raises(ParameterError, match=r"period: 2024 is not in the data .* 2020QMAT02"):
        build(source, parse_run({"data": "public", "period": "2024"}))


def test_what_public_data_cannot_feed_is_recorded(bm):
    assert bm.missing["tradeoff_test"].detail == ("foertidspension",)
    assert {"categories", "efficiency", "measures", "rank_shifts"} <= set(bm.missing)
    assert "official" not in bm.missing
    # the areas it has are still correlated with each other
    assert set(bm.tradeoff.groups) == {"dagpenge", "kontanthjaelp", "sygedagpenge"}
    assert len(bm.tradeoff.correlations) == 3


# ----------------------------------------------------------------------------- official figures
def test_the_comparison_uses_the_published_period_fitted_on_its_own_data(bm, bm_published):
    assert bm.official.period == bm_published.official.period == "2020QMAT02"
    pd.testing.assert_frame_equal(bm.official.table, bm_published.official.table)
    # in the published period the comparison is the run's own fit
    ours = bm_published.tidy().set_index("code")
    table = bm_published.official.of("bm2019")
    np.testing.assert_allclose(table["difference_pp"], ours.loc[table.index, "difference_pp"], rtol=1e-12)


def test_official_ranks_are_the_published_ones(bm):
    published = load_official()
    for key in ("bm2019", "kontanthjaelp"):
        want = published[published["benefit"] == key].set_index("code")["rank"]
        got = bm.official.of(key)["official_rank"]
        pd.testing.assert_series_equal(got.sort_index(), want.sort_index(), check_names=False)


def test_agreement_figures_are_computed_from_the_two_tables(bm):
    t = bm.official.of("bm2019")
    a = bm.official.agreement.loc["bm2019"]
    assert a["corr_gap"] == pytest.approx(np.corrcoef(t["difference_pp"], t["official_difference_pp"])[0, 1])
    assert a["corr_expected"] == pytest.approx(
        np.corrcoef(t["expected_share"], t["official_expected_share"])[0, 1]
    )
    inside = ((t["official_rank"] >= t["rank_lower"]) & (t["official_rank"] <= t["rank_upper"])).mean()
    assert a["inside_interval"] == pytest.approx(inside)
    # the same actual counts on both sides: the gaps differ only through the expected shares
    np.testing.assert_array_equal(t["actual"].to_numpy(), t["official_actual"].to_numpy())


# ----------------------------------------------------------------------------- views
def test_every_source_line_names_the_real_source(bm):
    nat, case = make_report(bm, "national"), make_report(bm, "case", municipality=NYBORG)
    shown = [
        views.ranking_table(nat),
        views.funnel_figure(nat),
        views.coefficient_table(nat),
        views.decomposition_table(nat),
        views.groups_table(case),
        views.map_figure(case),
        views.official_table(nat),
        views.official_figure(nat),
        views.case_official(case),
        views.correlation_table(nat),
    ]
    for obj in shown:
        assert "Syntetisk" not in obj.source
        assert obj.source.startswith("Jobindsats.dk (STAR), måling Y30R21; Danmarks Statistik, AUP02")
    assert "Jobindsats.dk (STAR), måling Y30R21" in views.official_table(nat).source


def test_method_box_and_data_description(bm):
    nat = make_report(bm, "national")
    box = views.method_box(nat)
    assert isinstance(box, ReportBox)
    for word in ("Y30R21", "interpoleres", "lag", "forventede", "afrundingen"):
        assert word in box.body
    text = views.data_description(nat).markdown
    assert "offentligt tilgængelige data" in text
    assert "2022" in text
    assert "kommune-perioder" in views.coefficient_table(nat).note


def test_official_summary_numbers_are_the_computed_ones(bm):
    nat = make_report(bm, "national")
    text = views.official_summary(nat).markdown
    a = bm.official.agreement.loc["bm2019"]
    assert f"med {a['corr_expected']:.2f}".replace(".", ",") in text
    assert f"med {a['corr_gap']:.2f}".replace(".", ",") in text
    assert "eneste periode med ministeriets egne tal" in text  # the report is about a later period
    worst = bm.official.disagreements("bm2019", 1).iloc[0]
    assert (
        f"{worst['name']} ({int(worst['rank'])}. plads i den åbne model, {int(worst['official_rank'])}."
        in text
    )


def test_case_official_shows_both_ranks(bm):
    case = make_report(bm, "case", municipality=NYBORG)
    table = views.case_official(case)
    assert isinstance(table, ReportTable)
    rows = {r[0]: r for r in table.rows}
    overall = bm.official.of("bm2019").loc[NYBORG]
    row = rows["Benchmark fra 2019: også ledighedsydelse og ressourceforløb"]
    assert row[1].startswith(f"{int(overall['rank'])} (")
    assert int(row[2]) == overall["official_rank"] == 3  # Nyborg's published place in 2020QMAT02


def test_official_figure_labels_the_largest_disagreements(bm):
    fig = views.official_figure(make_report(bm, "national"))
    assert isinstance(fig, ReportFigure)
    names = bm.official.disagreements("bm2019", 5)["name"].tolist()
    for name in names:
        assert f">{name}<" in fig.svg or name in fig.svg


def test_tradeoff_report_says_what_is_missing_and_how_to_fetch_it(bm):
    rep = make_report(bm, "tradeoff")
    note = views.tradeoff_data_note(rep)
    assert isinstance(note, narrative.Prose)
    assert "førtidspension" in note.markdown
    assert "kommunebench statbank fetch" in note.markdown
    summary = views.tradeoff_summary(rep).markdown
    assert "førtidspension" in summary  # the test is left out, and says why
    assert isinstance(views.correlation_table(rep), ReportTable)
    assert isinstance(views.slope_figure(rep), narrative.Prose)  # says why, once
    assert views.movers_table(rep) is None
    assert views.quadrant_figure(rep) is None  # tradeoff_data_note has said why
    case = make_report(bm, "case", municipality=NYBORG)
    assert "førtidspension" in views.quadrant_figure(case).markdown


def test_case_report_yardsticks_say_what_is_left_out(bm):
    table = views.yardsticks_table(make_report(bm, "case", municipality=NYBORG))
    assert list(table.header) == ["Kommune", "Placering (benchmark)"]
    assert "Jobcenterindblikkets kategorier er udeladt" in table.note
    assert "KL's resultatmål er udeladt" in table.note


# ----------------------------------------------------------------------------- monthly kontanthjælp to 2026
@pytest.fixture(scope="module")
def bm_monthly():
    return build(open_source("public-monthly"), parse_run({"data": "public-monthly", "draws": 300}))


def test_monthly_source_brings_kontanthjaelp_forward(bm_monthly):
    assert bm_monthly.period == "2026M07"
    assert bm_monthly.benefit_set.name == "kontanthjaelp"
    assert bm_monthly.provenance.dataset == "y60a02"
    t = bm_monthly.tidy()
    assert t["expected"].sum() == pytest.approx(t["actual"].sum(), rel=1e-9)
    assert "official" in bm_monthly.missing


def test_monthly_reports_say_which_definition_they_use(bm_monthly):
    nat = make_report(bm_monthly, "national")
    box = views.method_box(nat)
    assert "y60a02" in box.body
    assert "ikke en fortsættelse af ministeriets liste" in box.body
    assert "føres uændret frem" in box.body
    assert "«Kontanthjælp (jobindsats y60a02)»" in views.national_summary(nat).markdown
    assert "august 2025–juli 2026" in views.data_description(nat).markdown
    assert views.ranking_table(nat).source.startswith("Jobindsats.dk (STAR), måling y60a02")
    groups = views.groups_table(make_report(bm_monthly, "case", municipality=NYBORG))
    assert [row[0] for row in groups.rows] == ["Kontanthjælp (jobindsats y60a02)"]


def test_results_tables_of_real_data_carry_the_ministry_beside_the_model(bm, tmp_path):
    """The run folder's results/ on public data: not synthetic, with the Ministry's figures as
    their own columns of their own period, and every column in the codebook."""
    import pandas as pd

    from analysis.run.results import write_results

    folder = write_results(bm, tmp_path)
    book = pd.read_csv(folder / "codebook.csv")
    assert set(book["table"]) == {"results", "history", "official"}
    official = pd.read_parquet(folder / "official.parquet")
    assert set(official["period"]) == {bm.official.period} == {"2020QMAT02"}
    assert not official["synthetic"].any()
    assert len(official) == len(bm.official.table)
    assert (official["official_rank"].to_numpy() == bm.official.table["official_rank"].to_numpy()).all()
    results = pd.read_parquet(folder / "results.parquet")
    assert set(results["period"]) == {"2022QMAT04"}
    assert not results["synthetic"].any()
    for table in ("results", "history", "official"):
        assert list(pd.read_csv(folder / f"{table}.csv", nrows=0).columns) == list(
            book.loc[book["table"] == table, "column"]
        )
