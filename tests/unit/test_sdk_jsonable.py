"""Config and params conversion to JSON: documented conversions and clear errors."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from lineagegraph.errors import BadInput
from lineagegraph.sdk.jsonable import to_json, to_json_object


class Color(enum.Enum):
    RED = "red"


def test_documented_conversions():
    ident = uuid.UUID(int=1)
    value = {
        "path": Path("/data/x"),
        "id": ident,
        "when": dt.date(2026, 12, 1),
        "dec": Decimal("1.5"),
        "color": Color.RED,
        "set": {3, 1, 2},
        "tuple": (1, 2),
        "np": np.float32(0.5),
        "arr": np.arange(3),
        "inf": float("inf"),
        1: "int key",
    }
    assert to_json(value) == {
        "path": "/data/x",
        "id": str(ident),
        "when": "2026-12-01",
        "dec": "1.5",
        "color": "red",
        "set": [1, 2, 3],
        "tuple": [1, 2],
        "np": 0.5,
        "arr": [0, 1, 2],
        "inf": "Infinity",
        "1": "int key",
    }


def test_big_arrays_belong_in_artifacts():
    with pytest.raises(BadInput, match="20000 elements; more than 10000"):
        to_json({"w": np.zeros(20_000)})


def test_a_cycle_is_reported():
    loop: dict[str, object] = {}
    loop["self"] = loop
    with pytest.raises(BadInput, match="deeper than"):
        to_json(loop)


def test_errors_name_the_place():
    with pytest.raises(BadInput) as excinfo:
        to_json({"a": [1, {"b": object()}]}, "config")
    assert excinfo.value.field == "config.a[1].b"
    with pytest.raises(BadInput, match="keys must be strings"):
        to_json({(1, 2): 3})


def test_only_objects_for_configs():
    with pytest.raises(BadInput, match="must be a dict"):
        to_json_object("lr=0.1", "config")
