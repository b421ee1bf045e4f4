"""The Cypher catalog: every statement the service runs, from ``cypher/<area>/<name>.cypher``.

Each file starts with a header of ``//`` lines::

    // name: upsert_runs
    // mode: write
    // params: rows, now
    // Free text saying what it does and why.

The loader fails fast on anything wrong: a missing header key, a name that does not match the
file, an unknown mode, or parameters used in the body but not declared (or declared but unused).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

_HEADER = re.compile(r"^//\s*(name|mode|params):\s*(.*?)\s*$")
# $param outside of string literals; our statements never put '$' inside literals.
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


class Mode(StrEnum):
    READ = "read"
    WRITE = "write"


class CatalogError(ValueError):
    """A Cypher file is missing or malformed."""


@dataclass(frozen=True, slots=True)
class Query:
    key: str  # "<area>.<name>"
    mode: Mode
    params: frozenset[str]
    text: str
    path: Path


def _parse(path: Path, area: str) -> Query:
    header: dict[str, str] = {}
    body_lines: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = _HEADER.match(line)
        if match and not body_lines:
            if match.group(1) in header:
                raise CatalogError(f"{path}: header key {match.group(1)!r} given twice")
            header[match.group(1)] = match.group(2)
        elif line.startswith("//") and not body_lines:
            continue
        else:
            body_lines.append(line)
    missing = {"name", "mode", "params"} - header.keys()
    if missing:
        raise CatalogError(f"{path}: header lacks {', '.join(sorted(missing))}")
    name = header["name"]
    if name != path.stem or not _NAME.match(name):
        raise CatalogError(f"{path}: header name {name!r} must equal the file name {path.stem!r}")
    try:
        mode = Mode(header["mode"])
    except ValueError:
        raise CatalogError(f"{path}: mode must be read or write, not {header['mode']!r}") from None
    declared = frozenset(p.strip() for p in header["params"].split(",") if p.strip())
    if header["params"].strip() in {"-", "none"}:
        declared = frozenset()
    text = "\n".join(body_lines).strip()
    if not text:
        raise CatalogError(f"{path}: no statement after the header")
    if text.rstrip().endswith(";") and ";" in text.rstrip()[:-1]:
        raise CatalogError(f"{path}: one statement per file")
    used = frozenset(_PARAM.findall(text))
    if used != declared:
        raise CatalogError(
            f"{path}: params declared {sorted(declared)} but the statement uses {sorted(used)}"
        )
    return Query(f"{area}.{name}", mode, declared, text.rstrip(";"), path)


class Catalog(Mapping[str, Query]):
    def __init__(self, queries: dict[str, Query]) -> None:
        self._queries = queries

    @classmethod
    def load(cls, root: Path | None = None) -> Catalog:
        root = root or cypher_dir()
        if not root.is_dir():
            raise CatalogError(f"Cypher folder {root} does not exist")
        queries: dict[str, Query] = {}
        for path in sorted(root.glob("*/*.cypher")):
            query = _parse(path, path.parent.name)
            queries[query.key] = query
        if not queries:
            raise CatalogError(f"no .cypher files under {root}")
        return cls(queries)

    def __getitem__(self, key: str) -> Query:
        try:
            return self._queries[key]
        except KeyError:
            raise CatalogError(f"no Cypher statement named {key!r} in the catalog") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._queries)

    def __len__(self) -> int:
        return len(self._queries)


def _project_dir(name: str) -> Path:
    """Find ``cypher/`` or ``schema/``: inside an installed wheel, else at the repository root."""
    package = Path(__file__).resolve().parents[1]
    bundled = package / f"_{name}"
    if bundled.is_dir():
        return bundled
    return package.parents[1] / name


def cypher_dir() -> Path:
    return _project_dir("cypher")


def schema_dir() -> Path:
    return _project_dir("schema")
