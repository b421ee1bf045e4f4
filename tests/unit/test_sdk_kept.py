"""Files kept in the spool for the blob store (a dirty checkout's diff; artifact bytes registered
while the service was unreachable): uploaded in the background with
retries, deleted once stored; what is left waits for the next client or ``lineage sync``."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

from lineagegraph.sdk import provenance
from lineagegraph.sdk._kept import KeptUploads, pending_kept, upload_pending
from lineagegraph.sdk.sender import Backoff


class FlakyBlobs:
    """Fails the first ``failures`` uploads, then stores by digest."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.stored: dict[str, bytes] = {}
        self.calls = 0
        self.done = threading.Event()

    def upload(self, path: Path, media_type: str | None, declared: str | None) -> object:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("the service is down")
        data = path.read_bytes()
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        assert declared == digest
        assert media_type == "text/x-diff"
        self.stored[digest] = data
        self.done.set()
        return object()


def test_a_kept_diff_is_uploaded_after_failures_then_removed(tmp_path):
    kept = provenance.keep_diff(tmp_path, b"diff --git a/x b/x\n+1\n")
    blobs = FlakyBlobs(failures=2)
    uploads = KeptUploads(tmp_path, blobs.upload, Backoff(0.01, 0.02))
    uploads.submit()
    assert blobs.done.wait(10)
    assert uploads.wait_idle(5)
    uploads.stop()
    assert blobs.calls == 3
    assert blobs.stored == {"sha256:" + kept.stem: b"diff --git a/x b/x\n+1\n"}
    assert pending_kept(tmp_path) == []


def test_what_cannot_be_uploaded_stays_for_lineage_sync(tmp_path):
    provenance.keep_diff(tmp_path, b"one")
    provenance.keep_diff(tmp_path, b"two")
    assert upload_pending(tmp_path, FlakyBlobs(failures=99).upload) == (0, 2)
    assert len(pending_kept(tmp_path)) == 2
    blobs = FlakyBlobs()
    assert upload_pending(tmp_path, blobs.upload) == (2, 0)
    assert sorted(blobs.stored.values()) == [b"one", b"two"]
    assert pending_kept(tmp_path) == []


def test_a_stopped_uploader_leaves_the_diff_in_place(tmp_path):
    provenance.keep_diff(tmp_path, b"later")
    uploads = KeptUploads(tmp_path, FlakyBlobs(failures=99).upload, Backoff(5, 5))
    uploads.submit()
    assert not uploads.wait_idle(0.2)
    uploads.stop(1.0)
    uploads.submit()  # ignored once stopped
    assert len(pending_kept(tmp_path)) == 1


def test_kept_artifact_bytes_are_linked_or_copied_named_by_digest_and_uploaded(
    tmp_path, monkeypatch
):
    """keep_upload (a registration while the service is unreachable): a hard link where it can,
    a copy where linking fails; either way named by the digest of the kept bytes, and sent by
    the same uploader as diffs (no media type), then removed."""
    import os

    from lineagegraph.sdk._kept import keep_upload, upload_one

    source = tmp_path / "model.bin"
    source.write_bytes(b"weights" * 1000)
    digest = "sha256:" + hashlib.sha256(source.read_bytes()).hexdigest()
    spool = tmp_path / "spool"
    got, size, linked = keep_upload(spool, source)
    assert (got, size) == (digest, 7000)
    assert linked.name == digest[7:] + ".blob"
    assert linked.stat().st_ino == source.stat().st_ino  # a link, not a copy
    linked.unlink()

    def no_link(src: object, dst: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(os, "link", no_link)
    _, _, copied = keep_upload(spool, source)
    assert copied.stat().st_ino != source.stat().st_ino
    assert copied.read_bytes() == source.read_bytes()
    assert pending_kept(spool) == [copied]

    sent: list[tuple[str | None, str | None]] = []
    assert upload_one(copied, lambda path, media, declared: sent.append((media, declared)))
    assert sent == [(None, digest)]
    assert not copied.exists()


def test_kept_bytes_that_no_longer_match_their_digest_are_dropped(tmp_path):
    """A hard-linked file rewritten in place can never be proven: reported and dropped, not
    retried for ever."""
    from lineagegraph.blob_protocol import DigestMismatch
    from lineagegraph.sdk._kept import keep_upload, upload_one

    source = tmp_path / "model.bin"
    source.write_bytes(b"v1")
    _, _, kept = keep_upload(tmp_path / "spool", source)

    def refuse(path: Path, media: str | None, declared: str | None) -> object:
        raise DigestMismatch("hashes to something else", actual="sha256:" + "0" * 64)

    assert upload_one(kept, refuse)
    assert not kept.exists()
