"""The metrics fast path builds exactly what the event model accepts; bad input fails early.
Both encoders: the JSON one and the binary spool record the sender turns into that JSON."""

from __future__ import annotations

import json
import math
import uuid
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lineagegraph.errors import BadInput
from lineagegraph.models import IngestBatch, MetricsLogged
from lineagegraph.sdk.encode import (
    check_step,
    metrics_json,
    metrics_payload,
    metrics_record,
    metrics_record_id,
    metrics_record_v2,
)
from lineagegraph.sdk.sender import event_id_of

RUN = str(uuid.uuid4())
names = st.text(min_size=1, max_size=40)
numbers = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(2**53), 2**53))


def via_record(event_id, run_id, step, values):
    record = metrics_record(event_id, run_id, step, values)
    assert record[:1] == b"M"
    assert metrics_record_id(record) == event_id == event_id_of(record)
    return metrics_json(record)


def via_record_v2(event_id, run_id, step, values):
    """The record the training loop writes: one pack of a Struct cached per key set."""
    record = metrics_record_v2(event_id, run_id, step, values)
    # ids as the client makes them (prefix + hex counter) take the N layout, others the M one
    assert record[:1] == (b"M" if event_id in ("e-01", "run") else b"N")
    assert metrics_record_id(record) == event_id == event_id_of(record)
    return metrics_json(record)


ENCODERS = pytest.mark.parametrize("encode", [metrics_payload, via_record, via_record_v2])


@ENCODERS
@given(st.dictionaries(names, numbers, min_size=1, max_size=8), st.integers(0, 2**40))
def test_fast_path_round_trips_through_the_event_model(encode, values, step):
    payload = encode("e-1", RUN, step, values)
    event = MetricsLogged.model_validate_json(payload)
    assert (event.event_id, str(event.run_id), event.step) == ("e-1", RUN, step)
    assert event.values.keys() == values.keys()
    for key, value in values.items():
        got = event.values[key]
        assert (math.isnan(got) and math.isnan(value)) or got == float(value)
    # and the server's batch model reads it from plain JSON the same way
    IngestBatch.model_validate({"events": [json.loads(payload)]})


@pytest.mark.parametrize("event_id", ["e-1", "0123456789abcdef0123-ff3a", "x-0", "e-01", "run"])
@given(st.dictionaries(names, numbers, min_size=1, max_size=8), st.integers(0, 2**40))
def test_the_binary_records_become_the_same_json(event_id, values, step):
    direct = json.loads(metrics_payload(event_id, RUN, step, values))
    moment = direct.pop("time")
    for via in (via_record, via_record_v2):
        recorded = json.loads(via(event_id, RUN, step, values))
        assert abs(recorded.pop("time") - moment) < 60
        assert recorded == direct or json.dumps(recorded) == json.dumps(direct)  # NaN != NaN


def test_the_training_loop_writes_the_reference_record(tmp_path):
    """Run.log_metrics (the hand-inlined hot path) spools exactly what metrics_record_v2 makes."""
    from lineagegraph.sdk.spool import scan
    from lineagegraph.sdk.testing import FakeService, client_for

    service = FakeService()
    service.hold()
    client = client_for(service, tmp_path, handle_sigterm=False)
    try:
        run = client.start_run("shape", code=False, environment=False, hardware=False)
        values = {"loss": 0.5, "n": np.int64(3), "bad": math.nan}
        run.log_metrics(values, step=7)
        run.log_metrics({"loss": 0.25}, step=8)
        records = [p for _, p in scan(client._sender.active.path).records if p[:1] == b"N"]
        assert len(records) == 2
        for record, (step, vals) in zip(records, [(7, values), (8, {"loss": 0.25})], strict=True):
            event_id = metrics_record_id(record)
            expected = json.loads(
                metrics_json(metrics_record_v2(event_id, run._run_id, step, vals))
            )
            got = json.loads(metrics_json(record))
            assert abs(got.pop("time") - expected.pop("time")) < 60
            assert json.dumps(got) == json.dumps(expected)
    finally:
        service.release()
        client.close(5)


@ENCODERS
def test_non_finite_values_travel_as_their_names(encode):
    payload = json.loads(encode("e", RUN, 0, {"a": math.nan, "b": math.inf, "c": -math.inf}))
    assert payload["values"] == {"a": "NaN", "b": "Infinity", "c": "-Infinity"}


@ENCODERS
def test_numpy_and_decimal_scalars_are_numbers(encode):
    values = {"f32": np.float32(0.5), "i64": np.int64(3), "dec": Decimal("0.25")}
    event = MetricsLogged.model_validate_json(encode("e", RUN, 0, values))
    assert event.values == {"f32": 0.5, "i64": 3.0, "dec": 0.25}


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({}, "values"),
        ({"loss": "0.1"}, "values.loss"),
        ({"loss": True}, "values.loss"),
        ({"loss": None}, "values.loss"),
        ({"loss": [1.0]}, "values.loss"),
        ({"": 1.0}, "values"),
        ({"x" * 251: 1.0}, "values"),
        ({3: 1.0}, "values"),
    ],
)
@pytest.mark.parametrize("encode", [metrics_payload, metrics_record, metrics_record_v2])
def test_bad_metrics_name_the_field(encode, values, field):
    with pytest.raises(BadInput) as excinfo:
        encode("e", RUN, 0, values)
    assert excinfo.value.field == field


@pytest.mark.parametrize("step", [-1, 1.5, "3", True, None])
def test_bad_steps(step):
    with pytest.raises(BadInput, match="step"):
        check_step(step)


def test_numpy_integer_steps_are_accepted():
    assert check_step(np.int64(7)) == 7


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({}, "values"),
        ({"loss": "0.1"}, "values.loss"),
        ({"ok": 1.0, "loss": True}, "values.loss"),
        ({"loss": None}, "values.loss"),
        ({"loss": [1.0]}, "values.loss"),
        ({"loss": b"1"}, "values.loss"),
        ({"": 1.0}, "values"),
        ({3: 1.0}, "values"),
    ],
)
def test_the_training_loop_refuses_what_the_model_refuses(tmp_path, values, field):
    """The hot path packs with struct and checks bools apart: same BadInput, nothing spooled."""
    from lineagegraph.sdk.spool import scan
    from lineagegraph.sdk.testing import FakeService, client_for

    service = FakeService()
    service.hold()
    client = client_for(service, tmp_path, handle_sigterm=False)
    try:
        run = client.start_run("bad", code=False, environment=False, hardware=False)
        with pytest.raises(BadInput) as excinfo:
            run.log_metrics(values, step=1)
        assert excinfo.value.field == field
        run.log_metrics({"f32": np.float32(0.5), "i": 3, "dec": Decimal("0.25")}, step=2)
        records = [p for _, p in scan(client._sender.active.path).records if p[:1] == b"N"]
        assert len(records) == 1
        assert json.loads(metrics_json(records[0]))["values"] == {"f32": 0.5, "i": 3.0, "dec": 0.25}
    finally:
        service.release()
        client.close(5)
