"""Digest cache: a file's SHA-256 remembered by its metadata, as git's index and DVC's state do.

Re-uploading an unchanged file would otherwise cost a full hash pass just to learn that the
service stores it already. An entry is keyed by ``(st_dev, st_ino)`` and only trusted while
``st_size``, ``st_mtime_ns`` and ``st_ctime_ns`` are what they were when the file was hashed: a
file rewritten in place changes its mtime and ctime (ctime cannot be set back by ``touch``), so
it misses. It does trust file metadata: a tool that rewrites bytes and restores mtime and ctime
(only possible by changing the clock) would get the old digest. Turn it off with
``LINEAGE_DIGEST_CACHE=false``.

"Racy" files are not remembered: when the file changed less than ``racy_seconds`` before it was
hashed, a rewrite within the file system's timestamp granularity could keep the same mtime and
ctime, so such a digest is used once and not stored (git's racy-clean rule).

Stored in SQLite (stdlib, crash safe, safe across processes), at most ``max_entries`` rows (the
least recently used go). A cache that cannot be read (corrupt, locked, on a read-only disk) is
ignored with one warning: the file is then hashed, never failed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("lineagegraph.sdk")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS digests (
    dev INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    digest TEXT NOT NULL,
    used_at REAL NOT NULL,
    PRIMARY KEY (dev, ino)
)
"""


@dataclass(frozen=True)
class FileKey:
    dev: int
    ino: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, info: os.stat_result) -> FileKey:
        return cls(info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


class DigestCache:
    def __init__(
        self, path: str | os.PathLike[str], *, racy_seconds: float = 1.0, max_entries: int = 20_000
    ) -> None:
        self.path = Path(path)
        self.racy_ns = int(racy_seconds * 1e9)
        self.max_entries = max_entries
        self.hits = self.misses = 0  # lookups answered / not (this object, for tests and benches)
        self._warned = False

    @classmethod
    def from_settings(cls, settings: object) -> DigestCache | None:
        """The cache the settings ask for (``digest_cache``, ``digest_cache_path``; by default
        ``digests.sqlite3`` beside the spool directory), or None when turned off."""
        if not getattr(settings, "digest_cache", True):
            return None
        path = getattr(settings, "digest_cache_path", None)
        if path is None:
            spool = getattr(settings, "spool_dir", None)
            if spool is None:
                return None
            path = Path(spool).parent / "digests.sqlite3"
        return cls(path)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=2.0, isolation_level=None)
        try:
            db.execute(_SCHEMA)
            yield db
        finally:
            db.close()

    def _ignore(self, exc: Exception) -> None:
        if not self._warned:
            self._warned = True
            log.warning("digest cache %s not used (%s): files are hashed", self.path, exc)

    def get(self, key: FileKey) -> str | None:
        """The digest remembered for exactly this file version, or None."""
        found = self._get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def _get(self, key: FileKey) -> str | None:
        try:
            with self._db() as db:
                row = db.execute(
                    "SELECT size, mtime_ns, ctime_ns, digest FROM digests WHERE dev=? AND ino=?",
                    (key.dev, key.ino),
                ).fetchone()
                if row is None or tuple(row[:3]) != (key.size, key.mtime_ns, key.ctime_ns):
                    return None
                db.execute(
                    "UPDATE digests SET used_at=? WHERE dev=? AND ino=?",
                    (time.time(), key.dev, key.ino),
                )
        except (sqlite3.Error, OSError) as exc:
            self._ignore(exc)
            return None
        digest = row[3]
        if not isinstance(digest, str) or not digest.startswith("sha256:") or len(digest) != 71:
            return None
        return digest

    def put(self, key: FileKey, digest: str, *, hashed_from_ns: int) -> bool:
        """Remember ``digest`` for this file version; ``hashed_from_ns`` is when hashing began
        (``time.time_ns()``). False when not stored (a racy file, or the cache unusable)."""
        if hashed_from_ns - max(key.mtime_ns, key.ctime_ns) < self.racy_ns:
            return False
        try:
            with self._db() as db:
                db.execute(
                    "INSERT OR REPLACE INTO digests VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (key.dev, key.ino, key.size, key.mtime_ns, key.ctime_ns, digest, time.time()),
                )
                db.execute(
                    "DELETE FROM digests WHERE rowid IN (SELECT rowid FROM digests "
                    "ORDER BY used_at DESC LIMIT -1 OFFSET ?)",
                    (self.max_entries,),
                )
        except sqlite3.DatabaseError as exc:
            if not isinstance(exc, sqlite3.OperationalError):  # corrupt: start a new one
                self._ignore(exc)
                with contextlib.suppress(OSError):
                    self.path.unlink()
            else:
                self._ignore(exc)
            return False
        except (sqlite3.Error, OSError) as exc:
            self._ignore(exc)
            return False
        return True
