"""OpenLineage events to graph plans: names, versions, provenance, tags; order-free merging."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineagegraph.errors import BadInput
from lineagegraph.models import RunStatus
from lineagegraph.openlineage import naming
from lineagegraph.openlineage.mapping import derive_run_fields, plan_event, snapshot_fields
from lineagegraph.openlineage.merge import FacetSet, RunState
from lineagegraph.openlineage.spec import parse_event
from lineagegraph.refs import parse_ref

SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
RUN_ID = uuid.UUID("3f5e83fa-3480-44ff-99c5-ff943904e5e8")
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def event(event_type: str | None = "START", at: datetime = T0, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "eventTime": at.isoformat(),
        "producer": "https://example.com/p",
        "schemaURL": SPEC,
        "run": {"runId": str(RUN_ID)},
        "job": {"namespace": "dbt", "name": "shop.orders"},
    }
    if event_type is not None:
        data["eventType"] = event_type
    data.update(extra)
    return data


def plan(data: dict[str, Any]):
    return plan_event(parse_event(data))


# --- naming ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("namespace", "name", "expected"),
    [
        ("postgres://db:5432", "shop.public.orders", "postgres://db:5432/shop.public.orders"),
        ("s3://bucket", "raw/events.parquet", "s3://bucket/raw/events.parquet"),
        ("abfss://c@acct.dfs.core.windows.net", "p/x", "abfss://c%40acct.dfs.core.windows.net/p/x"),
        ("file", "/tmp/100%.csv", "file//tmp/100%25.csv"),
        ("bigquery", "proj.ds.tab\tle", "bigquery/proj.ds.tab%09le"),
    ],
)
def test_dataset_names(namespace, name, expected):
    encoded = naming.dataset_name(namespace, name)
    assert encoded == expected
    ref = parse_ref(naming.snapshot_ref(encoded, "v1"))
    assert (ref.name, ref.version) == (expected, "v1")
    assert naming.decode_part(encoded) == f"{namespace}/{name}"


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_encoding_is_reversible_and_ref_safe(namespace, name):
    if not namespace.strip() and not name.strip():
        return
    encoded = naming.dataset_name(namespace, name)
    assert "@" not in encoded
    assert naming.decode_part(encoded) == f"{namespace}/{name}"
    parse_ref(naming.snapshot_ref(encoded, naming.run_version(RUN_ID)))


def test_too_long_dataset_name_is_bad_input():
    with pytest.raises(BadInput) as caught:
        plan(event(inputs=[{"namespace": "pg", "name": "x" * 600}]))
    assert caught.value.field == "inputs[0]"


# --- plans ----------------------------------------------------------------------------------
def test_run_plan_maps_status_identity_and_parent():
    parent = uuid.uuid4()
    data = event(
        "FAIL",
        run={
            "runId": str(RUN_ID),
            "facets": {
                "parent": {
                    "run": {"runId": str(parent)},
                    "job": {"namespace": "airflow", "name": "dag"},
                },
                "errorMessage": {"message": "boom", "programmingLanguage": "python"},
            },
        },
    )
    result = plan(data)
    assert result.run is not None
    assert result.run.ref == f"run:{RUN_ID}"
    assert result.run.status is RunStatus.FAILED
    assert result.run.error_message == "boom"
    assert (result.run.job_namespace, result.run.job_name) == ("dbt", "shop.orders")
    assert result.run.parent is not None
    assert result.run.parent.ref == f"run:{parent}"


def test_own_parent_is_rejected():
    data = event(
        run={
            "runId": str(RUN_ID),
            "facets": {
                "parent": {"run": {"runId": str(RUN_ID)}, "job": {"namespace": "a", "name": "b"}}
            },
        }
    )
    with pytest.raises(BadInput, match="own parent"):
        plan(data)


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        ("START", RunStatus.RUNNING),
        ("RUNNING", RunStatus.RUNNING),
        ("COMPLETE", RunStatus.COMPLETED),
        ("ABORT", RunStatus.KILLED),
        ("FAIL", RunStatus.FAILED),
        ("OTHER", None),
        (None, None),
    ],
)
def test_event_types(event_type, status):
    result = plan(event(event_type))
    assert result.run is not None
    assert result.run.status is status


def test_job_and_run_facets_fill_provenance_and_tags():
    data = event()
    data["job"]["facets"] = {
        "sourceCodeLocation": {
            "type": "git",
            "url": "https://git/x/blob/abc/m.sql",
            "repoUrl": "https://git/x.git",
            "path": "models/m.sql",
            "version": "abc123",
            "branch": "main",
        },
        "jobType": {"processingType": "BATCH", "integration": "DBT", "jobType": "MODEL"},
        "ownership": {"owners": [{"name": "team:data"}, {"name": "user:ann"}]},
        "sql": {"query": "select 1", "dialect": "duckdb"},
        "sourceCode": {"language": "sql", "sourceCode": "select 1"},
    }
    data["run"]["facets"] = {
        "processing_engine": {
            "version": "1.10.2",
            "name": "dbt",
            "openlineageAdapterVersion": "1.54",
        },
        "nominalTime": {"nominalStartTime": "2024-05-01T00:00:00Z"},
        "tags": {"tags": [{"key": "env", "value": "prod", "source": "USER"}]},
        "environmentVariables": {"environmentVariables": [{"name": "A", "value": "1"}]},
    }
    run = plan(data).run
    assert run is not None
    code = run.provenance.code
    assert code is not None
    assert (code.commit, code.branch, code.remote_url, code.entry_point) == (
        "abc123",
        "main",
        "https://git/x.git",
        "models/m.sql",
    )
    assert run.provenance.environment is not None
    assert run.provenance.environment.packages == {
        "dbt": "1.10.2",
        "openlineage-integration": "1.54",
    }
    assert run.tags == {
        "openlineage.integration": "DBT",
        "openlineage.processingType": "BATCH",
        "openlineage.jobType": "MODEL",
        "openlineage.owners": "team:data,user:ann",
        "openlineage.nominalStartTime": "2024-05-01T00:00:00Z",
        "env": "prod",
    }
    # what does not fit a provenance field is kept as sent
    assert run.job_facets["sql"]["query"] == "select 1"
    assert run.run_facets["environmentVariables"]["environmentVariables"][0]["name"] == "A"
    derived = derive_run_fields(run.run_facets, run.job_facets)
    assert (derived.tags, derived.provenance) == (run.tags, run.provenance)


def test_datasets_versions_and_facets():
    data = event(
        inputs=[
            {
                "namespace": "pg",
                "name": "a",
                "facets": {"version": {"datasetVersion": "v@7"}},
                "inputFacets": {"dataQualityMetrics": {"rowCount": 5, "columnMetrics": {}}},
            },
            {"namespace": "pg", "name": "b"},
            {"namespace": "pg", "name": "b", "facets": {"dataSource": {"name": "pg"}}},
        ],
        outputs=[
            {
                "namespace": "pg",
                "name": "c",
                "facets": {"schema": {"fields": [{"name": "id", "type": "int"}]}},
                "outputFacets": {"outputStatistics": {"rowCount": 9, "size": 100}},
            }
        ],
    )
    result = plan(data)
    a, b = result.inputs
    assert (a.name, a.version) == ("pg/a", "v%407")
    assert (b.name, b.version, set(b.facets)) == ("pg/b", None, {"dataSource"})
    (c,) = result.outputs
    fields = snapshot_fields(c.facets)
    assert (fields.row_count, fields.size_bytes) == (9, 100)
    assert fields.schema == {"fields": [{"name": "id", "type": "int"}]}
    assert snapshot_fields(a.facets).row_count == 5


def test_reading_and_writing_one_version_is_rejected():
    version = {"version": {"datasetVersion": "7"}}
    data = event(
        inputs=[{"namespace": "pg", "name": "a", "facets": version}],
        outputs=[{"namespace": "pg", "name": "a", "facets": version}],
    )
    with pytest.raises(BadInput, match="reads and writes"):
        plan(data)


# --- merging --------------------------------------------------------------------------------
def _changes():
    start = plan(
        event(
            "START",
            T0,
            run={
                "runId": str(RUN_ID),
                "facets": {"nominalTime": {"nominalStartTime": "2024-05-01T00:00:00Z"}},
            },
        )
    ).run
    running = plan(event("RUNNING", T0 + timedelta(seconds=5))).run
    complete = plan(
        event(
            "COMPLETE",
            T0 + timedelta(seconds=10),
            run={
                "runId": str(RUN_ID),
                "facets": {"nominalTime": {"nominalStartTime": "2024-05-02T00:00:00Z"}},
            },
        )
    ).run
    other = plan(event("OTHER", T0 + timedelta(seconds=20))).run
    return [c for c in (start, running, complete, other) if c is not None]


def test_merge_is_order_free_and_idempotent():
    results = []
    for order in itertools.permutations(_changes()):
        state = RunState()
        for change in order + order:  # every event twice
            state = state.merged(change)
        results.append(state)
    state = results[0]
    assert all(other == state for other in results)
    assert state.status is RunStatus.COMPLETED
    assert state.start_time == T0
    assert state.end_time == T0 + timedelta(seconds=10)
    assert state.completed_at == T0 + timedelta(seconds=10)
    # the latest event that sent a facet wins
    assert state.run_facets.facets["nominalTime"]["nominalStartTime"] == "2024-05-02T00:00:00Z"


def test_latest_terminal_event_wins():
    fail = plan(event("FAIL", T0 + timedelta(seconds=30))).run
    complete = plan(event("COMPLETE", T0 + timedelta(seconds=10))).run
    assert fail is not None
    assert complete is not None
    for first, second in ((fail, complete), (complete, fail)):
        state = RunState().merged(first).merged(second)
        assert state.status is RunStatus.FAILED
        assert state.end_time == T0 + timedelta(seconds=30)
        assert state.completed_at == T0 + timedelta(seconds=10)


def test_start_alone_is_running():
    start = plan(event("START")).run
    other = plan(event("OTHER")).run
    assert start is not None
    assert other is not None
    assert RunState().merged(start).status is RunStatus.RUNNING
    assert RunState().merged(other).status is RunStatus.RUNNING


def test_facet_set_round_trips_through_json():
    facets = FacetSet().merged({"a": {"x": 1}}, T0).merged({"b": {"y": "é"}}, T0)
    again = FacetSet.from_json(facets.facets_json(), facets.times_json())
    assert again == facets
    older = FacetSet().merged({"a": {"x": 0}, "c": {}}, T0 - timedelta(days=1))
    assert facets.combined(older).facets == {"a": {"x": 1}, "b": {"y": "é"}, "c": {}}
    assert older.combined(facets) == facets.combined(older)
    newer = FacetSet().merged({"a": {"x": 2}}, T0 + timedelta(days=1))
    assert facets.combined(newer).facets["a"] == {"x": 2}


def test_tags_facets_merge_by_tag_key_in_any_order():
    def tags(*pairs: tuple[str, str]) -> dict[str, Any]:
        return {"tags": {"_producer": "p", "tags": [{"key": k, "value": v} for k, v in pairs]}}

    sent = [
        (tags(("team", "data"), ("client", "1.0")), T0),
        (tags(("client", "1.1")), T0 + timedelta(seconds=10)),
        (tags(("stage", "prod")), T0 + timedelta(seconds=5)),
    ]
    results = []
    for order in itertools.permutations(sent):
        facets = FacetSet()
        for value, moment in order + order:
            facets = facets.merged(value, moment)
        results.append(facets)
    assert all(result == results[0] for result in results)
    merged = results[0].facets["tags"]
    assert merged["tags"] == [
        {"key": "client", "value": "1.1"},
        {"key": "stage", "value": "prod"},
        {"key": "team", "value": "data"},
    ]
    assert derive_run_fields(results[0].facets, {}).tags == {
        "client": "1.1",
        "stage": "prod",
        "team": "data",
    }
