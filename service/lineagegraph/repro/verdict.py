"""The outcome of a verification: level asked, level achieved, and the evidence per item.

A Verdict is what the wiring stores as a ReproducibilityCheck node linked to the runs it
compared; ``node_properties`` gives the flat property map (Neo4j has no nested maps, so the
evidence and parameters travel as JSON text).
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime
from enum import Enum, StrEnum
from pathlib import PurePath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lineagegraph.repro.levels import Level, satisfies


def _now() -> datetime:
    return datetime.now(UTC)


def json_safe(value: Any) -> Any:
    """A plain JSON value from a python-mode dump. JSON has no NaN/Infinity: non-finite floats
    become "NaN", "Infinity", "-Infinity" (pydantic's JSON mode would turn them into null)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID | PurePath):
        return str(value)
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    return value


def to_json(model: BaseModel) -> Any:
    """A model as a JSON-ready document, keeping NaN and infinities visible."""
    return json_safe(model.model_dump(mode="python"))


class Outcome(StrEnum):
    PASS = "pass"  # noqa: S105 (an outcome, not a password)
    FAIL = "fail"
    SKIP = "skip"  # not comparable at this level (e.g. a pickle at the algorithmic level)


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    level: Level
    item: str  # "artifact model.pkl", "metric accuracy", "array preds.npz[scores]"
    outcome: Outcome
    detail: str
    data: dict[str, Any] = Field(default_factory=dict)


def level_holds(evidence: list[Evidence], level: Level) -> bool:
    """A level holds when nothing at it failed and at least one item passed."""
    items = [e for e in evidence if e.level is level]
    return any(e.outcome is Outcome.PASS for e in items) and not any(
        e.outcome is Outcome.FAIL for e in items
    )


class Verdict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    check_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    level_requested: Level
    level_achieved: Level | None
    runs_a: list[str]
    runs_b: list[str]
    parameters: dict[str, Any] = Field(default_factory=dict)
    evidence: list[Evidence]
    created_at: datetime = Field(default_factory=_now)

    @property
    def passed(self) -> bool:
        return satisfies(self.level_achieved, self.level_requested)

    @property
    def failures(self) -> list[Evidence]:
        return [e for e in self.evidence if e.outcome is Outcome.FAIL]

    def node_properties(self) -> dict[str, Any]:
        """Properties of the ReproducibilityCheck node (ref ``check:<uuid>``)."""
        return {
            "ref": f"check:{self.check_id}",
            "kind": "REPRODUCIBILITY_CHECK",
            "levelRequested": self.level_requested.value,
            "levelAchieved": self.level_achieved.value if self.level_achieved else None,
            "passed": self.passed,
            "runsA": list(self.runs_a),
            "runsB": list(self.runs_b),
            "parametersJson": json.dumps(json_safe(self.parameters), sort_keys=True),
            "evidenceJson": json.dumps([to_json(e) for e in self.evidence]),
            "failedItems": sum(e.outcome is Outcome.FAIL for e in self.evidence),
            "createdAt": self.created_at.isoformat(),
        }
