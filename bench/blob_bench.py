"""Blob transfer benchmark: our SDK path against the minio SDK's own fput_object/fget_object.

    .venv/bin/python -m bench.blob_bench --size-mb 500

By default (``--via service``) starts a throw-away stack from deploy/local (Neo4j + versitygw) and
the service (``lineage serve``, a separate process), and the SDK side goes the way training code
does: GraphQL to the service (beginUpload, presignUploadParts, commitUpload, downloadUrl), bytes
straight to S3. ``--via store`` calls the BlobStore in-process instead (S3 only; with
``--endpoint/--access-key/--secret-key`` against an S3 of your choice). Times, on the same server
and the same file (in the page cache for every contender; each timed step starts after an
untimed ``os.sync()``, so that no step pays for the previous one's writeback):

- upload: minio ``fput_object`` vs ``Transfers.upload`` (hash pass, plan, presigned parts in
  parallel, commit with the service's SHA-256 read-back: the time until the blob is *verified*);
- download: minio ``fget_object`` vs ``Transfers.download`` (presigned GET, SHA-256 checked while
  writing, atomic rename);
- dedup: a second ``Transfers.upload`` of the same content (hash only, no byte sent).

Each is run ``--repeat`` rounds, interleaved (odd rounds run our side first), and reported as
median [min-max]; ratios are the median of per-round ratios. Both sides use the same part size
and parallelism, and both end with the object complete in S3 (ours also verified by the
service). Each round starts with an empty digest cache, so our first upload hashes the file as
for a file never seen; the dedup re-upload is timed with the digest cache (the default) and
without it (the pure SHA-256 pass). Our upload's phase split is printed: hash pass, beginUpload,
parts, commitUpload (the service's verification), other. Targets: SDK >= 0.9x raw; dedup >=
10x faster than the first upload.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from minio import Minio

from lineagegraph.blob_protocol import (
    BeginUpload,
    BlobInfo,
    CommitUpload,
    DownloadTicket,
    PresignedRequest,
    PresignParts,
    UploadLimits,
    UploadPlan,
)
from lineagegraph.blobs.keys import blob_key
from lineagegraph.blobs.s3 import ensure_bucket, open_s3
from lineagegraph.blobs.store import BlobStore
from lineagegraph.config import Settings, load_settings
from lineagegraph.sdk._digest_cache import DigestCache
from lineagegraph.sdk._graphql_blobs import GraphQLBlobService
from lineagegraph.sdk._progress import PhaseStarter
from lineagegraph.sdk._service import BlobService
from lineagegraph.sdk._transfer import Transfers

MIB = 1024**2
T = TypeVar("T")


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
    from bench.processes import process
    from bench.sdk_overhead import wait_http
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


def threshold_mb(args: argparse.Namespace) -> int:
    default: int = Settings.model_fields["multipart_threshold"].default
    return int(args.threshold_mb or default // MIB)


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
    threshold = threshold_mb(args) * MIB
    tuning = {
        "LINEAGE_S3_BUCKET": bucket,
        "LINEAGE_MULTIPART_PART_SIZE": str(args.part_mb * MIB),
        "LINEAGE_MULTIPART_THRESHOLD": str(threshold),
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
                multipart_threshold=threshold,
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


class _Timed:
    """The BlobService with each call's time recorded (the phase split of our upload)."""

    def __init__(self, inner: BlobService, log: dict[str, float]) -> None:
        self.inner, self.log = inner, log

    def _time(self, name: str, fn: Callable[[], T]) -> T:
        start = time.perf_counter()
        try:
            return fn()
        finally:
            self.log[name] = self.log.get(name, 0.0) + time.perf_counter() - start
            self.log.setdefault(f"{name}@", start)

    def upload_limits(self) -> UploadLimits:
        return self.inner.upload_limits()

    def begin_upload(self, request: BeginUpload) -> UploadPlan:
        return self._time("begin", lambda: self.inner.begin_upload(request))

    def presign_parts(self, request: PresignParts) -> list[PresignedRequest]:
        return self._time("presign", lambda: self.inner.presign_parts(request))

    def commit_upload(self, request: CommitUpload) -> BlobInfo:
        return self._time("commit", lambda: self.inner.commit_upload(request))

    def download_ticket(self, digest: str) -> DownloadTicket:
        return self._time("ticket", lambda: self.inner.download_ticket(digest))


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
    time.sleep(1.1)  # older than the digest cache's racy window (1 s), as a file being logged is
    times: dict[str, list[float]] = {}
    splits: list[dict[str, float]] = []
    raw_target, our_target = workdir / "raw.out", workdir / "ours.out"
    calls: dict[str, float] = {}
    timed = _Timed(service, calls)

    def clock(name: str, fn: Callable[[], T]) -> T:
        # Every timed step starts with no dirty pages left by the one before (each writes 0.5 GB
        # to disk); without this, the kernel's writeback lands on whichever step runs next, and
        # the same download took 0.35 s in one round and 1.68 s in the next.
        os.sync()
        start = time.perf_counter()
        result = fn()
        times.setdefault(name, []).append(time.perf_counter() - start)
        return result

    def marks() -> tuple[dict[str, float], PhaseStarter]:
        seen: dict[str, float] = {}

        def start(phase: str, total: int) -> Callable[[int], None]:
            seen.setdefault(phase, time.perf_counter())
            return lambda n: None

        return seen, start

    with (
        Transfers(timed, concurrency=args.concurrency) as plain,
        Transfers(timed, concurrency=args.concurrency) as cached,
    ):
        for round_ in range(args.repeat):
            print(f"round {round_ + 1}/{args.repeat} ...", file=sys.stderr)
            # a new, empty digest cache: the first upload hashes as for a file never seen
            cached.digest_cache = DigestCache(workdir / f"digests-{round_}.sqlite3")
            # interleave: odd rounds run our side first
            ours_first = round_ % 2 == 1
            if not ours_first:
                _raw_up(client, bucket, source, settings, args, clock)
            calls.clear()
            seen, phases = marks()
            sent = cached.stats.bytes_sent
            start = time.perf_counter()
            result = clock("our_up", lambda: cached.upload(source, phases=phases))  # noqa: B023
            end = time.perf_counter()
            assert not result.deduplicated
            assert cached.stats.bytes_sent - sent == size
            digest = result.blob.digest
            split = {
                "hash": calls["begin@"] - seen.get("hash", start),
                "begin": calls["begin"],
                "parts": calls["commit@"] - calls["begin@"] - calls["begin"],
                "commit": calls["commit"],
                "other": 0.0,
            }
            split["other"] = end - start - sum(split.values())
            if ours_first:
                _raw_up(client, bucket, source, settings, args, clock)

            sent = cached.stats.bytes_sent
            cache = cached.digest_cache
            assert cache is not None
            hits = cache.hits
            again = clock("dedup", lambda: cached.upload(source))
            assert again.deduplicated
            assert cache.hits == hits + 1, "the dedup re-upload missed the digest cache"
            assert cached.stats.bytes_sent == sent, "dedup sent bytes"
            pure = clock("dedup_hash", lambda: plain.upload(source))
            assert pure.deduplicated

            def raw_down() -> None:
                client.fget_object(bucket, "raw/artifact.bin", str(raw_target))

            def our_down() -> None:
                calls.clear()
                clock("our_down", lambda: cached.download(digest, our_target))  # noqa: B023
                split["ticket"] = calls["ticket"]  # noqa: B023

            for step in (our_down, raw_down) if ours_first else (raw_down, our_down):
                if step is raw_down:
                    clock("raw_down", raw_down)
                else:
                    step()
            assert our_target.stat().st_size == raw_target.stat().st_size == size
            raw_target.unlink()
            our_target.unlink()
            client.remove_object(bucket, blob_key(digest))  # next round uploads from scratch
            client.remove_object(bucket, "raw/artifact.bin")
            splits.append(split)
    for name, values in times.items():
        print(f"  {name:10} " + "  ".join(f"{v:6.2f}" for v in values), file=sys.stderr)
    _table(args, size, times, splits)
    return 0


def _raw_up(
    client: Minio,
    bucket: str,
    source: Path,
    settings: Settings,
    args: argparse.Namespace,
    clock: Callable[[str, Callable[[], object]], object],
) -> None:
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


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _med(values: list[float]) -> float:
    return statistics.median(values)


def _table(
    args: argparse.Namespace,
    size: int,
    times: dict[str, list[float]],
    splits: list[dict[str, float]],
) -> None:
    mb = size / MIB

    def cell(name: str) -> str:
        values = times[name]
        return f"{_med(values):6.2f} [{min(values):.2f}-{max(values):.2f}]"

    def ratio(numerator: str, denominator: str) -> float:
        # per round, then the median: both sides of a ratio ran back to back
        pairs = zip(times[numerator], times[denominator], strict=True)
        return _med([a / b for a, b in pairs])

    print()
    path = "SDK -> service (GraphQL) -> presigned S3" if args.via == "service" else "in-process"
    single = threshold_mb(args) > args.size_mb
    print(
        f"{args.size_mb} MiB, part size {args.part_mb} MiB, {args.concurrency} parts in flight, "
        f"ours {'ONE PUT (threshold above the size)' if single else 'multipart'}, "
        f"{args.repeat} interleaved rounds, median [min-max]; {path}; "
        f"load average {_loadavg()}"
    )
    print(f"{'operation':<40}{'seconds':>20}{'MiB/s':>8}   ratio (median of per-round ratios)")
    rows = [
        ("upload   minio fput_object", "raw_up", ""),
        (
            "upload   lineage SDK (verified)",
            "our_up",
            f"{ratio('raw_up', 'our_up'):.2f}x raw  (target >= 0.9x)",
        ),
        ("download minio fget_object", "raw_down", ""),
        (
            "download lineage SDK (verified)",
            "our_down",
            f"{ratio('raw_down', 'our_down'):.2f}x raw  (target >= 0.9x)",
        ),
        (
            "dedup re-upload, digest cache (default)",
            "dedup",
            f"{ratio('our_up', 'dedup'):.1f}x faster than first upload  (target >= 10x)",
        ),
        (
            "dedup re-upload, no cache (hash pass)",
            "dedup_hash",
            f"{ratio('our_up', 'dedup_hash'):.1f}x faster than first upload",
        ),
    ]
    for label, name, note in rows:
        print(f"{label:<40}{cell(name):>20}{mb / _med(times[name]):8.1f}   {note}")
    names = list(splits[0])
    print()
    print(
        "our upload, phase split (median s): "
        + ", ".join(f"{n} {_med([s[n] for s in splits]):.2f}" for n in names if n != "ticket")
    )
    print(
        f"our download: ticket {_med([s['ticket'] for s in splits]):.3f} s, rest is GET+hash+write"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mb", type=int, default=500)
    parser.add_argument("--part-mb", type=int, default=64, help="part size for both (default 64)")
    parser.add_argument(
        "--threshold-mb",
        type=int,
        default=None,
        help="our multipart threshold (default: the service's, 1024; below it ours is one "
        "presigned PUT whose SHA-256 S3 checks on arrival, at or above it multipart with the "
        "service's verification read)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=3, help="parts in flight for both (minio's default is 3)"
    )
    parser.add_argument("--repeat", type=int, default=3)
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
