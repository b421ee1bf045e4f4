"""``lineage deprecate REF --reason ...``: mark a dataset snapshot (or every snapshot of
``dataset:<name>``, or any artifact) deprecated, with the reason, a sunset date and a
replacement; ``--dry-run`` prints what would be marked and everything downstream of it, and
changes nothing. ``lineage undeprecate REF`` reverses it."""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import Any

from lineagegraph.cli._remote import add_service_args, query
from lineagegraph.cli.impact import add_format_args, fetch_report, grouped, print_report
from lineagegraph.errors import BadInput

DEPRECATE = (
    "mutation Deprecate($input: DeprecateInput!) { deprecate(input: $input) { ref artifacts } }"
)
UNDEPRECATE = (
    "mutation Undeprecate($input: UndeprecateInput!) "
    "{ undeprecate(input: $input) { ref artifacts } }"
)


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "deprecate",
        help="mark a snapshot or dataset deprecated (--dry-run: show the impact only)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("ref", help="dataset:<name>@<version>, or dataset:<name> for all")
    parser.add_argument("--reason", required=True, help="why (shown to everyone downstream)")
    parser.add_argument("--sunset", help="when it goes away, YYYY-MM-DD")
    parser.add_argument("--replacement", help="the ref to use instead")
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would be affected; change nothing"
    )
    add_format_args(parser)
    add_service_args(parser)
    parser.set_defaults(handler=deprecate)

    undo = sub.add_parser("undeprecate", help="reverse a deprecation")
    undo.add_argument("ref")
    undo.add_argument("--json", action="store_true", help="print JSON")
    add_service_args(undo)
    undo.set_defaults(handler=undeprecate)


def _sunset(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise BadInput(f"--sunset {text!r} is not a date (YYYY-MM-DD)", field="sunset") from None


def deprecate(args: argparse.Namespace) -> int:
    sunset = _sunset(args.sunset)
    if args.dry_run:
        report = fetch_report(args, args.ref)
        if args.format == "json":
            print(json.dumps({"dryRun": True, "wouldMark": report["roots"], **grouped(report)}))
            return 0
        if args.format == "table":
            print(f"dry run: would mark deprecated: {', '.join(report['roots']) or 'nothing'}")
            print(f"reason: {args.reason}" + (f"; sunset {sunset}" if sunset else ""))
            print()
        print_report(report, args.format)
        return 0
    data = query(
        args,
        DEPRECATE,
        input={
            "ref": args.ref,
            "reason": args.reason,
            "sunset": sunset,
            "replacement": args.replacement,
        },
    )["deprecate"]
    if args.format == "json":
        print(json.dumps(data))
    else:
        print(f"deprecated {len(data['artifacts'])} artifact(s): {', '.join(data['artifacts'])}")
    return 0


def undeprecate(args: argparse.Namespace) -> int:
    data = query(args, UNDEPRECATE, input={"ref": args.ref})["undeprecate"]
    if args.json:
        print(json.dumps(data))
    elif data["artifacts"]:
        print(f"no longer deprecated: {', '.join(data['artifacts'])}")
    else:
        print(f"{args.ref}: nothing was deprecated")
    return 0
