"""Helpers for the graph tests: event builders and a fingerprint of everything stored."""

from __future__ import annotations

import json
import uuid
from typing import Any

import neo4j

from lineagegraph.graph.catalog import Catalog
from lineagegraph.models import IngestBatch, IngestEvent

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


def events(*raw: dict[str, Any]) -> list[IngestEvent]:
    return IngestBatch.model_validate({"events": list(raw)}).events


def new_run_id() -> str:
    return str(uuid.uuid4())


def started(run_id: str, name: str = "train", **extra: Any) -> dict[str, Any]:
    return {"type": "run_started", "run_id": run_id, "name": name, **extra}


def registered(kind: str, name: str, version: str | None = None, **extra: Any) -> dict[str, Any]:
    artifact: dict[str, Any] = {"kind": kind, "name": name}
    if version is not None:
        artifact["version"] = version
    produced_by = extra.pop("produced_by", None)
    event_id = extra.pop("event_id", None)
    artifact.update(extra)
    event: dict[str, Any] = {"type": "artifact_registered", "artifact": artifact}
    if produced_by:
        event["produced_by"] = produced_by
    if event_id:
        event["event_id"] = event_id
    return event


def consumed(run_id: str, ref: str, **extra: Any) -> dict[str, Any]:
    return {"type": "artifact_consumed", "run_id": run_id, "ref": ref, **extra}


def produced(run_id: str, ref: str) -> dict[str, Any]:
    return {"type": "artifact_produced", "run_id": run_id, "ref": ref}


def fingerprint(driver: neo4j.Driver, catalog: Catalog) -> str:
    """A canonical text of the whole stored graph: equal before and after means unchanged."""
    records, _, _ = driver.execute_query(
        catalog["admin.graph_fingerprint"].text, routing_=neo4j.RoutingControl.READ
    )
    row = records[0]
    nodes = sorted(json.dumps(n, sort_keys=True, default=str) for n in row["nodes"])
    rels = sorted(json.dumps(r, sort_keys=True, default=str) for r in row["relationships"])
    return json.dumps({"nodes": nodes, "relationships": rels})
