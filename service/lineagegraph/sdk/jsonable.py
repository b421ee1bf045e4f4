"""Turning configs and params into JSON, with a clear error naming what cannot be stored.

Documented conversions: dict / dataclass / pydantic model / argparse Namespace / mapping ->
object; list, tuple -> array; set, frozenset -> sorted array; str, int, bool, None as is; float as
is, except NaN and +-Infinity (not JSON) -> the strings "NaN", "Infinity", "-Infinity";
Enum -> its value; pathlib paths, UUIDs, Decimals -> str; date/datetime -> ISO 8601; bytes ->
error (store them as an artifact); NumPy scalars and arrays up to 10,000 elements -> numbers and
lists. Anything else (functions, open files, custom objects) is a BadInput naming its place,
e.g. ``config.optimizer.schedule``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import decimal
import enum
import math
import uuid
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from lineagegraph.errors import BadInput

MAX_ARRAY_ELEMENTS = 10_000
MAX_DEPTH = 32


def _float(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _key(key: object, where: str) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool | int | float | enum.Enum):
        return str(key.value if isinstance(key, enum.Enum) else key)
    raise BadInput(
        f"{where} has a key of type {type(key).__name__}; keys must be strings", field=where
    )


def to_json(value: Any, where: str = "config", _depth: int = 0) -> Any:
    """A JSON-compatible copy of ``value`` (see the module docstring for the conversions)."""
    if _depth > MAX_DEPTH:
        raise BadInput(f"{where} is nested deeper than {MAX_DEPTH} levels (a cycle?)", field=where)
    depth = _depth + 1
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, enum.Enum):
        return to_json(value.value, where, depth)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = _key(key, where)
            out[name] = to_json(item, f"{where}.{name}", depth)
        return out
    if isinstance(value, list | tuple):
        return [to_json(item, f"{where}[{i}]", depth) for i, item in enumerate(value)]
    if isinstance(value, set | frozenset):
        items = [to_json(item, f"{where}[]", depth) for item in value]
        return sorted(items, key=repr)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return to_json(fields, where, depth)
    if isinstance(value, argparse.Namespace):
        return to_json(vars(value), where, depth)
    if isinstance(value, PurePath | uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        raise BadInput(
            f"{where} is {type(value).__name__}: binary data cannot go in a config; "
            "log it as an artifact",
            field=where,
        )
    dumped = _pydantic(value)
    if dumped is not None:
        return to_json(dumped, where, depth)
    numpy_value = _numpy(value, where)
    if numpy_value is not _NOT_NUMPY:
        return to_json(numpy_value, where, depth)
    raise BadInput(
        f"{where} is a {type(value).__module__}.{type(value).__qualname__}, which cannot be "
        "stored as JSON; pass str, number, bool, None, list, dict, dataclass, pydantic model or "
        "argparse.Namespace (or convert it yourself)",
        field=where,
    )


def _pydantic(value: Any) -> dict[str, Any] | None:
    dump = getattr(value, "model_dump", None)
    if callable(dump) and hasattr(type(value), "model_fields"):
        result = dump(mode="python")
        return result if isinstance(result, dict) else None
    return None


_NOT_NUMPY = object()


def _numpy(value: Any, where: str) -> Any:
    module = type(value).__module__
    if not module.startswith("numpy"):
        return _NOT_NUMPY
    size = getattr(value, "size", 1)
    if getattr(value, "ndim", 0) and size > MAX_ARRAY_ELEMENTS:
        raise BadInput(
            f"{where} is an array of {size} elements; more than {MAX_ARRAY_ELEMENTS} belongs "
            "in an artifact",
            field=where,
        )
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else _NOT_NUMPY


def to_json_object(value: Any, where: str) -> dict[str, Any]:
    """Like ``to_json`` but the result must be an object (configs, params, data filters)."""
    converted = to_json(value, where)
    if not isinstance(converted, dict):
        raise BadInput(
            f"{where} must be a dict, dataclass, pydantic model or argparse.Namespace, "
            f"not {type(value).__name__}",
            field=where,
        )
    return converted
