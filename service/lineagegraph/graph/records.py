"""Turning stored node properties into plain Python and back.

Neo4j properties hold no maps, so structured values are stored as JSON strings under a ``...Json``
key and maps of scalars as parallel key/value arrays (``tagKeys``/``tagValues``); this module is the
one place that knows those encodings. Read-side dicts use the natural names (``config``, ``tags``).
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import neo4j.time

# parallel-array maps: stored key list, stored value list, decoded name, values JSON-encoded?
_ARRAY_MAPS = (
    ("tagKeys", "tagValues", "tags", False),
    ("paramKeys", "paramValues", "params", True),
    ("reportMetricKeys", "reportMetricValues", "metrics", False),
)
_JSON_SUFFIX = "Json"


def to_python(value: Any) -> Any:
    """Neo4j temporal values to aware datetimes, recursively through lists and maps."""
    if isinstance(value, neo4j.time.DateTime):
        native: datetime = value.to_native()
        return native if native.tzinfo else native.replace(tzinfo=UTC)
    if isinstance(value, list):
        return [to_python(v) for v in value]
    if isinstance(value, dict):
        return {k: to_python(v) for k, v in value.items()}
    return value


def dumps(value: Any) -> str:
    """JSON for storage: compact, keys in the order given, non-finite floats as strings."""
    return json.dumps(_finite(value), separators=(",", ":"), ensure_ascii=False)


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def node_from_props(props: dict[str, Any]) -> dict[str, Any]:
    """A stored node's properties as the store's read-side dict."""
    node: dict[str, Any] = {}
    consumed: set[str] = set()
    for keys_name, values_name, name, encoded in _ARRAY_MAPS:
        keys = props.get(keys_name)
        values = props.get(values_name)
        consumed.update((keys_name, values_name))
        if keys is None:
            continue
        values = list(values or [])
        node[name] = {k: (loads(v) if encoded else v) for k, v in zip(keys, values, strict=False)}
    for key, value in props.items():
        if key in consumed:
            continue
        if key.endswith(_JSON_SUFFIX) and isinstance(value, str):
            node[key[: -len(_JSON_SUFFIX)]] = loads(value)
        else:
            node[key] = to_python(value)
    if node.get("kind") == "RUN":
        node.setdefault("tags", {})
        node.setdefault("params", {})
    return node


def epoch_millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_epoch_millis(millis: int) -> datetime:
    return datetime.fromtimestamp(millis / 1000, UTC)
