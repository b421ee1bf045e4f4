"""The ``lineage`` command. Subcommands live in one module each and register themselves here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lineagegraph.errors import LineageError

# Each entry: (module, function adding its parser). Imported lazily so that `lineage sync` on a
# training machine never imports the server's dependencies.
_COMMANDS = (
    "serve",
    "stack",
    "sync",
    "artifact",
    "token",
    "gc",
    "repro",
    # impact analysis, deprecation, deployments and the release gate (issue 7)
    "impact",
    "deprecate",
    "deployment",
    "gate",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lineage", description="Lineage Graph command line")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    import importlib

    for name in _COMMANDS:
        module = importlib.import_module(f"lineagegraph.cli.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.handler(args)
    except LineageError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
