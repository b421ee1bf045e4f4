"""The diff of a dirty checkout, stored in the blob store by its SHA-256 (``code.diff_ref``).

``start_run`` keeps the diff in ``<spool>/diffs/<sha256>.patch`` (provenance.keep_diff) and never
waits for the network: a background thread uploads what that folder holds through the client's
blob service, retrying with backoff, and deletes each file once the blob store has it. What a
process leaves behind (service down, killed) is uploaded by the next client on the same spool or
by ``lineage sync``. The blob is content-addressed: ``lineage artifact get <diff_ref> run.patch``
or ``client.download(diff_ref, path)`` fetches it back.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from lineagegraph.sdk.sender import Backoff

if TYPE_CHECKING:
    from lineagegraph.blob_protocol import BlobInfo

log = logging.getLogger("lineagegraph.sdk")

Upload = Callable[[Path, str | None, str | None], "BlobInfo"]
MEDIA_TYPE = "text/x-diff"


def diffs_dir(spool_dir: Path) -> Path:
    return spool_dir / "diffs"


def pending_diffs(spool_dir: Path) -> list[Path]:
    return sorted(diffs_dir(spool_dir).glob("*.patch"))


def upload_one(path: Path, upload: Upload) -> bool:
    """Upload one kept diff and delete it; False when it could not be uploaded now."""
    try:
        upload(path, MEDIA_TYPE, "sha256:" + path.stem)
    except FileNotFoundError:
        return True  # another process on this spool uploaded and removed it
    except Exception as exc:  # the network, the service, a damaged file: try again later
        log.debug("lineagegraph: could not upload the diff %s yet: %s", path.name, exc)
        return False
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    return True


def upload_pending(spool_dir: Path, upload: Upload) -> tuple[int, int]:
    """Upload every kept diff once (``lineage sync``): (uploaded, still waiting)."""
    done = left = 0
    for path in pending_diffs(spool_dir):
        if upload_one(path, upload):
            done += 1
        else:
            left += 1
    return done, left


class DiffUploads:
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
                    target=self._run, name="lineagegraph-diffs", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            waiting = [p for p in pending_diffs(self.spool_dir) if not upload_one(p, self.upload)]
            if self._stop.is_set():
                return
            if waiting:
                self._stop.wait(self.backoff.next_delay())
                continue
            self.backoff.reset()
            self._wake.wait()

    def wait_idle(self, timeout: float) -> bool:
        """True once no kept diff waits (tests; a bounded wait at close)."""
        deadline = threading.Event()
        for _ in range(max(1, int(timeout / 0.05))):
            if not pending_diffs(self.spool_dir):
                return True
            deadline.wait(0.05)
        return not pending_diffs(self.spool_dir)

    def stop(self, timeout: float = 1.0) -> None:
        """Stop the thread (an upload under way may finish within ``timeout``); kept diffs wait
        for the next client or ``lineage sync``."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
