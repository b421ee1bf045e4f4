"""Download to a path: verify SHA-256 (and size) while writing, rename into place on success.

The bytes go to a temporary file in the target's directory (same file system, so the final
``os.replace`` is atomic); on any failure, a digest mismatch included, it is deleted and nothing
appears under the target name. An interrupted GET resumes with a Range request; hashing runs in
a helper thread so that it overlaps the network and the disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

import httpx

from lineagegraph.blob_protocol import (
    DigestMismatch,
    DownloadTicket,
    PresignedUrlExpired,
    TransferFailed,
    normalize_digest,
)
from lineagegraph.errors import BadInput, NotFound
from lineagegraph.sdk._hashing import input_file_size, iter_range
from lineagegraph.sdk._progress import PhaseStarter, Progress
from lineagegraph.sdk._s3http import (
    Expired,
    Retryable,
    RetryPolicy,
    TransferStats,
    redact,
    s3_error,
)

CHUNK = 1024**2
_PIPELINE_FROM = 16 * 1024**2  # below this, hashing inline is cheaper than a thread


@dataclass(frozen=True)
class DownloadResult:
    path: Path
    digest: str  # what the bytes hash to (checked against the ticket's digest when it had one)
    size: int
    stats: TransferStats


class _Hasher:
    """SHA-256 fed from the writing thread; with ``threaded`` it hashes in a helper thread
    (hashlib releases the GIL on large buffers, so hashing and I/O overlap)."""

    def __init__(self, threaded: bool) -> None:
        self._sha = hashlib.sha256()
        self._queue: queue.Queue[bytes | None] | None = None
        if threaded:
            self._queue = queue.Queue(maxsize=32)
            self._thread = threading.Thread(target=self._run, name="lineage-hash", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        assert self._queue is not None
        while (block := self._queue.get()) is not None:
            self._sha.update(block)

    def update(self, block: bytes) -> None:
        if self._queue is None:
            self._sha.update(block)
        else:
            self._queue.put(block)

    def hexdigest(self) -> str:
        if self._queue is not None:
            self._queue.put(None)
            self._thread.join()
            self._queue = None
        return self._sha.hexdigest()


def check_target(path: str | os.PathLike[str]) -> Path:
    """The file to write, its directory created; BadInput for a directory."""
    target = Path(path)
    if target.is_dir():
        raise BadInput(f"{target} is a directory: give the file path to write", field="path")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def download_ticket(
    http: httpx.Client,
    ticket: DownloadTicket,
    path: str | os.PathLike[str],
    *,
    refresh: Callable[[], DownloadTicket] | None,
    policy: RetryPolicy,
    phases: PhaseStarter | None = None,
    fsync: bool = False,
) -> DownloadResult:
    target = check_target(path)
    stats = TransferStats()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            threaded = ticket.size is None or ticket.size >= _PIPELINE_FROM
            progress = phases("download", ticket.size or 0) if phases else None
            if urlsplit(ticket.url).scheme == "file":
                hasher, size = _copy_local(ticket, out, threaded, progress, stats)
            else:
                hasher, size = _fetch(http, ticket, out, threaded, progress, refresh, policy, stats)
            if fsync:
                out.flush()
                os.fsync(out.fileno())
        actual = f"sha256:{hasher.hexdigest()}"
        if ticket.size is not None and size != ticket.size:
            raise DigestMismatch(
                f"downloaded {size} bytes, expected {ticket.size}; {target} was not written",
                field="size",
            )
        if ticket.digest is not None and actual != normalize_digest(ticket.digest):
            raise DigestMismatch(
                f"downloaded bytes hash to {actual}, not {ticket.digest}; {target} was not written",
                actual=actual,
            )
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return DownloadResult(target, actual, size, stats)


def _copy_local(
    ticket: DownloadTicket,
    out: BinaryIO,
    threaded: bool,
    progress: Progress | None,
    stats: TransferStats,
) -> tuple[_Hasher, int]:
    source = Path(unquote(urlsplit(ticket.url).path))
    try:
        length = input_file_size(source)
    except BadInput as exc:
        raise NotFound(f"reference {ticket.url}: {exc.message}") from None
    hasher, size = _Hasher(threaded), 0
    for block in iter_range(source, 0, length):
        out.write(block)
        hasher.update(block)
        size += len(block)
        stats.add(bytes_received=len(block))
        if progress is not None:
            progress(len(block))
    return hasher, size


class _Sink:
    """Gathers the transport's small reads into ~1 MiB blocks for the file and the hasher
    (httpx's own re-chunking, ``iter_raw(n)``, costs more than the transfer itself)."""

    def __init__(
        self,
        out: BinaryIO,
        hasher: _Hasher,
        stats: TransferStats,
        progress: Progress | None,
        received: int = 0,
    ) -> None:
        self.out, self.hasher, self.stats, self.progress = out, hasher, stats, progress
        self.received = received
        self._batch: list[bytes] = []
        self._pending = 0

    def add(self, piece: bytes) -> None:
        self._batch.append(piece)
        self._pending += len(piece)
        if self._pending >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self._batch:
            return
        block = self._batch[0] if len(self._batch) == 1 else b"".join(self._batch)
        self._batch.clear()
        self._pending = 0
        self.out.write(block)
        self.hasher.update(block)
        self.received += len(block)
        self.stats.add(bytes_received=len(block))
        if self.progress is not None:
            self.progress(len(block))


def _fetch(
    http: httpx.Client,
    ticket: DownloadTicket,
    out: BinaryIO,
    threaded: bool,
    progress: Progress | None,
    refresh: Callable[[], DownloadTicket] | None,
    policy: RetryPolicy,
    stats: TransferStats,
) -> tuple[_Hasher, int]:
    sink = _Sink(out, _Hasher(threaded), stats, progress)
    last: Exception | None = None
    for attempt in range(policy.attempts):
        headers = dict(ticket.headers)
        if sink.received:
            headers["Range"] = f"bytes={sink.received}-"
        stats.add(requests=1)
        try:
            with http.stream("GET", ticket.url, headers=headers) as response:
                if response.status_code == 416 and ticket.size == sink.received:
                    return sink.hasher, sink.received  # all arrived before the interruption
                if response.status_code not in (200, 206):
                    raise s3_error(response, "download")
                if sink.received and response.status_code == 200:  # Range ignored: start over
                    out.seek(0)
                    out.truncate()
                    sink.hasher.hexdigest()
                    if progress is not None:
                        progress(-sink.received)
                    sink = _Sink(out, _Hasher(threaded), stats, progress)
                try:
                    for piece in response.iter_raw():
                        sink.add(piece)
                finally:
                    sink.flush()  # what arrived is good: a retry resumes after it
            return sink.hasher, sink.received
        except Expired as exc:
            last = exc
            if refresh is None:
                raise PresignedUrlExpired(
                    f"the download URL for {redact(ticket.url)} has expired: ask for a new one"
                ) from None
            ticket = refresh()
        except httpx.TransportError as exc:
            last = Retryable(f"download: {type(exc).__name__}")
            policy.pause(attempt)
        except Retryable as exc:
            last = exc
            policy.pause(attempt)
        stats.add(retries=1)
    if isinstance(last, Expired):
        raise PresignedUrlExpired(f"the download URL kept expiring: {last}")
    raise TransferFailed(f"download failed {policy.attempts} times; last: {last}")
