"""The standard OpenLineage facets this service reads, modelled from the spec's facet schemas.

A facet is a JSON object; ``_producer`` and ``_schemaURL`` are required by the spec but many
hand-written producers omit them, so they are optional here. Every model allows extra properties
(the spec does), and a facet container keeps unknown facets verbatim as long as each is an object.
Date-time fields stay strings (checked to be ISO 8601), so a stored facet is exactly what was sent.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def parse_iso_datetime(value: str) -> datetime:
    """An ISO 8601 date-time with a time part; naive times are UTC. Raises ValueError."""
    text = value.strip()
    if text.endswith("]") and "[" in text:  # Java's ZonedDateTime may append "[Zone/Id]"
        text = text[: text.index("[")]
    if len(text) < 11 or text[10] not in "Tt ":
        raise ValueError(
            f"{value[:60]!r} is not an ISO 8601 date-time such as 2024-05-01T12:00:00Z"
        )
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(
            f"{value[:60]!r} is not an ISO 8601 date-time such as 2024-05-01T12:00:00Z ({exc})"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _check_iso(value: str) -> str:
    parse_iso_datetime(value)
    return value


def _check_uuid(value: str) -> str:
    try:
        uuid.UUID(value)
    except ValueError:
        raise ValueError(f"{value[:60]!r} is not a UUID") from None
    return value


IsoDateTime = Annotated[str, AfterValidator(_check_iso)]
UuidText = Annotated[str, AfterValidator(_check_uuid)]
NonEmpty = Annotated[str, Field(min_length=1)]


class Open(BaseModel):
    """A spec object: extra properties are allowed and kept."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


class BaseFacet(Open):
    producer: str | None = Field(None, alias="_producer")
    schema_url: str | None = Field(None, alias="_schemaURL")
    deleted: bool | None = Field(None, alias="_deleted")


class FacetContainer(Open):
    """A ``facets`` object: standard facets are typed fields, others must still be objects."""

    # Annotating the extras makes pydantic check each unknown facet, naming its key on failure.
    __pydantic_extra__: dict[str, dict[str, Any] | None] = Field(init=False)

    def as_json(self) -> dict[str, dict[str, Any]]:
        """Every facet as sent, minus null ones and those marked ``_deleted``."""
        dumped = self.model_dump(mode="json", by_alias=True, exclude_unset=True)
        return {
            key: value
            for key, value in dumped.items()
            if isinstance(value, dict) and value.get("_deleted") is not True
        }


# --- run facets ------------------------------------------------------------------------------
class _RunRef(Open):
    run_id: UuidText = Field(alias="runId")


class _JobRef(Open):
    namespace: NonEmpty
    name: NonEmpty


class _Root(Open):
    run: _RunRef
    job: _JobRef


class ParentRunFacet(BaseFacet):
    run: _RunRef
    job: _JobRef
    root: _Root | None = None


class NominalTimeRunFacet(BaseFacet):
    nominal_start_time: IsoDateTime = Field(alias="nominalStartTime")
    nominal_end_time: IsoDateTime | None = Field(None, alias="nominalEndTime")


class ErrorMessageRunFacet(BaseFacet):
    message: str
    programming_language: str | None = Field(None, alias="programmingLanguage")
    stack_trace: str | None = Field(None, alias="stackTrace")


class ProcessingEngineRunFacet(BaseFacet):
    version: str
    name: str | None = None
    openlineage_adapter_version: str | None = Field(None, alias="openlineageAdapterVersion")


class _EnvironmentVariable(Open):
    name: str
    value: str


class EnvironmentVariablesRunFacet(BaseFacet):
    environment_variables: list[_EnvironmentVariable] = Field(alias="environmentVariables")


class _Tag(Open):
    key: str
    value: str
    source: str | None = None


class TagsFacet(BaseFacet):
    tags: list[_Tag] = Field(default_factory=list)


class RunFacets(FacetContainer):
    parent: ParentRunFacet | None = None
    nominal_time: NominalTimeRunFacet | None = Field(None, alias="nominalTime")
    error_message: ErrorMessageRunFacet | None = Field(None, alias="errorMessage")
    processing_engine: ProcessingEngineRunFacet | None = None
    environment_variables: EnvironmentVariablesRunFacet | None = Field(
        None, alias="environmentVariables"
    )
    tags: TagsFacet | None = None


# --- job facets ------------------------------------------------------------------------------
class SourceCodeJobFacet(BaseFacet):
    language: str
    source_code: str = Field(alias="sourceCode")


class SourceCodeLocationJobFacet(BaseFacet):
    type: str
    url: str
    repo_url: str | None = Field(None, alias="repoUrl")
    path: str | None = None
    version: str | None = None
    tag: str | None = None
    branch: str | None = None


class SqlJobFacet(BaseFacet):
    query: str
    dialect: str | None = None


class JobTypeJobFacet(BaseFacet):
    processing_type: str = Field(alias="processingType")
    integration: str
    job_type: str | None = Field(None, alias="jobType")


class _Owner(Open):
    name: str
    type: str | None = None


class OwnershipFacet(BaseFacet):
    owners: list[_Owner] = Field(default_factory=list)


class JobFacets(FacetContainer):
    source_code: SourceCodeJobFacet | None = Field(None, alias="sourceCode")
    source_code_location: SourceCodeLocationJobFacet | None = Field(
        None, alias="sourceCodeLocation"
    )
    sql: SqlJobFacet | None = None
    job_type: JobTypeJobFacet | None = Field(None, alias="jobType")
    ownership: OwnershipFacet | None = None
    tags: TagsFacet | None = None


# --- dataset facets --------------------------------------------------------------------------
class SchemaField(Open):
    name: str
    type: str | None = None
    description: str | None = None
    fields: list[SchemaField] | None = None


class SchemaDatasetFacet(BaseFacet):
    fields: list[SchemaField] = Field(default_factory=list)


class DatasourceDatasetFacet(BaseFacet):
    name: str | None = None
    uri: str | None = None


class DatasetVersionDatasetFacet(BaseFacet):
    dataset_version: NonEmpty = Field(alias="datasetVersion")


class _InputField(Open):
    namespace: str
    name: str
    field: str


class _ColumnLineage(Open):
    input_fields: list[_InputField] = Field(alias="inputFields")


class ColumnLineageDatasetFacet(BaseFacet):
    fields: dict[str, _ColumnLineage]
    dataset: list[_InputField] | None = None


class _PreviousIdentifier(Open):
    name: str
    namespace: str


LifecycleState = Literal["ALTER", "CREATE", "DROP", "OVERWRITE", "RENAME", "TRUNCATE"]


class LifecycleStateChangeDatasetFacet(BaseFacet):
    lifecycle_state_change: LifecycleState = Field(alias="lifecycleStateChange")
    previous_identifier: _PreviousIdentifier | None = Field(None, alias="previousIdentifier")


class _ColumnMetrics(Open):
    null_count: int | None = Field(None, alias="nullCount")
    distinct_count: int | None = Field(None, alias="distinctCount")
    sum: float | None = None
    count: float | None = None
    min: float | None = None
    max: float | None = None
    quantiles: dict[str, float] | None = None


class DataQualityMetricsFacet(BaseFacet):
    row_count: int | None = Field(None, alias="rowCount", ge=0)
    bytes: int | None = Field(None, ge=0)
    file_count: int | None = Field(None, alias="fileCount", ge=0)
    last_updated: IsoDateTime | None = Field(None, alias="lastUpdated")
    column_metrics: dict[str, _ColumnMetrics] = Field(alias="columnMetrics")


class _Assertion(Open):
    assertion: str
    success: bool
    column: str | None = None


class DataQualityAssertionsFacet(BaseFacet):
    assertions: list[_Assertion]


class OutputStatisticsFacet(BaseFacet):
    row_count: int | None = Field(None, alias="rowCount", ge=0)
    size: int | None = Field(None, ge=0)
    file_count: int | None = Field(None, alias="fileCount", ge=0)


class DatasetFacets(FacetContainer):
    schema_: SchemaDatasetFacet | None = Field(None, alias="schema")
    data_source: DatasourceDatasetFacet | None = Field(None, alias="dataSource")
    version: DatasetVersionDatasetFacet | None = None
    column_lineage: ColumnLineageDatasetFacet | None = Field(None, alias="columnLineage")
    lifecycle_state_change: LifecycleStateChangeDatasetFacet | None = Field(
        None, alias="lifecycleStateChange"
    )
    ownership: OwnershipFacet | None = None
    tags: TagsFacet | None = None
    # Older producers put quality facets on the dataset rather than the input.
    data_quality_metrics: DataQualityMetricsFacet | None = Field(None, alias="dataQualityMetrics")
    data_quality_assertions: DataQualityAssertionsFacet | None = Field(
        None, alias="dataQualityAssertions"
    )


class InputDatasetFacets(FacetContainer):
    data_quality_metrics: DataQualityMetricsFacet | None = Field(None, alias="dataQualityMetrics")
    data_quality_assertions: DataQualityAssertionsFacet | None = Field(
        None, alias="dataQualityAssertions"
    )


class OutputDatasetFacets(FacetContainer):
    output_statistics: OutputStatisticsFacet | None = Field(None, alias="outputStatistics")
