"""What the report notebooks show: numbered figures, tables and prose from a :class:`Benchmark`.

Each function takes the shared :class:`~analysis.run.benchmark.Benchmark` (and, for the case report,
a municipality code) and returns a display object (:class:`ReportFigure`, :class:`ReportTable`
or :class:`~analysis.report.narrative.Prose`) that renders in Jupyter, in the HTML report and in the
PDF report. Captions name the benefit set and the model; every "Kilde:" line says whether the
data are synthetic.
"""

from __future__ import annotations

import pandas as pd

from analysis.core.benefits import GROUPS, LABELS, SET_LABELS
from analysis.core.benefits import label as benefit_label
from analysis.core.municipalities import lookup
from analysis.model.results import BLOCK_LABELS
from analysis.report import figures, narrative
from analysis.report.fmt import ReportFigure, ReportTable, num, persons, rank_interval, share
from analysis.report.theme import source_line
from analysis.run.benchmark import Benchmark

SPEC_LABELS = {
    "pooled": "samlet model uden kommuneled (forventet = sum af forudsagte værdier)",
    "fe": "model med kommunespecifikke faste effekter",
}


def _source(bm: Benchmark, extra: str = "egne beregninger") -> str:
    return source_line(bm.synthetic, extra)


def _model_note(bm: Benchmark, years: str | None = None) -> str:
    p = bm.parameters
    return (
        f"Ydelsesgrupper: {benefit_label(bm.benefit_set)}. Model: {SPEC_LABELS[p['spec']]}, "
        f"lineær sandsynlighedsmodel estimeret med OLS. År: {years or p['year']}."
    )


def _case(code: int | str) -> int:
    return lookup(code).code


# ----------------------------------------------------------------------------- national report
def national_summary(bm: Benchmark) -> narrative.Prose:
    """Hovedresultater of the national report."""
    return narrative.bullets(narrative.national_findings(bm.tidy()))


def data_description(bm: Benchmark) -> narrative.Prose:
    """One paragraph on the data: register, persons, year, synthetic or real."""
    t = bm.tidy()
    kind = (
        "**syntetiske data** («Syntetisk Danmark»): personerne er simulerede, og tallene beskriver "
        "ikke virkelige kommuner"
        if bm.synthetic
        else "registerdata"
    )
    return narrative.Prose(
        f"Analysen bygger på {kind}. Registret omfatter {persons(t['population'].sum())} personer "
        f"i alderen 16–66 år i {len(t)} kommuner i {bm.parameters['year']}. Udfaldet er den andel af "
        f"året, hver person har modtaget en af ydelserne i «{benefit_label(bm.benefit_set)}»; summen "
        f"over personer er antallet af fuldtidspersoner."
    )


def ranking_figure(bm: Benchmark, *, highlight: int | None = None) -> ReportFigure:
    fig = figures.caterpillar(bm.tidy(), highlight=highlight, interval="rank", label_n=3)
    return ReportFigure(
        fig,
        caption="Placering og 95 pct.-rangkonfidensintervaller for alle 98 kommuner",
        note=(
            "Mørk streg: marginalt interval for den enkelte kommune; lys bjælke: simultant "
            "konfidenssæt for alle kommuner på én gang (Mogstad m.fl. 2024). " + _model_note(bm)
        ),
        source=_source(bm),
        label="fig-placering",
    )


def difference_figure(bm: Benchmark, *, highlight: int | None = None) -> ReportFigure:
    fig = figures.caterpillar(bm.tidy(), highlight=highlight, interval="pp", label_n=3)
    return ReportFigure(
        fig,
        caption="Faktisk minus forventet andel på offentlig forsørgelse, pct.-point af befolkningen 16–66 år",
        note="Negative værdier: færre på offentlig forsørgelse end forventet. 95 pct.-konfidensintervaller. "
        + _model_note(bm),
        source=_source(bm),
        label="fig-forskel",
    )


def funnel_figure(bm: Benchmark, *, highlight: int | None = None) -> ReportFigure:
    t = bm.tidy()
    tau2 = float(t["funnel_tau2"].iloc[0])
    fig = figures.funnel_plot(t, highlight=highlight)
    return ReportFigure(
        fig,
        caption="Tragtplot: forskel mellem faktisk og forventet andel efter kommunens størrelse",
        note=(
            "Grænserne er 95 og 99,8 pct.-grænser for en kommune, der ligger som forventet, udvidet for "
            f"overspredning mellem kommuner (τ² = {num(tau2, 3)}; Spiegelhalter 2005). " + _model_note(bm)
        ),
        source=_source(bm),
        label="fig-tragt",
    )


def ranking_table(bm: Benchmark, *, n: int = 10) -> ReportTable:
    """The ``n`` best and ``n`` worst municipalities with actual, expected and intervals."""
    t = bm.tidy().sort_values("rank")
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= len(t) // 2:
        # more than half would list municipalities twice (once among the best, once among the worst)
        raise ValueError(f"n: expected an integer from 1 to {len(t) // 2}, got {n!r}")
    part = pd.concat([t.head(n), t.tail(n)])
    df = pd.DataFrame(
        {
            "Placering": part["rank"].astype(int).to_numpy(),
            "Rangsæt (simultant)": [
                rank_interval(int(a), int(b))
                for a, b in zip(part["rank_cs_lower"], part["rank_cs_upper"], strict=True)
            ],
            "Faktisk": part["actual"].to_numpy(),
            "Forventet": part["expected"].to_numpy(),
            "Forskel, pct.-point": part["difference_pp"].to_numpy(),
            "EB-korrigeret forskel": part["eb_difference_pp"].to_numpy(),
        },
        index=pd.Index(part["name"].to_numpy(), name="Kommune"),
    )
    return ReportTable(
        df,
        caption=f"De {n} bedst og {n} dårligst placerede kommuner",
        note=(
            "Faktisk og forventet i fuldtidspersoner. Forskel = faktisk − forventet i pct.-point af "
            "befolkningen 16–66 år; negativ er bedre end forventet. EB-korrigeret: empirisk Bayes-"
            "skrumpning mod 0, der tager højde for usikkerheden i små kommuner. " + _model_note(bm)
        ),
        source=_source(bm),
        formats={
            "Faktisk": persons,
            "Forventet": persons,
            "Forskel, pct.-point": lambda v: num(v, 2, sign=True),
            "EB-korrigeret forskel": lambda v: num(v, 2, sign=True),
        },
        label="tbl-placering",
    )


def coefficient_table(bm: Benchmark) -> ReportTable:
    """Bilagstabel: the model's coefficients with clustered standard errors."""
    ct = bm.main.coef_table()
    df = pd.DataFrame(
        {
            "Koefficient": ct["estimate"].to_numpy(),
            "Std.fejl": ct["std_error"].to_numpy(),
            "t": ct["tstat"].to_numpy(),
        },
        index=pd.Index(ct["term"].to_numpy(), name="Forklarende variabel"),
    )
    return ReportTable(
        df,
        caption="Den forventede andel: estimerede koefficienter",
        note=(
            "Lineær sandsynlighedsmodel for andelen af året på offentlig forsørgelse; standardfejl "
            f"klyngerobuste på kommuneniveau. Antal personer: {persons(bm.main.nobs)}. " + _model_note(bm)
        ),
        source=_source(bm),
        formats={
            "Koefficient": lambda v: num(v, 4),
            "Std.fejl": lambda v: num(v, 4),
            "t": lambda v: num(v, 1),
        },
        label="tbl-koefficienter",
    )


def decomposition_table(bm: Benchmark) -> ReportTable:
    """How much each block of rammevilkår moves the expected share: range across municipalities."""
    d = bm.main.decomposition()
    blocks = [c for c in d.columns if c != "total"]
    df = pd.DataFrame(
        {
            "Mindste": d[blocks].min().to_numpy(),
            "Median": d[blocks].median().to_numpy(),
            "Største": d[blocks].max().to_numpy(),
        },
        index=pd.Index([BLOCK_LABELS.get(b, b) for b in blocks], name="Rammevilkår"),
    )
    return ReportTable(
        df,
        caption="Rammevilkårenes bidrag til den forventede andel, pct.-point i forhold til landsgennemsnittet",
        note="Bidrag = koefficient × (kommunens gennemsnit − landsgennemsnit), summeret inden for hver blok. "
        + _model_note(bm),
        source=_source(bm),
        formats={c: (lambda v: num(v, 2, sign=True)) for c in ("Mindste", "Median", "Største")},
        label="tbl-dekomposition",
    )


# ----------------------------------------------------------------------------- trade-off report
def side_name(groups: tuple[str, ...] | list[str]) -> str:
    """Lower-case Danish name of one side of the trade-off ("kontanthjælp mv." / "førtidspension og fleksjob")."""
    names = [LABELS[g][0].lower() + LABELS[g][1:] for g in groups]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " og " + names[-1]


def _p_value(p: float) -> str:
    return "p < 0,001" if p < 0.001 else f"p = {num(p, 3)}"


def tradeoff_summary(bm: Benchmark) -> narrative.Prose:
    """Hovedresultater of the trade-off report, for the sides the benchmark was analysed with."""
    ta = bm.tradeoff
    t = ta.test
    a, b = side_name(t.side_a), side_name(t.side_b)
    moved10 = ta.n_moved(10)
    share_pred = ta.share_as_predicted(10)
    direction = "negativ" if t.estimate < 0 else "positiv"
    sig = "ikke " if t.covers_zero else ""
    n_subst = int((ta.table["quadrant"] == "bedre A, dårligere B").sum())
    items = [
        f"Korrelationen på tværs af kommunerne mellem resultatet på {a} og på {b} er "
        f"{direction}: {num(t.estimate, 2)} (95 pct.-interval {num(t.lower, 2)} til {num(t.upper, 2)}), "
        f"og den er {sig}statistisk signifikant forskellig fra 0 ({_p_value(t.p_value)}).",
        f"Medregnes alle ydelsesgrupper i stedet for kun dem i «{benefit_label(ta.set_from)}», flytter "
        f"{moved10} af {len(ta.table)} kommuner mere end 10 pladser.",
        f"Blandt dem flytter {share(share_pred, 0)} i den retning, som de forbundne kar forudsiger: "
        f"kommuner med flere end forventet på de udeladte ydelser rykker ned.",
        f"{n_subst} {'kommune' if n_subst == 1 else 'kommuner'} er bedre end forventet på {a}, men "
        f"dårligere end forventet på {b}.",
    ]
    return narrative.bullets(items)


def _with_sides(bm: Benchmark) -> pd.DataFrame:
    """The trade-off table with the summed residual of each side (``side_a``, ``side_b``)."""
    t = bm.tradeoff.test
    table = bm.tradeoff.table.copy()
    table["side_a"] = table[[f"resid_{g}" for g in t.side_a]].sum(axis=1)
    table["side_b"] = table[[f"resid_{g}" for g in t.side_b]].sum(axis=1)
    return table


def quadrant_figure(bm: Benchmark, *, highlight: tuple[int, ...] = ()) -> ReportFigure:
    t = bm.tradeoff.test
    a, b = side_name(t.side_a), side_name(t.side_b)
    fig = figures.quadrant(
        _with_sides(bm),
        x="side_a",
        y="side_b",
        highlight=highlight,
        xlabel=f"{a[0].upper() + a[1:]}: faktisk − forventet (pct.-point)",
        ylabel=f"{b[0].upper() + b[1:]}: faktisk − forventet (pct.-point)",
        a_name=a,
        b_name=b,
    )
    return ReportFigure(
        fig,
        caption=f"Resultat på {a} og på {b}, faktisk minus forventet",
        note=(
            f"Hver prik er en kommune; linjen er den lineære sammenhæng. Korrelation {num(t.estimate, 2)} "
            f"(95 pct.-interval {num(t.lower, 2)} til {num(t.upper, 2)}), korrigeret for "
            "estimationsusikkerhed. Model: " + SPEC_LABELS[bm.parameters["spec"]] + "."
        ),
        source=_source(bm),
        label="fig-kvadrant",
    )


def correlation_table(bm: Benchmark) -> ReportTable:
    c = bm.tradeoff.correlations
    df = pd.DataFrame(
        {
            "Korrelation": c["corr"].to_numpy(),
            "Nedre 95 pct.": c["lower"].to_numpy(),
            "Øvre 95 pct.": c["upper"].to_numpy(),
        },
        index=pd.MultiIndex.from_arrays(
            [[LABELS[a] for a in c["a"]], [LABELS[b] for b in c["b"]]], names=["Ydelse", "mod ydelse"]
        ),
    )
    fmt = {k: (lambda v: num(v, 2)) for k in df.columns}
    return ReportTable(
        df,
        caption="Korrelation mellem kommunernes resultater på de enkelte ydelsesgrupper",
        note="Pearson-korrelation på tværs af kommuner, korrigeret for estimationsusikkerhed; "
        "bootstrap-intervaller over kommuner.",
        source=_source(bm),
        formats=fmt,
        label="tbl-korrelation",
    )


def slope_figure(bm: Benchmark, *, highlight: tuple[int, ...] = ()) -> ReportFigure:
    ta = bm.tradeoff
    fig = figures.slope_chart(
        ta.table,
        left=f"rank_{ta.set_from}",
        right=f"rank_{ta.set_to}",
        left_label="Benchmark 2018",
        right_label="Alle ydelser",
        highlight=highlight,
    )
    return ReportFigure(
        fig,
        caption="Placering med benchmarkets ydelser og med alle ydelsesgrupper",
        note=f"Venstre: {SET_LABELS[ta.set_from]}. Højre: {SET_LABELS[ta.set_to]}. De fem største flyttere er "
        "fremhævet.",
        source=_source(bm),
        label="fig-rangskift",
    )


def movers_table(bm: Benchmark, *, n: int = 10) -> ReportTable:
    ta = bm.tradeoff
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= len(ta.table):
        raise ValueError(f"n: expected an integer from 1 to {len(ta.table)}, got {n!r}")
    m = ta.movers(n)
    names = [lookup(int(c)).name for c in m["code"]]
    df = pd.DataFrame(
        {
            "Benchmark 2018": m[f"rank_{ta.set_from}"].to_numpy(),
            "Alle ydelser": m[f"rank_{ta.set_to}"].to_numpy(),
            "Skift": m["rank_shift"].to_numpy(),
            "Kontanthjælp": m["resid_kontanthjaelp"].to_numpy(),
            "Førtidspension": m["resid_foertidspension"].to_numpy(),
        },
        index=pd.Index(names, name="Kommune"),
    )
    return ReportTable(
        df,
        caption=f"De {n} kommuner, hvis placering flytter mest",
        note="Skift > 0: lavere placering, når alle ydelser medregnes. Kontanthjælp og førtidspension: "
        "faktisk − forventet i pct.-point.",
        source=_source(bm),
        formats={
            "Skift": lambda v: num(v, 0, sign=True),
            "Kontanthjælp": lambda v: num(v, 2, sign=True),
            "Førtidspension": lambda v: num(v, 2, sign=True),
        },
        label="tbl-flyttere",
    )


# ----------------------------------------------------------------------------- case report
def case_summary(bm: Benchmark, municipality: int | str) -> narrative.Prose:
    code = _case(municipality)
    return narrative.bullets(
        narrative.case_findings(
            bm.tidy(),
            code,
            tradeoff_table=bm.tradeoff.table,
            yardsticks=bm.yardsticks(),
            sets=(bm.tradeoff.set_from, bm.tradeoff.set_to),
        )
    )


def comparison_codes(bm: Benchmark, municipality: int | str, *, k: int = 7) -> list[int]:
    """The case and its ``k`` nearest municipalities on standardised rammevilkår."""
    from analysis.yardsticks.peers import comparison_group

    code = _case(municipality)
    group = comparison_group(bm.features, code, k=k)
    return [code, *group["peer"].astype(int).tolist()]


def comparison_figure(bm: Benchmark, municipality: int | str, *, k: int = 7) -> ReportFigure:
    code = _case(municipality)
    codes = comparison_codes(bm, code, k=k)
    t = bm.tidy().set_index("code").loc[codes]
    frame = pd.DataFrame(
        {
            "code": codes,
            "name": t["name"].to_numpy(),
            "actual_share": (100 * t["actual"] / t["population"]).to_numpy(),
            "expected_share": (100 * t["expected"] / t["population"]).to_numpy(),
        }
    )
    fig = figures.actual_vs_expected(frame, highlight=code)
    return ReportFigure(
        fig,
        caption=f"Faktisk og forventet andel på offentlig forsørgelse, {lookup(code).name} og "
        f"sammenligningskommuner, {bm.parameters['year']}",
        note=f"Sammenligningskommuner: de {k} kommuner med de mest ens rammevilkår (standardiserede "
        "afstande på befolkningssammensætning og lokalt arbejdsmarked). " + _model_note(bm),
        source=_source(bm),
        label="fig-sammenligning",
    )


def groups_table(bm: Benchmark, municipality: int | str) -> ReportTable:
    """The case's actual and expected full-time persons for every benefit group."""
    code = _case(municipality)
    rows = []
    for g in GROUPS:
        r = bm.fits[g].tidy().set_index("code").loc[code]
        rows.append(
            {
                "Ydelsesgruppe": LABELS[g],
                "Faktisk": r["actual"],
                "Forventet": r["expected"],
                "Forskel, pct.-point": r["difference_pp"],
                "Placering": int(r["rank"]),
            }
        )
    df = pd.DataFrame(rows).set_index("Ydelsesgruppe")
    return ReportTable(
        df,
        caption=f"{lookup(code).name}: faktisk og forventet antal fuldtidspersoner pr. ydelsesgruppe",
        note="Én model pr. ydelsesgruppe med samme rammevilkår. Placering 1 = længst under forventet. "
        + SPEC_LABELS[bm.parameters["spec"]].capitalize()
        + ".",
        source=_source(bm),
        formats={
            "Faktisk": persons,
            "Forventet": persons,
            "Forskel, pct.-point": lambda v: num(v, 2, sign=True),
        },
        label="tbl-grupper",
    )


def case_decomposition_figure(bm: Benchmark, municipality: int | str) -> ReportFigure:
    code = _case(municipality)
    d = bm.main.decomposition()
    fig = figures.decomposition_bars(d, code, labels=BLOCK_LABELS)
    return ReportFigure(
        fig,
        caption=f"Hvorfor {lookup(code).name} forventes at have {'flere' if d.loc[code].drop('total', errors='ignore').sum() > 0 else 'færre'} "
        "på offentlig forsørgelse end landsgennemsnittet",
        note="Bidrag = koefficient × (kommunens gennemsnit − landsgennemsnit) for hver blok af rammevilkår, "
        "i pct.-point af befolkningen 16–66 år. " + _model_note(bm),
        source=_source(bm),
        label="fig-dekomposition",
    )


def yardsticks_table(bm: Benchmark, municipality: int | str, *, k: int = 7) -> ReportTable:
    """The case and its comparison group on every yardstick side by side."""
    code = _case(municipality)
    codes = comparison_codes(bm, code, k=k)
    y = bm.yardsticks().loc[codes]
    t = bm.tidy().set_index("code").loc[codes]
    trade = bm.tradeoff.table.set_index("code").loc[codes]
    dea_extra = (
        ", og for jobcentre uden faktiske eller forventede fuldtidspersoner i et af områderne"
        if bm.efficiency_meta.get("excluded_empty")
        else ""
    )
    df = pd.DataFrame(
        {
            "Placering (benchmark)": t["rank"].astype(int).to_numpy(),
            "Placering (alle ydelser)": trade[f"rank_{bm.tradeoff.set_to}"].astype(int).to_numpy(),
            "Jobcenterindblik": y["category"].astype(int).to_numpy(),
            "DEA-score": y["dea_score"].to_numpy(),
            "Fuldtidspers. pr. 100": y["fulltime_pct"].to_numpy(),
            "Varighed (mdr.)": y["mean_spell_months"].to_numpy(),
            "I job efter 3 mdr.": y["employed_3m_share"].to_numpy(),
        },
        index=pd.Index([lookup(c).name for c in codes], name="Kommune"),
    )
    return ReportTable(
        df,
        caption=f"{lookup(code).name} og sammenligningskommunerne på de forskellige målestokke",
        note=(
            "Jobcenterindblik: 1 Inspirationskommune, 2 Ikke aktuel i risiko, 3 Opmærksomhedskommune, "
            "4 I risiko for skærpet tilsyn. DEA-score: inputorienteret effektivitet (konstant skalaafkast) "
            "for jobcentret; 1 = på fronten; – for de tre mindste kommuner, der er udeladt som hos "
            f"Rigsrevisionen{dea_extra}. KL's resultatmål: fuldtidspersoner pr. 100 indbyggere, gennemsnitlig "
            "varighed på offentlig forsørgelse og andel i job 3 måneder efter afgang."
        ),
        source=_source(bm),
        formats={
            "DEA-score": lambda v: num(v, 2),
            "Fuldtidspers. pr. 100": lambda v: num(v, 1),
            "Varighed (mdr.)": lambda v: num(v, 1),
            "I job efter 3 mdr.": lambda v: share(v, 0),
        },
        label="tbl-maalestokke",
    )


def map_figure(bm: Benchmark, municipality: int | str | None = None) -> ReportFigure:
    from analysis.report.maps import danmarkskort

    t = bm.tidy().set_index("code")
    code = None if municipality is None else _case(municipality)
    fig = danmarkskort(t["difference_pp"], highlight=code)
    return ReportFigure(
        fig,
        caption="Danmarkskort: faktisk minus forventet andel på offentlig forsørgelse, pct.-point",
        note="Kortet er et flisekort: hver kommune er en lige stor flise placeret efter kommunens omtrentlige "
        "geografiske beliggenhed, ikke de sande kommunegrænser. Blå: færre end forventet; rød: flere. "
        + _model_note(bm),
        source=_source(bm),
        label="fig-kort",
    )


def rank_history_view(bm: Benchmark, municipality: int | str) -> narrative.Prose | ReportFigure:
    """The case's placement in every year of the register up to the report's year.

    With several years: a figure (all municipalities in grey, the case with its 95 % rank
    interval) whose note lists the placements. With one year: a paragraph saying so.
    """
    code = _case(municipality)
    history = bm.history
    text = narrative.rank_history_text(history, code)
    if history["year"].nunique() < 2:
        return narrative.Prose(text)
    years = sorted(int(y) for y in history["year"].unique())
    fig = figures.rank_over_years(history, highlight=code)
    return ReportFigure(
        fig,
        caption=f"{lookup(code).name}s placering {years[0]}–{years[-1]}, hvert år med sin egen model",
        note=text
        + " Grå: de øvrige kommuner. Lodrette streger: marginale 95 pct.-rangkonfidensintervaller. "
        + _model_note(bm, years=f"{years[0]}–{years[-1]}"),
        source=_source(bm),
        label="fig-over-tid",
    )


def case_rank_sentence(bm: Benchmark, municipality: int | str) -> str:
    """Short text used in captions: '12. plads (7–19)'."""
    code = _case(municipality)
    r = bm.tidy().set_index("code").loc[code]
    return f"{int(r['rank'])}. plads ({rank_interval(int(r['rank_lower']), int(r['rank_upper']))})"


def manifest_view(bm: Benchmark, **report_parameters: object) -> ReportTable:
    """Bilag: the run manifest (git SHA, versions, input sha256, parameters, seed, timings)."""
    from analysis.report.manifest import build_manifest, manifest_table

    params = {**dict(bm.parameters), **report_parameters}
    manifest = build_manifest(
        parameters=params,
        seed=int(bm.parameters["seed"]),
        synthetic=bm.synthetic,
        timings=dict(bm.timings),
    )
    # The sha256 recorded when the benchmark was built, not a fresh hash of the files: a saved
    # benchmark can outlive or predate changes to its register folder.
    manifest["inputs"] = dict(bm.inputs)
    return manifest_table(manifest)


def case_code(municipality: int | str) -> int:
    """Code of a municipality given by name or code."""
    return _case(municipality)


def case_codes(cases: str) -> tuple[int, ...]:
    """Codes of comma-separated municipality names or codes ("København,Nyborg")."""
    return tuple(_case(c.strip()) for c in str(cases).split(",") if c.strip())
