"""Student's t distribution from SciPy behind typed functions (SciPy ships no type hints)."""

from __future__ import annotations

from scipy import stats  # type: ignore[import-untyped]


def cdf(t: float, df: float) -> float:
    return float(stats.t.cdf(t, df))


def sf(t: float, df: float) -> float:
    return float(stats.t.sf(t, df))


def ppf(q: float, df: float) -> float:
    return float(stats.t.ppf(q, df))
