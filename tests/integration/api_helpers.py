"""A tiny GraphQL client for the API tests."""

from __future__ import annotations

from typing import Any

import httpx


class GraphQL:
    def __init__(self, http: httpx.Client, url: str, token: str | None = None) -> None:
        self.http = http
        self.url = url.rstrip("/") + "/graphql"
        self.token = token

    def raw(self, query: str, **variables: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        response = self.http.post(
            self.url, json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code in (200, 503), (response.status_code, response.text)
        body: dict[str, Any] = response.json()
        return body

    def ok(self, query: str, **variables: Any) -> dict[str, Any]:
        body = self.raw(query, **variables)
        assert not body.get("errors"), body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def error(self, query: str, **variables: Any) -> dict[str, Any]:
        """The first error of a request that must fail: message + extensions."""
        body = self.raw(query, **variables)
        assert body.get("errors"), body
        first: dict[str, Any] = body["errors"][0]
        return first


def code_of(error: dict[str, Any]) -> str | None:
    code: str | None = (error.get("extensions") or {}).get("code")
    return code


def field_of(error: dict[str, Any]) -> str | None:
    field: str | None = (error.get("extensions") or {}).get("field")
    return field
