"""Files kept in the spool for the blob store, uploaded by a background thread.

- The diff of a dirty checkout (``code.diff_ref``): ``start_run`` keeps it in
  ``<spool>/diffs/<sha256>.patch`` (provenance.keep_diff) and never waits for the network.
- An artifact file that could not be uploaded when it was registered (the service or S3
  unreachable): the registration is spooled at once as PENDING with its digest ("bytes to
  follow"; the service gives it its blob address), and the bytes wait in
  ``<spool>/uploads/<sha256>.blob`` (a hard link to the file, or a copy across filesystems)
  until the upload's commit makes the artifact AVAILABLE (:func:`keep_upload`).

A background thread uploads what those folders hold through the client's blob service, retrying
with backoff, and deletes each file once the blob store has it. What a process leaves behind
(service down, killed) is uploaded by the next client on the same spool or by ``lineage sync``.
The blobs are content-addressed: ``lineage artifact get <digest> out`` or
``client.download(digest_or_ref, path)`` fetches them back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lineagegraph.blob_protocol import DigestMismatch
from lineagegraph.sdk._hashing import sha256_file
from lineagegraph.sdk.sender import Backoff

if TYPE_CHECKING:
    from lineagegraph.blob_protocol import BlobInfo

log = logging.getLogger("lineagegraph.sdk")

Upload = Callable[[Path, str | None, str | None], "BlobInfo"]
MEDIA_TYPE = "text/x-diff"


def diffs_dir(spool_dir: Path) -> Path:
    return spool_dir / "diffs"


def uploads_dir(spool_dir: Path) -> Path:
    return spool_dir / "uploads"


def pending_kept(spool_dir: Path) -> list[Path]:
    """Every kept file waiting for the blob store: diffs, then artifact files."""
    return sorted(diffs_dir(spool_dir).glob("*.patch")) + sorted(
        uploads_dir(spool_dir).glob("*.blob")
    )


def keep_upload(spool_dir: Path, path: Path) -> tuple[str, int, Path]:
    """Keep ``path``'s bytes for a later upload: (digest, size, kept file). A hard link when the
    spool is on the same filesystem (no copy of a 500 MB model), else a copy; hashed after it
    is taken, so the digest is that of the bytes that will be uploaded."""
    folder = uploads_dir(spool_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    taken = folder / f".{os.getpid()}.{threading.get_ident()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        taken.unlink()
    try:
        os.link(path, taken)
    except OSError:
        shutil.copyfile(path, taken)
    try:
        digest, size = sha256_file(taken)
        kept = folder / (digest.removeprefix("sha256:") + ".blob")
        os.replace(taken, kept)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            taken.unlink()
        raise
    return digest, size, kept


def upload_one(path: Path, upload: Upload) -> bool:
    """Upload one kept file and delete it; False when it could not be uploaded now."""
    media_type = MEDIA_TYPE if path.suffix == ".patch" else None
    try:
        upload(path, media_type, "sha256:" + path.stem)
    except FileNotFoundError:
        return True  # another process on this spool uploaded and removed it
    except DigestMismatch as exc:  # a hard-linked file rewritten in place: never provable
        log.error("lineagegraph: %s changed after it was kept (%s); dropped", path, exc)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        return True
    except Exception as exc:  # the network, the service, a damaged file: try again later
        log.debug("lineagegraph: could not upload the diff %s yet: %s", path.name, exc)
        return False
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return True


def upload_pending(spool_dir: Path, upload: Upload) -> tuple[int, int]:
    """Upload every kept file once (``lineage sync``): (uploaded, still waiting)."""
    done = left = 0
    for path in pending_kept(spool_dir):
        if upload_one(path, upload):
            done += 1
        else:
            left += 1
    return done, left


class KeptUploads:
    """One daemon thread per client, started on the first diff to send."""

    def __init__(self, spool_dir: Path, upload: Upload, backoff: Backoff | None = None) -> None:
        self.spool_dir = spool_dir
        self.upload = upload
        self.backoff = backoff or Backoff(0.5, 60.0)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="lineagegraph-kept", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            waiting = [p for p in pending_kept(self.spool_dir) if not upload_one(p, self.upload)]
            if self._stop.is_set():
                return
            if waiting:
                self._stop.wait(self.backoff.next_delay())
                continue
            self.backoff.reset()
            self._wake.wait()

    def wait_idle(self, timeout: float) -> bool:
        """True once no kept file waits (tests; a bounded wait at close)."""
        deadline = threading.Event()
        for _ in range(max(1, int(timeout / 0.05))):
            if not pending_kept(self.spool_dir):
                return True
            deadline.wait(0.05)
        return not pending_kept(self.spool_dir)

    def stop(self, timeout: float = 1.0) -> None:
        """Stop the thread (an upload under way may finish within ``timeout``); kept files wait
        for the next client or ``lineage sync``."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
