"""``lineage token``: create, list and revoke API tokens, straight in Neo4j (settings from the
environment, like the service). A new token is printed once; only its SHA-256 is stored."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from lineagegraph.config import load_settings


def register(sub: Any) -> None:
    parser = sub.add_parser("token", help="create, list or revoke API tokens")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a token and print it (shown only once)")
    create.add_argument(
        "--scope",
        required=True,
        choices=["read", "write", "admin"],
        help="read: queries; write: also mutations and ingest; admin: everything",
    )
    create.add_argument("--name", help="a label to recognise the token by (default: generated)")
    create.set_defaults(handler=_create)
    listing = actions.add_parser("list", help="list tokens (never their secrets)")
    listing.add_argument("--json", action="store_true", help="print JSON lines")
    listing.set_defaults(handler=_list)
    revoke = actions.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("id")
    revoke.set_defaults(handler=_revoke)


def _tokens() -> Any:
    # Server dependencies are imported here, not at module level: `lineage` builds every
    # subcommand's parser, and `lineage sync` must run without neo4j installed.
    from lineagegraph.graph.catalog import Catalog
    from lineagegraph.graph.driver import open_driver
    from lineagegraph.graph.migrations import apply_migrations
    from lineagegraph.graph.tokens import TokenStore

    settings = load_settings()
    catalog = Catalog.load()
    driver = open_driver(settings)
    apply_migrations(driver, settings.neo4j_database, catalog)  # the token constraints
    return driver, TokenStore(driver, settings.neo4j_database, catalog)


def _create(args: argparse.Namespace) -> int:
    driver, tokens = _tokens()
    try:
        token = tokens.create(args.scope, args.name)
    finally:
        driver.close()
    print(token.secret)
    print(
        f"created token {token.id} ({token.name!r}, scope {token.scope.value}); it is shown only "
        "now: store it safely (e.g. LINEAGE_TOKEN)",
        file=sys.stderr,
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    driver, tokens = _tokens()
    try:
        rows = tokens.list()
    finally:
        driver.close()
    for row in rows:
        if args.json:
            print(json.dumps(row, default=str))
        else:
            state = "revoked" if row.get("revokedAt") else "active"
            print(f"{row['id']}  {row['scope']:<5}  {state:<7}  {row['createdAt']}  {row['name']}")
    return 0


def _revoke(args: argparse.Namespace) -> int:
    driver, tokens = _tokens()
    try:
        found = tokens.revoke(args.id)
    finally:
        driver.close()
    if not found:
        print(f"error: no token with id {args.id!r}", file=sys.stderr)
        return 1
    print(f"revoked token {args.id}", file=sys.stderr)
    return 0
