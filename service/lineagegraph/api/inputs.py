"""GraphQL input types: one per mutation, plus the listing filters."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from lineagegraph.api.types import Long
from lineagegraph.models import ArtifactStatus, RunStatus


@strawberry.input(description="A tag to match: the key, and the value when given.")
class TagFilter:
    key: str
    value: str | None = None


@strawberry.input
class RunFilter:
    name: str | None = None
    status: RunStatus | None = None
    tag: TagFilter | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    job_namespace: str | None = None
    job_name: str | None = None


@strawberry.input
class ArtifactFilter:
    name: str | None = None
    status: ArtifactStatus | None = None
    tag: TagFilter | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


@strawberry.input(description="Fields every artifact registration takes.")
class _ArtifactFields:
    name: str
    version: str | None = strawberry.field(
        default=None, description="Omitted: the next number for this name (1, 2, ...)."
    )
    digest: str | None = strawberry.field(default=None, description="sha256:<64 hex digits>")
    uri: str | None = None
    size_bytes: Long | None = None
    media_type: str | None = None
    storage: str | None = None
    is_reference: bool = False
    status: ArtifactStatus = ArtifactStatus.AVAILABLE
    tags: JSON | None = None
    properties: JSON | None = None
    produced_by: str | None = strawberry.field(default=None, description="The producing run's ref.")
    event_id: str | None = strawberry.field(
        default=None,
        description="Client id: a retried registration without version keeps its number.",
    )


@strawberry.input
class RegisterDatasetSnapshotInput(_ArtifactFields):
    row_count: Long | None = None
    schema_: JSON | None = strawberry.field(default=None, name="schema")


@strawberry.input
class RegisterFeatureDefinitionInput(_ArtifactFields):
    sources: list[str] = strawberry.field(
        default_factory=list,
        description="Snapshot or feature refs; dataset:<name> binds the latest.",
    )
    code_digest: str | None = None
    expression: str | None = None


@strawberry.input
class RegisterModelInput(_ArtifactFields):
    framework: str | None = None


@strawberry.input
class RegisterEvaluationReportInput(_ArtifactFields):
    evaluates: str | None = strawberry.field(default=None, description="The model's ref.")
    metrics: JSON | None = strawberry.field(
        default=None, description='{"auc": 0.91}; "NaN"/"Infinity" for non-finite values.'
    )
    slices: JSON | None = strawberry.field(
        default=None,
        description='{"country=US": {"auc": {"value": 0.93, "low": 0.91, "high": 0.95}}}',
    )


@strawberry.input
class StartRunInput:
    name: str
    run_id: str | None = strawberry.field(default=None, description="A UUID; generated if omitted.")
    parent: str | None = strawberry.field(default=None, description="The parent run's ref.")
    provenance: JSON | None = strawberry.field(
        default=None,
        description="code, environment, hardware, seeds, config, data_filters, user "
        "(see models.Provenance).",
    )
    tags: JSON | None = None
    job_namespace: str | None = None
    job_name: str | None = None
    start_time: datetime | None = None
    event_id: str | None = None


@strawberry.input
class FinishRunInput:
    run: str
    status: RunStatus
    error_type: str | None = None
    error_message: str | None = None
    end_time: datetime | None = None
    event_id: str | None = None


@strawberry.input
class LinkConsumedInput:
    run: str
    artifact: str = strawberry.field(
        description="An artifact ref; dataset:<name> binds the latest."
    )
    event_id: str | None = None


@strawberry.input
class LinkProducedInput:
    run: str
    artifact: str
    event_id: str | None = None


@strawberry.input(description="A batch of ingest events (models.py), at most max_batch_size.")
class IngestInput:
    events: JSON
