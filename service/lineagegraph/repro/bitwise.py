"""The bitwise level: every produced artifact has the same digest in both runs, by name."""

from __future__ import annotations

from lineagegraph.models import ArtifactStatus
from lineagegraph.repro.diff import pair_outputs
from lineagegraph.repro.inputs import ProducedArtifact, RunSnapshot
from lineagegraph.repro.levels import Level
from lineagegraph.repro.verdict import Evidence, Outcome


def _ev(name: str, outcome: Outcome, detail: str, **data: object) -> Evidence:
    return Evidence(
        level=Level.BITWISE, item=f"artifact {name}", outcome=outcome, detail=detail, data=data
    )


def _bits_equal(x: float, y: float) -> bool:
    return x == y or (x != x and y != y)  # NaN is equal to NaN here


def _one(
    name: str, a: ProducedArtifact | None, b: ProducedArtifact | None, runs: tuple[str, str]
) -> Evidence:
    if a is None or b is None:
        return _ev(name, Outcome.FAIL, f"produced only by {runs[0] if b is None else runs[1]}")
    pending = [x.ref for x in (a, b) if x.status is not ArtifactStatus.AVAILABLE]
    if pending:
        return _ev(name, Outcome.FAIL, f"bytes not uploaded yet: {', '.join(pending)}")
    if a.digest is not None and b.digest is not None:
        if a.digest == b.digest:
            return _ev(name, Outcome.PASS, "same digest", digest=a.digest)
        return _ev(name, Outcome.FAIL, "digests differ", digest_a=a.digest, digest_b=b.digest)
    if a.digest is None and b.digest is None and a.values and b.values:
        # an artifact without bytes (an evaluation report): its numbers, bit for bit
        keys = sorted(a.values.keys() | b.values.keys())
        differing = [
            k
            for k in keys
            if k not in a.values or k not in b.values or not _bits_equal(a.values[k], b.values[k])
        ]
        if not differing:
            return _ev(name, Outcome.PASS, "same values, bit for bit", values=len(keys))
        return _ev(name, Outcome.FAIL, "values differ", differing=differing)
    missing = [x.ref for x in (a, b) if x.digest is None]
    return _ev(name, Outcome.FAIL, f"no digest recorded for {', '.join(missing)}")


def bitwise_evidence(a: RunSnapshot, b: RunSnapshot) -> list[Evidence]:
    """One item per produced artifact name."""
    left = {p.name: p for p in a.produced}
    right = {p.name: p for p in b.produced}
    runs = (a.ref, b.ref)
    return [_one(p.key, left.get(p.key), right.get(p.key), runs) for p in pair_outputs(a, b)]
