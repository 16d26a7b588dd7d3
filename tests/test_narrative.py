"""Report prose: Prose renders in both routes, and the sentences carry numbers computed from the
result frames, formatted the Danish way (analysis.report.narrative)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from analysis.report import narrative
from analysis.report.fmt import num
from analysis.report.narrative import Prose, bullets, case_findings, national_findings

CASE = 450  # Nyborg


@pytest.fixture(scope="module")
def bm(small_benchmark):
    return small_benchmark


@pytest.fixture
def tidy(bm):
    return bm.tidy()  # a fresh copy per test: tests may modify it


def da(x: float, decimals: int = 0) -> str:
    """Danish number for the checks: thousands '.', decimal ',', true minus (U+2212)."""
    body = f"{abs(x):,.{decimals}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return ("−" if x < 0 and body.strip("0,.") else "") + body


def no_decimal_point(text: str) -> bool:
    """No English decimals such as '0.42' or '12.3' (a Danish thousands dot has three digits after it)."""
    return re.search(r"\d\.\d{1,2}(?!\d)", text) is None and re.search(r"\d\.\d{4,}", text) is None


# ----------------------------------------------------------------------------- Prose
def test_prose_renders_html_and_typst():
    p = Prose("Nyborg havde **−0,4 pct.-point** færre end forventet; se *tabel* nedenfor.")
    bundle = p._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/x-typst", "text/plain"}
    html, typst = bundle["text/html"], bundle["text/x-typst"]
    assert html.startswith('<div class="kb-prose">')
    assert html.endswith("</div>")
    assert "<strong>−0,4 pct.-point</strong>" in html
    assert "<em>tabel</em>" in html
    assert "−0,4 pct.-point" in typst
    assert "**" not in typst  # Markdown bold became Typst markup
    assert "#strong[−0,4 pct.-point]" in typst
    assert "#emph[tabel]" in typst
    assert bundle["text/plain"] == p.markdown
    assert "Nyborg" in repr(p)


def test_bullets_render_as_lists():
    items = ["Første punkt med 1.234 personer.", "Andet punkt: 12,3 pct.", "Tredje punkt."]
    p = bullets(items)
    assert p.markdown.splitlines() == [f"- {s}" for s in items]
    html = p.to_html()
    assert html.count("<li>") == len(items)
    assert "<ul>" in html
    typst_items = [ln for ln in p.to_typst().splitlines() if ln.startswith("- ")]
    assert len(typst_items) == len(items)
    assert "1.234 personer" in p.to_typst()


@pytest.mark.parametrize("bad", ["", "   \n", None, 3])
def test_prose_rejects_empty_or_non_text(bad):
    with pytest.raises(ValueError, match="non-empty string"):
        Prose(bad)


def test_bullets_rejects_no_items():
    with pytest.raises(ValueError, match="no items"):
        bullets([])


# ----------------------------------------------------------------------------- national findings
def test_national_findings_numbers_come_from_the_frame(tidy):
    items = national_findings(tidy)
    assert len(items) == 6
    text = " ".join(items)
    total, pop = tidy["actual"].sum(), tidy["population"].sum()
    assert f"i alt {da(total)} fuldtidspersoner" in items[0]
    assert f"svarende til {da(100 * total / pop, 1)} pct." in items[0]
    exp = 100 * tidy["expected"] / tidy["population"]
    assert f"fra {da(exp.min(), 1)} pct. til {da(exp.max(), 1)} pct." in items[1]
    ranked = tidy.sort_values("rank")
    best, worst = ranked.iloc[0], ranked.iloc[-1]
    assert items[2].startswith("Placering 1 er bedst")
    assert (
        f"Bedst placeret er {best['name']} med {da(abs(best['difference_pp']), 1)} pct.-point færre"
        in items[2]
    )
    assert (
        f"dårligst placeret er {worst['name']} med {da(abs(worst['difference_pp']), 1)} pct.-point flere"
        in items[2]
    )
    marg = (tidy["rank_upper"] - tidy["rank_lower"] + 1).median()
    assert f"spænder 95 pct.-intervallet for placeringen over {num(marg, 0)} plads" in items[3]
    below = int((tidy["ci_upper_pp"] < 0).sum())
    above = int((tidy["ci_lower_pp"] > 0).sum())
    assert f"har {narrative._kommuner(below)} færre og {narrative._kommuner(above)} flere" in items[4]
    assert no_decimal_point(text)


def test_national_findings_follow_the_frame_not_fixed_text(tidy):
    before = national_findings(tidy)
    changed = tidy.copy()
    changed["actual"] = 2 * changed["actual"]
    after = national_findings(changed)
    assert f"i alt {da(2 * tidy['actual'].sum())} fuldtidspersoner" in after[0]
    assert after[0] != before[0]
    assert after[1:] == before[1:]


@pytest.mark.parametrize("threshold", [5, 40, 99])
def test_national_findings_width_threshold(tidy, threshold):
    items = national_findings(tidy, width_threshold=threshold)
    width = tidy["rank_cs_upper"] - tidy["rank_cs_lower"] + 1
    n = int((width < threshold).sum())
    who = "ingen kommune" if n == 0 else f"kun {narrative._kommuner(n)}"
    assert f"kan {who} placeres inden for {threshold} pladser" in items[3]


@pytest.mark.parametrize(
    ("n_out", "phrase"),
    [
        (0, "Ingen kommune ligger uden for tragtplottets 99,8 pct.-grænser"),
        (1, "Uden for tragtplottets 99,8 pct.-grænser ligger én kommune"),
        (3, "Uden for tragtplottets 99,8 pct.-grænser ligger 3 kommuner"),
    ],
)
def test_national_findings_counts_funnel_outliers(tidy, n_out, phrase):
    flags = np.zeros(len(tidy), dtype=bool)
    flags[:n_out] = True
    tidy["funnel_outlier998"] = flags
    item = national_findings(tidy)[5]
    assert item.startswith(phrase)
    assert not item[0].isdigit()  # a sentence never starts with a digit


def test_national_findings_name_the_benefit_set(tidy):
    from analysis.report.labels import benefit_label as label

    assert f"«{label('bm2018')}»" in national_findings(tidy)[0]


# ----------------------------------------------------------------------------- case findings
def test_case_findings_numbers_come_from_the_row(bm, tidy):
    r = tidy.set_index("code").loc[CASE]
    all_groups = bm.fits["all"].tidy()
    items = case_findings(tidy, CASE, all_groups=all_groups, yardsticks=bm.yardsticks())
    assert len(items) == 6  # amount, rank, all groups, category, DEA, conclusion
    text = " ".join(items)
    assert items[0].startswith(f"Nyborg havde {da(r['actual'])} fuldtidsperson")
    assert f"{narrative._persons_phrase(r['difference'])} forventet" in items[0]
    sign = "+" if r["difference_pp"] > 0 else ""
    assert f"({sign}{da(r['difference_pp'], 1)} pct.-point af befolkningen" in items[0]
    assert f"en {int(r['rank'])}.-plads blandt 98 kommuner, hvor plads 1 er bedst" in items[1]
    assert f"mellem {int(r['rank_lower'])} og {int(r['rank_upper'])}, når Nyborg ses for sig" in items[1]
    assert f"mellem {int(r['rank_cs_lower'])} og {int(r['rank_cs_upper'])}, når alle kommuner" in items[1]
    a = all_groups.set_index("code").loc[CASE]
    assert (
        f"får Nyborg {int(a['rank'])}. plads ({int(a['rank_lower'])}–{int(a['rank_upper'])}) mod" in items[2]
    )
    assert f"mod {int(r['rank'])}. plads ({int(r['rank_lower'])}–{int(r['rank_upper'])})" in items[2]
    y = bm.yardsticks().loc[CASE]
    assert f"kategori {int(y['category'])}, «{y['category_label']}». Firedelingen vægter" in items[3]
    assert f"score på {da(y['dea_score'], 2)}" in items[4]
    assert items[5].startswith("Samlet har Nyborg ")
    assert no_decimal_point(text)


@pytest.mark.parametrize(
    ("lower", "upper", "diff", "phrase"),
    [
        (-2.0, -0.5, -1.2, "færre på offentlig forsørgelse end forventet, og forskellen er større end"),
        (0.2, 1.5, 0.8, "flere på offentlig forsørgelse end forventet, og forskellen er større end"),
        (-1.0, 0.3, -0.4, "færre på offentlig forsørgelse end forventet, men forskellen er ikke større end"),
        (-0.3, 1.0, 0.4, "flere på offentlig forsørgelse end forventet, men forskellen er ikke større end"),
    ],
)
def test_the_conclusion_follows_the_interval(tidy, lower, upper, diff, phrase):
    at = tidy["code"] == CASE
    tidy.loc[at, ["ci_lower_pp", "ci_upper_pp", "difference_pp"]] = [lower, upper, diff]
    assert phrase in case_findings(tidy, CASE)[-1]


def test_case_findings_without_optional_frames(tidy):
    items = case_findings(tidy, CASE)
    assert len(items) == 3  # amount, rank, conclusion


def test_case_findings_skip_a_missing_dea_score(bm, tidy):
    y = bm.yardsticks()
    assert np.isnan(y.loc[492, "dea_score"])  # Ærø: outside the frontier
    items = case_findings(tidy, 492, all_groups=bm.fits["all"].tidy(), yardsticks=y)
    assert len(items) == 5
    assert not any("effektivitetsanalysen" in s for s in items)


def test_case_findings_unknown_code(tidy):
    with pytest.raises(ValueError, match="municipality 999"):
        case_findings(tidy, 999)


@pytest.mark.parametrize(
    ("shift", "phrase"), [(0, ": den samme placering."), (1, ": 1 plads lavere"), (-4, ": 4 pladser højere")]
)
def test_case_findings_rank_move_wording(bm, tidy, shift, phrase):
    all_groups = tidy.copy()
    at = all_groups["code"] == CASE
    all_groups.loc[at, "rank"] = all_groups.loc[at, "rank"] + shift
    assert phrase in case_findings(tidy, CASE, all_groups=all_groups)[2]


@pytest.mark.parametrize(
    ("actual", "difference", "start", "middle"),
    [
        (1.2, -0.4, "havde 1 fuldtidsperson på", "lige så mange som forventet"),
        (3.0, 1.2, "havde 3 fuldtidspersoner på", "én fuldtidsperson flere end forventet"),
        (1234.6, 56.5, "havde 1.235 fuldtidspersoner på", "57 fuldtidspersoner flere end forventet"),
    ],
)
def test_case_findings_wording_follows_the_numbers(tidy, actual, difference, start, middle):
    at = tidy["code"] == CASE
    tidy.loc[at, "actual"] = actual
    tidy.loc[at, "difference"] = difference
    first = case_findings(tidy, CASE)[0]
    assert start in first
    assert middle in first


def test_module_states_no_typed_numbers():
    # every number in the national sentences is a placeholder filled from the frame, except
    # the fixed method constants (95 pct., 99,8 pct., ages 16–66, and placering 1 = best)
    import inspect

    src = inspect.getsource(narrative.national_findings)
    fixed_text = re.sub(r"\{[^}]*\}", "", " ".join(re.findall(r'f"([^"]*)"', src)))
    literals = re.findall(r"\b\d+(?:,\d+)?\b", fixed_text)
    assert "pct." in fixed_text  # the f-strings were found
    assert set(literals) <= {"95", "99,8", "16", "66", "1"}
