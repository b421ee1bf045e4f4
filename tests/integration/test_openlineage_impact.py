"""Impact and lineage cross the two ways in: dbt jobs reported through OpenLineage and a training
run recorded through the SDK's ingest. A model trained on a table a dbt model wrote is in the
impact of that dbt model's source table, and its upstream lineage reaches the source."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import LiveService
from tests.integration.api_helpers import GraphQL
from tests.integration.openlineage_support import post, run_event

DUCKDB = "duckdb://shop.duckdb"
DBT_JOB = {"jobType": {"processingType": "BATCH", "integration": "DBT", "jobType": "MODEL"}}
INGEST = """mutation($events: JSON!) {
  ingest(input: {events: $events}) { accepted results { eventId ok ref code message } } }"""
IMPACT = """query($ref: String!) { impact(ref: $ref) {
  runs { ref depth } datasetSnapshots { ref depth } models { ref depth } total truncated } }"""
LINEAGE = """query($ref: String!) { lineage(ref: $ref, direction: UPSTREAM, depth: 10) {
  nodes { ref kind depth } } }"""


def _dbt_model(
    http: httpx.Client, url: str, model: str, reads: list[str], when: float
) -> tuple[str, str]:
    """START and COMPLETE of one dbt model run; returns (run ref, the table's snapshot ref)."""
    run_id = uuid.uuid4()
    inputs = [{"namespace": DUCKDB, "name": name, "facets": {}} for name in reads]
    outputs = [{"namespace": DUCKDB, "name": f"shop.main.{model}", "facets": {}}]
    job = f"shop.dev.{model}"
    for kind, at in (("START", when), ("COMPLETE", when + 5)):
        event = run_event(
            kind, run_id, job, at, inputs, outputs, job_facets=DBT_JOB, namespace="dbt"
        )
        response = post(http, url, event, compress=True)
        assert response.status_code == 201, response.text
        (snapshot,) = response.json()["outputs"]
    return f"run:{run_id}", snapshot


def test_a_model_trained_on_a_dbt_table_is_in_the_source_tables_impact(
    live_service: LiveService, http: httpx.Client
):
    gql = GraphQL(http, live_service.url)
    dbt_run, staged = _dbt_model(http, live_service.url, "stg_orders", ["shop.raw.orders"], 0)
    totals_run, totals = _dbt_model(
        http, live_service.url, "customer_totals", ["shop.main.stg_orders"], 60
    )
    table = totals.split("@", 1)[0]  # dataset:<namespace>/<name>
    assert table == f"dataset:{DUCKDB}/shop.main.customer_totals"

    # the training run, as the SDK sends it: it reads the table by its dataset ref (its latest
    # snapshot) and registers the model it produced
    train = str(uuid.uuid4())
    events = [
        {"type": "run_started", "event_id": "s", "run_id": train, "name": "train-churn"},
        {"type": "artifact_consumed", "event_id": "c", "run_id": train, "ref": table},
        {
            "type": "artifact_registered",
            "event_id": "m",
            "artifact": {"kind": "MODEL", "name": "churn", "framework": "sklearn"},
            "produced_by": train,
        },
        {"type": "run_finished", "event_id": "f", "run_id": train, "status": "COMPLETED"},
    ]
    result = gql.ok(INGEST, events=events)["ingest"]
    assert result["accepted"] == 4, result
    model = next(r["ref"] for r in result["results"] if r["eventId"] == "m")
    consumed = next(r["ref"] for r in result["results"] if r["eventId"] == "c")
    assert consumed == totals  # bound to the snapshot the dbt model wrote

    source = f"dataset:{DUCKDB}/shop.raw.orders"
    impact = gql.ok(IMPACT, ref=source)["impact"]
    assert not impact["truncated"]
    models = {m["ref"]: m["depth"] for m in impact["models"]}
    runs = {r["ref"]: r["depth"] for r in impact["runs"]}
    snapshots = {s["ref"]: s["depth"] for s in impact["datasetSnapshots"]}
    # source -> dbt run -> stg_orders -> dbt run -> customer_totals -> training run -> model
    assert models == {model: 6}
    assert runs == {dbt_run: 1, totals_run: 3, f"run:{train}": 5}
    assert snapshots == {staged: 2, totals: 4}
    assert impact["total"] == 6

    # the same chain read the other way, from the model
    upstream = gql.ok(LINEAGE, ref=model)["lineage"]["nodes"]
    by_ref = {n["ref"]: n["depth"] for n in upstream}
    assert by_ref[f"{source}@unknown"] == 6
    assert by_ref[dbt_run] == 5
