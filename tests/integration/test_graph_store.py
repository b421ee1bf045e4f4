"""The graph store against the real Neo4j: registration, runs, lineage rules, metrics, listings."""

from __future__ import annotations

import math
import threading
from datetime import UTC, datetime, timedelta, timezone

import neo4j
import pytest

from lineagegraph.graph.catalog import Catalog
from lineagegraph.graph.reads import ListFilter
from lineagegraph.graph.store import GraphStore
from lineagegraph.refs import NodeKind
from tests.integration.graph_helpers import (
    DIGEST_A,
    DIGEST_B,
    consumed,
    events,
    fingerprint,
    new_run_id,
    produced,
    registered,
    started,
)


@pytest.fixture
def store(clean_graph: neo4j.Driver, catalog: Catalog, base_settings) -> GraphStore:
    return GraphStore(clean_graph, base_settings.neo4j_database, catalog, max_page_size=100)


def apply_ok(store: GraphStore, *raw: dict) -> list[str]:
    results = store.apply_events(events(*raw))
    assert all(r.ok for r in results), [r for r in results if not r.ok]
    return [r.ref or "" for r in results]


def test_registration_is_idempotent_and_immutable(store: GraphStore, driver, catalog):
    snap = registered("DATASET_SNAPSHOT", "clicks", "1", digest=DIGEST_A, row_count=10)
    assert apply_ok(store, snap) == ["dataset:clicks@1"]
    before = fingerprint(driver, catalog)
    assert apply_ok(store, snap) == ["dataset:clicks@1"]  # same ref, same digest: the same node
    assert fingerprint(driver, catalog) == before

    (conflict,) = store.apply_events(
        events(registered("DATASET_SNAPSHOT", "clicks", "1", digest=DIGEST_B))
    )
    assert (conflict.ok, conflict.code, conflict.field) == (
        False,
        "IMMUTABLE_CONFLICT",
        "artifact.digest",
    )
    assert fingerprint(driver, catalog) == before
    node = store.get_node("dataset:clicks@1")
    assert node is not None
    assert (node["digest"], node["rowCount"], node["kind"]) == (DIGEST_A, 10, "DATASET_SNAPSHOT")
    dataset = store.get_node("dataset:clicks")
    assert dataset is not None
    assert dataset["kind"] == "DATASET"


def test_pending_becomes_available_but_never_back(store: GraphStore):
    apply_ok(store, registered("MODEL", "m", "1", digest=DIGEST_A, status="PENDING"))
    assert store.get_node("model:m@1")["status"] == "PENDING"  # type: ignore[index]
    apply_ok(store, registered("MODEL", "m", "1", digest=DIGEST_A, status="AVAILABLE"))
    apply_ok(store, registered("MODEL", "m", "1", digest=DIGEST_A, status="PENDING"))
    assert store.get_node("model:m@1")["status"] == "AVAILABLE"  # type: ignore[index]


def test_model_versions_are_numbered_per_name_and_replays_keep_theirs(store: GraphStore):
    first = registered("MODEL", "ranker", event_id="m-1")
    refs = apply_ok(store, first, registered("MODEL", "ranker"), registered("MODEL", "other"))
    assert refs == ["model:ranker@1", "model:ranker@2", "model:other@1"]
    assert apply_ok(store, first) == ["model:ranker@1"]  # a replay gets its version again
    apply_ok(store, registered("MODEL", "ranker", "7"))
    assert apply_ok(store, registered("MODEL", "ranker")) == ["model:ranker@8"]


def test_concurrent_auto_versions_are_distinct(store: GraphStore):
    refs: list[str] = []
    errors: list[BaseException] = []

    def register() -> None:
        try:
            refs.extend(apply_ok(store, registered("MODEL", "contended")))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=register) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(refs) == sorted(f"model:contended@{i}" for i in range(1, 7))


def test_run_lifecycle_provenance_tags_and_params(store: GraphStore):
    run = new_run_id()
    provenance = {
        "code": {"commit": "abc123", "dirty": True, "command": ["python", "train.py", "--lr=1"]},
        "environment": {"python_version": "3.11.9", "packages": {"numpy": "2.1"}},
        "hardware": {"cpu_count": 2, "gpus": [{"name": "T4"}]},
        "seeds": {"random": 42},
        "config": {"lr": 0.1, "layers": [1, 2]},
        "data_filters": {"country": "US"},
        "user": "ada",
    }
    apply_ok(store, started(run, provenance=provenance, tags={"team": "ranking"}))
    apply_ok(
        store,
        {"type": "run_tagged", "run_id": run, "tags": {"stage": "dev", "team": "search"}},
        {"type": "params_logged", "run_id": run, "params": {"lr": 0.1, "opt": {"name": "adam"}}},
        {"type": "params_logged", "run_id": run, "params": {"epochs": 3}},
        {"type": "run_finished", "run_id": run, "status": "FAILED", "error_type": "ValueError"},
    )
    node = store.get_node(f"run:{run}")
    assert node is not None
    assert node["status"] == "FAILED"
    assert node["errorType"] == "ValueError"
    assert node["tags"] == {"team": "search", "stage": "dev"}
    assert node["params"] == {"lr": 0.1, "opt": {"name": "adam"}, "epochs": 3}
    assert node["code"]["commit"] == "abc123"
    assert node["command"] == ["python", "train.py", "--lr=1"]
    assert node["environment"]["packages"] == {"numpy": "2.1"}
    assert node["hardware"]["gpus"][0]["name"] == "T4"
    assert (node["seeds"], node["config"], node["dataFilters"], node["user"]) == (
        {"random": 42},
        {"lr": 0.1, "layers": [1, 2]},
        {"country": "US"},
        "ada",
    )


def test_finish_before_start_and_replays_give_one_correct_run(store: GraphStore, driver, catalog):
    run = new_run_id()
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    start = started(run, time=t0.isoformat())
    finish = {
        "type": "run_finished",
        "run_id": run,
        "status": "COMPLETED",
        "time": (t0 + timedelta(hours=1)).isoformat(),
    }
    # a synthetic start at finish time (what an out-of-order producer sends), then the real one
    late_start = started(run, time=(t0 + timedelta(hours=1)).isoformat())
    apply_ok(store, late_start, finish)
    apply_ok(store, start)
    node = store.get_node(f"run:{run}")
    assert node is not None
    assert node["status"] == "COMPLETED"
    assert node["startTime"] == t0
    assert node["endTime"] == t0 + timedelta(hours=1)
    before = fingerprint(driver, catalog)
    apply_ok(store, late_start, finish, start)
    assert fingerprint(driver, catalog) == before


def test_times_keep_their_instant_and_offset_and_naive_ones_are_utc(store: GraphStore, driver):
    """Times travel to Neo4j as ISO text (graph/ingest.py): the stored values are DateTimes with
    the event's offset, comparable across offsets (the earliest start wins), naive ones in UTC."""
    run, other = new_run_id(), new_run_id()
    east = timezone(timedelta(hours=2))
    first = datetime(2026, 3, 1, 10, 0, 0, 123456, tzinfo=east)  # 08:00:00.123456 UTC
    apply_ok(
        store, started(run, time=first.isoformat()), started(other, time="2026-03-01T09:30:00")
    )
    apply_ok(store, started(run, time="2026-03-01T09:00:00Z"))  # later instant: start stays
    apply_ok(
        store,
        {"type": "run_finished", "run_id": run, "status": "FAILED", "time": "2026-03-01T09:00Z"},
    )
    records, _, _ = driver.execute_query(
        "MATCH (r:Run) WHERE r.ref IN $refs "
        "RETURN r.ref AS ref, r.startTime AS start, r.endTime AS end, r.createdAt AS created, "
        "valueType(r.startTime) AS type",
        refs=[f"run:{run}", f"run:{other}"],
    )
    rows = {r["ref"]: r for r in records}
    mine = rows[f"run:{run}"]
    assert mine["start"].to_native() == first
    assert mine["start"].utcoffset() == timedelta(hours=2)
    assert mine["end"].to_native() == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert {r["type"] for r in records} == {"ZONED DATETIME NOT NULL"}
    assert rows[f"run:{other}"]["start"].to_native() == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    node = store.get_node(f"run:{run}")
    assert node is not None
    assert node["startTime"] == first
    assert node["status"] == "FAILED"
    assert node["createdAt"].tzinfo is not None


def test_child_runs_and_unknown_parent(store: GraphStore):
    parent, child = new_run_id(), new_run_id()
    apply_ok(store, started(parent), started(child, parent_run_id=parent))
    assert [r["ref"] for r in store.related("parent", [f"run:{child}"])[f"run:{child}"]] == [
        f"run:{parent}"
    ]
    orphan = new_run_id()
    (result,) = store.apply_events(events(started(orphan, parent_run_id=new_run_id())))
    assert (result.code, result.field) == ("NOT_FOUND", "parent_run_id")
    assert store.get_node(f"run:{orphan}") is None


def test_at_most_one_producer(store: GraphStore, driver, catalog):
    r1, r2 = new_run_id(), new_run_id()
    apply_ok(
        store,
        started(r1),
        started(r2),
        registered("MODEL", "m", "1", produced_by=r1),
    )
    before = fingerprint(driver, catalog)
    (again,) = store.apply_events(events(produced(r2, "model:m@1")))
    assert (again.ok, again.code, again.field) == (False, "CONFLICT", "ref")
    (reregistered,) = store.apply_events(events(registered("MODEL", "m", "1", produced_by=r2)))
    assert (reregistered.code, reregistered.field) == ("CONFLICT", "produced_by")
    assert fingerprint(driver, catalog) == before
    assert apply_ok(store, produced(r1, "model:m@1")) == ["model:m@1"]  # the same producer: fine


def test_cycles_are_refused_across_batches_and_within_one(store: GraphStore, driver, catalog):
    train, score = new_run_id(), new_run_id()
    apply_ok(
        store,
        registered("DATASET_SNAPSHOT", "raw", "1"),
        started(train),
        consumed(train, "dataset:raw@1"),
        registered("MODEL", "m", "1", produced_by=train),
        started(score),
        consumed(score, "model:m@1"),
        registered("DATASET_SNAPSHOT", "scored", "1", produced_by=score),
    )
    before = fingerprint(driver, catalog)
    # train consuming what is downstream of itself: across batches
    (cycle,) = store.apply_events(events(consumed(train, "dataset:scored@1")))
    assert (cycle.ok, cycle.code, cycle.field) == (False, "CYCLE", "ref")
    # a run consuming its own output
    (own,) = store.apply_events(events(consumed(score, "dataset:scored@1")))
    assert own.code == "CYCLE"
    assert fingerprint(driver, catalog) == before
    # within one batch: two new edges that only together close a cycle
    a, b = new_run_id(), new_run_id()
    results = store.apply_events(
        events(
            started(a),
            started(b),
            registered("DATASET_SNAPSHOT", "x", "1", produced_by=a),
            registered("DATASET_SNAPSHOT", "y", "1", produced_by=b),
            consumed(b, "dataset:x@1"),
            consumed(a, "dataset:y@1"),  # a -> x -> b -> y -> a
            consumed(a, "dataset:raw@1"),  # still applies after the rejected one
        )
    )
    assert [r.code for r in results] == [None, None, None, None, None, "CYCLE", None]
    assert store.mirror_drift() == (0, 0)


def test_bad_events_are_reported_and_the_rest_applies(store: GraphStore):
    run = new_run_id()
    results = store.apply_events(
        events(
            started(run),
            consumed(run, "dataset:missing@1"),
            consumed(run, "dataset:nothing"),
            consumed(new_run_id(), "dataset:missing@1"),
            {"type": "metrics_logged", "run_id": new_run_id(), "step": 0, "values": {"x": 1}},
            registered("FEATURE_DEFINITION", "f", "1", sources=["model:m@1"]),
            registered("MODEL", "m", "1", sources=["dataset:a@1"]),
            registered("EVALUATION_REPORT", "r", "1", evaluates="dataset:a@1"),
            produced(run, "dataset:whatever"),
            registered("MODEL", "fine", "1"),
        )
    )
    got = [(r.ok, r.code, r.field) for r in results]
    assert got == [
        (True, None, None),
        (False, "NOT_FOUND", "ref"),
        (False, "NOT_FOUND", "ref"),
        (False, "NOT_FOUND", "run_id"),
        (False, "NOT_FOUND", "run_id"),
        (False, "BAD_INPUT", "artifact.sources"),
        (False, "BAD_INPUT", "artifact.sources"),
        (False, "BAD_INPUT", "artifact.evaluates"),
        (False, "BAD_INPUT", "ref"),
        (True, None, None),
    ]
    assert all(r.message for r in results if not r.ok)
    assert store.get_node("model:fine@1") is not None
    assert store.get_node("feature:f@1") is None


def test_dataset_refs_bind_to_the_latest_snapshot_and_replays_keep_the_binding(store: GraphStore):
    run = new_run_id()
    apply_ok(
        store,
        registered("DATASET_SNAPSHOT", "clicks", "2026-01"),
        registered("DATASET_SNAPSHOT", "clicks", "2026-02"),
        registered("DATASET_SNAPSHOT", "clicks", "2026-03", status="PENDING"),  # not yet there
        started(run),
    )
    consume = consumed(run, "dataset:clicks", event_id="bind-1")
    assert apply_ok(store, consume) == ["dataset:clicks@2026-02"]
    apply_ok(store, registered("DATASET_SNAPSHOT", "clicks", "2026-04"))
    assert apply_ok(store, consume) == ["dataset:clicks@2026-02"]  # replay: same binding
    assert apply_ok(store, consumed(run, "dataset:clicks")) == ["dataset:clicks@2026-04"]
    consumed_refs = [a["ref"] for a in store.related("consumed", [f"run:{run}"])[f"run:{run}"]]
    assert consumed_refs == ["dataset:clicks@2026-02", "dataset:clicks@2026-04"]
    feature = registered("FEATURE_DEFINITION", "ctr", "1", sources=["dataset:clicks"])
    apply_ok(store, feature)
    sources = store.related("sources", ["feature:ctr@1"])["feature:ctr@1"]
    assert [s["ref"] for s in sources] == ["dataset:clicks@2026-04"]


def test_metric_series_in_step_order_without_a_node_per_point(store: GraphStore, driver):
    run = new_run_id()
    apply_ok(store, started(run))

    def metrics(step: int, **values: object) -> dict:
        return {"type": "metrics_logged", "run_id": run, "step": step, "values": values}

    apply_ok(store, *(metrics(s, loss=1.0 / (s + 1), auc=0.5) for s in range(0, 50, 2)))
    apply_ok(store, *(metrics(s, loss=1.0 / (s + 1)) for s in range(1, 50, 2)))  # interleaved
    apply_ok(
        store, metrics(3, loss="NaN"), metrics(4, loss="Infinity"), metrics(5, loss="-Infinity")
    )
    apply_ok(store, metrics(10, loss=0.25), metrics(10, loss=0.125))  # the last of a batch wins
    apply_ok(store, metrics(3, loss="NaN"))  # replay
    series = store.metric_series(f"run:{run}", "loss")
    assert [p.step for p in series] == list(range(50))
    by_step = {p.step: p.value for p in series}
    assert math.isnan(by_step[3])
    assert (by_step[4], by_step[5], by_step[10], by_step[7]) == (math.inf, -math.inf, 0.125, 1 / 8)
    assert all(p.timestamp is not None for p in series)
    assert store.metric_keys([f"run:{run}"]) == {f"run:{run}": ["auc", "loss"]}
    records, _, _ = driver.execute_query("MATCH (s:MetricSeries) RETURN count(s) AS n")
    assert records[0]["n"] == 2  # two series, not one node per point
    assert store.metric_series(f"run:{run}", "nope") == []


def test_listings_filter_and_page(store: GraphStore):
    runs = [new_run_id() for _ in range(7)]
    apply_ok(
        store,
        *(
            started(r, name="sweep" if i % 2 else "train", tags={"i": str(i % 3)})
            for i, r in enumerate(runs)
        ),
    )
    apply_ok(store, {"type": "run_finished", "run_id": runs[0], "status": "COMPLETED"})
    seen: list[str] = []
    after = None
    while True:
        page = store.list_runs(first=3, after=after)
        seen.extend(item["ref"] for item in page.items)
        if not page.has_next:
            break
        after = page.next_cursor
    assert seen == [f"run:{r}" for r in reversed(runs)]  # newest first, each once
    sweeps = store.list_runs(ListFilter(name="sweep"), first=50)
    assert {i["ref"] for i in sweeps.items} == {f"run:{r}" for r in runs[1::2]}
    tagged = store.list_runs(ListFilter(tag_key="i", tag_value="0"), first=50)
    assert {i["ref"] for i in tagged.items} == {
        f"run:{runs[0]}",
        f"run:{runs[3]}",
        f"run:{runs[6]}",
    }
    done = store.list_runs(ListFilter(status="COMPLETED"), first=50)
    assert [i["ref"] for i in done.items] == [f"run:{runs[0]}"]

    apply_ok(
        store,
        *(registered("MODEL", "m", str(v), tags={"even": str(v % 2 == 0)}) for v in range(5)),
        registered("DATASET_SNAPSHOT", "d", "1"),
    )
    models = store.list_artifacts([NodeKind.MODEL], first=2)
    assert [m["ref"] for m in models.items] == ["model:m@4", "model:m@3"]
    rest = store.list_artifacts([NodeKind.MODEL], first=10, after=models.next_cursor)
    assert [m["ref"] for m in rest.items] == ["model:m@2", "model:m@1", "model:m@0"]
    everything = store.list_artifacts(first=50)
    assert [i["ref"] for i in everything.items][:2] == ["dataset:d@1", "dataset:d"]
    assert len(everything.items) == 7
    even = store.list_artifacts(flt=ListFilter(tag_key="even", tag_value="True"), first=50)
    assert {i["ref"] for i in even.items} == {"model:m@0", "model:m@2", "model:m@4"}
    window = store.list_artifacts(
        flt=ListFilter(created_after=datetime.now(UTC) + timedelta(days=1)), first=50
    )
    assert window.items == []


def test_sync_flow_mirrors_repairs_edges_written_without_the_store(store: GraphStore, driver):
    run = new_run_id()
    apply_ok(store, registered("DATASET_SNAPSHOT", "s", "1"), started(run))
    # another writer adds a CONSUMED edge with its own statement (no FLOWS_TO mirror)...
    driver.execute_query(
        "MATCH (r:Run {ref: $run}), (s:DatasetSnapshot {ref: 'dataset:s@1'}) "
        "MERGE (r)-[:CONSUMED]->(s)",
        run=f"run:{run}",
    )
    assert store.mirror_drift() == (1, 0)
    assert store.impact("dataset:s@1").items == []
    store.sync_flow_mirrors([f"run:{run}"])
    assert store.mirror_drift() == (0, 0)
    assert [i.ref for i in store.impact("dataset:s@1").items] == [f"run:{run}"]
    # ...and later removes it: the mirror goes with it after a sync
    driver.execute_query("MATCH (:Run {ref: $run})-[c:CONSUMED]->() DELETE c", run=f"run:{run}")
    assert store.mirror_drift() == (0, 1)
    store.sync_flow_mirrors(["dataset:s@1"])
    assert store.mirror_drift() == (0, 0)
