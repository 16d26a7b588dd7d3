"""Danish in the reports: the prose of every municipality's case report reads right.

Checked for all 98 names (the sentences are built from names and numbers, so a rule that holds
for Nyborg can break for Aarhus): the genitive after s, x and z ("Aarhus' placering"), number
agreement ("1 plads", never "1 pladser" or "1 flere"), no brackets inside brackets, no sentence
that starts with a digit, and no "47 mod 47".
"""

from __future__ import annotations

import re

import pytest

from analysis.core.municipalities import codes, lookup
from analysis.report import narrative, views
from tests.conftest import make_report

ALL = codes()


@pytest.fixture(scope="module")
def texts(small_benchmark):
    """Case summary, placement-over-time text and the case captions, per municipality."""
    bm = small_benchmark
    history = bm.history
    out = {}
    for code in ALL:
        r = make_report(bm, "case", municipality=code)
        parts = [views.case_summary(r).markdown, narrative.rank_history_text(history, code)]
        parts.append(views.groups_table(r).caption)
        parts.append(views.yardsticks_table(r).caption)
        out[code] = "\n".join(parts)
    return out


def _sentences(text: str) -> list[str]:
    text = re.sub(r"^- ", "", text, flags=re.M)
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-ZÆØÅ0-9«])", text) if s.strip()]


@pytest.mark.parametrize("code", ALL)
def test_genitive_after_s_x_z(texts, code):
    name = lookup(code).name
    if name[-1].lower() in "sxz":
        assert f"{name}s " not in texts[code]
        assert narrative.genitive(name) == f"{name}'"
    else:
        assert narrative.genitive(name) == f"{name}s"


@pytest.mark.parametrize("code", ALL)
def test_number_agreement(texts, code):
    text = texts[code]
    for bad in (
        r"\b1 pladser\b",
        r"\b1 fuldtidspersoner\b",
        r"\b1 kommuner\b",
        r"\b1 flere\b",
        r"\b1 færre\b",
    ):
        assert not re.search(bad, text), (bad, text)


@pytest.mark.parametrize("code", ALL)
def test_no_brackets_inside_brackets(texts, code):
    depth = 0
    for ch in texts[code]:
        if ch == "(":
            depth += 1
            assert depth == 1, texts[code]
        elif ch == ")":
            depth -= 1


@pytest.mark.parametrize("code", ALL)
def test_no_sentence_starts_with_a_digit_and_no_n_mod_n(texts, code):
    for s in _sentences(texts[code]):
        assert not s[0].isdigit(), s
    assert not re.search(r"\b(\d+) mod \1\b", texts[code])


def test_the_known_s_names_are_all_covered():
    """The names the issue listed, and every other name ending in s, x or z."""
    names = {lookup(c).name for c in ALL}
    listed = {
        "Aarhus",
        "Assens",
        "Halsnæs",
        "Horsens",
        "Norddjurs",
        "Nordfyns",
        "Randers",
        "Stevns",
        "Syddjurs",
    }
    assert listed <= names
    assert {n for n in names if n[-1] in "sxz"} >= listed
