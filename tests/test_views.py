"""Report views: every view renders (HTML and Typst), shows the numbers of the tidy results, and
labels synthetic data in its "Kilde:" line (analysis.report.views)."""

from __future__ import annotations

import dataclasses
import inspect
import re
from html import escape
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from analysis.core.benefits import GROUPS
from analysis.core.municipalities import lookup
from analysis.data.sources import Provenance
from analysis.report import figures, labels, narrative, views
from analysis.report.fmt import ReportFigure, ReportTable, rank_interval, typst_escape
from analysis.report.labels import BENEFIT_LABELS as LABELS
from analysis.report.manifest import display_path
from analysis.report.theme import ACCENT
from tests.conftest import make_report

CASE = 450  # Nyborg
SYNTHETIC = "Syntetiske data"


@pytest.fixture(scope="module")
def bm(small_benchmark):
    return small_benchmark


@pytest.fixture(scope="module")
def nat(bm):
    """The national report on the small benchmark."""
    return make_report(bm, "national", publisher="Testforlaget")


@pytest.fixture(scope="module")
def case(bm):
    """The Nyborg case report on the small benchmark."""
    return make_report(bm, "case", municipality="Nyborg", n_peers=7)


def case_of(bm, municipality, **values):
    return make_report(bm, "case", municipality=municipality, **values)


def da_float(text: str) -> float:
    """Parse a Danish-formatted number ("1.234,5", "−0,84", "+2", "79 pct.") back to a float."""
    t = text.replace(" pct.-point", "").replace(" pct.", "").strip()
    assert re.fullmatch(r"[+−]?\d{1,3}(\.\d{3})*(,\d+)?", t), f"not a Danish number: {text!r}"
    return float(t.replace("−", "-").replace(".", "").replace(",", "."))


def close(text: str, value: float, decimals: int) -> bool:
    """``text`` shows ``value`` rounded to ``decimals`` (half a unit in the last place, plus float slack)."""
    return abs(da_float(text) - value) <= 0.5 * 10**-decimals + 1e-9


class _Balance(HTMLParser):
    VOID = {"img", "br", "hr", "meta", "input", "col", "source"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


def assert_balanced_html(markup: str) -> None:
    p = _Balance()
    p.feed(markup)
    p.close()
    assert not p.errors, p.errors
    assert not p.stack, p.stack


# ----------------------------------------------------------------------------- every view renders
NATIONAL = {
    "national_summary": lambda nat, case: views.national_summary(nat),
    "data_description": lambda nat, case: views.data_description(nat),
    "method_text": lambda nat, case: views.method_text(nat),
    "ranking_figure": lambda nat, case: views.ranking_figure(case),
    "difference_figure": lambda nat, case: views.difference_figure(nat),
    "funnel_figure": lambda nat, case: views.funnel_figure(nat),
    "ranking_table": lambda nat, case: views.ranking_table(nat),
    "coefficient_table": lambda nat, case: views.coefficient_table(nat),
    "decomposition_table": lambda nat, case: views.decomposition_table(nat),
    "tradeoff_summary": lambda nat, case: views.tradeoff_summary(nat),
    "quadrant_figure": lambda nat, case: views.quadrant_figure(case),
    "correlation_table": lambda nat, case: views.correlation_table(nat),
    "slope_figure": lambda nat, case: views.slope_figure(case),
    "movers_table": lambda nat, case: views.movers_table(nat),
    "case_summary": lambda nat, case: views.case_summary(case),
    "comparison_figure": lambda nat, case: views.comparison_figure(case),
    "groups_table": lambda nat, case: views.groups_table(case),
    "case_decomposition_figure": lambda nat, case: views.case_decomposition_figure(case),
    "yardsticks_table": lambda nat, case: views.yardsticks_table(case),
    "map_figure": lambda nat, case: views.map_figure(case),
    "rank_history_view": lambda nat, case: views.rank_history_view(
        case
    ),  # one year: prose (see test_history)
    "history_intro": lambda nat, case: views.history_intro(case),
    "manifest_view": lambda nat, case: views.manifest_view(nat),
}
PROSE = {
    "national_summary",
    "data_description",
    "tradeoff_summary",
    "case_summary",
    "rank_history_view",
    "method_text",
    "history_intro",
}  # no "Kilde:" line
NOT_DISPLAYS = {"case_rank_sentence", "comparison_codes", "missing_note", "cited", "references"}
BOXES = {"terms_box"}
# public-data views: on the synthetic register they show nothing, or one sentence (tests/test_public_report.py)
PUBLIC_ONLY = {"method_box", "official_table", "official_figure", "tradeoff_data_note"}
PUBLIC_SENTENCE = {"official_summary", "case_official"}


def test_public_views_say_nothing_or_one_sentence_on_synthetic_data(nat, case):
    for name in PUBLIC_ONLY:
        assert getattr(views, name)(case) is None, name
    for name in PUBLIC_SENTENCE:
        text = getattr(views, name)(case).markdown
        assert text == "Syntetiske data har ingen offentliggjorte ministerietal at sammenligne med.", name


@pytest.fixture(scope="module")
def shown(nat, case):
    """Every display view, called once (the figures take a moment to draw)."""
    return {name: make(nat, case) for name, make in NATIONAL.items()}


def test_every_public_view_is_covered():
    public = {
        n
        for n, f in inspect.getmembers(views, inspect.isfunction)
        if f.__module__ == views.__name__ and not n.startswith("_")
    }
    assert public == set(NATIONAL) | NOT_DISPLAYS | PUBLIC_ONLY | PUBLIC_SENTENCE | BOXES


def test_terms_box_explains_the_words_a_committee_meets(nat):
    box = views.terms_box(nat)
    for word in ("Rammevilkår", "Marginalt interval", "Simultant sæt", "DEA", "plads 1 er længst under"):
        assert word in box.body


@pytest.mark.parametrize("name", sorted(NATIONAL))
def test_view_renders_html_and_typst(shown, name):
    obj = shown[name]
    assert isinstance(obj, narrative.Prose if name in PROSE else ReportTable | ReportFigure)
    bundle = obj._repr_mimebundle_()
    assert {"text/html", "text/x-typst", "text/plain"} <= set(bundle)
    html, typst = bundle["text/html"], bundle["text/x-typst"]
    assert_balanced_html(html)
    if isinstance(obj, narrative.Prose):
        assert html.startswith('<div class="kb-prose">')
        assert typst.strip()
        return
    assert html.startswith("<figure")
    assert html.endswith("</figure>")
    assert obj.caption in html or escape(obj.caption) in html
    assert typst.startswith("#kb-figure(")
    assert f"caption: [{typst_escape(obj.caption)}]" in typst
    if name != "manifest_view":  # every numbered view can be cross-referenced
        assert f'id="{obj.label}"' in html
        assert typst.rstrip().endswith(f"<{obj.label}>")
    if isinstance(obj, ReportFigure):
        assert "<svg" in obj.svg
    else:
        assert len(obj.rows) > 0
        assert all(len(r) == len(obj.header) for r in obj.rows)


def test_labels_are_unique(shown):
    labels = [o.label for o in shown.values() if not isinstance(o, narrative.Prose) and o.label]
    assert len(labels) == len(set(labels))


# ----------------------------------------------------------------------------- synthetic labels
@pytest.mark.parametrize("name", sorted(set(NATIONAL) - PROSE - {"manifest_view"}))
def test_source_line_says_synthetic(shown, name):
    obj = shown[name]
    assert SYNTHETIC in obj.source
    html = obj.to_html()
    assert re.search(r"<span>Kilde:</span> [^<]*" + SYNTHETIC, html)
    assert "source: [" + typst_escape(obj.source) + "]" in obj.to_typst()


def test_manifest_says_synthetic(shown, bm):
    rows = dict(shown["manifest_view"].rows)
    assert rows["Syntetiske data"] == "ja"
    assert rows["Startværdi for tilfældige tal (seed)"] == str(bm.params.seed)
    assert rows["Udgiver (publisher)"] == "Testforlaget"


def test_real_data_name_their_source(bm):
    real_prov = Provenance(
        kind="public", synthetic=False, tables=(("Jobindsats.dk (STAR)", "måling Y30R21"),)
    )
    real = dataclasses.replace(bm, provenance=real_prov)
    nat_r, case_r = make_report(real, "national"), make_report(real, "case", municipality=CASE)
    for obj in (
        views.ranking_table(nat_r),
        views.movers_table(nat_r),
        views.groups_table(case_r),
        views.funnel_figure(nat_r),
    ):
        assert "Syntetisk" not in obj.source
        assert obj.source.startswith("Jobindsats.dk (STAR), måling Y30R21")
    assert "syntetiske" not in views.data_description(nat_r).markdown
    assert dict(views.manifest_view(nat_r).rows)["Syntetiske data"] == "nej"


def test_data_description(bm, nat):
    t = bm.tidy()
    text = views.data_description(nat).markdown
    assert "**syntetiske data**" in text
    n_persons = int(round(t["population"].sum()))
    assert f"{n_persons:,}".replace(",", ".") + " personer" in text
    assert f"i {len(t)} kommuner i {bm.period}" in text


# ----------------------------------------------------------------------------- numbers = tidy results
def test_ranking_table_shows_the_tidy_ranks_and_differences(bm):
    n = 10
    table = views.ranking_table(make_report(bm), n=n)
    t = bm.tidy().sort_values("rank")
    want = pd.concat([t.head(n), t.tail(n)])
    assert len(table.rows) == 2 * n
    head = table.header
    for row, (_, r) in zip(table.rows, want.iterrows(), strict=True):
        cell = dict(zip(head, row, strict=True))
        assert cell["Kommune"] == r["name"]
        assert int(cell["Placering"]) == r["rank"]
        lo, hi = int(r["rank_cs_lower"]), int(r["rank_cs_upper"])
        assert cell["Rangsæt (simultant)"] == (str(lo) if lo == hi else f"{lo}–{hi}")
        assert close(cell["Faktisk"], r["actual"], 0)
        assert close(cell["Forventet"], r["expected"], 0)
        assert close(cell["Forskel, pct.-point"], r["difference_pp"], 1)
        assert close(cell["EB-korrigeret forskel"], r["eb_difference_pp"], 1)
    ranks = [int(r[1]) for r in table.rows]
    assert ranks[:n] == list(range(1, n + 1))
    assert ranks[n:] == list(range(len(t) - n + 1, len(t) + 1))
    assert "De 10 bedst og 10 dårligst" in table.caption


@pytest.mark.parametrize("n", [0, -1, 50, 2.0, True])
def test_ranking_table_rejects_n_that_would_repeat_or_drop_rows(bm, n):
    with pytest.raises(ValueError, match="n: expected an integer from 1 to 49"):
        views.ranking_table(make_report(bm), n=n)


def test_ranking_table_half_lists_everyone_once(bm):
    names = [r[0] for r in views.ranking_table(make_report(bm), n=49).rows]
    assert len(names) == len(set(names)) == 98


def test_coefficient_table_matches_the_model(bm):
    ct = bm.main.coef_table()
    table = views.coefficient_table(make_report(bm))
    assert [r[0] for r in table.rows] == [labels.term_label(term) for term in ct.index]
    for row, (_, c) in zip(table.rows, ct.iterrows(), strict=True):
        assert close(row[1], c["estimate"], 4)
        assert close(row[2], c["std_error"], 4)
        assert close(row[3], c["tstat"], 1)
    assert f"Antal personer: {int(bm.main.nobs):,}".replace(",", ".") in table.note


def test_decomposition_table_ranges(bm):
    d = bm.main.decomposition()
    blocks = [c for c in d.columns if c != "total"]
    table = views.decomposition_table(make_report(bm))
    assert [r[0] for r in table.rows] == [labels.block_label(b) for b in blocks]
    for row, b in zip(table.rows, blocks, strict=True):
        lo, med, hi = d[b].min(), d[b].median(), d[b].max()
        assert [close(row[1], lo, 1), close(row[2], med, 1), close(row[3], hi, 1)] == [True] * 3
        assert da_float(row[1]) <= da_float(row[2]) <= da_float(row[3])


def test_correlation_table_matches_the_tradeoff(bm):
    c = bm.tradeoff.correlations
    table = views.correlation_table(make_report(bm))
    assert len(table.rows) == len(c)
    for row, (_, r) in zip(table.rows, c.iterrows(), strict=True):
        assert row[:2] == (LABELS[r["a"]], LABELS[r["b"]])
        # an undefined corrected correlation (noise as large as the spread) is shown as a dash
        shown = [
            text == "–" if np.isnan(value) else close(text, value, 2)
            for text, value in zip(row[2:5], (r["corr"], r["lower"], r["upper"]), strict=True)
        ]
        assert shown == [True] * 3


def test_movers_table_matches_the_rank_shifts(bm):
    ta = bm.tradeoff
    table = views.movers_table(make_report(bm), n=10)
    tt = ta.table.set_index("code")
    shifts = (tt[f"rank_{ta.set_to}"] - tt[f"rank_{ta.set_from}"]).abs()
    assert len(table.rows) == 10
    shown_shifts = []
    for row in table.rows:
        code = lookup(row[0]).code
        r = tt.loc[code]
        assert (int(row[1].split(" ")[0]), int(row[2].split(" ")[0])) == (
            r[f"rank_{ta.set_from}"],
            r[f"rank_{ta.set_to}"],
        )
        lo_hi = bm.fits[ta.set_to].tidy().set_index("code").loc[code, ["rank_lower", "rank_upper"]]
        assert row[2].endswith(f"({int(lo_hi['rank_lower'])}–{int(lo_hi['rank_upper'])})")
        assert da_float(row[3]) == r[f"rank_{ta.set_to}"] - r[f"rank_{ta.set_from}"]
        assert close(row[4], r["resid_kontanthjaelp"], 1)
        assert close(row[5], r["resid_foertidspension"], 1)
        shown_shifts.append(abs(da_float(row[3])))
    # the ten largest moves, largest first
    assert shown_shifts == sorted(shown_shifts, reverse=True)
    assert min(shown_shifts) >= shifts.sort_values(ascending=False).iloc[9]


def test_tradeoff_summary_counts(bm):
    ta = bm.tradeoff
    text = views.tradeoff_summary(make_report(bm)).markdown
    moved = int(((ta.table[f"rank_{ta.set_to}"] - ta.table[f"rank_{ta.set_from}"]).abs() > 10).sum())
    assert f"flytter {moved} af {len(ta.table)} kommuner mere end 10 pladser" in text
    corr = f"{abs(ta.test.estimate):.2f}".replace(".", ",")
    assert corr in text
    assert ("negativ" if ta.test.estimate < 0 else "positiv") in text


def test_case_summary_numbers_equal_the_tidy_row(bm):
    r = bm.tidy().set_index("code").loc[CASE]
    text = views.case_summary(case_of(bm, "Nyborg")).markdown
    assert text.startswith("- Nyborg havde ")
    assert f"havde {round(r['actual'])} fuldtidspersoner" in text
    diff = f"{abs(r['difference_pp']):.1f}".replace(".", ",")
    assert f"({'+' if r['difference_pp'] > 0 else '−'}{diff} pct.-point af befolkningen" in text
    assert f"{narrative._persons_phrase(r['difference'])} forventet" in text
    assert f"en {int(r['rank'])}.-plads blandt 98 kommuner, hvor plads 1 er bedst" in text
    assert f"mellem {int(r['rank_lower'])} og {int(r['rank_upper'])}, når Nyborg ses for sig" in text
    assert f"mellem {int(r['rank_cs_lower'])} og {int(r['rank_cs_upper'])}, når alle kommuner" in text
    a = bm.fits["all"].tidy().set_index("code").loc[CASE]
    assert f"får Nyborg {int(a['rank'])}. plads ({int(a['rank_lower'])}–{int(a['rank_upper'])}) mod" in text
    y = bm.yardsticks().loc[CASE]
    assert f"kategori {int(y['category'])}, «{y['category_label']}»" in text
    assert f"score på {y['dea_score']:.2f}".replace(".", ",") in text
    assert "Samlet har Nyborg" in text


def test_case_rank_sentence(bm):
    r = bm.tidy().set_index("code").loc[CASE]
    lo, hi = int(r["rank_lower"]), int(r["rank_upper"])
    assert views.case_rank_sentence(case_of(bm, "nyborg")) == f"{int(r['rank'])}. plads ({lo}–{hi})"


def test_groups_table_matches_each_group_fit(bm):
    table = views.groups_table(case_of(bm, CASE))
    assert [r[0] for r in table.rows] == [LABELS[g] for g in GROUPS]
    for row, g in zip(table.rows, GROUPS, strict=True):
        r = bm.fits[g].tidy().set_index("code").loc[CASE]
        assert close(row[1], r["actual"], 0)
        assert close(row[2], r["expected"], 0)
        assert close(row[3], r["difference_pp"], 1)
        assert row[4] == f"{int(r['rank'])} ({rank_interval(int(r['rank_lower']), int(r['rank_upper']))})"
    # the benchmark's groups add up to the main set (the outcome is the sum of the group shares)
    main = bm.tidy().set_index("code").loc[CASE]
    parts = [
        bm.fits[g].tidy().set_index("code").loc[CASE] for g in ("dagpenge", "kontanthjaelp", "sygedagpenge")
    ]
    assert sum(p["actual"] for p in parts) == pytest.approx(main["actual"], rel=1e-9)
    assert sum(p["expected"] for p in parts) == pytest.approx(main["expected"], rel=1e-6)


def test_yardsticks_table_case_first_then_peers(bm):
    table = views.yardsticks_table(case_of(bm, CASE, n_peers=5))
    wanted = views.comparison_codes(case_of(bm, CASE), k=5)
    assert [lookup(r[0]).code for r in table.rows] == wanted
    t = bm.tidy().set_index("code")
    a = bm.fits["all"].tidy().set_index("code")
    y = bm.yardsticks()
    for row in table.rows:
        code = lookup(row[0]).code
        lo, hi = int(t.loc[code, "rank_lower"]), int(t.loc[code, "rank_upper"])
        assert row[1] == f"{int(t.loc[code, 'rank'])} ({rank_interval(lo, hi)})"
        assert int(row[2].split(" ")[0]) == a.loc[code, "rank"]
        assert int(row[3]) == y.loc[code, "category"]
        if np.isnan(y.loc[code, "dea_score"]):
            assert row[4] == "–"
        else:
            assert close(row[4], y.loc[code, "dea_score"], 2)
        assert close(row[5], y.loc[code, "fulltime_pct"], 1)
        assert close(row[6], y.loc[code, "mean_spell_months"], 1)
        assert close(row[7], 100 * y.loc[code, "employed_3m_share"], 0)


def test_yardsticks_table_dash_for_a_municipality_outside_the_frontier(bm):
    table = views.yardsticks_table(case_of(bm, 492))  # Ærø: left out of the DEA, as by Rigsrevisionen
    assert table.rows[0][0] == "Ærø"
    assert table.rows[0][4] == "–"


def test_funnel_note_gives_the_overdispersion(bm):
    tau2 = float(bm.tidy()["funnel_tau2"].iloc[0])
    note = views.funnel_figure(make_report(bm)).note
    assert f"τ = {tau2**0.5:.2f}".replace(".", ",") in note
    assert ("overspredning" in note) == (tau2 > 0)


def test_case_decomposition_caption_direction(bm):
    d = bm.main.decomposition()
    blocks = [c for c in d.columns if c != "total"]
    for code in (CASE, int(d[blocks].sum(axis=1).idxmin()), int(d[blocks].sum(axis=1).idxmax())):
        fig = views.case_decomposition_figure(case_of(bm, code))
        word = "flere" if d.loc[code, blocks].sum() > 0 else "færre"
        assert fig.caption.startswith(f"Hvorfor {lookup(code).name} forventes at have {word} ")


def test_highlight_draws_the_accent_colour(bm):
    assert ACCENT.lower() in views.ranking_figure(case_of(bm, CASE)).svg.lower()
    assert ACCENT.lower() not in views.ranking_figure(make_report(bm)).svg.lower()


def test_comparison_figure_draws_the_tidy_shares(bm, monkeypatch):
    seen = {}
    original = figures.actual_vs_expected

    def spy(frame, **kw):
        seen["frame"], seen["kw"] = frame.copy(), kw
        return original(frame, **kw)

    monkeypatch.setattr(figures, "actual_vs_expected", spy)
    fig = views.comparison_figure(case_of(bm, "Nyborg", n_peers=4))
    frame = seen["frame"]
    assert list(frame["code"]) == views.comparison_codes(case_of(bm, CASE), k=4)
    assert seen["kw"]["highlight"] == CASE
    t = bm.tidy().set_index("code").loc[frame["code"]]
    np.testing.assert_allclose(frame["actual_share"], 100 * t["actual"] / t["population"], rtol=1e-12)
    np.testing.assert_allclose(frame["expected_share"], 100 * t["expected"] / t["population"], rtol=1e-12)
    assert "de 4 kommuner" in fig.note
    assert f"Nyborg og sammenligningskommuner, {bm.period}" in fig.caption


def test_map_figure_draws_the_differences(bm, monkeypatch):
    import analysis.report.danmarkskort as dk

    seen = {}
    original = dk.choropleth

    def spy(values, **kw):
        seen["values"], seen["kw"] = values.copy(), kw
        return original(values, **kw)

    monkeypatch.setattr(dk, "choropleth", spy)
    fig = views.map_figure(case_of(bm, "Nyborg"))
    t = bm.tidy().set_index("code")["difference_pp"]
    pd.testing.assert_series_equal(seen["values"].sort_index(), t.sort_index(), check_names=False)
    assert seen["kw"]["highlight"] == CASE
    assert "DAGI 1:500.000" in fig.source  # the boundaries are credited
    assert "Christiansø er udeladt" in fig.note


# ----------------------------------------------------------------------------- comparison codes
def _nearest_by_hand(features: pd.DataFrame, code: int, k: int) -> set[int]:
    z = (features - features.mean()) / features.std(ddof=0)
    d = np.sqrt(((z - z.loc[code]) ** 2).sum(axis=1)).drop(code)
    return set(d.sort_values(kind="stable").index[:k].astype(int))


@pytest.mark.parametrize("k", [1, 3, 7, 20])
def test_comparison_codes_are_the_case_and_its_k_nearest(bm, k):
    got = views.comparison_codes(case_of(bm, CASE), k=k)
    assert got[0] == CASE
    peers = got[1:]
    assert len(peers) == k
    assert CASE not in peers
    assert len(set(peers)) == k
    assert set(peers) == _nearest_by_hand(bm.features, CASE, k)
    assert views.comparison_codes(case_of(bm, "Nyborg", n_peers=k)) == got


def test_comparison_codes_never_include_the_case_among_peers(bm):
    for code in (101, 147, 492, 741, 860):
        got = views.comparison_codes(case_of(bm, code))
        assert got[0] == code
        assert code not in got[1:]
        assert len(got) == 8


# ----------------------------------------------------------------------------- manifest
def test_manifest_shows_the_recorded_input_hashes(bm):
    rows = dict(views.manifest_view(make_report(bm)).rows)
    for path, sha in bm.provenance.inputs.items():
        assert rows[display_path(path)] == f"sha256 {sha[:16]}…"


def test_manifest_does_not_need_the_register_files(bm, tmp_path):
    gone = str(tmp_path / "moved" / "persons.parquet")
    moved = dataclasses.replace(bm, provenance=dataclasses.replace(bm.provenance, inputs={gone: "ab" * 32}))
    rows = dict(views.manifest_view(make_report(moved)).rows)
    assert rows["persons.parquet"] == "sha256 " + "ab" * 8 + "…"  # outside the project: the name only


def test_tradeoff_views_follow_the_chosen_sides(small_benchmark):
    from analysis.model.tradeoff import analyse_fits

    trade = analyse_fits(
        small_benchmark.fits,
        side_a=("kontanthjaelp",),
        side_b=("foertidspension", "ressourceforloeb"),
        replicates=200,
    )
    bm = dataclasses.replace(small_benchmark, tradeoff=trade)
    fig = views.quadrant_figure(make_report(bm, "tradeoff"))
    assert (
        fig.caption
        == "Resultat på kontanthjælp mv. og på førtidspension og ressourceforløb, faktisk minus forventet"
    )
    text = views.tradeoff_summary(make_report(bm, "tradeoff")).markdown
    assert "mellem resultatet på kontanthjælp mv. og på førtidspension og ressourceforløb" in text
    assert (
        labels.side_name(("fleksjob", "dagpenge", "ledighedsydelse"))
        == "fleksjob, a-dagpenge mv. og ledighedsydelse"
    )


@pytest.mark.parametrize("kind", ["national", "tradeoff", "case"])
def test_literature_lists_exactly_what_the_report_cites(bm, kind):
    """Every listed work is cited in the report's text or notes (author and year), and only those."""
    from analysis.report.labels import REFERENCES

    r = make_report(bm, kind, municipality="Nyborg") if kind == "case" else make_report(bm, kind)
    keys = views.cited(r)
    listed = views.references(r).markdown.splitlines()
    assert listed == [f"- {REFERENCES[k]}" for k in keys]
    assert len(keys) == len(set(keys))
    # the person register feeds every yardstick: the case report cites the four yardstick sources
    if kind == "case":
        assert {"kl2010", "kl2018", "kl2020", "rigsrevisionen2018", "mogstad2024"} <= set(keys)
    if kind == "national":
        assert set(keys) == {"bm2018", "mogstad2024", "spiegelhalter2005"}


@pytest.mark.parametrize(
    ("period", "label"),
    [
        ("2024", "2024"),
        ("2022QMAT04", "2022"),
        ("2020QMAT02", "juli 2019–juni 2020"),
        ("2026M07", "august 2025–juli 2026"),
    ],
)
def test_period_labels(period, label):
    assert labels.period_label(period) == label
