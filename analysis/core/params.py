"""Run and report parameters: parsed once, at the edge, into typed immutable values.

Every way into the package — the command line, a notebook's validation cell, ``--param
key=value``, a saved run — hands its raw values to :func:`parse_run` or :func:`parse_report`.
What comes back is typed: a :class:`BenefitSet` (name and groups), a
:class:`~analysis.core.municipalities.Municipality`, a :class:`DataRef`, a ``Spec`` literal.
Functions below the edge take these values and do not check them again.

A bad value raises :class:`ParameterError` with one line naming the parameter, the value, what
was expected and, where a close match exists, "did you mean …".

Examples
--------
>>> p = parse_report({"benefits": "kontanthjaelp,foertidspension", "municipality": "Koebenhavn"})
>>> p.benefits
BenefitSet('kontanthjaelp+foertidspension')
>>> parse_run({}).benefits is None  # the data source's default
True
>>> p.municipality.code
101
>>> try:
...     parse_run({"spec": "pooledd"})
... except ParameterError as e:
...     print(e)
spec: got 'pooledd'; expected one of 'pooled', 'fe' (did you mean 'pooled'?)
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from analysis.core.benefits import GROUPS, SETS
from analysis.core.municipalities import Municipality, UnknownMunicipalityError, lookup

Spec = Literal["pooled", "fe"]
"""``pooled``: no municipality term; ``fe``: municipality fixed effects."""
DataKind = Literal["public", "public-monthly", "synthetic", "folder"]

DEFAULT_DRAWS = 1000
"""Joint draws of the gaps behind the marginal rank intervals."""
DEFAULT_DATA: Literal["public", "synthetic"] = "public"
"""What ``data=""`` means: the embedded default data of the main job."""
_PERIOD = re.compile(r"^\d{4}(?:QMAT0[1-4]|M(?:0[1-9]|1[0-2])|Q[1-4])?$")


class ParameterError(ValueError):
    """A parameter is unknown, of the wrong type or outside its domain (one-line message)."""


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def did_you_mean(value: str, choices: Sequence[str]) -> str:
    """``" (did you mean 'x'?)"`` for the closest choice, or ``""``."""
    close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_choice(name: str, value: object, allowed: Sequence[object]) -> None:
    """Raise :class:`ParameterError` unless ``value`` is one of ``allowed`` (named, with a hint)."""
    if value not in allowed:
        hint = did_you_mean(value, [str(a) for a in allowed]) if isinstance(value, str) else ""
        raise ParameterError(f"{name}: got {value!r}; expected one of {', '.join(map(repr, allowed))}{hint}")


def whole_number(name: str, value: Any, *, lo: int | None = None, hi: int | None = None) -> int:
    """An ``int`` (not a bool; a string of digits is accepted) within ``lo``–``hi``."""
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(f"{name}: expected a whole number, got {value!r}")
    if lo is not None and hi is not None and not lo <= value <= hi:
        raise ParameterError(f"{name}: expected a whole number from {lo} to {hi}, got {value}")
    if lo is not None and value < lo:
        what = "non-negative" if lo == 0 else "positive" if lo == 1 else f"≥ {lo}"
        raise ParameterError(f"{name}: expected a {what} whole number, got {value}")
    return int(value)


# --------------------------------------------------------------------------- benefit sets
@dataclass(frozen=True)
class BenefitSet:
    """A named set of benefit groups (ydelsesgrupper).

    ``name`` is ``bm2018``, ``bm2019`` or ``all`` for the named sets, the group key for a single
    group, and the keys joined by ``+`` otherwise; ``groups`` are in the canonical order of
    :data:`analysis.core.benefits.GROUPS`. :meth:`parse` accepts ``a,b`` and ``a+b``.
    """

    name: str
    groups: tuple[str, ...]

    @classmethod
    def parse(cls, value: str | Sequence[str] | BenefitSet, *, name: str = "benefits") -> BenefitSet:
        """Parse a set name, a group key, ``a,b,c``/``a+b+c`` or a sequence of keys.

        Raises
        ------
        ParameterError
            Naming the unknown entry, the closest key and the valid choices.
        """
        if isinstance(value, BenefitSet):
            return value
        if isinstance(value, str):
            key = _nfc(value)
            if key in SETS:
                return cls(key, SETS[key])
            parts = [p.strip() for p in re.split(r"[,+]", key) if p.strip()]
        elif isinstance(value, Sequence) and all(isinstance(p, str) for p in value):
            parts = [_nfc(p) for p in value]
        else:
            raise ParameterError(f"{name}: expected a benefit set name or groups, got {value!r}")
        if not parts:
            raise ParameterError(
                f"{name}: empty benefit set; expected {', '.join(SETS)} or groups from {', '.join(GROUPS)}"
            )
        unknown = [p for p in parts if p not in GROUPS]
        if unknown:
            raise ParameterError(
                f"{name}: unknown benefit group {unknown[0]!r}{did_you_mean(unknown[0], [*GROUPS, *SETS])}; "
                f"expected a set ({', '.join(SETS)}) or groups from {', '.join(GROUPS)}, comma-separated"
            )
        if len(set(parts)) != len(parts):
            raise ParameterError(f"{name}: a group is given twice in {','.join(parts)}")
        groups = tuple(g for g in GROUPS if g in parts)
        for set_name, members in SETS.items():
            if members == groups:
                return cls(set_name, groups)
        return cls("+".join(groups), groups)

    @classmethod
    def of(cls, name: str) -> BenefitSet:
        """The set for a name known to be valid (a named set, a group key or ``a+b``)."""
        return cls.parse(name)

    @property
    def is_group(self) -> bool:
        return len(self.groups) == 1

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"BenefitSet({self.name!r})"


# --------------------------------------------------------------------------- data
@dataclass(frozen=True)
class DataRef:
    """Which data a run uses: the embedded public data (``public``: jobindsats Y30R21 to 2022;
    ``public-monthly``: kontanthjælp, jobindsats y60a02, to 2026), the synthetic default register,
    or a folder (a person register or municipality × period aggregates)."""

    kind: DataKind
    path: Path | None = None

    @classmethod
    def parse(cls, value: str | Path | DataRef | None) -> DataRef:
        """``""``/None → the default, ``public``, ``synthetic``, or an existing folder.

        Raises
        ------
        ParameterError
            A folder that does not exist.
        """
        if isinstance(value, DataRef):
            return value
        text = "" if value is None else _nfc(str(value))
        if text == "":
            return cls(DEFAULT_DATA)
        if text in ("public", "public-monthly", "synthetic"):
            return cls(text)  # type: ignore[arg-type]
        path = Path(text).expanduser()
        if not path.is_dir():
            raise ParameterError(
                f"data: {text!r} is neither 'public', 'public-monthly', 'synthetic' nor an existing folder"
                + (f" (no such folder: {path})" if not path.exists() else " (not a folder)")
            )
        return cls("folder", path.resolve())

    def __str__(self) -> str:
        return str(self.path) if self.kind == "folder" else self.kind


# --------------------------------------------------------------------------- parameter sets
def parse_municipality(value: Any, *, name: str = "municipality") -> Municipality:
    """One of the 98 municipalities by code or name (NFC-normalised; ae/oe/aa accepted)."""
    if isinstance(value, Municipality):
        return value
    try:
        return lookup(_nfc(value) if isinstance(value, str) else value)
    except UnknownMunicipalityError as exc:
        raise ParameterError(f"{name}: {exc}") from None


def parse_groups(value: Any, *, name: str) -> tuple[str, ...]:
    """Benefit groups from ``a,b`` (or a sequence); ``""`` gives an empty tuple."""
    if isinstance(value, str):
        parts = [p.strip() for p in re.split(r"[,+]", _nfc(value)) if p.strip()]
    elif isinstance(value, Sequence):
        parts = [str(p) for p in value]
    else:
        raise ParameterError(f"{name}: expected comma-separated benefit groups, got {value!r}")
    for p in parts:
        if p not in GROUPS:
            raise ParameterError(
                f"{name}: unknown benefit group {p!r}{did_you_mean(p, GROUPS)}; expected some of {', '.join(GROUPS)}"
            )
    return tuple(dict.fromkeys(parts))


class RunParameters(BaseModel):
    """What a benchmark run depends on: data, period, benefit set, model, draws and seed.

    Two runs with equal :class:`RunParameters` (and unchanged input files) give identical
    results; the run cache is keyed on them.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    data: DataRef = DataRef(DEFAULT_DATA)
    period: str | None = None
    benefits: BenefitSet | None = None
    spec: Spec = "pooled"
    draws: int = DEFAULT_DRAWS
    seed: int = 0

    @field_validator("data", mode="before")
    @classmethod
    def _data(cls, v: Any) -> DataRef:
        return DataRef.parse(v)

    @field_validator("period", mode="before")
    @classmethod
    def _period(cls, v: Any) -> str | None:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if isinstance(v, bool) or not isinstance(v, int | str):
            raise ParameterError(f"period: expected a year or a period such as 2022QMAT04, got {v!r}")
        text = str(v).strip().upper()
        if not _PERIOD.match(text):
            raise ParameterError(
                f"period: got {v!r}; expected a year (2024) or a jobindsats period "
                "(2022QMAT04, 2026M07), or empty for the latest"
            )
        return text

    @field_validator("benefits", mode="before")
    @classmethod
    def _benefits(cls, v: Any) -> BenefitSet | None:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None  # the data source's own default (bm2018 for registers, bm2019 for public data)
        return BenefitSet.parse(v)

    @field_validator("spec", mode="before")
    @classmethod
    def _spec(cls, v: Any) -> str:
        check_choice("spec", v, get_args(Spec))
        return v

    @field_validator("draws", mode="before")
    @classmethod
    def _draws(cls, v: Any) -> int:
        return whole_number("draws", v, lo=1)

    @field_validator("seed", mode="before")
    @classmethod
    def _seed(cls, v: Any) -> int:
        return whole_number("seed", v, lo=0)

    def run_key(self) -> dict[str, Any]:
        """The parameters as plain JSON values (for run.json, cache checks and notebooks)."""
        return {
            "data": str(self.data),
            "period": self.period or "",
            "benefits": "" if self.benefits is None else self.benefits.name,
            "spec": self.spec,
            "draws": self.draws,
            "seed": self.seed,
        }

    def run_parameters(self) -> RunParameters:
        """Only the fields a benchmark depends on."""
        return RunParameters(**{f: getattr(self, f) for f in RunParameters.model_fields})


class ReportParameters(RunParameters):
    """A report's parameters: the run's, plus the cover, the cache and the notebook's own."""

    publisher: str = "kommunebench"
    cache: str = ""
    municipality: Municipality | None = None
    n_peers: int = 7
    cases: tuple[Municipality, ...] = (lookup("København"), lookup("Nyborg"))
    side_a: tuple[str, ...] = ("kontanthjaelp",)
    side_b: tuple[str, ...] = ("foertidspension",)

    @field_validator("publisher", mode="before")
    @classmethod
    def _publisher(cls, v: Any) -> str:
        if not isinstance(v, str) or not v.strip():
            raise ParameterError(f"publisher: expected a non-empty name for the cover, got {v!r}")
        return _nfc(v)

    @field_validator("cache", mode="before")
    @classmethod
    def _cache(cls, v: Any) -> str:
        if v is None:
            return ""
        if not isinstance(v, str | Path):
            raise ParameterError(f"cache: expected a folder, got {v!r}")
        return str(v)

    @field_validator("municipality", mode="before")
    @classmethod
    def _municipality(cls, v: Any) -> Municipality | None:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        return parse_municipality(v)

    @field_validator("n_peers", mode="before")
    @classmethod
    def _n_peers(cls, v: Any) -> int:
        return whole_number("n_peers", v, lo=1, hi=20)

    @field_validator("cases", mode="before")
    @classmethod
    def _cases(cls, v: Any) -> tuple[Municipality, ...]:
        if isinstance(v, str):
            v = [p for p in _nfc(v).split(",") if p.strip()]
        if not isinstance(v, Sequence):
            raise ParameterError(f"cases: expected comma-separated municipalities, got {v!r}")
        found = [parse_municipality(p, name="cases") for p in v]
        return tuple({m.code: m for m in found}.values())

    @field_validator("side_a", "side_b", mode="before")
    @classmethod
    def _side(cls, v: Any, info: Any) -> tuple[str, ...]:
        return parse_groups(v, name=info.field_name)

    def notebook_values(self, names: Sequence[str]) -> dict[str, Any]:
        """Plain values for the notebook parameters ``names`` (what papermill injects)."""
        plain = {
            **self.run_key(),
            "publisher": self.publisher,
            "cache": self.cache,
            "municipality": "" if self.municipality is None else str(self.municipality.code),
            "n_peers": self.n_peers,
            "cases": ",".join(str(m.code) for m in self.cases),
            "side_a": ",".join(self.side_a),
            "side_b": ",".join(self.side_b),
        }
        return {n: plain[n] for n in names if n in plain}


def _translate(exc: ValidationError) -> ParameterError:
    """One line from pydantic's error: our own message where a validator raised it."""
    err = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in err.get("loc", ())) or "parameters"
    ctx_error = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_error, ParameterError):
        return ctx_error
    if err.get("type") == "extra_forbidden":
        return ParameterError(f"unknown parameter {where!r}")
    return ParameterError(f"{where}: {err.get('msg')}, got {err.get('input')!r}")


def _parse(model: type[RunParameters], raw: Mapping[str, Any], allowed: Sequence[str] | None) -> Any:
    if not isinstance(raw, Mapping):
        raise ParameterError(f"parameters: expected a mapping of name → value, got {type(raw).__name__}")
    fields = list(model.model_fields)
    known = list(allowed) if allowed is not None else fields
    unknown = [k for k in raw if k not in known]
    if unknown:
        hint = did_you_mean(unknown[0], known)
        raise ParameterError(
            f"unknown parameter {unknown[0]!r}{hint}; valid parameters are {', '.join(known)}"
        )
    values = {k: v for k, v in raw.items() if k in fields}
    try:
        return model(**values)
    except ValidationError as exc:
        raise _translate(exc) from None
    except ParameterError:
        raise


def parse_run(raw: Mapping[str, Any]) -> RunParameters:
    """Parse the parameters of a benchmark run.

    Parameters
    ----------
    raw
        ``data, period, benefits, spec, draws, seed`` (any subset; the rest default).

    Raises
    ------
    ParameterError
        One line naming the parameter and what was expected.
    """
    return _parse(RunParameters, raw, None)


def parse_report(raw: Mapping[str, Any], *, allowed: Sequence[str] | None = None) -> ReportParameters:
    """Parse a report's parameters; ``allowed`` limits the names (a notebook's own set).

    Raises
    ------
    ParameterError
        Unknown names (with the closest valid one), wrong types, values outside their domain.
    """
    return _parse(ReportParameters, raw, allowed)


__all__ = [
    "DEFAULT_DATA",
    "DEFAULT_DRAWS",
    "BenefitSet",
    "DataRef",
    "ParameterError",
    "ReportParameters",
    "RunParameters",
    "Spec",
    "check_choice",
    "did_you_mean",
    "parse_groups",
    "parse_municipality",
    "parse_report",
    "parse_run",
    "whole_number",
]
