"""Verification of one run against another at the bitwise and algorithmic levels
(``bitwise.py``, ``algorithmic.py``).

``verify_pair`` starts at the level asked and, when that level does not hold, tries the weaker
pair level so the verdict says how far the reproduction got (asked bitwise, achieved
algorithmic). The statistical level compares groups of trial runs: see ``statistical.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from lineagegraph.errors import BadInput
from lineagegraph.models import RunStatus
from lineagegraph.repro.algorithmic import algorithmic_evidence
from lineagegraph.repro.bitwise import bitwise_evidence
from lineagegraph.repro.inputs import RunSnapshot
from lineagegraph.repro.levels import Level
from lineagegraph.repro.tolerance import Tolerance
from lineagegraph.repro.verdict import Evidence, Verdict, level_holds

_BITWISE, _ALGO = Level.BITWISE, Level.ALGORITHMIC


def require_finished(run: RunSnapshot, field: str) -> None:
    if run.status is not RunStatus.COMPLETED:
        raise BadInput(
            f"{run.ref} is {run.status.value}: only completed runs can be verified",
            field=field,
        )


def verify_pair(
    a: RunSnapshot,
    b: RunSnapshot,
    level: Level,
    *,
    tolerance: Tolerance | None = None,
    metric_keys: Sequence[str] | None = None,
) -> Verdict:
    """Does ``b`` reproduce ``a`` at ``level`` (bitwise or algorithmic)?"""
    tol = tolerance or Tolerance()
    if level is Level.STATISTICAL:
        raise BadInput(
            "the statistical level compares two groups of trial runs, not two runs: "
            "give --group-a and --group-b",
            field="level",
        )
    if a.ref == b.ref:
        raise BadInput(
            f"cannot verify {a.ref} against itself: a run always reproduces "
            "itself; give the original and a re-run",
            field="b",
        )
    require_finished(a, "a")
    require_finished(b, "b")
    if level is Level.BITWISE and not (a.produced or b.produced):
        raise BadInput(
            f"neither {a.ref} nor {b.ref} produced an artifact: nothing to compare "
            "bitwise (the algorithmic level compares final metrics)",
            field="level",
        )
    if not (a.produced or b.produced or a.final_metrics or b.final_metrics or metric_keys):
        raise BadInput(
            f"neither {a.ref} nor {b.ref} produced an artifact or logged a metric: "
            "nothing to compare",
            field="level",
        )
    evidence: list[Evidence] = []
    achieved: Level | None = None
    for step in (_BITWISE, _ALGO)[(0 if level is _BITWISE else 1) :]:
        if step is _BITWISE:
            evidence += bitwise_evidence(a, b)
        else:
            evidence += algorithmic_evidence(a, b, tol, metric_keys)
        if level_holds(evidence, step):
            achieved = step
            break
    return Verdict(
        level_requested=level,
        level_achieved=achieved,
        runs_a=[a.ref],
        runs_b=[b.ref],
        parameters={
            "rtol": tol.rtol,
            "atol": tol.atol,
            "metric_keys": list(metric_keys) if metric_keys else None,
        },
        evidence=evidence,
    )
