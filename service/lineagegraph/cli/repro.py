"""``lineage diff``, ``lineage verify`` and ``lineage reproduce``: reproducibility from the shell.

They talk to the service over GraphQL (``LINEAGE_URL``, ``LINEAGE_TOKEN``); verification runs in
the service, which stores each verdict as a ReproducibilityCheck. Exit codes: 0 the level was
reached (or the diff printed), 1 it was not, 2 bad input (unknown run, unfinished run, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import SecretStr

DIFF_QUERY = """
query RunDiff($a: String!, $b: String!, $all: Boolean!) {
  runDiff(a: $a, b: $b) { changedDimensions text(allRows: $all) json }
}
"""
VERIFY_MUTATION = """
mutation Verify($input: VerifyRunsInput!) {
  verifyRuns(input: $input) { ref passed levelRequested levelAchieved text json }
}
"""
RUN_QUERY = """
query Run($ref: String!) {
  node(ref: $ref) {
    ref name
    ... on Run {
      status code environment hardware seeds config dataFilters params tags user
      consumed { ref ... on Artifact { digest uri } }
    }
  }
}
"""
RUNS_BY_TAG = """
query Runs($key: String!, $value: String!) {
  runs(filter: {tag: {key: $key, value: $value}}, first: 50) { nodes { ref status } }
}
"""
LINK_MUTATION = """
mutation Link($input: RecordReproductionInput!) {
  recordReproduction(input: $input) { original { ref } reproduction { ref } }
}
"""
LEVELS = ("bitwise", "algorithmic", "statistical")


def register(sub: Any) -> None:
    diff = sub.add_parser(
        "diff",
        help="what differs between two runs (code, data, environment, config, outputs, ...)",
    )
    diff.add_argument("run_a", metavar="RUN_A")
    diff.add_argument("run_b", metavar="RUN_B")
    diff.add_argument("--json", action="store_true", help="print the diff as JSON")
    diff.add_argument("--all", action="store_true", help="also list equal artifacts and metrics")
    _service_options(diff)
    diff.set_defaults(handler=diff_command)

    verify = sub.add_parser(
        "verify",
        help="verify that runs reproduce at a level (exit 0 reached, 1 not, 2 bad input)",
        description="bitwise: every produced artifact has the same digest; algorithmic: final "
        "metrics and .npy/.npz arrays equal within rtol/atol; statistical: the final metrics "
        "of two groups of trial runs are equivalent within a margin (TOST or bootstrap).",
    )
    verify.add_argument("run_a", metavar="RUN_A", nargs="?", help="the original run")
    verify.add_argument("run_b", metavar="RUN_B", nargs="?", help="the re-run")
    verify.add_argument("--level", required=True, choices=LEVELS)
    _tolerance_options(verify)
    verify.add_argument(
        "--group-a",
        action="extend",
        nargs="+",
        default=[],
        metavar="RUN|TAG=VALUE",
        help="statistical: the reference trials (run refs or tag selectors; commas work too)",
    )
    verify.add_argument(
        "--group-b", action="extend", nargs="+", default=[], metavar="RUN|TAG=VALUE"
    )
    verify.add_argument("--margin", type=float, help="absolute equivalence margin")
    verify.add_argument(
        "--relative-margin", type=float, help="margin as a fraction of group A's mean (0.02)"
    )
    verify.add_argument("--confidence", type=float, help="confidence level (0.95)")
    verify.add_argument("--method", choices=("tost", "bootstrap", "both"))
    verify.add_argument("--min-trials", type=int, help="require at least this many trials")
    verify.add_argument("--json", action="store_true", help="print the verdict as JSON")
    _service_options(verify)
    verify.set_defaults(handler=verify_command)

    reproduce = sub.add_parser(
        "reproduce",
        help="print how to re-run a run; --exec re-runs it here and verifies the result",
    )
    reproduce.add_argument("run", metavar="RUN")
    reproduce.add_argument(
        "--exec",
        action="store_true",
        dest="execute",
        help="re-run the recorded command in this environment as a new run (REPRODUCES edge)",
    )
    reproduce.add_argument(
        "--level",
        choices=LEVELS[:2],
        default="bitwise",
        help="with --exec: the level the re-run must reach (bitwise)",
    )
    _tolerance_options(reproduce)
    reproduce.add_argument("--json", action="store_true", help="print the recipe as JSON")
    _service_options(reproduce)
    reproduce.set_defaults(handler=reproduce_command)


def _service_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="the service (default: LINEAGE_URL)")
    parser.add_argument("--token", help="API token (default: LINEAGE_TOKEN)")


def _tolerance_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rtol", type=float, help="relative tolerance (1e-5)")
    parser.add_argument("--atol", type=float, help="absolute tolerance (1e-8)")


class _Service:
    def __init__(self, args: argparse.Namespace) -> None:
        from lineagegraph.config import load_settings, secret
        from lineagegraph.sdk.transport import HttpTransport

        overrides: dict[str, Any] = {}
        if args.url:
            overrides["url"] = args.url
        if args.token:
            overrides["token"] = SecretStr(args.token)
        self.settings = load_settings(**overrides)
        self._transport = HttpTransport(
            self.settings.url, secret(self.settings.token), timeout=600.0
        )

    def query(self, text: str, **variables: Any) -> dict[str, Any]:
        return self._transport.query(text, variables)

    def close(self) -> None:
        self._transport.close()


def _split(items: Sequence[str]) -> list[str]:
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


def _print_json(document: Any) -> None:
    print(json.dumps(document, indent=2, sort_keys=True))


# --- diff -------------------------------------------------------------------------------------
def diff_command(args: argparse.Namespace) -> int:
    service = _Service(args)
    try:
        data = service.query(DIFF_QUERY, a=args.run_a, b=args.run_b, all=bool(args.all))
    finally:
        service.close()
    result = data["runDiff"]
    if args.json:
        _print_json(result["json"])
    else:
        print(result["text"])
    return 0


# --- verify -----------------------------------------------------------------------------------
def _verify(service: _Service, payload: dict[str, Any], as_json: bool) -> int:
    data = service.query(VERIFY_MUTATION, input=payload)
    verdict = data["verifyRuns"]
    if as_json:
        _print_json({"check": verdict["ref"], **verdict["json"]})
    else:
        print(verdict["text"])
        print(f"stored as {verdict['ref']}")
    return 0 if verdict["passed"] else 1


def verify_command(args: argparse.Namespace) -> int:
    from lineagegraph.errors import BadInput

    payload: dict[str, Any] = {"level": args.level.upper()}
    group_a, group_b = _split(args.group_a), _split(args.group_b)
    if args.level == "statistical":
        if args.run_a or args.run_b:
            raise BadInput(
                "the statistical level compares groups: give --group-a and --group-b "
                "instead of RUN_A RUN_B"
            )
        payload.update(groupA=group_a, groupB=group_b)
    else:
        if group_a or group_b:
            raise BadInput("--group-a/--group-b are for --level statistical")
        if not (args.run_a and args.run_b):
            raise BadInput(f"--level {args.level} compares two runs: give RUN_A and RUN_B")
        payload.update(a=args.run_a, b=args.run_b)
    for option, name in (
        ("rtol", "rtol"),
        ("atol", "atol"),
        ("margin", "margin"),
        ("relative_margin", "relativeMargin"),
        ("confidence", "confidence"),
        ("method", "method"),
        ("min_trials", "minTrials"),
    ):
        value = getattr(args, option)
        if value is not None:
            payload[name] = value
    service = _Service(args)
    try:
        return _verify(service, payload, args.json)
    finally:
        service.close()


# --- reproduce --------------------------------------------------------------------------------
def _snapshot(node: dict[str, Any]) -> Any:
    from lineagegraph.models import Provenance
    from lineagegraph.repro.inputs import ConsumedArtifact, RunSnapshot

    provenance = Provenance.model_validate(
        {
            "code": node.get("code"),
            "environment": node.get("environment"),
            "hardware": node.get("hardware"),
            "seeds": node.get("seeds"),
            "config": node.get("config"),
            "data_filters": node.get("dataFilters"),
            "user": node.get("user"),
        }
    )
    return RunSnapshot(
        ref=node["ref"],
        name=node.get("name"),
        status=node.get("status") or "RUNNING",
        provenance=provenance,
        params=node.get("params") or {},
        tags=node.get("tags") or {},
        consumed=[
            ConsumedArtifact(ref=c["ref"], digest=c.get("digest"), uri=c.get("uri"))
            for c in node.get("consumed") or []
        ],
    )


def _command_line(recorded: list[str]) -> list[str]:
    """The recorded argv as a command: a script path runs under this Python."""
    first = recorded[0]
    if first.endswith(".py") or (Path(first).is_file() and not os.access(first, os.X_OK)):
        return [sys.executable, *recorded]
    return list(recorded)


def _warnings(run: Any) -> list[str]:
    from lineagegraph.models import Provenance
    from lineagegraph.repro.recipe import describe_change, environment_changes
    from lineagegraph.sdk import provenance as capture

    current = Provenance(
        environment=capture.capture_environment(), hardware=capture.capture_hardware()
    )
    notes = [describe_change(c) for c in environment_changes(run.provenance, current)]
    code = run.provenance.code
    here = capture.capture_code().code
    if code is not None and code.commit and here.commit != code.commit:
        notes.append(f"code.commit: recorded {code.commit}, here {here.commit or 'no git commit'}")
    if here.dirty:
        notes.append("code.dirty: the working tree here has uncommitted changes")
    if (
        code is not None
        and code.dirty
        and code.diff_digest
        and here.diff_digest != code.diff_digest
    ):
        notes.append("code.diff: the recorded uncommitted changes are not applied here")
    return notes


def reproduce_command(args: argparse.Namespace) -> int:
    from lineagegraph.errors import BadInput
    from lineagegraph.repro.recipe import build_recipe, render_recipe
    from lineagegraph.repro.verdict import to_json
    from lineagegraph.sdk.reproduce import (
        REPRODUCES_ENV,
        REPRODUCTION_ENV,
        REPRODUCTION_TAG,
    )

    service = _Service(args)
    try:
        node = service.query(RUN_QUERY, ref=args.run)["node"]
        if node is None or "status" not in node:
            raise BadInput(f"{args.run} is not a run", field="run")
        run = _snapshot(node)
        recipe = build_recipe(run)
        if args.json and not args.execute:
            _print_json(to_json(recipe))
            return 0
        print(render_recipe(recipe))
        if not args.execute:
            return 0
        code = run.provenance.code
        if code is None or not code.command:
            raise BadInput(f"{run.ref} recorded no command: nothing to execute", field="run")
        print("", file=sys.stderr)
        notes = _warnings(run)
        for note in notes:
            print(f"warning: environment differs: {note}", file=sys.stderr)
        if not notes:
            print("environment: no difference from the recorded one", file=sys.stderr)
        execution = str(uuid.uuid4())
        env = {**os.environ, REPRODUCES_ENV: run.ref, REPRODUCTION_ENV: execution}
        env["LINEAGE_URL"] = service.settings.url
        command = _command_line(code.command)
        print(f"running: {' '.join(command)}", file=sys.stderr)
        sys.stdout.flush()
        status = subprocess.run(command, env=env, check=False).returncode
        found = service.query(RUNS_BY_TAG, key=REPRODUCTION_TAG, value=execution)
        new_runs = [r for r in found["runs"]["nodes"] if r["ref"] != run.ref]
        if not new_runs:
            print(
                f"the command exited with {status} and recorded no run through the SDK: "
                "nothing to verify",
                file=sys.stderr,
            )
            return 1
        rerun = new_runs[0]  # newest first: the last top-level run the command started
        if rerun["status"] != "COMPLETED":
            print(
                f"the re-run {rerun['ref']} is {rerun['status']} (the command exited with "
                f"{status}): not reproduced",
                file=sys.stderr,
            )
            return 1
        service.query(LINK_MUTATION, input={"original": run.ref, "reproduction": rerun["ref"]})
        print(f"new run {rerun['ref']} ({rerun['status']}) REPRODUCES {run.ref}", file=sys.stderr)
        payload: dict[str, Any] = {"level": args.level.upper(), "a": run.ref, "b": rerun["ref"]}
        for option in ("rtol", "atol"):
            if getattr(args, option) is not None:
                payload[option] = getattr(args, option)
        return _verify(service, payload, args.json)
    finally:
        service.close()
