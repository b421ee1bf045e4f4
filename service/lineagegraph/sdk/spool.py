"""The local write-ahead spool: every event is on disk before the sender tries to deliver it.

Layout of ``spool_dir``: one append-only segment ``<client>-<seq>.wal`` per client process at a
time, locked (``flock``) by the process writing it, and beside it ``<segment>.ack`` holding the
offset up to which the service has answered every event (plus the refs the service assigned).

Segment format: the 8-byte magic ``LGSPOOL1``, then records ``<u32 length><u32 crc32><payload>``
(little endian). A record whose frame runs past the end of the file, or whose checksum does not
match as the last frame, is a torn tail (a write cut short by a crash): it is dropped. A bad
frame followed by more data is corruption: the segment is kept as ``.corrupt`` for inspection.

Writes from the training thread are plain ``write(2)`` calls (they survive a crash of the
process); ``fdatasync`` happens in the sender thread (group commit), so training never waits on
the disk.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import struct
import time
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("lineagegraph.sdk")

MAGIC = b"LGSPOOL1"
_FRAME = struct.Struct("<II")
MAX_RECORD_BYTES = 64 * 1024**2
SEGMENT_SUFFIX = ".wal"
ACK_SUFFIX = ".ack"


def frame(payload: bytes) -> bytes:
    return _FRAME.pack(len(payload), zlib.crc32(payload)) + payload


@dataclass
class ScanResult:
    """What reading a segment found: records from the start offset, and where reading stopped."""

    records: list[tuple[int, bytes]]  # (offset just past the record, payload)
    valid_end: int
    torn_bytes: int = 0  # bytes of an incomplete tail record, dropped
    corrupt_at: int | None = None  # offset of a bad frame with more data behind it


def scan(path: Path, start: int = 0, limit: int | None = None) -> ScanResult:
    """Read records from ``start`` (0 means just after the magic), at most ``limit`` of them."""
    with path.open("rb") as fh:
        data_start = len(MAGIC)
        if fh.read(data_start) != MAGIC:
            return ScanResult([], 0, corrupt_at=0)
        offset = max(start, data_start)
        fh.seek(offset)
        size = os.fstat(fh.fileno()).st_size
        records: list[tuple[int, bytes]] = []
        while offset < size and (limit is None or len(records) < limit):
            header = fh.read(_FRAME.size)
            if len(header) < _FRAME.size:
                return ScanResult(records, offset, torn_bytes=size - offset)
            length, crc = _FRAME.unpack(header)
            end = offset + _FRAME.size + length
            if length > MAX_RECORD_BYTES:
                return _bad_frame(records, offset, end, size)
            payload = fh.read(length)
            if len(payload) < length:
                return ScanResult(records, offset, torn_bytes=size - offset)
            if zlib.crc32(payload) != crc:
                return _bad_frame(records, offset, end, size)
            offset = end
            records.append((offset, payload))
        return ScanResult(records, offset)


def _bad_frame(records: list[tuple[int, bytes]], offset: int, end: int, size: int) -> ScanResult:
    if end >= size:  # the last frame: a torn write, not damage in the middle
        return ScanResult(records, offset, torn_bytes=size - offset)
    return ScanResult(records, offset, corrupt_at=offset)


@dataclass
class AckState:
    """Offset up to which every event got a final answer, and the refs the service assigned."""

    offset: int = len(MAGIC)
    assigned: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> AckState:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(int(raw["offset"]), {str(k): str(v) for k, v in raw["assigned"].items()})
        except FileNotFoundError:
            return cls()
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("unreadable spool ack file %s: replaying its segment from the start", path)
            return cls()

    def save(self, path: Path) -> None:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps({"offset": self.offset, "assigned": self.assigned}), "utf-8")
        os.replace(tmp, path)  # a lost ack only means a replay, which the service dedups


def _lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class Segment:
    """A segment file this process holds the lock on: its own active one, or a claimed orphan."""

    def __init__(self, path: Path, fd: int, ack: AckState) -> None:
        self.path = path
        self.fd = fd
        self.ack = ack
        self.end = os.fstat(fd).st_size

    @property
    def ack_path(self) -> Path:
        return self.path.with_name(self.path.name + ACK_SUFFIX)

    def save_ack(self) -> None:
        self.ack.save(self.ack_path)

    def remove(self) -> None:
        """Delete a fully acknowledged segment with its ack file, then drop the lock."""
        for victim in (self.ack_path, self.path):
            with contextlib.suppress(FileNotFoundError):
                victim.unlink()
        self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class ActiveSegment(Segment):
    """The segment this client appends to. ``append`` is called from any thread."""

    def __init__(self, path: Path, fd: int) -> None:
        super().__init__(path, fd, AckState())
        self.synced = self.end
        self.read_to = len(MAGIC)  # the sender has read the records up to here
        #: ends of the records written by this process and not yet answered (its pending count)
        self.offsets: deque[int] = deque()

    def append(self, framed: bytes) -> int:
        """Write one framed record (the caller holds the sender's append lock)."""
        os.write(self.fd, framed)
        self.end += len(framed)
        self.offsets.append(self.end)
        return self.end

    def acked(self, offset: int) -> None:
        """Everything up to ``offset`` has a final answer: no longer pending."""
        offsets = self.offsets
        while offsets and offsets[0] <= offset:
            offsets.popleft()

    def sync(self, upto: int | None = None) -> None:
        end = self.end if upto is None else upto
        if end > self.synced and self.fd >= 0:
            os.fdatasync(self.fd)
            self.synced = end


class Spool:
    """The spool directory: creates this client's segments and claims those of dead clients."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.client_id = f"{int(time.time() * 1000):013d}-{os.getpid()}-{secrets.token_hex(4)}"
        self._seq = 0
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def new_segment(self) -> ActiveSegment:
        """Create and lock a fresh segment; the lock is taken before the name becomes visible."""
        self._seq += 1
        name = f"{self.client_id}-{self._seq:06d}{SEGMENT_SUFFIX}"
        tmp = self.directory / (name + ".new")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        _lock(fd)  # fresh file: nobody else can hold it
        os.write(fd, MAGIC)
        path = self.directory / name
        os.replace(tmp, path)
        return ActiveSegment(path, fd)

    def segment_paths(self) -> list[Path]:
        return sorted(self.directory.glob(f"*{SEGMENT_SUFFIX}"))

    def claim_orphans(self, exclude: Path | None = None) -> tuple[list[Segment], int]:
        """Lock every segment no live process holds, oldest first; also count busy ones."""
        claimed: list[Segment] = []
        busy = 0
        for path in self.segment_paths():
            if path == exclude:
                continue
            try:
                fd = os.open(path, os.O_RDWR)
            except FileNotFoundError:
                continue  # its owner finished and removed it meanwhile
            if not _lock(fd):
                os.close(fd)
                busy += 1
                continue
            if not path.exists():  # removed between open and lock
                os.close(fd)
                continue
            segment = Segment(path, fd, AckState.load(path.with_name(path.name + ACK_SUFFIX)))
            claimed.append(segment)
        return claimed, busy

    def used_bytes(self) -> int:
        total = 0
        for path in self.directory.glob(f"*{SEGMENT_SUFFIX}"):
            with contextlib.suppress(FileNotFoundError):
                total += path.stat().st_size
        return total

    def quarantine(self, segment: Segment) -> Path:
        """Keep a damaged segment for inspection, out of the replay path."""
        target = segment.path.with_suffix(".corrupt")
        os.replace(segment.path, target)
        with contextlib.suppress(FileNotFoundError):
            segment.ack_path.unlink()
        segment.close()
        return target


def iter_batches(segment: Segment, batch: int) -> Iterator[ScanResult]:
    """Records of a claimed segment past its ack offset, ``batch`` at a time."""
    offset = segment.ack.offset
    while True:
        result = scan(segment.path, offset, limit=batch)
        yield result
        if not result.records:
            return
        offset = result.valid_end
