"""The sender as a separate process: the training process only appends to its spool segment.

Why: an in-process sender thread needs the GIL to make JSON, run httpx and read answers; each
time it holds the GIL while the training thread comes back from NumPy, training waits (up to
the 5 ms switch interval). The spool file is already the durable hand-off, so the sending can
live in another process without weakening anything: an event is on disk (page cache) before
``log_metrics`` returns, whoever sends it.

- The client spawns ``python -c '...child_main()'`` with a ``SOCK_SEQPACKET`` socket pair and
  the active segment's file descriptor (``pass_fds``): the child shares the open file
  description, hence the segment's ``flock``, so no other client claims the segment while the
  child is still sending it, even after the training process died.
- The child runs the ordinary :class:`~lineagegraph.sdk.sender.Sender` (same batching, retries,
  splitting, ack files, orphan replay), reading new records from the segment file every flush
  interval or when woken. It reports over the socket: acknowledged offsets (the parent's
  pending count), refs the service assigned, rejected events, warnings, log records.
- The parent sends ``wake`` (flush, a full batch), ``segment`` (after a rotation, with the new
  segment's descriptor) and ``stop`` (close). When the parent is gone without a ``stop`` (killed,
  crashed) the child keeps sending until the spool it holds is drained, at most ``linger``
  seconds, then exits; what remains waits for the next client or ``lineage sync``.
- The child ignores SIGINT and SIGTERM, so a signal to the whole process group (Ctrl-C, a job
  scheduler) leaves it alive for the parent's own flush-at-exit. It runs at nice 10, so on a busy
  machine it does not take the training loop's core; it sleeps between batches (one every flush
  interval, or when woken by a full batch or a flush).

Only on Linux (``SOCK_SEQPACKET`` over ``AF_UNIX``); elsewhere the client uses the thread.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lineagegraph.sdk.sender import Backoff, EventError, SegmentWriter, Sender
from lineagegraph.sdk.spool import ActiveSegment, Spool, scan

log = logging.getLogger("lineagegraph.sdk")

_MAX_MESSAGE = 128 * 1024  # a SEQPACKET message must fit the socket buffer
_FD_ENV = "LINEAGEGRAPH_SENDER_FD"
# The child skips the packages' __init__ modules (the whole SDK, pydantic models): it needs
# only the sender, the spool and the transport, and starts in half the time.
_CHILD = """
import sys, types
for name in ("lineagegraph", "lineagegraph.sdk"):
    package = types.ModuleType(name)
    package.__path__ = [sys.argv[1] + "/" + name.replace(".", "/")]
    sys.modules[name] = package
from lineagegraph.sdk._sendproc import child_main
child_main()
"""


def supported() -> bool:
    return sys.platform.startswith("linux") and hasattr(socket, "SOCK_SEQPACKET")


def _send(sock: socket.socket, message: dict[str, Any], fds: list[int] | None = None) -> bool:
    data = json.dumps(message, separators=(",", ":")).encode()
    try:
        if fds:
            socket.send_fds(sock, [data], fds)
        else:
            sock.send(data)
    except OSError:  # the other side is gone
        return False
    return True


# --- the training process's side ----------------------------------------------------------------
class ProcessSender(SegmentWriter):
    """What the client holds instead of a :class:`Sender` when the sender is a process. Same
    surface as far as the client and the hot path use it."""

    def __init__(
        self,
        spool: Spool,
        *,
        active: ActiveSegment,
        config: dict[str, Any],
        max_batch: int,
        rotate_bytes: int,
        on_error: Callable[[EventError], None],
        on_assigned: Callable[[str, str], None],
        on_warning: Callable[[str], None],
        on_exit: Callable[[ProcessSender], None] = lambda sender: None,
    ) -> None:
        self.spool = spool
        self.active: ActiveSegment | None = active
        self.max_batch = max_batch
        self.rotate_bytes = rotate_bytes
        self.on_error = on_error
        self.on_assigned = on_assigned
        self.on_warning = on_warning
        self.on_exit = on_exit  # the process ended without being told to stop
        self._stopping = False
        self.others_bytes = 0
        self.append_lock = threading.Lock()
        self.orphan_pending = 0
        self.busy_segments = 0
        self.sent = 0
        self.rejected = 0
        self.last_error: str | None = None
        self._config = config
        self._ready = threading.Event()
        self._progress = threading.Condition()
        self._dead = threading.Event()
        self._measured = 0.0
        self._sock: socket.socket | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None

    # --- called from training threads (enqueue, spool_full, pending: SegmentWriter) -------
    def nudge(self) -> None:
        sock = self._sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.send(b'{"op":"wake"}', socket.MSG_DONTWAIT)

    def flush(self, timeout: float) -> int:
        deadline = time.monotonic() + max(timeout, 0.0)
        self._ready.wait(max(timeout, 0.0))
        self.nudge()
        with self._progress:
            while self.pending() and self.alive():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.nudge()
                self._progress.wait(min(left, 0.25))
        return self.pending()

    # --- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        active = self.active
        assert active is not None
        parent, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        package_root = str(Path(__file__).resolve().parents[2])
        env = dict(os.environ)
        env[_FD_ENV] = str(child.fileno())
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD, package_root],
                stdin=subprocess.DEVNULL,
                pass_fds=(child.fileno(), active.fd),
                env=env,
            )
        finally:
            child.close()
        self._sock = parent
        _send(parent, {**self._config, "segment": str(active.path), "segment_fd": active.fd})
        self._reader = threading.Thread(
            target=self._read, name="lineagegraph-sender-link", daemon=True
        )
        self._reader.start()

    def ending(self) -> bool:
        """The process ended without being told to stop: the client is handing its segment
        to a sender thread (``on_exit``)."""
        return self._proc is not None and not self._stopping and not self.alive()

    def alive(self) -> bool:
        proc = self._proc
        return proc is not None and proc.poll() is None and not self._dead.is_set()

    def stop(self, join_timeout: float = 5.0) -> None:
        """Tell the child to stop after the current request (it saves its ack file), wait for
        it, then remove the segment when everything in it was answered."""
        sock, proc = self._sock, self._proc
        self._stopping = True
        if sock is not None:
            _send(sock, {"op": "stop"})
        if proc is not None:
            try:
                proc.wait(join_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()  # nothing is lost: the spool holds every event
                proc.wait(5)
        if self._reader is not None:
            self._reader.join(2.0)
        if sock is not None:
            sock.close()
            self._sock = None
        active = self.active
        if active is not None:
            with self.append_lock, contextlib.suppress(OSError):
                if active.ack.offset >= active.end:
                    active.remove()
                else:
                    active.close()

    def detach(self) -> None:
        """In a forked child: forget the parent's sender process and files."""
        if self._sock is not None:
            self._sock.close()  # only this process's copy
            self._sock = None
        self._proc = None
        if self.active is not None:
            self.active.close()
            self.active = None

    # --- what the child reports -------------------------------------------------------------
    def _read(self) -> None:
        sock = self._sock
        assert sock is not None
        try:
            while True:
                try:
                    data = sock.recv(_MAX_MESSAGE * 2)
                except OSError:
                    break
                if not data:
                    break
                try:
                    self._handle(json.loads(data))
                except Exception:  # a bug here must not leave flush() waiting forever
                    log.exception("lineagegraph: bad message from the sender process")
        finally:
            self._dead.set()
            self._ready.set()
            with self._progress:
                self._progress.notify_all()
            if not self._stopping and self._proc is not None:
                log.warning("lineagegraph: the sender process ended; sending from a thread now")
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._proc.wait(5)
                sock.close()
                self._sock = None
                self.on_exit(self)

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("t")
        if kind == "status":
            self._status(message)
        elif kind == "assigned":
            self.on_assigned(message["id"], message["ref"])
        elif kind == "error":
            error = EventError(
                message["event_id"],
                message["event_type"],
                message["code"],
                message["message"],
                message.get("field"),
                message.get("event") or {},
            )
            self.on_error(error)
        elif kind == "warning":
            self.on_warning(message["message"])
        elif kind == "log":
            log.log(int(message["level"]), "%s", message["message"])

    def _status(self, message: dict[str, Any]) -> None:
        self.sent = int(message["sent"])
        self.rejected = int(message["rejected"])
        self.orphan_pending = int(message["orphans"])
        self.busy_segments = int(message["busy"])
        self.last_error = message.get("error")
        active = self.active
        if active is not None and message.get("segment") == str(active.path):
            offset = int(message["offset"])
            if offset > active.ack.offset:
                active.ack.offset = offset
            active.acked(offset)
            self._maybe_rotate(active)
        now = time.monotonic()
        if now - self._measured > 0.5:
            self._measured = now
            with contextlib.suppress(OSError):
                self.others_bytes = self.spool.used_bytes(active.path if active else None)
        self.grow_ahead()
        if message.get("ready"):
            self._ready.set()
        with self._progress:
            self._progress.notify_all()

    def _maybe_rotate(self, active: ActiveSegment) -> None:
        if active.end < self.rotate_bytes or active.ack.offset < active.end:
            return
        with self.append_lock:
            if active.ack.offset < active.end or self.active is not active:
                return
            fresh = self.spool.new_segment()
            sock = self._sock
            if sock is None or not _send(
                sock, {"op": "segment", "path": str(fresh.path)}, [fresh.fd]
            ):
                fresh.remove()
                return
            self.active = fresh
            active.close()  # the child removes the old segment once it switched


# --- the sender process ---------------------------------------------------------------------------
class _ChildSender(Sender):
    """The ordinary sender, reporting to the parent over the socket."""

    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sock = sock
        self.switch: ActiveSegment | None = None  # the parent rotated: the next segment
        self._last_status = ""

    def status(self, *, ready: bool = False) -> None:
        active = self.active
        message = {
            "t": "status",
            "segment": str(active.path) if active is not None else None,
            "offset": active.ack.offset if active is not None else 0,
            "sent": self.sent,
            "rejected": self.rejected,
            "orphans": self.orphan_pending,
            "busy": self.busy_segments,
            "error": self.last_error,
            "ready": ready or self._ready.is_set(),
        }
        text = json.dumps(message, sort_keys=True)
        if text != self._last_status:
            self._last_status = text
            _send(self.sock, message)

    def pending(self) -> int:
        return len(self.queue) + self.orphan_pending

    def _notify(self) -> None:
        super()._notify()
        self.status()

    def _replay_step(self) -> None:
        super()._replay_step()
        self.status()

    def _send_queue_batch(self) -> bool:
        fresh = self.switch
        active = self.active
        if fresh is not None and active is not None and not self.queue:
            self._tail(active)
            if not self.queue:  # everything of the old segment answered: switch
                fresh.ack.assigned = dict(active.ack.assigned)
                fresh.save_ack()
                self.switch = None
                self.active = fresh
                active.remove()
                self.status()
        return super()._send_queue_batch()

    def drained(self) -> bool:
        active = self.active
        if self.queue or self.orphans or self.orphan_pending:
            return False
        if active is None or active.fd < 0:
            return True
        try:
            more = scan(active.path, active.read_to, limit=1, live=True).records
        except OSError:
            return True
        return not more and active.ack.offset >= active.read_to


class _LogToParent(logging.Handler):
    def __init__(self, sock: socket.socket) -> None:
        super().__init__(logging.INFO)
        self.sock = sock

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            text = self.format(record)[: _MAX_MESSAGE // 2]
            _send(self.sock, {"t": "log", "level": record.levelno, "message": text})


def _error_message(error: EventError) -> dict[str, Any]:
    message: dict[str, Any] = {
        "t": "error",
        "event_id": error.event_id,
        "event_type": error.event_type,
        "code": error.code,
        "message": error.message[:10_000],
        "field": error.field,
        "event": error.event,
    }
    if len(json.dumps(message)) > _MAX_MESSAGE:
        message["event"] = {"event_id": error.event_id, "type": error.event_type}
    return message


_NICE = 10  # CFS weight ~1/10 of the training loop's when both want the same core


def child_main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # it needs about 1-2 % of a core (a batch every flush interval); when the machine is busy,
    # training goes first (a thread could not do this: lowered, it would hold the GIL longer)
    with contextlib.suppress(OSError):
        os.nice(_NICE)
    sock = socket.socket(fileno=int(os.environ.pop(_FD_ENV)))
    config = json.loads(sock.recv(_MAX_MESSAGE * 2))
    from lineagegraph.sdk.transport import HttpTransport

    logger = logging.getLogger("lineagegraph.sdk")
    logger.addHandler(_LogToParent(sock))
    logger.setLevel(logging.INFO)
    logger.propagate = False
    spool = Spool(Path(config["spool_dir"]), int(config["spool_max_bytes"]))
    active = ActiveSegment(Path(config["segment"]), int(config["segment_fd"]))
    transport = HttpTransport(config["url"], config.get("token"))
    sender = _ChildSender(
        sock,
        transport,
        spool,
        active=active,
        max_batch=int(config["max_batch"]),
        max_request_bytes=int(config["max_request_bytes"]),
        flush_interval=float(config["flush_interval"]),
        on_error=lambda error: _send(sock, _error_message(error)),
        on_assigned=lambda event_id, ref: _send(
            sock, {"t": "assigned", "id": event_id, "ref": ref}
        ),
        on_warning=lambda text: _send(sock, {"t": "warning", "message": text}),
        backoff=Backoff(*config["backoff"]),
        claim=bool(config["claim"]),
        owns_active=False,
    )
    sender.start()
    sender._ready.wait()
    sender.status(ready=True)
    linger = float(config.get("linger", 30.0))
    try:
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(sock, _MAX_MESSAGE, 4)
            except OSError:
                data, fds = b"", []
            if not data:  # the training process is gone without saying stop
                deadline = time.monotonic() + linger
                while time.monotonic() < deadline and sender.alive() and not sender.drained():
                    sender.nudge()
                    time.sleep(0.05)
                if sender.active is not None and sender.drained():
                    # nobody else will: remove the fully answered segment on stop
                    with contextlib.suppress(OSError):
                        sender.active.end = scan(sender.active.path).valid_end
                    sender.owns_active = True
                break
            op = json.loads(data).get("op")
            if op == "wake":
                sender.nudge()
            elif op == "segment" and fds:
                sender.switch = ActiveSegment(Path(json.loads(data)["path"]), fds[0])
                sender.nudge()
            elif op == "stop":
                break
    finally:
        sender.stop(join_timeout=10.0)
        sender.status()
        transport.close()
        sock.close()
