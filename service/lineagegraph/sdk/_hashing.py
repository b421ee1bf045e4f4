"""SHA-256 of files, CRC32 of file ranges, read in chunks (never a whole file in memory)."""

from __future__ import annotations

import hashlib
import os
import queue
import stat
import threading
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from lineagegraph.errors import BadInput

CHUNK = 4 * 1024**2
HASH_CHUNK = 1024**2  # fits the L2 cache: measured 500 MiB, 6 rounds, 0.355 s CPU vs 0.377 at 8 MiB
Progress = Callable[[int], None]


def input_file_size(path: str | os.PathLike[str]) -> int:
    """The size of a regular file we may read, or a BadInput saying what is wrong with it."""
    where = Path(path)
    try:
        info = where.stat()
    except FileNotFoundError:
        raise BadInput(f"no such file: {where}", field="path") from None
    except PermissionError:
        raise BadInput(f"not allowed to read {where}", field="path") from None
    if stat.S_ISDIR(info.st_mode):
        raise BadInput(
            f"{where} is a directory: upload files one at a time (or archive the directory)",
            field="path",
        )
    if not stat.S_ISREG(info.st_mode):
        raise BadInput(f"{where} is not a regular file", field="path")
    if not os.access(where, os.R_OK):
        raise BadInput(f"not allowed to read {where}", field="path")
    return info.st_size


def iter_range(
    path: str | os.PathLike[str], offset: int, length: int, chunk: int = CHUNK
) -> Iterator[bytes]:
    """The bytes [offset, offset+length) in chunks; stops early if the file got shorter."""
    with open(path, "rb", buffering=0) as handle:
        handle.seek(offset)
        left = length
        while left > 0:
            block = handle.read(min(chunk, left))
            if not block:
                return
            left -= len(block)
            yield block


def sha256_file(path: str | os.PathLike[str], progress: Progress | None = None) -> tuple[str, int]:
    """One pass over the file: (``sha256:<hex>``, bytes read)."""
    hasher, count = hashlib.sha256(), 0
    buffer = bytearray(HASH_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as handle:
        while True:
            n = handle.readinto(buffer)
            if not n:
                break
            hasher.update(view[:n])
            count += n
            if progress is not None:
                progress(n)
    return f"sha256:{hasher.hexdigest()}", count


def sha256_and_part_crcs(
    path: str | os.PathLike[str], part_size: int | None, progress: Progress | None = None
) -> tuple[str, int, list[int]]:
    """One read of the file: (``sha256:<hex>``, bytes read, CRC32 of each ``part_size`` range).

    The CRC32s (what S3 checks on each multipart part) are computed in a helper thread from the
    same blocks while this thread hashes (hashlib and zlib release the GIL on large buffers), so
    a multipart upload needs no second read per part before sending it. ``part_size`` None:
    SHA-256 only.
    """
    if part_size is None:
        digest, count = sha256_file(path, progress)
        return digest, count, []
    hasher, count = hashlib.sha256(), 0
    crcs: list[int] = []
    blocks: queue.Queue[bytes | None] = queue.Queue(maxsize=4)

    def crc_worker() -> None:
        crc, filled = 0, 0
        while (block := blocks.get()) is not None:
            view, start = memoryview(block), 0
            while start < len(view):
                take = min(part_size - filled, len(view) - start)
                crc = zlib.crc32(view[start : start + take], crc)
                filled += take
                start += take
                if filled == part_size:
                    crcs.append(crc)
                    crc, filled = 0, 0
        if filled:
            crcs.append(crc)

    worker = threading.Thread(target=crc_worker, name="lineage-crc", daemon=True)
    worker.start()
    try:
        with open(path, "rb", buffering=0) as handle:
            while block := handle.read(HASH_CHUNK):
                blocks.put(block)
                hasher.update(block)
                count += len(block)
                if progress is not None:
                    progress(len(block))
    finally:
        blocks.put(None)
        worker.join()
    return f"sha256:{hasher.hexdigest()}", count, crcs


def crc32_range(path: str | os.PathLike[str], offset: int, length: int) -> tuple[int, int]:
    """(CRC32, bytes read) of one range: the checksum S3 checks for a multipart part."""
    crc, count = 0, 0
    for block in iter_range(path, offset, length):
        crc = zlib.crc32(block, crc)
        count += len(block)
    return crc, count
