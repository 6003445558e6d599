"""A small GraphQL client for the runner, the demo loader, tests and benchmarks."""

from __future__ import annotations

from typing import Any

import httpx


class GraphQLClient:
    """POSTs GraphQL documents with a bearer token; returns the whole response body."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        timeout_s: float = 30.0,
        headers: dict[str, str] | None = None,
    ) -> None:
        headers = {**(headers or {}), **({"authorization": f"Bearer {token}"} if token else {})}
        self.url = url
        self.http = httpx.Client(headers=headers, timeout=timeout_s)

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.post(self.url, json={"query": query, "variables": variables or {}})
        body: dict[str, Any] = response.json()
        return body

    def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of a response that must have no errors."""
        body = self.execute(query, variables)
        if body.get("errors"):
            raise RuntimeError(f"GraphQL errors: {body['errors']}")
        data: dict[str, Any] = body["data"]
        return data

    def close(self) -> None:
        self.http.close()
