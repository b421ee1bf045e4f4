"""Events to spool payloads. Metrics take a hand-written fast path (checked against
``models.MetricsLogged`` by the tests); every other event goes through its pydantic model, so the
same validation as the server's runs at the call and bad input fails there.

The training thread spools a metrics event as a compact binary record (``metrics_record``: the
values as IEEE doubles in one ``struct.pack``, the key list cached per key set); the sender
thread turns it into JSON (``metrics_json``). Formatting floats as text is the costliest part of
the JSON, and inside a training loop the caches are cold: this keeps it out of the loop.
"""

from __future__ import annotations

import json
import math
import operator
import struct
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lineagegraph.errors import BadInput
from lineagegraph.sdk.spool import ADLER32_FLAG

if TYPE_CHECKING:  # pydantic is imported where events are validated, not in the sender process
    from pydantic import BaseModel

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


def _number(key: str, value: object) -> float:
    kind = type(value)
    if kind is float or kind is int:
        return float(value)  # type: ignore[arg-type]
    if isinstance(value, bool | str | bytes) or value is None:
        raise BadInput(f"metric {key!r} must be a number, not {value!r:.60}", field=f"values.{key}")
    try:
        return float(value)  # type: ignore[arg-type]  # NumPy/PyTorch scalars, Decimal
    except (TypeError, ValueError):
        raise BadInput(
            f"metric {key!r} must be a number, not {type(value).__name__}",
            field=f"values.{key}",
        ) from None


def _metric_value(key: str, value: object) -> str:
    number = _number(key, value)
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
    from pydantic import ValidationError

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


# --- the binary metrics record (spool prefix ``M``) ---------------------------------------------
# b"M" <f64 time> <u64 step> <u8 len(event id)> <event id> <36 bytes run id> <u16 n> <u32 len(keys)>
# <keys as a JSON list> <n f64 values>
_M_HEAD = struct.Struct("<dQB")
_M_KEYS = struct.Struct("<HI")
_DOUBLES: dict[int, struct.Struct] = {}
_keys_head: dict[tuple[str, ...], bytes] = {}
_keys_json: dict[bytes, list[str]] = {}
_NON_FINITE_JSON = {"nan": '"NaN"', "inf": '"Infinity"', "-inf": '"-Infinity"'}


def _doubles(n: int) -> struct.Struct:
    packer = _DOUBLES.get(n)
    if packer is None:
        packer = _DOUBLES[n] = struct.Struct(f"<{n}d")
    return packer


def _head_of(keys: tuple[str, ...]) -> bytes:
    head = _keys_head.get(keys)
    if head is None:
        encoded = "[" + ",".join(_metric_key(key) for key in keys) + "]"
        blob = encoded.encode()
        head = _M_KEYS.pack(len(keys), len(blob)) + blob
        if len(_keys_head) < 10_000:
            _keys_head[keys] = head
    return head


def metrics_record(event_id: str, run_id: str, step: int, values: Mapping[str, object]) -> bytes:
    """The spool record of a ``metrics_logged`` event (the hot path of training): validates like
    ``metrics_payload`` (BadInput naming the field) but packs the numbers instead of printing."""
    if (type(values) is not dict and not isinstance(values, Mapping)) or not values:
        raise BadInput("log_metrics needs a non-empty dict of name -> number", field="values")
    keys = tuple(values)
    numbers = list(values.values())
    for i, value in enumerate(numbers):
        if type(value) is not float:
            key = keys[i]
            numbers[i] = _number(key if isinstance(key, str) else str(key), value)
    head = _head_of(keys)
    eid = event_id.encode()
    return b"".join(
        (
            b"M",
            _M_HEAD.pack(time.time(), step, len(eid)),
            eid,
            run_id.encode(),
            head,
            _doubles(len(numbers)).pack(*numbers),
        )
    )


# --- the binary metrics record, layout 2 (spool prefix ``N``, what the training loop writes) ---
# b"N" <u8 len(id prefix)> <id prefix> <36 bytes run id> <u16 n> <u32 len(keys)> <keys JSON list>
#   -- a constant per (process, run, key set), packed once --
# <u64 counter> <f64 time> <u64 step> <n f64 values>
# The event id is the id prefix followed by the counter in lowercase hex, so the whole record is
# one ``struct.pack`` of a cached ``Struct`` (``metrics_shape``).
_N_COUNTER = struct.Struct("<Q")
_N_TAIL = struct.Struct("<QdQ")


class MetricsShape:
    """What one (process, run, key set) needs to make records: a Struct and its constant head."""

    __slots__ = ("const", "length", "n", "pack", "size", "word")

    def __init__(self, id_prefix: str, run_id: str, keys: tuple[str, ...]) -> None:
        prefix = id_prefix.encode()
        if len(prefix) > 255 or len(run_id) != 36:
            raise ValueError("event id prefix over 255 bytes or run id not a UUID string")
        self.const = b"".join(
            (b"N", bytes((len(prefix),)), prefix, run_id.encode(), _head_of(keys))
        )
        self.n = len(keys)
        packer = struct.Struct(f"<{len(self.const)}sQdQ{len(keys)}d")
        self.pack = packer.pack
        self.length = packer.size  # every record of this shape has this many bytes
        self.size = (packer.size + 15) & ~7  # ... and takes this many in a mapped segment
        self.word = packer.size | ADLER32_FLAG  # its frame's length word (Adler-32 checksum)


def metric_numbers(keys: tuple[object, ...], values: Sequence[object]) -> list[float]:
    """The values as floats (BadInput naming the first one that is not a number)."""
    numbers: list[Any] = list(values)
    for i, value in enumerate(numbers):
        if type(value) is not float:
            key = keys[i]
            numbers[i] = _number(key if isinstance(key, str) else str(key), value)
    return numbers


def check_metrics(values: object) -> tuple[object, ...]:
    if (type(values) is not dict and not isinstance(values, Mapping)) or not values:
        raise BadInput("log_metrics needs a non-empty dict of name -> number", field="values")
    return tuple(values)


def _split_id(event_id: str) -> tuple[str, int] | None:
    """``prefix`` + lowercase hex counter, as the client makes them; None for other ids."""
    head = event_id.rstrip("0123456789abcdef")
    digits = event_id[len(head) :]
    if not digits or (len(digits) > 1 and digits[0] == "0") or len(digits) > 16:
        return None
    return head, int(digits, 16)


def metrics_record_v2(event_id: str, run_id: str, step: int, values: Mapping[str, object]) -> bytes:
    """The ``N`` record the training loop writes (the reference the hot path is tested against);
    an id that is not ``prefix + hex counter`` falls back to the ``M`` record."""
    keys = check_metrics(values)
    split = _split_id(event_id)
    if split is None:
        return metrics_record(event_id, run_id, step, values)
    numbers = metric_numbers(keys, list(values.values()))
    shape = MetricsShape(split[0], run_id, keys)  # type: ignore[arg-type]
    return shape.pack(shape.const, split[1], time.time(), step, *numbers)


def _v2_parts(record: bytes) -> tuple[str, str, int, bytes, int]:
    """(id prefix, run id, count, keys blob, offset of the counter) of an ``N`` record."""
    size = record[1]
    at = 2 + size
    prefix = record[2:at].decode()
    run_id = record[at : at + 36].decode()
    at += 36
    count, blob_len = _M_KEYS.unpack_from(record, at)
    at += _M_KEYS.size
    return prefix, run_id, count, record[at : at + blob_len], at + blob_len


def metrics_record_id(record: bytes) -> str:
    if record[:1] == b"N":
        prefix, _, _, _, at = _v2_parts(record)
        return f"{prefix}{_N_COUNTER.unpack_from(record, at)[0]:x}"
    size = record[1 + _M_HEAD.size - 1]
    start = 1 + _M_HEAD.size
    return record[start : start + size].decode()


def metrics_json(record: bytes) -> bytes:
    """The JSON of a binary metrics record, exactly what ``metrics_payload`` would have made."""
    if record[:1] == b"N":
        prefix, run_id, count, blob, at = _v2_parts(record)
        counter, moment, step = _N_TAIL.unpack_from(record, at)
        event_id = f"{prefix}{counter:x}"
        at += _N_TAIL.size
    else:
        moment, step, size = _M_HEAD.unpack_from(record, 1)
        at = 1 + _M_HEAD.size
        event_id = record[at : at + size].decode()
        at += size
        run_id = record[at : at + 36].decode()
        at += 36
        count, blob_len = _M_KEYS.unpack_from(record, at)
        at += _M_KEYS.size
        blob = record[at : at + blob_len]
        at += blob_len
    keys = _keys_json.get(blob)
    if keys is None:
        keys = [json.dumps(key) for key in json.loads(blob)]
        if len(_keys_json) < 10_000:
            _keys_json[blob] = keys
    numbers = _doubles(count).unpack_from(record, at)
    parts = []
    for key, number in zip(keys, numbers, strict=True):
        text = repr(number)
        parts.append(f"{key}:{_NON_FINITE_JSON.get(text, text)}")
    return (
        f'{{"event_id":"{event_id}","time":{moment!r},"type":"metrics_logged",'
        f'"run_id":"{run_id}","step":{step},"values":{{{",".join(parts)}}}}}'
    ).encode()
