"""Statistics Denmark StatBank client, response cache with provenance, and CSV parser.

Statistics Denmark publishes its StatBank through a public, key-free API
(``https://api.statbank.dk/v1``). This module fetches the few tables the municipality-level model
needs, keeps every response as an immutable raw file with a provenance sidecar, parses the
semicolon-separated Danish CSV, and builds the municipality × year *aggregates* table
(``code, year, population, ft_<group>…, x_*``; see ``docs/architecture.md``).

Tables
------
AUK01
    Full-time recipients of public benefits (fuldtidsmodtagere) by area, benefit type, sex and
    age, quarterly (``2023K1``). Becomes ``ft_<group>``: the mean of the year's four quarters.
FOLK1A
    Population on the first day of the quarter by area, sex, age and marital status. Becomes
    ``population``: persons aged 16–66 on 1 January.
FOLK1E
    Population by area, sex, age and origin (herkomst). Becomes ``x_origin_vestlig`` and
    ``x_origin_ikke_vestlig``.
HFUDD11
    Highest completed education by residence. Becomes ``x_educ_grundskole`` and
    ``x_educ_videregaaende``.
AULP01
    Full-time unemployed in per cent of the labour force. Becomes ``x_unemployment_rate``.

Benefit types in AUK01 are mapped onto :data:`analysis.core.benefits.GROUPS` by
:func:`classify_benefit` (rules in :data:`BENEFIT_RULES`); aggregates ("I alt", "... i alt") and
out-of-scope types (SU, efterløn, barselsdagpenge, ...) are excluded explicitly and an
unrecognised label is an error, never silently dropped. The rules were written from the
published codes and labels of the table (``TOT``, ``SU``, ``DP``, ``FP``, ``FL``, ``LY``, ``SY``,
``RES``, ``JA``, ...); AUK01 has about 41 benefit types, so the first real fetch is the check of
the full list: a label the rules do not know stops the build with a message naming it.

Parsing
-------
:func:`parse_csv` reads Danish (``lang=da``) and English (``lang=en``) responses alike, such as
the real English extracts in ``data/raw/dst-municipal-factors-dph/raw``:

* the body must be UTF-8 (a BOM is dropped); anything else fails naming the table and the cache
  file or URL, and the client refuses to cache such a body;
* every label is brought to Unicode NFC, so a decomposed "Ta\u030arnby" is "Tårnby";
* area labels map to municipality codes through :func:`area_code`: the aggregates listed in
  :data:`AREA_EXCLUDED` ("Hele landet"/"All Denmark", regions, "Landsdel …"/"Province …",
  Christiansø, "Udlandet"/"Abroad", "Uoplyst kommune"/"Not stated municipality") are dropped
  by that rule and reported in :attr:`ParsedTable.excluded`; "Copenhagen" is København
  (:data:`AREA_ALIASES`); any other label that is not a municipality is an error naming the
  table, the line and the label;
* two rows in the same cell (same municipality, time and other dimensions) are an error naming
  both labels, e.g. "Bornholm" and "Bornholms Regionskommune", never a sum;
* a cell without a value (``..``, ``-``, empty) is NaN, never 0, and is listed with its line,
  area label, time and dimensions in :attr:`ParsedTable.missing`; :func:`build_aggregates`
  fails on the ones a column is built from, naming them (cells of aggregate areas or of
  excluded benefit types may be missing).

Cache
-----
Each request is stored under :func:`analysis.core.paths.statbank_cache_dir` as
``<TABLE>-<hash>.<ext>`` where ``<hash>`` is the SHA-256 of the canonical JSON request body, with
a sidecar ``<TABLE>-<hash>.meta.json`` holding the URL, the body, the UTC retrieval time, the
SHA-256 and the byte size. A cached file is checked against its sidecar whenever it is read.
The cache is immutable: a request already cached is not fetched again unless ``refresh=True``,
and a refresh moves the previous pair to ``superseded/`` instead of deleting it.

References
----------
Statistics Denmark, "Databank API" (``https://api.statbank.dk``), functions ``tableinfo`` and
``data``; licence CC 4.0 BY.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from analysis.core import paths
from analysis.core.benefits import GROUPS
from analysis.core.io import atomic_path, write_json_atomic
from analysis.core.municipalities import UnknownMunicipalityError, fold, lookup, name_of
from analysis.core.params import check_choice
from analysis.core.validate import InputError

API_BASE = "https://api.statbank.dk/v1"
SOURCE = "Danmarks Statistik, Statistikbanken (api.statbank.dk), CC 4.0 BY"
DEFAULT_TIMEOUT = 60.0

Endpoint = Literal["data", "tableinfo"]
DataFormat = Literal["CSV", "BULK", "JSON"]
Lang = Literal["da", "en"]
TableId = Literal["AUK01", "FOLK1A", "FOLK1E", "HFUDD11", "AULP01"]

ENDPOINTS: tuple[str, ...] = get_args(Endpoint)
FORMATS: tuple[str, ...] = get_args(DataFormat)
LANGS: tuple[str, ...] = get_args(Lang)
TABLES: tuple[str, ...] = get_args(TableId)

AGES_16_66: tuple[str, ...] = tuple(str(a) for a in range(16, 67))

#: What each supported table is used for (shown by ``kommunebench statbank tables``).
TABLE_DESCRIPTIONS: dict[str, str] = {
    "AUK01": "Offentligt forsørgede (fuldtidsmodtagere) efter område, ydelsestype, køn, alder (kvartal)"
    " -> ft_<group>",
    "FOLK1A": "Befolkningen den 1. i kvartalet efter område, køn, alder, civilstand -> population (16-66)",
    "FOLK1E": "Befolkningen efter område, køn, alder, herkomst -> x_origin_vestlig, x_origin_ikke_vestlig",
    "HFUDD11": "Befolkningens højest fuldførte uddannelse efter bopælsområde -> x_educ_grundskole,"
    " x_educ_videregaaende",
    "AULP01": "Fuldtidsledige i pct. af arbejdsstyrken efter område -> x_unemployment_rate",
}


# --------------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------------
class StatBankError(RuntimeError):
    """Base class of every error raised by this module."""


class StatBankHTTPError(StatBankError):
    """The API answered with an HTTP error; ``message`` is StatBank's own error text."""

    def __init__(self, request: Request, status: int, message: str) -> None:
        self.request, self.status, self.message = request, status, message
        super().__init__(f"StatBank HTTP {status} for {request.describe()}: {message}")


class StatBankNetworkError(StatBankError):
    """The API could not be reached (DNS, refused connection, timeout)."""


class StatBankFormatError(StatBankError, InputError):
    """A response is not what was asked for: not UTF-8, not CSV, missing columns, unknown labels,
    duplicated or missing cells.

    It is also an :class:`analysis.core.validate.InputError` (a ``ValueError``): a response that
    breaks its data contract is bad input, reported like any other input table.
    """


class StatBankCacheError(StatBankError):
    """A cached file does not match its sidecar (size or SHA-256), or the sidecar is unreadable."""


class MissingCacheError(StatBankError):
    """Offline mode found requests that are not in the cache; ``missing`` lists them."""

    def __init__(self, missing: Sequence[Request], command: str) -> None:
        self.missing = tuple(missing)
        self.command = command
        lines = [f"{len(self.missing)} StatBank request(s) are not in the cache (offline mode):"]
        lines += [f"  - {r.describe()}" for r in self.missing]
        lines.append(f"fetch them with: {command}")
        super().__init__("\n".join(lines))


# --------------------------------------------------------------------------------------------------
# Requests
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    """One StatBank API call, hashable and canonical.

    Parameters
    ----------
    table
        Table id, e.g. ``"AUK01"``.
    variables
        ``((code, (value, ...)), ...)`` in the order the API should return columns. ``("*",)``
        asks for every value. A variable left out is *eliminated* (StatBank returns its total).
    endpoint
        ``"data"`` or ``"tableinfo"``.
    format
        ``"CSV"`` or ``"BULK"`` for data, ``"JSON"`` for tableinfo.
    lang
        ``"da"`` (Danish labels, decimal comma) or ``"en"``.
    """

    table: str
    variables: tuple[tuple[str, tuple[str, ...]], ...] = ()
    endpoint: Endpoint = "data"
    format: DataFormat = "CSV"
    lang: Lang = "da"

    def __post_init__(self) -> None:
        check_choice("endpoint", self.endpoint, ENDPOINTS)
        check_choice("format", self.format, FORMATS)
        check_choice("lang", self.lang, LANGS)
        if not re.fullmatch(r"[A-Z0-9]+", self.table or ""):
            raise ValueError(f"table: expected a StatBank table id like 'AUK01', got {self.table!r}")
        if self.endpoint == "tableinfo" and (self.format != "JSON" or self.variables):
            raise ValueError("tableinfo requests take format='JSON' and no variables")
        if self.endpoint == "data" and self.format == "JSON":
            raise ValueError("format: data requests take 'CSV' or 'BULK'")
        for item in self.variables:
            if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], tuple) and item[1]):
                raise ValueError(f"variables: expected (code, (value, ...)) pairs, got {item!r}")

    @property
    def url(self) -> str:
        return f"{API_BASE}/{self.endpoint}"

    def body(self) -> dict[str, Any]:
        """The JSON body POSTed to the API."""
        out: dict[str, Any] = {"table": self.table, "format": self.format, "lang": self.lang}
        if self.endpoint == "data":
            if self.format == "CSV":
                out["delimiter"] = "Semicolon"
            out["variables"] = [{"code": c, "values": list(v)} for c, v in self.variables]
        return out

    def body_bytes(self) -> bytes:
        return json.dumps(self.body(), ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()

    @property
    def key(self) -> str:
        """SHA-256 of the canonical request (endpoint + body), hex."""
        return hashlib.sha256(self.endpoint.encode() + b"\n" + self.body_bytes()).hexdigest()

    @property
    def filename(self) -> str:
        ext = "json" if self.format == "JSON" else "csv"
        return f"{self.table}-{self.key[:16]}.{ext}"

    def describe(self) -> str:
        if self.endpoint == "tableinfo":
            return f"{self.table} tableinfo"
        parts = []
        for code, values in self.variables:
            shown = ",".join(values) if len(values) <= 4 else f"{values[0]}..{values[-1]} ({len(values)})"
            parts.append(f"{code}={shown}")
        return f"{self.table} [{'; '.join(parts)}]"


def tableinfo_request(table: str, *, lang: Lang = "da") -> Request:
    """The ``tableinfo`` call for ``table`` (variables and their value codes)."""
    return Request(table=table, endpoint="tableinfo", format="JSON", lang=lang)


def check_request(request: Request, info: Mapping[str, Any]) -> None:
    """Check a data request against the table's ``tableinfo`` before sending it.

    Every variable code must exist in the table, every value other than ``*`` must be one of the
    variable's value ids, and a variable left out must be eliminable.

    Raises
    ------
    StatBankFormatError
        Naming the table, the variable and (a sample of) the allowed values.
    """
    variables = info.get("variables")
    if not isinstance(variables, list):
        raise StatBankFormatError(f"{request.table} tableinfo: no 'variables' list in the response")
    by_id = {str(v.get("id")): v for v in variables if isinstance(v, dict)}
    asked = {code for code, _ in request.variables}
    unknown = sorted(asked - set(by_id))
    if unknown:
        raise StatBankFormatError(
            f"{request.describe()}: unknown variable(s) {unknown}; {request.table} has {sorted(by_id)}"
        )
    for code, values in request.variables:
        allowed = [str(v.get("id")) for v in by_id[code].get("values", [])]
        bad = [v for v in values if v != "*" and v not in allowed]
        if bad:
            sample = ", ".join(allowed[:5] + (["..."] + allowed[-3:] if len(allowed) > 8 else allowed[5:]))
            raise StatBankFormatError(
                f"{request.describe()}: value(s) {bad} not available for {code}; available: {sample}"
            )
    for code, var in by_id.items():
        if code not in asked and not var.get("elimination", False):
            raise StatBankFormatError(
                f"{request.describe()}: variable {code} cannot be left out (not eliminable)"
            )


# --------------------------------------------------------------------------------------------------
# Transport
# --------------------------------------------------------------------------------------------------
#: ``transport(request, timeout) -> bytes``; raises :class:`StatBankHTTPError` or
#: :class:`StatBankNetworkError`. Tests pass a replaying transport.
Transport = Callable[["Request", float], bytes]


def _error_message(raw: bytes) -> str:
    """StatBank's message from a JSON error body (``{"errorTypeCode": ..., "message": ...}``)."""
    text = raw.decode("utf-8-sig", errors="replace").strip()
    try:
        obj = json.loads(text)
    except ValueError:
        return text[:500] or "(empty body)"
    if isinstance(obj, dict):
        msg = obj.get("message") or obj.get("Message") or obj.get("error")
        code = obj.get("errorTypeCode")
        if msg:
            return f"{msg} ({code})" if code else str(msg)
    return text[:500]


def urllib_transport(request: Request, timeout: float) -> bytes:
    """POST ``request`` to the API with :mod:`urllib.request` (the default transport)."""
    req = urllib.request.Request(
        request.url,
        data=request.body_bytes(),
        headers={"Content-Type": "application/json; charset=utf-8", "Accept": "*/*"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.read()
    except urllib.error.HTTPError as exc:
        raise StatBankHTTPError(request, exc.code, _error_message(exc.read() or b"")) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise StatBankNetworkError(
            f"could not reach {request.url} for {request.describe()}: {reason} (timeout {timeout:g} s)"
        ) from exc


# --------------------------------------------------------------------------------------------------
# Cache
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CacheEntry:
    """A verified cached response."""

    path: Path
    data: bytes
    meta: dict[str, Any]


class Cache:
    """Immutable file cache of StatBank responses with provenance sidecars."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else paths.statbank_cache_dir()

    def path_for(self, request: Request) -> Path:
        return self.directory / request.filename

    def meta_path_for(self, request: Request) -> Path:
        p = self.path_for(request)
        return p.with_name(p.name.rsplit(".", 1)[0] + ".meta.json")

    def contains(self, request: Request) -> bool:
        return self.path_for(request).exists() and self.meta_path_for(request).exists()

    def get(self, request: Request) -> CacheEntry | None:
        """The cached response, verified against its sidecar; ``None`` if not cached.

        Raises
        ------
        StatBankCacheError
            If the file or its sidecar is missing its partner, unreadable, or the bytes do not
            match the recorded size and SHA-256 (a tampered or truncated file).
        """
        path, meta_path = self.path_for(request), self.meta_path_for(request)
        if not path.exists() and not meta_path.exists():
            return None
        if not (path.exists() and meta_path.exists()):
            lone = path if path.exists() else meta_path
            raise StatBankCacheError(f"{lone}: cache file without its partner ({request.describe()})")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise StatBankCacheError(f"{meta_path}: unreadable sidecar: {exc}") from exc
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if meta.get("sha256") != sha or meta.get("bytes") != len(data):
            raise StatBankCacheError(
                f"{path}: content does not match its sidecar {meta_path.name} (expected sha256 "
                f"{meta.get('sha256')}, {meta.get('bytes')} bytes; found {sha}, {len(data)} bytes). "
                "The raw cache is immutable: restore the file or re-fetch with --refresh."
            )
        if meta.get("body") != request.body():
            raise StatBankCacheError(f"{meta_path}: recorded request body differs from {request.describe()}")
        return CacheEntry(path=path, data=data, meta=meta)

    def put(self, request: Request, data: bytes, *, retrieved: datetime | None = None) -> CacheEntry:
        """Store ``data`` for ``request`` (atomically); an existing pair moves to ``superseded/``."""
        path, meta_path = self.path_for(request), self.meta_path_for(request)
        when = (retrieved or datetime.now(UTC)).astimezone(UTC)
        stamp = when.strftime("%Y%m%dT%H%M%SZ")
        if path.exists() or meta_path.exists():
            old = self.directory / "superseded"
            old.mkdir(parents=True, exist_ok=True)
            for p in (path, meta_path):
                if p.exists():
                    shutil.move(str(p), old / f"{stamp}-{p.name}")
        meta = {
            "table": request.table,
            "endpoint": request.endpoint,
            "url": request.url,
            "method": "POST",
            "body": request.body(),
            "retrieved_utc": when.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "source": SOURCE,
        }
        self.directory.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            tmp.write_bytes(data)
        write_json_atomic(meta, meta_path)
        return CacheEntry(path=path, data=data, meta=meta)

    def entries(self) -> list[dict[str, Any]]:
        """Sidecars of every cached response (sorted by file name)."""
        out = []
        if not self.directory.exists():
            return out
        for meta_path in sorted(self.directory.glob("*.meta.json")):
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except ValueError:
                meta = {"table": "?", "error": "unreadable sidecar"}
            meta["file"] = meta_path.name.replace(".meta.json", "")
            out.append(meta)
        return out


# --------------------------------------------------------------------------------------------------
# Client
# --------------------------------------------------------------------------------------------------
class StatBankClient:
    """Fetch StatBank responses through the cache.

    Parameters
    ----------
    cache_dir
        Cache folder; default :func:`analysis.core.paths.statbank_cache_dir`.
    transport
        Callable doing the HTTP POST (default :func:`urllib_transport`); injectable for tests.
    offline
        Only read the cache; missing requests raise :class:`MissingCacheError`.
    refresh
        Fetch again even when cached (the old file moves to ``superseded/``).
    timeout
        Network timeout in seconds.
    fetch_command
        The command line suggested when something is missing offline.
    check
        Before fetching a data request that is not cached, fetch (and cache) the table's
        ``tableinfo`` and check the request against it with :func:`check_request`.
    """

    def __init__(
        self,
        *,
        cache_dir: str | Path | None = None,
        transport: Transport | None = None,
        offline: bool = False,
        refresh: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        fetch_command: str = "kommunebench statbank fetch",
        check: bool = False,
    ) -> None:
        if offline and refresh:
            raise ValueError("offline and refresh cannot both be set: a refresh needs the network")
        if timeout <= 0:
            raise ValueError(f"timeout: must be positive seconds, got {timeout!r}")
        self.cache = Cache(cache_dir)
        self.transport: Transport = transport or urllib_transport
        self.offline, self.refresh, self.timeout = offline, refresh, float(timeout)
        self.fetch_command = fetch_command
        self.check = check

    def missing(self, requests: Iterable[Request]) -> list[Request]:
        return [r for r in requests if not self.cache.contains(r)]

    def fetch(self, request: Request) -> CacheEntry:
        """Return the (verified) response to ``request``, from the cache or the network."""
        return self.fetch_many([request])[0]

    def fetch_many(self, requests: Sequence[Request]) -> list[CacheEntry]:
        """Fetch several requests (results in input order).

        Offline, *all* missing requests are reported in one :class:`MissingCacheError` before
        anything is read. Online, a response is checked (an API error body or non-CSV text is
        rejected) before it is written to the cache.
        """
        unique = list(dict.fromkeys(requests))
        if self.offline:
            missing = self.missing(unique)
            if missing:
                raise MissingCacheError(missing, self.fetch_command)
        got: dict[Request, CacheEntry] = {}
        for req in unique:
            entry = None if self.refresh else self.cache.get(req)
            if entry is None:
                if self.check and req.endpoint == "data":
                    check_request(req, self.tableinfo(req.table))
                data = self.transport(req, self.timeout)
                _check_response(req, data)
                entry = self.cache.put(req, data)
            got[req] = entry
        return [got[r] for r in requests]

    def tableinfo(self, table: str) -> dict[str, Any]:
        """The table's metadata (``variables`` with their ``values``), cached like data."""
        entry = self.fetch(tableinfo_request(table))
        return json.loads(entry.data.decode("utf-8-sig"))


def _check_response(request: Request, data: bytes) -> None:
    """Reject an obviously wrong body (API error, not CSV, not UTF-8) before it reaches the cache."""
    text = data[:2000].decode("utf-8-sig", errors="replace").lstrip()
    if request.format == "JSON":
        try:
            obj = json.loads(data.decode("utf-8-sig"))
        except ValueError as exc:
            raise StatBankFormatError(f"{request.describe()}: response is not JSON: {text[:200]!r}") from exc
        if isinstance(obj, dict) and "errorTypeCode" in obj:
            raise StatBankHTTPError(request, 400, _error_message(data))
        return
    if text.startswith("{") or text.startswith("["):
        raise StatBankHTTPError(request, 400, _error_message(data))
    _decode(data, request.describe(), request.url)  # not UTF-8: rejected, never cached
    if not text or ";" not in text.splitlines()[0]:
        raise StatBankFormatError(
            f"{request.describe()}: response is not semicolon-separated CSV: {text[:200]!r}"
        )


# --------------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------------
MISSING_MARKERS = frozenset({"..", "...", "-", ""})
_DANISH_NUMBER = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+(,\d+)?$")
_ENGLISH_NUMBER = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_TIME = re.compile(r"^(\d{4})(?:([KQ])([1-4]))?$")
_PERIOD = re.compile(r"^(\d{4})(?:([KQ])([1-4])|M(0[1-9]|1[0-2]))?$")


def parse_number(text: str, *, lang: Lang = "da") -> float:
    """Parse a StatBank cell; ``..``/``...``/``-``/empty (StatBank's "no value") → NaN.

    With ``lang="da"`` the decimal mark is a comma and ``.`` groups thousands (``"1.234,5"``);
    with ``lang="en"`` the decimal mark is a point and ``,`` groups thousands (``"1,234.5"``).

    Raises
    ------
    ValueError
        For anything else that is not a number.
    """
    t = text.strip().replace("\u00a0", "")
    if t in MISSING_MARKERS:
        return float("nan")
    if lang == "en":
        t = t.replace(",", "") if _ENGLISH_NUMBER.match(t) else t
    else:
        if _DANISH_NUMBER.match(t):
            t = t.replace(".", "")
        t = t.replace(",", ".")
    try:
        return float(t)
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None


def _parse_numbers(cells: pd.Series, where: str, lines: np.ndarray, lang: Lang = "da") -> np.ndarray:
    """Vectorised :func:`parse_number` over a column; the first bad cell is reported by line."""
    text = cells.astype(str).str.strip().str.replace("\u00a0", "", regex=False)
    missing = text.isin(MISSING_MARKERS).to_numpy()
    if lang == "en":
        grouped = text.str.match(_ENGLISH_NUMBER.pattern).to_numpy()
        plain = text.where(~grouped, text.str.replace(",", "", regex=False))
    else:
        grouped = text.str.match(_DANISH_NUMBER.pattern).to_numpy()
        plain = text.where(~grouped, text.str.replace(".", "", regex=False))
        plain = plain.str.replace(",", ".", regex=False)
    plain = plain.where(~missing, "nan")
    values = pd.to_numeric(plain, errors="coerce").to_numpy(dtype="float64")
    bad = np.flatnonzero(np.isnan(values) & ~missing)
    if bad.size:
        i = int(bad[0])
        raise StatBankFormatError(
            f"{where}: line {int(lines[i])}, column INDHOLD: not a number: {cells.iloc[i]!r}"
            + (f" (and {bad.size - 1} more)" if bad.size > 1 else "")
        )
    return values


def parse_time(text: str) -> tuple[int, int | None]:
    """``"2024K4"``/``"2024Q4"`` → ``(2024, 4)``; ``"2024"`` → ``(2024, None)``.

    Monthly codes (``"2021M10"``) are rejected: the result has no place for a month (see
    :func:`parse_period`, which the parser uses).
    """
    m = _TIME.match(text.strip())
    if not m:
        raise ValueError(f"unsupported StatBank time code {text!r}: expected YYYY, YYYYKn or YYYYQn")
    return int(m.group(1)), (int(m.group(3)) if m.group(3) else None)


def parse_period(text: str) -> tuple[int, int | None, int | None]:
    """``(year, quarter, month)`` of a StatBank time code.

    ``"2024"`` → ``(2024, None, None)``; ``"2024K4"``/``"2024Q4"`` → ``(2024, 4, None)``;
    ``"2021M10"`` → ``(2021, None, 10)``. English extracts write quarters as ``Q``, Danish ones
    as ``K``.

    Raises
    ------
    ValueError
        For any other code.
    """
    m = _PERIOD.match(text.strip())
    if not m:
        raise ValueError(f"unsupported StatBank time code {text!r}: expected YYYY, YYYYKn, YYYYQn or YYYYMmm")
    quarter = int(m.group(3)) if m.group(3) else None
    month = int(m.group(4)) if m.group(4) else None
    return int(m.group(1)), quarter, month


_REGION_NAMES = ("Hovedstaden", "Sjælland", "Syddanmark", "Midtjylland", "Nordjylland")
_LANDSDEL_NAMES = (
    "Byen København",
    "Københavns omegn",
    "Nordsjælland",
    "Bornholm",
    "Østsjælland",
    "Vest- og Sydsjælland",
    "Fyn",
    "Sydjylland",
    "Østjylland",
    "Vestjylland",
    "Nordjylland",
)
_CHRISTIANSOE = "Christiansø is administered by the state, not one of the 98 municipalities"

#: Area labels that are *not* municipalities, as StatBank writes them in Danish (``lang=da``) and
#: English (``lang=en``), each with the reason it is dropped: the national total, the 5 regions,
#: the 11 landsdele (English "Province …"), Christiansø, abroad and unknown municipality. A label
#: is dropped only if it is listed here (compared after :func:`analysis.core.municipalities.fold`,
#: so case, spacing and æ/ø/å spelling do not matter); any other label must be a municipality.
AREA_EXCLUDED: dict[str, str] = {
    "Hele landet": "national total",
    "All Denmark": "national total",
    "I alt": "national total",
    "Total": "national total",
    **{f"Region {r}": "region (aggregate of municipalities)" for r in _REGION_NAMES},
    **{f"Landsdel {p}": "landsdel (aggregate of municipalities)" for p in _LANDSDEL_NAMES},
    **{f"Province {p}": "province (landsdel, aggregate of municipalities)" for p in _LANDSDEL_NAMES},
    "Christiansø": _CHRISTIANSOE,
    "Udlandet": "abroad",
    "Abroad": "abroad",
    "Outside Denmark": "abroad",
    "Uoplyst kommune": "unknown municipality",
    "Kommune uoplyst": "unknown municipality",
    "Uoplyst": "unknown municipality",
    "Not stated municipality": "unknown municipality",
    "Municipality not stated": "unknown municipality",
    "Not stated": "unknown municipality",
    "Unknown": "unknown municipality",
    "Unknown municipality": "unknown municipality",
}

#: Area labels naming a municipality by a name the registry does not use (label → code). DST's
#: English labels give every municipality its Danish name except København, which is
#: "Copenhagen". ("Bornholms Regionskommune" and "… Kommune" are handled by ``fold``.)
AREA_ALIASES: dict[str, int] = {"Copenhagen": 101}

_AREA_EXCLUDED_FOLDED: dict[str, str] = {fold(k): v for k, v in AREA_EXCLUDED.items()}
_AREA_ALIASES_FOLDED: dict[str, int] = {fold(k): v for k, v in AREA_ALIASES.items()}
_AREA_EXCLUDED_CODES: dict[int, str] = {
    0: "national total",
    411: _CHRISTIANSOE,
    997: "unknown municipality",
    998: "unknown municipality",
    999: "abroad / unknown",
}


def area_code(label: str) -> tuple[int | None, str]:
    """Map an area label or code to a municipality code, or ``(None, reason)`` if excluded.

    The label is brought to Unicode NFC first ("Ta\\u030arnby" with a combining ring is
    Tårnby). Then, in order: a number is a code (un-padded ``"101"`` or padded ``"0450"``;
    ``000``, regions and landsdele below 100, Christiansø 411 and 997–999 are aggregates); a
    label in :data:`AREA_EXCLUDED` (Danish or English: "Hele landet"/"All Denmark", "Region …",
    "Landsdel …"/"Province …", "Christiansø", "Udlandet"/"Abroad", "Uoplyst kommune"/"Not
    stated municipality", …) is excluded with its reason; a label in :data:`AREA_ALIASES`
    ("Copenhagen") is that municipality; anything else goes through
    :func:`analysis.core.municipalities.lookup` ("København", "Bornholm", "Bornholms
    Regionskommune", "Nyborg Kommune").

    Raises
    ------
    StatBankFormatError
        For a label that is neither a municipality nor a listed aggregate (the message names the
        label and the closest municipality names); never dropped silently.

    Examples
    --------
    >>> area_code("Copenhagen"), area_code("København"), area_code("0101")
    ((101, 'municipality'), (101, 'municipality'), (101, 'municipality'))
    >>> area_code("Province Bornholm")
    (None, 'province (landsdel, aggregate of municipalities)')
    """
    text = unicodedata.normalize("NFC", label).strip()
    if text.isdigit():
        num = int(text)
        if num in _AREA_EXCLUDED_CODES:
            return None, _AREA_EXCLUDED_CODES[num]
        if num < 100:
            return None, "region or landsdel code (aggregate)"
        try:
            return lookup(num).code, "municipality"
        except UnknownMunicipalityError as exc:
            raise StatBankFormatError(f"unknown area code {text!r}: {exc}") from None
    folded = fold(text)
    if folded in _AREA_EXCLUDED_FOLDED:
        return None, _AREA_EXCLUDED_FOLDED[folded]
    if folded in _AREA_ALIASES_FOLDED:
        return _AREA_ALIASES_FOLDED[folded], "municipality"
    try:
        return lookup(text).code, "municipality"
    except UnknownMunicipalityError as exc:
        hint = str(exc).split(": ", 1)[-1]
        raise StatBankFormatError(
            f"unknown area {text!r}: neither an aggregate listed in analysis.data.statbank.AREA_EXCLUDED "
            f"nor one of the 98 municipalities; {hint}"
        ) from None


@dataclass(frozen=True)
class MissingCell:
    """A cell StatBank gave without a value (``..``, ``...``, ``-`` or empty), and where it is.

    ``line`` is the line in the response (the header is line 1); ``area`` the area label as
    written and ``code`` its municipality; ``cell`` the values of the other dimensions, in the
    order of the header (time included); ``marker`` the text of the cell.
    """

    table: str
    line: int
    area: str | None
    code: int | None
    cell: tuple[tuple[str, str], ...]
    marker: str
    area_column: str | None = None

    def describe(self) -> str:
        """E.g. ``line 5, column INDHOLD: no value ('-') for OMRÅDE='Nyborg' (450), TID='2023'``."""
        parts = [f"{self.area_column}={self.area!r} ({self.code})"] if self.area_column else []
        parts += [f"{k}={v!r}" for k, v in self.cell]
        return f"line {self.line}, column INDHOLD: no value ({self.marker!r}) for {', '.join(parts)}"


@dataclass(frozen=True)
class ParsedTable:
    """A parsed StatBank CSV response.

    ``data`` holds one row per municipality cell: ``code`` (int), the other dimension columns as
    text (NFC), ``year``/``quarter``/``month`` when the table has a time column, ``line`` (the
    line in the response, for messages) and ``value`` (float, NaN where StatBank gives no value:
    ``..``, ``-``; see :attr:`missing`). ``excluded`` maps each dropped area label to its reason.
    ``missing`` lists the municipality cells without a value, each naming its line, area label,
    time and other dimensions.
    """

    table: str
    data: pd.DataFrame
    excluded: Mapping[str, str] = field(default_factory=dict)
    missing: tuple[MissingCell, ...] = ()

    @property
    def missing_cells(self) -> int:
        """The number of municipality cells without a value."""
        return len(self.missing)

    def missing_in(self, lines: Iterable[int]) -> list[MissingCell]:
        """The missing cells among the given response ``lines``, in line order."""
        wanted = {int(n) for n in lines}
        return [m for m in self.missing if m.line in wanted]


def _decode(raw: bytes | str, where: str, origin: str | None) -> str:
    """Response text: UTF-8 with a BOM dropped, in Unicode NFC.

    Raises
    ------
    StatBankFormatError
        If the bytes are not UTF-8, naming ``where`` (table and request) and ``origin`` (the cache
        file or URL) and the first offending byte.
    """
    if isinstance(raw, bytes | bytearray):
        data = bytes(raw)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            byte = data[exc.start : exc.start + 1]
            as_cp1252 = byte.decode("cp1252", errors="replace")
            place = f"the body of {origin}" if origin else "the response body"
            raise StatBankFormatError(
                f"{where}: {place} is not UTF-8 (byte 0x{byte.hex()} at offset {exc.start}, "
                f"{as_cp1252!r} in cp1252); Statistics Denmark sends UTF-8, so it was re-encoded on "
                "the way (e.g. saved as cp1252/Latin-1): re-fetch it with `kommunebench statbank "
                "fetch --refresh` rather than converting it"
            ) from None
    else:
        text = raw
    return unicodedata.normalize("NFC", text.lstrip("\ufeff"))


def _describe_cell(row: Mapping[str, Any], dims: Sequence[str]) -> str:
    return ", ".join(f"{c}={row[c]!r}" for c in dims) or "(no other dimension)"


def _quote_all(labels: Sequence[str]) -> str:
    q = [repr(x) for x in labels]
    return q[0] if len(q) == 1 else f"{', '.join(q[:-1])} and {q[-1]}"


def _check_duplicates(df: pd.DataFrame, where: str, area: str | None, dims: Sequence[str]) -> None:
    """Fail if two rows fall in the same cell (same municipality, time and other dimensions)."""
    key = ["code", *dims] if area is not None else list(dims)
    if not key:
        return
    dup = df.duplicated(subset=key, keep=False)
    if not dup.any():
        return
    clashes = list(df[dup].groupby(key, sort=False, dropna=False))
    _, first = clashes[0]
    row = first.iloc[0]
    lines = ", ".join(str(int(n)) for n in first["line"])
    cell = _describe_cell(row, dims)
    if area is not None:
        labels = list(dict.fromkeys(first[area]))
        muni = f"municipality {int(row['code'])} {name_of(int(row['code']))}"
        if len(labels) > 1:
            verb = "both map" if len(labels) == 2 else "all map"
            what = f"area labels {_quote_all(labels)} (column {area}) {verb} to {muni}"
        else:
            what = f"area label {labels[0]!r} (column {area}, {muni}) occurs {len(first)} times"
        msg = (
            f"{where}: {what} in the same cell {cell} (lines {lines}): the municipality would be "
            "counted twice"
        )
    else:
        msg = f"{where}: the cell {cell} occurs {len(first)} times (lines {lines}): it would be counted twice"
    if len(clashes) > 1:
        msg += f" ({len(clashes) - 1} more duplicated cell(s))"
    raise StatBankFormatError(msg)


def parse_csv(
    raw: bytes | str,
    *,
    table: str,
    columns: Sequence[str] | None = None,
    area_column: str | None = None,
    request: Request | None = None,
    source: str | Path | None = None,
    lang: Lang | None = None,
    missing: Literal["keep", "error"] = "keep",
) -> ParsedTable:
    r"""Parse a StatBank CSV response (``;``-separated, UTF-8 with or without BOM).

    Every label is brought to Unicode NFC before it is matched or kept.

    Parameters
    ----------
    raw
        Response bytes (or text).
    table
        Table id, used in error messages.
    columns
        Expected dimension columns (upper case, as StatBank writes them, e.g. ``"TID"``); the
        value column ``INDHOLD`` is always expected. Default: the request's variable codes.
    area_column
        The area column (``OMRÅDE``, ``BOPOMR``, ``BOPKOM``); its labels are mapped to
        municipality codes with :func:`area_code` (Danish or English labels) and the aggregates
        in :data:`AREA_EXCLUDED` are dropped (listed in :attr:`ParsedTable.excluded`).
    request
        The request, for error messages, default ``columns`` and default ``lang``.
    source
        Where the bytes come from (cache file or URL), named when the body cannot be decoded.
        Default: the request's URL.
    lang
        ``"da"`` (decimal comma, ``.`` groups thousands) or ``"en"`` (decimal point, ``,`` groups
        thousands). Default: the request's language, else ``"da"``.
    missing
        What to do with a municipality cell without a value (``..``, ``...``, ``-``, empty):
        ``"keep"`` (default) keeps it as NaN, never 0, and lists it in
        :attr:`ParsedTable.missing` with its line, area label, time and other dimensions (the
        aggregates builder then fails on the ones it needs, naming them); ``"error"`` fails here,
        naming the first such cell. Cells of dropped aggregate areas are not checked.

    Raises
    ------
    StatBankFormatError
        An :class:`analysis.core.validate.InputError` naming the table (and the request) when:
        the body is not UTF-8 (naming the cache file or URL); it is not ``;``-separated CSV; a
        column is missing; a row has the wrong width; a cell is not a number (line and column
        named); a time code is not a StatBank period; an area label is neither a municipality
        nor a listed aggregate (line, column and label named); two rows map to the same
        municipality and cell, e.g. "Bornholm" and "Bornholms Regionskommune" (both labels, the
        municipality and the cell named); or, with ``missing="error"``, a cell has no value.

    Examples
    --------
    >>> raw = "OMRÅDE;TID;INDHOLD\nHele landet;2023;2,9\nNyborg;2023;2,6\nLæsø;2023;..\n"
    >>> p = parse_csv(raw, table="AULP01", columns=["OMRÅDE", "TID"], area_column="OMRÅDE")
    >>> p.data[["code", "year", "value"]].to_string(index=False)
    ' code  year  value\n  450  2023    2.6\n  825  2023    NaN'
    >>> dict(p.excluded)
    {'Hele landet': 'national total'}
    >>> p.missing[0].describe()
    "line 4, column INDHOLD: no value ('..') for OMRÅDE='Læsø' (825), TID='2023'"
    """
    check_choice("missing", missing, ("keep", "error"))
    where = request.describe() if request is not None else table
    origin = str(source) if source is not None else (request.url if request is not None else None)
    lang = lang or (request.lang if request is not None else "da")
    check_choice("lang", lang, LANGS)
    text = _decode(raw, where, origin)
    stripped = text.lstrip()
    if stripped.startswith("{") or stripped.startswith("<"):
        raise StatBankFormatError(f"{where}: expected CSV, got {stripped[:200]!r}")
    reader = csv.reader(io.StringIO(text), delimiter=";")
    rows: list[list[str]] = []
    line_numbers: list[int] = []
    for r in reader:
        if any(c.strip() for c in r):
            rows.append(r)
            line_numbers.append(reader.line_num)
    if not rows:
        raise StatBankFormatError(f"{where}: empty response")
    header = [h.strip().upper() for h in rows[0]]
    if len(header) < 2:
        raise StatBankFormatError(f"{where}: not semicolon-separated CSV (header {rows[0]!r})")
    if columns is None and request is not None:
        columns = [c.upper() for c, _ in request.variables]
    expected = [unicodedata.normalize("NFC", c).upper() for c in (columns or [])] + ["INDHOLD"]
    absent = [c for c in expected if c not in header]
    if absent:
        raise StatBankFormatError(f"{where}: missing column(s) {absent}; header is {header}")
    body = rows[1:]
    lines = np.asarray(line_numbers[1:], dtype="int64")
    bad = [int(lines[i]) for i, r in enumerate(body) if len(r) != len(header)]
    if bad:
        raise StatBankFormatError(
            f"{where}: row(s) {bad[:10]} have a different number of fields than the header"
        )
    df = pd.DataFrame(body, columns=header, dtype=object)
    markers = df["INDHOLD"].astype(str).str.strip()
    values = _parse_numbers(df["INDHOLD"], where, lines, lang)
    df = df.drop(columns="INDHOLD")
    for c in df.columns:
        df[c] = df[c].astype(str).str.strip()
    dims = list(df.columns)
    df["line"] = lines
    df["value"] = values
    if "TID" in df.columns:
        periods: dict[str, tuple[int, int | None, int | None]] = {}
        for t in df["TID"].unique():
            try:
                periods[t] = parse_period(t)
            except ValueError as exc:
                raise StatBankFormatError(f"{where}: column TID: {exc}") from None
        df["year"] = df["TID"].map({t: v[0] for t, v in periods.items()}).astype("int64")
        df["quarter"] = pd.array(df["TID"].map({t: v[1] for t, v in periods.items()}), dtype="Int64")
        df["month"] = pd.array(df["TID"].map({t: v[2] for t, v in periods.items()}), dtype="Int64")
    excluded: dict[str, str] = {}
    col: str | None = None
    if area_column is not None:
        col = unicodedata.normalize("NFC", area_column).upper()
        if col not in df.columns:
            raise StatBankFormatError(f"{where}: missing area column {col}; header is {header}")
        mapping: dict[str, int | None] = {}
        for label in df[col].unique():
            try:
                code, reason = area_code(label)
            except StatBankFormatError as exc:
                first = int(df.loc[df[col] == label, "line"].iloc[0])
                raise StatBankFormatError(f"{where}: line {first}, column {col}: {exc}") from None
            mapping[label] = code
            if code is None:
                excluded[label] = reason
        df["code"] = df[col].map(mapping)
        df = df[df["code"].notna()].copy()
        df["code"] = df["code"].astype("int64")
    others = [c for c in dims if c != col]
    _check_duplicates(df, where, col, others)
    nan_rows = df[np.isnan(df["value"].to_numpy())]
    cells = tuple(
        MissingCell(
            table=table,
            line=int(r["line"]),
            area=r[col] if col is not None else None,
            code=int(r["code"]) if col is not None else None,
            cell=tuple((c, str(r[c])) for c in others),
            marker=str(markers.iloc[int(np.searchsorted(lines, r["line"]))]),
            area_column=col,
        )
        for _, r in nan_rows.iterrows()
    )
    if cells and missing == "error":
        more = f" ({len(cells) - 1} more cell(s) without a value)" if len(cells) > 1 else ""
        raise StatBankFormatError(f"{where}: {cells[0].describe()}{more}")
    return ParsedTable(table=table, data=df.reset_index(drop=True), excluded=excluded, missing=cells)


# --------------------------------------------------------------------------------------------------
# Benefit types (AUK01 YDELSESTYPE) → benefit groups
# --------------------------------------------------------------------------------------------------
#: Ordered rules: a folded label containing any of the keywords belongs to the group. A label that
#: matches several groups is an error (ambiguous); one that matches none and is not excluded is
#: an error (unknown). Follows the VIVE 2016 grouping (METHOD.md §1.2): revalidering counts under
#: kontanthjælp mv.; kontantydelse and arbejdsmarkedsydelse under a-dagpenge mv.
BENEFIT_RULES: dict[str, tuple[str, ...]] = {
    "dagpenge": (
        "dagpengemodtagere",
        "dagpengeberettigede",
        "adagpenge",
        "arbejdsloeshedsdagpenge",
        "kontantydelse",
        "arbejdsmarkedsydelse",
    ),
    "kontanthjaelp": (
        "kontanthjaelp",
        "uddannelseshjaelp",
        "integrationsydelse",
        "selvforsoergelses",
        "hjemrejseydelse",
        "overgangsydelse",
        "revalidering",
        "socialassistance",  # English (lang=en): "Net unemployed recipients of social assistance"
    ),
    "sygedagpenge": ("sygedagpenge", "jobafklaring"),
    "foertidspension": ("foertidspension",),
    "fleksjob": ("fleksjob", "fleksloentilskud"),
    "ledighedsydelse": ("ledighedsydelse",),
    "ressourceforloeb": ("ressourceforloeb",),
}

#: StatBank codes of the AUK01 subtotals (also recognised by their "... i alt" labels).
BENEFIT_AGGREGATE_CODES = frozenset({"TOT", "TOTUSU", "TOTLE", "TOTAN", "TOTSB", "TOTTB", "TOTVO", "TOTYD"})

#: Benefit types outside the seven groups, excluded explicitly (keyword → reason).
BENEFIT_EXCLUDED: dict[str, str] = {
    "sumodtagere": "SU (study grant) is not a public-support benefit in the benchmark",
    "efterloen": "efterløn (voluntary early retirement) is excluded, as in the VIVE design",
    "fleksydelse": "fleksydelse (early retirement for fleksjob holders) is a retirement benefit",
    "seniorpension": "seniorpension is a retirement benefit",
    "tidligpension": "tidlig pension is a retirement benefit",
    "barsel": "barselsdagpenge (parental leave) is outside the benchmark",
    "feriedagpenge": "feriedagpenge (holiday pay) is outside the benchmark",
    "boernepasningsorlov": "leave schemes are outside the benchmark",
    "orlov": "leave schemes are outside the benchmark",
    "voksenlaerling": "adult apprentices are in ordinary employment",
    "skaanejob": "skånejob is outside the seven groups",
    "jobrotation": "jobrotation substitutes are in ordinary employment",
    "andreydelsesmodtagere": "unspecified other benefits",
}


def classify_benefit(label: str) -> tuple[str | None, str]:
    """Map an AUK01 benefit-type label (or code) to a group key, or ``(None, reason)``.

    Aggregates ("I alt", "Nettoledige i alt", "I alt uden SU-modtagere", "Øvrige
    ydelsesmodtagere"; English "Total", "…, total") are excluded first, then the out-of-scope
    types in :data:`BENEFIT_EXCLUDED`, then :data:`BENEFIT_RULES` is applied. The rules are
    written for the Danish labels (``lang=da``, what :func:`requests_for_year` asks for); of the
    English labels only "Net unemployed recipients of social assistance" (nettoledige
    kontanthjælpsmodtagere, seen in a real ``lang=en`` extract) is known, and any other English
    benefit type fails by name rather than being guessed.

    Raises
    ------
    StatBankFormatError
        If the label matches no rule or more than one group.
    """
    folded = fold(label)
    raw = " ".join(label.strip().lower().split())
    if (
        raw == "i alt"
        or raw.endswith(" i alt")
        or raw.startswith("i alt ")
        or raw == "total"
        or raw.endswith(", total")
        or folded == "oevrigeydelsesmodtagere"
        or label.strip().upper() in BENEFIT_AGGREGATE_CODES
    ):
        return None, "aggregate"
    for keyword, reason in BENEFIT_EXCLUDED.items():
        if keyword in folded:
            return None, reason
    # "sygedagpenge", "barselsdagpenge" and "feriedagpenge" must not count as a-dagpenge
    plain = re.sub(r"(syge|barsels|ferie)dagpenge", "", folded)
    hits = [
        g
        for g, keys in BENEFIT_RULES.items()
        if any(k in (plain if g == "dagpenge" else folded) for k in keys)
    ]
    if len(hits) == 1:
        return hits[0], "benefit group"
    if not hits:
        raise StatBankFormatError(
            f"unknown AUK01 benefit type {label!r}: add it to analysis.data.statbank.BENEFIT_RULES "
            "(a group) or BENEFIT_EXCLUDED (out of scope)"
        )
    raise StatBankFormatError(f"ambiguous AUK01 benefit type {label!r}: matches groups {hits}")


# --------------------------------------------------------------------------------------------------
# Table requests for the aggregates
# --------------------------------------------------------------------------------------------------
def requests_for_year(year: int) -> dict[str, Request]:
    """The data requests behind one year of the aggregates table (table id → request)."""
    if not isinstance(year, int | np.integer) or isinstance(year, bool) or not 2007 <= int(year) <= 2100:
        raise ValueError(f"years: expected calendar years from 2007 (AUK01 starts in 2007), got {year!r}")
    y = int(year)
    quarters = tuple(f"{y}K{q}" for q in range(1, 5))
    return {
        "AUK01": Request(
            "AUK01",
            (
                ("OMRÅDE", ("*",)),
                ("YDELSESTYPE", ("*",)),
                ("KØN", ("TOT",)),
                ("ALDER", ("TOT",)),
                ("Tid", quarters),
            ),
        ),
        "FOLK1A": Request(
            "FOLK1A",
            (
                ("OMRÅDE", ("*",)),
                ("KØN", ("TOT",)),
                ("ALDER", AGES_16_66),
                ("CIVILSTAND", ("TOT",)),
                ("Tid", (f"{y}K1",)),
            ),
        ),
        "FOLK1E": Request(
            "FOLK1E",
            (
                ("OMRÅDE", ("*",)),
                ("KØN", ("TOT",)),
                ("ALDER", AGES_16_66),
                ("HERKOMST", ("*",)),
                ("Tid", (f"{y}K1",)),
            ),
        ),
        # HERKOMST, ALDER and KØN are eliminated (left out): StatBank returns their totals.
        "HFUDD11": Request("HFUDD11", (("BOPOMR", ("*",)), ("HFUDD", ("*",)), ("Tid", (str(y),)))),
        "AULP01": Request(
            "AULP01", (("OMRÅDE", ("*",)), ("ALDER", ("TOT",)), ("KØN", ("TOT",)), ("Tid", (str(y),)))
        ),
    }


#: The columns of the aggregates table built from StatBank (name → meaning and source).
COLUMNS: dict[str, str] = {
    "code": "municipality code (one of the 98)",
    "year": "calendar year",
    "population": "persons aged 16-66 on 1 January (FOLK1A, YYYYK1)",
    **{
        f"ft_{g}": f"full-time recipients, benefit group {g}: mean of the year's quarters (AUK01)"
        for g in GROUPS
    },
    "x_origin_vestlig": "immigrants and descendants from western countries, share of persons 16-66 (FOLK1E)",
    "x_origin_ikke_vestlig": "immigrants and descendants from non-western countries, share of persons 16-66"
    " (FOLK1E)",
    "x_educ_grundskole": "highest education H10 grundskole, share of persons with known education (HFUDD11)",
    "x_educ_videregaaende": "highest education H40-H80 (higher education), share of persons with known"
    " education (HFUDD11)",
    "x_unemployment_rate": "full-time unemployed in per cent of the labour force (AULP01)",
}

AREA_COLUMNS: dict[str, str] = {
    "AUK01": "OMRÅDE",
    "FOLK1A": "OMRÅDE",
    "FOLK1E": "OMRÅDE",
    "HFUDD11": "BOPOMR",
    "AULP01": "OMRÅDE",
}


def _per_code(df: pd.DataFrame, name: str) -> pd.Series:
    """Sum ``value`` by ``code``; a NaN cell makes the municipality's sum NaN (never 0)."""
    return (
        df.groupby("code")["value"]
        .sum(min_count=1)
        .where(~df["value"].isna().groupby(df["code"]).any())
        .rename(name)
    )


def _require_values(parsed: ParsedTable, rows: pd.DataFrame, year: int, feeds: pd.Series | str) -> None:
    """Fail if a cell in ``rows`` (the cells a column is built from) has no value.

    ``feeds`` names the column(s) each row is needed for (a string for all rows, or a Series
    aligned with ``rows``).

    Raises
    ------
    StatBankFormatError
        Naming the table, the year, the first such cell (line, area label, time, other
        dimensions, the marker) and the column it is needed for.
    """
    nan = rows["value"].isna().to_numpy()
    if not nan.any():
        return
    lines = rows.loc[nan, "line"]
    cells = parsed.missing_in(lines)
    first = cells[0] if cells else None
    needed = feeds if isinstance(feeds, str) else str(feeds[nan].iloc[0])
    what = first.describe() if first is not None else f"line {int(lines.iloc[0])}: no value"
    more = f" ({int(nan.sum()) - 1} more needed cell(s) without a value)" if nan.sum() > 1 else ""
    raise StatBankFormatError(
        f"{parsed.table} {year}: {what}; the cell is needed for {needed}{more}. StatBank gives no "
        "number where it is confidential or not available; build with validate=False to keep NaN"
    )


def benefits_from_auk01(
    parsed: ParsedTable, year: int, *, groups: Sequence[str] = GROUPS, require: bool = False
) -> pd.DataFrame:
    """Full-time persons per municipality and group for ``year`` (mean of the four quarters).

    Parameters
    ----------
    parsed
        The parsed AUK01 response (one or more years).
    year
        The calendar year.
    groups
        The groups to build (default all of :data:`analysis.core.benefits.GROUPS`); each must have
        at least one benefit type in the response.
    require
        Fail on a cell without a value that a group is built from; otherwise such a cell makes
        the municipality's group NaN (never 0).

    Returns
    -------
    DataFrame
        Indexed by ``code``, one column ``ft_<group>`` per group.

    Raises
    ------
    StatBankFormatError
        If the year does not have all four quarters, a group has no benefit type, a benefit type
        is unknown or ambiguous (:func:`classify_benefit`), or (``require``) a needed cell has no
        value (table, year, cell and column named).

    Notes
    -----
    AUK01 counts full-time recipients per quarter; the annual figure is
    :math:`FT_{mg} = \\tfrac14 \\sum_{q=1}^{4} \\sum_{t \\in g} FT_{mtq}` over the benefit types
    ``t`` mapped to group ``g``. All four quarters must be present.
    """
    unknown = [g for g in groups if g not in GROUPS]
    if unknown or not groups:
        raise ValueError(f"groups: expected some of {list(GROUPS)}, got {list(groups)}")
    df = parsed.data
    df = df[df["year"] == year]
    have = sorted(int(q) for q in df["quarter"].dropna().unique())
    if have != [1, 2, 3, 4]:
        raise StatBankFormatError(f"AUK01 {year}: expected quarters K1-K4, found {have}")
    labels = df["YDELSESTYPE"].unique()
    group_of = {lab: classify_benefit(lab)[0] for lab in labels}
    df = df.assign(group=df["YDELSESTYPE"].map(group_of)).dropna(subset=["group"])
    df = df[df["group"].isin(list(groups))]
    if require:
        _require_values(parsed, df, year, "ft_" + df["group"].astype(str))
    keys = [df["code"], df["group"], df["quarter"]]
    nan_cell = df["value"].isna().groupby(keys).any()
    summed = df["value"].groupby(keys).sum().where(~nan_cell)  # a '..' cell makes the sum NaN
    annual = summed.groupby(level=[0, 1]).mean()
    annual = annual.where(~nan_cell.groupby(level=[0, 1]).any())  # ... and the year's mean NaN
    wide = annual.unstack("group")
    out = pd.DataFrame(index=wide.index)
    for g in GROUPS:
        if g in wide.columns:
            out[f"ft_{g}"] = wide[g].astype("float64")
    missing_groups = [g for g in groups if g not in wide.columns]
    if missing_groups:
        raise StatBankFormatError(f"AUK01 {year}: no benefit types found for group(s) {missing_groups}")
    return out


def _herkomst_kind(label: str) -> str | None:
    """FOLK1E origin label (Danish or English) → ``dansk``/``vestlig``/``ikke_vestlig``; total → None."""
    f = fold(label)
    if f in {"ialt", "tot", "total"}:
        return None
    if "ikkevestlig" in f or "nonwestern" in f:
        return "ikke_vestlig"
    if "vestlig" in f or "western" in f:
        return "vestlig"
    if "dansk" in f or "danish" in f:
        return "dansk"
    raise StatBankFormatError(f"FOLK1E: unknown HERKOMST label {label!r}")


def _education_kind(label: str) -> str | None:
    """HFUDD11 label (``"H10 Grundskole"``, ``"H40 Short cycle higher education"``) → kind; total → None."""
    m = re.match(r"^\s*(H\d{2})", label.strip().upper())
    f = fold(label)
    if not m:
        if f in {"ialt", "tot", "total"}:
            return None
        raise StatBankFormatError(f"HFUDD11: unknown HFUDD label {label!r} (expected 'H10 Grundskole' ...)")
    code = m.group(1)
    if code == "H10":
        return "grundskole"
    if code in {"H20", "H30", "H35"}:
        return "mellem"
    if code in {"H40", "H50", "H60", "H70", "H80"}:
        return "videregaaende"
    if code == "H90":
        return "uoplyst"
    raise StatBankFormatError(f"HFUDD11: unknown education code {code!r} in {label!r}")


def build_aggregates(
    years: Sequence[int],
    *,
    offline: bool = False,
    refresh: bool = False,
    client: StatBankClient | None = None,
    validate: bool = True,
) -> pd.DataFrame:
    """Build the aggregates table (municipality × year) from StatBank.

    Parameters
    ----------
    years
        Calendar years.
    offline
        Use only the cache (:class:`MissingCacheError` lists what is missing).
    refresh
        Re-fetch cached requests.
    client
        A configured client (its ``offline``/``refresh`` win); default a new
        :class:`StatBankClient`.
    validate
        Require a value in every cell a column is built from (a cell StatBank gives as ``..`` or
        ``-`` fails, naming the table, the cell and the column), then check the result with
        :func:`analysis.core.validate.validate_aggregates`. With ``validate=False`` such a cell
        leaves the municipality's column NaN (never 0); cells no column uses (aggregate areas,
        excluded benefit types, H90 "uoplyst", totals) may be missing either way.

    Returns
    -------
    DataFrame
        Columns ``code, year, population, ft_<group>…, x_origin_vestlig, x_origin_ikke_vestlig,
        x_educ_grundskole, x_educ_videregaaende, x_unemployment_rate``; one row per
        municipality (98) and year; ``attrs`` carry ``synthetic=False``, the source and the
        sha256 of every raw response used.

    Raises
    ------
    ValueError
        For no or duplicated years.
    MissingCacheError
        Offline, listing every request that is not cached.
    StatBankFormatError
        An :class:`analysis.core.validate.InputError` naming the table (and the cache file or
        request) for a response that breaks its contract (see :func:`parse_csv`: not UTF-8,
        unknown area label, one municipality under two labels, ...), an unknown benefit, origin
        or education label, missing quarters or ages, or (``validate``) a needed cell without a
        value.
    InputError
        From :func:`analysis.core.validate.validate_aggregates` (``validate``).

    Notes
    -----
    ``population`` is FOLK1A persons aged 16–66 on 1 January (``YYYYK1``). ``ft_<g>`` is the
    mean over the year's quarters of AUK01 full-time recipients in the benefit types mapped to
    ``g``. Origin shares are immigrants plus descendants from western / non-western countries
    among residents 16–66 (FOLK1E). Education shares are H10 and H40–H80 among persons with
    known education (HFUDD11, all ages in the table, H90 "uoplyst" left out of the
    denominator). ``x_unemployment_rate`` is AULP01 full-time unemployed in per cent of the
    labour force.
    """
    years = [int(y) for y in years]
    if not years:
        raise ValueError("years: give at least one year")
    if len(set(years)) != len(years):
        raise ValueError(f"years: duplicated year in {years}")
    command = f"kommunebench statbank fetch --years {','.join(map(str, years))}"
    client = client or StatBankClient(offline=offline, refresh=refresh, fetch_command=command)
    plan = {y: requests_for_year(y) for y in years}
    all_requests = [r for reqs in plan.values() for r in reqs.values()]
    entries = dict(zip(all_requests, client.fetch_many(all_requests), strict=True))
    frames = []
    inputs: dict[str, dict[str, str]] = {}
    for y, reqs in plan.items():
        parsed = {
            t: parse_csv(
                entries[r].data, table=t, request=r, area_column=AREA_COLUMNS[t], source=entries[r].path
            )
            for t, r in reqs.items()
        }
        for t, r in reqs.items():
            e = entries[r]
            inputs[e.path.name] = {
                "table": t,
                "sha256": e.meta["sha256"],
                "retrieved": e.meta["retrieved_utc"],
            }
        frames.append(_assemble_year(y, parsed, require=validate))
    out = pd.concat(frames, ignore_index=True).sort_values(["year", "code"], ignore_index=True)
    out.attrs.update(synthetic=False, source=SOURCE, inputs=inputs)
    if validate:
        from analysis.core.validate import validate_aggregates

        validate_aggregates(out, source=f"StatBank ({', '.join(TABLES)}) {years}")
    return out


def _assemble_year(year: int, parsed: Mapping[str, ParsedTable], *, require: bool = False) -> pd.DataFrame:
    """One year of the aggregates; ``require``: a cell a column is built from must have a value."""
    for t in ("FOLK1A", "FOLK1E"):
        ages = parsed[t].data["ALDER"].nunique()
        if ages != len(AGES_16_66):
            raise StatBankFormatError(f"{t} {year}: expected the {len(AGES_16_66)} ages 16-66, found {ages}")
    a = parsed["FOLK1A"].data
    if require:
        _require_values(parsed["FOLK1A"], a, year, "population")
    pop = _per_code(a, "population")
    ft = benefits_from_auk01(parsed["AUK01"], year, require=require)
    e = parsed["FOLK1E"].data
    e = e.assign(kind=e["HERKOMST"].map({lab: _herkomst_kind(lab) for lab in e["HERKOMST"].unique()}))
    e = e.dropna(subset=["kind"])
    if require:
        _require_values(parsed["FOLK1E"], e, year, "x_origin_vestlig and x_origin_ikke_vestlig")
    origin = e.groupby(["code", "kind"])["value"].sum(min_count=1).unstack("kind")
    origin_total = origin.sum(axis=1, skipna=False)
    h = parsed["HFUDD11"].data
    h = h.assign(kind=h["HFUDD"].map({lab: _education_kind(lab) for lab in h["HFUDD"].unique()}))
    h = h.dropna(subset=["kind"])
    if require:
        used = h[h["kind"] != "uoplyst"]
        _require_values(parsed["HFUDD11"], used, year, "x_educ_grundskole and x_educ_videregaaende")
    educ = h.groupby(["code", "kind"])["value"].sum(min_count=1).unstack("kind")
    known = educ.drop(columns=["uoplyst"], errors="ignore").sum(axis=1, skipna=False)
    u = parsed["AULP01"].data
    if require:
        _require_values(parsed["AULP01"], u, year, "x_unemployment_rate")
    unemp = _per_code(u, "x_unemployment_rate")

    out = pd.DataFrame(index=pd.Index(sorted(pop.index), name="code"))
    out["population"] = pop
    out = out.join(ft)
    out["x_origin_vestlig"] = origin.get("vestlig") / origin_total
    out["x_origin_ikke_vestlig"] = origin.get("ikke_vestlig") / origin_total
    out["x_educ_grundskole"] = educ.get("grundskole") / known
    out["x_educ_videregaaende"] = educ.get("videregaaende") / known
    out["x_unemployment_rate"] = unemp
    out = out.reset_index()
    out.insert(1, "year", year)
    out["code"] = out["code"].astype("int64")
    out["year"] = out["year"].astype("int64")
    return out


# --------------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------------
def parse_years(text: str) -> list[int]:
    """Years from ``2022,2023`` or ``2019-2023`` (ranges inclusive).

    Raises
    ------
    ParameterError
        Naming ``--years`` and the text.
    """
    from analysis.core.params import ParameterError

    years: list[int] = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if re.fullmatch(r"\d{4}-\d{4}", part):
            a, b = map(int, part.split("-"))
            years.extend(range(a, b + 1))
        elif re.fullmatch(r"\d{4}", part):
            years.append(int(part))
        else:
            raise ParameterError(f"--years: expected e.g. 2022,2023 or 2019-2023, got {text!r}")
    if not years:
        raise ParameterError("--years: give at least one year")
    return years
