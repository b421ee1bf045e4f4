"""Parsing and formatting of the human references used everywhere an id is taken.

Forms:  run:<uuid>  dataset:<name>  dataset:<name>@<version>  feature:<name>@<version>
        model:<name>@<version>  report:<name>@<version>  check:<uuid>
Names may hold any printable Unicode except ``@`` and control characters; they are stored verbatim.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from enum import StrEnum

from lineagegraph.errors import BadInput

MAX_NAME_LENGTH = 512
MAX_VERSION_LENGTH = 128


class NodeKind(StrEnum):
    RUN = "RUN"
    DATASET = "DATASET"
    DATASET_SNAPSHOT = "DATASET_SNAPSHOT"
    FEATURE_DEFINITION = "FEATURE_DEFINITION"
    MODEL = "MODEL"
    EVALUATION_REPORT = "EVALUATION_REPORT"


#: Neo4j label of each kind; labels are fixed strings, never taken from input.
LABELS: dict[NodeKind, str] = {
    NodeKind.RUN: "Run",
    NodeKind.DATASET: "Dataset",
    NodeKind.DATASET_SNAPSHOT: "DatasetSnapshot",
    NodeKind.FEATURE_DEFINITION: "FeatureDefinition",
    NodeKind.MODEL: "Model",
    NodeKind.EVALUATION_REPORT: "EvaluationReport",
}
KIND_BY_LABEL = {label: kind for kind, label in LABELS.items()}

_PREFIX: dict[str, NodeKind] = {
    "run": NodeKind.RUN,
    "dataset": NodeKind.DATASET_SNAPSHOT,  # with @version; without it, DATASET
    "feature": NodeKind.FEATURE_DEFINITION,
    "model": NodeKind.MODEL,
    "report": NodeKind.EVALUATION_REPORT,
}
PREFIX_OF: dict[NodeKind, str] = {
    NodeKind.RUN: "run",
    NodeKind.DATASET: "dataset",
    NodeKind.DATASET_SNAPSHOT: "dataset",
    NodeKind.FEATURE_DEFINITION: "feature",
    NodeKind.MODEL: "model",
    NodeKind.EVALUATION_REPORT: "report",
}
VERSIONED = frozenset(
    {
        NodeKind.DATASET_SNAPSHOT,
        NodeKind.FEATURE_DEFINITION,
        NodeKind.MODEL,
        NodeKind.EVALUATION_REPORT,
    }
)
ARTIFACT_KINDS = VERSIONED


@dataclass(frozen=True, slots=True)
class Ref:
    kind: NodeKind
    name: str
    version: str | None = None

    def __str__(self) -> str:
        prefix = PREFIX_OF[self.kind]
        if self.version is None:
            return f"{prefix}:{self.name}"
        return f"{prefix}:{self.name}@{self.version}"

    @property
    def is_artifact(self) -> bool:
        return self.kind in ARTIFACT_KINDS


# C0 controls and DEL; one regex search instead of a Python-level loop over every character
# (refs are checked for every event of an ingest batch).
_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _check_text(value: str, what: str, limit: int, field: str) -> None:
    if not value or not value.strip():
        raise BadInput(f"{what} must not be empty", field=field)
    if len(value) > limit:
        raise BadInput(f"{what} is longer than {limit} characters", field=field)
    if _CONTROL.search(value):
        raise BadInput(f"{what} must not contain control characters", field=field)


def check_name(name: str, field: str = "name") -> str:
    _check_text(name, "name", MAX_NAME_LENGTH, field)
    if "@" in name:
        raise BadInput("name must not contain '@' (it separates the version)", field=field)
    return name


def check_version(version: str, field: str = "version") -> str:
    _check_text(version, "version", MAX_VERSION_LENGTH, field)
    if "@" in version:
        raise BadInput("version must not contain '@'", field=field)
    return version


def parse_ref(text: str, field: str = "ref") -> Ref:
    """Parse a ref, raising BadInput naming ``field`` when it is malformed."""
    if not isinstance(text, str) or ":" not in text:
        raise BadInput(f"malformed ref {text!r}: expected <kind>:<name>[@<version>]", field=field)
    prefix, _, rest = text.partition(":")
    kind = _PREFIX.get(prefix)
    if kind is None:
        known = ", ".join(sorted(_PREFIX))
        raise BadInput(f"unknown ref kind {prefix!r} in {text!r} (known: {known})", field=field)
    if kind is NodeKind.RUN:
        try:
            run_id = uuid.UUID(rest)
        except ValueError:
            raise BadInput(
                f"malformed run ref {text!r}: expected run:<uuid>", field=field
            ) from None
        return Ref(NodeKind.RUN, str(run_id))
    name, at, version = rest.rpartition("@")
    if not at:
        name, version = rest, ""
    check_name(name, field)
    if not at:
        if kind is NodeKind.DATASET_SNAPSHOT:
            return Ref(NodeKind.DATASET, name)
        raise BadInput(f"ref {text!r} needs a version: {prefix}:<name>@<version>", field=field)
    check_version(version, field)
    return Ref(kind, name, version)


def run_ref(run_id: str | uuid.UUID) -> str:
    return f"run:{uuid.UUID(str(run_id))}"


def artifact_ref(kind: NodeKind, name: str, version: str) -> str:
    return str(Ref(kind, name, version))
