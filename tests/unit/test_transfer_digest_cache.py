"""Digest cache (sdk/_digest_cache.py) and the one-pass SHA-256 + part CRC32 hash."""

from __future__ import annotations

import hashlib
import os
import time
import zlib
from pathlib import Path

import pytest

from lineagegraph.config import load_settings
from lineagegraph.sdk._digest_cache import DigestCache, FileKey
from lineagegraph.sdk._hashing import sha256_and_part_crcs


def _sha(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def _aged(path: Path, data: bytes, cache: DigestCache) -> FileKey:
    """Write ``data`` and wait until it is older than the cache's racy window."""
    path.write_bytes(data)
    time.sleep(cache.racy_ns / 1e9 + 0.02)
    return FileKey.of(path.stat())


def test_hit_for_the_same_file_version(tmp_path: Path) -> None:
    cache = DigestCache(tmp_path / "c" / "digests.sqlite3", racy_seconds=0.05)
    file = tmp_path / "a.bin"
    key = _aged(file, b"hello", cache)
    assert cache.get(key) is None
    assert cache.put(key, _sha(b"hello"), hashed_from_ns=time.time_ns())
    assert cache.get(FileKey.of(file.stat())) == _sha(b"hello")
    # another process (a new cache object on the same file) sees it too
    again = DigestCache(cache.path, racy_seconds=0.05)
    assert again.get(FileKey.of(file.stat())) == _sha(b"hello")


def test_rewritten_or_touched_file_misses(tmp_path: Path) -> None:
    cache = DigestCache(tmp_path / "digests.sqlite3", racy_seconds=0.05)
    file = tmp_path / "a.bin"
    key = _aged(file, b"AAAA", cache)
    assert cache.put(key, _sha(b"AAAA"), hashed_from_ns=time.time_ns())
    file.write_bytes(b"BBBB")  # same size, same inode, rewritten in place
    assert FileKey.of(file.stat()).ino == key.ino
    assert cache.get(FileKey.of(file.stat())) is None
    # touched back to the old mtime: ctime still moved on
    os.utime(file, ns=(key.mtime_ns, key.mtime_ns))
    touched = FileKey.of(file.stat())
    assert touched.mtime_ns == key.mtime_ns
    assert cache.get(touched) is None


def test_racy_file_is_not_remembered(tmp_path: Path) -> None:
    cache = DigestCache(tmp_path / "digests.sqlite3", racy_seconds=5.0)
    file = tmp_path / "a.bin"
    file.write_bytes(b"fresh")
    key = FileKey.of(file.stat())
    assert not cache.put(key, _sha(b"fresh"), hashed_from_ns=time.time_ns())
    assert cache.get(key) is None


def test_corrupt_cache_file_is_ignored_then_replaced(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "digests.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    cache = DigestCache(path, racy_seconds=0.05)
    file = tmp_path / "a.bin"
    key = _aged(file, b"x", cache)
    assert cache.get(key) is None  # no exception
    assert not cache.put(key, _sha(b"x"), hashed_from_ns=time.time_ns())
    assert "digest cache" in caplog.text
    fresh = DigestCache(path, racy_seconds=0.05)  # the corrupt file was removed: works again
    assert fresh.put(key, _sha(b"x"), hashed_from_ns=time.time_ns())
    assert fresh.get(key) == _sha(b"x")


def test_garbage_digest_in_cache_is_not_trusted(tmp_path: Path) -> None:
    cache = DigestCache(tmp_path / "digests.sqlite3", racy_seconds=0.05)
    file = tmp_path / "a.bin"
    key = _aged(file, b"x", cache)
    assert cache.put(key, "not-a-digest", hashed_from_ns=time.time_ns())
    assert cache.get(key) is None


def test_cache_stays_small(tmp_path: Path) -> None:
    cache = DigestCache(tmp_path / "digests.sqlite3", racy_seconds=0.0, max_entries=3)
    for ino in range(10):
        key = FileKey(1, ino, 1, 0, 0)
        assert cache.put(key, _sha(b"%d" % ino), hashed_from_ns=time.time_ns())
    kept = [ino for ino in range(10) if cache.get(FileKey(1, ino, 1, 0, 0))]
    assert kept == [7, 8, 9]


def test_settings_turn_it_off_or_place_it(tmp_path: Path) -> None:
    assert DigestCache.from_settings(load_settings(digest_cache=False)) is None
    spooled = DigestCache.from_settings(load_settings(spool_dir=tmp_path / "spool"))
    assert spooled is not None
    assert spooled.path == tmp_path / "digests.sqlite3"
    placed = DigestCache.from_settings(load_settings(digest_cache_path=tmp_path / "d.db"))
    assert placed is not None
    assert placed.path == tmp_path / "d.db"


@pytest.mark.parametrize("size", [0, 1, 5 * 1024**2, 5 * 1024**2 + 7, 23 * 1024**2 + 3])
def test_one_pass_sha256_and_part_crcs(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    file = tmp_path / "f.bin"
    file.write_bytes(data)
    part = 5 * 1024**2
    seen: list[int] = []
    digest, count, crcs = sha256_and_part_crcs(file, part, seen.append)
    assert (digest, count, sum(seen)) == (_sha(data), size, size)
    assert crcs == [zlib.crc32(data[i : i + part]) for i in range(0, size, part)]
    assert sha256_and_part_crcs(file, None) == (_sha(data), size, [])


def test_a_client_uses_the_cache_its_own_settings_choose(tmp_path: Path) -> None:
    from lineagegraph.sdk import Client
    from lineagegraph.sdk.testing import FakeService

    def client(spool: str, **settings: object) -> Client:
        return Client(
            settings=load_settings(
                url="http://fake.invalid", spool_dir=tmp_path / spool, **settings
            ),
            transport=FakeService().transport(),
            handle_sigterm=False,
            blobs=object(),  # type: ignore[arg-type]  # never called: only the cache is looked at
        )

    off = client("a", digest_cache=False)
    placed = client("b", digest_cache_path=tmp_path / "mine.db")
    try:
        assert off._blobs is not None
        assert off._blobs._digest_cache is False
        assert placed._blobs is not None
        chosen = placed._blobs._digest_cache
        assert isinstance(chosen, DigestCache)
        assert chosen.path == tmp_path / "mine.db"
    finally:
        off.close(1)
        placed.close(1)
