"""``lineage gc`` asks Neo4j what is referenced: a blob any artifact node names (by digest or by its
blob uri, PENDING included) is never removed, also while registrations race the collection."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import neo4j
import pytest
from minio import Minio

from lineagegraph.blobs.gc import TIMESTAMP_RESOLUTION
from lineagegraph.blobs.references import graph_references, referenced_digests
from lineagegraph.blobs.store import BlobStore
from lineagegraph.cli.main import main as lineage_main
from lineagegraph.config import Settings, secret
from lineagegraph.graph.catalog import Catalog
from lineagegraph.graph.store import GraphStore
from lineagegraph.models import ArtifactRegistered, RunStarted
from lineagegraph.sdk._transfer import Transfers
from tests.conftest import run_service
from tests.integration._blob_helpers import abort_all_uploads, random_file
from tests.integration.api_helpers import GraphQL, code_of

GRACE = timedelta(seconds=1)


@pytest.fixture
def store(settings: Settings, s3: Minio) -> Iterator[BlobStore]:
    yield BlobStore.open(settings, s3)
    abort_all_uploads(s3, settings.s3_bucket)


def _upload(store: BlobStore, tmp_path: Path, count: int, seed: int) -> list[str]:
    digests = []
    with Transfers(store) as transfers:
        for i in range(count):
            path = tmp_path / f"b{seed}-{i}.bin"
            random_file(path, 1500 + i, seed=seed + i)
            digests.append(transfers.upload(path).blob.digest)
    return digests


def _register(graph: GraphStore, **artifact: Any) -> None:
    event = ArtifactRegistered.model_validate({"type": "artifact_registered", "artifact": artifact})
    (result,) = graph.apply_events([event])
    assert result.ok, result


def _env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    values = {
        "LINEAGE_NEO4J_URI": settings.neo4j_uri,
        "LINEAGE_NEO4J_PASSWORD": secret(settings.neo4j_password) or "",
        "LINEAGE_S3_ENDPOINT": settings.s3_endpoint,
        "LINEAGE_S3_ACCESS_KEY": secret(settings.s3_access_key) or "",
        "LINEAGE_S3_SECRET_KEY": secret(settings.s3_secret_key) or "",
        "LINEAGE_S3_BUCKET": settings.s3_bucket,
    }
    for name, value in values.items():
        if value:
            monkeypatch.setenv(name, value)
        else:
            monkeypatch.delenv(name, raising=False)


def test_lineage_gc_keeps_every_blob_the_graph_references(
    store: BlobStore,
    settings: Settings,
    clean_graph: neo4j.Driver,
    catalog: Catalog,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    by_digest, by_uri, pending, garbage = _upload(store, tmp_path, 4, seed=300)
    graph = GraphStore(clean_graph, settings.neo4j_database, catalog)
    storage = f"s3://{settings.s3_bucket}"
    _register(
        graph,
        kind="MODEL",
        name="m",
        version="1",
        digest=by_digest,
        uri=store.uri_of(by_digest),
        storage=storage,
    )
    _register(
        graph, kind="MODEL", name="ref", version="1", uri=store.uri_of(by_uri), is_reference=True
    )  # no digest: only the uri names the blob
    _register(
        graph,
        kind="DATASET_SNAPSHOT",
        name="d",
        version="1",
        digest=pending,
        uri=store.uri_of(pending),
        storage=storage,
        status="PENDING",
    )
    assert referenced_digests(
        clean_graph,
        settings.neo4j_database,
        catalog,
        settings.s3_bucket,
        [by_digest, by_uri, pending, garbage],
    ) == {by_digest, by_uri, pending}
    time.sleep((GRACE + TIMESTAMP_RESOLUTION).total_seconds() + 0.3)
    _env(monkeypatch, settings)

    argv = ["gc", "--older-than", "1s", "--allow-short-grace"]
    assert lineage_main([*argv, "--dry-run"]) == 0
    dry = capsys.readouterr().out
    assert f"would remove {garbage}" in dry
    assert "would remove 1 blobs" in dry
    assert all(store.stat(d) is not None for d in (by_digest, by_uri, pending, garbage))

    assert lineage_main(argv) == 0
    out = capsys.readouterr().out
    assert f"removed {garbage}" in out
    assert "kept 3 referenced" in out
    assert store.stat(garbage) is None
    assert all(store.stat(d) is not None for d in (by_digest, by_uri, pending))

    assert lineage_main(["gc"]) == 0  # the default 24 h grace: nothing is old enough
    assert "removed 0 blobs" in capsys.readouterr().out


def test_registrations_racing_collections_never_lose_a_registered_blob(
    store: BlobStore,
    settings: Settings,
    clean_graph: neo4j.Driver,
    catalog: Catalog,
    tmp_path: Path,
):
    """Old, unclaimed blobs; one thread registers them through the service (graph only, no
    upload) while collections with the graph as the reference source run back to back. Every
    artifact the graph reports AVAILABLE keeps its blob; a registration that lost the race is
    PENDING (its blob was gone), never AVAILABLE without bytes."""
    digests = _upload(store, tmp_path, 24, seed=400)
    time.sleep((GRACE + TIMESTAMP_RESOLUTION).total_seconds() + 0.3)
    referenced = graph_references(clean_graph, settings.neo4j_database, catalog, store.bucket)
    done = threading.Event()
    statuses: dict[str, str] = {}
    busy = [0]
    with run_service(settings) as live, httpx.Client(timeout=30) as http:
        gql = GraphQL(http, live.url)

        def register_all() -> None:
            try:
                for i, digest in enumerate(digests):
                    for _ in range(50):
                        body = gql.raw(
                            "mutation($input: RegisterModelInput!) "
                            "{ registerModel(input: $input) { status } }",
                            input={
                                "name": f"m{i}",
                                "version": "1",
                                "digest": digest,
                                "uri": store.uri_of(digest),
                                "storage": store.storage,
                            },
                        )
                        if body.get("errors"):
                            assert code_of(body["errors"][0]) == "UNAVAILABLE", body
                            busy[0] += 1  # a collection held the blob: retry
                            time.sleep(0.01)
                            continue
                        statuses[digest] = body["data"]["registerModel"]["status"]
                        break
            finally:
                done.set()

        worker = threading.Thread(target=register_all)
        worker.start()
        removed: set[str] = set()
        runs = 0
        while not done.is_set() or runs < 2:
            report = store.collect_garbage(referenced, GRACE)
            removed |= {b.digest for b in report.removed}
            runs += 1
        worker.join()
    assert set(statuses) == set(digests)
    for digest in digests:
        present = store.stat(digest) is not None
        if statuses[digest] == "AVAILABLE":
            assert present, f"{digest} is AVAILABLE in the graph but its blob was removed"
        else:
            assert statuses[digest] == "PENDING"
            assert digest in removed
    # every collection after the last registration found them all referenced
    final = store.collect_garbage(referenced, GRACE)
    assert final.removed == []
    print(f"{runs} collections, {len(removed)} removed first, {busy[0]} busy retries")


def test_lineage_gc_keeps_the_stored_diff_of_a_dirty_run(
    store: BlobStore,
    settings: Settings,
    clean_graph: neo4j.Driver,
    catalog: Catalog,
    tmp_path: Path,
):
    """A dirty checkout's diff is a blob named only by the run's code.diff_ref, not by an artifact
    node; collection must keep it all the same."""
    diff, garbage = _upload(store, tmp_path, 2, seed=500)
    graph = GraphStore(clean_graph, settings.neo4j_database, catalog)
    started = RunStarted.model_validate(
        {
            "type": "run_started",
            "run_id": str(uuid.uuid4()),
            "name": "dirty",
            "provenance": {"code": {"commit": "a" * 40, "dirty": True, "diff_ref": diff}},
        }
    )
    (result,) = graph.apply_events([started])
    assert result.ok, result
    assert referenced_digests(
        clean_graph, settings.neo4j_database, catalog, settings.s3_bucket, [diff, garbage]
    ) == {diff}
