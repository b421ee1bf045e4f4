"""From a validated OpenLineage event to a plan of graph changes (pure; no database here).

The plan says which Run the event touches (its job identity, the status its eventType implies,
provenance and tags derived from the standard facets, every facet as sent) and which datasets it
reads and writes (name, version when the event names one, facets to keep on the snapshot). The
graph side (graph/openlineage_store.py) turns the plan into Cypher; schema/OPENLINEAGE.md documents
the whole mapping.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from lineagegraph.errors import BadInput
from lineagegraph.models import (
    MAX_TAG_VALUE,
    MAX_TAGS,
    CodeVersion,
    Environment,
    Provenance,
    RunStatus,
)
from lineagegraph.openlineage import naming
from lineagegraph.openlineage.facets import JobFacets, RunFacets
from lineagegraph.openlineage.spec import (
    Dataset,
    DatasetEvent,
    EventType,
    InputDataset,
    JobEvent,
    OpenLineageEvent,
    OutputDataset,
    RunEvent,
)
from lineagegraph.refs import run_ref

JsonDict = dict[str, Any]
TAG_PREFIX = "openlineage."

STATUS_OF: dict[EventType, RunStatus] = {
    EventType.START: RunStatus.RUNNING,
    EventType.RUNNING: RunStatus.RUNNING,
    EventType.COMPLETE: RunStatus.COMPLETED,
    EventType.FAIL: RunStatus.FAILED,
    EventType.ABORT: RunStatus.KILLED,
}
TERMINAL = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.KILLED})


@dataclass(frozen=True, slots=True)
class DatasetUse:
    """One dataset an event names, as our graph will hold it."""

    name: str  # Dataset name: <namespace>/<name>, encoded (naming.py)
    namespace: str  # as sent
    source_name: str  # as sent
    version: str | None  # from the `version` facet, encoded; None: derive or bind by time
    facets: dict[str, JsonDict]  # dataset facets plus input/output facets, as sent

    @property
    def dataset_ref(self) -> str:
        return naming.dataset_ref(self.name)


@dataclass(frozen=True, slots=True)
class ParentLink:
    run_id: uuid.UUID
    job_namespace: str
    job_name: str

    @property
    def ref(self) -> str:
        return run_ref(self.run_id)


@dataclass(frozen=True, slots=True)
class RunChange:
    run_id: uuid.UUID
    job_namespace: str
    job_name: str
    event_time: datetime
    event_type: EventType | None
    status: RunStatus | None  # None: OTHER or no eventType, the status stays as it is
    error_message: str | None
    parent: ParentLink | None
    provenance: Provenance
    tags: dict[str, str]
    run_facets: dict[str, JsonDict]
    job_facets: dict[str, JsonDict]

    @property
    def ref(self) -> str:
        return run_ref(self.run_id)

    @property
    def name(self) -> str:
        return self.job_name

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True, slots=True)
class LineagePlan:
    kind: str  # RunEvent, JobEvent or DatasetEvent
    event_time: datetime
    producer: str
    run: RunChange | None = None
    inputs: tuple[DatasetUse, ...] = ()
    outputs: tuple[DatasetUse, ...] = ()
    # JobEvent / DatasetEvent: datasets known without a run (facets land on the Dataset node,
    # and on the snapshot when a version is named).
    datasets: tuple[DatasetUse, ...] = field(default=())


def utc(moment: datetime) -> datetime:
    """The instant with a fixed UTC offset. Neo4j orders two DateTimes of the same instant by
    their zone when one names it (``[UTC]``, as the driver's values read back do) and the other
    gives an offset, so every time written or compared is normalised to this one form."""
    return moment.astimezone(UTC)


def _tags(run_facets: RunFacets, job_facets: JobFacets) -> dict[str, str]:
    tags: dict[str, str] = {}

    def put(key: str, value: str) -> None:
        # The facets are kept verbatim; tags are a convenience, so odd entries are skipped.
        if key and len(key) <= 250 and len(tags) < MAX_TAGS:
            tags[key] = value[:MAX_TAG_VALUE]

    job_type = job_facets.job_type
    if job_type is not None:
        put(TAG_PREFIX + "integration", job_type.integration)
        put(TAG_PREFIX + "processingType", job_type.processing_type)
        if job_type.job_type:
            put(TAG_PREFIX + "jobType", job_type.job_type)
    if job_facets.ownership is not None and job_facets.ownership.owners:
        put(TAG_PREFIX + "owners", ",".join(owner.name for owner in job_facets.ownership.owners))
    if run_facets.nominal_time is not None:
        put(TAG_PREFIX + "nominalStartTime", run_facets.nominal_time.nominal_start_time)
        if run_facets.nominal_time.nominal_end_time:
            put(TAG_PREFIX + "nominalEndTime", run_facets.nominal_time.nominal_end_time)
    for facet in (job_facets.tags, run_facets.tags):  # run tags win over job tags
        for tag in facet.tags if facet is not None else []:
            put(tag.key, tag.value)
    return tags


def _provenance(run_facets: RunFacets, job_facets: JobFacets) -> Provenance:
    code = None
    location = job_facets.source_code_location
    if location is not None:
        code = CodeVersion(
            commit=location.version,
            branch=location.branch,
            remote_url=location.repo_url or location.url,
            entry_point=location.path,
        )
    environment = None
    engine = run_facets.processing_engine
    if engine is not None:
        packages = {engine.name or "processing-engine": engine.version}
        if engine.openlineage_adapter_version:
            packages["openlineage-integration"] = engine.openlineage_adapter_version
        environment = Environment(packages=packages)
    return Provenance(code=code, environment=environment)


@dataclass(frozen=True, slots=True)
class DerivedRunFields:
    provenance: Provenance
    tags: dict[str, str]
    error_message: str | None


def derive_run_fields(
    run_facets: dict[str, JsonDict], job_facets: dict[str, JsonDict]
) -> DerivedRunFields:
    """What the (merged) facets of a run give its provenance, tags and error message."""
    runs = RunFacets.model_validate(run_facets)
    jobs = JobFacets.model_validate(job_facets)
    error = runs.error_message
    return DerivedRunFields(
        provenance=_provenance(runs, jobs),
        tags=_tags(runs, jobs),
        error_message=error.message if error is not None else None,
    )


def _count(facet: object, key: str) -> int | None:
    value = facet.get(key) if isinstance(facet, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass(frozen=True, slots=True)
class SnapshotFields:
    row_count: int | None
    size_bytes: int | None
    schema: JsonDict | None


def snapshot_fields(facets: dict[str, JsonDict]) -> SnapshotFields:
    """What the (merged) facets of a snapshot say about its row count, size and schema."""
    stats, metrics = facets.get("outputStatistics"), facets.get("dataQualityMetrics")
    row_count = _count(stats, "rowCount")
    size_bytes = _count(stats, "size")
    if row_count is None:
        row_count = _count(metrics, "rowCount")
    if size_bytes is None:
        size_bytes = _count(metrics, "bytes")
    schema = facets.get("schema")
    fields = schema.get("fields") if isinstance(schema, dict) else None
    return SnapshotFields(row_count, size_bytes, {"fields": fields} if fields else None)


def _use(dataset: Dataset, where: str) -> DatasetUse:
    facets = dataset.facets.as_json()
    if isinstance(dataset, InputDataset):
        facets.update(dataset.input_facets.as_json())
    if isinstance(dataset, OutputDataset):
        facets.update(dataset.output_facets.as_json())
    version_facet = dataset.facets.version
    version = None
    if version_facet is not None and version_facet.deleted is not True:
        version = naming.encode_version(version_facet.dataset_version)
        if len(version) > 128:
            raise BadInput(
                "the version facet's datasetVersion is longer than 128 characters",
                field=f"{where}.facets.version.datasetVersion",
            )
    return DatasetUse(
        name=naming.dataset_name(dataset.namespace, dataset.name, field=where),
        namespace=dataset.namespace,
        source_name=dataset.name,
        version=version,
        facets=facets,
    )


def _uses(datasets: list[InputDataset] | list[OutputDataset], where: str) -> tuple[DatasetUse, ...]:
    """One use per (dataset, version): a dataset named twice keeps the union of its facets."""
    merged: dict[tuple[str, str | None], DatasetUse] = {}
    for index, dataset in enumerate(datasets):
        use = _use(dataset, f"{where}[{index}]")
        key = (use.name, use.version)
        if key in merged:
            first = merged[key]
            use = replace(use, facets={**first.facets, **use.facets})
        merged[key] = use
    return tuple(merged.values())


def _run_change(event: RunEvent) -> RunChange:
    run_facets, job_facets = event.run.facets, event.job.facets
    parent = None
    if run_facets.parent is not None:
        parent_id = uuid.UUID(run_facets.parent.run.run_id)
        if parent_id == event.run.run_id:
            raise BadInput("a run cannot be its own parent", field="run.facets.parent.run.runId")
        parent = ParentLink(parent_id, run_facets.parent.job.namespace, run_facets.parent.job.name)
    status = STATUS_OF.get(event.event_type) if event.event_type is not None else None
    error = run_facets.error_message
    return RunChange(
        run_id=event.run.run_id,
        job_namespace=event.job.namespace,
        job_name=event.job.name,
        event_time=utc(event.event_time),
        event_type=event.event_type,
        status=status,
        error_message=error.message if error is not None else None,
        parent=parent,
        provenance=_provenance(run_facets, job_facets),
        tags=_tags(run_facets, job_facets),
        run_facets=run_facets.as_json(),
        job_facets=job_facets.as_json(),
    )


def plan_event(event: OpenLineageEvent) -> LineagePlan:
    """The graph changes an event asks for; BadInput for what validation alone cannot see."""
    if isinstance(event, RunEvent):
        inputs, outputs = _uses(event.inputs, "inputs"), _uses(event.outputs, "outputs")
        written = {(use.name, use.version) for use in outputs if use.version is not None}
        for index, use in enumerate(inputs):
            if (use.name, use.version) in written:
                raise BadInput(
                    f"the run reads and writes the same version {use.version!r} of {use.name!r}"
                    " (a snapshot cannot be its own input)",
                    field=f"inputs[{index}].facets.version",
                )
        return LineagePlan(
            kind="RunEvent",
            event_time=utc(event.event_time),
            producer=event.producer,
            run=_run_change(event),
            inputs=inputs,
            outputs=outputs,
        )
    if isinstance(event, JobEvent):
        return LineagePlan(
            kind="JobEvent",
            event_time=utc(event.event_time),
            producer=event.producer,
            datasets=_uses(event.inputs, "inputs") + _uses(event.outputs, "outputs"),
        )
    assert isinstance(event, DatasetEvent)
    return LineagePlan(
        kind="DatasetEvent",
        event_time=utc(event.event_time),
        producer=event.producer,
        datasets=(_use(event.dataset, "dataset"),),
    )
