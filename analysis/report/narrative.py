"""Danish sentences for the reports, written from computed values only.

Every number in report prose comes from here, and every function here reads its numbers from
the tidy result frames; nothing is typed by hand. Functions return plain Markdown strings;
:class:`Prose` displays them in a notebook so that the HTML and the PDF route both render them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from analysis.report.fmt import num, persons, pp, rank_interval, share
from analysis.report.labels import benefit_label, period_label

N_MUNICIPALITIES = 98


class Prose:
    """Markdown shown as rich text in Jupyter, in the HTML report and in the PDF report."""

    def __init__(self, markdown: str) -> None:
        if not isinstance(markdown, str) or not markdown.strip():
            raise ValueError("Prose: markdown must be a non-empty string")
        self.markdown = markdown

    def to_html(self) -> str:
        import mistune

        return f'<div class="kb-prose">{mistune.html(self.markdown)}</div>'

    def to_typst(self) -> str:
        from analysis.report.markup import md2typst

        return md2typst(self.markdown) + "\n"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self.to_html(), "text/x-typst": self.to_typst(), "text/plain": self.markdown}

    def __repr__(self) -> str:
        return f"Prose({self.markdown[:40]!r}…)"


def bullets(items: Sequence[str]) -> Prose:
    """A bulleted list of sentences."""
    if not items:
        raise ValueError("bullets: no items")
    return Prose("\n".join(f"- {s}" for s in items))


def _fewer_more(x: float) -> str:
    return "færre" if x < 0 else "flere"


def _count(text: str, singular: str, plural: str) -> str:
    """A formatted number and a noun in the matching number: "1 kommune", "3 kommuner"."""
    return f"{text} {singular if text.lstrip('+−') == '1' else plural}"


def genitive(name: str) -> str:
    """Danish genitive of a name: "Nyborgs", but "Aarhus'", "Halsnæs'" after s, x and z."""
    return f"{name}'" if name[-1:].lower() in "sxz" else f"{name}s"


def _row(tidy: pd.DataFrame, code: int) -> pd.Series:
    hit = tidy[tidy["code"] == code]
    if len(hit) != 1:
        raise ValueError(f"municipality {code} is not in the results (or appears more than once)")
    return hit.iloc[0]


def _name(row: pd.Series) -> str:
    return str(row["name"])


def _kommuner(n: int) -> str:
    """ "ingen kommuner", "én kommune", "3 kommuner" (a count of municipalities, in words for 0 and 1)."""
    return "ingen kommuner" if n == 0 else "én kommune" if n == 1 else f"{n} kommuner"


def national_findings(
    tidy: pd.DataFrame, *, width_threshold: int = 10, label: str | None = None
) -> list[str]:
    """Hovedresultater of the national report (expected-caseload ranking).

    Parameters
    ----------
    tidy
        Tidy model frame (one row per municipality).
    width_threshold
        A simultaneous rank set narrower than this many places counts as "precise".
    label
        Danish name of the benefit set (default: :func:`~analysis.report.labels.benefit_label`
        of the frame's ``benefit_set``).
    """
    set_name = str(tidy["benefit_set"].iloc[0])
    label = label or benefit_label(set_name)
    total_actual = float(tidy["actual"].sum())
    total_pop = float(tidy["population"].sum())
    best = tidy.sort_values("rank").iloc[0]
    worst = tidy.sort_values("rank").iloc[-1]
    cs_width = tidy["rank_cs_upper"] - tidy["rank_cs_lower"] + 1
    marg_width = tidy["rank_upper"] - tidy["rank_lower"] + 1
    n_precise = int((cs_width < width_threshold).sum())
    out998 = int(tidy["funnel_outlier998"].fillna(False).astype(bool).sum())
    clear_below = int((tidy["ci_upper_pp"] < 0).sum())
    clear_above = int((tidy["ci_lower_pp"] > 0).sum())
    exp_share = 100 * tidy["expected"] / tidy["population"]
    funnel = (
        "Ingen kommune ligger uden for tragtplottets 99,8 pct.-grænser"
        if out998 == 0
        else f"Uden for tragtplottets 99,8 pct.-grænser ligger {_kommuner(out998)}"
    )
    return [
        f"Med ydelsesgrupperne i «{label}» var der i alt {persons(total_actual)} "
        f"fuldtidspersoner på offentlig forsørgelse, svarende til {share(total_actual / total_pop)} "
        f"af befolkningen 16–66 år.",
        f"Rammevilkårene alene giver store forskelle: den forventede andel går fra "
        f"{num(exp_share.min(), 1)} pct. til {num(exp_share.max(), 1)} pct. af befolkningen.",
        f"Placering 1 er bedst: længst under det forventede. Bedst placeret er {_name(best)} med "
        f"{pp(abs(best['difference_pp']))} {_fewer_more(best['difference_pp'])} end forventet; dårligst placeret er "
        f"{_name(worst)} med {pp(abs(worst['difference_pp']))} {_fewer_more(worst['difference_pp'])} end forventet.",
        f"Placeringerne er usikre. For den typiske kommune spænder 95 pct.-intervallet for placeringen over "
        f"{_count(num(marg_width.median(), 0), 'plads', 'pladser')}, og når alle kommuner sammenlignes på én gang, "
        f"kan {'ingen kommune' if n_precise == 0 else 'kun ' + _kommuner(n_precise)} placeres inden for "
        f"{width_threshold} pladser.",
        f"Med 95 pct. sikkerhed har {_kommuner(clear_below)} færre og {_kommuner(clear_above)} flere på offentlig "
        "forsørgelse end forventet; for resten kan forskellen skyldes tilfældigheder.",
        f"{funnel} — dem, der afviger mere, end tilfældigheder og de forskelle mellem kommuner, som modellen "
        "ikke fanger, kan forklare.",
    ]


def _persons_phrase(diff: float) -> str:
    """ "12 fuldtidspersoner færre end", "én fuldtidsperson flere end", "lige så mange som"."""
    n = round(abs(diff))
    if n == 0:
        return "lige så mange som"
    word = _fewer_more(diff)
    return f"{'én fuldtidsperson' if n == 1 else persons(abs(diff)) + ' fuldtidspersoner'} {word} end"


def _between(lower: float, upper: float) -> str:
    """The interval in words: "mellem 16 og 80", or "på plads 3" when the bounds agree."""
    lo, hi = int(lower), int(upper)
    return f"på plads {lo}" if lo == hi else f"mellem {lo} og {hi}"


def _rank_with_interval(rank: int, lower: int, upper: int) -> str:
    return f"{rank}. plads ({rank_interval(lower, upper)})"


def conclusion(row: pd.Series) -> str:
    """The plain conclusion on a municipality's gap and its 95 % interval."""
    name = _name(row)
    if row["ci_upper_pp"] < 0:
        return (
            f"Samlet har {name} færre på offentlig forsørgelse end forventet, og forskellen er større end den "
            "statistiske usikkerhed."
        )
    if row["ci_lower_pp"] > 0:
        return (
            f"Samlet har {name} flere på offentlig forsørgelse end forventet, og forskellen er større end den "
            "statistiske usikkerhed."
        )
    direction = "færre" if row["difference_pp"] < 0 else "flere"
    return (
        f"Samlet har {name} {direction} på offentlig forsørgelse end forventet, men forskellen er ikke større end "
        "den statistiske usikkerhed: den kan skyldes tilfældigheder."
    )


def case_findings(
    tidy: pd.DataFrame,
    code: int,
    *,
    all_groups: pd.DataFrame | None = None,
    yardsticks: pd.DataFrame | None = None,
    official: Any = None,
    label: str | None = None,
) -> list[str]:
    """Hovedresultater of a case-municipality report.

    Parameters
    ----------
    tidy
        Tidy model frame of the report's benefit set.
    code
        The case municipality.
    all_groups
        Tidy frame of the model with every benefit group (``all``), for the placement when the
        groups left out of the benchmark are counted; None when the data lack them.
    yardsticks
        Frame indexed by code with ``category``, ``category_label`` and ``dea_score`` (any
        may be missing).
    official
        :class:`analysis.yardsticks.official.OfficialComparison`, where the Ministry's figures
        are published.
    label
        Danish name of the benefit set (default from the frame's ``benefit_set``).
    """
    r = _row(tidy, code)
    n = len(tidy)
    name = _name(r)
    items = [
        f"{name} havde {_count(persons(r['actual']), 'fuldtidsperson', 'fuldtidspersoner')} på offentlig "
        f"forsørgelse med ydelserne i «{label or benefit_label(str(r['benefit_set']))}», "
        f"{_persons_phrase(r['difference'])} "
        "forventet ud fra "
        f"kommunens rammevilkår ({pp(r['difference_pp'], sign=True)} af befolkningen 16–66 år).",
        f"Det giver en {int(r['rank'])}.-plads blandt {n} kommuner, hvor plads 1 er bedst. Med 95 pct. sikkerhed "
        f"ligger placeringen {_between(r['rank_lower'], r['rank_upper'])}, når {name} ses for sig, og "
        f"{_between(r['rank_cs_lower'], r['rank_cs_upper'])}, når alle kommuner sammenlignes på én gang.",
    ]
    if all_groups is not None:
        a = _row(all_groups, code)
        rank_a, rank_b = int(a["rank"]), int(r["rank"])
        overlap = max(a["rank_lower"], r["rank_lower"]) <= min(a["rank_upper"], r["rank_upper"])
        move = (
            "den samme placering"
            if rank_a == rank_b
            else f"{_count(str(abs(rank_a - rank_b)), 'plads', 'pladser')} {'lavere' if rank_a > rank_b else 'højere'}"
        )
        verdict = (
            "; intervallerne overlapper, så flytningen er ikke sikker" if overlap and rank_a != rank_b else ""
        )
        items.append(
            "Medregnes alle ydelsesgrupper, også førtidspension, fleksjob, ledighedsydelse og ressourceforløb, "
            "som KL har foreslået (KL 2018), "
            f"får {name} {_rank_with_interval(rank_a, int(a['rank_lower']), int(a['rank_upper']))} mod "
            f"{_rank_with_interval(rank_b, int(r['rank_lower']), int(r['rank_upper']))}: {move}{verdict}."
        )
    if official is not None and "bm2019" in official.benefits:
        o = official.of("bm2019")
        if code in o.index:
            row = o.loc[code]
            items.append(
                f"I ministeriets egen opgørelse for {period_label(official.period)} var {name} nr. "
                f"{int(row['official_rank'])}; den åbne model på offentlige data giver for samme periode "
                f"{_rank_with_interval(int(row['rank']), int(row['rank_lower']), int(row['rank_upper']))}."
            )
    if yardsticks is not None and code in yardsticks.index:
        y = yardsticks.loc[code]
        if "category" in y and pd.notna(y.get("category")):
            items.append(
                f"I jobcenterindblikkets firedeling er {name} i kategori {int(y['category'])}, "
                f"«{y['category_label']}». Firedelingen vægter også procesmål for samtaler og aktive tilbud."
            )
        if "dea_score" in y and pd.notna(y.get("dea_score")):
            items.append(
                f"I effektivitetsanalysen (DEA på jobcentrets udgifter) får jobcentret en score på "
                f"{num(float(y['dea_score']), 2)}, hvor 1 betyder på fronten."
            )
    items.append(conclusion(r))
    return items


def rank_history_text(history: pd.DataFrame, code: int) -> str:
    """One paragraph on a municipality's placement over the periods of the data.

    ``history`` has one row per period and municipality
    (:data:`analysis.model.history.HISTORY_COLUMNS`). With one period only, the paragraph says
    so (the data do not allow a comparison over time).
    """
    case = history[history["code"] == code].sort_values("period")
    if case.empty:
        raise ValueError(f"rank_history_text: municipality {code} is not in the history frame")
    name = str(case["name"].iloc[-1])
    if len(case) == 1:
        return (
            f"Data indeholder kun én periode ({period_label(str(case['period'].iloc[0]))}), så "
            f"{genitive(name)} placering kan ikke følges over tid. Med flere perioders data vises her "
            "placeringen periode for periode."
        )
    parts = [
        f"{int(r['rank'])}. plads i {period_label(str(r['period']))} "
        f"({rank_interval(int(r['rank_lower']), int(r['rank_upper']))})"
        for _, r in case.iterrows()
    ]
    listing = ", ".join(parts[:-1]) + " og " + parts[-1]
    first, last = case.iloc[0], case.iloc[-1]
    overlap = max(first["rank_lower"], last["rank_lower"]) <= min(first["rank_upper"], last["rank_upper"])
    verdict = (
        "Den første og den sidste periodes intervaller overlapper, så data kan ikke skelne placeringerne fra "
        "hinanden."
        if overlap
        else f"Den første og den sidste periodes intervaller overlapper ikke: placeringen i "
        f"{period_label(str(last['period']))} er {'bedre' if last['rank'] < first['rank'] else 'dårligere'} end i "
        f"{period_label(str(first['period']))}."
    )
    return f"{name} fik {listing} (95 pct.-rangkonfidensintervaller i parentes). " + verdict


def _closeness(r: float) -> str:
    """Danish word for how close a correlation is: ≥ 0,8 tæt, ≥ 0,5 delvis, else svag."""
    return "tæt" if r >= 0.8 else "delvis" if r >= 0.5 else "svag"


def official_findings(oc: Any, *, report_period: str) -> list[str]:
    """Hovedresultater of the comparison with the Ministry's published benchmark.

    Parameters
    ----------
    oc
        :class:`analysis.yardsticks.official.OfficialComparison`.
    report_period
        The report's own period; when it differs from the compared one, the text says so.
    """
    a = oc.agreement
    key = "bm2019" if "bm2019" in a.index else a.index[0]
    row = a.loc[key]
    period = period_label(oc.period)
    worst = oc.disagreements(key, 3)
    names = [
        f"{r['name']} ({int(r['rank'])}. plads i den åbne model, {int(r['official_rank'])}. hos ministeriet)"
        for _, r in worst.iterrows()
    ]
    areas = [b for b in a.index if b != key]
    items = [
        f"For den samlede liste ({benefit_label(key)}) i {period} korrelerer den forventede andel i den åbne "
        f"model og hos ministeriet med {num(row['corr_expected'], 2)} på tværs af kommunerne: sammenhængen er "
        f"{_closeness(row['corr_expected'])}.",
        f"Forskellen mellem faktisk og forventet andel, som afgør placeringen, korrelerer med "
        f"{num(row['corr_gap'], 2)}, og placeringerne med {num(row['spearman_rank'], 2)} (Spearman): "
        f"sammenhængen er {_closeness(row['corr_gap'])}. Små forskelle i det forventede niveau flytter "
        "placeringen meget, fordi kommunerne ligger tæt.",
        f"Ministeriets placering ligger inden for den åbne models 95 pct.-rangkonfidensinterval for "
        f"{share(row['inside_interval'], 0)} af kommunerne; i gennemsnit afviger placeringerne "
        f"{_count(num(row['mean_abs_rank_diff'], 0), 'plads', 'pladser')}.",
        "Størst er uenigheden for " + ", ".join(names[:-1]) + " og " + names[-1] + ".",
    ]
    if areas:
        parts = [f"{benefit_label(b).lower()} {num(a.loc[b, 'corr_gap'], 2)}" for b in areas]
        items.append("For de enkelte områder korrelerer forskellene: " + ", ".join(parts) + ".")
    if report_period != oc.period:
        items.append(
            f"Sammenligningen gælder {period}, den eneste periode med ministeriets egne tal i de indlejrede "
            "data; den åbne models tal for perioden bruger kun data til og med den."
        )
    return items
