"""The algorithmic level: final metrics, produced arrays (``.npy``/``.npz``) and the numbers
of byte-less artifacts equal within the tolerance. Identical bytes pass without loading; other
artifacts (a pickled model) are not comparable here and are reported as skipped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lineagegraph.repro.arrays import ArrayLoadError, compare, load_arrays
from lineagegraph.repro.diff import Pairing, pair_outputs
from lineagegraph.repro.inputs import ProducedArtifact, RunSnapshot
from lineagegraph.repro.levels import Level
from lineagegraph.repro.tolerance import Tolerance
from lineagegraph.repro.verdict import Evidence, Outcome


def _ev(
    item: str, outcome: Outcome | bool, detail: str, data: dict[str, Any] | None = None
) -> Evidence:
    if isinstance(outcome, bool):
        outcome = Outcome.PASS if outcome else Outcome.FAIL
    return Evidence(
        level=Level.ALGORITHMIC, item=item, outcome=outcome, detail=detail, data=data or {}
    )


def _metric(key: str, a: RunSnapshot, b: RunSnapshot, tol: Tolerance) -> Evidence:
    item = f"metric {key}"
    va, vb = a.final_metrics.get(key), b.final_metrics.get(key)
    if va is None or vb is None:
        absent = [run.ref for run, v in ((a, va), (b, vb)) if v is None]
        return _ev(item, False, f"not logged by {', '.join(absent)}")
    ok = tol.close(va, vb)
    data = {"a": va, "b": vb, "difference": vb - va, "allowed": tol.allowed(va, vb)}
    detail = "within tolerance" if ok else f"differs by {abs(vb - va):.6g}, more than allowed"
    return _ev(item, ok, detail, data)


def _values(item: str, a: ProducedArtifact, b: ProducedArtifact, tol: Tolerance) -> Evidence:
    keys = sorted(a.values.keys() | b.values.keys())
    missing = [k for k in keys if k not in a.values or k not in b.values]
    differing = [k for k in keys if k not in missing and not tol.close(a.values[k], b.values[k])]
    ok = not missing and not differing
    data = {"missing": missing, "differing": differing, "compared": len(keys) - len(missing)}
    return _ev(item, ok, "values within tolerance" if ok else "values differ", data)


def _arrays(name: str, a: ProducedArtifact, b: ProducedArtifact, tol: Tolerance) -> list[Evidence]:
    item = f"array {name}"
    if a.local_path is None or b.local_path is None:
        return [_ev(item, False, "bytes not available locally to compare")]
    try:
        left, right = load_arrays(a.local_path), load_arrays(b.local_path)
    except ArrayLoadError as exc:
        return [_ev(item, False, str(exc))]
    if left.keys() != right.keys():
        data = {"only_a": sorted(left.keys() - right.keys()),
                "only_b": sorted(right.keys() - left.keys())}  # fmt: skip
        return [_ev(item, False, "the archives hold different arrays", data)]
    out = []
    for member in sorted(left):
        ok, facts = compare(left[member], right[member], tol)
        if ok:
            detail = "within tolerance"
        elif "reason" in facts:
            detail = str(facts["reason"])
        else:
            detail = f"{facts['mismatched']} of {facts['size']} elements differ"
        out.append(_ev(f"{item}[{member}]" if member else item, ok, detail, facts))
    return out


def _outputs(a: RunSnapshot, b: RunSnapshot, tol: Tolerance) -> list[Evidence]:
    left = {p.name: p for p in a.produced}
    right = {p.name: p for p in b.produced}
    out: list[Evidence] = []
    for pair in pair_outputs(a, b):
        x, y = left.get(pair.key), right.get(pair.key)
        item = f"artifact {pair.key}"
        if x is None or y is None:
            out.append(_ev(item, False, f"produced only by {a.ref if y is None else b.ref}"))
        elif pair.status is Pairing.EQUAL and x.digest is not None:
            out.append(_ev(item, True, "identical bytes", {"digest": x.digest}))
        elif x.values or y.values:
            out.append(_values(item, x, y, tol))
        elif x.is_array and y.is_array:
            out.extend(_arrays(pair.key, x, y, tol))
        else:
            out.append(_ev(item, Outcome.SKIP, "digests differ; not an array, not compared here"))
    return out


def algorithmic_evidence(
    a: RunSnapshot, b: RunSnapshot, tolerance: Tolerance, metric_keys: Sequence[str] | None = None
) -> list[Evidence]:
    """Final metrics (``metric_keys``, default every key either run logged), then outputs."""
    keys = list(metric_keys) if metric_keys else sorted(a.final_metrics | b.final_metrics)
    return [_metric(k, a, b, tolerance) for k in keys] + _outputs(a, b, tolerance)
