"""Events to spool payloads. Metrics take a hand-written fast path (a few microseconds, checked
against ``models.MetricsLogged`` by the tests); every other event goes through its pydantic model,
so the same validation as the server's runs at the call and bad input fails there.
"""

from __future__ import annotations

import json
import math
import operator
import time
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ValidationError

from lineagegraph.errors import BadInput

MAX_METRIC_KEY = 250
_key_cache: dict[str, str] = {}

Dep = tuple[
    Sequence[str | int], str
]  # (path of a field inside the event, id of the event assigning it)


def _metric_key(key: object) -> str:
    encoded = _key_cache.get(key) if isinstance(key, str) else None
    if encoded is not None:
        return encoded
    if not isinstance(key, str) or not key or len(key) > MAX_METRIC_KEY:
        raise BadInput(
            f"metric names must be strings of 1-{MAX_METRIC_KEY} characters, not {key!r:.60}",
            field="values",
        )
    encoded = json.dumps(key)
    if len(_key_cache) < 10_000:
        _key_cache[key] = encoded
    return encoded


def _metric_value(key: str, value: object) -> str:
    kind = type(value)
    if kind is float or kind is int:
        number = float(value)  # type: ignore[arg-type]
    elif isinstance(value, bool | str | bytes) or value is None:
        raise BadInput(f"metric {key!r} must be a number, not {value!r:.60}", field=f"values.{key}")
    else:
        try:
            number = float(value)  # type: ignore[arg-type]  # NumPy/PyTorch scalars, Decimal
        except (TypeError, ValueError):
            raise BadInput(
                f"metric {key!r} must be a number, not {type(value).__name__}",
                field=f"values.{key}",
            ) from None
    if math.isfinite(number):
        return repr(number)
    if math.isnan(number):
        return '"NaN"'
    return '"Infinity"' if number > 0 else '"-Infinity"'


def check_step(step: object) -> int:
    if isinstance(step, bool):
        raise BadInput("step must be an integer >= 0, not a boolean", field="step")
    try:
        value = operator.index(step)  # type: ignore[arg-type]
    except TypeError:
        raise BadInput(f"step must be an integer >= 0, not {step!r:.40}", field="step") from None
    if value < 0:
        raise BadInput(f"step must be >= 0, not {value}", field="step")
    return int(value)


def metrics_payload(event_id: str, run_id: str, step: int, values: Mapping[str, object]) -> bytes:
    """The JSON of a ``metrics_logged`` event, built directly (the hot path of training).
    ``time`` goes as Unix seconds, which the event model reads as a UTC datetime."""
    if not isinstance(values, Mapping) or not values:
        raise BadInput("log_metrics needs a non-empty dict of name -> number", field="values")
    parts = []
    cache = _key_cache
    for key, value in values.items():
        encoded = cache.get(key) or _metric_key(key)
        if type(value) is float and value - value == 0.0:  # finite (inf - inf and NaN are NaN)
            parts.append(f"{encoded}:{value!r}")
        else:
            parts.append(f"{encoded}:{_metric_value(key, value)}")
    return (
        f'{{"event_id":"{event_id}","time":{time.time()!r},"type":"metrics_logged",'
        f'"run_id":"{run_id}","step":{step},"values":{{{",".join(parts)}}}}}'
    ).encode()


def build(model: type[BaseModel], **fields: Any) -> BaseModel:
    """Validate an event; a problem becomes a BadInput naming the field, at the caller."""
    try:
        return model(**fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or model.__name__
        message = str(first["msg"]).removeprefix("Value error, ")
        raise BadInput(f"{where}: {message}", field=where) from None


def event_payload(event: BaseModel, *, assigns: bool = False, deps: Sequence[Dep] = ()) -> bytes:
    """Spool payload of a validated event (see sender.py for the prefixes)."""
    if deps:
        doc = {
            "event": event.model_dump(mode="json", by_alias=True),
            "deps": [[list(path), needed] for path, needed in deps],
            "assigns": assigns,
        }
        return b"D" + json.dumps(doc, separators=(",", ":")).encode()
    data = event.model_dump_json(by_alias=True).encode()
    return b"A" + data if assigns else data
