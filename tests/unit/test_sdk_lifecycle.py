"""Process-level behaviour, each in its own interpreter: SIGTERM, interpreter exit, uncaught
exceptions and fork."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

from lineagegraph.sdk.replay import pending_in_spool

PRELUDE = """
import os, signal, sys, time
from lineagegraph.sdk.testing import FakeService, client_for
spool, journal = sys.argv[1], sys.argv[2]
service = FakeService(journal=journal)
"""


def _run(tmp_path, body, timeout=60):
    script = PRELUDE + textwrap.dedent(body)
    spool, journal = tmp_path / "spool", tmp_path / "journal.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", script, str(spool), str(journal)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    events = []
    if journal.exists():
        for line in journal.read_text().splitlines():
            entry = json.loads(line)
            if "event" in entry:
                events.append(entry["event"])
    return done, events, spool


def _finished(events):
    return [e for e in events if e["type"] == "run_finished"]


def test_sigterm_marks_the_run_killed_after_flushing_then_terminates(tmp_path):
    done, events, spool = _run(
        tmp_path,
        """
        client = client_for(service, spool)
        run = client.start_run("long-job", code=False, environment=False, hardware=False)
        for step in range(200):
            run.log_metrics({"loss": float(step)})
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)
        print("not reached")
        """,
    )
    assert done.returncode == -signal.SIGTERM
    assert "not reached" not in done.stdout
    assert len([e for e in events if e["type"] == "metrics_logged"]) == 200
    [finished] = _finished(events)
    assert finished["status"] == "KILLED"
    assert finished["error_type"] == "SIGTERM"
    assert pending_in_spool(spool)[0] == 0


def test_sigterm_chains_to_the_programs_own_handler(tmp_path):
    done, events, _ = _run(
        tmp_path,
        """
        import warnings
        def graceful(signum, frame):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                run.log_metrics({"loss": -1.0})  # a checkpoint hook that still logs
            print("graceful:", caught[0].message, flush=True)
            sys.exit(3)
        signal.signal(signal.SIGTERM, graceful)
        client = client_for(service, spool)
        run = client.start_run("preempted", code=False, environment=False, hardware=False)
        run.log_metrics({"loss": 1.0})
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(30)
        """,
    )
    assert done.returncode == 3, done.stderr
    assert "graceful:" in done.stdout
    assert "marked KILLED by SIGTERM" in done.stdout
    assert [e["status"] for e in _finished(events)] == ["KILLED"]


def test_at_exit_unsent_events_are_counted_and_kept(tmp_path):
    done, events, spool = _run(
        tmp_path,
        """
        service.fail_next(*["connect"] * 1_000_000)
        client = client_for(service, spool, flush_at_exit=0.5)
        run = client.start_run("offline", code=False, environment=False, hardware=False)
        for step in range(5):
            run.log_metrics({"loss": float(step)})
        """,
    )
    assert done.returncode == 0, done.stderr
    assert events == []
    # run_started, five points and the run_finished written at exit
    assert "7 events not yet acknowledged remain spooled" in done.stderr
    assert "lineage sync" in done.stderr
    assert pending_in_spool(spool) == (7, 1)


def test_at_exit_an_open_run_completes_and_everything_is_sent(tmp_path):
    done, events, spool = _run(
        tmp_path,
        """
        client = client_for(service, spool)
        run = client.start_run("script", code=False, environment=False, hardware=False)
        run.log_metrics({"loss": 0.5})
        """,
    )
    assert done.returncode == 0, done.stderr
    assert [e["status"] for e in _finished(events)] == ["COMPLETED"]
    assert "remain spooled" not in done.stderr
    assert list(spool.glob("*.wal")) == []


def test_an_uncaught_exception_fails_an_open_run(tmp_path):
    done, events, _ = _run(
        tmp_path,
        """
        client = client_for(service, spool)
        run = client.start_run("crashes", code=False, environment=False, hardware=False)
        raise MemoryError("CUDA out of memory")
        """,
    )
    assert done.returncode == 1
    [finished] = _finished(events)
    assert finished["status"] == "FAILED"
    assert (finished["error_type"], finished["error_message"]) == (
        "MemoryError",
        "CUDA out of memory",
    )


def test_a_forked_child_logs_through_its_own_segment(tmp_path):
    done, events, spool = _run(
        tmp_path,
        """
        client = client_for(service, spool)
        run = client.start_run("parent", code=False, environment=False, hardware=False)
        run.log_metrics({"who": 0.0})
        assert client.flush(10) == 0
        pid = os.fork()
        if pid == 0:
            run.log_metrics({"who": 1.0}, step=100)
            code = 0 if client.flush(10) == 0 else 1
            client.close(5)
            os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        run.log_metrics({"who": 2.0}, step=200)
        assert client.flush(10) == 0
        run.end()
        """,
    )
    assert done.returncode == 0, done.stderr
    steps = sorted(e["step"] for e in events if e["type"] == "metrics_logged")
    assert steps == [0, 100, 200]
    assert list(spool.glob("*.wal")) == []


def test_sigterm_during_a_spool_append_is_handled_right_after_it(tmp_path):
    done, events, _ = _run(
        tmp_path,
        """
        from lineagegraph.sdk import lifecycle
        client = client_for(service, spool)
        run = client.start_run("interrupted", code=False, environment=False, hardware=False)
        sender = client._sender
        sender.append_lock.acquire()  # as if the signal landed inside an append
        os.kill(os.getpid(), signal.SIGTERM)
        print("deferred:", lifecycle.deferred_sigterm is not None, flush=True)
        sender.append_lock.release()
        run.log_metrics({"x": 1.0})  # finishes its append, then handles the signal
        time.sleep(30)
        print("not reached")
        """,
    )
    assert done.returncode == -signal.SIGTERM, done.stderr
    assert "deferred: True" in done.stdout
    assert "not reached" not in done.stdout
    assert [e["type"] for e in events][-2:] == ["metrics_logged", "run_finished"]
    assert _finished(events)[0]["status"] == "KILLED"
