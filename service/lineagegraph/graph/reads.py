"""Reads behind the API: nodes and their neighbours by batches of refs, listings, metric series."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import neo4j

from lineagegraph.errors import BadInput
from lineagegraph.graph.catalog import Catalog
from lineagegraph.graph.ingest import metric_series_id
from lineagegraph.graph.records import from_epoch_millis, node_from_props
from lineagegraph.graph.results import Page
from lineagegraph.refs import NodeKind

#: Relation name -> the DataLoader statement answering it for many refs at once.
RELATIONS = {
    "parent": "read.run_parents",
    "children": "read.run_children",
    "consumed": "read.run_consumed",
    "produced": "read.run_produced",
    "producer": "read.artifact_producers",
    "consumers": "read.artifact_consumers",
    "sources": "read.feature_sources",
    "derived": "read.derived_features",
    "model": "read.report_models",
    "reports": "read.model_reports",
    "snapshots": "read.dataset_snapshots",
    "dataset": "read.snapshot_datasets",
}
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9999, 12, 31, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class MetricPoint:
    step: int
    value: float
    timestamp: datetime | None

    @property
    def finite(self) -> bool:
        return math.isfinite(self.value)


@dataclass(frozen=True, slots=True)
class ListFilter:
    """Filters shared by the listings; None means "any"."""

    name: str | None = None
    status: str | None = None
    tag_key: str | None = None
    tag_value: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    job_namespace: str | None = None
    job_name: str | None = None


def nodes(tx: neo4j.ManagedTransaction, catalog: Catalog, refs: Sequence[str]) -> dict[str, Any]:
    rows = tx.run(catalog["read.nodes"].text, refs=list(refs)).data()
    return {row["ref"]: node_from_props(row["props"]) for row in rows}


def related(
    tx: neo4j.ManagedTransaction, catalog: Catalog, relation: str, refs: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    rows = tx.run(catalog[RELATIONS[relation]].text, refs=list(refs)).data()
    found: dict[str, list[dict[str, Any]]] = {ref: [] for ref in refs}
    for row in rows:
        found[row["ref"]].append(node_from_props(row["props"]))
    return found


def encode_cursor(node: dict[str, Any]) -> str:
    raw = json.dumps([node["createdAt"].isoformat(), node["ref"]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment, ref = json.loads(raw)
        when = datetime.fromisoformat(moment)
        if not isinstance(ref, str) or when.tzinfo is None:
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError):
        raise BadInput(f"malformed cursor {cursor[:40]!r}", field="after") from None
    return when, ref


def _page_params(flt: ListFilter, after: str | None, first: int) -> dict[str, Any]:
    upper, after_ref = (_LATEST, None) if after is None else decode_cursor(after)
    return {
        "name": flt.name,
        "status": flt.status,
        "tagKey": flt.tag_key,
        "tagValue": flt.tag_value,
        "from": flt.created_after or _EARLIEST,
        "to": upper,
        "createdBefore": flt.created_before,
        "afterRef": after_ref,
        "limit": first + 1,
    }


def _page(rows: list[dict[str, Any]], first: int) -> Page:
    items = [node_from_props(row["props"]) for row in rows[:first]]
    has_next = len(rows) > first
    return Page(items, encode_cursor(items[-1]) if has_next and items else None, has_next)


def runs_page(
    tx: neo4j.ManagedTransaction, catalog: Catalog, flt: ListFilter, after: str | None, first: int
) -> Page:
    params = _page_params(flt, after, first)
    params.update(jobNamespace=flt.job_namespace, jobName=flt.job_name)
    return _page(tx.run(catalog["read.runs_page"].text, params).data(), first)


def artifacts_page(
    tx: neo4j.ManagedTransaction,
    catalog: Catalog,
    kinds: Sequence[NodeKind],
    flt: ListFilter,
    after: str | None,
    first: int,
) -> Page:
    params = _page_params(flt, after, first)
    params["kinds"] = [k.value for k in kinds]
    return _page(tx.run(catalog["read.artifacts_page"].text, params).data(), first)


def metric_keys(
    tx: neo4j.ManagedTransaction, catalog: Catalog, run_refs: Sequence[str]
) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {ref: [] for ref in run_refs}
    for row in tx.run(catalog["read.metric_keys"].text, refs=list(run_refs)).data():
        found[row["ref"]].append(row["key"])
    return found


def metric_series(
    tx: neo4j.ManagedTransaction, catalog: Catalog, pairs: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], list[MetricPoint]]:
    ids = {metric_series_id(run, key): (run, key) for run, key in pairs}
    found: dict[tuple[str, str], list[MetricPoint]] = {pair: [] for pair in pairs}
    for row in tx.run(catalog["read.metric_series"].text, ids=list(ids)).data():
        times = row["times"] or []
        found[ids[row["id"]]] = [
            MetricPoint(
                step,
                float(value),
                from_epoch_millis(times[i]) if i < len(times) else None,
            )
            for i, (step, value) in enumerate(zip(row["steps"], row["values"], strict=False))
        ]
    return found
