"""The three verification levels, ordered from weakest to strongest."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from lineagegraph.errors import BadInput


class Level(StrEnum):
    STATISTICAL = "statistical"  # metric distributions over trial runs are equivalent
    ALGORITHMIC = "algorithmic"  # metrics and arrays equal within tolerances
    BITWISE = "bitwise"  # every produced artifact has the same digest


_RANK = {Level.STATISTICAL: 1, Level.ALGORITHMIC: 2, Level.BITWISE: 3}


def rank(level: Level) -> int:
    return _RANK[level]


def satisfies(achieved: Level | None, required: Level) -> bool:
    """True when a verified ``achieved`` level is at least as strong as ``required``.

    Bitwise-identical outputs are also algorithmically equal, and algorithmically equal
    outcomes have equivalent distributions, so a stronger level satisfies a weaker one."""
    return achieved is not None and _RANK[achieved] >= _RANK[required]


def highest(levels: Iterable[Level | None]) -> Level | None:
    """The strongest level among the verdicts a run has (None when none was reached)."""
    reached = [level for level in levels if level is not None]
    return max(reached, key=rank) if reached else None


def parse_level(text: str, field: str = "level") -> Level:
    try:
        return Level(text.strip().lower())
    except ValueError:
        known = ", ".join(level.value for level in Level)
        raise BadInput(f"unknown level {text!r} (use one of: {known})", field=field) from None
