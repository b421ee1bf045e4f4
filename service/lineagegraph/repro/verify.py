"""Verification of one run against another at the bitwise and algorithmic levels.

``verify_pair`` starts at the level asked and, when that level does not hold, tries the weaker
pair level so the verdict says how far the reproduction got (asked bitwise, achieved
algorithmic). The statistical level compares groups of trial runs: see ``statistical.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

from lineagegraph.errors import BadInput
from lineagegraph.models import ArtifactStatus, RunStatus
from lineagegraph.repro.arrays import ArrayLoadError, compare, load_arrays
from lineagegraph.repro.diff import Pairing, pair_outputs
from lineagegraph.repro.inputs import ProducedArtifact, RunSnapshot
from lineagegraph.repro.levels import Level
from lineagegraph.repro.tolerance import Tolerance
from lineagegraph.repro.verdict import Evidence, Outcome, Verdict, level_holds

_BITWISE, _ALGO = Level.BITWISE, Level.ALGORITHMIC


def require_finished(run: RunSnapshot, field: str) -> None:
    if run.status is not RunStatus.COMPLETED:
        raise BadInput(
            f"{run.ref} is {run.status.value}: only completed runs can be verified",
            field=field,
        )


def _artifact_item(name: str) -> str:
    return f"artifact {name}"


def _bitwise_one(
    name: str, a: ProducedArtifact | None, b: ProducedArtifact | None, runs: tuple[str, str]
) -> Evidence:
    def ev(outcome: Outcome, detail: str, **data: object) -> Evidence:
        return Evidence(
            level=_BITWISE,
            item=_artifact_item(name),
            outcome=outcome,
            detail=detail,
            data=dict(data),
        )

    if a is None or b is None:
        run = runs[0] if b is None else runs[1]
        return ev(Outcome.FAIL, f"produced only by {run}")
    pending = [x.ref for x in (a, b) if x.status is not ArtifactStatus.AVAILABLE]
    if pending:
        return ev(Outcome.FAIL, f"bytes not uploaded yet: {', '.join(pending)}")
    if a.digest is not None and b.digest is not None:
        if a.digest == b.digest:
            return ev(Outcome.PASS, "same digest", digest=a.digest)
        return ev(Outcome.FAIL, "digests differ", digest_a=a.digest, digest_b=b.digest)
    if a.digest is None and b.digest is None and a.values and b.values:
        same = a.values.keys() == b.values.keys() and all(
            _bits_equal(a.values[k], b.values[k]) for k in a.values
        )
        if same:
            return ev(Outcome.PASS, "same values, bit for bit", values=len(a.values))
        return ev(Outcome.FAIL, "values differ", **_value_gaps(a, b, Tolerance(rtol=0, atol=0)))
    missing = [x.ref for x in (a, b) if x.digest is None]
    return ev(Outcome.FAIL, f"no digest recorded for {', '.join(missing)}")


def _bits_equal(x: float, y: float) -> bool:
    return x == y or (x != x and y != y)  # NaN is equal to NaN here


def bitwise_evidence(a: RunSnapshot, b: RunSnapshot) -> list[Evidence]:
    """One item per produced artifact name: its digests must be equal."""
    left = {p.name: p for p in a.produced}
    right = {p.name: p for p in b.produced}
    runs = (a.ref, b.ref)
    return [
        _bitwise_one(pair.key, left.get(pair.key), right.get(pair.key), runs)
        for pair in pair_outputs(a, b)
    ]


def _value_gaps(a: ProducedArtifact, b: ProducedArtifact, tol: Tolerance) -> dict[str, object]:
    keys = sorted(a.values.keys() | b.values.keys())
    missing = [k for k in keys if k not in a.values or k not in b.values]
    differing = [k for k in keys if k not in missing and not tol.close(a.values[k], b.values[k])]
    return {"missing": missing, "differing": differing, "compared": len(keys) - len(missing)}


def _metric_evidence(
    a: RunSnapshot, b: RunSnapshot, keys: Sequence[str], tol: Tolerance
) -> list[Evidence]:
    out: list[Evidence] = []
    for key in keys:
        item = f"metric {key}"
        va, vb = a.final_metrics.get(key), b.final_metrics.get(key)
        if va is None or vb is None:
            absent = [run.ref for run, v in ((a, va), (b, vb)) if v is None]
            out.append(
                Evidence(
                    level=_ALGO,
                    item=item,
                    outcome=Outcome.FAIL,
                    detail=f"not logged by {', '.join(absent)}",
                )
            )
            continue
        ok = tol.close(va, vb)
        data = {"a": va, "b": vb, "difference": vb - va, "allowed": tol.allowed(va, vb)}
        detail = "within tolerance" if ok else f"differs by {abs(vb - va):.6g}, more than allowed"
        out.append(
            Evidence(
                level=_ALGO,
                item=item,
                outcome=Outcome.PASS if ok else Outcome.FAIL,
                detail=detail,
                data=data,
            )
        )
    return out


def _array_evidence(
    name: str, a: ProducedArtifact, b: ProducedArtifact, tol: Tolerance
) -> list[Evidence]:
    item = f"array {name}"
    if a.local_path is None or b.local_path is None:
        return [
            Evidence(
                level=_ALGO,
                item=item,
                outcome=Outcome.FAIL,
                detail="bytes not available locally to compare",
            )
        ]
    try:
        left, right = load_arrays(a.local_path), load_arrays(b.local_path)
    except ArrayLoadError as exc:
        return [Evidence(level=_ALGO, item=item, outcome=Outcome.FAIL, detail=str(exc))]
    if left.keys() != right.keys():
        return [
            Evidence(
                level=_ALGO,
                item=item,
                outcome=Outcome.FAIL,
                detail="the archives hold different arrays",
                data={
                    "only_a": sorted(left.keys() - right.keys()),
                    "only_b": sorted(right.keys() - left.keys()),
                },
            )
        ]
    out: list[Evidence] = []
    for member in sorted(left):
        ok, facts = compare(left[member], right[member], tol)
        label = f"{item}[{member}]" if member else item
        detail = (
            "within tolerance"
            if ok
            else (
                str(facts.get("reason"))
                if "reason" in facts
                else f"{facts['mismatched']} of {facts['size']} elements differ"
            )
        )
        out.append(
            Evidence(
                level=_ALGO,
                item=label,
                outcome=Outcome.PASS if ok else Outcome.FAIL,
                detail=detail,
                data=facts,
            )
        )
    return out


def _output_evidence(a: RunSnapshot, b: RunSnapshot, tol: Tolerance) -> list[Evidence]:
    left = {p.name: p for p in a.produced}
    right = {p.name: p for p in b.produced}
    out: list[Evidence] = []
    for pair in pair_outputs(a, b):
        x, y = left.get(pair.key), right.get(pair.key)
        item = _artifact_item(pair.key)
        if x is None or y is None:
            run = a.ref if y is None else b.ref
            out.append(
                Evidence(
                    level=_ALGO, item=item, outcome=Outcome.FAIL, detail=f"produced only by {run}"
                )
            )
        elif pair.status is Pairing.EQUAL and x.digest is not None:
            out.append(
                Evidence(
                    level=_ALGO,
                    item=item,
                    outcome=Outcome.PASS,
                    detail="identical bytes",
                    data={"digest": x.digest},
                )
            )
        elif x.values or y.values:
            gaps = _value_gaps(x, y, tol)
            ok = not gaps["missing"] and not gaps["differing"]
            out.append(
                Evidence(
                    level=_ALGO,
                    item=item,
                    outcome=Outcome.PASS if ok else Outcome.FAIL,
                    detail="values within tolerance" if ok else "values differ",
                    data=gaps,
                )
            )
        elif x.is_array and y.is_array:
            out.extend(_array_evidence(pair.key, x, y, tol))
        else:
            out.append(
                Evidence(
                    level=_ALGO,
                    item=item,
                    outcome=Outcome.SKIP,
                    detail="digests differ; not an array, not compared here",
                )
            )
    return out


def algorithmic_evidence(
    a: RunSnapshot, b: RunSnapshot, tolerance: Tolerance, metric_keys: Sequence[str] | None = None
) -> list[Evidence]:
    """Final metrics and produced arrays (and artifact values) within the tolerance."""
    keys = (
        list(metric_keys)
        if metric_keys
        else sorted(a.final_metrics.keys() | b.final_metrics.keys())
    )
    return _metric_evidence(a, b, keys, tolerance) + _output_evidence(a, b, tolerance)


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
