"""Blob transfer benchmark: our SDK path against the minio SDK's own fput_object/fget_object.

    .venv/bin/python -m bench.blob_bench --size-mb 500

By default (``--via service``) starts a throw-away stack from deploy/local (Neo4j + versitygw) and
the service (``lineage serve``, a separate process), and the SDK side goes the way training code
does: GraphQL to the service (beginUpload, presignUploadParts, commitUpload, downloadUrl), bytes
straight to S3. ``--via store`` calls the BlobStore in-process instead (S3 only; with
``--endpoint/--access-key/--secret-key`` against an S3 of your choice). Times, on the same server
and the same file (in the page cache for every contender):

- upload: minio ``fput_object`` vs ``Transfers.upload`` (hash pass, plan, presigned parts in
  parallel, commit with the service's SHA-256 read-back: the time until the blob is *verified*);
- download: minio ``fget_object`` vs ``Transfers.download`` (presigned GET, SHA-256 checked while
  writing, atomic rename);
- dedup: a second ``Transfers.upload`` of the same content (hash only, no byte sent).

Each is run ``--repeat`` times (alternating contenders) and the best time kept. Both sides use
the same part size. Targets: SDK >= 0.9x raw; dedup >= 10x faster than the first upload.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from minio import Minio

from lineagegraph.blobs.keys import blob_key
from lineagegraph.blobs.s3 import ensure_bucket, open_s3
from lineagegraph.blobs.store import BlobStore
from lineagegraph.config import Settings, load_settings
from lineagegraph.sdk._graphql_blobs import GraphQLBlobService
from lineagegraph.sdk._service import BlobService
from lineagegraph.sdk._transfer import Transfers, UploadResult

MIB = 1024**2


@dataclass(frozen=True)
class Endpoint:
    url: str
    access_key: str
    secret_key: str


@dataclass(frozen=True)
class Servers:
    s3: Endpoint
    service_url: str | None  # None: --via store


def _cache() -> Path:
    default_cache = Path(__file__).resolve().parents[1] / ".cache"
    return Path(os.environ.get("LINEAGE_CACHE_DIR", default_cache))


@contextlib.contextmanager
def servers(args: argparse.Namespace, workdir: Path, tuning: dict[str, str]) -> Iterator[Servers]:
    if args.via == "store":
        with s3_endpoint(args, workdir) as endpoint:
            yield Servers(endpoint, None)
        return
    from bench.sdk_overhead import process, wait_http
    from lineagegraph.cli._localstack import stack_module

    mod = stack_module()
    with mod.throwaway_stack(workdir / "stack", _cache()) as stack:
        creds = stack.credentials
        endpoint = Endpoint(stack.s3.endpoint, creds.s3_access_key, creds.s3_secret_key)
        port = mod.free_port()
        env = {
            "LINEAGE_PORT": str(port),
            "LINEAGE_NEO4J_URI": stack.neo4j.uri,
            "LINEAGE_NEO4J_PASSWORD": creds.neo4j_password or "",
            "LINEAGE_S3_ENDPOINT": endpoint.url,
            "LINEAGE_S3_ACCESS_KEY": endpoint.access_key,
            "LINEAGE_S3_SECRET_KEY": endpoint.secret_key,
            "LINEAGE_LOG_LEVEL": "warning",
            **tuning,
        }
        if not env["LINEAGE_NEO4J_PASSWORD"]:
            del env["LINEAGE_NEO4J_PASSWORD"]
        cmd = [sys.executable, "-m", "lineagegraph.cli.main", "serve"]
        with process(cmd, workdir / "service.log", env):
            url = f"http://127.0.0.1:{port}"
            wait_http(url + "/readyz")
            yield Servers(endpoint, url)


@contextlib.contextmanager
def s3_endpoint(args: argparse.Namespace, workdir: Path) -> Iterator[Endpoint]:
    if args.endpoint:
        yield Endpoint(args.endpoint, args.access_key, args.secret_key)
        return
    from lineagegraph.cli._localstack import stack_module

    mod = stack_module()
    server = mod.S3Server(
        workdir / "s3",
        mod.free_port(),
        "bench" + secrets.token_hex(4),
        secrets.token_urlsafe(24),
        _cache(),
    )
    server.start()
    try:
        yield Endpoint(server.endpoint, server.access_key, server.secret_key)
    finally:
        server.stop()


def make_file(path: Path, size: int) -> None:
    block = os.urandom(8 * MIB)
    with path.open("wb") as out:
        left, n = size, 0
        while left:
            # vary every block so nothing downstream could dedup or compress it
            chunk = (n.to_bytes(8, "little") + block[8:])[: min(len(block), left)]
            out.write(chunk)
            left -= len(chunk)
            n += 1


def run(args: argparse.Namespace) -> int:
    size = args.size_mb * MIB
    workdir = Path(tempfile.mkdtemp(prefix="lineage-blob-bench-", dir=args.workdir))
    free = shutil.disk_usage(workdir).free
    if free < 4 * size + 1024 * MIB:
        print(
            f"not enough disk in {workdir}: {free // MIB} MiB free, need ~{4 * size // MIB}",
            file=sys.stderr,
        )
        return 1
    bucket = f"bench-{secrets.token_hex(4)}"
    tuning = {
        "LINEAGE_S3_BUCKET": bucket,
        "LINEAGE_MULTIPART_PART_SIZE": str(args.part_mb * MIB),
        "LINEAGE_MULTIPART_THRESHOLD": str(args.part_mb * MIB),
        "LINEAGE_MAX_ARTIFACT_SIZE": str(max(size, 1)),
    }
    try:
        with servers(args, workdir, tuning) as running:
            endpoint = running.s3
            settings: Settings = load_settings(
                s3_endpoint=endpoint.url,
                s3_access_key=endpoint.access_key,
                s3_secret_key=endpoint.secret_key,
                s3_bucket=bucket,
                multipart_part_size=args.part_mb * MIB,
                multipart_threshold=args.part_mb * MIB,
                max_artifact_size=max(size, 1),
            )
            client = open_s3(settings)
            ensure_bucket(client, settings.s3_bucket)
            service: BlobService
            if running.service_url is None:
                service = BlobStore.open(settings, client)
            else:
                service = GraphQLBlobService(running.service_url)
            return _measure(args, settings, client, workdir, size, service)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _measure(
    args: argparse.Namespace,
    settings: Settings,
    client: Minio,
    workdir: Path,
    size: int,
    service: BlobService,
) -> int:
    bucket = settings.s3_bucket
    source = workdir / "artifact.bin"
    print(f"writing a {args.size_mb} MiB test file ...", file=sys.stderr)
    make_file(source, size)
    times: dict[str, list[float]] = {}
    raw_target, our_target = workdir / "raw.out", workdir / "ours.out"

    def clock(name: str, fn: Callable[[], object]) -> object:
        start = time.perf_counter()
        result = fn()
        times.setdefault(name, []).append(time.perf_counter() - start)
        return result

    with Transfers(service, concurrency=args.concurrency) as transfers:
        for round_ in range(args.repeat):
            print(f"round {round_ + 1}/{args.repeat} ...", file=sys.stderr)
            clock(
                "raw_up",
                lambda: client.fput_object(
                    bucket,
                    "raw/artifact.bin",
                    str(source),
                    part_size=settings.multipart_part_size,
                    num_parallel_uploads=args.concurrency,
                ),
            )
            sent = transfers.stats.bytes_sent
            result = clock("our_up", lambda: transfers.upload(source))
            assert isinstance(result, UploadResult)
            assert not result.deduplicated
            assert transfers.stats.bytes_sent - sent == size
            digest = result.blob.digest

            sent = transfers.stats.bytes_sent
            again = clock("dedup", lambda: transfers.upload(source))
            assert isinstance(again, UploadResult)
            assert again.deduplicated
            assert transfers.stats.bytes_sent == sent, "dedup sent bytes"

            clock(
                "raw_down", lambda: client.fget_object(bucket, "raw/artifact.bin", str(raw_target))
            )
            clock("our_down", lambda: transfers.download(digest, our_target))  # noqa: B023
            assert our_target.stat().st_size == raw_target.stat().st_size == size
            raw_target.unlink()
            our_target.unlink()
            client.remove_object(bucket, blob_key(digest))  # next round uploads from scratch
            client.remove_object(bucket, "raw/artifact.bin")
    for name, values in times.items():
        print(f"  {name:9} " + "  ".join(f"{v:6.2f}" for v in values), file=sys.stderr)
    best = {name: min(values) for name, values in times.items()}
    _table(
        args,
        size,
        best["raw_up"],
        best["our_up"],
        best["raw_down"],
        best["our_down"],
        best["dedup"],
    )
    return 0


def _table(
    args: argparse.Namespace,
    size: int,
    raw_up: float,
    our_up: float,
    raw_down: float,
    our_down: float,
    dedup: float,
) -> None:
    mb = size / MIB

    def rate(seconds: float) -> str:
        return f"{mb / seconds:8.1f}"

    print()
    path = "SDK -> service (GraphQL) -> presigned S3" if args.via == "service" else "in-process"
    print(
        f"{args.size_mb} MiB, part size {args.part_mb} MiB, {args.concurrency} parts in flight, "
        f"best of {args.repeat}; {path}"
    )
    print(f"{'operation':<34}{'seconds':>9}{'MiB/s':>9}   ratio")
    rows = [
        ("upload   minio fput_object", raw_up, ""),
        (
            "upload   lineage SDK (verified)",
            our_up,
            f"{raw_up / our_up:.2f}x raw  (target >= 0.9x)",
        ),
        ("download minio fget_object", raw_down, ""),
        (
            "download lineage SDK (verified)",
            our_down,
            f"{raw_down / our_down:.2f}x raw  (target >= 0.9x)",
        ),
        (
            "dedup re-upload (hash only)",
            dedup,
            f"{our_up / dedup:.1f}x faster than first upload  (target >= 10x)",
        ),
    ]
    for name, seconds, ratio in rows:
        print(f"{name:<34}{seconds:9.2f}{rate(seconds)}   {ratio}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--part-mb", type=int, default=64, help="part size for both (default 64)")
    parser.add_argument(
        "--concurrency", type=int, default=3, help="parts in flight for both (minio's default is 3)"
    )
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--workdir", default=None, help="where the test files go (default /tmp)")
    parser.add_argument(
        "--via",
        choices=("service", "store"),
        default="service",
        help="service: the SDK through the running service (default); store: BlobStore in-process",
    )
    parser.add_argument("--endpoint", help="(--via store) use this S3 instead of versitygw")
    parser.add_argument("--access-key", default="")
    parser.add_argument("--secret-key", default="")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
