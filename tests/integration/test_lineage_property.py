"""Property: lineage and impact through GraphQL equal a reference computed in Python.

Hypothesis builds random lineage DAGs (datasets with snapshots, runs consuming and producing,
features derived from snapshots and features, reports evaluating models; consumption by
`dataset:<name>` too; names in any Unicode), sends them through the batched ingest mutation in a
few batches, then asks lineage in both directions at several depths, with and without a kinds
filter, and impact, for artifacts, runs and datasets. The reference is a plain breadth-first
search over the edges the test itself decided on; it shares no code with the service.
"""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import LiveService
from tests.integration.api_helpers import GraphQL

KINDS = ["RUN", "DATASET_SNAPSHOT", "FEATURE_DEFINITION", "MODEL", "EVALUATION_REPORT"]
# Any printable text but '@' (it separates the version) and control characters.
NAMES = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="@"),
    min_size=1,
    max_size=8,
).filter(lambda s: s.strip() != "")


@dataclass
class Dag:
    """What the test decided: nodes (ref -> kind), flow edges, and the events that build it."""

    kinds: dict[str, str] = field(default_factory=dict)
    edges: dict[tuple[str, str], str] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    snapshots: dict[str, list[str]] = field(default_factory=dict)  # dataset name -> refs
    artifacts: list[str] = field(default_factory=list)  # in creation order
    runs: list[str] = field(default_factory=list)

    def register(self, kind: str, name: str, version: str, **extra: Any) -> str:
        prefix = {
            "DATASET_SNAPSHOT": "dataset",
            "FEATURE_DEFINITION": "feature",
            "MODEL": "model",
            "EVALUATION_REPORT": "report",
        }[kind]
        ref = f"{prefix}:{name}@{version}"
        event: dict[str, Any] = {
            "type": "artifact_registered",
            "artifact": {"kind": kind, "name": name, "version": version, **extra},
        }
        producer = extra.pop("produced_by", None)
        event["artifact"].pop("produced_by", None)
        if producer is not None:
            event["produced_by"] = producer.removeprefix("run:")
            self.edges[(producer, ref)] = "PRODUCED"
        for source in extra.get("sources", []):
            self.edges[(source, ref)] = "DERIVED_FROM"
        if extra.get("evaluates"):
            self.edges[(extra["evaluates"], ref)] = "EVALUATES"
        self.events.append(event)
        self.kinds[ref] = kind
        self.artifacts.append(ref)
        if kind == "DATASET_SNAPSHOT":
            self.snapshots.setdefault(name, []).append(ref)
        return ref


def build_dag(data: st.DataObject) -> Dag:
    tag = uuid.uuid4().hex[:8]  # names unique to this example: examples share one graph
    dag = Dag()
    datasets = [
        f"{data.draw(NAMES, label='dataset name')}-{tag}-{i}"
        for i in range(data.draw(st.integers(1, 3), label="datasets"))
    ]
    for name in datasets:
        for version in range(data.draw(st.integers(1, 2))):
            dag.register("DATASET_SNAPSHOT", name, str(version))
    for step in range(data.draw(st.integers(2, 24), label="steps")):
        choice = data.draw(st.sampled_from(["run", "run", "run", "feature", "report"]))
        if choice == "run":
            run = f"run:{uuid.uuid4()}"
            dag.events.append({"type": "run_started", "run_id": run[4:], "name": f"r{step}"})
            dag.kinds[run] = "RUN"
            dag.runs.append(run)
            # One of the newest artifacts, so that chains grow deep, and maybe some older ones.
            newest = data.draw(st.sampled_from(dag.artifacts[-2:]))
            older = data.draw(st.lists(st.sampled_from(dag.artifacts), max_size=2, unique=True))
            inputs = [newest, *(a for a in older if a != newest)]
            for ref in inputs:
                by_name = ref.startswith("dataset:") and data.draw(st.booleans())
                name = ref.partition(":")[2].rpartition("@")[0]
                if by_name:  # binds to the dataset's latest snapshot (the last registered)
                    ref = dag.snapshots[name][-1]
                wire = f"dataset:{name}" if by_name else ref
                dag.events.append({"type": "artifact_consumed", "run_id": run[4:], "ref": wire})
                dag.edges[(ref, run)] = "CONSUMED"
            for n in range(data.draw(st.sampled_from([0, 1, 1, 2]), label="outputs")):
                if data.draw(st.booleans()):
                    dataset = data.draw(st.sampled_from(datasets))
                    version = f"{step}.{n}"
                    dag.register("DATASET_SNAPSHOT", dataset, version, produced_by=run)
                else:
                    dag.register("MODEL", f"m-{tag}", f"{step}.{n}", produced_by=run)
        elif choice == "feature":
            pool = [
                a
                for a in dag.artifacts
                if dag.kinds[a] in ("DATASET_SNAPSHOT", "FEATURE_DEFINITION")
            ]
            sources = data.draw(
                st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique=True)
            )
            dag.register("FEATURE_DEFINITION", f"f-{tag}", str(step), sources=sources)
        else:
            models = [a for a in dag.artifacts if dag.kinds[a] == "MODEL"]
            if not models:
                continue
            extra: dict[str, Any] = {"evaluates": data.draw(st.sampled_from(models))}
            if dag.runs and data.draw(st.booleans()):
                extra["produced_by"] = data.draw(st.sampled_from(dag.runs))
            dag.register("EVALUATION_REPORT", f"e-{tag}", str(step), **extra)
    return dag


# --- the reference -------------------------------------------------------------------------------
def distances(dag: Dag, roots: list[str], downstream: bool) -> dict[str, int]:
    """Multi-source breadth-first distances over the flow edges (roots at 0)."""
    adjacent: dict[str, list[str]] = {}
    for u, v in dag.edges:
        a, b = (u, v) if downstream else (v, u)
        adjacent.setdefault(a, []).append(b)
    seen = dict.fromkeys(roots, 0)
    queue = deque(roots)
    while queue:
        node = queue.popleft()
        for nxt in adjacent.get(node, []):
            if nxt not in seen:
                seen[nxt] = seen[node] + 1
                queue.append(nxt)
    return seen


def roots_of(dag: Dag, ref: str) -> list[str]:
    if ref.startswith("dataset:") and "@" not in ref:
        return list(dag.snapshots[ref.removeprefix("dataset:")])
    return [ref]


def expected_lineage(
    dag: Dag, ref: str, downstream: bool, depth: int, kinds: list[str] | None
) -> tuple[dict[str, int], set[tuple[str, str, str]]]:
    dist = distances(dag, roots_of(dag, ref), downstream)
    nodes = {
        n: d for n, d in dist.items() if d <= depth and (kinds is None or dag.kinds[n] in kinds)
    }
    edges = {(u, v, kind) for (u, v), kind in dag.edges.items() if u in nodes and v in nodes}
    return nodes, edges


def expected_impact(dag: Dag, ref: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for root in roots_of(dag, ref):
        for node, d in distances(dag, [root], True).items():
            if d >= 1:
                found[node] = min(found.get(node, d), d)
    return found


# --- the property --------------------------------------------------------------------------------
LINEAGE = """
query($ref: String!, $d1: Int!, $dd: Int!, $du: Int!, $dk: Int!, $kinds: [NodeKind!]) {
  down1: lineage(ref: $ref, direction: DOWNSTREAM, depth: $d1) { ...graph }
  down2: lineage(ref: $ref, direction: DOWNSTREAM, depth: $dd) { ...graph }
  down3: lineage(ref: $ref, direction: DOWNSTREAM, depth: $dk, kinds: $kinds) { ...graph }
  downAll: lineage(ref: $ref, direction: DOWNSTREAM, depth: 50) { ...graph }
  up1: lineage(ref: $ref, direction: UPSTREAM, depth: $d1) { ...graph }
  up2: lineage(ref: $ref, direction: UPSTREAM, depth: $du) { ...graph }
  up3: lineage(ref: $ref, direction: UPSTREAM, depth: $dk, kinds: $kinds) { ...graph }
  upAll: lineage(ref: $ref, direction: UPSTREAM) { ...graph }
  impact(ref: $ref) {
    total truncated
    runs { ref depth } datasetSnapshots { ref depth } featureDefinitions { ref depth }
    models { ref depth } evaluationReports { ref depth }
  }
}
fragment graph on LineageGraph { nodes { ref kind depth } edges { from to kind } truncated }
"""
INGEST = "mutation($e: JSON!) { ingest(input: {events: $e}) { accepted results { ok code } } }"
GROUPS = {
    "runs": "RUN",
    "datasetSnapshots": "DATASET_SNAPSHOT",
    "featureDefinitions": "FEATURE_DEFINITION",
    "models": "MODEL",
    "evaluationReports": "EVALUATION_REPORT",
}


@pytest.fixture
def gql(live_service: LiveService, http: httpx.Client) -> GraphQL:
    return GraphQL(http, live_service.url)


# Repeatable: the same examples on every run (derandomized, no example database), and bounded so
# that the test takes well under a minute on a loaded 2-core machine. No shrinking: against a live
# service it runs for minutes; the failing example is reported as drawn (the labels name each draw)
# and, being derandomized, comes back on every run.
@settings(
    max_examples=15,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_lineage_and_impact_match_a_python_reference(gql: GraphQL, data: st.DataObject):
    dag = build_dag(data)
    cuts = (
        sorted(data.draw(st.sets(st.integers(1, len(dag.events) - 1), max_size=2)))
        if len(dag.events) > 1
        else []
    )
    for batch in (
        dag.events[a:b] for a, b in zip([0, *cuts], [*cuts, len(dag.events)], strict=True)
    ):
        result = gql.ok(INGEST, e=batch)["ingest"]
        assert result["accepted"] == len(batch), [r for r in result["results"] if not r["ok"]]

    candidates = dag.runs + dag.artifacts + [f"dataset:{name}" for name in dag.snapshots]
    # The first and the last artifact head the longest chains (downstream, upstream): always
    # asked, plus a few others.
    picked = data.draw(st.lists(st.sampled_from(candidates), max_size=3, unique=True))
    refs = list(dict.fromkeys([dag.artifacts[0], dag.artifacts[-1], *picked]))
    for ref in refs:
        # Depths that cut the answer short: 1..4, and one short of the farthest node in each
        # direction (so a statement whose depth bound slips by one returns too much).
        farthest_down = max(distances(dag, roots_of(dag, ref), True).values())
        farthest_up = max(distances(dag, roots_of(dag, ref), False).values())
        d1 = data.draw(st.integers(1, 4), label="d1")
        dd = data.draw(st.integers(1, max(1, farthest_down - 1)), label="down depth")
        du = data.draw(st.integers(1, max(1, farthest_up - 1)), label="up depth")
        dk = data.draw(st.integers(1, 50), label="kinds depth")
        kinds = data.draw(st.none() | st.lists(st.sampled_from(KINDS), min_size=1, unique=True))
        answer = gql.ok(LINEAGE, ref=ref, d1=d1, dd=dd, du=du, dk=dk, kinds=kinds)
        for alias, downstream, depth, wanted in (
            ("down1", True, d1, None),
            ("down2", True, dd, None),
            ("down3", True, dk, kinds),
            ("downAll", True, 50, None),
            ("up1", False, d1, None),
            ("up2", False, du, None),
            ("up3", False, dk, kinds),
            ("upAll", False, 5, None),  # the default depth
        ):
            got = answer[alias]
            nodes, edges = expected_lineage(dag, ref, downstream, depth, wanted)
            assert {n["ref"]: n["depth"] for n in got["nodes"]} == nodes, (alias, depth, ref)
            assert all(n["kind"] == dag.kinds[n["ref"]] for n in got["nodes"])
            assert {(e["from"], e["to"], e["kind"]) for e in got["edges"]} == edges, (alias, ref)
            assert got["truncated"] is False
        impact = answer["impact"]
        expected = expected_impact(dag, ref)
        assert impact["total"] == len(expected)
        assert impact["truncated"] is False
        for group, kind in GROUPS.items():
            want = {n: d for n, d in expected.items() if dag.kinds[n] == kind}
            assert {i["ref"]: i["depth"] for i in impact[group]} == want, (group, ref)
            assert [i["depth"] for i in impact[group]] == sorted(want.values())  # nearest first
