"""Pydantic models shared by the SDK and the server: the ingest events and what they carry.

These models are the wire contract of the batched ingest (GraphQL ``ingest(input: {events})``,
where ``events`` is a JSON list of the events below). The SDK builds them; the server validates the
same models. Every event carries a client-generated ``event_id``; applying an event twice changes
nothing (each event's effect is idempotent: runs and artifacts are merged by ref, edges are merged,
a metric point is identified by (run, key, step) and a replay overwrites it with the same value).
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
)

from lineagegraph.refs import NodeKind, check_name, check_version, parse_ref

MAX_TAG_VALUE = 5000
MAX_TAGS = 200
JsonDict = dict[str, Any]


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_event_id() -> str:
    return uuid.uuid4().hex


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunStatus(StrEnum):
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    KILLED = "KILLED"


class ArtifactStatus(StrEnum):
    PENDING = "PENDING"  # upload asked for, bytes not yet verified
    AVAILABLE = "AVAILABLE"


# --- metric values: JSON has no NaN/Infinity, so non-finite floats travel as strings -----------
_NON_FINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _parse_metric(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("a metric value must be a number, not a boolean")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value in _NON_FINITE:
        return _NON_FINITE[value]
    raise ValueError(f"a metric value must be a number or NaN/Infinity/-Infinity, not {value!r}")


def _dump_metric(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


MetricValue = Annotated[
    float, BeforeValidator(_parse_metric), PlainSerializer(_dump_metric, when_used="json")
]


def _check_tags(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags")
    for key, value in tags.items():
        if not key or len(key) > 250:
            raise ValueError(f"tag key {key[:40]!r} must be 1-250 characters")
        if len(value) > MAX_TAG_VALUE:
            raise ValueError(f"tag {key!r} is longer than {MAX_TAG_VALUE} characters")
    return tags


Tags = Annotated[dict[str, str], AfterValidator(_check_tags)]


# --- provenance ------------------------------------------------------------------------------
class CodeVersion(_Model):
    commit: str | None = None
    branch: str | None = None
    remote_url: str | None = None
    dirty: bool | None = None
    diff_digest: str | None = None  # sha256:... of `git diff HEAD`
    diff_ref: str | None = None  # artifact holding the diff when dirty
    entry_point: str | None = None
    command: list[str] | None = None


class Environment(_Model):
    python_version: str | None = None
    platform: str | None = None
    packages_digest: str | None = None  # sha256 over the sorted "name==version" lines
    packages: dict[str, str] | None = None  # name -> version
    image_digest: str | None = None


class Gpu(_Model):
    name: str
    memory_bytes: int | None = None
    driver: str | None = None


class Hardware(_Model):
    cpu_model: str | None = None
    cpu_count: int | None = None
    memory_bytes: int | None = None
    gpus: list[Gpu] = Field(default_factory=list)


class Provenance(_Model):
    code: CodeVersion | None = None
    environment: Environment | None = None
    hardware: Hardware | None = None
    seeds: dict[str, int] | None = None  # what seed_everything seeded: {"random": 42, ...}
    config: JsonDict | None = None
    data_filters: JsonDict | None = None
    user: str | None = None


class Interval(_Model):
    """A metric with its confidence interval: value, low, high (low <= value <= high)."""

    value: MetricValue
    low: MetricValue
    high: MetricValue
    confidence: float = 0.95


# --- artifacts -------------------------------------------------------------------------------
class ArtifactSpec(_Model):
    """What registering an artifact says about it. ``version`` may be omitted for models
    (numbered per name by the server). ``digest`` is ``sha256:<64 hex>`` when known."""

    kind: Literal[
        NodeKind.DATASET_SNAPSHOT,
        NodeKind.FEATURE_DEFINITION,
        NodeKind.MODEL,
        NodeKind.EVALUATION_REPORT,
    ]
    name: str
    version: str | None = None
    digest: str | None = None
    uri: str | None = None
    size_bytes: int | None = Field(None, ge=0)
    media_type: str | None = None
    storage: str | None = None  # e.g. "s3://bucket" for stored blobs
    is_reference: bool = False  # registered where it lives, bytes not copied
    status: ArtifactStatus = ArtifactStatus.AVAILABLE
    # dataset snapshots
    row_count: int | None = Field(None, ge=0)
    schema_: JsonDict | None = Field(None, alias="schema")
    # feature definitions: what it is derived from (snapshot or feature refs)
    sources: list[str] = Field(default_factory=list)
    code_digest: str | None = None
    expression: str | None = None
    # models
    framework: str | None = None
    # evaluation reports
    evaluates: str | None = None  # model ref
    metrics: dict[str, MetricValue] = Field(default_factory=dict)
    slices: dict[str, dict[str, Interval]] = Field(default_factory=dict)
    properties: JsonDict = Field(default_factory=dict)
    tags: Tags = Field(default_factory=dict)

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, serialize_by_alias=True
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return check_name(value)

    @field_validator("version")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        return None if value is None else check_version(value)

    @field_validator("digest")
    @classmethod
    def _digest(cls, value: str | None) -> str | None:
        if value is None:
            return None
        algo, _, hexdigest = value.partition(":")
        if (
            algo != "sha256"
            or len(hexdigest) != 64
            or not all(c in "0123456789abcdef" for c in hexdigest)
        ):
            raise ValueError("digest must be sha256:<64 lowercase hex digits>")
        return value

    @field_validator("sources")
    @classmethod
    def _sources(cls, value: list[str]) -> list[str]:
        for ref in value:
            parse_ref(ref, field="sources")
        return value


# --- events ----------------------------------------------------------------------------------
class _Event(_Model):
    event_id: str = Field(default_factory=new_event_id, min_length=1, max_length=128)
    time: datetime = Field(default_factory=utcnow)


class RunStarted(_Event):
    type: Literal["run_started"] = "run_started"
    run_id: uuid.UUID
    name: str
    parent_run_id: uuid.UUID | None = None
    provenance: Provenance = Field(default_factory=Provenance)
    tags: Tags = Field(default_factory=dict)
    job_namespace: str | None = None  # OpenLineage job identity, when the run came from one
    job_name: str | None = None


class RunFinished(_Event):
    type: Literal["run_finished"] = "run_finished"
    run_id: uuid.UUID
    status: Literal[RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.KILLED]
    error_type: str | None = None
    error_message: str | None = None


class RunTagged(_Event):
    type: Literal["run_tagged"] = "run_tagged"
    run_id: uuid.UUID
    tags: Tags


class ParamsLogged(_Event):
    type: Literal["params_logged"] = "params_logged"
    run_id: uuid.UUID
    params: JsonDict


class MetricsLogged(_Event):
    """Values of several metrics at one step. The point (run, key, step) is the identity."""

    type: Literal["metrics_logged"] = "metrics_logged"
    run_id: uuid.UUID
    step: int = Field(ge=0)
    values: dict[str, MetricValue] = Field(min_length=1)


class ArtifactRegistered(_Event):
    type: Literal["artifact_registered"] = "artifact_registered"
    artifact: ArtifactSpec
    produced_by: uuid.UUID | None = None  # the run that produced it, if any


class ArtifactConsumed(_Event):
    type: Literal["artifact_consumed"] = "artifact_consumed"
    run_id: uuid.UUID
    ref: str  # a dataset:<name> ref binds to that dataset's latest snapshot

    @field_validator("ref")
    @classmethod
    def _ref(cls, value: str) -> str:
        parse_ref(value)
        return value


class ArtifactProduced(_Event):
    type: Literal["artifact_produced"] = "artifact_produced"
    run_id: uuid.UUID
    ref: str

    @field_validator("ref")
    @classmethod
    def _ref(cls, value: str) -> str:
        parse_ref(value)
        return value


IngestEvent = Annotated[
    RunStarted
    | RunFinished
    | RunTagged
    | ParamsLogged
    | MetricsLogged
    | ArtifactRegistered
    | ArtifactConsumed
    | ArtifactProduced,
    Field(discriminator="type"),
]


class IngestBatch(_Model):
    events: list[IngestEvent]
