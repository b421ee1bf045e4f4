"""What the graph commands share: talking to the service over HTTP (GraphQL), with the URL and
token from ``--url``/``--token`` or the settings (LINEAGE_URL / LINEAGE_TOKEN). Nothing here
imports the server's dependencies: these commands run on CI machines with the SDK install."""

from __future__ import annotations

import argparse
from typing import Any

from pydantic import SecretStr

from lineagegraph.config import load_settings, secret


def add_service_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="the service (default: LINEAGE_URL)")
    parser.add_argument("--token", help="API token (default: LINEAGE_TOKEN)")


def service_address(args: argparse.Namespace) -> tuple[str, str | None]:
    """(URL, token) of the service: ``--url``/``--token`` over the settings."""
    overrides: dict[str, Any] = {}
    if getattr(args, "url", None):
        overrides["url"] = args.url
    if getattr(args, "token", None):
        overrides["token"] = SecretStr(args.token)
    settings = load_settings(**overrides)
    return settings.url, secret(settings.token)


def querier(args: argparse.Namespace) -> Any:
    """An object with ``query(text, variables)`` raising the typed error the service named."""
    from lineagegraph.sdk.transport import HttpTransport

    return HttpTransport(*service_address(args))


def query(args: argparse.Namespace, text: str, **variables: Any) -> dict[str, Any]:
    client = querier(args)
    try:
        data: dict[str, Any] = client.query(text, variables)
    finally:
        client.close()
    return data
