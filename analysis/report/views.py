"""What the report notebooks show: numbered figures, tables and prose from a :class:`Report`.

Each function takes the notebook's :class:`~analysis.report.notebook.Report` (parsed parameters
and the shared benchmark) and returns a display object (:class:`ReportFigure`,
:class:`ReportTable` or :class:`~analysis.report.narrative.Prose`) that renders in Jupyter, in the
HTML report and in the PDF report. Captions name the benefit set and the model; every "Kilde:"
line names the data's source (and says so when the data are synthetic). A section whose input
the data source lacks returns one Danish sentence saying why instead.
"""

from __future__ import annotations

import pandas as pd

from analysis.core.benefits import GROUPS
from analysis.core.municipalities import lookup
from analysis.report import figures, labels, narrative
from analysis.report.fmt import ReportBox, ReportFigure, ReportTable, num, persons, rank_interval, share
from analysis.report.labels import BENEFIT_LABELS, SPEC_LABELS, benefit_label, side_name
from analysis.report.notebook import Report


def _ranks(tidy: pd.DataFrame, codes) -> list[str]:
    """ "44 (16–80)": the rank with its marginal 95 % interval, for ``codes`` in order."""
    t = tidy.set_index("code").loc[list(codes)]
    return [
        f"{int(a)} ({rank_interval(int(lo), int(hi))})"
        for a, lo, hi in zip(t["rank"], t["rank_lower"], t["rank_upper"], strict=True)
    ]


def _source(r: Report, extra: str = "egne beregninger") -> str:
    return labels.source_line(r.bm.provenance, extra)


def _model_note(r: Report, periods: str | None = None) -> str:
    bm = r.bm
    return (
        f"Ydelsesgrupper: {benefit_label(bm.benefit_set.name, bm.provenance.dataset)}. Model: {SPEC_LABELS[bm.params.spec]}, "
        f"{labels.ESTIMATOR_LABELS[bm.main.estimator]}. Periode: {periods or labels.period_label(bm.period)}."
    )


def cited(r: Report) -> list[str]:
    """Keys of :data:`analysis.report.labels.REFERENCES` that the report cites (in its text and notes)."""
    bm = r.bm
    keys = ["bm2018"]  # the method text
    if r.kind in ("national", "case"):
        keys.append("mogstad2024")  # rank confidence sets
    if r.kind == "national":
        keys.append("spiegelhalter2005")  # the funnel plot
    if r.kind == "tradeoff":
        keys += ["kl2018", "spearman1904"]
    if r.kind == "case":
        if "all" in bm.fits:
            keys.append("kl2018")
        if bm.has("categories"):
            keys.append("kl2020")
        if bm.has("efficiency"):
            keys.append("rigsrevisionen2018")
        if bm.has("measures"):
            keys.append("kl2010")
    return sorted(dict.fromkeys(keys), key=lambda k: labels.REFERENCES[k])


def references(r: Report) -> narrative.Prose:
    """Litteratur: the works this report cites, alphabetically."""
    return narrative.Prose("\n".join(f"- {labels.REFERENCES[k]}" for k in cited(r)))


def missing_note(r: Report, analysis: str) -> narrative.Prose | None:
    """The sentence saying why ``analysis`` is left out, or None when the run has it."""
    m = r.bm.missing.get(analysis)
    return None if m is None else narrative.Prose(labels.missing_sentence(m))


# ----------------------------------------------------------------------------- shared text
def method_text(r: Report) -> narrative.Prose:
    """The method paragraphs every report shares (depends on the data source's model)."""
    common = (
        "Kommunerne placeres efter forskellen mellem faktisk og forventet andel i procentpoint af "
        "befolkningen 16–66 år; placering 1 er længst under det forventede."
    )
    if r.bm.main.estimator == "cells":
        body = (
            "Det forventede antal fuldtidspersoner beregnes som i Beskæftigelsesministeriets benchmark "
            "(Beskæftigelsesministeriet 2018): for hver "
            "person forudsiger en model, hvor stor en del af året personen ville være på offentlig forsørgelse givet "
            "alder og køn, uddannelse, herkomst, familietype, tidligere forsørgelse og det lokale arbejdsmarked. "
            "Summen over kommunens borgere er det forventede antal. " + common + "\n\n"
            "Modellen er en lineær sandsynlighedsmodel estimeret med mindste kvadraters metode på individniveau, "
            "med klyngerobuste standardfejl på kommuneniveau."
        )
    else:
        body = (
            "Det forventede antal fuldtidspersoner beregnes som i Beskæftigelsesministeriets benchmark "
            "(Beskæftigelsesministeriet 2018), men ud fra offentligt tilgængelige rammevilkår pr. kommune: "
            "en befolkningsvægtet regression af kommunens andel på offentlig forsørgelse på rammevilkårene, med "
            "periodeeffekter og klyngerobuste standardfejl på kommuneniveau. Forventet antal = befolkningen × "
            "den forudsagte andel. " + common
        )
    tail = (
        " Den er en gennemsigtig rekonstruktion af metoden, ikke ministeriets officielle model. Alle tal i "
        "rapporten er beregnet af pakken kommunebench og kan genskabes med de parametre, der står i bilaget."
    )
    if r.bm.params.spec == "fe":
        tail += (
            "\n\nRapporten bruger modellen med kommunespecifikke faste effekter. Det lokale arbejdsmarked "
            "(ledighed, job inden for pendlingsafstand, urbanisering) er det samme for alle borgere i en kommune og "
            "kan derfor ikke skilles fra kommunens egen effekt: det indgår ikke i modellen og ikke i opdelingen af "
            "det forventede niveau. *Forventet* betyder her: det antal, kommunen ville have med sine borgeres "
            "sammensætning og den gennemsnitlige kommunes effekt. En kommune med et svagt lokalt arbejdsmarked "
            "ligger derfor dårligere i denne model end i den samlede model."
        )
    return narrative.Prose(body + tail)


def terms_box(r: Report) -> ReportBox:
    """Boks: the few terms a reader needs (rammevilkår, placering, marginalt/simultant, tragtplot, DEA)."""
    items = [
        "**Rammevilkår** er de forhold, kommunen ikke selv styrer: borgernes alder, uddannelse og herkomst og "
        "det lokale arbejdsmarked. Ud fra dem beregnes, hvor mange der *forventes* at være på offentlig "
        "forsørgelse.",
        "**Placering** 1–98 er efter forskellen mellem faktisk og forventet andel af befolkningen 16–66 år; "
        "plads 1 er længst under det forventede, dvs. bedst.",
        "**Marginalt interval**: med 95 pct. sikkerhed ligger kommunens placering inden for intervallet, når "
        "kommunen ses for sig. **Simultant sæt**: intervallerne holder for alle 98 kommuner på én gang; de er "
        "bredere og de rette, når mange kommuner sammenlignes.",
        "**Tragtplot**: små kommuners resultater svinger mere af tilfældige grunde; grænserne viser, hvor langt "
        "fra det forventede en kommune kan ligge uden at skille sig ud.",
    ]
    if r.bm.has("efficiency"):
        items.append(
            "**DEA** (data envelopment analysis) sammenligner jobcentrets resultater med dets udgifter og "
            "finder de jobcentre, der får mest ud af hver krone (fronten)."
        )
    return ReportBox("Begreber i rapporten", "\n\n".join(items), label="box-begreber")


# ----------------------------------------------------------------------------- national report
def national_summary(r: Report) -> narrative.Prose:
    """Hovedresultater of the national report."""
    return narrative.bullets(
        narrative.national_findings(
            r.bm.tidy(), label=benefit_label(r.bm.benefit_set.name, r.bm.provenance.dataset)
        )
    )


def data_description(r: Report) -> narrative.Prose:
    """One paragraph on the data: source, population, period, synthetic or real."""
    bm = r.bm
    d = bm.describe
    t = bm.tidy()
    groups = f"«{benefit_label(bm.benefit_set.name, bm.provenance.dataset)}»"
    if bm.synthetic:
        kind = (
            "**syntetiske data** («Syntetisk Danmark»): personerne er simulerede, og tallene beskriver "
            "ikke virkelige kommuner"
        )
    elif d["model"] == "cells":
        kind = "registerdata"
    else:
        kind = "offentligt tilgængelige data pr. kommune"
    if d["model"] == "cells":
        text = (
            f"Analysen bygger på {kind}. Registret omfatter {persons(t['population'].sum())} personer "
            f"i alderen 16–66 år i {len(t)} kommuner i {labels.period_label(bm.period)}. Udfaldet er den andel af "
            f"året, hver person har modtaget en af ydelserne i {groups}; summen over personer er antallet af "
            "fuldtidspersoner."
        )
    else:
        text = (
            f"Analysen bygger på {kind}. Data omfatter {len(t)} kommuner med i alt {persons(t['population'].sum())} "
            f"indbyggere i alderen 16–66 år i perioden {labels.period_label(bm.period)}. Udfaldet er antallet af "
            f"fuldtidspersoner på ydelserne i {groups} og deres andel af befolkningen."
        )
    return narrative.Prose(text)


def ranking_figure(r: Report) -> ReportFigure:
    highlight = r.highlight[0] if r.kind == "case" else None
    fig = figures.caterpillar(r.bm.tidy(), highlight=highlight, interval="rank", label_n=3)
    return ReportFigure(
        fig,
        caption="Placering og 95 pct.-rangkonfidensintervaller for alle 98 kommuner",
        note=(
            "Mørk streg: marginalt interval for den enkelte kommune; lys bjælke: simultant "
            "konfidenssæt for alle kommuner på én gang (Mogstad m.fl. 2024). " + _model_note(r)
        ),
        source=_source(r),
        label="fig-placering",
    )


def difference_figure(r: Report) -> ReportFigure:
    fig = figures.caterpillar(r.bm.tidy(), highlight=None, interval="pp", label_n=3)
    return ReportFigure(
        fig,
        caption="Faktisk minus forventet andel på offentlig forsørgelse, pct.-point af befolkningen 16–66 år",
        note="Negative værdier: færre på offentlig forsørgelse end forventet. 95 pct.-konfidensintervaller. "
        + _model_note(r),
        source=_source(r),
        label="fig-forskel",
    )


def funnel_figure(r: Report) -> ReportFigure:
    t = r.bm.tidy()
    tau2 = float(t["funnel_tau2"].iloc[0])
    fig = figures.funnel_plot(t, highlight=None)
    spread = (
        "Kommunerne afviger mere fra hinanden, end tilfældigheder alene kan forklare (overspredning), så "
        "grænserne er gjort bredere: en del af forskellene skyldes forhold, som rammevilkårene ikke fanger, og "
        "en kommune uden for grænserne afviger også efter at der er taget højde for det"
        if tau2 > 0
        else "Kommunerne afviger ikke mere fra hinanden, end tilfældigheder kan forklare"
    )
    return ReportFigure(
        fig,
        caption="Tragtplot: forskel mellem faktisk og forventet andel efter kommunens størrelse",
        note=(
            "Linjerne er 95 og 99,8 pct.-grænser for en kommune af den størrelse, der ligger som forventet "
            "(Spiegelhalter 2005); navngivet er de kommuner, der ligger uden for deres egen 99,8 pct.-grænse. "
            f"{spread} (τ = {num(tau2**0.5, 2)} pct.-point). " + _model_note(r)
        ),
        source=_source(r),
        label="fig-tragt",
    )


def ranking_table(r: Report, *, n: int = 10) -> ReportTable:
    """The ``n`` best and ``n`` worst municipalities with actual, expected and intervals."""
    t = r.bm.tidy().sort_values("rank")
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
            "skrumpning mod 0, der tager højde for usikkerheden i små kommuner. " + _model_note(r)
        ),
        source=_source(r),
        formats={
            "Faktisk": persons,
            "Forventet": persons,
            "Forskel, pct.-point": lambda v: num(v, 1, sign=True),
            "EB-korrigeret forskel": lambda v: num(v, 1, sign=True),
        },
        label="tbl-placering",
    )


def coefficient_table(r: Report) -> ReportTable:
    """Bilagstabel: the model's coefficients with clustered standard errors."""
    res = r.bm.main
    ct = res.coef_table()
    df = pd.DataFrame(
        {
            "Koefficient": ct["estimate"].to_numpy(),
            "Std.fejl": ct["std_error"].to_numpy(),
            "t": ct["tstat"].to_numpy(),
        },
        index=pd.Index([labels.term_label(t) for t in ct.index], name="Forklarende variabel"),
    )
    unit = "personer" if res.estimator == "cells" else "kommune-perioder"
    return ReportTable(
        df,
        caption="Den forventede andel: estimerede koefficienter",
        note=(
            "Lineær sandsynlighedsmodel for andelen af året på offentlig forsørgelse; standardfejl "
            f"klyngerobuste på kommuneniveau. Antal {unit}: {persons(res.nobs)}. " + _model_note(r)
        ),
        source=_source(r),
        formats={
            "Koefficient": lambda v: num(v, 4),
            "Std.fejl": lambda v: num(v, 4),
            "t": lambda v: num(v, 1),
        },
        label="tbl-koefficienter",
    )


def decomposition_table(r: Report) -> ReportTable:
    """How much each block of rammevilkår moves the expected share: range across municipalities."""
    d = r.bm.main.decomposition()
    blocks = [c for c in d.columns if c != "total"]
    df = pd.DataFrame(
        {
            "Mindste": d[blocks].min().to_numpy(),
            "Median": d[blocks].median().to_numpy(),
            "Største": d[blocks].max().to_numpy(),
        },
        index=pd.Index([labels.block_label(b) for b in blocks], name="Rammevilkår"),
    )
    return ReportTable(
        df,
        caption="Rammevilkårenes bidrag til den forventede andel, pct.-point i forhold til landsgennemsnittet",
        note="Bidrag = koefficient × (kommunens gennemsnit − landsgennemsnit), summeret inden for hver blok. "
        + _model_note(r),
        source=_source(r),
        formats={c: (lambda v: num(v, 1, sign=True)) for c in ("Mindste", "Median", "Største")},
        label="tbl-dekomposition",
    )


# ----------------------------------------------------------------------------- trade-off report
def _p_value(p: float) -> str:
    return "p < 0,001" if p < 0.001 else f"p = {num(p, 3)}"


def tradeoff_summary(r: Report) -> narrative.Prose:
    """Hovedresultater of the trade-off report, for the sides the benchmark was analysed with."""
    ta = r.bm.tradeoff
    if ta is None:
        return missing_note(r, "tradeoff_test") or narrative.Prose("Datakilden har for få ydelsesgrupper.")
    if ta.test is None:
        c = ta.correlations
        pairs = [
            f"{labels.lower_first(BENEFIT_LABELS[row['a']])} og {labels.lower_first(BENEFIT_LABELS[row['b']])} "
            f"{num(row['corr'], 2)} (95 pct.-interval {num(row['lower'], 2)} til {num(row['upper'], 2)})"
            for _, row in c.iterrows()
        ]
        note = missing_note(r, "tradeoff_test")
        return narrative.bullets(
            [
                *([note.markdown] if note is not None else []),
                "Mellem de områder, datakilden har, korrelerer kommunernes resultater (faktisk minus forventet) "
                "således: " + labels.join_da(pairs) + ".",
            ]
        )
    t = ta.test
    a, b = side_name(t.side_a), side_name(t.side_b)
    direction = "negativ" if t.estimate < 0 else "positiv"
    sig = "ikke " if t.covers_zero else ""
    n_subst = int((ta.table["quadrant"] == "a_better_b_worse").sum())
    items = [
        f"Korrelationen på tværs af kommunerne mellem resultatet på {a} og på {b} er "
        f"{direction}: {num(t.estimate, 2)} (95 pct.-interval {num(t.lower, 2)} til {num(t.upper, 2)}), "
        f"og den er {sig}statistisk signifikant forskellig fra 0 ({_p_value(t.p_value)}).",
    ]
    if ta.has_shifts:
        items += [
            f"Medregnes alle ydelsesgrupper i stedet for kun dem i «{benefit_label(ta.set_from)}», flytter "
            f"{ta.n_moved(10)} af {len(ta.table)} kommuner mere end 10 pladser.",
            f"Blandt dem flytter {share(ta.share_as_predicted(10), 0)} i den retning, som de udeladte ydelser "
            "trækker: kommuner med flere end forventet på dem rykker ned. Det følger næsten af sig selv og viser "
            "ikke i sig selv, at kommuner flytter borgere mellem ydelserne; det gør korrelationen ovenfor.",
        ]
    items.append(
        f"{n_subst} {'kommune' if n_subst == 1 else 'kommuner'} er bedre end forventet på {a}, men "
        f"dårligere end forventet på {b}."
    )
    return narrative.bullets(items)


def _with_sides(r: Report) -> pd.DataFrame:
    """The trade-off table with the summed residual of each side (``side_a``, ``side_b``)."""
    t = r.bm.tradeoff.test
    table = r.bm.tradeoff.table.copy()
    table["side_a"] = table[[f"resid_{g}" for g in t.side_a]].sum(axis=1)
    table["side_b"] = table[[f"resid_{g}" for g in t.side_b]].sum(axis=1)
    return table


def quadrant_figure(r: Report) -> ReportFigure | narrative.Prose | None:
    ta = r.bm.tradeoff
    if ta is None or ta.test is None:
        # the trade-off report says why once (tradeoff_data_note); the case report here
        return None if r.kind == "tradeoff" else missing_note(r, "tradeoff_test")
    t = ta.test
    a, b = side_name(t.side_a), side_name(t.side_b)
    fig = figures.quadrant(
        _with_sides(r),
        x="side_a",
        y="side_b",
        highlight=r.highlight,
        xlabel=f"{a[0].upper() + a[1:]}: faktisk − forventet (pct.-point)",
        ylabel=f"{b[0].upper() + b[1:]}: faktisk − forventet (pct.-point)",
        a_name=a,
        b_name=b,
    )
    return ReportFigure(
        fig,
        caption=f"Resultat på {a} og på {b}, faktisk minus forventet",
        note=(
            "Hver prik er en kommune; linjen er den lineære sammenhæng. Navngivet: de valgte kommuner og de tre, "
            f"der ligger længst fra midten. Korrelation {num(t.estimate, 2)} "
            f"(95 pct.-interval {num(t.lower, 2)} til {num(t.upper, 2)}), korrigeret for "
            "estimationsusikkerhed. Model: " + SPEC_LABELS[r.bm.params.spec] + "."
        ),
        source=_source(r),
        label="fig-kvadrant",
    )


def correlation_table(r: Report) -> ReportTable | narrative.Prose:
    if r.bm.tradeoff is None:
        return narrative.Prose("Datakilden har for få ydelsesgrupper til at beregne korrelationer.")
    c = r.bm.tradeoff.correlations
    df = pd.DataFrame(
        {
            "Korrelation": c["corr"].to_numpy(),
            "Nedre 95 pct.": c["lower"].to_numpy(),
            "Øvre 95 pct.": c["upper"].to_numpy(),
        },
        index=pd.MultiIndex.from_arrays(
            [[BENEFIT_LABELS[a] for a in c["a"]], [BENEFIT_LABELS[b] for b in c["b"]]],
            names=["Ydelse", "mod ydelse"],
        ),
    )
    fmt = {k: (lambda v: num(v, 2)) for k in df.columns}
    return ReportTable(
        df,
        caption="Korrelation mellem kommunernes resultater på de enkelte ydelsesgrupper",
        note="Pearson-korrelation på tværs af kommuner, korrigeret for estimationsusikkerhed; "
        "bootstrap-intervaller over kommuner.",
        source=_source(r),
        formats=fmt,
        label="tbl-korrelation",
    )


def slope_figure(r: Report) -> ReportFigure | narrative.Prose:
    ta = r.bm.tradeoff
    if ta is None or not ta.has_shifts:
        return missing_note(r, "rank_shifts") or narrative.Prose("Placeringen med alle ydelser mangler.")
    fig = figures.slope_chart(
        ta.table,
        left=f"rank_{ta.set_from}",
        right=f"rank_{ta.set_to}",
        left_label=labels.set_short(ta.set_from),
        right_label=labels.set_short(ta.set_to),
        highlight=r.highlight,
    )
    return ReportFigure(
        fig,
        caption="Placering med benchmarkets ydelser og med alle ydelsesgrupper",
        note=f"Venstre: {benefit_label(ta.set_from)}. Højre: {benefit_label(ta.set_to)}. De fem største flyttere er "
        "fremhævet.",
        source=_source(r),
        label="fig-rangskift",
    )


def movers_table(r: Report, *, n: int = 10) -> ReportTable | None:
    ta = r.bm.tradeoff
    if ta is None or not ta.has_shifts:
        return None  # slope_figure, just before it, says why
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= len(ta.table):
        raise ValueError(f"n: expected an integer from 1 to {len(ta.table)}, got {n!r}")
    m = ta.movers(n)
    names = [lookup(int(c)).name for c in m["code"]]
    df = pd.DataFrame(
        {
            labels.set_short(ta.set_from): _ranks(r.bm.fits[ta.set_from].tidy(), m["code"]),
            labels.set_short(ta.set_to): _ranks(r.bm.fits[ta.set_to].tidy(), m["code"]),
            "Skift": m["rank_shift"].to_numpy(),
            "Kontanthjælp": m["resid_kontanthjaelp"].to_numpy(),
            "Førtidspension": m["resid_foertidspension"].to_numpy(),
        },
        index=pd.Index(names, name="Kommune"),
    )
    return ReportTable(
        df,
        caption=f"De {n} kommuner, hvis placering flytter mest",
        note="Placering med marginalt 95 pct.-rangkonfidensinterval i parentes. Skift > 0: lavere placering, når "
        "alle ydelser medregnes. Kontanthjælp og førtidspension: faktisk − forventet i pct.-point. Hvem der flytter, "
        "følger næsten af sig selv: en kommune, der ligger over det forventede på de ydelser, som lægges til, "
        "rykker ned. Tabellen viser altså ikke i sig selv, at kommunen flytter borgere mellem ydelserne; det "
        "gør korrelationen mellem ydelsesgrupperne.",
        source=_source(r),
        formats={
            "Skift": lambda v: num(v, 0, sign=True),
            "Kontanthjælp": lambda v: num(v, 1, sign=True),
            "Førtidspension": lambda v: num(v, 1, sign=True),
        },
        label="tbl-flyttere",
    )


# ----------------------------------------------------------------------------- public data
def method_box(r: Report) -> ReportBox | None:
    """Boks: how the open model is built from public data (covariates, periods, noise).

    Only for the public data; person registers are described by :func:`method_text`.
    """
    if r.bm.provenance.kind != "public":
        return None
    from analysis.data.public.panel import COVARIATES

    names = labels.join_da([labels.lower_first(c.label_da) for c in COVARIATES])
    if r.bm.provenance.dataset == "y60a02":
        udfald = (
            "**Udfald.** Jobindsats' månedlige måling y60a02 (kontanthjælp, inkl. uddannelseshjælp) giver for "
            "hver kommune og måned antal fuldtidspersoner og deres andel af befolkningen 16–66 år. En periode er "
            "12 måneder fra august til juli; udfaldet er gennemsnittet af de 12 måneder. Målingen er smallere end "
            "ministeriets benchmarkområde «Kontanthjælp mv.» (Y30R21): i 2021/22 svarede den til omkring tre "
            "fjerdedele af området, så placeringen er ikke en fortsættelse af ministeriets liste. Befolkningen er "
            "beregnet ud fra fuldtidspersonerne og deres andel, der offentliggøres med én decimal. Rammevilkår, "
            "der endnu ikke er offentliggjort, føres uændret frem fra det seneste år, der findes: ledighed, "
            "indkomst og pendling fra 2024, boligforhold fra 2025, uddannelse og aldersandel fra 2022. Der findes "
            "ingen offentliggjort benchmark fra ministeriet for disse perioder.\n\n"
        )
    else:
        udfald = (
            "**Udfald.** Jobindsats' måling Y30R21 giver for hver kommune og periode det faktiske antal "
            "fuldtidspersoner på offentlig forsørgelse og deres andel af befolkningen 16–66 år, for de tre "
            "områder (a-dagpenge, sygedagpenge og kontanthjælp mv.) og i alt. Perioderne er rullende 12 "
            "måneder, offentliggjort halvårligt; antallene er afrundet til nærmeste 10.\n\n"
        )
    body = (
        udfald + f"**Rammevilkår.** Offentlige tal fra Danmarks Statistik pr. kommune: {names} samt Danmarks "
        "Statistiks kommunegrupper. Tal, der i virkeligheden er udfaldet (fx antal kontanthjælpsmodtagere), "
        "indgår ikke. Ledigheden er delvis et udfald, fordi ledige dagpenge- og jobparate "
        "kontanthjælpsmodtagere tæller med; den er med, fordi det lokale arbejdsmarked er det vigtigste "
        "rammevilkår, og der ikke findes et offentligt mål for efterspørgslen i pendlingsoplandet.\n\n"
        "**Perioder.** En periodes værdi af et rammevilkår er gennemsnittet over periodens kalenderår, "
        "vægtet med antallet af måneder. Tal, der kun findes i nogle år (valgår), interpoleres lineært "
        "mellem de observerede år og føres uændret frem efter det sidste. Der bruges ingen forsinkelse "
        "(lag): rammevilkårene måles i samme periode som udfaldet, som i ministeriets model.\n\n"
        "**Model.** Kommunens andel regresseres på rammevilkårene, vægtet med befolkningen, med en "
        "effekt for hver periode og med klyngerobuste standardfejl på kommuneniveau. En periodes "
        "forventede antal bruger kun data til og med perioden. Summen af de forventede antal er lig "
        "summen af de faktiske i hver periode.\n\n"
        "**Usikkerhed.** Kommunens forskel er usikker af to grunde: modellens koefficienter er "
        "estimerede, og kommunens andel svinger tilfældigt fra periode til periode. Den tilfældige del "
        "vurderes ud fra den *forventede* andel e (variansen af en andel med middelværdi e er højst "
        "e(1 − e) delt med befolkningen) plus afrundingen af de offentliggjorte antal; den forsvinder "
        "derfor ikke i en kommune med få modtagere."
    )
    return ReportBox("Den åbne model på offentlige data", body, label="box-offentlige-data")


def official_summary(r: Report) -> narrative.Prose:
    """How close the open model on public data comes to the Ministry's own figures (computed)."""
    oc = r.bm.official
    if oc is None:
        reason = (
            "Syntetiske data har ingen offentliggjorte ministerietal at sammenligne med."
            if r.bm.synthetic
            else labels.missing_sentence(r.bm.missing["official"])
        )
        return narrative.Prose(reason)
    return narrative.bullets(narrative.official_findings(oc, report_period=r.bm.period))


def official_table(r: Report) -> ReportTable | None:
    """Agreement per benefit list: correlations of expected shares, gaps and ranks."""
    oc = r.bm.official
    if oc is None:
        return None
    a = oc.agreement
    df = pd.DataFrame(
        {
            "Forventet andel (korr.)": a["corr_expected"].to_numpy(),
            "Forskel (korr.)": a["corr_gap"].to_numpy(),
            "Placering (Spearman)": a["spearman_rank"].to_numpy(),
            "Ministeriets plads i intervallet": a["inside_interval"].to_numpy(),
            "Gns. afvigelse, pladser": a["mean_abs_rank_diff"].to_numpy(),
        },
        index=pd.Index([benefit_label(b) for b in a.index], name="Liste"),
    )
    return ReportTable(
        df,
        caption=f"Den åbne model og ministeriets benchmark, {labels.period_label(oc.period)}",
        note=(
            "Korrelation på tværs af de 98 kommuner. Ministeriets plads i intervallet: andel af kommunerne, "
            "hvis placering hos ministeriet ligger i den åbne models marginale 95 pct.-rangkonfidensinterval. "
            "Begge bruger de samme faktiske antal; forskellene kommer alene fra det forventede niveau."
        ),
        source=_source(r, "ministeriets tal: Jobindsats.dk (STAR), måling Y30R21; egne beregninger"),
        formats={
            "Forventet andel (korr.)": lambda v: num(v, 2),
            "Forskel (korr.)": lambda v: num(v, 2),
            "Placering (Spearman)": lambda v: num(v, 2),
            "Ministeriets plads i intervallet": lambda v: share(v, 0),
            "Gns. afvigelse, pladser": lambda v: num(v, 1),
        },
        label="tbl-ministeriet",
    )


def official_figure(r: Report) -> ReportFigure | None:
    """Scatter of the two gaps (overall list), the largest disagreements labelled."""
    oc = r.bm.official
    if oc is None:
        return None
    key = "bm2019" if "bm2019" in oc.benefits else oc.benefits[0]
    t = oc.of(key).reset_index()
    label_codes = oc.disagreements(key, 5).index.tolist()
    highlight = r.case.code if r.kind == "case" else None
    fig = figures.agreement_scatter(t, label_codes=label_codes, highlight=highlight)
    return ReportFigure(
        fig,
        caption=f"Forskel mellem faktisk og forventet andel: den åbne model og ministeriets, "
        f"{benefit_label(key).lower()}, {labels.period_label(oc.period)}",
        note="Hver prik er en kommune; linjen er 45°-linjen, hvor de to modeller er enige. Navngivet: de fem "
        "kommuner, hvis placering afviger mest.",
        source=_source(r, "ministeriets tal: Jobindsats.dk (STAR), måling Y30R21; egne beregninger"),
        label="fig-ministeriet",
    )


def case_official(r: Report) -> ReportTable | narrative.Prose:
    """The case's rank in the Ministry's published lists beside the open model's rank and interval."""
    oc = r.bm.official
    if oc is None:
        return official_summary(r)
    code = r.case.code
    rows = []
    for b in oc.benefits:
        row = oc.of(b).loc[code]
        rows.append(
            {
                "Liste": benefit_label(b),
                "Åben model": f"{int(row['rank'])} ({rank_interval(int(row['rank_lower']), int(row['rank_upper']))})",
                "Ministeriet": int(row["official_rank"]),
                "Forskel, åben model": row["difference_pp"],
                "Forskel, ministeriet": row["official_difference_pp"],
            }
        )
    df = pd.DataFrame(rows).set_index("Liste")
    return ReportTable(
        df,
        caption=f"{r.case.name} i ministeriets benchmark og i den åbne model, {labels.period_label(oc.period)}",
        note=(
            "Placering 1 = længst under forventet. Den åbne models placering med marginalt 95 pct.-"
            "rangkonfidensinterval i parentes; ministeriet offentliggør ingen usikkerhed. Forskel = faktisk − "
            "forventet andel i pct.-point."
        ),
        source=_source(r, "ministeriets tal: Jobindsats.dk (STAR), måling Y30R21; egne beregninger"),
        formats={
            "Forskel, åben model": lambda v: num(v, 1, sign=True),
            "Forskel, ministeriet": lambda v: num(v, 1, sign=True),
        },
        label="tbl-ministeriet-kommune",
    )


def tradeoff_data_note(r: Report) -> narrative.Prose | None:
    """What the data lack for the trade-off, and the command that fetches it (None when complete)."""
    m = r.bm.missing.get("tradeoff_test")
    if m is None:
        return None
    return narrative.Prose(
        labels.missing_sentence(m)
        + " De offentlige data i pakken har kun benchmarkets tre områder, så rapporten viser sammenhængen "
        "mellem dem. Med internetadgang hentes førtidspension og de øvrige ydelsesgrupper pr. kommune fra "
        "Danmarks Statistik (tabel AUK01) med `kommunebench statbank fetch --years 2022` og "
        "`kommunebench statbank build --years 2022 --out aggregates/aggregates.parquet`; rapporten laves "
        "derefter med `kommunebench reports --data aggregates`. Den fulde demonstration af de forbundne kar "
        "findes i rapporten på syntetiske data."
    )


# ----------------------------------------------------------------------------- case report
def case_summary(r: Report) -> narrative.Prose:
    bm = r.bm
    all_groups = bm.fits["all"].tidy() if "all" in bm.fits and bm.benefit_set.name != "all" else None
    return narrative.bullets(
        narrative.case_findings(
            bm.tidy(),
            r.case.code,
            all_groups=all_groups,
            yardsticks=bm.yardsticks(),
            official=bm.official,
            label=benefit_label(bm.benefit_set.name, bm.provenance.dataset),
        )
    )


def comparison_codes(r: Report, *, k: int | None = None) -> list[int]:
    """The case and its ``k`` (default ``n_peers``) nearest municipalities on standardised rammevilkår."""
    from analysis.yardsticks.peers import comparison_group

    code = r.case.code
    group = comparison_group(r.bm.features, code, k=r.params.n_peers if k is None else k)
    return [code, *group["peer"].astype(int).tolist()]


def comparison_figure(r: Report) -> ReportFigure:
    bm = r.bm
    code = r.case.code
    codes = comparison_codes(r)
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
        caption=f"Faktisk og forventet andel på offentlig forsørgelse, {r.case.name} og "
        f"sammenligningskommuner, {labels.period_label(bm.period)}",
        note=f"Sammenligningskommuner: de {r.params.n_peers} kommuner med de mest ens rammevilkår (standardiserede "
        "afstande på befolkningssammensætning og lokalt arbejdsmarked). " + _model_note(r),
        source=_source(r),
        label="fig-sammenligning",
    )


def groups_table(r: Report) -> ReportTable:
    """The case's actual and expected full-time persons for every benefit group the data have."""
    bm = r.bm
    code = r.case.code
    rows = []
    for g in GROUPS:
        if g not in bm.fits:
            continue
        tidy = bm.fits[g].tidy()
        row = tidy.set_index("code").loc[code]
        rows.append(
            {
                "Ydelsesgruppe": benefit_label(g, bm.provenance.dataset),
                "Faktisk": row["actual"],
                "Forventet": row["expected"],
                "Forskel, pct.-point": row["difference_pp"],
                "Placering (95 pct.-interval)": _ranks(tidy, [code])[0],
            }
        )
    df = pd.DataFrame(rows).set_index("Ydelsesgruppe")
    return ReportTable(
        df,
        caption=f"{r.case.name}: faktisk og forventet antal fuldtidspersoner pr. ydelsesgruppe",
        note="Én model pr. ydelsesgruppe med samme rammevilkår. Placering 1 = længst under forventet; i parentes "
        "det marginale 95 pct.-rangkonfidensinterval. " + SPEC_LABELS[bm.params.spec].capitalize() + ".",
        source=_source(r),
        formats={
            "Faktisk": persons,
            "Forventet": persons,
            "Forskel, pct.-point": lambda v: num(v, 1, sign=True),
        },
        label="tbl-grupper",
    )


def case_decomposition_figure(r: Report) -> ReportFigure:
    code = r.case.code
    d = r.bm.main.decomposition()
    fig = figures.decomposition_bars(d, code, labels={b: labels.block_label(b) for b in d.columns})
    more = d.loc[code].drop("total", errors="ignore").sum() > 0
    return ReportFigure(
        fig,
        caption=f"Hvorfor {r.case.name} forventes at have {'flere' if more else 'færre'} "
        "på offentlig forsørgelse end landsgennemsnittet",
        note="Bidrag = koefficient × (kommunens gennemsnit − landsgennemsnit) for hver blok af rammevilkår, "
        "i pct.-point af befolkningen 16–66 år. " + _model_note(r),
        source=_source(r),
        label="fig-dekomposition",
    )


def yardsticks_table(r: Report) -> ReportTable | narrative.Prose:
    """The case and its comparison group on every yardstick the data allow, side by side."""
    bm = r.bm
    codes = comparison_codes(r)
    y = bm.yardsticks().loc[codes]
    columns: dict[str, object] = {"Placering (benchmark)": _ranks(bm.tidy(), codes)}
    formats: dict[str, object] = {}
    notes: list[str] = []
    ta = bm.tradeoff
    if ta is not None and ta.has_shifts:
        columns["Placering (alle ydelser)"] = _ranks(bm.fits[ta.set_to].tidy(), codes)
    if bm.categories is not None:
        columns["Jobcenterindblik"] = y["category"].astype(int).to_numpy()
        notes.append(
            "Jobcenterindblik: 1 Inspirationskommune, 2 Ikke aktuel i risiko, 3 Opmærksomhedskommune, "
            "4 I risiko for skærpet tilsyn (KL 2020)."
        )
    if bm.efficiency is not None:
        columns["DEA-score"] = y["dea_score"].to_numpy()
        formats["DEA-score"] = lambda v: num(v, 2)
        dea_extra = (
            ", og for jobcentre uden faktiske eller forventede fuldtidspersoner i et af områderne"
            if bm.efficiency_meta.get("excluded_empty")
            else ""
        )
        notes.append(
            "DEA-score: inputorienteret effektivitet (konstant skalaafkast) for jobcentret; 1 = på fronten; – for "
            f"de tre mindste kommuner, der er udeladt som hos Rigsrevisionen (2018){dea_extra}."
        )
    if bm.measures is not None:
        columns["Fuldtidspers. pr. 100"] = y["fulltime_pct"].to_numpy()
        columns["Varighed (mdr.)"] = y["mean_spell_months"].to_numpy()
        columns["I job efter 3 mdr."] = y["employed_3m_share"].to_numpy()
        formats |= {
            "Fuldtidspers. pr. 100": lambda v: num(v, 1),
            "Varighed (mdr.)": lambda v: num(v, 1),
            "I job efter 3 mdr.": lambda v: share(v, 0),
        }
        notes.append(
            "KL's resultatmål (KL 2010): fuldtidspersoner pr. 100 indbyggere, gennemsnitlig varighed på offentlig "
            "forsørgelse og andel i job 3 måneder efter afgang."
        )
    for analysis in ("categories", "efficiency", "measures"):
        m = bm.missing.get(analysis)
        if m is not None:
            notes.append(labels.missing_sentence(m))
    notes.insert(
        0, "Placering med marginalt 95 pct.-rangkonfidensinterval i parentes; 1 = længst under forventet."
    )
    df = pd.DataFrame(columns, index=pd.Index([lookup(c).name for c in codes], name="Kommune"))
    return ReportTable(
        df,
        caption=f"{r.case.name} og sammenligningskommunerne på de forskellige målestokke",
        note=" ".join(notes),
        source=_source(r),
        formats=formats,
        label="tbl-maalestokke",
    )


def map_figure(r: Report) -> ReportFigure:
    """Danmarkskort of the gap on the real municipality boundaries (DAGI), the case outlined."""
    from analysis.data.public.geo import ATTRIBUTION
    from analysis.report.danmarkskort import MAP_NOTE, choropleth

    t = r.bm.tidy().set_index("code")
    code = r.case.code if r.kind == "case" else None
    fig = choropleth(
        t["difference_pp"],
        highlight=code,
        label="Faktisk minus forventet andel, pct.-point af befolkningen 16–66 år",
    )
    return ReportFigure(
        fig,
        caption="Danmarkskort: faktisk minus forventet andel på offentlig forsørgelse, pct.-point",
        note=f"Blå: færre end forventet; rød: flere. {MAP_NOTE} " + _model_note(r),
        source=_source(r, f"egne beregninger; kommunegrænser: {ATTRIBUTION}"),
        label="fig-kort",
    )


def rank_history_view(r: Report) -> narrative.Prose | ReportFigure:
    """The case's placement in every period of the data up to the report's period.

    With several periods: a figure (all municipalities in grey, the case with its 95 % rank
    interval) whose note lists the placements. With one period: a paragraph saying so.
    """
    code = r.case.code
    history = r.bm.history
    text = narrative.rank_history_text(history, code)
    if history["period"].nunique() < 2:
        return narrative.Prose(text)
    periods = sorted(history["period"].unique())
    span = f"{labels.period_label(periods[0])}–{labels.period_label(periods[-1])}"
    fig = figures.rank_over_years(history, highlight=code)
    fitted = (
        "hvert år med sin egen model"
        if r.bm.main.estimator == "cells"
        else "med samme model for alle perioder"
    )
    return ReportFigure(
        fig,
        caption=f"{narrative.genitive(r.case.name)} placering {span}, {fitted}",
        note=text
        + " Grå: de øvrige kommuner. Lodrette streger: marginale 95 pct.-rangkonfidensintervaller. "
        + _model_note(r, periods=span),
        source=_source(r),
        label="fig-over-tid",
    )


def history_intro(r: Report) -> narrative.Prose:
    """How the placement over time is computed (each year on its own, or one model for all periods)."""
    if r.bm.main.estimator == "cells":
        return narrative.Prose(
            "Hvert år har sin egen model, som i ministeriets benchmark; placeringerne sammenlignes derfor med "
            "årets egne rammevilkår."
        )
    return narrative.Prose(
        "Alle perioder indgår i samme model med en effekt for hver periode; en periodes placering bruger kun "
        "data til og med perioden. Perioderne er rullende 12 måneder og overlapper, så to naboperioder deler "
        "halvdelen af deres måneder."
        if r.bm.provenance.dataset == "y30r21"
        else "Alle perioder indgår i samme model med en effekt for hver periode; en periodes placering bruger "
        "kun data til og med perioden."
    )


def case_rank_sentence(r: Report) -> str:
    """Short text used in captions: '12. plads (7–19)'."""
    row = r.bm.tidy().set_index("code").loc[r.case.code]
    return f"{int(row['rank'])}. plads ({rank_interval(int(row['rank_lower']), int(row['rank_upper']))})"


def manifest_view(r: Report) -> ReportTable:
    """Bilag: the run manifest (git SHA, versions, input sha256, parameters, seed, timings)."""
    from analysis.report.manifest import build_manifest, manifest_table

    bm = r.bm
    params = r.params.notebook_values(r.declared)
    if "side_a" in params and bm.tradeoff is not None and bm.tradeoff.test is not None:
        params["side_a"] = ",".join(bm.tradeoff.test.side_a)  # the sides actually analysed
        params["side_b"] = ",".join(bm.tradeoff.test.side_b)
    params["period"] = bm.period
    params["benefits"] = bm.benefit_set.name
    manifest = build_manifest(
        parameters=params,
        seed=int(bm.params.seed),
        synthetic=bm.synthetic,
        timings=dict(bm.timings),
        extra={
            "data_source": "Syntetisk Danmark (syntetisk register)"
            if bm.synthetic
            else labels.data_label(bm.provenance)
        },
    )
    # The sha256 recorded when the benchmark was built, not a fresh hash of the files: a saved
    # benchmark can outlive or predate changes to its input files.
    manifest["inputs"] = dict(bm.provenance.inputs)
    return manifest_table(manifest)
