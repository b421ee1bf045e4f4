"""Garbage collection removes unreferenced old blobs and stale uploads, and never a blob that a
registration (concurrent or not) references or has just claimed."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Collection, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from minio import Minio

from lineagegraph.blob_protocol import BeginUpload, BlobBusy
from lineagegraph.blobs.claims import put_tombstone, remove_key
from lineagegraph.blobs.gc import TIMESTAMP_RESOLUTION, collect_garbage, references_from
from lineagegraph.blobs.keys import CLAIM_PREFIX, blob_key
from lineagegraph.blobs.store import BlobStore
from lineagegraph.config import Settings
from lineagegraph.sdk._s3http import RetryPolicy
from lineagegraph.sdk._transfer import Transfers
from tests.integration._blob_helpers import (
    MIB,
    abort_all_uploads,
    blob_store,
    keys,
    pending_uploads,
    random_file,
)

GRACE = timedelta(seconds=1)


@pytest.fixture
def store(base_settings: Settings, bucket: str, s3: Minio) -> Iterator[BlobStore]:
    yield blob_store(
        base_settings, bucket, s3, multipart_threshold=5 * MIB, multipart_part_size=5 * MIB
    )
    abort_all_uploads(s3, bucket)


def _files(tmp_path: Path, count: int, size: int = 2000) -> list[tuple[Path, str]]:
    out = []
    for i in range(count):
        path = tmp_path / f"f{i}.bin"
        out.append((path, random_file(path, size, seed=100 + i)))
    return out


def _age_past_grace() -> None:
    time.sleep((GRACE + TIMESTAMP_RESOLUTION).total_seconds() + 0.3)


def test_dry_run_lists_then_the_real_run_removes(store: BlobStore, s3: Minio, tmp_path: Path):
    (kept, kept_digest), (garbage, garbage_digest) = _files(tmp_path, 2)
    with Transfers(store) as transfers:
        transfers.upload(kept)
        transfers.upload(garbage)
    stale = store.begin_upload(BeginUpload(digest="sha256:" + "5" * 64, size=6 * MIB))
    assert stale.state == "multipart"
    _age_past_grace()
    young_path = tmp_path / "young.bin"
    young_digest = random_file(young_path, 1000, seed=7)
    with Transfers(store) as transfers:
        transfers.upload(young_path)
    referenced = references_from([kept_digest])

    before = keys(s3, store.bucket)
    dry = store.collect_garbage(referenced, GRACE, dry_run=True)
    assert [b.digest for b in dry.removed] == [garbage_digest]
    assert dry.bytes_freed == 2000
    assert [u.upload_id for u in dry.aborted] == [stale.upload_id]
    assert dry.kept_referenced == 1
    assert dry.kept_recent == 1
    assert keys(s3, store.bucket) == before  # a dry run changes nothing
    assert len(pending_uploads(s3, store.bucket)) == 1

    real = store.collect_garbage(referenced, GRACE)
    assert [b.digest for b in real.removed] == [garbage_digest]
    assert [u.upload_id for u in real.aborted] == [stale.upload_id]
    assert real.removed_claims >= 3  # the old claims of the three early uploads
    assert keys(s3, store.bucket, "blobs/") == sorted(
        [blob_key(kept_digest), blob_key(young_digest)]
    )
    assert pending_uploads(s3, store.bucket) == []
    assert store.stat(kept_digest) is not None
    assert keys(s3, store.bucket, "tombstones/") == []


def test_a_listing_floored_to_the_second_does_not_age_a_blob(store: BlobStore, tmp_path: Path):
    """versitygw lists LastModified in whole seconds: a blob listed at 12:00:00 may have landed
    at 12:00:00.9. Collected 0.9 s after the listed time plus the grace, it may be younger than
    the grace, so it stays."""
    ((path, digest),) = _files(tmp_path, 1)
    with Transfers(store) as transfers:
        transfers.upload(path)
    listed = store.client.stat_object(store.bucket, blob_key(digest)).last_modified
    assert listed is not None
    assert listed.microsecond == 0
    almost = listed + GRACE + timedelta(milliseconds=900)
    report = collect_garbage(store.client, store.bucket, references_from([]), GRACE, now=almost)
    assert report.removed == []
    assert report.kept_recent == 1
    later = listed + GRACE + TIMESTAMP_RESOLUTION + timedelta(milliseconds=100)
    report = collect_garbage(store.client, store.bucket, references_from([]), GRACE, now=later)
    assert [b.digest for b in report.removed] == [digest]


def test_a_recent_claim_protects_an_unreferenced_blob(store: BlobStore, tmp_path: Path):
    ((path, digest),) = _files(tmp_path, 1)
    with Transfers(store) as transfers:
        transfers.upload(path)
        _age_past_grace()
        again = transfers.upload(path)  # dedup hit: a client is about to register it
    assert again.deduplicated
    report = store.collect_garbage(references_from([]), GRACE)
    assert report.removed == []
    assert report.kept_recent == 1
    assert store.stat(digest) is not None


def test_a_registration_during_the_collection_keeps_the_blob(
    store: BlobStore, s3: Minio, tmp_path: Path
):
    """The first reference check says "unreferenced"; while the collector goes on, a client
    dedups and registers that very blob; the re-check before the delete sees it."""
    (path, digest), (_, other) = _files(tmp_path, 2)
    with Transfers(store) as transfers:
        transfers.upload(path)
        transfers.upload(tmp_path / "f1.bin")
    _age_past_grace()
    registered: set[str] = set()

    def register() -> None:
        with Transfers(store) as client:
            assert client.upload(path).deduplicated
        registered.add(digest)

    def referenced(batch: Collection[str]) -> set[str]:
        snapshot = registered.intersection(batch)
        if len(batch) > 1:  # the listing pass: the race starts right after it
            worker = threading.Thread(target=register)
            worker.start()
            worker.join()
        return snapshot

    report = store.collect_garbage(referenced, GRACE)
    assert report.kept_on_recheck == [digest]
    assert [b.digest for b in report.removed] == [other]
    assert store.stat(digest) is not None
    assert keys(s3, store.bucket, "tombstones/") == []


def test_a_graph_only_registration_during_the_collection_keeps_the_blob(
    store: BlobStore, tmp_path: Path
):
    ((path, digest),) = _files(tmp_path, 1)
    with Transfers(store) as transfers:
        transfers.upload(path)
    _age_past_grace()
    calls: list[int] = []

    def referenced(batch: Collection[str]) -> set[str]:
        calls.append(len(batch))
        return set(batch) if len(calls) > 1 else set()  # registered between the two checks

    report = store.collect_garbage(referenced, GRACE)
    assert calls == [1, 1]
    assert report.kept_on_recheck == [digest]
    assert store.stat(digest) is not None


def test_uploads_wait_while_a_collection_holds_the_blob(
    store: BlobStore, s3: Minio, tmp_path: Path
):
    ((path, digest),) = _files(tmp_path, 1)
    with Transfers(store) as transfers:
        transfers.upload(path)
    tombstone = put_tombstone(s3, store.bucket, digest, "test-run")
    with pytest.raises(BlobBusy):
        store.begin_upload(BeginUpload(digest=digest, size=2000))
    lifted = threading.Timer(0.4, remove_key, args=(s3, store.bucket, tombstone))
    lifted.start()
    with Transfers(store, retry=RetryPolicy(attempts=6, backoff_seconds=0.1)) as transfers:
        result = transfers.upload(path)  # retries BlobBusy until the tombstone is gone
    lifted.join()
    assert result.deduplicated


def test_concurrent_uploads_and_collections_never_lose_a_registered_blob(
    store: BlobStore, s3: Minio, tmp_path: Path
):
    files = _files(tmp_path, 12)
    with Transfers(store) as transfers:
        for path, _ in files:
            transfers.upload(path)
    _age_past_grace()
    wanted, untouched = files[:8], files[8:]
    registered: set[str] = set()
    lock = threading.Lock()
    failures: list[BaseException] = []

    def client(seed: int) -> None:
        order = list(wanted)
        random.Random(seed).shuffle(order)
        try:
            with Transfers(store, retry=RetryPolicy(attempts=20, backoff_seconds=0.02)) as t:
                for path, digest in order:
                    result = t.upload(path)  # dedup, or a fresh upload if it was collected
                    assert result.blob.digest == digest
                    with lock:
                        registered.add(digest)  # the graph write follows the upload
                    time.sleep(0.01)
        except BaseException as exc:
            failures.append(exc)

    def referenced(batch: Collection[str]) -> set[str]:
        with lock:
            return registered.intersection(batch)

    clients = [threading.Thread(target=client, args=(seed,)) for seed in range(3)]
    for thread in clients:
        thread.start()
    runs = 0
    while any(thread.is_alive() for thread in clients) or runs < 3:
        store.collect_garbage(referenced, GRACE)
        runs += 1
    for thread in clients:
        thread.join()
    assert failures == []
    _age_past_grace()
    store.collect_garbage(referenced, GRACE)

    assert registered == {digest for _, digest in wanted}
    for digest in registered:
        assert store.stat(digest) is not None, f"registered blob {digest} was collected"
    for _, digest in untouched:
        assert store.stat(digest) is None
    assert keys(s3, store.bucket, "tombstones/") == []
    assert keys(s3, store.bucket, CLAIM_PREFIX) == []  # all older than the grace: cleaned up
