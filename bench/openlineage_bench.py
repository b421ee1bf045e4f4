"""OpenLineage ingest: events per second the service accepts from 8 concurrent clients, against
the same events written as raw Cypher through the driver, in one run.

The workload is a warehouse of ``--jobs`` jobs run ``--runs`` times each per round: each run reads
two tables (sources, or tables of earlier jobs) and writes its job's table, and sends START
(inputs, outputs, schema/dataSource facets, job facets sql/jobType/sourceCodeLocation, run facet
processing_engine) then COMPLETE (outputs with outputStatistics), as Airflow or dbt would. Runs
are spread over ``--clients`` threads (a run's two events on one thread, in order), each thread
with its own HTTP connection, one event per POST /api/v1/lineage as the official clients send
them, auth on with a write token. The baseline sends the same events from the same number of
threads through the Neo4j driver, one transaction per event, as one UNWIND statement
(cypher/bench/openlineage_raw.cypher: MERGE run, datasets, snapshots, CONSUMED/PRODUCED and their
FLOWS_TO mirrors; no rules, no binding by time, no facet merge). A third row sends the baseline in
batches of 100 events per transaction (what a bulk loader could do; the protocol cannot).
Rounds are interleaved (order rotated) so drifting machine load hits each setup alike.

    .venv/bin/python -m bench.openlineage_bench [--jobs 40] [--runs 5] [--clients 8] [--rounds 3]

Starts a throw-away Neo4j + S3 stack and the service in its own process, and stops them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import neo4j

from bench.sdk_overhead import service_on_stack
from lineagegraph.graph.catalog import Catalog
from lineagegraph.graph.tokens import TokenStore

SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.30.0/integration/airflow"
SOURCES = 10


# --- the workload ------------------------------------------------------------------------------
@dataclass
class Workload:
    """Per client thread, the events it sends in order; the same events in the raw form."""

    events: list[list[dict[str, Any]]]
    raw: list[list[dict[str, Any]]]

    @property
    def count(self) -> int:
        return sum(len(e) for e in self.events)


def _fields(table: str) -> list[dict[str, str]]:
    return [{"name": f"{table}_c{i}", "type": "VARCHAR"} for i in range(6)]


def _dataset(namespace: str, name: str, **extra: Any) -> dict[str, Any]:
    facets = {"schema": {"fields": _fields(name)}, "dataSource": {"name": "wh", "uri": namespace}}
    return {"namespace": namespace, "name": name, "facets": facets, **extra}


def _raw_use(namespace: str, name: str, snapshot: str, facets: dict[str, Any]) -> dict[str, Any]:
    return {
        "dataset": f"dataset:{namespace}/{name}",
        "name": f"{namespace}/{name}",
        "snapshot": snapshot,
        "version": snapshot.rpartition("@")[2],
        "facets": json.dumps(facets),
    }


def _raw_event(
    event: dict[str, Any], status: str, terminal: bool, producer_of: dict[str, str]
) -> dict[str, Any]:
    """The event as the baseline statement takes it: refs computed here, facets as JSON text."""
    run_id = event["run"]["runId"]
    return {
        "run": f"run:{run_id}",
        "namespace": event["job"]["namespace"],
        "job": event["job"]["name"],
        "status": status,
        "terminal": terminal,
        "time": datetime.fromisoformat(event["eventTime"]),
        "jobFacets": json.dumps(event["job"]["facets"]),
        "inputs": [
            _raw_use(
                i["namespace"],
                i["name"],
                producer_of.get(i["name"], f"dataset:{i['namespace']}/{i['name']}@unknown"),
                i["facets"],
            )
            for i in event["inputs"]
        ],
        "outputs": [
            _raw_use(
                o["namespace"],
                o["name"],
                f"dataset:{o['namespace']}/{o['name']}@run-{run_id}",
                {**o["facets"], **o.get("outputFacets", {})},
            )
            for o in event["outputs"]
        ],
    }


def _run_events(
    namespace: str, job: int, table: str, reads: list[str], start: datetime
) -> list[dict[str, Any]]:
    """START and COMPLETE of one run of ``job``, reading ``reads`` and writing ``table``."""
    run_id = str(uuid.uuid4())
    job_facets = {
        "sql": {"query": " ".join(["insert into", table, "select * from", reads[0]])},
        "jobType": {"processingType": "BATCH", "integration": "AIRFLOW", "jobType": "TASK"},
        "sourceCodeLocation": {
            "type": "git",
            "url": "https://github.com/example/dags/blob/main/warehouse.py",
            "repoUrl": "https://github.com/example/dags.git",
            "path": "warehouse.py",
            "version": "4f1c2d9e",
        },
    }
    engine = {"version": "2.9.1", "name": "Airflow", "openlineageAdapterVersion": "1.30.0"}
    start_event = {
        "eventType": "START",
        "eventTime": start.isoformat(),
        "producer": PRODUCER,
        "schemaURL": SPEC,
        "run": {"runId": run_id, "facets": {"processing_engine": engine}},
        "job": {"namespace": "airflow", "name": f"warehouse.job{job}", "facets": job_facets},
        "inputs": [_dataset(namespace, name) for name in reads],
        "outputs": [_dataset(namespace, table)],
    }
    stats = {"outputStatistics": {"rowCount": 1000 + job, "size": 65536}}
    complete = {
        **start_event,
        "eventType": "COMPLETE",
        "eventTime": (start + timedelta(seconds=30)).isoformat(),
        "run": {"runId": run_id, "facets": {}},
        "outputs": [_dataset(namespace, table, outputFacets=stats)],
    }
    return [start_event, complete]


def make_workload(tag: str, jobs: int, runs: int, clients: int, t0: datetime) -> Workload:
    """``tag`` keeps each setup's and round's datasets apart (no setup sees another's graph)."""
    namespace = f"postgres://warehouse-{tag}:5432"
    sources = [f"raw.src{i}" for i in range(SOURCES)]
    tables = [f"mart.t{j}" for j in range(jobs)]
    producer_of: dict[str, str] = {}  # table -> ref of the latest snapshot written (raw inputs)
    events: list[list[dict[str, Any]]] = [[] for _ in range(clients)]
    raws: list[list[dict[str, Any]]] = [[] for _ in range(clients)]
    index = 0
    for turn in range(runs):
        for j in range(jobs):
            upstream = [*sources, *tables[:j]]
            reads = [
                upstream[(7 * j + turn) % len(upstream)],
                upstream[(3 * j + 1) % len(upstream)],
            ]
            start = t0 + timedelta(seconds=10 * index)
            pair = _run_events(namespace, j, tables[j], list(dict.fromkeys(reads)), start)
            raw_pair = [
                _raw_event(pair[0], "RUNNING", False, producer_of),
                _raw_event(pair[1], "COMPLETED", True, producer_of),
            ]
            producer_of[tables[j]] = raw_pair[1]["outputs"][0]["snapshot"]
            events[index % clients].extend(pair)  # a run's events on one client, in order
            raws[index % clients].extend(raw_pair)
            index += 1
    return Workload(events, raws)


# --- the setups --------------------------------------------------------------------------------
def _threads(work: list[Callable[[], None]]) -> float:
    """Run each callable in its own thread, all released at once; the wall time until all end."""
    errors: list[BaseException] = []
    gate = threading.Barrier(len(work) + 1)

    def wrap(fn: Callable[[], None]) -> None:
        gate.wait()
        try:
            fn()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(fn,)) for fn in work]
    for thread in threads:
        thread.start()
    gate.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if errors:
        raise errors[0]
    return elapsed


def run_service(url: str, token: str, workload: Workload) -> float:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    def client(events: list[dict[str, Any]]) -> Callable[[], None]:
        bodies = [json.dumps(event).encode() for event in events]

        def send() -> None:
            with httpx.Client(timeout=120) as http:
                for body in bodies:
                    response = http.post(f"{url}/api/v1/lineage", content=body, headers=headers)
                    if response.status_code != 201:
                        raise RuntimeError(f"{response.status_code}: {response.text[:500]}")

        return send

    return _threads([client(events) for events in workload.events])


def run_raw(driver: neo4j.Driver, query: str, workload: Workload, batch: int) -> float:
    def write(tx: neo4j.ManagedTransaction, events: list[dict[str, Any]]) -> None:
        tx.run(query, events=events, now=datetime.now(UTC)).consume()

    def client(events: list[dict[str, Any]]) -> Callable[[], None]:
        def send() -> None:
            with driver.session() as session:
                for first in range(0, len(events), batch):
                    session.execute_write(write, events[first : first + batch])

        return send

    return _threads([client(events) for events in workload.raw])


# --- main --------------------------------------------------------------------------------------
@dataclass
class Result:
    name: str
    round: int
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds


@contextlib.contextmanager
def service(work: Path) -> Iterator[tuple[str, neo4j.Driver]]:
    with service_on_stack(work, auth=True) as (url, stack):
        password = stack.credentials.neo4j_password
        auth = ("neo4j", password) if password else None
        with neo4j.GraphDatabase.driver(stack.neo4j.uri, auth=auth) as driver:
            try:
                yield url, driver
            except BaseException:
                log = (work / "service.log").read_text(errors="replace")
                print("--- service log (tail) ---\n" + log[-6000:], file=sys.stderr)
                raise


def table(results: list[Result], baseline: str) -> str:
    names = list(dict.fromkeys(r.name for r in results))
    median = {n: statistics.median(r.rate for r in results if r.name == n) for n in names}
    rows = [
        "| setup | events | events/s, median [min-max] | ratio to baseline |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name in names:
        rates = [r.rate for r in results if r.name == name]
        count = next(r.events for r in results if r.name == name)
        rows.append(
            f"| {name} | {count} | {median[name]:.0f} [{min(rates):.0f}-{max(rates):.0f}] | "
            f"{median[name] / median[baseline]:.2f} |"
        )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5, help="runs of each job per round")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1, help="unreported rounds first")
    args = parser.parse_args(argv)
    # a SIGTERM unwinds the with-blocks, so the servers started here are stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    catalog = Catalog.load()
    query = catalog["bench.openlineage_raw"].text
    t0 = datetime(2024, 6, 1, tzinfo=UTC)
    results: list[Result] = []
    service_row = f"service, POST /api/v1/lineage, {args.clients} clients"
    raw_row = f"raw Cypher, 1 event/tx, {args.clients} clients (baseline)"
    batch_row = f"raw Cypher, 100 events/tx, {args.clients} clients"
    with (
        tempfile.TemporaryDirectory(prefix="lineage-olbench-") as tmp,
        service(Path(tmp)) as (
            url,
            driver,
        ),
    ):
        token = TokenStore(driver, "neo4j", catalog).create("write", "bench").secret
        setups: list[tuple[str, str, Callable[[Workload], float]]] = [
            ("service", service_row, lambda w: run_service(url, token, w)),
            ("raw", raw_row, lambda w: run_raw(driver, query, w, 1)),
            ("raw-batched", batch_row, lambda w: run_raw(driver, query, w, 100)),
        ]
        total = args.warmup + args.rounds
        for index in range(total):
            turn = index % len(setups)
            line = []
            for short, name, setup in setups[turn:] + setups[:turn]:
                tag = f"{short}-{index}-{uuid.uuid4().hex[:6]}"
                workload = make_workload(tag, args.jobs, args.runs, args.clients, t0)
                seconds = setup(workload)
                line.append(f"{short} {workload.count / seconds:.0f}/s")
                if index >= args.warmup:
                    results.append(Result(name, index, workload.count, seconds))
            label = "warm-up" if index < args.warmup else f"round {index - args.warmup + 1}"
            print(f"{label}/{args.rounds}: {', '.join(line)}", flush=True)
    print()
    print(
        f"{args.jobs} jobs x {args.runs} runs x 2 events (START, COMPLETE) per round, "
        f"{args.clients} concurrent clients, {args.rounds} interleaved rounds"
    )
    print(table(results, raw_row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
