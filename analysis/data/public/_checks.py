"""Checks shared by the public-data loaders: municipality names, completeness, duplicates.

Every loader collects the problems it finds in one file with :class:`Problems` and raises a
single :class:`~analysis.core.validate.InputError` listing them; each line starts with the file
and says where (line, key or field), what was found and what was expected.

Municipality names are matched **exactly** to the registry names
(:func:`analysis.core.municipalities.registry`), after Unicode NFC normalisation and stripping
of surrounding blanks; spellings that differ from the registry must be listed in a source's
explicit alias table (e.g. ``{"Copenhagen": 101}`` for Statistics Denmark's English labels).
There is no fuzzy matching: an unknown name is an error that names the name and the file.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from analysis.core.municipalities import codes as _codes
from analysis.core.municipalities import registry
from analysis.core.validate import Problems as _Problems

#: Problems listed in one error message before the rest are summarised.
MAX_SHOWN = 20


class Problems(_Problems):
    """The problems found in one raw file (:class:`analysis.core.validate.Problems`): one
    message ``invalid <what> file '<path>' …`` listing at most :data:`MAX_SHOWN` of them."""

    def __init__(self, path: str | Path, what: str) -> None:
        super().__init__(path, what, noun="file", max_shown=MAX_SHOWN)


def nfc(text: str) -> str:
    """Unicode NFC form without surrounding blanks (``"Ø"`` composed the same way everywhere)."""
    return unicodedata.normalize("NFC", str(text)).strip()


@lru_cache(maxsize=1)
def registry_names() -> dict[str, int]:
    """Exact registry name → code for the 98 municipalities."""
    reg = registry()
    return {nfc(n): int(c) for c, n in zip(reg["code"], reg["name"], strict=True)}


def name_of(code: int) -> str:
    return str(registry().loc[int(code), "name"])


def code_for_name(name: object, aliases: Mapping[str, int] | None = None) -> int | None:
    """The code of an exact registry name or of a listed alias; ``None`` if neither."""
    if not isinstance(name, str):
        return None
    key = nfc(name)
    if aliases and key in aliases:
        return int(aliases[key])
    return registry_names().get(key)


def describe_codes(codes: Iterable[int], k: int = 10) -> str:
    """``[101 København, 147 Frederiksberg, …]`` for messages."""
    vals = sorted(set(int(c) for c in codes))
    shown = ", ".join(f"{c} {name_of(c)}" for c in vals[:k])
    return f"[{shown}{', …' if len(vals) > k else ''}]"


def check_complete(
    present: Iterable[int], p: Problems, *, where: str, expected: Sequence[int] | None = None
) -> None:
    """Add a problem if any of the 98 codes (or ``expected``) is missing from ``present``."""
    want = set(_codes() if expected is None else expected)
    missing = sorted(want - set(int(c) for c in present))
    if missing:
        p.add(
            f"{where}: {len(missing)} municipality code(s) missing: {describe_codes(missing)}; "
            "expected all 98 municipalities"
        )


def check_duplicates(
    keys: Sequence[tuple[object, ...]],
    lines: Sequence[object],
    p: Problems,
    *,
    key_names: Sequence[str],
    at: str = "lines",
) -> None:
    """Add one problem per duplicated key, naming the lines (or other positions, ``at``) where it occurs."""
    seen: dict[tuple[object, ...], list[object]] = {}
    for key, line in zip(keys, lines, strict=True):
        seen.setdefault(key, []).append(line)
    names = ", ".join(key_names)
    for key, where in seen.items():
        if len(where) > 1:
            shown = ", ".join(map(str, where))
            p.add(f"duplicate row for ({names}) = {key!r} at {at} {shown}; expected one row per key")
