"""``lineage impact REF``: everything downstream of a snapshot, dataset, feature, model or run,
grouped by kind, each item with its depth, the path from the root, the run that produced it and
its owner/team; models serving in an environment come first (marked DEPLOYED). ``--format csv``
is one row per item for a spreadsheet, ``json`` the whole report."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from typing import Any

from lineagegraph.cli._remote import add_service_args, query

_ITEM = "ref kind name version depth path producedBy owner team deprecated deployedIn"
IMPACT_REPORT_QUERY = (
    "query ImpactReport($ref: String!, $depth: Int) { impactReport(ref: $ref, depth: $depth) "
    f"{{ ref roots deployedModels total truncated items {{ {_ITEM} }} }} }}"
)
GROUPS = (
    ("MODEL", "models"),
    ("EVALUATION_REPORT", "evaluationReports"),
    ("RUN", "runs"),
    ("DATASET_SNAPSHOT", "datasetSnapshots"),
    ("FEATURE_DEFINITION", "featureDefinitions"),
)
CSV_COLUMNS = (
    "kind",
    "ref",
    "name",
    "version",
    "depth",
    "deployed_in",
    "deprecated",
    "produced_by",
    "owner",
    "team",
    "path",
)
PATH_SEPARATOR = " > "


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "impact",
        help="what depends on an artifact: everything downstream, deployed models first",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("ref", help="dataset:<name>[@<version>], feature:..., model:..., run:...")
    add_format_args(parser)
    add_service_args(parser)
    parser.set_defaults(handler=run)


def add_format_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    parser.add_argument("--depth", type=int, help="at most this many edges away (1..50)")


def fetch_report(args: argparse.Namespace, ref: str) -> dict[str, Any]:
    report: dict[str, Any] = query(args, IMPACT_REPORT_QUERY, ref=ref, depth=args.depth)[
        "impactReport"
    ]
    return report


def grouped(report: dict[str, Any]) -> dict[str, Any]:
    """The report as JSON for tools: items grouped by kind (the order they are listed in)."""
    groups: dict[str, list[dict[str, Any]]] = {key: [] for _, key in GROUPS}
    by_kind = dict(GROUPS)
    for item in report["items"]:
        groups.setdefault(by_kind.get(item["kind"], item["kind"].lower()), []).append(item)
    return {
        "ref": report["ref"],
        "roots": report["roots"],
        "total": report["total"],
        "truncated": report["truncated"],
        "deployedModels": report["deployedModels"],
        **groups,
    }


def to_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in report["items"]:
        writer.writerow(
            [
                item["kind"],
                item["ref"],
                item["name"],
                item["version"] or "",
                item["depth"],
                ";".join(item["deployedIn"]),
                "yes" if item["deprecated"] else "",
                item["producedBy"] or "",
                item["owner"] or "",
                item["team"] or "",
                PATH_SEPARATOR.join(item["path"]),
            ]
        )
    return out.getvalue()


def to_table(report: dict[str, Any]) -> str:
    from lineagegraph.repro.render import table

    items = report["items"]
    deployed = report["deployedModels"]
    lines = [
        f"impact of {report['ref']}: {report['total']} item(s) downstream"
        + (f" (roots: {', '.join(report['roots'])})" if report["roots"] != [report["ref"]] else "")
    ]
    if deployed:
        lines.append(f"deployed models affected: {', '.join(deployed)}")
    if report["truncated"]:
        lines.append("truncated: more items were reachable than the service returns")
    for kind, _ in GROUPS:
        rows = [
            [
                ("DEPLOYED " + ",".join(i["deployedIn"])) if i["deployedIn"] else "",
                i["ref"],
                i["depth"],
                i["producedBy"],
                i["owner"],
                i["team"],
                PATH_SEPARATOR.join(i["path"]),
            ]
            for i in items
            if i["kind"] == kind
        ]
        if not rows:
            continue
        title = kind.replace("_", " ").lower() + "s"
        lines += ["", f"{title} ({len(rows)})"]
        headers = ["FLAG", "REF", "DEPTH", "PRODUCED BY", "OWNER", "TEAM", "PATH"]
        lines.append(table(headers, rows, max_cell=None))
    if not items:
        lines.append("nothing downstream")
    return "\n".join(lines)


def print_report(report: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(grouped(report), indent=2))
    elif fmt == "csv":
        sys.stdout.write(to_csv(report))
    else:
        print(to_table(report))


def run(args: argparse.Namespace) -> int:
    print_report(fetch_report(args, args.ref), args.format)
    return 0
