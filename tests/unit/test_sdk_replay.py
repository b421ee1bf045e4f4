"""Nothing is lost: a training process killed mid-send is replayed by the next client (or
``lineage sync``), and the service sees each event exactly once after its dedup."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from lineagegraph.cli.main import main as lineage_main
from lineagegraph.config import load_settings
from lineagegraph.sdk.replay import pending_in_spool, sync_spool
from lineagegraph.sdk.sender import Backoff
from lineagegraph.sdk.spool import Spool, frame, scan
from lineagegraph.sdk.testing import FakeService, client_for
from lineagegraph.sdk.transport import HttpTransport

STEPS = 3000

# A training process: its service acknowledges two batches, then applies a third and hangs
# before answering; the process is killed (SIGKILL) while that batch is in flight.
CRASHING = textwrap.dedent(
    """
    import os, signal, sys, time
    from lineagegraph.sdk.testing import FakeService, client_for
    spool, journal, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])
    service = FakeService(journal=journal)
    client = client_for(service, spool, max_batch_size=500, handle_sigterm=False)
    run = client.start_run("doomed", code=False, environment=False, hardware=False)
    print(run.id, flush=True)
    for step in range(1000):
        run.log_metrics({"loss": float(step), "auc": step / steps})
    assert client.flush(10) == 0                 # acknowledged: 2+ batches
    service.hold(after_apply=True)               # the next batch is applied, its answer lost
    for step in range(1000, steps):
        run.log_metrics({"loss": float(step), "auc": step / steps})
    client._sender.nudge()
    service.waiting.wait(10)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def _crash(tmp_path):
    spool, journal = tmp_path / "spool", tmp_path / "journal.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", CRASHING, str(spool), str(journal), str(STEPS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == -9, done.stderr
    return spool, journal, done.stdout.strip()


def _check_exactly_once(service, run_id):
    points = [
        e
        for e in service.events.values()
        if e["type"] == "metrics_logged" and e["run_id"] == run_id
    ]
    assert sorted(e["step"] for e in points) == list(range(STEPS))  # nothing lost, no extra
    assert len({e["event_id"] for e in points}) == STEPS
    assert service.metrics[(run_id, "loss")] == {s: float(s) for s in range(STEPS)}


def test_a_new_client_replays_what_a_killed_process_left(tmp_path):
    spool, journal, run_id = _crash(tmp_path)
    service = FakeService(journal=journal)  # the same service, still holding what it applied
    before = len(service.events)
    assert 1000 < before < STEPS + 1  # the in-flight batch was applied, the rest never sent
    assert pending_in_spool(spool)[0] > STEPS + 1 - before  # includes the unanswered batch
    client = client_for(service, spool, handle_sigterm=False)
    try:
        assert client.flush(20) == 0
    finally:
        client.close(5)
    _check_exactly_once(service, run_id)
    resent = service.duplicates()
    assert resent, "the batch whose answer was lost is sent again..."
    assert all(n == 2 for n in resent.values())  # ...once, and dedup makes it harmless
    assert len(resent) <= 500
    assert list(spool.glob("*.wal")) == []


def test_lineage_sync_replays_the_spool(tmp_path):
    spool, journal, run_id = _crash(tmp_path)
    service = FakeService(journal=journal)
    waiting, segments = pending_in_spool(spool)
    assert segments == 1
    settings = load_settings(url="http://fake.invalid", spool_dir=spool, max_batch_size=400)
    report = sync_spool(settings, transport=_http(service), timeout=30)
    assert (report.sent, report.remaining, report.rejected) == (waiting, 0, [])
    _check_exactly_once(service, run_id)
    assert pending_in_spool(spool) == (0, 0)


def _http(service):
    return HttpTransport("http://fake.invalid", http_transport=service.transport())


def test_the_cli_reports_and_exits_nonzero_while_events_remain(tmp_path, capsys):
    spool = tmp_path / "spool"
    segment = Spool(spool, 1 << 20).new_segment()
    segment.append(frame(b'{"event_id":"x","type":"run_tagged"}'))
    segment.close()  # its writer died
    assert lineage_main(["sync", "--status", "--spool-dir", str(spool)]) == 0
    assert "1 events waiting in 1 segments" in capsys.readouterr().out
    # nobody listens there: the event stays, the command says so and fails
    code = lineage_main(
        ["sync", "--spool-dir", str(spool), "--url", "http://127.0.0.1:9", "--timeout", "0.5"]
    )
    assert code == 1
    assert "1 remain" in capsys.readouterr().out
    assert pending_in_spool(spool) == (1, 1)


# A training process whose service never answers: ten steps are spooled, the last record is cut
# short as by a crash mid-append (payload without header), and the process dies (SIGKILL) with
# nothing acknowledged.
TORN = textwrap.dedent(
    """
    import os, signal, sys
    from lineagegraph.sdk.spool import frame
    from lineagegraph.sdk.testing import FakeService, client_for
    service = FakeService()
    service.hold()
    client = client_for(service, sys.argv[1], handle_sigterm=False)
    run = client.start_run("torn", code=False, environment=False, hardware=False)
    for step in range(10):
        run.log_metrics({"loss": float(step)})
    active = client._sender.active
    print(active.path, flush=True)
    # killed while appending: the payload copied into the map, its header not yet stored
    payload = frame(b'{"event_id":"cut-short"}')[8:]
    active.mapped[active.end + 8 : active.end + 8 + len(payload)] = payload
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_a_torn_tail_is_dropped_and_everything_before_it_replayed(tmp_path, caplog):
    spool = tmp_path / "spool"
    done = subprocess.run(
        [sys.executable, "-c", TORN, str(spool)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == -9, done.stderr
    path = Path(done.stdout.strip())
    assert path.exists()
    service = FakeService()
    reader = client_for(service, spool, handle_sigterm=False)
    try:
        assert reader.flush(10) == 0
    finally:
        reader.close(5)
    assert "torn record" in caplog.text
    assert sorted(e["step"] for e in service.events.values() if "step" in e) == list(range(10))
    assert not path.exists()


def test_a_damaged_segment_is_kept_aside_after_replaying_its_good_part(tmp_path, caplog):
    spool = tmp_path / "spool"
    service = FakeService()
    segment = Spool(spool, 1 << 20).new_segment()
    records = [
        b'{"event_id":"a1","type":"run_started","run_id":"9f0e2f2e-9d3f-4a53-a6c6-0a8a1b0c7d11",'
        b'"name":"r"}',
        b'{"event_id":"a2","type":"run_tagged","run_id":"9f0e2f2e-9d3f-4a53-a6c6-0a8a1b0c7d11",'
        b'"tags":{"k":"v"}}',
        b'{"event_id":"a3","type":"run_tagged","run_id":"9f0e2f2e-9d3f-4a53-a6c6-0a8a1b0c7d11",'
        b'"tags":{"k":"w"}}',
    ]
    for record in records:
        segment.append(frame(record))
    segment.close()
    data = bytearray(segment.path.read_bytes())
    first_end = scan(segment.path).records[0][0]
    data[first_end + 10] ^= 0xFF  # damage the second record, the third one follows it
    segment.path.write_bytes(bytes(data))
    settings = load_settings(url="http://fake.invalid", spool_dir=spool)
    report = sync_spool(settings, transport=_http(service), timeout=10, backoff=Backoff(0.01))
    assert report.sent == 1
    assert list(service.events) == ["a1"]
    assert "damaged" in caplog.text
    assert len(list(spool.glob("*.corrupt"))) == 1
    assert list(spool.glob("*.wal")) == []


def test_sync_leaves_a_running_clients_segment_alone(tmp_path):
    spool = tmp_path / "spool"
    service = FakeService()
    service.hold()
    running = client_for(service, spool, handle_sigterm=False)
    run = running.start_run("alive", code=False, environment=False, hardware=False)
    run.log_metrics({"x": 1.0})
    other = FakeService()
    settings = load_settings(url="http://fake.invalid", spool_dir=spool)
    report = sync_spool(settings, transport=_http(other), timeout=5)
    assert report.busy_segments == 1
    assert other.requests == 0
    service.release()
    assert running.close(5) == 0
