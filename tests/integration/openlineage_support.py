"""Helpers shared by the OpenLineage integration tests: event builders and graph reads."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import neo4j

from lineagegraph.config import Settings
from lineagegraph.graph.catalog import Catalog
from lineagegraph.graph.records import node_from_props

SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
PRODUCER = "https://example.com/lineage-tests"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> str:
    return (T0 + timedelta(seconds=seconds)).isoformat()


def dataset(name: str, namespace: str = "postgres://db:5432", **facets: Any) -> dict[str, Any]:
    return {"namespace": namespace, "name": name, "facets": facets}


def run_event(
    event_type: str | None,
    run_id: uuid.UUID,
    job: str,
    when: float,
    inputs: list[dict[str, Any]] | None = None,
    outputs: list[dict[str, Any]] | None = None,
    run_facets: dict[str, Any] | None = None,
    job_facets: dict[str, Any] | None = None,
    namespace: str = "tests",
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "eventTime": at(when),
        "producer": PRODUCER,
        "schemaURL": f"{SPEC}#/$defs/RunEvent",
        "run": {"runId": str(run_id), "facets": run_facets or {}},
        "job": {"namespace": namespace, "name": job, "facets": job_facets or {}},
        "inputs": inputs or [],
        "outputs": outputs or [],
    }
    if event_type is not None:
        event["eventType"] = event_type
    return event


def post(
    http: httpx.Client,
    base_url: str,
    event: object,
    *,
    token: str | None = None,
    compress: bool = False,
    content_type: str = "application/json",
) -> httpx.Response:
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = {"Content-Type": content_type}
    if compress:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return http.post(f"{base_url}/api/v1/lineage", content=body, headers=headers)


class Graph:
    """Reads through the catalog's openlineage.* statements, decoded as the store decodes nodes
    (``...Json`` properties as ``olRunFacets``, ``code``, ``schema``...; tags as a dict)."""

    def __init__(self, driver: neo4j.Driver, catalog: Catalog, settings: Settings) -> None:
        self.driver, self.catalog, self.database = driver, catalog, settings.neo4j_database

    def _read(self, key: str, **params: Any) -> list[neo4j.Record]:
        records, _, _ = self.driver.execute_query(
            self.catalog[key].text,
            params,
            database_=self.database,
            routing_=neo4j.RoutingControl.READ,
        )
        return list(records)

    def counts(self) -> tuple[int, int]:
        (record,) = self._read("openlineage.graph_counts")
        return record["nodes"], record["relationships"]

    def drift(self) -> tuple[int, int]:
        """The store's FLOWS_TO mirror check: (edges without mirror, mirrors without edge)."""
        (record,) = self._read("lineage.mirror_drift")
        return record["missing"], record["stale"]

    def job_runs(self, namespace: str, name: str | None = None) -> list[dict[str, Any]]:
        return [dict(r) for r in self._read("openlineage.job_runs", namespace=namespace, name=name)]

    def run(self, ref: str) -> dict[str, Any] | None:
        found = self._read("openlineage.describe_run", ref=ref)
        if not found:
            return None
        record = found[0]
        return {
            **node_from_props(record["run"]),
            "consumed": sorted((c["ref"], c["binding"]) for c in record["consumed"]),
            "produced": sorted(record["produced"]),
            "parents": sorted(record["parents"]),
        }

    def snapshot(self, ref: str) -> dict[str, Any] | None:
        found = self._read("openlineage.describe_snapshot", ref=ref)
        if not found:
            return None
        record = found[0]
        return {
            **node_from_props(record["snapshot"]),
            "dataset": record["dataset"],
            "producers": sorted(record["producers"]),
            "readers": sorted(record["readers"]),
        }

    def snapshots_of(self, dataset_ref: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self._read("openlineage.dataset_snapshots", ref=dataset_ref)]
