"""``lineage deployment record MODEL --env prod``: the model version serves in that environment
from now on (the one serving there before is retired); impact reports flag it, and the gate's
``baseline: {deployed: prod}`` compares against it. ``lineage deployment list`` shows what serves
where (``--model`` a model's history)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from lineagegraph.cli._remote import add_service_args, query
from lineagegraph.errors import NotFound

_FIELDS = "model env since by until replacedBy current"
RECORD = (
    "mutation Record($input: RecordDeploymentInput!) { recordDeployment(input: $input) "
    f"{{ replaced deployment {{ {_FIELDS} }} }} }}"
)
LIST = (
    "query Deployments($env: String, $model: String) "
    f"{{ deployments(env: $env, model: $model) {{ {_FIELDS} }} }}"
)


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "deployment",
        help="record which model version serves in an environment",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    record = actions.add_parser("record", help="MODEL serves in --env from now on")
    record.add_argument("model", help="model:<name>@<version>")
    record.add_argument("--env", required=True, help="e.g. prod, staging")
    record.add_argument("--json", action="store_true", help="print JSON")
    add_service_args(record)
    record.set_defaults(handler=record_command)
    listing = actions.add_parser("list", help="what serves where (or a model's history)")
    listing.add_argument("--env", help="only this environment")
    listing.add_argument("--model", help="this model's deployments, past ones too")
    listing.add_argument("--json", action="store_true", help="print JSON")
    add_service_args(listing)
    listing.set_defaults(handler=list_command)


def record_command(args: argparse.Namespace) -> int:
    data = query(args, RECORD, input={"model": args.model, "env": args.env})["recordDeployment"]
    if args.json:
        print(json.dumps(data))
        return 0
    d = data["deployment"]
    print(f"{d['model']} serves in {d['env']} since {d['since']} (recorded by {d['by']})")
    for old in data["replaced"]:
        print(f"retired from {d['env']}: {old}")
    return 0


def list_command(args: argparse.Namespace) -> int:
    rows = query(args, LIST, env=args.env, model=args.model)["deployments"]
    if args.json:
        print(json.dumps(rows))
        return 0
    if not rows:
        if args.env and not args.model:
            raise NotFound(f"no model is recorded as serving in {args.env}", field="env")
        print("no deployments recorded")
        return 0
    for d in rows:
        state = "current" if d["current"] else f"until {d['until']} (replaced by {d['replacedBy']})"
        print(f"{d['env']:<12} {d['model']:<40} since {d['since']}  {state}")
    return 0
