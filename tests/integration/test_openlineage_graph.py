"""OpenLineage events through the running service, checked in the graph: runs, bindings, order."""

from __future__ import annotations

import random
import uuid

import pytest

from tests.integration.openlineage_support import Graph, dataset, post, run_event

NS = "postgres://db:5432"


@pytest.fixture
def graph(live_service, driver, catalog):
    return Graph(driver, catalog, live_service.settings)


def send(http, live_service, event):
    response = post(http, live_service.url, event)
    assert response.status_code == 201, response.text
    return response.json()


def test_start_and_complete_make_one_run_with_outputs(http, live_service, graph):
    run_id = uuid.uuid4()
    orders = dataset("shop.orders", NS, schema={"fields": [{"name": "id", "type": "int"}]})
    job_facets = {"sql": {"query": "insert into shop.orders select 1"}}
    body = send(
        http,
        live_service,
        run_event("START", run_id, "load_orders", 0, outputs=[orders], job_facets=job_facets),
    )
    snapshot = f"dataset:{NS}/shop.orders@run-{run_id}"
    assert body == {"run": f"run:{run_id}", "inputs": [], "outputs": [snapshot], "datasets": []}
    assert graph.snapshot(snapshot)["status"] == "PENDING"
    stats = {"outputStatistics": {"rowCount": 42, "size": 1000}}
    send(
        http,
        live_service,
        run_event(
            "COMPLETE", run_id, "load_orders", 10, outputs=[{**orders, "outputFacets": stats}]
        ),
    )
    run = graph.run(f"run:{run_id}")
    assert run["status"] == "COMPLETED"
    assert (run["jobNamespace"], run["jobName"], run["name"]) == (
        "tests",
        "load_orders",
        "load_orders",
    )
    assert run["produced"] == [snapshot]
    assert run["olJobFacets"]["sql"]["query"].startswith("insert")
    held = graph.snapshot(snapshot)
    assert held["status"] == "AVAILABLE"
    assert (held["rowCount"], held["sizeBytes"]) == (42, 1000)
    assert held["schema"] == {"fields": [{"name": "id", "type": "int"}]}
    facets = held["olFacets"]
    assert set(facets) == {"schema", "outputStatistics"}
    assert held["dataset"] == f"dataset:{NS}/shop.orders"
    assert held["olNamespace"] == NS
    assert held["olName"] == "shop.orders"


def test_complete_before_start_and_replays_give_the_same_graph(http, live_service, graph):
    run_id, parent_id = uuid.uuid4(), uuid.uuid4()
    parent = {
        "parent": {"run": {"runId": str(parent_id)}, "job": {"namespace": "airflow", "name": "dag"}}
    }
    events = [
        run_event("START", run_id, "task", 0, inputs=[dataset("src")], run_facets=parent),
        run_event("RUNNING", run_id, "task", 5),
        run_event("COMPLETE", run_id, "task", 10, outputs=[dataset("dst")]),
        run_event("OTHER", run_id, "task", 12, run_facets={"custom": {"x": 1}}),
    ]
    for event in reversed(events):
        send(http, live_service, event)
    first = graph.run(f"run:{run_id}")
    counts = graph.counts()
    for event in random.Random(7).sample(events * 2, len(events) * 2):
        send(http, live_service, event)
    again = graph.run(f"run:{run_id}")
    assert again == first
    assert graph.counts() == counts
    assert first["status"] == "COMPLETED"
    assert first["startTime"].isoformat() == "2024-05-01T12:00:00+00:00"
    assert first["endTime"].isoformat() == "2024-05-01T12:00:10+00:00"
    assert first["parents"] == [f"run:{parent_id}"]
    assert first["olRunFacets"]["custom"] == {"x": 1}
    placeholder_parent = graph.run(f"run:{parent_id}")
    assert (placeholder_parent["jobNamespace"], placeholder_parent["jobName"]) == ("airflow", "dag")
    assert placeholder_parent["olPlaceholder"] is True


def test_failed_run_keeps_its_error_and_its_outputs_stay_pending(http, live_service, graph):
    run_id = uuid.uuid4()
    error = {
        "errorMessage": {
            "message": "division by zero",
            "programmingLanguage": "python",
            "stackTrace": "Traceback ...",
        }
    }
    send(http, live_service, run_event("START", run_id, "job", 0, outputs=[dataset("t")]))
    send(http, live_service, run_event("FAIL", run_id, "job", 3, run_facets=error))
    run = graph.run(f"run:{run_id}")
    assert run["status"] == "FAILED"
    assert run["errorMessage"] == "division by zero"
    assert run["olRunFacets"]["errorMessage"]["stackTrace"] == "Traceback ..."
    assert graph.snapshot(f"dataset:{NS}/t@run-{run_id}")["status"] == "PENDING"


def test_abort_is_killed(http, live_service, graph):
    run_id = uuid.uuid4()
    send(http, live_service, run_event("ABORT", run_id, "job", 3))
    assert graph.run(f"run:{run_id}")["status"] == "KILLED"


def test_input_binds_to_the_latest_snapshot_produced_before_the_run(http, live_service, graph):
    writer1, writer2, reader = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    send(http, live_service, run_event("COMPLETE", writer1, "w", 0, outputs=[dataset("t")]))
    send(http, live_service, run_event("COMPLETE", writer2, "w", 100, outputs=[dataset("t")]))
    send(http, live_service, run_event("START", reader, "r", 50, inputs=[dataset("t")]))
    assert graph.run(f"run:{reader}")["consumed"] == [(f"dataset:{NS}/t@run-{writer1}", "time")]


def test_named_version_binds_exactly(http, live_service, graph):
    writer, reader = uuid.uuid4(), uuid.uuid4()
    version = {"version": {"datasetVersion": "snap@42"}}
    send(http, live_service, run_event("START", reader, "r", 50, inputs=[dataset("t", **version)]))
    ref = f"dataset:{NS}/t@snap%4042"
    assert graph.run(f"run:{reader}")["consumed"] == [(ref, "version")]
    assert graph.snapshot(ref)["producers"] == []
    send(
        http,
        live_service,
        run_event("COMPLETE", writer, "w", 10, outputs=[dataset("t", **version)]),
    )
    held = graph.snapshot(ref)
    assert held["producers"] == [f"run:{writer}"]
    assert held["readers"] == [f"run:{reader}"]


def test_placeholder_is_merged_when_its_producer_arrives(http, live_service, graph):
    writer, reader = uuid.uuid4(), uuid.uuid4()
    quality = {"dataQualityMetrics": {"rowCount": 7, "columnMetrics": {}}}
    send(
        http,
        live_service,
        run_event("START", reader, "r", 50, inputs=[{**dataset("t"), "inputFacets": quality}]),
    )
    placeholder = f"dataset:{NS}/t@unknown"
    assert graph.run(f"run:{reader}")["consumed"] == [(placeholder, "time")]
    assert graph.snapshot(placeholder)["olOrigin"] == "placeholder"
    # the producer's events arrive late, and finished before the reader started
    send(http, live_service, run_event("START", writer, "w", 0, outputs=[dataset("t")]))
    assert graph.run(f"run:{reader}")["consumed"] == [(placeholder, "time")]
    send(http, live_service, run_event("COMPLETE", writer, "w", 10, outputs=[dataset("t")]))
    produced = f"dataset:{NS}/t@run-{writer}"
    assert graph.run(f"run:{reader}")["consumed"] == [(produced, "time")]
    assert graph.snapshot(placeholder) is None
    merged = graph.snapshot(produced)
    assert merged["readers"] == [f"run:{reader}"]
    assert merged["rowCount"] == 7  # the reader's quality facet moved with the merge
    assert graph.drift() == (0, 0)  # the FLOWS_TO mirror moved with the edge


def test_readers_from_before_a_late_producer_keep_the_placeholder(http, live_service, graph):
    early, late, writer = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    send(http, live_service, run_event("START", early, "r", 5, inputs=[dataset("t")]))
    send(http, live_service, run_event("START", late, "r", 50, inputs=[dataset("t")]))
    send(http, live_service, run_event("COMPLETE", writer, "w", 10, outputs=[dataset("t")]))
    assert graph.run(f"run:{early}")["consumed"] == [(f"dataset:{NS}/t@unknown", "time")]
    assert graph.run(f"run:{late}")["consumed"] == [(f"dataset:{NS}/t@run-{writer}", "time")]


def test_a_late_start_moves_the_runs_own_binding(http, live_service, graph):
    writer, reader = uuid.uuid4(), uuid.uuid4()
    send(http, live_service, run_event("COMPLETE", writer, "w", 20, outputs=[dataset("t")]))
    # only the reader's COMPLETE (t=60) has arrived: it seems to have started after the writer
    send(http, live_service, run_event("COMPLETE", reader, "r", 60, inputs=[dataset("t")]))
    assert graph.run(f"run:{reader}")["consumed"] == [(f"dataset:{NS}/t@run-{writer}", "time")]
    # its START says it began at t=0, before the writer finished
    send(http, live_service, run_event("START", reader, "r", 0, inputs=[dataset("t")]))
    assert graph.run(f"run:{reader}")["consumed"] == [(f"dataset:{NS}/t@unknown", "time")]
    assert graph.drift() == (0, 0)


def test_incremental_model_reads_the_previous_snapshot_of_its_own_table(http, live_service, graph):
    first, second = uuid.uuid4(), uuid.uuid4()
    send(http, live_service, run_event("COMPLETE", first, "inc", 0, outputs=[dataset("t")]))
    send(
        http,
        live_service,
        run_event("START", second, "inc", 10, inputs=[dataset("t")], outputs=[dataset("t")]),
    )
    send(
        http,
        live_service,
        run_event("COMPLETE", second, "inc", 20, inputs=[dataset("t")], outputs=[dataset("t")]),
    )
    run = graph.run(f"run:{second}")
    assert run["consumed"] == [(f"dataset:{NS}/t@run-{first}", "time")]
    assert run["produced"] == [f"dataset:{NS}/t@run-{second}"]


def test_second_producer_of_a_version_is_a_conflict_and_stores_nothing(http, live_service, graph):
    version = {"version": {"datasetVersion": "7"}}
    send(
        http,
        live_service,
        run_event("COMPLETE", uuid.uuid4(), "w", 0, outputs=[dataset("t", **version)]),
    )
    before = graph.counts()
    other = uuid.uuid4()
    response = post(
        http,
        live_service.url,
        run_event(
            "COMPLETE",
            other,
            "w2",
            5,
            inputs=[dataset("elsewhere")],
            outputs=[dataset("t", **version)],
        ),
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "CONFLICT"
    assert "already produced" in response.json()["error"]["message"]
    assert graph.counts() == before
    assert graph.run(f"run:{other}") is None


def test_dataset_event_keeps_facets_on_the_dataset_and_named_snapshot(http, live_service, graph):
    event = {
        "eventTime": "2024-05-01T12:00:00Z",
        "producer": "p",
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
        "dataset": dataset(
            "t",
            lifecycleStateChange={"lifecycleStateChange": "CREATE"},
            version={"datasetVersion": "v1"},
        ),
    }
    body = send(http, live_service, event)
    assert body["datasets"] == [f"dataset:{NS}/t", f"dataset:{NS}/t@v1"]
    held = graph.snapshot(f"dataset:{NS}/t@v1")
    assert held["olFacets"]["lifecycleStateChange"]["lifecycleStateChange"] == "CREATE"
    assert held["status"] == "AVAILABLE"
