"""Human tables and JSON documents for run diffs and verdicts (what the CLI prints)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lineagegraph.repro.diff import ArtifactPair, Pairing, RunDiff
from lineagegraph.repro.verdict import Verdict, to_json

MAX_CELL = 60


def _cell(value: Any, limit: int | None) -> str:
    if value is None:
        return "-"
    text = value if isinstance(value, str) else repr(value)
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], max_cell: int | None = MAX_CELL
) -> str:
    """Left-aligned columns, cells longer than ``max_cell`` cut with an ellipsis."""
    cells = [[_cell(c, max_cell) for c in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def _short_digest(digest: str | None) -> str:
    if digest is None:
        return "-"
    algo, _, hexdigest = digest.partition(":")
    return f"{algo}:{hexdigest[:12]}" if hexdigest else digest


def _artifact_side(ref: str | None, digest: str | None) -> str:
    if ref is None:
        return "-"
    return f"{ref} {_short_digest(digest)}" if digest else ref


def _artifact_rows(dimension: str, pairs: Sequence[ArtifactPair]) -> list[list[Any]]:
    return [
        [
            dimension,
            p.key,
            _artifact_side(p.ref_a, p.digest_a),
            _artifact_side(p.ref_b, p.digest_b),
            p.status.value,
        ]
        for p in pairs
    ]


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def render_diff(diff: RunDiff, *, all_rows: bool = False) -> str:
    """The diff as a table of what differs (``all_rows`` also lists equal artifacts/metrics)."""
    changed = diff.changed_dimensions
    out = [f"a: {diff.a}", f"b: {diff.b}"]
    out.append("differs in: " + (", ".join(changed) if changed else "nothing"))
    inputs = [p for p in diff.inputs if all_rows or p.status is not Pairing.EQUAL]
    outputs = [p for p in diff.outputs if all_rows or p.status is not Pairing.EQUAL]
    rows: list[list[Any]] = []
    for section in diff.sections:
        rows += [[section.name, c.path, c.a, c.b, c.kind.value] for c in section.changes]
        if section.name == "code":  # data right after code, as in `changed_dimensions`
            rows += _artifact_rows("data", inputs)
    rows += _artifact_rows("outputs", outputs)
    if rows:
        out += ["", table(["DIMENSION", "ITEM", "A", "B", "CHANGE"], rows)]
    metrics = [m for m in diff.metrics if all_rows or not m.equal]
    if metrics:
        metric_rows = [
            [
                m.key,
                _num(m.a),
                _num(m.b),
                _num(m.difference),
                "-" if m.relative is None else f"{m.relative:+.2%}",
            ]
            for m in metrics
        ]
        out += ["", table(["METRIC", "A", "B", "B - A", "RELATIVE"], metric_rows)]
    return "\n".join(out)


def diff_json(diff: RunDiff) -> dict[str, Any]:
    document: dict[str, Any] = to_json(diff)
    document["changed_dimensions"] = diff.changed_dimensions
    return document


def _runs(label: str, refs: Sequence[str]) -> str:
    return (
        f"{label}: {refs[0]}"
        if len(refs) == 1
        else f"{label} ({len(refs)} runs): " + ", ".join(refs)
    )


def render_verdict(verdict: Verdict) -> str:
    achieved = verdict.level_achieved.value if verdict.level_achieved else "none"
    state = "REACHED" if verdict.passed else "NOT REACHED"
    out = [
        _runs("a", verdict.runs_a),
        _runs("b", verdict.runs_b),
        f"level asked: {verdict.level_requested.value}, achieved: {achieved} -> {state}",
        "",
        table(
            ["LEVEL", "ITEM", "OUTCOME", "DETAIL"],
            [[e.level.value, e.item, e.outcome.value, e.detail] for e in verdict.evidence],
            max_cell=None,
        ),
    ]
    return "\n".join(out)


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    document: dict[str, Any] = to_json(verdict)
    document["passed"] = verdict.passed
    return document
