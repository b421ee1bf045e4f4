"""Reproducibility in the graph: runs read as ``repro.inputs.RunSnapshot``, verdicts stored as
``ReproducibilityCheck`` nodes, reproductions linked by ``REPRODUCES`` (schema/MODEL.md).

The gate asks one question of it: :func:`highest_verified_level` -- the strongest level a passed
check verified for a run, and the check that did.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError

from lineagegraph.errors import BadInput, NotFound
from lineagegraph.graph.records import node_from_props, to_python
from lineagegraph.graph.statements import StatementStore
from lineagegraph.graph.store import GraphStore
from lineagegraph.models import (
    ArtifactStatus,
    CodeVersion,
    Environment,
    Hardware,
    Provenance,
    RunStatus,
)
from lineagegraph.refs import NodeKind, parse_ref
from lineagegraph.repro.inputs import ConsumedArtifact, ProducedArtifact, RunSnapshot
from lineagegraph.repro.levels import Level, rank
from lineagegraph.repro.verdict import Evidence, Verdict

CHECK_PREFIX = "check:"
MAX_GROUP_RUNS = 1000  # runs one tag selector may select


@dataclass(frozen=True, slots=True)
class StoredCheck:
    """A ReproducibilityCheck node as read back (evidence and parameters decoded)."""

    ref: str
    level_requested: Level
    level_achieved: Level | None
    passed: bool
    runs_a: list[str]
    runs_b: list[str]
    parameters: dict[str, Any]
    evidence: list[dict[str, Any]]
    failed_items: int
    created_at: datetime | None
    side: str | None = None  # A or B, when read from one run's point of view

    @classmethod
    def from_props(cls, props: dict[str, Any], side: str | None = None) -> StoredCheck:
        achieved = props.get("levelAchieved")
        created = to_python(props.get("createdAt"))
        return cls(
            ref=str(props["ref"]),
            level_requested=Level(props["levelRequested"]),
            level_achieved=Level(achieved) if achieved else None,
            passed=bool(props.get("passed")),
            runs_a=list(props.get("runsA") or []),
            runs_b=list(props.get("runsB") or []),
            parameters=json.loads(props.get("parametersJson") or "{}"),
            evidence=json.loads(props.get("evidenceJson") or "[]"),
            failed_items=int(props.get("failedItems") or 0),
            created_at=created if isinstance(created, datetime) else None,
            side=side,
        )

    def to_verdict(self) -> Verdict:
        """The stored verdict as the repro logic's Verdict (to render it like a fresh one)."""
        return Verdict(
            check_id=uuid.UUID(self.ref.removeprefix(CHECK_PREFIX)),
            level_requested=self.level_requested,
            level_achieved=self.level_achieved,
            runs_a=self.runs_a,
            runs_b=self.runs_b,
            parameters=self.parameters,
            evidence=[Evidence.model_validate(e) for e in self.evidence],
            created_at=self.created_at or datetime.now(UTC),
        )


def check_ref(text: str, field: str = "ref") -> str:
    """``check:<uuid>`` in canonical form, or BadInput."""
    raw = text.strip()
    if not raw.startswith(CHECK_PREFIX):
        raise BadInput(f"{text[:80]!r} is not a check ref (check:<uuid>)", field=field)
    try:
        return CHECK_PREFIX + str(uuid.UUID(raw[len(CHECK_PREFIX) :]))
    except ValueError:
        raise BadInput(f"{text[:80]!r} is not a check ref (check:<uuid>)", field=field) from None


def run_ref(text: str, field: str) -> str:
    """A canonical ``run:<uuid>`` ref, or BadInput naming ``field``."""
    parsed = parse_ref(text, field=field)
    if parsed.kind is not NodeKind.RUN:
        raise BadInput(f"{text[:80]!r} is not a run ref (run:<uuid>)", field=field)
    return str(parsed)


# --- reading runs -------------------------------------------------------------------------------
def _model(cls: type[BaseModel], value: Any) -> Any:
    """A provenance part from its stored JSON; a shape this version does not know is left out
    rather than failing the whole comparison."""
    if not isinstance(value, dict):
        return None
    try:
        return cls.model_validate(value)
    except ValidationError:
        return None


def _mapping(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _seeds(value: Any) -> dict[str, int] | None:
    if not isinstance(value, dict):
        return None
    return {str(k): int(v) for k, v in value.items() if isinstance(v, int)}


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(value)
    return None


def _artifact_values(node: dict[str, Any]) -> dict[str, float]:
    """Numbers an artifact carries without bytes: a report's overall metrics and its slices
    (``"country=FR/auc"``, with ``.low``/``.high`` for the interval)."""
    values: dict[str, float] = {}
    for key, value in (node.get("metrics") or {}).items():
        number = _number(value)
        if number is not None:
            values[str(key)] = number
    slices = node.get("slices") or {}
    if isinstance(slices, dict):
        for name, metrics in slices.items():
            if not isinstance(metrics, dict):
                continue
            for key, interval in metrics.items():
                if not isinstance(interval, dict):
                    continue
                for part in ("value", "low", "high"):
                    number = _number(interval.get(part))
                    if number is not None:
                        suffix = "" if part == "value" else f".{part}"
                        values[f"{name}/{key}{suffix}"] = number
    return values


def _status(value: Any) -> ArtifactStatus:
    return ArtifactStatus(value) if value in ArtifactStatus.__members__ else ArtifactStatus.PENDING


def snapshot_from_row(row: dict[str, Any]) -> RunSnapshot:
    node = node_from_props(row["props"])
    provenance = Provenance(
        code=_model(CodeVersion, node.get("code")),
        environment=_model(Environment, node.get("environment")),
        hardware=_model(Hardware, node.get("hardware")),
        seeds=_seeds(node.get("seeds")),
        config=_mapping(node.get("config")),
        data_filters=_mapping(node.get("dataFilters")),
        user=node.get("user"),
    )
    consumed = [
        ConsumedArtifact(ref=a["ref"], digest=a.get("digest"), uri=a.get("uri"))
        for a in (node_from_props(p) for p in row["consumed"])
    ]
    produced = [
        ProducedArtifact(
            name=str(a.get("name") or a["ref"]),
            ref=a["ref"],
            digest=a.get("digest"),
            media_type=a.get("mediaType"),
            uri=a.get("uri"),
            status=_status(a.get("status")),
            values=_artifact_values(a),
        )
        for a in sorted((node_from_props(p) for p in row["produced"]), key=lambda a: a["ref"])
    ]
    metrics: dict[str, float] = {}
    for item in row["metrics"]:
        number = _number(item.get("value"))
        if number is not None:
            metrics[str(item["key"])] = number
    status = str(node.get("status") or "")
    return RunSnapshot(
        ref=node["ref"],
        name=node.get("name"),
        status=RunStatus(status) if status in RunStatus.__members__ else RunStatus.RUNNING,
        provenance=provenance,
        params=dict(node.get("params") or {}),
        tags=dict(node.get("tags") or {}),
        consumed=sorted(consumed, key=lambda c: c.ref),
        produced=produced,
        final_metrics=metrics,
    )


def _level_of(value: Any) -> Level | None:
    try:
        return Level(value)
    except ValueError:
        return None


class ReproStore(StatementStore):
    # --- runs ----------------------------------------------------------------------------------
    def snapshots(self, refs: Sequence[str]) -> dict[str, RunSnapshot]:
        """The runs that exist among ``refs`` (canonical run refs), as the repro logic sees them."""
        if not refs:
            return {}
        rows = self._read("repro.run_facts", refs=sorted(set(refs)))
        return {row["ref"]: snapshot_from_row(row) for row in rows}

    def require_snapshots(self, refs: Sequence[tuple[str, str]]) -> list[RunSnapshot]:
        """Snapshots for (ref, field) pairs in order; NotFound naming the first missing field."""
        found = self.snapshots([ref for ref, _ in refs])
        missing = [(ref, field) for ref, field in refs if ref not in found]
        if missing:
            names = ", ".join(ref for ref, _ in missing)
            raise NotFound(f"no such run: {names}", field=missing[0][1])
        return [found[ref] for ref, _ in refs]

    def runs_with_tag(self, key: str, value: str, limit: int = MAX_GROUP_RUNS) -> list[str]:
        rows = self._read("repro.runs_by_tag", tagKey=key, tagValue=value, limit=limit + 1)
        refs = [str(row["ref"]) for row in rows]
        if len(refs) > limit:
            raise BadInput(
                f"tag {key}={value} selects more than {limit} runs; use a narrower tag",
                field="group",
            )
        return refs

    # --- checks --------------------------------------------------------------------------------
    def save_check(self, verdict: Verdict) -> str:
        """Store a verdict as a ReproducibilityCheck node linked to its runs; returns its ref."""
        props = verdict.node_properties()
        props["createdAt"] = verdict.created_at.astimezone(UTC)
        sides = [{"run": r, "side": "A"} for r in verdict.runs_a]
        sides += [{"run": r, "side": "B"} for r in verdict.runs_b]
        self._write(
            "repro.create_checks", rows=[{"ref": props["ref"], "props": props, "sides": sides}]
        )
        return str(props["ref"])

    def get_check(self, ref: str) -> StoredCheck | None:
        rows = self._read("repro.check_by_ref", ref=check_ref(ref))
        return StoredCheck.from_props(rows[0]["props"]) if rows else None

    def checks_of(self, refs: Sequence[str]) -> dict[str, list[StoredCheck]]:
        """Each run's checks, newest first."""
        found: dict[str, list[StoredCheck]] = {ref: [] for ref in refs}
        if not refs:
            return found
        for row in self._read("repro.run_checks", refs=sorted(set(refs))):
            found[row["ref"]].append(StoredCheck.from_props(row["props"], row["side"]))
        return found

    def highest_verified_levels(self, refs: Sequence[str]) -> dict[str, tuple[Level, str] | None]:
        """For each run: the strongest level achieved by a passed check that compared it (on
        either side), with that check's ref (the newest such check on a tie); None if none."""
        best: dict[str, tuple[Level, str] | None] = dict.fromkeys(refs)
        if not refs:
            return best
        for row in self._read("repro.passed_levels", refs=sorted(set(refs))):
            level = _level_of(row["level"])
            if level is None:
                continue
            current = best.get(row["ref"])
            # rows come newest first: only a strictly stronger level replaces the one kept
            if current is None or rank(level) > rank(current[0]):
                best[row["ref"]] = (level, str(row["check"]))
        return best

    def highest_verified_level(self, run: str) -> tuple[Level, str] | None:
        ref = run_ref(run, "run")
        return self.highest_verified_levels([ref])[ref]

    # --- reproductions -------------------------------------------------------------------------
    def link_reproduction(self, original: str, reproduction: str) -> None:
        """``(reproduction)-[:REPRODUCES]->(original)``; NotFound when either run is missing."""
        a, b = run_ref(original, "original"), run_ref(reproduction, "reproduction")
        if a == b:
            raise BadInput(f"{a} cannot reproduce itself", field="reproduction")
        rows = self._write(
            "repro.link_reproduces",
            rows=[{"original": a, "reproduction": b, "createdAt": datetime.now(UTC)}],
        )
        if not rows:
            found = self.snapshots([a, b])
            field = "original" if a not in found else "reproduction"
            raise NotFound(f"no such run: {a if a not in found else b}", field=field)

    def reproduces(self, refs: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {ref: [] for ref in refs}
        if not refs:
            return found
        for row in self._read("repro.run_reproduces", refs=sorted(set(refs))):
            found[row["ref"]].append(str(row["original"]))
        return found


def highest_verified_level(graph: GraphStore, run: str) -> tuple[Level, str] | None:
    """The highest reproducibility level verified for ``run`` (a ``run:<uuid>`` ref) by a passed
    ReproducibilityCheck, and that check's ref (``check:<uuid>``); None when no check passed.

    A check counts for every run it compared, on either side: the original of a reproduction
    and the reproduction itself were both shown to give the same outcome."""
    return ReproStore.of(graph).highest_verified_level(run)
