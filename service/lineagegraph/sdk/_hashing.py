"""SHA-256 of files, CRC32 of file ranges, read in chunks (never a whole file in memory)."""

from __future__ import annotations

import hashlib
import os
import stat
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from lineagegraph.errors import BadInput

CHUNK = 4 * 1024**2
HASH_CHUNK = 8 * 1024**2  # fewer, larger updates: the hash pass is what a dedup hit costs
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


def crc32_range(path: str | os.PathLike[str], offset: int, length: int) -> tuple[int, int]:
    """(CRC32, bytes read) of one range: the checksum S3 checks for a multipart part."""
    crc, count = 0, 0
    for block in iter_range(path, offset, length):
        crc = zlib.crc32(block, crc)
        count += len(block)
    return crc, count
