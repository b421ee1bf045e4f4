"""An in-process stand-in for the service, for unit tests of training code and of the SDK.

``FakeService().transport()`` is an ``httpx.MockTransport`` answering the GraphQL ``ingest``
mutation like the real service does (validation with the same models, dedup by event id, models
numbered per name, NOT_FOUND for a consumed ref that does not exist) and the SDK's few reads.
Failures can be scripted: ``service.fail_next(503, "connect", ...)``; ``service.hold()`` makes
requests wait until ``release()``.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import ValidationError

from lineagegraph.models import IngestBatch
from lineagegraph.refs import PREFIX_OF, NodeKind, parse_ref

if TYPE_CHECKING:
    from lineagegraph.sdk.client import Client


class FakeService:
    def __init__(self, journal: str | Path | None = None) -> None:
        """``journal``: a file where every delivery is appended as it happens, so that a
        service in another (possibly killed) process can be resumed here with its state."""
        self.lock = threading.Lock()
        self.events: dict[str, dict[str, Any]] = {}  # first delivery of each event id
        self.deliveries: Counter[str] = Counter()  # how often each event id arrived
        self.results: dict[str, dict[str, Any]] = {}
        self.batch_sizes: list[int] = []
        self.body_sizes: list[int] = []
        self.requests = 0
        self.runs: dict[str, dict[str, Any]] = {}
        self.artifacts: dict[str, dict[str, Any]] = {}
        self.metrics: dict[tuple[str, str], dict[int, Any]] = defaultdict(dict)
        self.edges: set[tuple[str, str, str]] = set()  # (from ref, kind, to ref)
        self._failures: list[int | str] = []
        self._open = threading.Event()
        self._open.set()
        self._hold_after_apply = False
        self.waiting = threading.Event()  # set while a request waits in hold()
        self._journal = Path(journal) if journal is not None else None
        if self._journal is not None and self._journal.exists():
            self._resume(self._journal)

    # --- scripting -------------------------------------------------------------------------
    def fail_next(self, *failures: int | str) -> None:
        """HTTP status codes, "connect" (connection refused), "timeout", or "bad_input"."""
        with self.lock:
            self._failures.extend(failures)

    def hold(self, *, after_apply: bool = False) -> None:
        """Make requests wait until ``release()``: before doing anything, or (``after_apply``)
        after applying the batch but before answering, as when a connection drops mid-reply."""
        self._hold_after_apply = after_apply
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    def _wait_if_held(self) -> None:
        if not self._open.is_set():
            self.waiting.set()
            self._open.wait(60)
            self.waiting.clear()

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # --- the HTTP side ---------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        if not self._hold_after_apply:
            self._wait_if_held()
        with self.lock:
            self.requests += 1
            failure = self._failures.pop(0) if self._failures else None
        if failure == "connect":
            raise httpx.ConnectError("connection refused", request=request)
        if failure == "timeout":
            raise httpx.ReadTimeout("timed out", request=request)
        if isinstance(failure, int):
            return httpx.Response(failure, text="scripted failure")
        body = json.loads(request.content)
        query = body.get("query", "")
        variables = body.get("variables") or {}
        if "ingest(" in query:
            with self.lock:
                self.body_sizes.append(len(request.content))
            if failure == "bad_input":
                return _error("BAD_INPUT", "scripted whole-batch rejection")
            return self._ingest(variables["input"]["events"])
        if "impact(" in query:
            return httpx.Response(200, json={"data": {"impact": self._impact(variables["ref"])}})
        if "metric(" in query:
            return httpx.Response(200, json={"data": {"node": self._metric(variables)}})
        return _error("BAD_INPUT", "the fake service does not answer this query")

    def _ingest(self, raw_events: list[Any]) -> httpx.Response:
        try:
            batch = IngestBatch.model_validate({"events": raw_events})
        except ValidationError as exc:
            loc = ".".join(str(p) for p in exc.errors()[0]["loc"])
            return _error("BAD_INPUT", str(exc.errors()[0]["msg"]), loc)
        results = []
        with self.lock:
            self.batch_sizes.append(len(batch.events))
            lines = []
            for event, raw in zip(batch.events, raw_events, strict=True):
                self.deliveries[event.event_id] += 1
                if event.event_id not in self.results:
                    self.events[event.event_id] = raw
                    self.results[event.event_id] = self._apply(event.event_id, raw)
                    lines.append(json.dumps({"event": raw}))
                else:
                    lines.append(json.dumps({"again": event.event_id}))
                results.append(self.results[event.event_id])
            if self._journal is not None:
                with self._journal.open("a", encoding="utf-8") as fh:
                    fh.write("\n".join(lines) + "\n")
        if self._hold_after_apply:
            self._wait_if_held()
        accepted = sum(1 for r in results if r["ok"])
        return httpx.Response(
            200, json={"data": {"ingest": {"accepted": accepted, "results": results}}}
        )

    # --- semantics -------------------------------------------------------------------------
    def _apply(self, event_id: str, event: dict[str, Any]) -> dict[str, Any]:
        kind = event["type"]
        run_id = str(event.get("run_id") or "")
        if kind == "run_started":
            self.runs[run_id] = {**event, "status": "RUNNING"}
            return _ok(event_id, f"run:{run_id}")
        if run_id and run_id not in self.runs:
            return _fail(event_id, "NOT_FOUND", f"no run run:{run_id}", "run_id")
        if kind == "run_finished":
            self.runs[run_id]["status"] = event["status"]
            self.runs[run_id]["error_type"] = event.get("error_type")
        elif kind == "metrics_logged":
            for key, value in event["values"].items():
                self.metrics[(run_id, key)][event["step"]] = value
        elif kind in ("artifact_consumed", "artifact_produced"):
            target = self._existing(event["ref"])
            if target is None:
                return _fail(event_id, "NOT_FOUND", f"no artifact {event['ref']}", "ref")
            edge = "CONSUMED" if kind == "artifact_consumed" else "PRODUCED"
            self.edges.add((f"run:{run_id}", edge, target))
            return _ok(event_id, target)
        elif kind == "artifact_registered":
            return self._register(event_id, event)
        elif kind == "params_logged":
            self.runs[run_id].setdefault("params", {}).update(event["params"])
        elif kind == "run_tagged":
            self.runs[run_id].setdefault("tags", {}).update(event["tags"])
        return _ok(event_id, f"run:{run_id}" if run_id else None)

    def _existing(self, ref: str) -> str | None:
        parsed = parse_ref(ref)
        if parsed.version is None:  # dataset:<name>: the latest snapshot
            versions = [r for r in self.artifacts if r.startswith(f"dataset:{parsed.name}@")]
            return versions[-1] if versions else None
        return ref if ref in self.artifacts else None

    def _register(self, event_id: str, event: dict[str, Any]) -> dict[str, Any]:
        spec = event["artifact"]
        prefix = PREFIX_OF[NodeKind(spec["kind"])]
        version = spec.get("version")
        if version is None:
            same = [
                a
                for a in self.artifacts.values()
                if a["kind"] == spec["kind"] and a["name"] == spec["name"]
            ]
            match = [a for a in same if spec.get("digest") and a.get("digest") == spec["digest"]]
            version = match[0]["version"] if match else str(len(same) + 1)
        ref = f"{prefix}:{spec['name']}@{version}"
        existing = self.artifacts.get(ref)
        if existing is not None and existing.get("digest") != spec.get("digest"):
            return _fail(event_id, "IMMUTABLE_CONFLICT", f"{ref} exists with another digest", None)
        for source in spec.get("sources") or []:
            if self._existing(source) is None:
                return _fail(event_id, "NOT_FOUND", f"no artifact {source}", "artifact.sources")
            self.edges.add((ref, "DERIVED_FROM", source))
        if spec.get("evaluates"):
            if self._existing(spec["evaluates"]) is None:
                return _fail(event_id, "NOT_FOUND", "no such model", "artifact.evaluates")
            self.edges.add((ref, "EVALUATES", spec["evaluates"]))
        self.artifacts[ref] = {**spec, "version": version}
        if event.get("produced_by"):
            self.edges.add((f"run:{event['produced_by']}", "PRODUCED", ref))
        return _ok(event_id, ref)

    def _impact(self, ref: str) -> dict[str, Any]:
        """Downstream closure, breadth first (artifact -> consuming run -> its outputs)."""
        start = self._existing(ref) or ref
        depth = {start: 0}
        frontier = [start]
        while frontier:
            nxt = []
            for node in frontier:
                for a, kind, b in self.edges:
                    down = (
                        a
                        if kind == "CONSUMED" and b == node
                        else b
                        if kind == "PRODUCED" and a == node
                        else a
                        if kind in ("DERIVED_FROM", "EVALUATES") and b == node
                        else None
                    )
                    if down is not None and down not in depth:
                        depth[down] = depth[node] + 1
                        nxt.append(down)
            frontier = nxt
        groups: dict[str, list[dict[str, Any]]] = {
            "runs": [],
            "datasetSnapshots": [],
            "featureDefinitions": [],
            "models": [],
            "evaluationReports": [],
        }
        names = {
            "run": "runs",
            "dataset": "datasetSnapshots",
            "feature": "featureDefinitions",
            "model": "models",
            "report": "evaluationReports",
        }
        for node, d in depth.items():
            if node == start:
                continue
            prefix, _, rest = node.partition(":")
            name, _, version = rest.partition("@")
            groups[names[prefix]].append(
                {"ref": node, "name": name, "version": version or None, "depth": d}
            )
        return {"total": len(depth) - 1, **groups}

    def _metric(self, variables: dict[str, Any]) -> dict[str, Any] | None:
        ref = variables["ref"]
        run_id = ref.removeprefix("run:")
        if run_id not in self.runs:
            return None
        series = self.metrics.get((run_id, variables["key"]), {})
        points = []
        for step in sorted(series):
            value = series[step]
            text = value if isinstance(value, str) else None
            points.append({"step": step, "value": None if text else value, "valueText": text})
        return {"ref": ref, "metric": points}

    # --- checks for tests ------------------------------------------------------------------
    def duplicates(self) -> dict[str, int]:
        return {event_id: n for event_id, n in self.deliveries.items() if n > 1}

    def _resume(self, journal: Path) -> None:
        for line in journal.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if "again" in entry:
                self.deliveries[entry["again"]] += 1
                continue
            raw = entry["event"]
            self.deliveries[raw["event_id"]] += 1
            self.events[raw["event_id"]] = raw
            self.results[raw["event_id"]] = self._apply(raw["event_id"], raw)


def client_for(service: FakeService, spool_dir: str | Path, **options: Any) -> Client:
    """A Client wired to ``service``; ``options`` are settings (e.g. ``max_batch_size``) or
    Client keywords (``handle_sigterm``, ``replay``, ``retry_initial``, ...)."""
    from lineagegraph.config import load_settings
    from lineagegraph.sdk.client import Client

    keywords = {
        k: options.pop(k)
        for k in ("flush_at_exit", "handle_sigterm", "replay", "retry_initial", "retry_max")
        if k in options
    }
    options.setdefault("flush_interval_seconds", 0.05)
    settings = load_settings(url="http://fake.invalid", spool_dir=Path(spool_dir), **options)
    return Client(settings=settings, transport=service.transport(), **keywords)


def _ok(event_id: str, ref: str | None) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "ok": True,
        "ref": ref,
        "code": None,
        "message": None,
        "field": None,
    }


def _fail(event_id: str, code: str, message: str, field: str | None) -> dict[str, Any]:
    return {
        "eventId": event_id,
        "ok": False,
        "ref": None,
        "code": code,
        "message": message,
        "field": field,
    }


def _error(code: str, message: str, field: str | None = None) -> httpx.Response:
    extensions: dict[str, Any] = {"code": code}
    if field:
        extensions["field"] = field
    return httpx.Response(
        200, json={"data": None, "errors": [{"message": message, "extensions": extensions}]}
    )
