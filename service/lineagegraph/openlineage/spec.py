"""OpenLineage events (spec 2-0-2, and the older 1-0-x RunEvents) as pydantic models.

``parse_event`` takes the decoded JSON body of ``POST /api/v1/lineage`` and returns a RunEvent,
DatasetEvent or JobEvent, or raises BadInput naming the first invalid field (``run.runId``,
``inputs[0].facets.schema.fields``, ...). Which kind an event is comes from the fragment of its
``schemaURL`` (``#/$defs/RunEvent``, or ``#/definitions/RunEvent`` in 1-0-x), else from its shape.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError, model_validator

from lineagegraph.errors import BadInput
from lineagegraph.openlineage.facets import (
    DatasetFacets,
    InputDatasetFacets,
    JobFacets,
    NonEmpty,
    Open,
    OutputDatasetFacets,
    RunFacets,
    parse_iso_datetime,
)

MAX_REPORTED_ERRORS = 5


class EventType(StrEnum):
    START = "START"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    ABORT = "ABORT"
    FAIL = "FAIL"
    OTHER = "OTHER"


def _event_time(value: object) -> datetime:
    # Strict on purpose: pydantic would take numbers as Unix times, the spec says date-time text.
    if not isinstance(value, str):
        raise ValueError("eventTime must be an ISO 8601 date-time string")
    return parse_iso_datetime(value)


EventTime = Annotated[datetime, BeforeValidator(_event_time)]


class Job(Open):
    namespace: NonEmpty
    name: NonEmpty
    facets: JobFacets = Field(default_factory=JobFacets)


class Run(Open):
    run_id: uuid.UUID = Field(alias="runId")
    facets: RunFacets = Field(default_factory=RunFacets)


class Dataset(Open):
    namespace: NonEmpty
    name: NonEmpty
    facets: DatasetFacets = Field(default_factory=DatasetFacets)


class InputDataset(Dataset):
    input_facets: InputDatasetFacets = Field(
        default_factory=InputDatasetFacets, alias="inputFacets"
    )


class OutputDataset(Dataset):
    output_facets: OutputDatasetFacets = Field(
        default_factory=OutputDatasetFacets, alias="outputFacets"
    )


class _BaseEvent(Open):
    event_time: EventTime = Field(alias="eventTime")
    producer: NonEmpty
    schema_url: NonEmpty = Field(alias="schemaURL")


class RunEvent(_BaseEvent):
    event_type: EventType | None = Field(None, alias="eventType")
    run: Run
    job: Job
    inputs: list[InputDataset] = Field(default_factory=list)
    outputs: list[OutputDataset] = Field(default_factory=list)


class JobEvent(_BaseEvent):
    job: Job
    inputs: list[InputDataset] = Field(default_factory=list)
    outputs: list[OutputDataset] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _no_run(cls, data: Any) -> Any:
        if isinstance(data, dict) and "run" in data:
            raise ValueError("a JobEvent has no run (send a RunEvent instead)")
        return data


class DatasetEvent(_BaseEvent):
    dataset: Dataset

    @model_validator(mode="before")
    @classmethod
    def _no_run_or_job(cls, data: Any) -> Any:
        if isinstance(data, dict) and ("run" in data or "job" in data):
            raise ValueError("a DatasetEvent has neither run nor job (send a RunEvent instead)")
        return data


OpenLineageEvent = RunEvent | JobEvent | DatasetEvent
_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "RunEvent": TypeAdapter(RunEvent),
    "JobEvent": TypeAdapter(JobEvent),
    "DatasetEvent": TypeAdapter(DatasetEvent),
}


def event_kind(data: dict[str, Any]) -> str:
    """RunEvent, JobEvent or DatasetEvent: from the schemaURL fragment, else from the shape."""
    schema_url = data.get("schemaURL")
    if isinstance(schema_url, str):
        fragment = schema_url.rpartition("#")[2].rstrip("/")
        name = fragment.rpartition("/")[2]
        if name in _ADAPTERS:
            return name
    if "run" in data:
        return "RunEvent"
    if "dataset" in data:
        return "DatasetEvent"
    if "job" in data and "run" not in data and "eventType" not in data:
        return "JobEvent"
    return "RunEvent"


def _where(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.startswith("function-"):  # validator frames pydantic adds to the location
            continue
        else:
            text += f".{part}" if text else part
    return text


def bad_input_from(exc: ValidationError, kind: str) -> BadInput:
    problems = []
    for err in exc.errors(include_url=False)[:MAX_REPORTED_ERRORS]:
        where = _where(tuple(err["loc"]))
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "required field is missing"
        problems.append(f"{where}: {message}" if where else message)
    more = exc.error_count() - len(problems)
    text = f"invalid OpenLineage {kind}: " + "; ".join(problems)
    if more > 0:
        text += f" (and {more} more)"
    first = exc.errors(include_url=False)[0] if exc.error_count() else None
    return BadInput(text, field=_where(tuple(first["loc"])) if first else None)


def parse_event(data: object) -> OpenLineageEvent:
    if not isinstance(data, dict):
        raise BadInput(
            f"the body must be one OpenLineage event (a JSON object), not {type(data).__name__}"
        )
    kind = event_kind(data)
    try:
        event: OpenLineageEvent = _ADAPTERS[kind].validate_python(data)
    except ValidationError as exc:
        raise bad_input_from(exc, kind) from None
    return event
