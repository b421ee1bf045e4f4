"""The background sender against the in-process fake service: batching, retries, final
per-event failures, whole-batch rejections, flush deadlines and the spool size cap."""

from __future__ import annotations

import random
import time

import pytest

from lineagegraph.sdk import LineageWarning
from lineagegraph.sdk.sender import Backoff
from lineagegraph.sdk.testing import FakeService, client_for


@pytest.fixture
def service():
    return FakeService()


@pytest.fixture
def make_client(service, tmp_path):
    clients = []

    def make(**options):
        options.setdefault("handle_sigterm", False)
        options.setdefault("retry_initial", 0.01)
        options.setdefault("retry_max", 0.05)
        client = client_for(service, tmp_path / "spool", **options)
        clients.append(client)
        return client

    yield make
    service.release()
    for client in clients:
        client.close(timeout=5)


def _metric_events(service):
    return [e for e in service.events.values() if e["type"] == "metrics_logged"]


def test_events_go_in_batches_of_at_most_max_batch_size(service, make_client):
    service.hold()
    client = make_client(max_batch_size=100)
    run = client.start_run("batched", code=False, environment=False, hardware=False)
    for step in range(1050):
        run.log_metrics({"loss": 1.0 / (step + 1)})
    service.release()
    assert client.flush(10) == 0
    assert max(service.batch_sizes) == 100
    assert sum(service.batch_sizes) == 1051  # run_started + 1050 points
    assert len(_metric_events(service)) == 1050
    assert service.duplicates() == {}


def test_batches_respect_the_request_size_limit(service, make_client):
    client = make_client(max_request_bytes=8192)
    service.hold()
    run = client.start_run("small-bodies", code=False, environment=False, hardware=False)
    for step in range(300):
        run.log_metrics({"a_long_metric_name_to_make_events_bigger": float(step)})
    service.release()
    assert client.flush(10) == 0
    assert max(service.body_sizes) <= 8192
    assert len(_metric_events(service)) == 300


def test_transport_errors_and_5xx_are_retried_until_delivered(service, make_client):
    service.fail_next("connect", 503, "timeout", 500, 429, 502)
    client = make_client()
    run = client.start_run("flaky", code=False, environment=False, hardware=False)
    for step in range(20):
        run.log_metrics({"loss": float(step)})  # never raises although the service fails
    assert client.flush(10) == 0
    assert len(_metric_events(service)) == 20
    assert service.requests >= 7  # six scripted failures, then success
    assert service.duplicates() == {}
    assert client.errors == []


def test_an_auth_failure_keeps_events_until_it_clears(service, make_client):
    service.fail_next(401, 403)
    client = make_client()
    run = client.start_run("needs-token", code=False, environment=False, hardware=False)
    run.log_metrics({"x": 1.0})
    assert client.flush(10) == 0
    assert len(_metric_events(service)) == 1
    assert client.errors == []


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    random.seed(7)
    backoff = Backoff(base=0.1, cap=1.0)
    delays = [backoff.next_delay() for _ in range(8)]
    for n, delay in enumerate(delays):
        nominal = min(1.0, 0.1 * 2**n)
        assert nominal * 0.5 <= delay <= nominal
    assert len(set(delays)) == len(delays)  # jittered, not lock-step
    backoff.reset()
    assert backoff.next_delay() <= 0.1


def test_a_per_event_failure_is_final_reported_and_not_resent(service, make_client):
    client = make_client()
    run = client.start_run("consumer", code=False, environment=False, hardware=False)
    run.consume("dataset:nowhere@1")
    run.log_metrics({"after": 1.0})
    with pytest.warns(LineageWarning, match="NOT_FOUND"):
        assert client.flush(10) == 0
    [error] = client.errors
    assert (error.code, error.event_type, error.field) == ("NOT_FOUND", "artifact_consumed", "ref")
    assert error.event["ref"] == "dataset:nowhere@1"
    assert service.deliveries[error.event_id] == 1
    time.sleep(0.3)  # several sender cycles: still not resent
    assert service.deliveries[error.event_id] == 1
    assert len(_metric_events(service)) == 1  # the rest of the batch went through


def test_a_batch_refused_as_a_whole_is_split_to_isolate_the_bad_event(service, make_client):
    service.hold()
    client = make_client()
    run = client.start_run("split", code=False, environment=False, hardware=False)
    for step in range(10):
        run.log_metrics({"loss": float(step)})
    # an event the SDK would never build (an older SDK or a hand-edited spool)
    client._append("bogus", b'{"event_id":"bogus","type":"no_such_event"}', droppable=False)
    for step in range(10, 20):
        run.log_metrics({"loss": float(step)})
    service.release()
    with pytest.warns(LineageWarning, match="bogus"):
        assert client.flush(10) == 0
    assert [e.event_id for e in client.errors] == ["bogus"]
    assert client.errors[0].code == "BAD_INPUT"
    assert len(_metric_events(service)) == 20


def test_a_scripted_whole_batch_rejection_loses_nothing(service, make_client):
    service.hold()
    client = make_client()
    run = client.start_run("retry-halves", code=False, environment=False, hardware=False)
    for step in range(8):
        run.log_metrics({"loss": float(step)})
    service.fail_next("bad_input")
    service.release()
    assert client.flush(10) == 0
    assert len(_metric_events(service)) == 8
    assert client.errors == []


def test_flush_returns_what_remains_when_its_deadline_passes(service, make_client):
    service.fail_next(*["connect"] * 10_000)
    client = make_client()
    run = client.start_run("offline", code=False, environment=False, hardware=False)
    for step in range(10):
        run.log_metrics({"loss": float(step)})
    started = time.monotonic()
    remaining = client.flush(timeout=0.3)
    elapsed = time.monotonic() - started
    assert remaining == 11
    assert 0.3 <= elapsed < 2.0
    service._failures.clear()
    assert client.flush(10) == 0


def test_a_full_spool_drops_metric_points_but_keeps_lineage_events(service, make_client, tmp_path):
    service.fail_next(*["connect"] * 100_000)
    client = make_client(spool_max_bytes=16 * 1024)
    run = client.start_run("capped", code=False, environment=False, hardware=False)

    def log_many():
        for step in range(2000):
            run.log_metrics({"loss": float(step)})

    with pytest.warns(LineageWarning, match="spool is full"):  # warned, never raised
        log_many()
    run.log_params({"lr": 0.1})
    model = run.log_model("m", uri="s3://bucket/m.bin", version="1")  # lineage: still spooled
    stats = client.stats()
    assert stats["dropped"] > 0
    kept = 2000 - stats["dropped"]
    segments = sorted((tmp_path / "spool").glob("*.wal"))
    assert sum(p.stat().st_size for p in segments) <= 16 * 1024 + 4096
    service._failures.clear()
    assert client.flush(10) == 0
    assert len(_metric_events(service)) == kept
    assert model.ref in service.artifacts
    params = [e for e in service.events.values() if e["type"] == "params_logged"]
    assert len(params) == 1


def test_the_segment_rotates_once_everything_is_acknowledged(service, make_client, tmp_path):
    client = make_client(spool_max_bytes=32 * 1024)  # rotate at 8 KiB
    run = client.start_run("rotating", code=False, environment=False, hardware=False)
    first = client._sender.active.path
    for step in range(400):
        run.log_metrics({"loss": float(step)})
        if step % 100 == 99:
            assert client.flush(10) == 0
    run.log_metrics({"loss": 0.0}, step=1000)
    assert client.flush(10) == 0
    assert client._sender.active.path != first
    assert not first.exists()
    assert len(list((tmp_path / "spool").glob("*.wal"))) == 1
    assert len(_metric_events(service)) == 401


def test_a_closed_client_leaves_an_empty_spool(service, make_client, tmp_path):
    client = make_client()
    run = client.start_run("tidy", code=False, environment=False, hardware=False)
    run.log_metrics({"x": 1.0})
    run.end()
    assert client.close(5) == 0
    assert list((tmp_path / "spool").glob("*.wal")) == []


def test_the_mapped_segment_grows_under_the_writer_and_loses_nothing(service, make_client):
    service.hold()  # nothing is acknowledged: the segment can only grow
    client = make_client()
    run = client.start_run("growing", code=False, environment=False, hardware=False)
    active = client._sender.active
    first = active.capacity
    steps = 3 * first // 150  # past the first size, records of ~150 bytes
    for step in range(steps):
        run.log_metrics({"loss": float(step), "acc": 0.5}, step=step)
    assert active.capacity > first
    assert active.path.stat().st_size == active.capacity
    service.release()
    assert client.flush(30) == 0
    assert sorted(e["step"] for e in _metric_events(service)) == list(range(steps))
    assert service.duplicates() == {}
