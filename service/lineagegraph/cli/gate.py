"""``lineage gate MODEL --policy FILE``: may this model ship? Exit 0 yes, 1 no (the report says
which requirement failed, with its evidence), 2 bad input (unknown model, unreadable or invalid
policy: the error names the key). The policy is validated here, the facts come from the service
(GraphQL ``gateFacts``) and the decision is ``gate.evaluate.evaluate_gate``, run locally."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from lineagegraph.cli._remote import add_service_args, query

GATE_FACTS = (
    "query GateFacts($model: String!, $deployed: String, $baseline: String) "
    "{ gateFacts(model: $model, baselineDeployed: $deployed, baselineModel: $baseline) }"
)


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "gate",
        help="release gate: exit 0 if MODEL may ship under the policy, 1 if not, 2 bad input",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("model", help="model:<name>@<version>")
    parser.add_argument("--policy", required=True, type=Path, help="YAML or TOML policy file")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    add_service_args(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from lineagegraph.errors import BadInput, LineageError
    from lineagegraph.gate.evaluate import evaluate_gate
    from lineagegraph.gate.facts import GateFacts
    from lineagegraph.gate.outcome import EXIT_BAD_INPUT
    from lineagegraph.gate.policy_file import load_policy
    from lineagegraph.gate.report import exit_code, render_report, report_json
    from lineagegraph.refs import NodeKind, parse_ref

    try:
        if parse_ref(args.model, field="model").kind is not NodeKind.MODEL:
            raise BadInput(f"{args.model!r} is not a model ref (model:<name>@<version>)")
        policy = load_policy(args.policy)
        baseline = policy.improvement.baseline if policy.improvement else None
        data = query(
            args,
            GATE_FACTS,
            model=args.model,
            deployed=baseline.deployed if baseline else None,
            baseline=baseline.model if baseline else None,
        )
    except LineageError as exc:
        if args.json:
            error = {"code": exc.code.value, "message": exc.message, **exc.details}
            print(json.dumps({"error": error, "exit_code": EXIT_BAD_INPUT}))
        print(f"error: {exc.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    facts = GateFacts.model_validate(data["gateFacts"])
    report = evaluate_gate(policy, facts, source=str(args.policy))
    if args.json:
        print(json.dumps(report_json(report), indent=2))
    else:
        print(render_report(report))
    return exit_code(report)
