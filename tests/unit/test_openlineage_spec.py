"""The OpenLineage event models: what the spec requires is required, bad shapes name the field."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest

from lineagegraph.errors import BadInput
from lineagegraph.openlineage.spec import (
    DatasetEvent,
    EventType,
    JobEvent,
    RunEvent,
    event_kind,
    parse_event,
)

SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
RUN_ID = "3f5e83fa-3480-44ff-99c5-ff943904e5e8"


def run_event(**extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventType": "START",
        "eventTime": "2024-05-01T12:00:00.123Z",
        "producer": "https://example.com/producer",
        "schemaURL": f"{SPEC}#/$defs/RunEvent",
        "run": {"runId": RUN_ID},
        "job": {"namespace": "airflow", "name": "etl.load"},
    }
    event.update(extra)
    return event


def rejected(data: object) -> BadInput:
    with pytest.raises(BadInput) as caught:
        parse_event(data)
    return caught.value


def test_minimal_run_event():
    event = parse_event(run_event())
    assert isinstance(event, RunEvent)
    assert event.run.run_id == uuid.UUID(RUN_ID)
    assert event.event_type is EventType.START
    assert event.event_time.isoformat() == "2024-05-01T12:00:00.123000+00:00"
    assert (event.inputs, event.outputs) == ([], [])


def test_older_1_0_x_run_event_uses_definitions_fragment():
    data = run_event(
        schemaURL="https://openlineage.io/spec/1-0-5/OpenLineage.json#/definitions/RunEvent"
    )
    assert isinstance(parse_event(data), RunEvent)


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (lambda d: d["run"].pop("runId"), "run.runId", "required"),
        (lambda d: d["run"].update(runId="not-a-uuid"), "run.runId", "UUID"),
        (lambda d: d.pop("job"), "job", "required"),
        (lambda d: d["job"].pop("name"), "job.name", "required"),
        (lambda d: d["job"].update(namespace=""), "job.namespace", "at least 1"),
        (lambda d: d.update(eventTime="yesterday"), "eventTime", "ISO 8601"),
        (lambda d: d.update(eventTime="2024-05-01"), "eventTime", "ISO 8601"),
        (lambda d: d.update(eventTime="2024-13-01T00:00:00Z"), "eventTime", "month"),
        (lambda d: d.update(eventTime=1714564800), "eventTime", "string"),
        (lambda d: d.pop("producer"), "producer", "required"),
        (lambda d: d.pop("schemaURL"), "schemaURL", "required"),
        (lambda d: d.update(eventType="DONE"), "eventType", "START"),
        (lambda d: d.update(inputs={"namespace": "a"}), "inputs", "list"),
    ],
)
def test_invalid_run_events_name_the_field(mutate, field, words):
    data = run_event()
    mutate(data)
    error = rejected(data)
    assert error.field == field
    assert words in error.message
    assert field in error.message


@pytest.mark.parametrize(
    ("facets", "field"),
    [
        (
            {"parent": {"run": {"runId": "x"}, "job": {"namespace": "a", "name": "b"}}},
            "run.facets.parent.run.runId",
        ),
        ({"parent": {"job": {"namespace": "a", "name": "b"}}}, "run.facets.parent.run"),
        ({"errorMessage": {"programmingLanguage": "python"}}, "run.facets.errorMessage.message"),
        ({"nominalTime": {"nominalStartTime": "soon"}}, "run.facets.nominalTime.nominalStartTime"),
        ({"tags": {"tags": [{"key": "k"}]}}, "run.facets.tags.tags[0].value"),
        ({"myOwnFacet": "just text"}, "run.facets.myOwnFacet"),
        ({"processing_engine": {"name": "spark"}}, "run.facets.processing_engine.version"),
    ],
)
def test_invalid_run_facets(facets, field):
    data = run_event()
    data["run"]["facets"] = facets
    assert rejected(data).field == field


@pytest.mark.parametrize(
    ("facets", "field"),
    [
        ({"schema": {"fields": "id,name"}}, "inputs[0].facets.schema.fields"),
        ({"schema": {"fields": [{"type": "int"}]}}, "inputs[0].facets.schema.fields[0].name"),
        ({"version": {}}, "inputs[0].facets.version.datasetVersion"),
        (
            {"lifecycleStateChange": {"lifecycleStateChange": "EXPLODE"}},
            "inputs[0].facets.lifecycleStateChange.lifecycleStateChange",
        ),
        (
            {"columnLineage": {"fields": {"a": {"inputFields": [{"name": "t"}]}}}},
            "inputs[0].facets.columnLineage.fields.a.inputFields[0].namespace",
        ),
    ],
)
def test_invalid_dataset_facets(facets, field):
    data = run_event(inputs=[{"namespace": "pg", "name": "t", "facets": facets}])
    assert rejected(data).field == field


def test_unknown_facets_are_kept_verbatim():
    data = run_event()
    custom = {"_producer": "me", "_schemaURL": "https://x/y.json", "nested": {"a": [1, 2.5, None]}}
    data["run"]["facets"] = {
        "spark_unknown": custom,
        "tags": {"tags": [{"key": "k", "value": "v"}]},
    }
    data["inputs"] = [
        {
            "namespace": "pg",
            "name": "t",
            "facets": {"vendorThing": {"x": 1}},
            "inputFacets": {"dataQualityMetrics": {"rowCount": 3, "columnMetrics": {}}},
        }
    ]
    event = parse_event(data)
    assert isinstance(event, RunEvent)
    assert event.run.facets.as_json()["spark_unknown"] == custom
    assert event.inputs[0].facets.as_json() == {"vendorThing": {"x": 1}}
    assert event.inputs[0].input_facets.as_json()["dataQualityMetrics"]["rowCount"] == 3


def test_deleted_and_null_facets_are_not_kept():
    data = run_event(
        outputs=[
            {
                "namespace": "pg",
                "name": "t",
                "facets": {
                    "schema": {"_deleted": True},
                    "dataSource": None,
                    "ownership": {"owners": []},
                },
            }
        ]
    )
    event = parse_event(data)
    assert isinstance(event, RunEvent)
    assert set(event.outputs[0].facets.as_json()) == {"ownership"}


def test_dataset_and_job_events():
    dataset = parse_event(
        {
            "eventTime": "2024-05-01T12:00:00+02:00",
            "producer": "p",
            "schemaURL": f"{SPEC}#/$defs/DatasetEvent",
            "dataset": {"namespace": "s3://b", "name": "k", "facets": {"schema": {"fields": []}}},
        }
    )
    assert isinstance(dataset, DatasetEvent)
    job = parse_event(
        {
            "eventTime": "2024-05-01T12:00:00Z",
            "producer": "p",
            "schemaURL": f"{SPEC}#/$defs/JobEvent",
            "job": {"namespace": "n", "name": "j", "facets": {"sql": {"query": "select 1"}}},
            "inputs": [{"namespace": "pg", "name": "a"}],
        }
    )
    assert isinstance(job, JobEvent)


def test_event_kind_from_shape_without_schema_url_fragment():
    assert event_kind({"dataset": {}}) == "DatasetEvent"
    assert event_kind({"job": {}}) == "JobEvent"
    assert event_kind({"job": {}, "eventType": "START"}) == "RunEvent"
    assert event_kind({}) == "RunEvent"


def test_job_event_with_a_run_is_rejected():
    data = run_event(schemaURL=f"{SPEC}#/$defs/JobEvent")
    assert "JobEvent has no run" in rejected(data).message


def test_body_must_be_an_object():
    assert "JSON object" in rejected([run_event()]).message


def test_naive_event_time_is_utc_and_java_zone_suffix_is_accepted():
    naive = parse_event(run_event(eventTime="2024-05-01T12:00:00"))
    zoned = parse_event(run_event(eventTime="2024-05-01T12:00:00Z[UTC]"))
    assert naive.event_time == zoned.event_time
    assert naive.event_time.utcoffset() is not None


def test_many_problems_are_counted():
    data = copy.deepcopy(run_event())
    data["inputs"] = [{"namespace": 1, "name": 2} for _ in range(10)]
    error = rejected(data)
    assert "more)" in error.message
