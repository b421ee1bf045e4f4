"""The background sender: spool -> batches -> ``ingest``, with retries, acks and replay.

One daemon thread per client. It first replays the segments of clients that died (their
unacknowledged tail), then sends this client's queue: every ``flush_interval`` seconds, or at once
when ``max_batch`` events are waiting or someone flushes. Before each request it fsyncs the
active segment (group commit), so training threads never wait on the disk.

Spool payload prefixes: ``{`` a plain event; ``M`` a binary metrics record (encode.py, turned
into JSON here); ``A`` an event whose ref the service assigns (a
model registered without a version: the ref is remembered for what depends on it); ``D`` an
event with fields that need such an assigned ref, filled in here just before sending.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lineagegraph.sdk.encode import metrics_json, metrics_record_id
from lineagegraph.sdk.spool import GROW_BYTES, AckState, ActiveSegment, Segment, Spool, scan
from lineagegraph.sdk.transport import (
    AuthError,
    BatchRejected,
    EventResult,
    TransientError,
    Transport,
)

log = logging.getLogger("lineagegraph.sdk")

Item = tuple[int, str, bytes]  # (spool offset past the record, event id, payload)
_MAX_ASSIGNED = 10_000
_INTERNAL_ATTEMPTS = 5  # a batch-level error that persists is split to find the culprit


@dataclass(frozen=True, slots=True)
class EventError:
    """An event the service refused (final: it is not resent)."""

    event_id: str
    event_type: str
    code: str
    message: str
    field: str | None
    event: dict[str, Any]

    def __str__(self) -> str:
        where = f" (field {self.field})" if self.field else ""
        return f"{self.event_type} {self.event_id}: {self.code}: {self.message}{where}"


def event_id_of(payload: bytes) -> str:
    if payload[:1] in (b"M", b"N"):
        return metrics_record_id(payload)
    start = payload.find(b'"event_id":"')
    if start >= 0:
        start += 12
        return payload[start : payload.index(b'"', start)].decode()
    return str(json.loads(_event_json(payload)).get("event_id", ""))


def _event_json(payload: bytes) -> bytes:
    if payload[:1] in (b"M", b"N"):
        return metrics_json(payload)
    if payload[:1] == b"D":
        return json.dumps(json.loads(payload[1:])["event"]).encode()
    return payload[1:] if payload[:1] == b"A" else payload


def _set_path(doc: Any, path: Sequence[str | int], value: str) -> None:
    for key in path[:-1]:
        doc = doc[key]
    doc[path[-1]] = value


class Backoff:
    """Exponential backoff with jitter: base * 2^n, capped, times a random factor in [0.5, 1]."""

    def __init__(self, base: float = 0.2, cap: float = 30.0) -> None:
        self.base, self.cap, self.attempts = base, cap, 0

    def next_delay(self) -> float:
        delay = min(self.cap, self.base * 2**self.attempts)
        self.attempts += 1
        return float(delay * (0.5 + random.random() / 2))

    def reset(self) -> None:
        self.attempts = 0


class SegmentWriter:
    """What training threads call on a sender, a thread (:class:`Sender`) or a process
    (``_sendproc.ProcessSender``): append to the active segment, ask whether the spool is full,
    count what waits for an answer."""

    spool: Spool
    active: ActiveSegment | None
    append_lock: threading.Lock
    max_batch: int
    others_bytes: int
    orphan_pending: int

    def nudge(self) -> None:
        raise NotImplementedError

    def enqueue(self, framed: bytes) -> None:
        """Append one framed record to the active segment (the sender reads it back from
        there: the file is the queue, in this thread or in a sender process)."""
        with self.append_lock:
            active = self.active
            assert active is not None, "enqueue needs an active segment"
            active.append(framed)
        if len(active.offsets) == self.max_batch:  # a full batch: send now, not at the interval
            self.nudge()

    def make_room(self, active: ActiveSegment, end: int) -> bool:
        """(The append lock held.) Room for a droppable record ending at ``end``: False when the
        spool cap forbids it, else the file is grown if needed and ``active.limit`` moved (the
        hot path's one check). An OSError (disk full) propagates."""
        if active.mapped is None:
            raise OSError("the spool segment is not mapped for writing")
        room = self.spool.max_bytes - self.others_bytes
        if end > room:
            active.limit = min(active.capacity, room)
            return False
        if end > active.capacity:
            active.grow(min(max(end, active.capacity + GROW_BYTES), max(room, end)))
        active.limit = min(active.capacity, room)
        return True

    def grow_ahead(self) -> None:
        """Off the training thread, without the append lock (the capacity only grows, so an
        append never needs to wait for this): keep half a growth step of mapped room ahead of
        the writer, and the limit in step with the spool cap."""
        active = self.active
        if active is None or active.mapped is None:
            return
        room = self.spool.max_bytes - self.others_bytes
        want = min(active.end + GROW_BYTES // 2, room)
        with contextlib.suppress(OSError, ValueError):  # disk full: the call will report it
            self.make_room(active, max(want, active.end))

    def spool_full(self, extra: int) -> bool:
        active = self.active
        used = self.others_bytes + (active.end if active is not None else 0)
        return used + extra > self.spool.max_bytes

    def pending(self) -> int:
        active = self.active
        return (len(active.offsets) if active is not None else 0) + self.orphan_pending


class Sender(SegmentWriter):
    def __init__(
        self,
        transport: Transport,
        spool: Spool,
        *,
        active: ActiveSegment | None,
        max_batch: int,
        max_request_bytes: int,
        flush_interval: float,
        on_error: Callable[[EventError], None] = lambda error: None,
        on_assigned: Callable[[str, str], None] = lambda event_id, ref: None,
        on_warning: Callable[[str], None] = lambda message: None,
        backoff: Backoff | None = None,
        rotate_bytes: int = 64 * 1024**2,
        claim: bool = True,
        owns_active: bool = True,
    ) -> None:
        self.transport = transport
        self.spool = spool
        self.active = active
        self.max_batch = max_batch
        self.max_body = int(max_request_bytes * 0.9)
        self.flush_interval = flush_interval
        self.on_error = on_error
        self.on_assigned = on_assigned
        self.on_warning = on_warning
        self.backoff = backoff or Backoff()
        self.rotate_bytes = rotate_bytes
        self.claim = claim
        self.owns_active = owns_active  # False in a sender process: the parent writes, rotates
        self.others_bytes = 0  # spool bytes outside the active segment (refreshed each cycle)
        self.append_lock = threading.Lock()  # guards active segment writes + queue order
        self.queue: deque[Item] = deque()  # read back from the active segment, not yet answered
        self.orphans: list[Segment] = []
        self._suspect: int | None = None
        self.orphan_pending = 0
        self.busy_segments = 0
        self.sent = 0
        self.rejected = 0
        self.last_error: str | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._abort = threading.Event()  # ends retry waits: used once a flush deadline passed
        self._ready = threading.Event()
        self._progress = threading.Condition()
        self._thread: threading.Thread | None = None

    # --- called from training threads: enqueue, spool_full, pending (SegmentWriter) ---------
    def nudge(self) -> None:
        """Send what is queued now rather than at the next interval."""
        self._wake.set()

    def flush(self, timeout: float) -> int:
        """Wait until everything queued has a final answer; returns how many events remain."""
        deadline = time.monotonic() + max(timeout, 0.0)
        self._ready.wait(max(timeout, 0.0))
        self._wake.set()
        with self._progress:
            while self.pending() and self.alive():
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._wake.set()
                self._progress.wait(min(left, 0.25))
        return self.pending()

    # --- lifecycle --------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="lineagegraph-sender", daemon=True)
        self._thread.start()

    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, join_timeout: float = 5.0) -> None:
        """Stop after the current request; what is unsent stays in the spool."""
        self._stop.set()
        self._abort.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(join_timeout)
        if self.active is not None:
            with self.append_lock, contextlib.suppress(OSError):
                self.active.sync()
                self.active.save_ack()
                if not self.owns_active:
                    self.active.close()  # a sender process: its parent decides about the file
                elif self.active.ack.offset >= self.active.end and not self.alive():
                    self.active.remove()  # everything answered: leave nothing behind
                else:
                    self.active.close()
        for orphan in self.orphans:
            orphan.close()

    def detach(self) -> None:
        """In a forked child: forget the parent's files without touching them."""
        self._stop.set()
        for segment in [self.active, *self.orphans]:
            if segment is not None:
                segment.close()  # closes only the child's copy; the parent keeps its lock
        self.active = None
        self.orphans = []

    def replay_orphans(self) -> None:
        """Claim dead clients' segments and send them, in this thread (``lineage sync``)."""
        self._claim()
        while self.orphans and not self._abort.is_set():
            self._replay_step()

    # --- the thread -------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            if self.claim:
                self._claim()
            self._measure_spool()
        except Exception:
            log.exception("lineagegraph: could not scan the spool for earlier events")
        finally:
            self._ready.set()
        while True:
            try:
                if self.orphans and not self._abort.is_set():
                    self._replay_step()
                    continue
                if not self._send_queue_batch():
                    if self._stop.is_set():
                        return
                    self._wake.wait(self.flush_interval)
                    self._wake.clear()
                    self._measure_spool()
            except Exception:  # the sender must outlive any bug; events stay spooled
                log.exception("lineagegraph: sender error; retrying")
                if self._stop.wait(1.0):
                    return

    def _claim(self) -> None:
        exclude = self.active.path if self.active is not None else None
        self.orphans, self.busy_segments = self.spool.claim_orphans(exclude)
        for segment in self.orphans:
            self.orphan_pending += len(scan(segment.path, segment.ack.offset).records)

    def _measure_spool(self) -> None:
        exclude = self.active.path if self.active is not None else None
        self.others_bytes = self.spool.used_bytes(exclude)
        if self.owns_active:
            self.grow_ahead()

    def _replay_step(self) -> None:
        segment = self.orphans[0]
        found = scan(segment.path, segment.ack.offset, limit=self.max_batch)
        if not found.records:
            self.orphans.pop(0)
            if found.corrupt_at is not None:
                kept = self.spool.quarantine(segment)
                log.warning(
                    "lineagegraph: spool segment damaged at byte %d; unreadable rest kept in %s",
                    found.corrupt_at,
                    kept,
                )
            else:
                if found.torn_bytes:
                    log.warning(
                        "lineagegraph: dropped a torn record (%d bytes) at the end of %s",
                        found.torn_bytes,
                        segment.path.name,
                    )
                segment.remove()
            return
        items = [(end, event_id_of(payload), payload) for end, payload in found.records]
        done = self._send(items, segment)
        self.orphan_pending -= done

    def _tail(self, active: ActiveSegment) -> None:
        """Read what was appended to the active segment since the last look into ``queue``."""
        room = self.max_batch - len(self.queue)
        if room <= 0 or active.fd < 0:
            return
        found = scan(active.path, active.read_to, limit=room, live=True)
        if found.corrupt_at is not None:
            # a record being written can look damaged for an instant: only the same damage
            # seen twice in a row is reported
            if self._suspect == found.corrupt_at:
                log.error("lineagegraph: the active spool segment %s is damaged", active.path)
            self._suspect = found.corrupt_at
        else:
            self._suspect = None
        self.queue.extend((end, event_id_of(payload), payload) for end, payload in found.records)
        if found.records:
            active.read_to = found.valid_end

    def _send_queue_batch(self) -> bool:
        active = self.active
        if active is None:
            return False
        self._tail(active)
        if not self.queue:
            return False
        items = [self.queue[i] for i in range(min(len(self.queue), self.max_batch))]
        active.sync(items[-1][0])  # group commit: one fdatasync for everything to be sent
        done = self._send(items, active)
        for _ in range(done):
            self.queue.popleft()
        if done:
            active.acked(active.ack.offset)
        self._notify()
        self._maybe_rotate()
        return done > 0

    # --- one request ------------------------------------------------------------------------
    def _send(self, items: Sequence[Item], segment: Segment) -> int:
        """Send a prefix of ``items``; returns how many got a final answer (0 when aborted)."""
        ack = segment.ack
        bodies: list[bytes] = []
        ids: list[str] = []
        assigns: set[str] = set()
        local: dict[str, EventResult] = {}
        size = 0
        count = 0
        for _, event_id, payload in items:
            prepared = self._prepare(payload, ack, ids)
            if prepared is None:
                break  # needs a ref that an event in this very batch will assign
            if isinstance(prepared, EventResult):
                local[event_id] = prepared
            else:
                body, wants_ref = prepared
                if bodies and size + len(body) > self.max_body:
                    break
                bodies.append(body)
                ids.append(event_id)
                size += len(body) + 1
                if wants_ref:
                    assigns.add(event_id)
            count += 1
        if count == 0:
            return 0
        results = self._deliver(bodies, ids) if bodies else {}
        if results is None:
            return 0
        results.update(local)
        for _, event_id, payload in items[:count]:
            result = results[event_id]
            if result.ok:
                self.sent += 1
                if result.warning:  # e.g. a deprecated snapshot consumed (policy warn)
                    log.warning("lineagegraph: %s", result.warning)
                    self.on_warning(f"lineagegraph: {result.warning}")
                if event_id in assigns and result.ref:
                    ack.assigned[event_id] = result.ref
                    self.on_assigned(event_id, result.ref)
            else:
                self.rejected += 1
                self._reject(event_id, payload, result)
        if len(ack.assigned) > _MAX_ASSIGNED:
            for key in list(ack.assigned)[: len(ack.assigned) - _MAX_ASSIGNED]:
                del ack.assigned[key]
        ack.offset = items[count - 1][0]
        segment.save_ack()
        return count

    def _prepare(
        self, payload: bytes, ack: AckState, in_batch: list[str]
    ) -> tuple[bytes, bool] | EventResult | None:
        lead = payload[:1]
        if lead == b"N" or lead == b"M":
            return metrics_json(payload), False
        if lead == b"{":
            return payload, False
        if lead == b"A":
            return payload[1:], True
        doc = json.loads(payload[1:])
        event = doc["event"]
        for path, needed in doc["deps"]:
            ref = ack.assigned.get(needed)
            if ref is None:
                if needed in in_batch:
                    return None
                return EventResult(
                    str(event.get("event_id", "")),
                    False,
                    code="DEPENDENCY_FAILED",
                    message=f"needs the ref of event {needed}, which the service did not assign",
                    field=".".join(str(p) for p in path),
                )
            _set_path(event, path, ref)
        return json.dumps(event, separators=(",", ":")).encode(), bool(doc.get("assigns"))

    def _deliver(self, bodies: list[bytes], ids: list[str]) -> dict[str, EventResult] | None:
        """One batch with retries; a batch the service refuses as a whole is split in halves."""
        internal_failures = 0
        while True:
            try:
                results = self.transport.ingest(bodies)
            except BatchRejected as exc:
                return self._split(bodies, ids, exc.code, exc.message, exc.field)
            except TransientError as exc:
                self.last_error = str(exc)
                self._notify()  # a sender process reports the error to its parent
                if str(exc).startswith("INTERNAL"):
                    internal_failures += 1
                    if internal_failures >= _INTERNAL_ATTEMPTS:
                        return self._split(bodies, ids, "INTERNAL", str(exc), None)
                delay = self.backoff.next_delay() * (5 if isinstance(exc, AuthError) else 1)
                if self.backoff.attempts in (1, 5) or self.backoff.attempts % 20 == 0:
                    log.warning(
                        "lineagegraph: service unreachable (%s); %d events spooled, retrying in "
                        "%.1fs",
                        exc,
                        self.pending(),
                        delay,
                    )
                if self._abort.wait(delay):
                    return None
                continue
            self.backoff.reset()
            self.last_error = None
            by_id = {r.event_id: r for r in results}
            for event_id in ids:
                by_id.setdefault(
                    event_id,
                    EventResult(event_id, False, code="NO_RESULT", message="no result returned"),
                )
            return by_id

    def _split(
        self, bodies: list[bytes], ids: list[str], code: str, message: str, field: str | None
    ) -> dict[str, EventResult] | None:
        if len(bodies) == 1:
            return {ids[0]: EventResult(ids[0], False, code=code, message=message, field=field)}
        half = len(bodies) // 2
        first = self._deliver(bodies[:half], ids[:half])
        if first is None:
            return None
        second = self._deliver(bodies[half:], ids[half:])
        if second is None:
            return None
        return first | second

    def _reject(self, event_id: str, payload: bytes, result: EventResult) -> None:
        try:
            event = json.loads(_event_json(payload))
        except ValueError:
            event = {}
        error = EventError(
            event_id,
            str(event.get("type", "?")),
            result.code or "REJECTED",
            result.message or "",
            result.field,
            event,
        )
        log.warning("lineagegraph: the service rejected %s", error)
        self.on_error(error)

    def _notify(self) -> None:
        with self._progress:
            self._progress.notify_all()

    def _maybe_rotate(self) -> None:
        active = self.active
        if active is None or not self.owns_active or active.end < self.rotate_bytes or self.queue:
            return
        with self.append_lock:
            if active.ack.offset < active.end:
                return
            fresh = self.spool.new_segment()
            fresh.ack.assigned = dict(active.ack.assigned)
            fresh.save_ack()
            self.active = fresh
        active.remove()
