"""``lineage gc --older-than 24h [--dry-run]``: remove unreferenced blobs and stale uploads.

What counts as referenced comes from Neo4j: every artifact node, PENDING included, naming the
blob by digest or by its ``s3://bucket/blobs/...`` uri (cypher/blobs/referenced_digests.cypher),
asked once per batch of candidates and again for each blob right before it is deleted. Runs on
the service's host with its settings (Neo4j and S3 credentials). ``--older-than`` is also the
time a client has between starting an upload and registering its artifact: keep it at hours,
not minutes.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TextIO

from lineagegraph.errors import BadInput

if TYPE_CHECKING:
    from lineagegraph.blobs.gc import References
    from lineagegraph.blobs.store import BlobStore

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MIN_OLDER_THAN = timedelta(minutes=10)


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``24h``, ``7d``, ``1w``, or combinations such as ``1d12h``."""
    compact = text.strip().lower().replace(" ", "")
    pos, seconds = 0, 0.0
    for match in _DURATION.finditer(compact):
        if match.start() != pos:
            break
        seconds += float(match.group(1)) * _UNIT[match.group(2)]
        pos = match.end()
    if not compact or pos != len(compact):
        raise BadInput(f"not a duration: {text!r} (use e.g. 30m, 24h, 7d)", field="older_than")
    return timedelta(seconds=seconds)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--older-than",
        default="24h",
        type=parse_duration,
        help="only blobs and uploads older than this, and not claimed since (default 24h)",
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would go; change nothing")
    parser.add_argument(
        "--allow-short-grace",
        action="store_true",
        help=f"accept --older-than below {MIN_OLDER_THAN} (tests; uploads in flight may be lost)",
    )


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "gc",
        help="remove blobs no artifact references, and uploads never committed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(handler=gc_command)


def gc_command(args: argparse.Namespace) -> int:
    from lineagegraph.blobs.references import graph_references
    from lineagegraph.blobs.store import BlobStore
    from lineagegraph.config import load_settings
    from lineagegraph.graph.catalog import Catalog
    from lineagegraph.graph.driver import open_driver

    settings = load_settings()
    driver = open_driver(settings)
    try:
        driver.verify_connectivity()
        store = BlobStore.open(settings)
        referenced = graph_references(
            driver, settings.neo4j_database, Catalog.load(), settings.s3_bucket
        )
        return run_gc(store, referenced, args)
    finally:
        driver.close()


def run_gc(
    store: BlobStore,
    referenced: References,
    args: argparse.Namespace,
    out: TextIO | None = None,
) -> int:
    """Collect with ``store`` and print the report (to stdout by default); 0 on success."""
    out = out if out is not None else sys.stdout  # looked up now: tests capture it
    older_than: timedelta = args.older_than
    if older_than < MIN_OLDER_THAN and not args.allow_short_grace:
        raise BadInput(
            f"--older-than {older_than} is shorter than {MIN_OLDER_THAN}: uploads still being "
            "registered could lose their blob; pass --allow-short-grace if you mean it",
            field="older_than",
        )
    report = store.collect_garbage(referenced, older_than, dry_run=args.dry_run)
    verb = "would remove" if report.dry_run else "removed"
    for blob in report.removed:
        print(
            f"{verb} {blob.digest}  {blob.size} bytes  (last modified {blob.last_modified})",
            file=out,
        )
    for upload in report.aborted:
        what = "would abort" if report.dry_run else "aborted"
        print(
            f"{what} upload {upload.upload_id} of {upload.key} (started {upload.initiated})",
            file=out,
        )
    print(
        f"{verb} {len(report.removed)} blobs ({report.bytes_freed} bytes), "
        f"{'would abort' if report.dry_run else 'aborted'} {len(report.aborted)} uploads; "
        f"kept {report.kept_referenced} referenced, {report.kept_recent} recent, "
        f"{len(report.kept_on_recheck)} registered meanwhile",
        file=out,
    )
    return 0
