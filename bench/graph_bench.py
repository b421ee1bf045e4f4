"""Graph benchmark: ingest, impact and lineage of the service against raw Cypher, at 1M nodes.

    .venv/bin/python -m bench.graph_bench                 # 1,000,000 nodes
    .venv/bin/python -m bench.graph_bench --nodes 20000   # smoke
    .venv/bin/python -m bench.graph_bench --nodes 30000 --graph-dir /tmp/g30k  # build, keep
    .venv/bin/python -m bench.graph_bench --graph-dir /tmp/g30k   # reads only, same graph

Starts a throw-away Neo4j (heap 4g, page cache 2g by default) and S3 from deploy/local and the
service in its own process, then in one run:

1. Builds a synthetic graph of ``--nodes`` nodes in units of about 1,000 nodes, each like one
   team's project: 3 datasets with 40 daily snapshots (each snapshot made by an ETL run from the
   previous day's), 30 feature definitions derived from snapshots and features, 150 training runs
   consuming 2-4 inputs (always a snapshot of the main dataset, sometimes the previous project's
   latest snapshot) and producing a model, child runs (trials) under 40% of them, and one
   evaluation run per model producing a report that evaluates it. Every unit goes through the
   service's own ingest path: the wire events validated as the API does (``IngestBatch``) and
   applied by ``GraphStore.apply_events`` (lineage lock, rule checks, cycle checks, UNWIND writes).
2. Baseline in the same run: every ``--raw-every``-th unit is also written with raw batched
   ``UNWIND ... MERGE`` statements through the driver (bench/cypher/raw: the same nodes with the
   same properties and the same relationships, FLOWS_TO mirror included, under a second label set
   ``BenchNode``), right next to its service ingest (alternating which goes first), so both see the
   same graph size and the same machine load; the first ``--warmup-units`` units go both ways
   uncounted (plan compilation, cold caches), and the paired row also shows the median and range
   of the per-unit ratios. A slice of ``--graphql-units`` units goes through
   the GraphQL ``ingest`` mutation over HTTP, alternated with store-ingested units.
3. Latency: ``impact`` and ``lineage`` (DOWNSTREAM from snapshots, UPSTREAM from reports, depth 5)
   through GraphQL over HTTP against the same read transaction run raw through the driver in the
   bench process (graph/traversal.impact / lineage: the same statement, cypher/impact/closure or
   cypher/lineage/<direction>_5, fetching and shaping the same rows), on roots bucketed by
   closure size (<=10, 11-100, 101-1000). Each sample times GraphQL and raw back to back
   (alternating order). The GraphQL client (``--http-client``) is by default one keep-alive
   ``http.client`` connection (bench/graphql_client.py: ~0.1 ms of its own per request; httpx
   adds ~0.5-1 ms of client-side Python); the table also shows the service's own Server-Timing
   (``app``: request in -> response headers; ``store``: inside the store call) and the load
   average. Each sample also times a third call, the plain HTTP floor (bench/http_floor.py: the
   same store call behind a Starlette route on uvicorn, no GraphQL, its body checked equal to
   GraphQL's), so the table tells the HTTP stack's share (floor/raw) from GraphQL's own
   (GraphQL/floor); ``--no-floor`` leaves it out.

Targets (issue 3): impact p99 < 50 ms for closures <= 1,000 nodes; GraphQL <= 1.5x raw Cypher;
ingest >= 0.5x raw. Not part of pytest; no timed assertions anywhere.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import neo4j

from bench import http_floor
from bench.graphql_client import CLIENTS, GraphQLClient
from bench.processes import process, wait_ready
from lineagegraph.config import Settings, load_settings
from lineagegraph.graph import traversal
from lineagegraph.graph.catalog import Catalog
from lineagegraph.graph.driver import open_driver
from lineagegraph.graph.results import Direction
from lineagegraph.graph.store import GraphStore
from lineagegraph.models import IngestBatch

ROOT = Path(__file__).resolve().parents[1]
RAW = Catalog.load(Path(__file__).resolve().parent / "cypher")
DATASETS, DAYS, FEATURES, TRAININGS = 3, 40, 30, 150
DIGEST = "sha256:" + "0" * 64

# --- the synthetic graph -------------------------------------------------------------------------


@dataclass
class Unit:
    """One project: the wire events in order, and the same graph as raw node and edge rows."""

    index: int
    events: list[dict[str, Any]] = field(default_factory=list)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    snapshots: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    reports: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)  # refs of other units this one consumes
    latest_main: str = ""

    def add(self, event: dict[str, Any]) -> str:
        """Append a wire event with a client-generated id, as the SDK sends every event."""
        event["event_id"] = event_id = uuid.uuid4().hex
        self.events.append(event)
        return event_id

    def node(self, label: str, ref: str, startTime: str | None = None, **props: Any) -> None:  # noqa: N803
        """A raw node row; start and end times travel as ISO text, stored as DateTime."""
        row = {"label": label, "ref": ref, "props": {"ref": ref, **props}}
        self.nodes.append({**row, "startTime": startTime, "endTime": None})

    def edge(self, kind: str, upstream: str, downstream: str, time: str | None = None) -> None:
        """A lineage edge in flow direction, stored as the service stores it, plus its mirror
        (a CONSUMED edge keeps its event's time, as the service's does)."""
        stored = (
            (downstream, upstream) if kind in ("CONSUMED", "DERIVED_FROM", "EVALUATES") else None
        )
        a, b = stored or (upstream, downstream)
        self.edges.append({"type": kind, "from": a, "to": b, "props": {}, "time": time})
        self.edges.append(
            {"type": "FLOWS_TO", "from": upstream, "to": downstream, "props": {"kind": kind}}
        )

    def run(self, name: str, parent: str | None = None) -> tuple[str, str]:
        run_id = str(uuid.uuid4())
        ref = f"run:{run_id}"
        event: dict[str, Any] = {"type": "run_started", "run_id": run_id, "name": name}
        if parent is not None:
            event["parent_run_id"] = parent.removeprefix("run:")
            self.edges.append({"type": "CHILD_OF", "from": ref, "to": parent, "props": {}})
        event["time"] = now = _now()
        self.add(event)
        # as the service stores a run: started, then finished (finish() sets endTime)
        self.node("BenchRun", ref, kind="RUN", name=name, status="COMPLETED", startTime=now)
        return run_id, ref

    def consume(self, run_id: str, ref: str) -> None:
        now = _now()
        self.add({"type": "artifact_consumed", "run_id": run_id, "ref": ref, "time": now})
        self.edge("CONSUMED", ref, f"run:{run_id}", time=now)

    def finish(self, run_id: str) -> None:
        now = _now()
        self.add({"type": "run_finished", "run_id": run_id, "status": "COMPLETED", "time": now})
        for node in reversed(self.nodes):
            if node["ref"] == f"run:{run_id}":
                node["endTime"] = now
                break

    def register(
        self, kind: str, name: str, version: str, producer: str | None, **extra: Any
    ) -> str:
        prefix, label = {
            "DATASET_SNAPSHOT": ("dataset", "BenchDatasetSnapshot"),
            "FEATURE_DEFINITION": ("feature", "BenchFeatureDefinition"),
            "MODEL": ("model", "BenchModel"),
            "EVALUATION_REPORT": ("report", "BenchEvaluationReport"),
        }[kind]
        ref = f"{prefix}:{name}@{version}"
        artifact = {"kind": kind, "name": name, "version": version, **extra}
        event: dict[str, Any] = {"type": "artifact_registered", "artifact": artifact}
        props: dict[str, Any] = {"kind": kind, "name": name, "version": version}
        if "digest" in extra:
            props["digest"] = extra["digest"]
        props["status"] = "AVAILABLE"
        # the service's other stored properties of these registrations (graph/ingest_plan.py)
        props["tagKeys"], props["tagValues"] = [], []
        if "framework" in extra:
            props["framework"] = extra["framework"]
        if "expression" in extra:
            props["expression"] = extra["expression"]
        if "metrics" in extra:
            props["reportMetricKeys"] = list(extra["metrics"])
            props["reportMetricValues"] = list(extra["metrics"].values())
        if producer is not None:
            event["produced_by"] = producer.removeprefix("run:")
            self.edge("PRODUCED", producer, ref)
        for source in extra.get("sources", []):
            self.edge("DERIVED_FROM", source, ref)
        if extra.get("evaluates"):
            self.edge("EVALUATES", extra["evaluates"], ref)
        props["registeredBy"] = self.add(event)
        self.node(label, ref, **props)
        return ref


def _now() -> str:
    return datetime.now(UTC).isoformat()


def make_unit(index: int, rng: random.Random, previous_main: str | None) -> Unit:
    unit = Unit(index)
    tag = f"p{index:06d}"
    chains: list[list[str]] = []
    for d in range(DATASETS):
        name = f"{tag}-ds{d}"
        dataset_ref = f"dataset:{name}"
        unit.datasets.append(dataset_ref)
        unit.node("BenchDataset", dataset_ref, kind="DATASET", name=name)
        chain: list[str] = []
        for day in range(DAYS):
            version = f"2026-{1 + day // 28:02d}-{1 + day % 28:02d}"
            producer = None
            run_id = ""
            if chain:
                run_id, producer = unit.run(f"etl-{name}")
                unit.consume(run_id, chain[-1])
            ref = unit.register("DATASET_SNAPSHOT", name, version, producer, digest=DIGEST)
            unit.edges.append({"type": "SNAPSHOT_OF", "from": ref, "to": dataset_ref, "props": {}})
            if producer is not None:
                unit.finish(run_id)
            chain.append(ref)
        chains.append(chain)
        unit.snapshots.extend(chain)
    unit.latest_main = chains[0][-1]
    features: list[str] = []
    for f in range(FEATURES):
        sources = rng.sample(unit.snapshots, rng.randint(1, 2))
        if features and rng.random() < 0.3:
            sources.append(rng.choice(features))
        features.append(
            unit.register(
                "FEATURE_DEFINITION",
                f"{tag}-feat{f}",
                "1",
                None,
                sources=sources,
                expression=f"f{f}(x)",
            )
        )
    holdout = chains[1][-1]
    for t in range(TRAININGS):
        run_id, run_ref = unit.run(f"train-{tag}")
        inputs = [rng.choice(chains[0])]
        pool = unit.snapshots + features
        inputs += [i for i in rng.sample(pool, rng.randint(1, 3)) if i not in inputs]
        if previous_main is not None and rng.random() < 0.05:
            inputs.append(previous_main)  # fan-in across projects
            unit.foreign.append(previous_main)
        for ref in inputs:
            unit.consume(run_id, ref)
        model = unit.register(
            "MODEL", f"{tag}-model{t % 10}", str(t), run_ref, digest=DIGEST, framework="torch"
        )
        unit.models.append(model)
        if rng.random() < 0.4:
            for trial in range(2):
                child_id, _ = unit.run(f"trial-{trial}", parent=run_ref)
                unit.consume(child_id, inputs[0])
                unit.finish(child_id)
        unit.finish(run_id)
        eval_id, eval_ref = unit.run(f"eval-{tag}")
        unit.consume(eval_id, model)
        unit.consume(eval_id, holdout)
        unit.reports.append(
            unit.register(
                "EVALUATION_REPORT",
                f"{tag}-eval{t % 10}",
                str(t),
                eval_ref,
                evaluates=model,
                metrics={"auc": round(rng.random(), 4)},
            )
        )
        unit.finish(eval_id)
    return unit


def units(seed: int) -> Iterator[Unit]:
    """Units without end; the caller stops when enough nodes are built."""
    rng = random.Random(seed)
    previous: str | None = None
    index = 0
    while True:
        unit = make_unit(index, rng, previous)
        previous = unit.latest_main
        index += 1
        yield unit


# --- the servers ---------------------------------------------------------------------------------
SERVE = """
import sys
from lineagegraph.cli.serve import serve
from lineagegraph.config import load_settings
port, neo4j, s3, access, secret, bucket = sys.argv[1:7]
serve(load_settings(port=int(port), neo4j_uri=neo4j, s3_endpoint=s3, s3_access_key=access,
      s3_secret_key=secret, s3_bucket=bucket, log_level="warning"))
"""


@dataclass
class Servers:
    settings: Settings
    url: str
    floor_url: str | None = None  # the plain HTTP floor (bench/http_floor.py), when started


@contextlib.contextmanager
def servers(args: argparse.Namespace, work: Path) -> Iterator[Servers]:
    from lineagegraph.cli._localstack import stack_module

    mod = stack_module()
    cache = Path(os.environ.get("LINEAGE_CACHE_DIR", ROOT / ".cache"))
    stack = mod.Stack(
        data_dir=work / "stack",
        cache=cache,
        bolt_port=mod.free_port(),
        s3_port=mod.free_port(),
        credentials=mod.Credentials(
            None, "bench" + secrets.token_hex(4), secrets.token_urlsafe(24)
        ),
        heap=args.heap,
        pagecache=args.pagecache,
    )
    stack.start()
    try:
        creds = stack.credentials
        settings = load_settings(
            neo4j_uri=stack.neo4j.uri,
            s3_endpoint=stack.s3.endpoint,
            s3_access_key=creds.s3_access_key,
            s3_secret_key=creds.s3_secret_key,
            s3_bucket="bench",
        )
        port = mod.free_port()
        cmd = [
            sys.executable,
            "-c",
            SERVE,
            str(port),
            stack.neo4j.uri,
            stack.s3.endpoint,
            creds.s3_access_key,
            creds.s3_secret_key,
            "bench",
        ]
        with process(cmd, work / "service.log") as proc:
            url = f"http://127.0.0.1:{port}"
            wait_ready(url, proc)
            if not args.floor:
                yield Servers(settings, url)
            else:
                floor_log = work / "floor.log"
                with http_floor.running(stack.neo4j.uri, mod.free_port(), floor_log, ROOT) as f:
                    yield Servers(settings, url, f)
    finally:
        stack.stop()


# --- ingest --------------------------------------------------------------------------------------
@dataclass
class Tally:
    units: int = 0
    nodes: int = 0
    edges: int = 0
    events: int = 0
    seconds: float = 0.0

    def add(self, unit: Unit, seconds: float) -> None:
        self.units += 1
        self.nodes += len(unit.nodes)
        self.edges += len(unit.edges)
        self.events += len(unit.events)
        self.seconds += seconds

    @property
    def rate(self) -> float:
        return self.nodes / self.seconds if self.seconds else 0.0


def raw_schema() -> list[str]:
    """The service's secondary indexes on the raw baseline's labels (bench/raw_schema.cypher)."""
    text = (Path(__file__).resolve().parent / "raw_schema.cypher").read_text()
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    return [s.strip() for s in body.split(";") if s.strip()]


def ingest_store(store: GraphStore, unit: Unit) -> float:
    start = time.perf_counter()
    batch = IngestBatch.model_validate({"events": unit.events})  # what the API does on the wire
    results = store.apply_events(batch.events)
    elapsed = time.perf_counter() - start
    failed = [r for r in results if not r.ok]
    if failed:
        raise RuntimeError(f"unit {unit.index}: {len(failed)} events failed, first {failed[0]}")
    return elapsed


def ingest_raw(driver: neo4j.Driver, database: str, unit: Unit) -> float:
    # Another unit's snapshot may not have been written raw: merge a bare node for it.
    stubs = [
        {"label": "BenchDatasetSnapshot", "ref": ref, "props": {"ref": ref}}
        for ref in dict.fromkeys(unit.foreign)
    ]

    def work(tx: neo4j.ManagedTransaction) -> None:
        tx.run(RAW["raw.nodes"].text, rows=stubs + unit.nodes).consume()
        tx.run(RAW["raw.edges"].text, rows=unit.edges).consume()

    start = time.perf_counter()
    with driver.session(database=database) as session:
        session.execute_write(work)
    return time.perf_counter() - start


INGEST = """mutation($events: JSON!) {
  ingest(input: {events: $events}) { accepted results { ok code message } } }"""


def ingest_graphql(http: httpx.Client, url: str, unit: Unit, batch: int) -> float:
    start = time.perf_counter()
    for i in range(0, len(unit.events), batch):
        chunk = unit.events[i : i + batch]
        body = http.post(url + "/graphql", json={"query": INGEST, "variables": {"events": chunk}})
        body.raise_for_status()
        answer = body.json()
        if answer.get("errors") or answer["data"]["ingest"]["accepted"] != len(chunk):
            raise RuntimeError(f"GraphQL ingest of unit {unit.index} failed: {str(answer)[:500]}")
    return time.perf_counter() - start


@dataclass
class IngestReport:
    store_paired: Tally = field(default_factory=Tally)
    raw_paired: Tally = field(default_factory=Tally)
    store_all: Tally = field(default_factory=Tally)
    graphql: Tally = field(default_factory=Tally)
    store_near_graphql: Tally = field(default_factory=Tally)
    pair_ratios: list[float] = field(default_factory=list)  # per paired unit: raw s / store s
    sample: list[Unit] = field(default_factory=list)


def build(args: argparse.Namespace, srv: Servers, store: GraphStore) -> IngestReport:
    per_unit = len(make_unit(0, random.Random(0), None).nodes)
    count = max(4, -(-args.nodes // per_unit))
    # GraphQL units are spread over the run, each right after a store unit it is compared with.
    gap = max(3, count // max(1, args.graphql_units))
    report = IngestReport()
    driver, database = store.driver, store.database
    with driver.session(database=database) as session:
        session.run(RAW["raw.constraint"].text).consume()
        if args.raw_indexes == "service":
            for statement in raw_schema():
                session.run(statement).consume()  # type: ignore[arg-type]
    pick = random.Random(args.seed + 1)
    cap = args.max_ingest_minutes * 60 if args.max_ingest_minutes else None
    started = last = time.perf_counter()
    print(f"ingesting ~{count} units of ~{per_unit} nodes ...", file=sys.stderr)
    with httpx.Client(timeout=600) as http:
        for unit in units(args.seed):
            position = unit.index % gap
            if position == gap - 1 and report.graphql.units < args.graphql_units:
                report.graphql.add(unit, ingest_graphql(http, srv.url, unit, args.batch))
            else:
                # The first --warmup-units go both ways uncounted: plan compilation and a cold
                # page cache hit the service's statements and the raw ones differently.
                warming = unit.index < args.warmup_units
                paired = unit.index % args.raw_every == 0 and not warming
                raw_too = paired or warming
                raw_first = raw_too and (unit.index // args.raw_every) % 2 == 1
                raw_time = ingest_raw(driver, database, unit) if raw_first else 0.0
                took = ingest_store(store, unit)
                if raw_too and not raw_first:
                    raw_time = ingest_raw(driver, database, unit)
                report.store_all.add(unit, took)
                if paired:
                    report.store_paired.add(unit, took)
                    report.raw_paired.add(unit, raw_time)
                    report.pair_ratios.append(raw_time / took)
                if position == gap - 2 and report.graphql.units < args.graphql_units:
                    report.store_near_graphql.add(unit, took)
            # reservoir of 40 units for the latency phase
            if len(report.sample) < 40:
                report.sample.append(_slim(unit))
            elif (slot := pick.randrange(unit.index + 1)) < 40:
                report.sample[slot] = _slim(unit)
            now = time.perf_counter()
            over = cap is not None and now - started > cap
            # Dataset nodes are part of each unit's rows: the count is what the graph holds.
            enough = report.store_all.nodes + report.graphql.nodes >= args.nodes
            if now - last > 30 or enough or over:
                last = now
                print(
                    f"  {unit.index + 1}/{count} units, {report.store_all.nodes:,} nodes via "
                    f"store at {report.store_all.rate:,.0f}/s, {now - started:,.0f} s",
                    file=sys.stderr,
                )
            if over:
                print(
                    f"  stopping: --max-ingest-minutes {args.max_ingest_minutes}", file=sys.stderr
                )
                break
            if enough:
                break
    return report


def _slim(unit: Unit) -> Unit:
    """What the latency phase needs of a unit (its refs), without the rows."""
    slim = Unit(unit.index)
    slim.snapshots, slim.models, slim.reports = unit.snapshots, unit.models, unit.reports
    slim.datasets = unit.datasets
    return slim


# --- latency -------------------------------------------------------------------------------------
IMPACT = """query($ref: String!) { impact(ref: $ref) { total truncated
  runs { ref name version depth } datasetSnapshots { ref name version depth }
  featureDefinitions { ref name version depth } models { ref name version depth }
  evaluationReports { ref name version depth } } }"""
LINEAGE = """query($ref: String!, $direction: LineageDirection!) {
  lineage(ref: $ref, direction: $direction, depth: 5) {
    nodes { ref kind name version depth } edges { from to kind } truncated } }"""
BUCKETS = ((1, 10), (11, 100), (101, 1000))
ARGS_RAW_INDEXES = ["service"]  # printed with the ingest table


def _read(store: GraphStore, work: Callable[[neo4j.ManagedTransaction], int]) -> int:
    with store.driver.session(
        database=store.database, default_access_mode=neo4j.READ_ACCESS
    ) as session:
        found: int = session.execute_read(work)
    return found


def raw_impact(store: GraphStore, ref: str) -> int:
    """The service's own impact transaction (graph/traversal.impact: the same statements and
    parameters, the same rows fetched and shaped), run through the driver in this process."""
    catalog, limit = store.catalog, store.max_impact_nodes
    return _read(store, lambda tx: traversal.impact(tx, catalog, ref, limit).total)


def raw_lineage(store: GraphStore, ref: str, direction: str) -> int:
    """The service's own lineage transaction (graph/traversal.lineage), as raw_impact."""
    catalog, limit = store.catalog, store.max_lineage_nodes
    way = Direction(direction)
    return _read(
        store, lambda tx: len(traversal.lineage(tx, catalog, ref, way, 5, None, limit).nodes)
    )


def graphql(client: GraphQLClient, series: Series, query: str, **variables: Any) -> dict[str, Any]:
    """One GraphQL request; the service's Server-Timing (app, store) kept with the series."""
    body = client.query(query, **variables)
    series.app.append(client.last_timing.get("app", float("nan")))
    series.store.append(client.last_timing.get("store", float("nan")))
    return body


@dataclass
class Series:
    name: str
    bucket: str
    gql: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)  # the same read, plain HTTP (http_floor.py)
    sizes: list[int] = field(default_factory=list)
    app: list[float] = field(default_factory=list)  # Server-Timing app (request in -> response)
    store: list[float] = field(default_factory=list)  # Server-Timing store (inside store calls)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def measure(
    series: Series,
    repeats: int,
    gql_call: Callable[[], dict[str, Any]],
    raw_call: Callable[[], object],
    floor_call: Callable[[], dict[str, Any]] | None,
) -> None:
    """``repeats`` samples of each call back to back, the order rotating from sample to sample."""
    answer = gql_call()  # warm: plan cache, page cache
    raw_call()
    del series.app[-1:], series.store[-1:]  # the warm-up's server timing
    calls: list[tuple[list[float], Callable[[], object]]] = [
        (series.gql, gql_call),
        (series.raw, raw_call),
    ]
    if floor_call is not None:
        if floor_call() != answer:  # the floor must do the same work: the same body
            raise RuntimeError(f"the plain HTTP floor answered {series.name} differently")
        calls.append((series.floor, floor_call))
    for i in range(repeats):
        for into, call in calls[i % len(calls) :] + calls[: i % len(calls)]:
            into.append(timed(call))


def bucket_of(size: int) -> str | None:
    for low, high in BUCKETS:
        if low <= size <= high:
            return f"{low}-{high}"
    return None


def latency(
    args: argparse.Namespace, srv: Servers, store: GraphStore, sample: list[Unit]
) -> list[Series]:
    rng = random.Random(args.seed + 2)
    candidates: list[str] = []
    for unit in sample:
        candidates += rng.sample(unit.snapshots, 6) + rng.sample(unit.models, 3)
        candidates += [unit.datasets[0], unit.snapshots[0], unit.snapshots[DAYS]]
    by_bucket: dict[str, list[tuple[str, int]]] = {}
    for ref in dict.fromkeys(candidates):
        size = raw_impact(store, ref)
        name = bucket_of(size)
        if name is not None:
            by_bucket.setdefault(name, []).append((ref, size))
    out: list[Series] = []
    floor_url = srv.floor_url
    with (
        GraphQLClient(srv.url, args.http_client) as http,
        GraphQLClient(floor_url, args.http_client, path=http_floor.PATH)
        if floor_url
        else contextlib.nullcontext() as floor,
    ):
        for low, high in BUCKETS:
            name = f"{low}-{high}"
            roots = by_bucket.get(name, [])
            rng.shuffle(roots)
            series = Series("impact", name)
            for ref, size in roots[: args.roots]:
                series.sizes.append(size)
                measure(
                    series,
                    args.repeats,
                    lambda r=ref, s=series: graphql(http, s, IMPACT, ref=r),
                    lambda r=ref: raw_impact(store, r),
                    (lambda r=ref, q=floor.query: q(IMPACT, ref=r)) if floor is not None else None,
                )
            out.append(series)
        starts = {
            "DOWNSTREAM": [s for u in sample for s in rng.sample(u.snapshots, 3)],
            "UPSTREAM": [r for u in sample for r in rng.sample(u.reports, 3)],
        }
        for direction, refs in starts.items():
            series = Series(f"lineage {direction.lower()} d=5", "-")
            rng.shuffle(refs)
            for ref in refs[: args.roots]:
                series.sizes.append(raw_lineage(store, ref, direction))
                measure(
                    series,
                    args.repeats,
                    lambda r=ref, d=direction, s=series: graphql(
                        http, s, LINEAGE, ref=r, direction=d
                    ),
                    lambda r=ref, d=direction: raw_lineage(store, r, d),
                    (lambda r=ref, d=direction, q=floor.query: q(LINEAGE, ref=r, direction=d))
                    if floor is not None
                    else None,
                )
            out.append(series)
    return out


# --- report --------------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_ingest(report: IngestReport, counts: dict[str, int], wall: float) -> None:
    total = sum(v for k, v in counts.items() if k != "baseline")
    kinds = ", ".join(f"{k} {v:,}" for k, v in counts.items() if k != "baseline")
    print(
        f"\nGraph stored by the service: {total:,} nodes ({kinds}); "
        f"raw baseline nodes {counts['baseline']:,}; {wall / 60:.1f} min so far\n"
    )
    print(f"raw baseline indexes: {ARGS_RAW_INDEXES[0]}\n")
    print("| ingest | units | nodes | edges | events | seconds | nodes/s | ratio | target |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    raw = report.raw_paired.rate
    rows = [
        ("raw UNWIND MERGE (paired units)", report.raw_paired, 1.0, ""),
        (
            "service store, paired units",
            report.store_paired,
            report.store_paired.rate / raw if raw else float("nan"),
            ">= 0.5x raw",
        ),
        (
            "service store, all units",
            report.store_all,
            report.store_all.rate / raw if raw else float("nan"),
            "",
        ),
        (
            "service GraphQL ingest slice",
            report.graphql,
            report.graphql.rate / raw if raw else float("nan"),
            "",
        ),
        (
            "service store, units next to that slice",
            report.store_near_graphql,
            report.store_near_graphql.rate / raw if raw else float("nan"),
            "",
        ),
    ]
    for label, tally, ratio, target in rows:
        mark = f"{target} {verdict(ratio >= 0.5)}" if target else ""
        if tally is report.store_paired and report.pair_ratios:
            r = report.pair_ratios
            mark += f"; per unit {statistics.median(r):.2f}x [{min(r):.2f}-{max(r):.2f}]"
        print(
            f"| {label} | {tally.units} | {tally.nodes:,} | {tally.edges:,} | {tally.events:,} | "
            f"{tally.seconds:,.1f} | {tally.rate:,.0f} | {ratio:.2f}x | {mark} |"
        )
    sys.stdout.flush()


def print_latency(series: list[Series], client: str, loads: tuple[str, str]) -> None:
    floor = any(s.floor for s in series)
    print()
    print(
        f"GraphQL over HTTP with the {client} client (bench/graphql_client.py); raw = the same "
        "read transaction through the driver in this process; 'service' = the service's own "
        "Server-Timing p50: app (request in -> response headers) / store (inside the store "
        "call); 'added ms' = the median over back-to-back pairs of GraphQL minus raw, what the "
        f"service adds in absolute terms. Load average at start: {loads[0]}; at end: {loads[1]}.\n"
    )
    if floor:
        print(
            "floor = the same read behind a plain Starlette route on uvicorn, no GraphQL "
            "(bench/http_floor.py: same store call through a worker thread, same response body, "
            "same client): floor/raw is what the HTTP stack alone costs over raw; GraphQL/floor "
            "what the GraphQL layer adds to it.\n"
        )
    extra = " | floor p50 ms | floor/raw p50 | GraphQL/floor p50" if floor else ""
    print(
        "| query | closure (nodes) | roots x repeats | result size p50/max | GraphQL p50 ms "
        "| GraphQL p99 ms | raw p50 ms | raw p99 ms | ratio p50 | ratio p99 | added ms p50 "
        f"| service app/store p50 ms{extra} | targets |"
    )
    print(
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        + ("| ---: | ---: | ---: " if floor else "")
        + "| --- |"
    )
    for s in series:
        if not s.gql:
            print(
                f"| {s.name} | {s.bucket} | 0 | - | - | - | - | - | - | - | - | - "
                + ("| - | - | - " if floor else "")
                + "| no roots of that size |"
            )
            continue
        g50, g99, r50, r99 = pct(s.gql, 0.5), pct(s.gql, 0.99), pct(s.raw, 0.5), pct(s.raw, 0.99)
        ratio50, ratio99 = g50 / r50, g99 / r99
        marks = [f"GraphQL/raw {verdict(ratio99 <= 1.5 and ratio50 <= 1.5)}"]
        if s.name == "impact":
            marks.insert(0, f"p99<50ms {verdict(g99 < 50)}")
        cells = ""
        if floor:
            f50 = pct(s.floor, 0.5)
            cells = f" | {f50:.1f} | {f50 / r50:.2f}x | {g50 / f50:.2f}x"
        print(
            f"| {s.name} | {s.bucket} | {len(s.sizes)} x {len(s.gql) // max(1, len(s.sizes))} | "
            f"{int(statistics.median(s.sizes))}/{max(s.sizes)} | {g50:.1f} | {g99:.1f} | "
            f"{r50:.1f} | {r99:.1f} | {ratio50:.2f}x | {ratio99:.2f}x | {added(s):.2f} | "
            f"{pct(s.app, 0.5):.1f}/{pct(s.store, 0.5):.1f}{cells} | {'; '.join(marks)} |"
        )


def added(s: Series) -> float:
    """What the service adds to a read in absolute terms: the median of GraphQL - raw over the
    samples taken back to back (same root, same round), less noisy than a difference of p50s."""
    return statistics.median(g - r for g, r in zip(s.gql, s.raw, strict=True))


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def counts_of(store: GraphStore) -> dict[str, int]:
    with store.driver.session(database=store.database) as session:
        row = session.run(RAW["raw.counts"].text).single(strict=True)
    return {k: int(v) for k, v in row.items()}


def _save_sample(path: Path, sample: list[Unit]) -> None:
    rows = [
        {
            "index": u.index,
            "snapshots": u.snapshots,
            "models": u.models,
            "reports": u.reports,
            "datasets": u.datasets,
        }
        for u in sample
    ]
    path.write_text(json.dumps(rows))


def _load_sample(path: Path) -> list[Unit]:
    sample = []
    for row in json.loads(path.read_text()):
        unit = Unit(row["index"])
        unit.snapshots, unit.models = row["snapshots"], row["models"]
        unit.reports, unit.datasets = row["reports"], row["datasets"]
        sample.append(unit)
    return sample


def run(args: argparse.Namespace) -> int:
    wall = time.perf_counter()
    keep = args.graph_dir is not None
    if keep:
        work = Path(args.graph_dir).resolve()
        work.mkdir(parents=True, exist_ok=True)
        # S3 credentials are new each start: the blob store's state is not worth keeping.
        shutil.rmtree(work / "stack" / "s3", ignore_errors=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="lineage-graph-bench-", dir=args.workdir))
    sample_path = work / "sample.json"
    try:
        with servers(args, work) as srv:
            driver = open_driver(srv.settings)
            try:
                store = GraphStore(driver, srv.settings.neo4j_database, Catalog.load())
                if keep and sample_path.exists():
                    sample = _load_sample(sample_path)
                    print(
                        f"reusing the graph in {work}: {counts_of(store)}",
                        file=sys.stderr,
                    )
                else:
                    report = build(args, srv, store)
                    print_ingest(report, counts_of(store), time.perf_counter() - wall)
                    sample = report.sample
                    if keep:
                        _save_sample(sample_path, sample)
                if not args.ingest_only:
                    print("measuring latency ...", file=sys.stderr)
                    load_start = _loadavg()
                    measured = latency(args, srv, store, sample)
                    print_latency(measured, args.http_client, (load_start, _loadavg()))
            finally:
                driver.close()
        return 0
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # unwinds the context managers: the servers are stopped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.graph_bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--nodes", type=int, default=1_000_000, help="nodes to build (at least)")
    parser.add_argument("--raw-every", type=int, default=4, help="write every n-th unit raw too")
    parser.add_argument(
        "--warmup-units",
        type=int,
        default=2,
        help="first units written both ways but not counted in the paired ingest rows",
    )
    parser.add_argument("--graphql-units", type=int, default=6, help="units sent via GraphQL")
    parser.add_argument(
        "--max-ingest-minutes", type=float, default=None, help="stop building after this long"
    )
    parser.add_argument("--batch", type=int, default=5000, help="events per GraphQL request")
    parser.add_argument("--roots", type=int, default=40, help="roots per latency series")
    parser.add_argument("--repeats", type=int, default=5, help="samples per root")
    parser.add_argument(
        "--http-client",
        choices=CLIENTS,
        default="stdlib",
        help="GraphQL client of the latency phase (bench/graphql_client.py): stdlib (one "
        "keep-alive http.client connection, ~0.1 ms of its own) or httpx (~0.5-1 ms of its own)",
    )
    parser.add_argument(
        "--no-floor",
        dest="floor",
        action="store_false",
        help="leave out the plain HTTP floor (bench/http_floor.py: the same read behind a "
        "Starlette route, no GraphQL) measured next to each GraphQL and raw read",
    )
    parser.add_argument("--heap", default="4g", help="Neo4j heap")
    parser.add_argument("--pagecache", default="2g", help="Neo4j page cache")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", default=None, help="where the throw-away stack lives")
    parser.add_argument(
        "--graph-dir",
        default=None,
        help="keep the stack's data here; when it already holds a built graph, skip the build "
        "and measure latency only (reads-only rerun)",
    )
    parser.add_argument(
        "--raw-indexes",
        choices=("service", "ref"),
        default="service",
        help="indexes of the raw baseline: the service's secondary indexes too (same index "
        "upkeep at commit), or only its unique ref (the baseline before session 4)",
    )
    parser.add_argument(
        "--ingest-only", action="store_true", help="build and print the ingest table, no latency"
    )
    args = parser.parse_args(argv)
    ARGS_RAW_INDEXES[0] = args.raw_indexes
    signal.signal(signal.SIGTERM, _terminate)
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
