"""Tests of the StatBank client, cache, parser and aggregates builder.

Nothing here touches the network: ``urllib.request.urlopen`` is replaced for the whole module by a
function that fails, and the client gets an injected transport that replays fixtures or renders
responses in the StatBank CSV format from a seeded table of invented numbers.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
import unicodedata
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.core import validate
from analysis.core.benefits import GROUPS
from analysis.core.municipalities import registry
from analysis.data import statbank as sb

FIXTURES = Path(__file__).parent / "fixtures" / "statbank"


class NetworkUsed(AssertionError):
    pass


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise NetworkUsed("tests must not touch the network")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)


def read_fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


# ------------------------------------------------------------------------------------------------
# A fake StatBank: renders responses in the real CSV format from invented, seeded numbers
# ------------------------------------------------------------------------------------------------
# The test's own, hand-written reading of each benefit label (independent of BENEFIT_RULES).
AUK01_LABELS: dict[str, str | None] = {
    "I alt": None,
    "I alt uden SU-modtagere": None,
    "SU-modtagere": None,
    "Nettoledige i alt": None,
    "Nettoledige dagpengemodtagere": "dagpenge",
    "Nettoledige kontanthjælpsmodtagere (jobparate)": "kontanthjaelp",
    "Feriedagpenge": None,
    "Vejledning og opkvalificering i alt": None,
    "Støttet beskæftigelse i alt": None,
    "Fleksjob": "fleksjob",
    "Barselsdagpenge mv. i alt": None,
    "Barselsdagpenge": None,
    "Tilbagetrækning i alt": None,
    "Efterløn": None,
    "Førtidspension": "foertidspension",
    "Øvrige ydelsesmodtagere i alt": None,
    "Kontanthjælp (ikke-jobparate)": "kontanthjaelp",
    "Uddannelseshjælp": "kontanthjaelp",
    "Selvforsørgelses- og hjemrejseydelse samt overgangsydelse": "kontanthjaelp",
    "Revalideringsydelse i øvrigt": "kontanthjaelp",
    "Ledighedsydelse": "ledighedsydelse",
    "Sygedagpenge mv.": "sygedagpenge",
    "Ressourceforløb": "ressourceforloeb",
    "Jobafklaringsforløb": "sygedagpenge",
}
HERKOMST = {
    "I alt": None,
    "Personer med dansk oprindelse": "dansk",
    "Indvandrere fra vestlige lande": "vestlig",
    "Indvandrere fra ikke-vestlige lande": "ikke_vestlig",
    "Efterkommere fra vestlige lande": "vestlig",
    "Efterkommere fra ikke-vestlige lande": "ikke_vestlig",
}
HFUDD = {
    "I alt": None,
    "H10 Grundskole": "grundskole",
    "H20 Gymnasiale uddannelser": "mellem",
    "H30 Erhvervsfaglige uddannelser": "mellem",
    "H40 Korte videregående uddannelser, KVU": "videregaaende",
    "H50 Mellemlange videregående uddannelser, MVU": "videregaaende",
    "H60 Bacheloruddannelser, BACH": "videregaaende",
    "H70 Lange videregående uddannelser, LVU": "videregaaende",
    "H80 Ph.d. og forskeruddannelser": "videregaaende",
    "H90 Uoplyst mv.": None,
}
AGGREGATE_AREAS = ["Hele landet", "Region Hovedstaden", "Landsdel Fyn"]
# The same in English (lang=en), as in the real extracts under data/raw/dst-municipal-factors-dph.
AGGREGATE_AREAS_EN = [
    "All Denmark",
    "Region Hovedstaden",
    "Province Fyn",
    "Abroad",
    "Not stated municipality",
]
ENGLISH_NAMES = {"København": "Copenhagen"}
TOTAL_LABELS = {"KØN": "I alt", "ALDER": "Alder i alt", "CIVILSTAND": "I alt"}


def value(*key: object) -> int:
    """A deterministic invented count in 1..999 for a cell."""
    return int(hashlib.sha256("|".join(map(str, key)).encode()).hexdigest()[:8], 16) % 999 + 1


class FakeStatBank:
    """Transport that answers data requests like StatBank (Danish labels, ';', decimal comma)."""

    def __init__(
        self,
        names: list[str],
        *,
        missing_cell: tuple[str, str, str] | None = None,
        missing_cells: tuple[tuple[str, str, str], ...] = (),
        marker: str = "..",
        english_areas: bool = False,
        tables: tuple[str, ...] = sb.TABLES,
    ) -> None:
        self.names = names
        # (area, label, time) rendered as `marker`
        self.missing = {missing_cell, *missing_cells} - {None}
        self.marker = marker
        self.english_areas = english_areas  # area labels as lang=en gives them ("Copenhagen", ...)
        self.tables = tables  # tables whose missing_cell is rendered
        self.calls: list[sb.Request] = []

    def areas(self) -> list[str]:
        if self.english_areas:
            return AGGREGATE_AREAS_EN + [ENGLISH_NAMES.get(n, n) for n in self.names] + ["Christiansø"]
        return AGGREGATE_AREAS + self.names + ["Christiansø"]

    def expand(self, code: str, values: tuple[str, ...]) -> list[str]:
        if values == ("*",):
            return {
                "OMRÅDE": self.areas(),
                "BOPOMR": self.areas(),
                "YDELSESTYPE": list(AUK01_LABELS),
                "HERKOMST": list(HERKOMST),
                "HFUDD": list(HFUDD),
            }[code]
        if code == "ALDER" and values != ("TOT",):
            return [f"{v} år" for v in values]
        if code in TOTAL_LABELS:
            return [TOTAL_LABELS[code]]
        return list(values)

    def __call__(self, request: sb.Request, timeout: float) -> bytes:
        self.calls.append(request)
        dims = [(c.upper(), self.expand(c, v)) for c, v in request.variables]
        lines = [";".join([c for c, _ in dims] + ["INDHOLD"])]
        for combo in _product([v for _, v in dims]):
            area, time = combo[0], combo[-1]
            if request.table in self.tables and (area, combo[1], time) in self.missing:
                cell = self.marker
            elif request.table == "AULP01":
                cell = f"{value(request.table, *combo) / 10:.1f}".replace(".", ",")
            else:
                cell = str(value(request.table, *combo))
            lines.append(";".join([*combo, cell]))
        return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _product(lists):
    if not lists:
        yield ()
        return
    for head in lists[0]:
        for tail in _product(lists[1:]):
            yield (head, *tail)


@pytest.fixture
def names() -> list[str]:
    return registry().sort_values("code")["name"].tolist()


@pytest.fixture
def client_factory(tmp_path):
    def make(transport, **kw) -> sb.StatBankClient:
        return sb.StatBankClient(cache_dir=tmp_path / "cache", transport=transport, **kw)

    return make


# ------------------------------------------------------------------------------------------------
# Network guard and the urllib transport (with urlopen replaced)
# ------------------------------------------------------------------------------------------------
def test_network_is_blocked_in_this_module():
    with pytest.raises(NetworkUsed):
        urllib.request.urlopen("https://api.statbank.dk/v1/tables")


def test_urllib_transport_posts_json_and_reads_body(monkeypatch):
    seen = {}

    class Response(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def fake_urlopen(req, timeout):
        seen.update(url=req.full_url, body=req.data, method=req.get_method(), timeout=timeout)
        seen["ctype"] = req.get_header("Content-type")
        return Response(b"OMR\xc3\x85DE;TID;INDHOLD\n")

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    req = sb.requests_for_year(2023)["AULP01"]
    assert sb.urllib_transport(req, 7.0) == b"OMR\xc3\x85DE;TID;INDHOLD\n"
    assert seen["url"] == "https://api.statbank.dk/v1/data"
    assert seen["method"] == "POST"
    assert seen["timeout"] == 7.0
    assert seen["ctype"].startswith("application/json")
    body = json.loads(seen["body"])
    assert body["table"] == "AULP01"
    assert body["format"] == "CSV"
    assert body["lang"] == "da"
    assert {"code": "Tid", "values": ["2023"]} in body["variables"]


def test_urllib_transport_http_error_shows_statbank_message(monkeypatch):
    def fake_urlopen(req, timeout):
        raise urllib.error.HTTPError(
            req.full_url, 400, "Bad Request", {}, io.BytesIO(read_fixture("error_400.json"))
        )

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    req = sb.requests_for_year(2023)["AUK01"]
    with pytest.raises(sb.StatBankHTTPError) as info:
        sb.urllib_transport(req, 5.0)
    assert info.value.status == 400
    assert "findes ikke for variablen 'Tid'" in str(info.value)
    assert "AUK01" in str(info.value)
    assert "EXTRACT-NOTFOUND" in str(info.value)


def test_urllib_transport_network_failure(monkeypatch):
    def fake_urlopen(req, timeout):
        raise urllib.error.URLError("Name or service not known")

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    with pytest.raises(sb.StatBankNetworkError, match=r"api\.statbank\.dk.*FOLK1A.*timeout 3 s"):
        sb.urllib_transport(sb.requests_for_year(2023)["FOLK1A"], 3.0)


# ------------------------------------------------------------------------------------------------
# Requests
# ------------------------------------------------------------------------------------------------
def test_request_key_is_canonical_and_distinct():
    a = sb.requests_for_year(2023)
    b = sb.requests_for_year(2023)
    c = sb.requests_for_year(2022)
    assert a["AUK01"].key == b["AUK01"].key
    assert a["AUK01"].key != c["AUK01"].key
    assert len({r.filename for r in [*a.values(), *c.values()]}) == 10
    assert a["AUK01"].filename.startswith("AUK01-")
    assert a["AUK01"].filename.endswith(".csv")


def test_request_rejects_bad_choices():
    with pytest.raises(ValueError, match="format.*'CSV'"):
        sb.Request("AUK01", (("Tid", ("2023K1",)),), format="XLSX")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lang"):
        sb.Request("AUK01", lang="de")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="years"):
        sb.requests_for_year(1999)


# ------------------------------------------------------------------------------------------------
# Parser
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("612345", 612345.0), ("2,9", 2.9), ("1.234,5", 1234.5), ("-3,25", -3.25), (" 17 ", 17.0)],
)
def test_parse_number(text, expected):
    assert sb.parse_number(text) == expected


@pytest.mark.parametrize("text", ["..", "...", "-", ""])
def test_parse_number_missing_is_nan_not_zero(text):
    assert math.isnan(sb.parse_number(text))


def test_parse_number_rejects_text():
    with pytest.raises(ValueError, match="not a number"):
        sb.parse_number("n/a")


def test_parse_time():
    assert sb.parse_time("2024K4") == (2024, 4)
    assert sb.parse_time("2024Q1") == (2024, 1)
    assert sb.parse_time("2023") == (2023, None)
    with pytest.raises(ValueError, match="2021M01"):
        sb.parse_time("2021M01")


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("København", 101),
        ("Bornholm", 400),
        ("Bornholms Regionskommune", 400),
        ("Nyborg", 450),
        ("Læsø", 825),
        ("101", 101),
        ("0450", 450),
    ],
)
def test_area_code_municipalities(label, code):
    assert sb.area_code(label) == (code, "municipality")


@pytest.mark.parametrize(
    "label",
    [
        "Hele landet",
        "Region Hovedstaden",
        "Landsdel Fyn",
        "Christiansø",
        "411",
        "000",
        "084",
        "Udlandet",
        "Uoplyst kommune",
    ],
)
def test_area_code_excludes_aggregates_explicitly(label):
    code, reason = sb.area_code(label)
    assert code is None
    assert reason


def test_area_code_unknown_is_an_error():
    with pytest.raises(sb.StatBankFormatError, match="Atlantis"):
        sb.area_code("Atlantis")


def test_all_98_registry_names_resolve(names):
    assert [sb.area_code(n)[0] for n in names] == sorted(registry()["code"].tolist())


def test_parse_auk01_fixture():
    p = sb.parse_csv(
        read_fixture("AUK01_2024K4.csv"),
        table="AUK01",
        columns=["OMRÅDE", "YDELSESTYPE", "TID"],
        area_column="OMRÅDE",
    )
    df = p.data
    assert set(df["code"]) == {400, 450}
    assert set(p.excluded) == {"Hele landet", "Region Syddanmark", "Christiansø"}
    assert (df["year"] == 2024).all()
    assert (df["quarter"] == 4).all()
    cell = df[(df["code"] == 400) & (df["YDELSESTYPE"] == "Ledighedsydelse")]["value"]
    assert len(cell) == 1
    assert math.isnan(cell.iloc[0])
    assert p.missing_cells == 1  # the Christiansø '..' cells are excluded with the area
    nyborg_fp = df[(df["code"] == 450) & (df["YDELSESTYPE"] == "Førtidspension")]["value"]
    assert nyborg_fp.tolist() == [1210.0]


def test_parse_folk1a_fixture_with_bom_and_crlf():
    raw = read_fixture("FOLK1A_2024K1.csv")
    assert raw.startswith(b"\xef\xbb\xbf")
    p = sb.parse_csv(raw, table="FOLK1A", columns=["OMRÅDE", "ALDER", "TID"], area_column="OMRÅDE")
    assert "OMRÅDE" in p.data.columns  # the BOM did not stick to the first column name
    totals = p.data.groupby("code")["value"].sum()
    assert totals.to_dict() == {101: 9012 + 10234 + 4567, 400: 401 + 388 + 612, 450: 188 + 190 + 241}
    assert "Christiansø" in p.excluded
    assert "Region Hovedstaden" in p.excluded


def test_parse_aulp01_fixture_decimal_comma():
    p = sb.parse_csv(
        read_fixture("AULP01_2023.csv"), table="AULP01", columns=["OMRÅDE", "TID"], area_column="OMRÅDE"
    )
    got = p.data.set_index("code")["value"]
    assert got[450] == pytest.approx(2.6)
    assert got[400] == pytest.approx(3.4)
    assert math.isnan(got[825])
    assert p.excluded["Landsdel Fyn"].startswith("landsdel")


def test_parse_hfudd11_fixture_bopomr():
    p = sb.parse_csv(
        read_fixture("HFUDD11_2023.csv"),
        table="HFUDD11",
        columns=["BOPOMR", "HFUDD", "TID"],
        area_column="BOPOMR",
    )
    assert set(p.data["code"]) == {400, 450}
    assert {sb._education_kind(h) for h in p.data["HFUDD"]} == {
        None,
        "grundskole",
        "mellem",
        "videregaaende",
        "uoplyst",
    }


def test_parse_folk1e_fixture_origin_labels():
    p = sb.parse_csv(
        read_fixture("FOLK1E_2024K1.csv"),
        table="FOLK1E",
        columns=["OMRÅDE", "HERKOMST"],
        area_column="OMRÅDE",
    )
    kinds = {h: sb._herkomst_kind(h) for h in p.data["HERKOMST"]}
    assert kinds == HERKOMST


def test_malformed_json_body_names_table_and_request():
    req = sb.requests_for_year(2023)["AUK01"]
    with pytest.raises(sb.StatBankFormatError, match=r"AUK01 \[OMRÅDE=\*.*expected CSV"):
        sb.parse_csv(read_fixture("error_400.json"), table="AUK01", request=req)


def test_malformed_missing_column():
    with pytest.raises(sb.StatBankFormatError, match=r"HFUDD11.*missing column\(s\) \['HFUDD'\]"):
        sb.parse_csv(
            b"BOPOMR;TID;INDHOLD\nNyborg;2023;5\n", table="HFUDD11", columns=["BOPOMR", "HFUDD", "TID"]
        )


def test_malformed_row_width_and_bad_number():
    with pytest.raises(sb.StatBankFormatError, match=r"row\(s\) \[3\]"):
        sb.parse_csv("OMRÅDE;TID;INDHOLD\nNyborg;2023;5\nBornholm;2023\n", table="AULP01")
    with pytest.raises(sb.StatBankFormatError, match="line 2, column INDHOLD.*'fem'"):
        sb.parse_csv("OMRÅDE;TID;INDHOLD\nNyborg;2023;fem\n", table="AULP01")
    with pytest.raises(sb.StatBankFormatError, match="not semicolon-separated"):
        sb.parse_csv("OMRÅDE,TID,INDHOLD\nNyborg,2023,5\n", table="AULP01")


def test_unknown_area_label_is_an_error():
    with pytest.raises(sb.StatBankFormatError, match="unknown area 'Nyborgg'.*Nyborg"):
        sb.parse_csv("OMRÅDE;TID;INDHOLD\nNyborgg;2023;5\n", table="AULP01", area_column="OMRÅDE")


# ------------------------------------------------------------------------------------------------
# Benefit mapping
# ------------------------------------------------------------------------------------------------
def test_benefit_mapping_matches_hand_reading():
    got = {lab: sb.classify_benefit(lab)[0] for lab in AUK01_LABELS}
    assert got == AUK01_LABELS


def test_benefit_mapping_covers_every_group():
    covered = {sb.classify_benefit(lab)[0] for lab in AUK01_LABELS} - {None}
    assert covered == set(GROUPS)


@pytest.mark.parametrize(
    ("label", "reason"),
    [("I alt", "aggregate"), ("SU-modtagere", "SU"), ("Efterløn", "efterløn"), ("TOTLE", "aggregate")],
)
def test_benefit_exclusions_carry_a_reason(label, reason):
    group, why = sb.classify_benefit(label)
    assert group is None
    assert reason in why


def test_benefit_unknown_and_ambiguous_are_errors():
    with pytest.raises(sb.StatBankFormatError, match="unknown AUK01 benefit type 'Borgerløn'"):
        sb.classify_benefit("Borgerløn")
    with pytest.raises(sb.StatBankFormatError, match="ambiguous"):
        sb.classify_benefit("Fleksjob og ledighedsydelse")


# ------------------------------------------------------------------------------------------------
# Cache and client
# ------------------------------------------------------------------------------------------------
def test_cache_round_trip_with_provenance(tmp_path):
    cache = sb.Cache(tmp_path)
    req = sb.requests_for_year(2023)["AULP01"]
    data = read_fixture("AULP01_2023.csv")
    when = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    cache.put(req, data, retrieved=when)
    entry = cache.get(req)
    assert entry is not None
    assert entry.data == data
    meta = json.loads(cache.meta_path_for(req).read_text(encoding="utf-8"))
    assert meta["sha256"] == hashlib.sha256(data).hexdigest()
    assert meta["bytes"] == len(data)
    assert meta["retrieved_utc"] == "2026-11-23T09:30:00Z"
    assert meta["url"] == "https://api.statbank.dk/v1/data"
    assert meta["body"] == req.body()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_cache_detects_tampering(tmp_path):
    cache = sb.Cache(tmp_path)
    req = sb.requests_for_year(2023)["AULP01"]
    cache.put(req, read_fixture("AULP01_2023.csv"))
    path = cache.path_for(req)
    path.write_bytes(path.read_bytes().replace(b"2,6", b"2,5"))  # same size, different bytes
    with pytest.raises(sb.StatBankCacheError, match="does not match its sidecar"):
        cache.get(req)
    cache.meta_path_for(req).unlink()
    with pytest.raises(sb.StatBankCacheError, match="without its partner"):
        cache.get(req)


def test_client_cache_is_immutable_unless_refresh(tmp_path, names, client_factory):
    fake = FakeStatBank(names[:3])
    req = sb.requests_for_year(2023)["AULP01"]
    client = client_factory(fake)
    first = client.fetch(req)
    again = client.fetch(req)
    assert len(fake.calls) == 1
    assert again.meta == first.meta
    refreshed = client_factory(fake, refresh=True).fetch(req)
    assert len(fake.calls) == 2
    assert refreshed.path == first.path
    superseded = list((tmp_path / "cache" / "superseded").iterdir())
    assert len(superseded) == 2  # the old data file and its sidecar are kept


def test_offline_lists_exactly_the_missing_requests(tmp_path, names, client_factory):
    reqs = sb.requests_for_year(2023)
    client_factory(FakeStatBank(names[:3])).fetch(reqs["FOLK1A"])
    offline = client_factory(None, offline=True, fetch_command="kommunebench statbank fetch --years 2023")
    with pytest.raises(sb.MissingCacheError) as info:
        offline.fetch_many(list(reqs.values()))
    assert set(info.value.missing) == {r for t, r in reqs.items() if t != "FOLK1A"}
    msg = str(info.value)
    assert "4 StatBank request(s)" in msg
    assert "kommunebench statbank fetch --years 2023" in msg
    for t in ("AUK01", "FOLK1E", "HFUDD11", "AULP01"):
        assert f"- {t} [" in msg
    assert "FOLK1A" not in msg


def test_http_error_is_raised_and_nothing_cached(tmp_path, client_factory):
    req = sb.requests_for_year(2023)["AUK01"]

    def failing(request, timeout):
        raise sb.StatBankHTTPError(request, 400, sb._error_message(read_fixture("error_400.json")))

    with pytest.raises(sb.StatBankHTTPError, match="HTTP 400 for AUK01.*findes ikke"):
        client_factory(failing).fetch(req)
    assert not sb.Cache(tmp_path / "cache").contains(req)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"errorTypeCode":"EXTRACT-NOTALLOWED","message":"For mange celler"}', sb.StatBankHTTPError),
        (b"<html><body>Service unavailable</body></html>", sb.StatBankFormatError),
    ],
)
def test_bad_200_response_is_rejected_before_caching(tmp_path, client_factory, body, error):
    req = sb.requests_for_year(2023)["AULP01"]
    with pytest.raises(error, match="AULP01"):
        client_factory(lambda r, t: body).fetch(req)
    assert not sb.Cache(tmp_path / "cache").contains(req)


def test_tableinfo_is_cached_and_parsed(client_factory):
    calls = []

    def replay(request, timeout):
        calls.append(request)
        assert request.endpoint == "tableinfo"
        assert request.body() == {
            "table": "AUK01",
            "format": "JSON",
            "lang": "da",
        }
        return read_fixture("tableinfo_AUK01.json")

    client = client_factory(replay)
    info = client.tableinfo("AUK01")
    client.tableinfo("AUK01")
    assert len(calls) == 1
    ids = {v["id"]: [x["id"] for x in v["values"]] for v in info["variables"]}
    assert ids["OMRÅDE"][:3] == ["000", "084", "101"]
    assert "Tid" in ids


# ------------------------------------------------------------------------------------------------
# Aggregates
# ------------------------------------------------------------------------------------------------
def expected_aggregates(names: list[str], year: int, *, english_areas: bool = False) -> pd.DataFrame:
    """Independent computation of the aggregates from the fake's numbers and the hand mapping."""
    rows = []
    ages = [f"{a} år" for a in range(16, 67)]
    for registry_name in names:
        code = int(registry().set_index("name").loc[registry_name, "code"])
        name = ENGLISH_NAMES.get(registry_name, registry_name) if english_areas else registry_name
        pop = sum(value("FOLK1A", name, "I alt", a, "I alt", f"{year}K1") for a in ages)
        row = {"code": code, "year": year, "population": float(pop)}
        for g in GROUPS:
            labels = [lab for lab, grp in AUK01_LABELS.items() if grp == g]
            quarters = [
                sum(value("AUK01", name, lab, "I alt", "Alder i alt", f"{year}K{q}") for lab in labels)
                for q in range(1, 5)
            ]
            row[f"ft_{g}"] = float(np.mean(quarters))
        origin = {k: 0 for k in ("dansk", "vestlig", "ikke_vestlig")}
        for h, kind in HERKOMST.items():
            if kind:
                origin[kind] += sum(value("FOLK1E", name, "I alt", a, h, f"{year}K1") for a in ages)
        total = sum(origin.values())
        row["x_origin_vestlig"] = origin["vestlig"] / total
        row["x_origin_ikke_vestlig"] = origin["ikke_vestlig"] / total
        ed = {h: value("HFUDD11", name, h, str(year)) for h, k in HFUDD.items() if k and k != "uoplyst"}
        known = sum(ed.values())
        row["x_educ_grundskole"] = ed["H10 Grundskole"] / known
        row["x_educ_videregaaende"] = sum(v for h, v in ed.items() if HFUDD[h] == "videregaaende") / known
        row["x_unemployment_rate"] = value("AULP01", name, "Alder i alt", "I alt", str(year)) / 10
        rows.append(row)
    return pd.DataFrame(rows)


def test_build_aggregates_matches_independent_computation(names, client_factory):
    subset = [n for n in names if n in {"København", "Bornholm", "Nyborg", "Læsø", "Aalborg"}]
    client = client_factory(FakeStatBank(subset))
    got = sb.build_aggregates([2022, 2023], client=client, validate=False)
    want = pd.concat([expected_aggregates(subset, y) for y in (2022, 2023)], ignore_index=True)
    want = want.sort_values(["year", "code"], ignore_index=True)
    assert list(got.columns) == list(want.columns)
    # The sums are of integers below 2**53 and a few divisions: equal to rounding error only.
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12, check_dtype=False)
    assert got.attrs["synthetic"] is False
    assert len(got.attrs["inputs"]) == 10
    assert all(len(v["sha256"]) == 64 for v in got.attrs["inputs"].values())


def test_build_aggregates_is_deterministic_and_offline_reuses_cache(names, client_factory):
    subset = names[:4]
    online = client_factory(FakeStatBank(subset))
    first = sb.build_aggregates([2023], client=online, validate=False)
    offline = client_factory(None, offline=True)  # transport None would be urllib: must not be used
    second = sb.build_aggregates([2023], client=offline, validate=False)
    pd.testing.assert_frame_equal(first, second)


def test_missing_cell_stays_missing(names, client_factory):
    subset = ["Nyborg", "Bornholm"]
    fake = FakeStatBank(subset, missing_cell=("Nyborg", "Førtidspension", "2023K2"))
    got = sb.build_aggregates([2023], client=client_factory(fake), validate=False).set_index("code")
    assert math.isnan(got.loc[450, "ft_foertidspension"])
    assert not math.isnan(got.loc[400, "ft_foertidspension"])
    assert not math.isnan(got.loc[450, "ft_sygedagpenge"])


def test_build_aggregates_full_country_validates(names, client_factory):
    got = sb.build_aggregates([2023], client=client_factory(FakeStatBank(names)))
    assert sorted(got["code"]) == sorted(registry()["code"])


def test_build_aggregates_rejects_bad_years(client_factory):
    with pytest.raises(ValueError, match="duplicated"):
        sb.build_aggregates([2023, 2023], client=client_factory(None), validate=False)
    with pytest.raises(ValueError, match="at least one"):
        sb.build_aggregates([], client=client_factory(None), validate=False)


# ------------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------------
def statbank(argv, transport=None, monkeypatch=None):
    """``kommunebench statbank ARGV`` through the command line, with a fake transport."""
    from analysis import cli
    from analysis.cli import commands

    if transport is not None:
        monkeypatch.setattr(commands, "statbank_transport", lambda: transport)
    return cli.main(["statbank", *argv])


def test_cli_fetch_offline_reports_missing(tmp_path, capsys):
    rc = statbank(["fetch", "--years", "2023", "--offline", "--cache-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert rc == 2
    assert err.startswith("kommunebench statbank: error: ")
    assert err.count("\n") == 1
    assert "5 StatBank request(s)" in err
    assert "kommunebench statbank fetch --years 2023" in err


def test_cli_fetch_then_tables(tmp_path, monkeypatch, names, capsys):
    monkeypatch.setenv("KOMMUNEBENCH_ROOT", str(tmp_path))
    fake = FakeStatBank(names[:2])
    assert statbank(["fetch", "--years", "2023"], fake, monkeypatch) == 0
    assert len(fake.calls) == 5
    capsys.readouterr()
    assert statbank(["tables"]) == 0
    out = capsys.readouterr().out
    for t in sb.TABLES:
        assert t in out
    assert "cached responses in" in out
    assert ": 5" in out


def test_cli_build_writes_parquet(tmp_path, monkeypatch, names, capsys):
    from analysis.core.io import read_parquet_metadata

    cache = tmp_path / "cache"
    out = tmp_path / "agg.parquet"
    assert (
        statbank(["fetch", "--years", "2023", "--cache-dir", str(cache)], FakeStatBank(names), monkeypatch)
        == 0
    )
    rc = statbank(["build", "--years", "2023", "--offline", "--cache-dir", str(cache), "--out", str(out)])
    assert rc == 0, capsys.readouterr().err
    df = pd.read_parquet(out)
    assert len(df) == 98
    meta = read_parquet_metadata(out)
    assert meta["synthetic"] is False
    assert set(meta["columns"]) == set(df.columns)  # every column is described
    assert len(meta["inputs"]) == 5


def test_cli_rejects_bad_years(capsys):
    assert statbank(["fetch", "--years", "twenty"]) == 2
    assert capsys.readouterr().err == (
        "kommunebench statbank: error: --years: expected e.g. 2022,2023 or 2019-2023, got 'twenty'\n"
    )


# ------------------------------------------------------------------------------------------------
# Checking requests against tableinfo
# ------------------------------------------------------------------------------------------------
def auk01(**override) -> sb.Request:
    dims = {"OMRÅDE": ("*",), "YDELSESTYPE": ("FP",), "KØN": ("TOT",), "ALDER": ("TOT",), "Tid": ("2024K4",)}
    dims.update(override)
    return sb.Request("AUK01", tuple((k, v) for k, v in dims.items() if v is not None))


def test_check_request_against_tableinfo():
    info = json.loads(read_fixture("tableinfo_AUK01.json"))
    sb.check_request(auk01(), info)  # valid: no error
    sb.check_request(auk01(KØN=None), info)  # KØN is eliminable
    with pytest.raises(
        sb.StatBankFormatError, match=r"\['2030K1'\] not available for Tid; available: 2024K3"
    ):
        sb.check_request(auk01(Tid=("2030K1",)), info)
    with pytest.raises(sb.StatBankFormatError, match="cannot be left out"):
        sb.check_request(auk01(Tid=None), info)
    bad = sb.Request("AUK01", (("KOMMUNE", ("101",)), ("Tid", ("2024K4",))))
    with pytest.raises(sb.StatBankFormatError, match=r"unknown variable\(s\) \['KOMMUNE'\]"):
        sb.check_request(bad, info)


def test_client_check_stops_bad_request_before_data_call(client_factory):
    calls = []

    def replay(request, timeout):
        calls.append(request.endpoint)
        if request.endpoint == "tableinfo":
            return read_fixture("tableinfo_AUK01.json")
        return read_fixture("AUK01_2024K4.csv")

    client = client_factory(replay, check=True)
    assert client.fetch(auk01()).data == read_fixture("AUK01_2024K4.csv")
    with pytest.raises(sb.StatBankFormatError, match="2030K1"):
        client.fetch(auk01(Tid=("2030K1",)))
    assert calls == ["tableinfo", "data"]  # tableinfo fetched once, the bad request never sent


def test_cli_dispatch_through_kommunebench(tmp_path, monkeypatch, capsys):
    from analysis import cli

    monkeypatch.setenv("KOMMUNEBENCH_ROOT", str(tmp_path))
    assert cli.main(["statbank", "tables"]) == 0
    assert "AUK01" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["statbank", "--help"])
    assert "usage: kommunebench statbank" in capsys.readouterr().out


def test_missing_cell_fails_validation_instead_of_becoming_zero(names, client_factory):
    fake = FakeStatBank(names, missing_cell=("Nyborg", "Førtidspension", "2023K2"))
    with pytest.raises(validate.InputError) as info:
        sb.build_aggregates([2023], client=client_factory(fake))
    assert re.fullmatch(
        r"AUK01 2023: line \d+, column INDHOLD: no value \('\.\.'\) for OMRÅDE='Nyborg' \(450\), "
        r"YDELSESTYPE='Førtidspension', KØN='I alt', ALDER='Alder i alt', TID='2023K2'; the cell is "
        r"needed for ft_foertidspension\. StatBank gives no number where it is confidential or not "
        r"available; build with validate=False to keep NaN",
        str(info.value),
    )


# ------------------------------------------------------------------------------------------------
# Real English extracts (data/raw/dst-municipal-factors-dph/raw, lang=en, committed unchanged)
# ------------------------------------------------------------------------------------------------
REAL = Path(__file__).resolve().parents[1] / "data" / "raw" / "dst-municipal-factors-dph" / "raw"
#: file → (table, area column, number of periods), from PROVENANCE.md and the files themselves.
REAL_EXTRACTS: dict[str, tuple[str, str, int]] = {
    "auk01_social_assistance.csv": ("AUK01", "OMRÅDE", 76),
    "folk1am_population_by_municipality.csv": ("FOLK1AM", "OMRÅDE", 53),
    "folk1a_population_annual.csv": ("FOLK1A", "OMRÅDE", 5),
    "hfudd11_tot.csv": ("HFUDD11", "BOPOMR", 5),
    "hfudd11_h40.csv": ("HFUDD11", "BOPOMR", 5),
    "hfudd11_h50.csv": ("HFUDD11", "BOPOMR", 5),
    "hfudd11_h60.csv": ("HFUDD11", "BOPOMR", 5),
    "hfudd11_h70.csv": ("HFUDD11", "BOPOMR", 5),
    "hfudd11_h80.csv": ("HFUDD11", "BOPOMR", 5),
    "indkp101_income_by_municipality.csv": ("INDKP101", "OMRÅDE", 38),
    "lbesk69_employees_by_municipality.csv": ("LBESK69", "BOPKOM", 71),
}
#: Labels in these files that are neither a municipality nor a sum of municipalities.
REAL_OTHER_AREAS = {"Christiansø", "Abroad", "Not stated municipality", "Outside Denmark"}
#: Spot checks: (area label in the file, municipality code).
REAL_SPOT = [("Copenhagen", 101), ("Ta\u030arnby", 185), ("Bornholm", 400), ("Læsø", 825), ("Hjørring", 860)]


def read_real(name: str) -> tuple[list[str], list[dict[str, str]]]:
    """The raw file read independently of the parser: csv module, utf-8-sig, ';'."""
    with open(REAL / name, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter=";"))
    return list(rows[0]), rows


def parse_real(name: str) -> sb.ParsedTable:
    table, area, _ = REAL_EXTRACTS[name]
    header, _ = read_real(name)
    return sb.parse_csv(
        (REAL / name).read_bytes(),
        table=table,
        columns=[c for c in header if c != "INDHOLD"],
        area_column=area,
        lang="en",
        source=REAL / name,
    )


def test_real_extract_list_is_complete():
    assert sorted(p.name for p in REAL.glob("*.csv")) == sorted(REAL_EXTRACTS)
    assert (REAL / "auk01_social_assistance.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # BOM


@pytest.mark.parametrize("name", sorted(REAL_EXTRACTS))
def test_real_extract_all_98_municipalities_in_every_period(name):
    table, area, n_periods = REAL_EXTRACTS[name]
    _, rows = read_real(name)
    p = parse_real(name)
    df = p.data
    assert p.table == table
    assert p.missing_cells == 0
    assert df["TID"].nunique() == n_periods
    per_period = df.groupby("TID")["code"].apply(lambda c: sorted(c.tolist()))
    assert all(codes == sorted(registry()["code"]) for codes in per_period)  # 98, each once
    # Every area label is either kept or dropped by rule, and only listed aggregates are dropped.
    labels = {r[area] for r in rows}
    assert set(p.excluded) | set(df[area]) == labels
    assert set(p.excluded) <= set(sb.AREA_EXCLUDED)
    assert {"All Denmark", "Copenhagen"} <= labels
    assert "Copenhagen" not in p.excluded
    assert df.loc[df[area] == "Copenhagen", "code"].unique().tolist() == [101]
    for label in p.excluded:
        assert (
            label == "All Denmark" or label in REAL_OTHER_AREAS or label.startswith(("Region ", "Province "))
        )


@pytest.mark.parametrize("name", sorted(REAL_EXTRACTS))
def test_real_extract_values_match_the_raw_file(name):
    _, area, _ = REAL_EXTRACTS[name]
    _, rows = read_real(name)
    periods = sorted({r["TID"] for r in rows})
    raw = {(r[area], r["TID"]): float(r["INDHOLD"]) for r in rows}
    df = parse_real(name).data.set_index(["code", "TID"])["value"]
    for label, code in REAL_SPOT:
        for period in (periods[0], periods[-1]):
            file_label = unicodedata.normalize("NFC", label)  # the files are NFC: "Tårnby"
            assert df[(code, period)] == raw[(file_label, period)], (label, period)


@pytest.mark.parametrize(
    ("name", "tolerance"),
    [
        ("folk1a_population_annual.csv", 0),
        ("folk1am_population_by_municipality.csv", 0),
        ("hfudd11_tot.csv", 0),
        ("hfudd11_h70.csv", 0),
        # full-time equivalents are rounded area by area: the national total differs by a few
        ("auk01_social_assistance.csv", 10),
        ("lbesk69_employees_by_municipality.csv", 10),
    ],
)
def test_real_extract_municipalities_add_up_to_all_denmark(name, tolerance):
    """Nothing lost, nothing counted twice: the 98 (+ Christiansø, abroad, unknown) = All Denmark."""
    _, area, _ = REAL_EXTRACTS[name]
    _, rows = read_real(name)
    total = {r["TID"]: float(r["INDHOLD"]) for r in rows if r[area] == "All Denmark"}
    other: dict[str, float] = {}
    for r in rows:
        if r[area] in REAL_OTHER_AREAS:
            other[r["TID"]] = other.get(r["TID"], 0.0) + float(r["INDHOLD"])
    sums = parse_real(name).data.groupby("TID")["value"].sum()
    for period, national in total.items():
        assert abs(sums[period] + other.get(period, 0.0) - national) <= tolerance, period


def test_real_extract_periods():
    q = parse_real("auk01_social_assistance.csv").data
    assert (q["TID"].iloc[0], q["year"].iloc[0], q["quarter"].iloc[0]) == ("2007Q1", 2007, 1)
    m = parse_real("folk1am_population_by_municipality.csv").data
    first = m[m["TID"] == "2021M10"].iloc[0]
    assert (first["year"], first["month"]) == (2021, 10)
    assert m["quarter"].isna().all()
    a = parse_real("hfudd11_tot.csv").data
    assert a["quarter"].isna().all()
    assert a["month"].isna().all()
    assert sorted(a["year"].unique()) == [2008, 2011, 2015, 2019, 2022]


def test_real_auk01_builds_the_annual_benefit_column():
    """The builder's AUK01 step on the real extract: one benefit type, the year's four quarters."""
    name = "auk01_social_assistance.csv"
    _, rows = read_real(name)
    assert {r["YDELSESTYPE"] for r in rows} == {"Net unemployed recipients of social assistance"}
    assert sb.classify_benefit("Net unemployed recipients of social assistance")[0] == "kontanthjaelp"
    parsed = parse_real(name)
    got = sb.benefits_from_auk01(parsed, 2024, groups=("kontanthjaelp",), require=True)
    assert sorted(got.index) == sorted(registry()["code"])
    assert list(got.columns) == ["ft_kontanthjaelp"]
    for label, code in [("Copenhagen", 101), ("Nyborg", 450), ("Læsø", 825)]:
        quarters = [
            float(r["INDHOLD"]) for r in rows if r["OMRÅDE"] == label and r["TID"].startswith("2024Q")
        ]
        assert len(quarters) == 4
        assert got.loc[code, "ft_kontanthjaelp"] == pytest.approx(sum(quarters) / 4, rel=1e-12)
    with pytest.raises(
        sb.StatBankFormatError, match=r"AUK01 2024: no benefit types found for group\(s\) \['dagpenge'"
    ):
        sb.benefits_from_auk01(parsed, 2024)  # the extract is one slice: the full build needs every group


def test_real_hfudd11_and_folk1a_labels_are_understood():
    for name in ("hfudd11_tot.csv", "hfudd11_h40.csv", "hfudd11_h50.csv", "hfudd11_h60.csv"):
        _, rows = read_real(name)
        kinds = {sb._education_kind(r["HFUDD"]) for r in rows}
        assert kinds == ({None} if name == "hfudd11_tot.csv" else {"videregaaende"})
    # FOLK1A: the builder's per-municipality sum gives the file's population
    _, rows = read_real("folk1a_population_annual.csv")
    pop = sb._per_code(parse_real("folk1a_population_annual.csv").data.query("TID == '2022Q1'"), "population")
    want = {r["OMRÅDE"]: float(r["INDHOLD"]) for r in rows if r["TID"] == "2022Q1"}
    assert pop[101] == want["Copenhagen"]
    assert pop[400] == want["Bornholm"]
    assert len(pop) == 98


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("Total", None),
        ("Persons of Danish origin", "dansk"),
        ("Immigrants from western countries", "vestlig"),
        ("Immigrants from non-western countries", "ikke_vestlig"),
        ("Descendants from western countries", "vestlig"),
        ("Descendants from non-western countries", "ikke_vestlig"),
    ],
)
def test_english_origin_labels(label, kind):
    assert sb._herkomst_kind(label) == kind


# ------------------------------------------------------------------------------------------------
# Area labels: Danish and English, aggregates dropped by rule
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("Copenhagen", 101),
        ("COPENHAGEN", 101),
        ("København", 101),
        ("Koebenhavn", 101),
        ("Ta\u030arnby", 185),  # decomposed å
        ("Bornholms Regionskommune", 400),
        ("Nyborg Kommune", 450),
    ],
)
def test_area_code_english_and_danish_names(label, code):
    assert sb.area_code(label) == (code, "municipality")


@pytest.mark.parametrize(
    ("danish", "english"),
    [
        ("Hele landet", "All Denmark"),
        ("Region Hovedstaden", "Region Hovedstaden"),
        ("Landsdel Byen København", "Province Byen København"),
        ("Landsdel Bornholm", "Province Bornholm"),
        ("Landsdel Vest- og Sydsjælland", "Province Vest- og Sydsjælland"),
        ("Christiansø", "Christiansø"),
        ("Udlandet", "Abroad"),
        ("Uoplyst kommune", "Not stated municipality"),
    ],
)
def test_area_aggregates_are_dropped_by_rule_in_both_languages(danish, english):
    for label in (danish, english):
        assert label in sb.AREA_EXCLUDED
        code, reason = sb.area_code(label)
        assert code is None
        assert reason == sb.AREA_EXCLUDED[label]


def test_every_listed_aggregate_is_excluded_and_no_municipality_is_listed():
    assert len([k for k in sb.AREA_EXCLUDED if k.startswith("Region ")]) == 5
    assert len([k for k in sb.AREA_EXCLUDED if k.startswith("Province ")]) == 11
    assert len([k for k in sb.AREA_EXCLUDED if k.startswith("Landsdel ")]) == 11
    for label in sb.AREA_EXCLUDED:
        assert sb.area_code(label)[0] is None
    for label, code in sb.AREA_ALIASES.items():
        assert sb.area_code(label) == (code, "municipality")
    municipality_folds = {sb.fold(n) for n in registry()["name"]}
    assert not municipality_folds & {sb.fold(k) for k in sb.AREA_EXCLUDED}


@pytest.mark.parametrize(
    "label", ["Region Atlantis", "Province Bornholms omegn", "Greater Copenhagen", "Denmark"]
)
def test_area_labels_not_listed_are_errors_not_dropped(label):
    with pytest.raises(sb.StatBankFormatError, match=f"unknown area {label!r}: neither an aggregate listed"):
        sb.area_code(label)


def test_unknown_area_names_table_line_column_and_label():
    raw = "OMRÅDE;TID;INDHOLD\nAll Denmark;2023;1\nAtlantis;2023;5\n"
    with pytest.raises(validate.InputError) as info:
        sb.parse_csv(raw, table="FOLK1A", area_column="OMRÅDE")
    assert str(info.value) == (
        "FOLK1A: line 3, column OMRÅDE: unknown area 'Atlantis': neither an aggregate listed in "
        "analysis.data.statbank.AREA_EXCLUDED nor one of the 98 municipalities; see `kommunebench "
        "municipalities` for the 98 names"
    )


def test_format_errors_are_input_errors():
    assert issubclass(sb.StatBankFormatError, validate.InputError)
    assert issubclass(sb.StatBankFormatError, sb.StatBankError)


def test_build_aggregates_with_english_area_labels(names, client_factory):
    subset = [n for n in names if n in {"København", "Bornholm", "Nyborg", "Læsø"}]
    fake = FakeStatBank(subset, english_areas=True)
    got = sb.build_aggregates([2023], client=client_factory(fake), validate=False)
    want = expected_aggregates(subset, 2023, english_areas=True).sort_values("code", ignore_index=True)
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12, check_dtype=False)
    assert got["code"].tolist() == [101, 400, 450, 825]


def test_build_aggregates_full_country_english_areas_validates(names, client_factory):
    got = sb.build_aggregates([2023], client=client_factory(FakeStatBank(names, english_areas=True)))
    assert sorted(got["code"]) == sorted(registry()["code"])


# ------------------------------------------------------------------------------------------------
# One municipality under two labels
# ------------------------------------------------------------------------------------------------
def test_bornholm_under_two_labels_is_an_error_not_double_counted():
    req = sb.requests_for_year(2023)["AULP01"]
    raw = (
        "OMRÅDE;ALDER;KØN;TID;INDHOLD\n"
        "Hele landet;Alder i alt;I alt;2023;2,9\n"
        "Bornholm;Alder i alt;I alt;2023;28,1\n"
        "Bornholms Regionskommune;Alder i alt;I alt;2023;28,1\n"
        "Nyborg;Alder i alt;I alt;2023;2,6\n"
    )
    with pytest.raises(validate.InputError) as info:
        sb.parse_csv(raw, table="AULP01", request=req, area_column="OMRÅDE")
    assert str(info.value) == (
        "AULP01 [OMRÅDE=*; ALDER=TOT; KØN=TOT; Tid=2023]: area labels 'Bornholm' and "
        "'Bornholms Regionskommune' (column OMRÅDE) both map to municipality 400 Bornholm in the same "
        "cell ALDER='Alder i alt', KØN='I alt', TID='2023' (lines 3, 4): the municipality would be "
        "counted twice"
    )


def test_bornholm_population_under_two_labels_is_an_error():
    raw = (
        "OMRÅDE;KØN;ALDER;CIVILSTAND;TID;INDHOLD\n"
        "Bornholm;Total;Age, total;Total;2024Q1;27494\n"
        "Nyborg;Total;Age, total;Total;2024Q1;32000\n"
        "Bornholms Regionskommune;Total;Age, total;Total;2024Q1;27494\n"
    )
    with pytest.raises(sb.StatBankFormatError) as info:
        sb.parse_csv(raw, table="FOLK1A", area_column="OMRÅDE", lang="en")
    assert str(info.value) == (
        "FOLK1A: area labels 'Bornholm' and 'Bornholms Regionskommune' (column OMRÅDE) both map to "
        "municipality 400 Bornholm in the same cell KØN='Total', ALDER='Age, total', CIVILSTAND='Total', "
        "TID='2024Q1' (lines 2, 4): the municipality would be counted twice"
    )


def test_two_labels_in_different_cells_are_fine():
    raw = "OMRÅDE;TID;INDHOLD\nBornholm;2022;27,0\nBornholms Regionskommune;2023;28,1\n"
    p = sb.parse_csv(raw, table="AULP01", area_column="OMRÅDE")
    assert p.data.set_index("TID")["code"].to_dict() == {"2022": 400, "2023": 400}


def test_copenhagen_and_koebenhavn_together_are_an_error():
    raw = "OMRÅDE;TID;INDHOLD\nCopenhagen;2023;3,0\nKøbenhavn;2023;3,0\nNyborg;2023;2,6\nNyborg;2024;2,5\n"
    with pytest.raises(sb.StatBankFormatError) as info:
        sb.parse_csv(raw, table="AULP01", area_column="OMRÅDE")
    assert str(info.value) == (
        "AULP01: area labels 'Copenhagen' and 'København' (column OMRÅDE) both map to municipality 101 "
        "København in the same cell TID='2023' (lines 2, 3): the municipality would be counted twice"
    )


def test_the_same_row_twice_is_an_error():
    raw = "OMRÅDE;TID;INDHOLD\nNyborg;2023;2,6\nLæsø;2023;3,1\nNyborg;2023;2,6\nLæsø;2023;3,1\n"
    with pytest.raises(sb.StatBankFormatError) as info:
        sb.parse_csv(raw, table="AULP01", area_column="OMRÅDE")
    assert str(info.value) == (
        "AULP01: area label 'Nyborg' (column OMRÅDE, municipality 450 Nyborg) occurs 2 times in the "
        "same cell TID='2023' (lines 2, 4): the municipality would be counted twice (1 more duplicated "
        "cell(s))"
    )
    with pytest.raises(sb.StatBankFormatError) as info:
        sb.parse_csv(raw, table="AULP01")  # no area column: the whole cell is the key
    assert str(info.value) == (
        "AULP01: the cell OMRÅDE='Nyborg', TID='2023' occurs 2 times (lines 2, 4): it would be counted "
        "twice (1 more duplicated cell(s))"
    )


def test_build_aggregates_rejects_bornholm_under_two_labels(names, client_factory):
    fake = FakeStatBank([*names, "Bornholms Regionskommune"])
    with pytest.raises(validate.InputError) as info:
        sb.build_aggregates([2023], client=client_factory(fake))
    msg = str(info.value)
    assert msg.startswith(
        "AUK01 [OMRÅDE=*; YDELSESTYPE=*; KØN=TOT; ALDER=TOT; Tid=2023K1,2023K2,2023K3,2023K4]: "
    )
    assert (
        "area labels 'Bornholm' and 'Bornholms Regionskommune' (column OMRÅDE) both map to municipality "
        "400 Bornholm in the same cell YDELSESTYPE='I alt', KØN='I alt', ALDER='Alder i alt', TID='2023K1'"
    ) in msg


# ------------------------------------------------------------------------------------------------
# Cells without a value ('..', '-')
# ------------------------------------------------------------------------------------------------
def test_dash_cell_is_named_at_parse_time():
    raw = "OMRÅDE;TID;INDHOLD\nChristiansø;2023;-\nNyborg;2023;-\nLæsø;2023;..\nAssens;2023;2,4\n"
    p = sb.parse_csv(raw, table="AULP01", area_column="OMRÅDE")
    assert math.isnan(p.data.set_index("code").loc[450, "value"])  # NaN, never 0
    assert p.missing_cells == 2  # Christiansø is dropped with its area
    assert [m.describe() for m in p.missing] == [
        "line 3, column INDHOLD: no value ('-') for OMRÅDE='Nyborg' (450), TID='2023'",
        "line 4, column INDHOLD: no value ('..') for OMRÅDE='Læsø' (825), TID='2023'",
    ]
    with pytest.raises(validate.InputError) as info:
        sb.parse_csv(raw, table="AULP01", area_column="OMRÅDE", missing="error")
    assert str(info.value) == (
        "AULP01: line 3, column INDHOLD: no value ('-') for OMRÅDE='Nyborg' (450), TID='2023' "
        "(1 more cell(s) without a value)"
    )


def test_required_dash_cell_fails_the_build_naming_table_and_cell(client_factory):
    subset = ["Nyborg", "Svendborg"]
    fake = FakeStatBank(
        subset, missing_cell=("Nyborg", "Alder i alt", "2023"), marker="-", tables=("AULP01",)
    )
    with pytest.raises(validate.InputError) as info:
        sb.build_aggregates([2023], client=client_factory(fake))
    line = 2 + len(AGGREGATE_AREAS)  # header, the aggregates, then Nyborg
    assert str(info.value) == (
        f"AULP01 2023: line {line}, column INDHOLD: no value ('-') for OMRÅDE='Nyborg' (450), "
        "ALDER='Alder i alt', KØN='I alt', TID='2023'; the cell is needed for x_unemployment_rate. "
        "StatBank gives no number where it is confidential or not available; build with "
        "validate=False to keep NaN"
    )
    kept = sb.build_aggregates([2023], client=client_factory(fake), validate=False).set_index("code")
    assert math.isnan(kept.loc[450, "x_unemployment_rate"])
    assert not math.isnan(kept.loc[479, "x_unemployment_rate"])


def test_missing_cells_nothing_needs_are_fine(names, client_factory):
    """No value for an aggregate area or an excluded benefit type: nothing is built from them."""
    unused = (
        ("Christiansø", "Førtidspension", "2023K2"),
        ("Hele landet", "Førtidspension", "2023K2"),
        ("Region Hovedstaden", "Fleksjob", "2023K1"),
        ("Nyborg", "SU-modtagere", "2023K2"),
        ("Nyborg", "I alt", "2023K3"),
    )
    fake = FakeStatBank(names, missing_cells=unused, marker="-", tables=("AUK01",))
    assert fake(sb.requests_for_year(2023)["AUK01"], 1.0).count(b";-\r\n") == len(unused)
    got = sb.build_aggregates([2023], client=client_factory(fake))
    assert not got.isna().any().any()


# ------------------------------------------------------------------------------------------------
# Encoding and Unicode normalisation
# ------------------------------------------------------------------------------------------------
CP1252_BODY = "OMRÅDE;ALDER;KØN;TID;INDHOLD\nNyborg;Alder i alt;I alt;2023;2,6\n".encode("cp1252")


def test_cp1252_body_names_table_request_and_file():
    req = sb.requests_for_year(2023)["AULP01"]
    with pytest.raises(validate.InputError) as info:
        sb.parse_csv(CP1252_BODY, table="AULP01", request=req, source="cache/AULP01-0123456789abcdef.csv")
    assert str(info.value) == (
        "AULP01 [OMRÅDE=*; ALDER=TOT; KØN=TOT; Tid=2023]: the body of cache/AULP01-0123456789abcdef.csv "
        "is not UTF-8 (byte 0xc5 at offset 3, 'Å' in cp1252); Statistics Denmark sends UTF-8, so it was "
        "re-encoded on the way (e.g. saved as cp1252/Latin-1): re-fetch it with `kommunebench statbank "
        "fetch --refresh` rather than converting it"
    )
    with pytest.raises(sb.StatBankFormatError, match=r"^AULP01: the response body is not UTF-8"):
        sb.parse_csv(CP1252_BODY, table="AULP01")
    with pytest.raises(sb.StatBankFormatError, match=r"the body of https://api\.statbank\.dk/v1/data is not"):
        sb.parse_csv(CP1252_BODY, table="AULP01", request=req)


def test_cp1252_cache_file_fails_the_build_naming_the_file(tmp_path, client_factory):
    fake = FakeStatBank(["Nyborg", "Læsø"])
    sb.build_aggregates([2023], client=client_factory(fake), validate=False)  # fills the cache
    req = sb.requests_for_year(2023)["AULP01"]
    cache = sb.Cache(tmp_path / "cache")
    cache.put(req, fake(req, 1.0).decode("utf-8-sig").encode("cp1252"))  # a re-saved copy
    with pytest.raises(validate.InputError) as info:
        sb.build_aggregates([2023], client=client_factory(None, offline=True))
    msg = str(info.value)
    assert msg.startswith(
        f"AULP01 [OMRÅDE=*; ALDER=TOT; KØN=TOT; Tid=2023]: the body of {cache.path_for(req)} "
    )
    assert "is not UTF-8" in msg
    assert "re-fetch it with `kommunebench statbank fetch --refresh`" in msg


def test_cp1252_response_is_rejected_before_caching(tmp_path, client_factory):
    req = sb.requests_for_year(2023)["AULP01"]
    with pytest.raises(sb.StatBankFormatError) as info:
        client_factory(lambda r, t: CP1252_BODY).fetch(req)
    assert str(info.value).startswith(
        "AULP01 [OMRÅDE=*; ALDER=TOT; KØN=TOT; Tid=2023]: the body of https://api.statbank.dk/v1/data "
        "is not UTF-8 (byte 0xc5 at offset 3"
    )
    assert not sb.Cache(tmp_path / "cache").contains(req)


@pytest.mark.parametrize(
    "raw",
    [b"\xef\xbb\xbfOMR\xc3\x85DE;TID;INDHOLD\nNyborg;2023;5\n", "\ufeffOMRÅDE;TID;INDHOLD\nNyborg;2023;5\n"],
)
def test_utf8_bom_is_dropped(raw):
    p = sb.parse_csv(raw, table="FOLK1A", columns=["OMRÅDE", "TID"], area_column="OMRÅDE")
    assert p.data["code"].tolist() == [450]


def test_decomposed_names_are_normalised_to_nfc():
    raw = "OMRA\u030aDE;TID;INDHOLD\nTa\u030arnby;2023;5\nA\u030arhus;2023;7\nChristiansø;2023;1\n"
    p = sb.parse_csv(raw, table="FOLK1A", columns=["OMRÅDE", "TID"], area_column="OMRÅDE")
    assert p.data["code"].tolist() == [185, 751]
    assert p.data["OMRÅDE"].tolist() == ["Tårnby", "Århus"]  # kept in NFC
    assert p.data["OMRÅDE"].iloc[0] == unicodedata.normalize("NFC", "Ta\u030arnby")
    assert list(p.excluded) == ["Christiansø"]


def test_decomposed_and_composed_label_in_one_cell_is_a_duplicate():
    raw = "OMRÅDE;TID;INDHOLD\nTa\u030arnby;2023;5\nTårnby;2023;5\n"
    with pytest.raises(sb.StatBankFormatError) as info:
        sb.parse_csv(raw, table="FOLK1A", area_column="OMRÅDE")
    assert str(info.value) == (
        "FOLK1A: area label 'Tårnby' (column OMRÅDE, municipality 185 Tårnby) occurs 2 times in the "
        "same cell TID='2023' (lines 2, 3): the municipality would be counted twice"
    )


# ------------------------------------------------------------------------------------------------
# Numbers and periods in English extracts
# ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [("612345", 612345.0), ("2.9", 2.9), ("2.125", 2.125), ("1,234.5", 1234.5), ("-3.25", -3.25)],
)
def test_parse_number_english(text, expected):
    assert sb.parse_number(text, lang="en") == expected


def test_english_decimal_point_is_not_a_thousands_separator():
    raw = "OMRÅDE;TID;INDHOLD\nNyborg;2023;2.125\n"
    assert sb.parse_csv(raw, table="AULP01", area_column="OMRÅDE", lang="en").data["value"].tolist() == [
        2.125
    ]
    assert sb.parse_csv(raw, table="AULP01", area_column="OMRÅDE").data["value"].tolist() == [2125.0]


def test_parse_period():
    assert sb.parse_period("2024K4") == (2024, 4, None)
    assert sb.parse_period("2024Q1") == (2024, 1, None)
    assert sb.parse_period("2021M10") == (2021, None, 10)
    assert sb.parse_period("2023") == (2023, None, None)
    with pytest.raises(ValueError, match="'2021M13'"):
        sb.parse_period("2021M13")
