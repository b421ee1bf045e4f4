"""``lineage sync``: send the events a crashed or offline training process left in the spool."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from lineagegraph.config import load_settings


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "sync", help="send events left in the local spool (after a crash or an outage)"
    )
    parser.add_argument("--url", help="the service (default: settings.url / LINEAGE_URL)")
    parser.add_argument("--token", help="API token with write scope (default: LINEAGE_TOKEN)")
    parser.add_argument("--spool-dir", type=Path, help="default: settings.spool_dir")
    parser.add_argument(
        "--timeout", type=float, default=120.0, help="give up after this many seconds (120)"
    )
    parser.add_argument(
        "--status", action="store_true", help="only count what is waiting; send nothing"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lineagegraph.sdk.replay import pending_in_spool, sync_spool

    overrides: dict[str, Any] = {}
    if args.url:
        overrides["url"] = args.url
    if args.token:
        overrides["token"] = SecretStr(args.token)
    if args.spool_dir:
        overrides["spool_dir"] = args.spool_dir
    settings = load_settings(**overrides)
    spool_dir = Path(settings.spool_dir)
    if args.status:
        events, segments = pending_in_spool(spool_dir) if spool_dir.is_dir() else (0, 0)
        print(f"{events} events waiting in {segments} segments in {spool_dir}")
        return 0
    report = sync_spool(settings, timeout=args.timeout)
    for error in report.rejected:
        print(f"rejected: {error}")
    print(
        f"sent {report.sent} events ({len(report.rejected)} rejected by the service); "
        f"{report.remaining} remain in {spool_dir}"
        + (
            f"; {report.busy_segments} segments belong to running clients"
            if report.busy_segments
            else ""
        )
    )
    if report.diffs_uploaded or report.diffs_remaining:
        print(
            f"uploaded {report.diffs_uploaded} kept files (code diffs, artifact bytes); "
            f"{report.diffs_remaining} could not be uploaded yet"
        )
    return 0 if report.remaining == 0 else 1
