"""``lineage artifact put|get|stat``: artifact bytes through the service's blob protocol.

Like the SDK, these ask the service (GraphQL at ``--url`` / LINEAGE_URL, token from ``--token`` /
LINEAGE_TOKEN) for presigned URLs and move the bytes straight to and from S3: ``put`` needs the
write scope, ``get`` and ``stat`` the read scope; no S3 credentials on this machine. Blobs are
named by digest; ``get`` also takes an artifact ref (a PENDING artifact has no bytes yet).
Transfers show a progress bar (size, rate, ETA) on a terminal; ``--progress`` forces it on or off.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from lineagegraph.blob_protocol import normalize_digest
from lineagegraph.cli._remote import add_service_args, service_address


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "artifact",
        help="upload, download and inspect artifact bytes (content-addressed blobs)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

    put = actions.add_parser("put", help="upload a file; sends nothing if it is stored already")
    put.add_argument("path", help="the file to upload")
    put.add_argument("--media-type", help="e.g. application/octet-stream")
    put.add_argument("--digest", help="fail unless the file hashes to this sha256:<hex>")
    put.add_argument("--concurrency", type=int, default=4, help="parts in flight (default 4)")
    _common(put)
    put.set_defaults(handler=put_command)

    get = actions.add_parser("get", help="download an artifact or blob, verifying its SHA-256")
    get.add_argument("digest", metavar="REF_OR_DIGEST", help="an artifact ref or sha256:<hex>")
    get.add_argument("path", help="file to write (replaced only when the bytes verify)")
    _common(get)
    get.set_defaults(handler=get_command)

    stat = actions.add_parser("stat", help="is a blob stored, and verified? (exit 1 if not)")
    stat.add_argument("digest", help="sha256:<hex> of the blob")
    stat.add_argument("--json", action="store_true", help="print JSON")
    add_service_args(stat)
    stat.set_defaults(handler=stat_command)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--progress",
        choices=("auto", "always", "never"),
        default="auto",
        help="progress bar on stderr (auto: only on a terminal)",
    )
    add_service_args(parser)


def _store(args: argparse.Namespace) -> Any:
    """The service's blob protocol over GraphQL (sdk/_graphql_blobs.py)."""
    from lineagegraph.sdk._graphql_blobs import GraphQLBlobService

    return GraphQLBlobService(*service_address(args))


def _bars(args: argparse.Namespace) -> Any:
    from lineagegraph.sdk._progress import progress_bars

    enabled = {"auto": None, "always": True, "never": False}[args.progress]
    return progress_bars(sys.stderr, enabled=enabled)


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def put_command(args: argparse.Namespace) -> int:
    from lineagegraph.sdk._client_blobs import configured_digest_cache
    from lineagegraph.sdk._transfer import Transfers

    started = time.monotonic()
    service = _store(args)
    cache = configured_digest_cache()  # like the SDK: an unchanged file is not hashed again
    try:
        with (
            Transfers(service, concurrency=args.concurrency, digest_cache=cache) as transfers,
            _bars(args) as phases,
        ):
            result = transfers.upload(
                args.path, media_type=args.media_type, expected_digest=args.digest, phases=phases
            )
    finally:
        service.close()
    seconds = time.monotonic() - started
    blob, stats = result.blob, result.stats
    if args.json:
        print(
            json.dumps(
                {
                    **blob.model_dump(mode="json"),
                    "bytes_sent": stats.bytes_sent,
                    "seconds": round(seconds, 3),
                }
            )
        )
    else:
        how = "already stored" if result.deduplicated else "stored"
        rate = f", {_size(stats.bytes_sent / seconds)}/s" if stats.bytes_sent and seconds else ""
        print(f"{how} {blob.digest}  {_size(blob.size)}  {blob.uri}")
        print(f"sent {_size(stats.bytes_sent)} in {seconds:.1f} s{rate}", file=sys.stderr)
    return 0


def get_command(args: argparse.Namespace) -> int:
    from lineagegraph.sdk._client_blobs import ClientBlobs

    blobs = ClientBlobs(_store(args))
    try:
        with _bars(args) as phases:
            result = blobs.download(args.digest, args.path, phases=phases)
    finally:
        blobs.close()
    if args.json:
        print(json.dumps({"path": str(result.path), "digest": result.digest, "size": result.size}))
    else:
        print(f"wrote {result.path}  {_size(result.size)}  {result.digest} (verified)")
    return 0


def stat_command(args: argparse.Namespace) -> int:
    digest = normalize_digest(args.digest)
    service = _store(args)
    try:
        info = service.stat(digest)
    finally:
        service.close()
    if info is None:
        if args.json:
            print(json.dumps({"digest": digest, "stored": False}))
        else:
            print(f"{digest} is not stored", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({**info.model_dump(mode="json"), "stored": True}))
    else:
        print(f"{info.digest}  {_size(info.size)}  {info.uri}")
        print(f"media type {info.media_type or '-'}, verified by {info.verified_by}")
    return 0
