"""The C log_metrics (sdk/_fastmetrics.c) against the pure-Python path it stands in for.

Two clients run the same calls, one with the C writer and one without (``native_metrics``);
their spools must hold the same records (same event counters, steps and values, time aside)
and every call must raise the same error, keep the same step counter and drop the same way.
"""

from __future__ import annotations

import json
import math
import threading
import zlib
from decimal import Decimal
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lineagegraph.sdk import _native
from lineagegraph.sdk.encode import metrics_json, metrics_record_id
from lineagegraph.sdk.run import LineageWarning
from lineagegraph.sdk.spool import scan
from lineagegraph.sdk.testing import FakeService, client_for


def test_the_c_writer_is_built_and_used_by_default(tmp_path):
    assert _native.metrics_writer is not None, (
        "lineagegraph.sdk._fastmetrics was not built: `make install` builds it (needs a C "
        "compiler and the Python headers); without it the SDK falls back to the Python path"
    )
    with _HeldClient(tmp_path / "on", native=True) as client:
        run = client.start_run("native", code=False, environment=False, hardware=False)
        assert isinstance(run.log_metrics, _native.metrics_writer)
    with _HeldClient(tmp_path / "off", native=False) as client:
        run = client.start_run("python", code=False, environment=False, hardware=False)
        assert not isinstance(run.log_metrics, _native.metrics_writer)


class _HeldClient:
    """A client whose service holds every request: its spool keeps every record to compare."""

    def __init__(self, path: Any, *, native: bool, **options: Any):
        self.service = FakeService()
        self.service.hold()
        self.client = client_for(
            self.service, path, handle_sigterm=False, native_metrics=native, **options
        )

    def __enter__(self) -> Any:
        return self.client

    def __exit__(self, *exc: object) -> None:
        self.service.release()
        self.client.close(5)


def _records(client: Any) -> list[dict[str, Any]]:
    """Each metrics record as JSON, with what differs between two clients taken out: the id's
    random prefix (its counter kept) and the time; the run id stays (see _same)."""
    out = []
    for _, payload in scan(client._sender.active.path).records:
        if payload[:1] != b"N":
            continue
        body = json.loads(metrics_json(payload))
        counter = int(metrics_record_id(payload).rsplit("-", 1)[1], 16)
        assert math.isfinite(body.pop("time"))
        del body["event_id"]
        out.append({"counter": counter, **body})
    return out


def _outcome(run: Any, values: Any, step: Any, auto: bool) -> str:
    try:
        if auto:
            run.log_metrics(values)
        else:
            run.log_metrics(values, step=step)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return "ok"


# few key sets and small steps, so most calls repeat a key set (the C writer's case) and the
# odd value, step or new key set sends one to the Python path
_KEY_SETS = st.sampled_from([("loss",), ("loss", "acc"), ("é", 'q"uote', "lr"), ()])
_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(allow_nan=False, allow_infinity=False).map(np.float64),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(width=32, allow_nan=False).map(np.float32),
    st.sampled_from([True, "1.5", None, Decimal("0.25"), [1.0]]),
)
_PLAIN = st.floats(allow_nan=True, allow_infinity=True)
_CALLS = st.lists(
    st.tuples(
        _KEY_SETS.flatmap(
            lambda keys: st.tuples(*[st.one_of(_PLAIN, _PLAIN, _VALUES) for _ in keys]).map(
                lambda values: dict(zip(keys, values, strict=True))
            )
        ),
        st.one_of(
            st.integers(min_value=0, max_value=12),
            st.integers(min_value=0, max_value=12),
            st.none(),
            st.integers(min_value=-3, max_value=2**65),
            st.integers(0, 50).map(np.int64),
            st.just(2.0),
        ),
        st.booleans(),
    ),
    min_size=1,
    max_size=40,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(calls=_CALLS)
def test_the_c_writer_matches_the_python_path(tmp_path_factory, calls):
    native = _replay(tmp_path_factory.mktemp("spool"), calls, native=True)
    python = _replay(tmp_path_factory.mktemp("spool"), calls, native=False)
    assert native == python


Seen = tuple[list[str], list[dict[str, Any]], int]


def _replay(path: Any, calls: list[tuple[Any, Any, bool]], *, native: bool) -> Seen:
    """``calls`` on a fresh run: each call's outcome, the spooled records, the step counter."""
    with _HeldClient(path, native=native) as client:
        run = client.start_run("replay", code=False, environment=False, hardware=False)
        outcomes = [_outcome(run, values, step, auto) for values, step, auto in calls]
        return outcomes, _same(_records(client)), run._step


def _same(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records of one run, its (random) run id checked then taken out."""
    assert len({r.pop("run_id") for r in records}) <= 1
    return records


def test_records_across_segment_growth_and_a_full_spool(tmp_path):
    """A small spool: the C writer hands each growth to the Python path, then goes on; once the
    cap is reached both drop the same calls and report it the same way."""
    results = {}
    for native in (True, False):
        with _HeldClient(
            tmp_path / str(native), native=native, spool_max_bytes=96 * 1024
        ) as client:
            run = client.start_run("grow", code=False, environment=False, hardware=False)
            with pytest.warns(LineageWarning, match="the spool is full"):
                _log_steps(run, 3000)
            results[native] = (_same(_records(client)), client._dropped)
    native_records, native_dropped = results[True]
    python_records, python_dropped = results[False]
    assert native_records == python_records
    assert native_dropped == python_dropped > 0  # the cap was reached: the test saw both cases
    assert len(native_records) > 500  # ... after growing the segment several times


def _log_steps(run: Any, steps: int) -> None:
    for step in range(steps):
        run.log_metrics({"loss": step / 7, "acc": float(step)}, step=step)


def test_threads_logging_at_once_lose_and_tear_nothing(tmp_path):
    with _HeldClient(tmp_path, native=True) as client:
        counted = client.start_run("auto", code=False, environment=False, hardware=False)
        given_steps = client.start_run("given", code=False, environment=False, hardware=False)
        per_thread = 2000

        def log(offset: int) -> None:
            for i in range(per_thread):
                if offset < 2:  # steps left out: the run counts them
                    counted.log_metrics({"t": float(i)})
                else:
                    given_steps.log_metrics({"t": float(i), "o": float(offset)}, step=i)

        threads = [threading.Thread(target=log, args=(k,)) for k in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        records = _records(client)  # scan() checks every frame's checksum
    assert len(records) == 4 * per_thread
    counters = [r["counter"] for r in records]
    assert len(set(counters)) == len(counters)
    auto_steps = [r["step"] for r in records if r["run_id"] == counted._run_id]
    assert sorted(auto_steps) == list(range(2 * per_thread))  # unique, none skipped
    given = sorted((r["values"]["o"], r["step"]) for r in records if "o" in r["values"])
    assert given == sorted((float(o), i) for o in (2, 3) for i in range(per_thread))


@given(st.binary(max_size=12_000))
def test_its_adler32_is_zlibs(data):
    from lineagegraph.sdk import _fastmetrics

    assert _fastmetrics.adler32(data) == zlib.adler32(data)


def _random_calls(seed: int, n: int) -> list[tuple[dict[str, Any], Any, bool]]:
    """Long training-loop-like sequences (hypothesis favours short ones): mostly repeated key
    sets and plain floats, now and then an odd value, step or key set."""
    rng = np.random.default_rng(seed)
    key_sets = [("loss",), ("loss", "acc", "lr"), ("é", 'q"uote'), ("acc", "loss")]
    odd: list[Any] = [True, "x", None, Decimal("2.5"), np.float32(0.5), 2**80, -(2**63), 7]
    odd_steps: list[Any] = [-1, 2**64, np.int64(3), 1.0, None]
    calls = []
    for i in range(n):
        keys = key_sets[int(rng.integers(len(key_sets)))]
        values = {
            key: odd[int(rng.integers(len(odd)))] if rng.random() < 0.03 else float(rng.normal())
            for key in keys
        }
        if rng.random() < 0.02:
            values["loss"] = math.nan if rng.random() < 0.5 else -math.inf
        step: Any = i if rng.random() < 0.9 else odd_steps[int(rng.integers(len(odd_steps)))]
        calls.append((values, step, bool(rng.random() < 0.1)))
    return calls


@pytest.mark.parametrize("seed", range(4))
def test_a_long_random_sequence_matches_the_python_path(tmp_path, seed):
    calls = _random_calls(seed, 600)
    native = _replay(tmp_path / "native", calls, native=True)
    python = _replay(tmp_path / "python", calls, native=False)
    assert native == python
    assert native[0].count("ok") > 400  # mostly the common case


def test_every_record_reaches_the_service_once_across_segment_rotations(tmp_path):
    """A small spool, a service that answers: the sender rotates segments under the writer
    (new segment object, old one unmapped and removed); nothing is lost or sent twice."""
    service = FakeService()
    client = client_for(
        service, tmp_path, handle_sigterm=False, native_metrics=True, spool_max_bytes=64 * 1024
    )
    try:
        run = client.start_run("rotate", code=False, environment=False, hardware=False)
        assert isinstance(run.log_metrics, _native.metrics_writer)
        segments = set()
        steps = 6000
        for step in range(steps):
            run.log_metrics({"loss": step / 3, "acc": -float(step)}, step=step)
            if step % 50 == 0:
                segments.add(client._sender.active.path)
                client.flush(5)  # answers come back, so full segments can rotate
        assert client.flush(10) == 0
    finally:
        client.close(5)
    assert len(segments) > 3  # the writer followed several rotations
    assert service.duplicates() == {}
    loss = service.metrics[(run._run_id, "loss")]
    acc = service.metrics[(run._run_id, "acc")]
    assert sorted(loss) == list(range(steps))
    assert all(loss[s] == s / 3 and acc[s] == -float(s) for s in range(steps))
