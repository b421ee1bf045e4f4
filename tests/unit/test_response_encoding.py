"""The GraphQL endpoint's response encoding (orjson, stdlib fallback) gives the same JSON."""

from __future__ import annotations

import json

from lineagegraph.api.schema import LineageGraphQL, build_schema
from lineagegraph.config import load_settings


def test_response_bodies_decode_to_what_the_stdlib_encoder_gives() -> None:
    view = LineageGraphQL(build_schema(), load_settings())
    bodies = [
        {"data": {"impact": {"total": 2, "models": [{"ref": "model:m@1", "depth": 2}]}}},
        {"data": {"node": {"name": "quote \" back\\slash 'x' \u202eRTL \U0001f600 \u200b"}}},
        {"data": None, "errors": [{"message": "no", "extensions": {"code": "NOT_FOUND"}}]},
        {"data": {"value": 0.1, "big": 2**70, "neg": -(2**63)}},  # 2**70: orjson refuses it
    ]
    for body in bodies:
        encoded = view.encode_json(body)
        assert isinstance(encoded, bytes)
        assert json.loads(encoded) == body
