"""Every Danish label of the reports, in one place.

The model, the inference and the data layers speak in codes: benefit-group keys, term names
(``education[gymnasial]``), block codes (``demography``), note codes
(:data:`analysis.model.results.NOTE_CODES`), trade-off quadrant codes, reason codes for what a
data source cannot feed (:data:`analysis.data.sources.REASONS`). This module turns them into the
reports' Danish; nothing below the report layer holds report vocabulary.

Examples
--------
>>> term_label("education[videregaaende]")
'Uddannelse: videregående'
>>> benefit_label("bm2019")
'Benchmark fra 2019: også ledighedsydelse og ressourceforløb'
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from analysis.data.sources import Missing, Provenance

# --------------------------------------------------------------------------- benefit groups and sets
BENEFIT_LABELS: dict[str, str] = {
    "dagpenge": "A-dagpenge mv.",
    "kontanthjaelp": "Kontanthjælp mv.",
    "sygedagpenge": "Sygedagpenge mv.",
    "foertidspension": "Førtidspension",
    "fleksjob": "Fleksjob",
    "ledighedsydelse": "Ledighedsydelse",
    "ressourceforloeb": "Ressourceforløb",
}

SET_LABELS: dict[str, str] = {
    "bm2018": "Beskæftigelsesministeriets benchmark 2018: dagpenge, kontanthjælp og sygedagpenge",
    "bm2019": "Benchmark fra 2019: også ledighedsydelse og ressourceforløb",
    "all": "Alle ydelsesgrupper, også førtidspension og fleksjob",
}

SET_SHORT: dict[str, str] = {"bm2018": "Benchmark 2018", "bm2019": "Benchmark 2019", "all": "Alle ydelser"}


#: Labels of a benefit key where a dataset measures it differently from the benchmark's area.
DATASET_BENEFIT_LABELS: dict[tuple[str, str], str] = {
    ("y60a02", "kontanthjaelp"): "Kontanthjælp (jobindsats y60a02)",
}


def benefit_label(name: str, dataset: str = "") -> str:
    """Danish label of a benefit group or set name (``a+b`` sets list their groups).

    ``dataset`` names the measure behind the data (:attr:`Provenance.dataset`), where it differs
    from the benchmark's own areas (the monthly y60a02 kontanthjælp is narrower than Y30R21's
    "Kontanthjælp mv.").
    """
    if (dataset, name) in DATASET_BENEFIT_LABELS:
        return DATASET_BENEFIT_LABELS[(dataset, name)]
    if name in BENEFIT_LABELS:
        return BENEFIT_LABELS[name]
    if name in SET_LABELS:
        return SET_LABELS[name]
    parts = name.split("+")
    if all(p in BENEFIT_LABELS for p in parts):
        return join_da([BENEFIT_LABELS[p] for p in parts])
    return name


def set_short(name: str) -> str:
    """A short label for axis and column headings ("Benchmark 2018", "Alle ydelser")."""
    return SET_SHORT.get(name) or benefit_label(name)


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def join_da(items: Sequence[str]) -> str:
    """``a``, ``a og b``, ``a, b og c``."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " og " + items[-1]


def side_name(groups: Sequence[str]) -> str:
    """Lower-case Danish name of one side of the trade-off ("kontanthjælp mv.")."""
    return join_da([lower_first(BENEFIT_LABELS[g]) for g in groups])


# --------------------------------------------------------------------------- model terms
BLOCK_LABELS: dict[str, str] = {
    "demography": "Alder og køn",
    "education": "Uddannelse",
    "origin": "Herkomst",
    "family": "Familietype",
    "prior": "Tidligere offentlig forsørgelse",
    "local": "Lokalt arbejdsmarked",
    "year": "År",
    "total": "I alt",
}

_VAR_LABELS = {"education": "Uddannelse", "origin": "Herkomst", "family": "Familietype"}
_LEVEL_LABELS = {
    "grundskole": "grundskole",
    "gymnasial": "gymnasial",
    "erhvervsfaglig": "erhvervsfaglig",
    "videregaaende": "videregående",
    "dansk": "dansk",
    "vestlig": "vestlig indvandrer/efterkommer",
    "ikke_vestlig": "ikke-vestlig indvandrer/efterkommer",
    "enlig": "enlig uden børn",
    "enlig_boern": "enlig med børn",
    "par": "par uden børn",
    "par_boern": "par med børn",
}
LOCAL_LABELS: dict[str, str] = {
    "unemployment_rate": "Ledighedsprocent",
    "jobs_per_resident": "Job inden for pendlingsafstand pr. indbygger",
    "urbanisation": "Urbaniseringsgrad",
}


def _covariate_labels() -> dict[str, str]:
    from analysis.data.public.panel import COVARIATES

    out = {c.column[2:]: c.label_da for c in COVARIATES}
    out["komgrp"] = "Kommunegruppe (Danmarks Statistik)"
    out |= {f"komgrp_{g}": f"Kommunegruppe {g}" for g in range(2, 6)}
    return out


#: Public covariates (``x_<name>``, and the decomposition block ``komgrp``) of the aggregates model.
COVARIATE_LABELS: dict[str, str] = _covariate_labels()


def block_label(block: str) -> str:
    return BLOCK_LABELS.get(block) or COVARIATE_LABELS.get(block) or block.replace("_", " ").capitalize()


def term_label(term: str) -> str:
    """Danish label of a model term (e.g. ``education[gymnasial]`` → ``Uddannelse: gymnasial``)."""
    if term == "const":
        return "Konstant"
    if term in LOCAL_LABELS:
        return LOCAL_LABELS[term]
    if term.startswith("x_"):
        return COVARIATE_LABELS.get(term[2:]) or term[2:].replace("_", " ").capitalize()
    if "[" not in term:
        return term
    var, level = term[:-1].split("[", 1)
    if var == "age_sex":
        age, sex = level.split(":")
        return f"Alder {age} år, {sex}"
    if var == "prior":
        return f"Offentligt forsørget {level} af de forrige 5 år"
    if var == "year":
        return f"År {level}"
    return f"{_VAR_LABELS.get(var, var)}: {_LEVEL_LABELS.get(level, level)}"


SPEC_LABELS: dict[str, str] = {
    "pooled": "samlet model uden kommuneled (forventet = sum af forudsagte værdier)",
    "fe": "model med kommunespecifikke faste effekter",
}
ESTIMATOR_LABELS: dict[str, str] = {
    "cells": "lineær sandsynlighedsmodel estimeret med OLS på individniveau",
    "panel": "befolkningsvægtet OLS på kommunernes andele med periodeeffekter",
}


def note_label(code: str, items: Sequence[str] = ()) -> str:
    """Danish sentence for a :class:`~analysis.model.results.FitNote`."""
    if code == "local_absorbed":
        return (
            "Kommune-faste effekter: de lokale rammevilkår (" + ", ".join(items) + ") er konstante inden for "
            "kommunen og kan ikke identificeres; de er udeladt. Forventet = x'β + gennemsnitlig kommuneeffekt "
            "(personvægtet)."
        )
    if code == "empty_levels":
        return f"Udeladte kategorier uden personer i data: {', '.join(items)}."
    if code == "periods_pooled":
        return f"Personår fra {items[0]}–{items[-1]} er lagt sammen pr. kommune; modellen har årsdummies."
    if code == "period_effects":
        return f"Perioderne {items[0]}–{items[-1]} indgår med periodeeffekter i modellen."
    if code == "synthetic":
        return "Syntetiske data (Syntetisk Danmark) — ikke virkelige kommuners resultater."
    raise ValueError(f"note_label: unknown note code {code!r}")


# --------------------------------------------------------------------------- trade-off
QUADRANT_LABELS: dict[str, str] = {
    "a_better_b_worse": "bedre A, dårligere B",
    "a_worse_b_better": "dårligere A, bedre B",
    "both_better": "bedre på begge",
    "both_worse": "dårligere på begge",
}


# --------------------------------------------------------------------------- what a source lacks
def missing_sentence(m: Missing) -> str:
    """One Danish sentence saying why a report section is left out."""
    if m.reason == "no_jobcentre_data":
        what = {
            "categories": "Jobcenterindblikkets kategorier",
            "efficiency": "Effektivitetsanalysen (DEA)",
        }.get(m.analysis, "Afsnittet")
        return (
            f"{what} er udeladt, fordi datakilden ikke har jobcentrenes oplysninger om samtaler, "
            "aktive tilbud og udgifter."
        )
    if m.reason == "no_spells":
        return (
            "KL's resultatmål er udeladt, fordi datakilden ikke har forløb på personniveau "
            "(varighed og afgang til job)."
        )
    if m.reason == "no_side_groups":
        return (
            "Testen af de forbundne kar er udeladt, fordi datakilden ikke har "
            f"{join_da([lower_first(BENEFIT_LABELS.get(g, g)) for g in m.detail])} pr. kommune."
        )
    if m.reason == "no_all_groups":
        return (
            "Placeringen med alle ydelsesgrupper kan ikke beregnes, fordi datakilden ikke har "
            f"{join_da([lower_first(BENEFIT_LABELS.get(g, g)) for g in m.detail])} pr. kommune."
        )
    if m.reason == "not_published":
        return "Ministeriets egne tal findes ikke i de indlejrede data for denne datakilde."
    raise ValueError(f"missing_sentence: unknown reason {m.reason!r}")


# --------------------------------------------------------------------------- literature
REFERENCES: dict[str, str] = {
    "bm2018": "Beskæftigelsesministeriet (2018). *Benchmarking: Hvilke kommuner gør det godt?* Analysedesign ved VIVE.",
    "kl2010": "KL (2010). *Reform af beskæftigelsesindsatsen*. Oplæg, oktober 2010.",
    "kl2018": "KL (2018). Brev til Folketingets Beskæftigelsesudvalg om benchmarking af kommunernes "
    "beskæftigelsesindsats, BEU Alm.del Bilag 112 (2018-19).",
    "kl2020": "KL (2020). Brev til beskæftigelsesministeren om jobcenterindblik og skærpet tilsyn, 4. marts 2020.",
    "mogstad2024": "Mogstad, M., Romano, J. P., Shaikh, A. M. og Wilhelm, D. (2024). Inference for Ranks with "
    "Applications to Mobility across Neighbourhoods and Academic Achievement across Countries. *Review of "
    "Economic Studies* 91(1), 476–518.",
    "rigsrevisionen2018": "Rigsrevisionen (2018). *Beretning om jobcentrenes effektivitet*, nr. 5/2018.",
    "spearman1904": "Spearman, C. (1904). The proof and measurement of association between two things. "
    "*American Journal of Psychology* 15(1), 72–101.",
    "spiegelhalter2005": "Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance. "
    "*Statistics in Medicine* 24(8), 1185–1202.",
}
"""The works the reports cite, by key; each report lists only those it cites."""


# --------------------------------------------------------------------------- periods
_MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip


def period_label(period: str) -> str:
    """Danish text for a period: ``2024`` → ``2024``; ``2022QMAT04`` → ``2022``; ``2020QMAT02`` →
    ``juli 2019–juni 2020``."""
    if len(period) == 4:
        return period
    if re.fullmatch(r"\d{4}M\d{2}", period):
        year, month = int(period[:4]), int(period[5:])
        start_month, start_year = (month % 12) + 1, year - 1 if month < 12 else year
        return f"{_MONTHS[start_month - 1]} {start_year}–{_MONTHS[month - 1]} {year}"
    if "QMAT" in period:
        year, q = int(period[:4]), int(period[-2:])
        if q == 4:
            return str(year)
        months = ["marts", "juni", "september"]
        start = ["april", "juli", "oktober"][q - 1]
        return f"{start} {year - 1}–{months[q - 1]} {year}"
    return period


def period_short(period: str) -> str:
    """A short period label for axes: ``2024``; ``2020QMAT02`` → ``2019/20``; ``2026M07`` → ``2025/26``."""
    if len(period) == 4:
        return period
    year = int(period[:4])
    if period.endswith("QMAT04") or period.endswith("M12"):
        return str(year)
    return f"{year - 1}/{str(year)[2:]}"


# --------------------------------------------------------------------------- sources
SYNTHETIC_SOURCE = "Syntetiske data (Syntetisk Danmark), ikke virkelige tal"


def data_label(provenance: Provenance) -> str:
    """The cover's line on real data: "Offentlige data: Jobindsats.dk (STAR), måling Y30R21; …"."""
    kind = {"public": "Offentlige data", "folder": "Registerdata"}.get(provenance.kind, "Data")
    if provenance.tables:
        return f"{kind}: " + "; ".join(f"{who}, {table}" for who, table in provenance.tables)
    return kind


def source_line(provenance: Provenance, extra: str = "egne beregninger") -> str:
    """The "Kilde:" text of a figure or table made from ``provenance``'s data.

    Synthetic data always say so; real data name their publishers and tables.
    """
    if provenance.synthetic:
        base = SYNTHETIC_SOURCE
    elif provenance.tables:
        base = "; ".join(f"{who}, {table}" for who, table in provenance.tables)
    else:
        base = "Registerdata"
    extra = extra.strip().rstrip(".")
    return f"{base}; {extra}." if extra else f"{base}."


__all__ = [
    "BENEFIT_LABELS",
    "BLOCK_LABELS",
    "COVARIATE_LABELS",
    "ESTIMATOR_LABELS",
    "LOCAL_LABELS",
    "QUADRANT_LABELS",
    "REFERENCES",
    "SET_LABELS",
    "SPEC_LABELS",
    "SYNTHETIC_SOURCE",
    "benefit_label",
    "block_label",
    "data_label",
    "join_da",
    "lower_first",
    "missing_sentence",
    "note_label",
    "period_label",
    "period_short",
    "set_short",
    "side_name",
    "source_line",
    "term_label",
]
