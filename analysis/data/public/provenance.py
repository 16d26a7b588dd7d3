"""Raw public files, checked against the sha256 sums in their folder's ``PROVENANCE.md``.

Every folder under ``data/raw/<source>/`` holds the files exactly as retrieved and the
source's ``PROVENANCE.md`` (source repository and commit, original table, retrieval date,
licence, and a fenced block of ``<sha256>  <relative path>`` lines). A loader asks for a file
with :func:`verified_file`; a file that is missing, not listed, or changed since retrieval
stops with an :class:`~analysis.core.validate.InputError` naming the file.

Examples
--------
>>> from analysis.data.public.provenance import verified_file
>>> verified_file("dst-komgrp", "komgrp.csv").name
'komgrp.csv'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from analysis.core.io import file_sha256
from analysis.core.paths import raw_dir
from analysis.core.validate import InputError

PROVENANCE_FILE = "PROVENANCE.md"
_SUM_LINE = re.compile(r"^([0-9a-f]{64})\s+\*?(\S.*?)\s*$")


@dataclass(frozen=True)
class RawFile:
    """A raw file with its recorded sha256 (``source`` is the folder under ``data/raw``)."""

    source: str
    path: Path
    sha256: str

    @property
    def relative(self) -> str:
        """``<source>/<path inside the folder>``, for messages and manifests."""
        return f"{self.source}/{self.path.relative_to(raw_dir() / self.source).as_posix()}"


def recorded_sums(source: str, *, root: Path | None = None) -> dict[str, str]:
    """The ``relative path → sha256`` lines of ``data/raw/<source>/PROVENANCE.md``.

    Raises
    ------
    InputError
        The folder or its ``PROVENANCE.md`` is missing, or it lists no sums.
    """
    folder = (root or raw_dir()) / source
    prov = folder / PROVENANCE_FILE
    if not prov.is_file():
        raise InputError(f"{prov}: missing; every folder under data/raw needs its {PROVENANCE_FILE}")
    sums = {}
    for line in prov.read_text(encoding="utf-8").splitlines():
        m = _SUM_LINE.match(line.strip())
        if m:
            sums[m.group(2)] = m.group(1)
    if not sums:
        raise InputError(f"{prov}: lists no sha256 sums ('<sha256>  <file>' lines)")
    return sums


@cache
def _checked(path: Path, mtime_ns: int, size: int, expected: str) -> str:
    # cached per (path, mtime, size): a file is hashed once per process unless it changes
    return file_sha256(path)


def verified_file(source: str, name: str, *, root: Path | None = None) -> Path:
    """Path of ``data/raw/<source>/<name>`` after checking its sha256 against the provenance.

    Parameters
    ----------
    source
        Folder under ``data/raw`` (e.g. ``"jobindsats-y30r21"``).
    name
        File inside it, as listed in its ``PROVENANCE.md`` (e.g. ``"factors/income.csv"``).
    root
        Another ``data/raw`` folder (tests).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    InputError
        The file is missing, not listed in the provenance, or its content changed (the message
        gives both digests).
    """
    folder = (root or raw_dir()) / source
    path = folder / name
    sums = recorded_sums(source, root=root)
    if name not in sums:
        raise InputError(
            f"{path}: not listed in {folder / PROVENANCE_FILE}; raw files need a recorded sha256"
        )
    if not path.is_file():
        raise InputError(f"{path}: missing (it is listed in {folder / PROVENANCE_FILE})")
    st = path.stat()
    digest = _checked(path, st.st_mtime_ns, st.st_size, sums[name])
    if digest != sums[name]:
        raise InputError(
            f"{path}: content differs from the retrieved file (sha256 {digest[:12]}…, "
            f"{PROVENANCE_FILE} records {sums[name][:12]}…); raw data are never edited — restore it"
        )
    return path


def raw_file(source: str, name: str, *, root: Path | None = None) -> RawFile:
    """:func:`verified_file` with its recorded digest, for manifests and "Kilde:" lines."""
    path = verified_file(source, name, root=root)
    return RawFile(source, path, recorded_sums(source, root=root)[name])
