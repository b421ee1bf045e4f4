"""Matching slice patterns (``country=*``, ``country=FR,age=*``) against a report's slices.

A slice key is a comma-separated list of ``dimension=value``. A pattern matches a slice with
exactly the same dimensions whose values match the pattern's shell-style wildcards, so
``country=*`` matches ``country=FR`` but not ``country=FR,age=30-40``. Keys that are not of that
form (``overall``) are matched whole.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase


def _dimensions(key: str) -> dict[str, str] | None:
    parts = [part.strip() for part in key.split(",")]
    pairs = [part.partition("=") for part in parts]
    if not all(sep and name for name, sep, _ in pairs):
        return None
    return {name.strip(): value.strip() for name, _, value in pairs}


def slice_matches(pattern: str, key: str) -> bool:
    want, have = _dimensions(pattern), _dimensions(key)
    if want is None or have is None:
        return fnmatchcase(key, pattern)
    return want.keys() == have.keys() and all(
        fnmatchcase(have[name], value) for name, value in want.items()
    )


def matching_slices(pattern: str, keys: Iterable[str]) -> list[str]:
    return sorted(key for key in keys if slice_matches(pattern, key))
