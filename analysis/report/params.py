"""Notebook parameters: read the ``parameters`` cell and validate before any kernel starts.

A report notebook declares its parameters in a cell tagged ``parameters`` (papermill's
convention), with type annotations and a trailing ``# help`` comment::

    municipality: str = "Nyborg"  # case municipality (code or name)
    year: int = 2019  # register year

:func:`notebook_parameters` reads that cell with :mod:`ast` (papermill's own inspector drops
parameters with composite annotations such as ``list[str] | None``), and
:func:`validate_parameters` checks a user dict against it: unknown names, wrong types and
failing domain checks raise :class:`ParameterError` naming the parameter, what was expected
and what was given. The second cell of each notebook calls :func:`validate_in_notebook`, so a
notebook run by hand in Jupyter is checked the same way.
"""

from __future__ import annotations

import ast
import datetime as _dt
import io
import sys
import tokenize
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

__all__ = [
    "DEFAULT_CHECKS",
    "Parameter",
    "ParameterError",
    "check_municipality",
    "check_year",
    "describe_parameters",
    "notebook_parameters",
    "validate_in_notebook",
    "validate_parameters",
]

YEAR_RANGE = (2007, _dt.date.today().year)
"""Years a register or StatBank table can cover (the 98 municipalities exist from 2007)."""


class ParameterError(ValueError):
    """A report parameter is unknown, of the wrong type or out of its domain."""


@dataclass(frozen=True)
class Parameter:
    """One parameter of a notebook's ``parameters`` cell."""

    name: str
    annotation: str | None
    default: Any
    default_source: str
    help: str

    @property
    def type_name(self) -> str:
        if self.annotation:
            return self.annotation
        if self.default is None:
            return "any"
        return type(self.default).__name__


# --------------------------------------------------------------------------- reading
def _parameters_source(notebook: str | Path | Mapping[str, Any]) -> tuple[str, str]:
    import nbformat

    if isinstance(notebook, str | Path):
        path = Path(notebook)
        if not path.exists():
            raise FileNotFoundError(f"notebook not found: {path}")
        nb = nbformat.read(path, as_version=4)
        where = str(path)
    else:
        nb, where = notebook, "notebook"
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        raise ParameterError(f"{where}: no cell tagged 'parameters'")
    if len(cells) > 1:
        raise ParameterError(f"{where}: {len(cells)} cells tagged 'parameters'; expected one")
    src = cells[0]["source"]
    return ("".join(src) if isinstance(src, list) else src), where


def notebook_parameters(notebook: str | Path | Mapping[str, Any]) -> dict[str, Parameter]:
    """The parameters declared in a notebook's ``parameters`` cell, in order.

    Parameters
    ----------
    notebook
        Path to an ``.ipynb`` file or a loaded notebook.

    Returns
    -------
    dict
        Name → :class:`Parameter` (annotation as written, default value when it is a literal,
        the default's source text, and the trailing ``#`` comment as help).
    """
    source, where = _parameters_source(notebook)
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ParameterError(f"{where}: the parameters cell is not valid Python: {exc}") from exc
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string.lstrip("#").strip()
    out: dict[str, Parameter] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            name, ann, value = node.target.id, ast.unparse(node.annotation), node.value
        elif (
            isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        ):
            name, ann, value = node.targets[0].id, None, node.value
        else:
            continue
        default_src = ast.unparse(value) if value is not None else ""
        try:
            default = ast.literal_eval(value) if value is not None else None
        except ValueError:
            default = None
        out[name] = Parameter(
            name, ann, default, default_src, comments.get(node.end_lineno or node.lineno, "")
        )
    return out


def describe_parameters(notebook: str | Path | Mapping[str, Any]) -> str:
    """A help text listing a notebook's parameters (name, type, default, help), one a line."""
    params = notebook_parameters(notebook)
    if not params:
        return "(no parameters)"
    width = max(len(p.name) for p in params.values())
    lines = []
    for p in params.values():
        line = f"  {p.name:<{width}}  {p.type_name} (default {p.default_source})"
        lines.append(line + (f"  {p.help}" if p.help else ""))
    return "\n".join(lines)


# --------------------------------------------------------------------------- type checks
_SIMPLE: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (float, int),
    "bool": (bool,),
    "list": (list, tuple),
    "tuple": (tuple, list),
    "dict": (dict,),
    "Path": (str, Path),
    "None": (type(None),),
    "NoneType": (type(None),),
}


def _alternatives(annotation: str) -> list[str]:
    ann = annotation.strip().strip("'\"")
    if ann.startswith("Optional[") and ann.endswith("]"):
        return [*_alternatives(ann[len("Optional[") : -1]), "None"]
    depth, parts, cur = 0, [], ""
    for ch in ann:
        depth += ch == "["
        depth -= ch == "]"
        if ch == "|" and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    parts.append(cur.strip())
    return parts


def _matches(value: Any, alternative: str) -> bool | None:
    """True/False if decidable, None if the annotation is not understood (accept)."""
    base, _, inner = alternative.partition("[")
    base = base.split(".")[-1]
    if base in ("Any", "object"):
        return True
    if base not in _SIMPLE:
        return None
    types = _SIMPLE[base]
    if isinstance(value, bool) and base in ("int", "float"):
        return False
    if not isinstance(value, types):
        return False
    if inner and base in ("list", "tuple") and "," not in inner:
        return all(_matches(v, inner.rstrip("]")) is not False for v in value)
    return True


def _check_type(p: Parameter, value: Any) -> None:
    if p.annotation is None:
        if p.default is None:
            return
        expected = type(p.default).__name__
        ok = _matches(value, expected)
    else:
        expected = p.annotation
        results = [_matches(value, alt) for alt in _alternatives(p.annotation)]
        ok = True if any(r is None for r in results) else any(results)
    if ok is False:
        raise ParameterError(
            f"parameter {p.name!r}: expected {expected}, got {type(value).__name__} {value!r}"
            + (f" ({p.help})" if p.help else "")
        )


# --------------------------------------------------------------------------- domain checks
def check_municipality(value: Any) -> Any:
    """One of the 98 municipalities (code or name); error suggests the closest names."""
    from analysis.core.municipalities import UnknownMunicipalityError, lookup

    try:
        lookup(value)
    except UnknownMunicipalityError as exc:
        raise ParameterError(f"parameter 'municipality': {exc}") from None
    return value


def check_year(value: Any, *, name: str = "year", lo: int | None = None, hi: int | None = None) -> Any:
    """A calendar year within ``YEAR_RANGE`` (or ``lo``–``hi``)."""
    lo = YEAR_RANGE[0] if lo is None else lo
    hi = YEAR_RANGE[1] if hi is None else hi
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ParameterError(f"parameter {name!r}: expected a year in {lo}–{hi}, got {value!r}")
    return value


def _check_seed(value: Any) -> Any:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ParameterError(f"parameter 'seed': expected a non-negative integer, got {value!r}")
    return value


DEFAULT_CHECKS: Mapping[str, Callable[[Any], Any]] = MappingProxyType(
    {"municipality": check_municipality, "year": check_year, "seed": _check_seed}
)
"""Domain checks applied by name when a notebook declares a parameter of that name."""


def _run_checks(values: Mapping[str, Any], checks: Mapping[str, Callable[[Any], Any]]) -> None:
    for name, check in checks.items():
        if name in values:
            try:
                check(values[name])
            except ParameterError:
                raise
            except (ValueError, TypeError, KeyError) as exc:
                raise ParameterError(f"parameter {name!r}: {exc}") from exc


# --------------------------------------------------------------------------- public checks
def validate_parameters(
    notebook: str | Path | Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    checks: Mapping[str, Callable[[Any], Any]] | None = None,
) -> dict[str, Any]:
    """Check ``values`` against a notebook's ``parameters`` cell, before execution.

    Parameters
    ----------
    notebook
        The notebook (path or loaded) whose ``parameters`` cell declares the names.
    values
        The parameters to inject.
    checks
        Domain checks by parameter name, each raising ``ValueError``/``ParameterError`` on bad
        input; defaults to :data:`DEFAULT_CHECKS`. Checks run only for declared names.

    Returns
    -------
    dict
        The full parameter set: declared defaults (when literal) updated with ``values``.

    Raises
    ------
    ParameterError
        Unknown names (the message lists the valid ones), a wrong type (naming parameter,
        expected and given type) or a failed domain check.
    """
    if not isinstance(values, Mapping):
        raise ParameterError(f"parameters must be a mapping of name → value, got {type(values).__name__}")
    declared = notebook_parameters(notebook)
    unknown = sorted(set(values) - set(declared))
    if unknown:
        valid = ", ".join(f"{p.name}: {p.type_name}" for p in declared.values())
        raise ParameterError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))}; valid parameters are: {valid}"
        )
    for name, value in values.items():
        _check_type(declared[name], value)
    merged = {n: p.default for n, p in declared.items()}
    merged.update(values)
    active = {n: c for n, c in (DEFAULT_CHECKS if checks is None else checks).items() if n in declared}
    _run_checks(values, active)
    return merged


def validate_in_notebook(
    *, checks: Mapping[str, Callable[[Any], Any]] | None = None, **params: Any
) -> MappingProxyType[str, Any]:
    """Validate parameters inside a running notebook (its second cell).

    Types are checked against the annotations of the caller's module namespace (in a notebook
    these are the annotations of the ``parameters`` cell), then the domain checks run.

    Examples
    --------
    In the cell after the ``parameters`` cell::

        params = validate_in_notebook(municipality=municipality, year=year)

    Returns
    -------
    mappingproxy
        The validated parameters (read-only).
    """
    frame = sys._getframe(1)
    annotations = frame.f_globals.get("__annotations__", {}) if frame.f_globals is frame.f_locals else {}
    for name, value in params.items():
        ann = annotations.get(name)
        if ann is not None:
            ann_text = ann if isinstance(ann, str) else getattr(ann, "__name__", repr(ann))
            if isinstance(ann, type):
                ann_text = ann.__name__
            elif not isinstance(ann, str):
                ann_text = repr(ann).replace("typing.", "")
            _check_type(Parameter(name, ann_text, None, "", ""), value)
    _run_checks(params, DEFAULT_CHECKS if checks is None else checks)
    return MappingProxyType(dict(params))
