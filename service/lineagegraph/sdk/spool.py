"""The local write-ahead spool: every event is on disk before the sender tries to deliver it.

Layout of ``spool_dir``: one append-only segment ``<client>-<seq>.wal`` per client process at a
time, locked (``flock``) by the process writing it, and beside it ``<segment>.ack`` holding the
offset up to which the service has answered every event (plus the refs the service assigned).

Segment format (``LGSPOOL2``, what this version writes): the 8-byte magic, then frames
``<u32 length><u32 checksum><payload>`` (little endian), each padded with zeros to a multiple of 8
bytes. The checksum is the payload's CRC-32, or its Adler-32 when the length word's top bit
(``ADLER32_FLAG``) is set: the training loop's metrics records use Adler-32, which needs no lookup
tables: right after a NumPy step has pushed everything out of the CPU caches, CRC-32's tables
cost ~2-3 us per call and Adler-32 about nothing (bench: crc 7.6 -> adler 4.8 us for the whole
record write after a 1 ms step). Both catch the torn and zeroed tails this format guards against.
The file is pre-sized (``posix_fallocate``, grown in chunks of up to 1 MiB) and memory mapped
by the writer: a log call copies its payload into the map, then stores the frame's header as one
aligned 8-byte word, with no system call. The page cache outlives the process, so a
record whose call returned survives SIGKILL; the sender's ``fdatasync`` (group commit, never in
the training thread) makes it survive the machine too. A zero header is the end of the data.

Torn versus corrupt, for a zero-filled tail:

- A zero header with only zeros after it: the clean end.
- A zero header with non-zero bytes after it and no valid frame in the next MiB: the writer died
  after copying a payload but before storing its header (the call never returned): a torn tail,
  dropped with a warning. A valid frame behind it means a header was lost in the middle: corrupt.
- A bad frame (checksum, or a length running past the file) followed by nothing but zeros: a torn
  tail. A bad frame with non-zero data behind it: corrupt.

Corrupt segments are kept as ``.corrupt`` after replaying what precedes the damage. Segments of
the older append-only format (``LGSPOOL1``: no padding, the file's end is the data's end) are
still read: a bad last frame is a torn tail, a bad frame with data behind it corruption.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import mmap
import os
import secrets
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

log = logging.getLogger("lineagegraph.sdk")

MAGIC = b"LGSPOOL1"  # the older append-only format: read, no longer written
MAGIC_MAPPED = b"LGSPOOL2"  # pre-sized, memory mapped, zero header = end of the data
DATA_START = 8  # both magics are 8 bytes
_FRAME = struct.Struct("<II")
#: a frame header as one little-endian word (``length | checksum << 32``): one aligned store
HEAD = struct.Struct("<Q")
MAX_RECORD_BYTES = 64 * 1024**2
#: set in a mapped frame's length word: the checksum is Adler-32, not CRC-32
ADLER32_FLAG = 1 << 31
SEGMENT_SUFFIX = ".wal"
ACK_SUFFIX = ".ack"
PAGE = mmap.PAGESIZE
GROW_BYTES = 1024**2  # a mapped segment grows by this much at most at a time
_SEARCH_BYTES = 1024**2  # how far past a zero header a lost header's successor is looked for


def _checks(word: int, check: int, payload: bytes) -> bool:
    """Whether a mapped frame's payload matches its checksum (the kind the length word names)."""
    if word & ADLER32_FLAG:
        return zlib.adler32(payload) == check
    return zlib.crc32(payload) == check


def frame(payload: bytes) -> bytes:
    return _FRAME.pack(len(payload), zlib.crc32(payload)) + payload


def framed_size(payload_len: int) -> int:
    """Bytes a payload takes in a mapped segment: the 8-byte header, the payload, zero padding
    to a multiple of 8 (so every header is an aligned word)."""
    return (payload_len + 15) & ~7


def _round_pages(n: int) -> int:
    return -(-n // PAGE) * PAGE


@dataclass
class ScanResult:
    """What reading a segment found: records from the start offset, and where reading stopped."""

    records: list[tuple[int, bytes]]  # (offset just past the record, payload)
    valid_end: int
    torn_bytes: int = 0  # bytes of an incomplete tail record, dropped
    corrupt_at: int | None = None  # offset of a bad frame with more data behind it


def scan(path: Path, start: int = 0, limit: int | None = None, *, live: bool = False) -> ScanResult:
    """Read records from ``start`` (0 means just after the magic), at most ``limit`` of them.
    ``live``: the writer is alive (the sender tailing its segment): a zero header is simply
    where the data ends for now, without looking at what lies behind it."""
    with path.open("rb") as fh:
        magic = fh.read(DATA_START)
        if magic == MAGIC_MAPPED:
            return _scan_mapped(fh, max(start, DATA_START), limit, live)
        if magic != MAGIC:
            return ScanResult([], 0, corrupt_at=0)
        offset = max(start, DATA_START)
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


def _scan_mapped(fh: BinaryIO, offset: int, limit: int | None, live: bool) -> ScanResult:
    size = os.fstat(fh.fileno()).st_size
    fh.seek(offset)
    records: list[tuple[int, bytes]] = []
    unpack = _FRAME.unpack
    while offset + _FRAME.size <= size and (limit is None or len(records) < limit):
        word, check = unpack(fh.read(_FRAME.size))
        if word == 0 and check == 0:
            if live:
                return ScanResult(records, offset)
            return _zero_header(fh, records, offset, size)
        length = word & ~ADLER32_FLAG
        step = framed_size(length)
        if length > MAX_RECORD_BYTES or offset + _FRAME.size + length > size:
            return _bad_mapped_frame(fh, records, offset, offset + _FRAME.size, size)
        payload = fh.read(step - _FRAME.size)[:length]
        if not _checks(word, check, payload):
            return _bad_mapped_frame(fh, records, offset, offset + step, size)
        offset += step
        records.append((offset, payload))
    return ScanResult(records, offset)


def _last_nonzero(fh: BinaryIO, start: int, size: int) -> int:
    """Offset just past the last non-zero byte in [start, size), or ``start`` if all zero."""
    last = start
    fh.seek(start)
    at = start
    while at < size:
        chunk = fh.read(min(4 * 1024**2, size - at))
        if not chunk:
            break
        kept = len(chunk.rstrip(b"\0"))
        if kept:
            last = at + kept
        at += len(chunk)
    return last


def _zero_header(
    fh: BinaryIO, records: list[tuple[int, bytes]], offset: int, size: int
) -> ScanResult:
    last = _last_nonzero(fh, offset, size)
    if last == offset:
        return ScanResult(records, offset)  # the clean end
    fh.seek(offset + _FRAME.size)
    window = fh.read(min(_SEARCH_BYTES, size - offset - _FRAME.size))
    for at in range(0, len(window) - _FRAME.size + 1, 8):
        word, check = _FRAME.unpack_from(window, at)
        length = word & ~ADLER32_FLAG
        start = at + _FRAME.size
        if (
            length
            and start + length <= len(window)
            and _checks(word, check, window[start : start + length])
        ):
            return ScanResult(records, offset, corrupt_at=offset)  # a header lost in the middle
    return ScanResult(records, offset, torn_bytes=last - offset)


def _bad_mapped_frame(
    fh: BinaryIO, records: list[tuple[int, bytes]], offset: int, after: int, size: int
) -> ScanResult:
    last = _last_nonzero(fh, min(after, size), size)
    if last <= after:  # nothing but zeros behind it: a torn write
        return ScanResult(records, offset, torn_bytes=max(min(after, size), last) - offset)
    return ScanResult(records, offset, corrupt_at=offset)


@dataclass
class AckState:
    """Offset up to which every event got a final answer, and the refs the service assigned."""

    offset: int = DATA_START
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
    """The segment this client appends to (its writer maps it: ``mapped``); a sender process
    opens the same file without mapping it, to read and sync it. Appends happen under the
    writer's ``append_lock``."""

    def __init__(self, path: Path, fd: int, *, end: int | None = None) -> None:
        super().__init__(path, fd, AckState())
        if end is None:
            end = scan(path).valid_end
        self.end = end
        self.synced = end
        self.read_to = DATA_START  # the sender has read the records up to here
        #: ends of the records written by this process and not yet answered (its pending count)
        self.offsets: deque[int] = deque()
        self.mapped: mmap.mmap | None = None
        self.capacity = 0  # bytes of the file (and of the map)
        #: appends that end at or below this need no growth and fit the spool cap (the hot
        #: path's only check; the writer's ``make_room`` moves it)
        self.limit = 0
        self._grow_lock = threading.Lock()

    def map(self, capacity: int) -> None:
        """Map the (already pre-sized) file for writing."""
        self.mapped = mmap.mmap(
            self.fd, capacity, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE
        )
        self.capacity = self.limit = capacity
        self._populate(0, capacity)

    def _populate(self, start: int, length: int) -> None:
        """Have the kernel bring the (zero) pages into the page cache now, in the background,
        so the training loop's first write to a page is a minor fault. Not MADV_POPULATE_WRITE:
        it holds the GIL while faulting, and the first fdatasync write-protects the pages again."""
        if length > 0 and hasattr(os, "posix_fadvise"):
            with contextlib.suppress(OSError):
                os.posix_fadvise(self.fd, start, length, os.POSIX_FADV_WILLNEED)

    def grow(self, capacity: int) -> None:
        """Pre-size the file to ``capacity`` bytes (blocks allocated: writing the map can never
        hit a full disk) and extend the map; an OSError (disk full) leaves both as they were.
        Any thread may call it: appends need not wait (the capacity only grows)."""
        with self._grow_lock:
            capacity = _round_pages(capacity)
            old = self.capacity
            if capacity <= old or self.mapped is None:
                return
            os.posix_fallocate(self.fd, old, capacity - old)
            self.mapped.resize(capacity)
            self.capacity = capacity
            self._populate(old, capacity - old)

    def append(self, framed: bytes) -> int:
        """Write one framed record (``frame()``; the caller holds the writer's append lock),
        growing the file as needed (metrics go through the writer's ``make_room``, which grows
        in large steps within the spool cap): the payload first, then its header as one word."""
        at = self.end
        length = len(framed) - _FRAME.size
        end = at + framed_size(length)
        if end > self.capacity:  # lineage events past the cap: only what they need
            self.grow(end)
        mapped = self.mapped
        if mapped is None:
            raise OSError("the spool segment is not mapped for writing")
        mapped[at + _FRAME.size : at + _FRAME.size + length] = memoryview(framed)[_FRAME.size :]
        HEAD.pack_into(mapped, at, HEAD.unpack_from(framed)[0])
        self.end = end
        self.offsets.append(end)
        return end

    def acked(self, offset: int) -> None:
        """Everything up to ``offset`` has a final answer: no longer pending."""
        offsets = self.offsets
        while offsets and offsets[0] <= offset:
            offsets.popleft()

    def sync(self, upto: int | None = None) -> None:
        end = self.end if upto is None else upto
        if end > self.synced and self.fd >= 0:
            os.fdatasync(self.fd)  # the map's dirty pages too (one page cache on Linux)
            self.synced = end

    def close(self) -> None:
        if self.mapped is not None:
            self.mapped.close()  # unmaps this process's view only; the data is in the file
            self.mapped = None
        super().close()


class Spool:
    """The spool directory: creates this client's segments and claims those of dead clients."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.client_id = f"{int(time.time() * 1000):013d}-{os.getpid()}-{secrets.token_hex(4)}"
        self._seq = 0
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def first_capacity(self) -> int:
        return _round_pages(min(GROW_BYTES, max(self.max_bytes, PAGE)))

    def new_segment(self) -> ActiveSegment:
        """Create, pre-size, lock and map a fresh segment; the lock is taken before the name
        becomes visible."""
        self._seq += 1
        name = f"{self.client_id}-{self._seq:06d}{SEGMENT_SUFFIX}"
        tmp = self.directory / (name + ".new")
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        capacity = self.first_capacity()
        try:
            _lock(fd)  # fresh file: nobody else can hold it
            os.posix_fallocate(fd, 0, capacity)
            os.pwrite(fd, MAGIC_MAPPED, 0)
            path = self.directory / name
            os.replace(tmp, path)
        except OSError:
            os.close(fd)
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        segment = ActiveSegment(path, fd, end=DATA_START)
        segment.map(capacity)
        return segment

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

    def used_bytes(self, exclude: Path | None = None) -> int:
        """Bytes of the segment files on disk (pre-sized ones count whole)."""
        total = 0
        for path in self.directory.glob(f"*{SEGMENT_SUFFIX}"):
            if path == exclude:
                continue
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
