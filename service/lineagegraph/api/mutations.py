"""Mutations. Each builds the models.py event the SDK would send and applies it through the same
store path as the batched ingest, so a rule holds the same way whichever door a write comes in."""

from __future__ import annotations

import uuid
from typing import Any

import strawberry
from pydantic import TypeAdapter, ValidationError
from strawberry.permission import BasePermission

from lineagegraph.api.blobs import gate_events, settle_pending
from lineagegraph.api.context import in_thread
from lineagegraph.api.inputs import (
    FinishRunInput,
    IngestInput,
    LinkConsumedInput,
    LinkProducedInput,
    RegisterDatasetSnapshotInput,
    RegisterEvaluationReportInput,
    RegisterFeatureDefinitionInput,
    RegisterModelInput,
    StartRunInput,
    _ArtifactFields,
)
from lineagegraph.api.permissions import CanWrite
from lineagegraph.api.types import (
    Artifact,
    ArtifactLink,
    DatasetSnapshot,
    EvaluationReport,
    EventResult,
    FeatureDefinition,
    Info,
    IngestResult,
    Model,
    Run,
    wrap,
)
from lineagegraph.errors import BadInput, NotFound, error_from_code
from lineagegraph.graph.results import EventResult as StoredResult
from lineagegraph.models import IngestEvent, RunStatus
from lineagegraph.refs import NodeKind, parse_ref

_EVENT: TypeAdapter[IngestEvent] = TypeAdapter(IngestEvent)
_WRITE: list[type[BasePermission]] = [CanWrite]


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _input_field(loc: tuple[str | int, ...], renames: dict[str, str]) -> str:
    """An event field path as the input field (artifact.size_bytes -> input.sizeBytes)."""
    parts = [str(p) for p in loc if not isinstance(p, int)]
    if parts and parts[0] == "artifact":
        parts = parts[1:]
    dotted = ".".join(parts)
    for event_name, input_name in renames.items():
        if dotted == event_name or dotted.startswith(event_name + "."):
            dotted = input_name + dotted[len(event_name) :]
            break
    return "input" + ("." + ".".join(_camel(p) for p in dotted.split(".")) if dotted else "")


def _event(raw: dict[str, Any], renames: dict[str, str]) -> IngestEvent:
    try:
        return _EVENT.validate_python(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = _input_field(tuple(first["loc"])[1:], renames)  # [0] is the event type tag
        raise BadInput(f"{field}: {first['msg']}", field=field) from None


def _run_id(ref: str, field: str) -> str:
    parsed = parse_ref(ref, field=field)
    if parsed.kind is not NodeKind.RUN:
        raise BadInput(f"{ref!r} is not a run ref (run:<uuid>)", field=field)
    return parsed.name


async def _apply(info: Info, event: IngestEvent, renames: dict[str, str]) -> str:
    (result,) = await _apply_gated(info, [event])
    if not result.ok:
        field = (
            _input_field(tuple((result.field or "").split(".")), renames) if result.field else None
        )
        details = {"field": field} if field else {}
        raise error_from_code(result.code, result.message or "rejected", **details)
    return result.ref or ""


async def _apply_gated(info: Info, events: list[IngestEvent]) -> list[StoredResult]:
    """apply_events, with stored artifacts PENDING until their blob is proven (api/blobs.py)."""
    gated, pending = await gate_events(info, events)
    results: list[StoredResult] = await in_thread(info.context.store.apply_events, gated)
    await settle_pending(info, pending)
    return results


async def _node(info: Info, ref: str) -> Any:
    node = wrap(await in_thread(info.context.store.get_node, ref))
    if node is None:  # pragma: no cover - written a moment ago
        raise NotFound(f"{ref} does not exist")
    return node


def _artifact_event(kind: NodeKind, data: _ArtifactFields, **specific: Any) -> dict[str, Any]:
    artifact: dict[str, Any] = {
        "kind": kind.value,
        "name": data.name,
        "version": data.version,
        "digest": data.digest,
        "uri": data.uri,
        "size_bytes": data.size_bytes,
        "media_type": data.media_type,
        "storage": data.storage,
        "is_reference": data.is_reference,
        "status": data.status.value,
        "tags": data.tags or {},
        "properties": data.properties or {},
        **{k: v for k, v in specific.items() if v is not None},
    }
    raw: dict[str, Any] = {"type": "artifact_registered", "artifact": artifact}
    if data.produced_by is not None:
        raw["produced_by"] = _run_id(data.produced_by, "input.producedBy")
    if data.event_id is not None:
        raw["event_id"] = data.event_id
    return raw


_ARTIFACT_RENAMES = {"schema": "schema", "produced_by": "producedBy"}


@strawberry.type
class Mutation:
    @strawberry.mutation(permission_classes=_WRITE)
    async def register_dataset_snapshot(
        self, info: Info, input: RegisterDatasetSnapshotInput
    ) -> DatasetSnapshot:
        raw = _artifact_event(
            NodeKind.DATASET_SNAPSHOT, input, row_count=input.row_count, schema=input.schema_
        )
        ref = await _apply(info, _event(raw, _ARTIFACT_RENAMES), _ARTIFACT_RENAMES)
        node: DatasetSnapshot = await _node(info, ref)
        return node

    @strawberry.mutation(permission_classes=_WRITE)
    async def register_feature_definition(
        self, info: Info, input: RegisterFeatureDefinitionInput
    ) -> FeatureDefinition:
        raw = _artifact_event(
            NodeKind.FEATURE_DEFINITION,
            input,
            sources=input.sources,
            code_digest=input.code_digest,
            expression=input.expression,
        )
        ref = await _apply(info, _event(raw, _ARTIFACT_RENAMES), _ARTIFACT_RENAMES)
        node: FeatureDefinition = await _node(info, ref)
        return node

    @strawberry.mutation(permission_classes=_WRITE)
    async def register_model(self, info: Info, input: RegisterModelInput) -> Model:
        raw = _artifact_event(NodeKind.MODEL, input, framework=input.framework)
        ref = await _apply(info, _event(raw, _ARTIFACT_RENAMES), _ARTIFACT_RENAMES)
        node: Model = await _node(info, ref)
        return node

    @strawberry.mutation(permission_classes=_WRITE)
    async def register_evaluation_report(
        self, info: Info, input: RegisterEvaluationReportInput
    ) -> EvaluationReport:
        raw = _artifact_event(
            NodeKind.EVALUATION_REPORT,
            input,
            evaluates=input.evaluates,
            metrics=input.metrics,
            slices=input.slices,
        )
        ref = await _apply(info, _event(raw, _ARTIFACT_RENAMES), _ARTIFACT_RENAMES)
        node: EvaluationReport = await _node(info, ref)
        return node

    @strawberry.mutation(permission_classes=_WRITE)
    async def start_run(self, info: Info, input: StartRunInput) -> Run:
        renames = {"run_id": "runId", "parent_run_id": "parent", "time": "startTime"}
        raw: dict[str, Any] = {
            "type": "run_started",
            "run_id": input.run_id or str(uuid.uuid4()),
            "name": input.name,
            "provenance": input.provenance or {},
            "tags": input.tags or {},
            "job_namespace": input.job_namespace,
            "job_name": input.job_name,
        }
        if input.parent is not None:
            raw["parent_run_id"] = _run_id(input.parent, "input.parent")
        if input.start_time is not None:
            raw["time"] = input.start_time
        if input.event_id is not None:
            raw["event_id"] = input.event_id
        ref = await _apply(info, _event(raw, renames), renames)
        node: Run = await _node(info, ref)
        return node

    @strawberry.mutation(permission_classes=_WRITE)
    async def finish_run(self, info: Info, input: FinishRunInput) -> Run:
        renames = {"run_id": "run", "time": "endTime"}
        if input.status is RunStatus.RUNNING:
            raise BadInput("a run finishes COMPLETED, FAILED or KILLED", field="input.status")
        raw: dict[str, Any] = {
            "type": "run_finished",
            "run_id": _run_id(input.run, "input.run"),
            "status": input.status.value,
            "error_type": input.error_type,
            "error_message": input.error_message,
        }
        if input.end_time is not None:
            raw["time"] = input.end_time
        if input.event_id is not None:
            raw["event_id"] = input.event_id
        ref = await _apply(info, _event(raw, renames), renames)
        node: Run = await _node(info, ref)
        return node

    @strawberry.mutation(permission_classes=_WRITE)
    async def link_consumed(self, info: Info, input: LinkConsumedInput) -> ArtifactLink:
        return await _link(info, "artifact_consumed", input.run, input.artifact, input.event_id)

    @strawberry.mutation(permission_classes=_WRITE)
    async def link_produced(self, info: Info, input: LinkProducedInput) -> ArtifactLink:
        return await _link(info, "artifact_produced", input.run, input.artifact, input.event_id)

    @strawberry.mutation(
        permission_classes=_WRITE,
        description="The SDK's batched ingest: events applied in order, each idempotent by its "
        "effect, each reported; a bad event does not stop the others.",
    )
    async def ingest(self, info: Info, input: IngestInput) -> IngestResult:
        limit = info.context.settings.max_batch_size
        events = input.events
        if not isinstance(events, list):
            raise BadInput("events must be a JSON list of ingest events", field="input.events")
        if len(events) > limit:
            raise BadInput(
                f"a batch holds at most {limit} events, not {len(events)}", field="input.events"
            )
        slots: list[StoredResult | None] = []
        valid: list[IngestEvent] = []
        for index, raw in enumerate(events):
            try:
                valid.append(_EVENT.validate_python(raw))
                slots.append(None)
            except ValidationError as exc:
                event_id = raw.get("event_id") if isinstance(raw, dict) else None
                if not isinstance(event_id, str) or not event_id:
                    raise BadInput(
                        f"events[{index}] is not an ingest event with an event_id: "
                        f"{exc.errors()[0]['msg']}",
                        field=f"input.events[{index}]",
                    ) from None
                first = exc.errors()[0]
                where = ".".join(str(p) for p in first["loc"][1:])
                slots.append(
                    StoredResult(
                        event_id, False, code="BAD_INPUT", message=first["msg"], field=where
                    )
                )
        applied = iter(await _apply_gated(info, valid))
        results = [slot if slot is not None else next(applied) for slot in slots]
        return IngestResult(
            accepted=sum(1 for r in results if r.ok),
            results=[
                EventResult(
                    event_id=r.event_id,
                    ok=r.ok,
                    ref=r.ref,
                    code=r.code,
                    message=r.message,
                    field=r.field,
                    warning=r.warning,
                )
                for r in results
            ],
        )


async def _link(
    info: Info, event_type: str, run: str, artifact: str, event_id: str | None
) -> ArtifactLink:
    renames = {"run_id": "run", "ref": "artifact"}
    raw: dict[str, Any] = {
        "type": event_type,
        "run_id": _run_id(run, "input.run"),
        "ref": artifact,
    }
    if event_id is not None:
        raw["event_id"] = event_id
    parse_ref(artifact, field="input.artifact")
    bound = await _apply(info, _event(raw, renames), renames)
    run_node: Run = await _node(info, f"run:{raw['run_id']}")
    artifact_node = await _node(info, bound)
    assert isinstance(artifact_node, Artifact)
    return ArtifactLink(run=run_node, artifact=artifact_node)
