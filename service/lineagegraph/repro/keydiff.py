"""Key-by-key differences of nested mappings, named by dotted paths (``optimizer.lr``)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_\-]+$")


class ChangeKind(StrEnum):
    ADDED = "added"  # only in b
    REMOVED = "removed"  # only in a
    CHANGED = "changed"


class Change(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str
    kind: ChangeKind
    a: Any = None
    b: Any = None


def _join(prefix: str, key: object) -> str:
    text = str(key)
    # keys holding dots or spaces are quoted so that a path always names one key
    part = text if _PLAIN_KEY.match(text) else f'["{text}"]'
    if not prefix:
        return part
    return f"{prefix}{part}" if part.startswith("[") else f"{prefix}.{part}"


def flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Leaves of a nested mapping by dotted path. Lists and empty mappings are leaves."""
    out: dict[str, Any] = {}
    for key, item in value.items():
        path = _join(prefix, key)
        if isinstance(item, Mapping) and item:
            out.update(flatten(item, path))
        else:
            out[path] = item
    return out


def present_fields(model: BaseModel | None) -> dict[str, Any]:
    """A model's recorded fields: None and empty collections mean "not recorded"."""
    if model is None:
        return {}
    dumped = model.model_dump(mode="json", exclude_none=True)
    return {k: v for k, v in dumped.items() if v not in ([], {})}


def same_value(a: Any, b: Any) -> bool:
    """Equality where NaN equals NaN and 1 equals 1.0, but True never equals 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def diff_mappings(
    a: Mapping[str, Any] | None, b: Mapping[str, Any] | None, prefix: str = ""
) -> list[Change]:
    """Every leaf added, removed or changed between ``a`` and ``b``, sorted by path."""
    flat_a = flatten(a or {}, prefix)
    flat_b = flatten(b or {}, prefix)
    changes: list[Change] = []
    for path in sorted(flat_a.keys() | flat_b.keys()):
        if path not in flat_b:
            changes.append(Change(path=path, kind=ChangeKind.REMOVED, a=flat_a[path]))
        elif path not in flat_a:
            changes.append(Change(path=path, kind=ChangeKind.ADDED, b=flat_b[path]))
        elif not same_value(flat_a[path], flat_b[path]):
            changes.append(
                Change(path=path, kind=ChangeKind.CHANGED, a=flat_a[path], b=flat_b[path])
            )
    return changes
