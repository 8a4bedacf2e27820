"""Talking to LEKO through the gateway as an integrator does, for the demo loaders: requests
that wait out rate limits and a briefly unavailable upstream, answers checked against the
status expected, lists read page by page, gateway clients found by name or created, and
writes retried while a service has not yet replicated a new organisation."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

REPLICA_WAIT_SECONDS = 60.0


def request(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """A request that waits out rate limits (429) and a briefly unavailable upstream."""
    deadline = time.monotonic() + 30.0
    while True:
        response = client.request(method, url, **kwargs)
        if response.status_code not in (429, 502, 503, 504) or time.monotonic() > deadline:
            return response
        retry_after = response.headers.get("retry-after", "")
        time.sleep(min(5.0, float(retry_after)) if retry_after.isdigit() else 0.5)


def check(response: httpx.Response, what: str, *expected: int) -> dict[str, Any]:
    """The answer's JSON body, or an error naming `what` was refused (expected: 200)."""
    if response.status_code not in (expected or (200,)):
        raise RuntimeError(f"demo {what} was refused: {response.status_code} {response.text}")
    body: dict[str, Any] = response.json() if response.content else {}
    return body


def items(client: httpx.Client, url: str) -> Iterator[dict[str, Any]]:
    """Every item of a paginated list, page by page."""
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        page = check(request(client, "GET", url, params=params), url)
        yield from page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return


def find_or_create_client(
    admin: httpx.Client, *, name: str, roles: list[str], scope: list[str]
) -> str:
    """The id of the gateway client called `name` with this scope, created when missing."""
    for client in items(admin, "/gateway/v1/clients"):
        if client["name"] == name and sorted(client["scope"]) == sorted(scope):
            return str(client["client_id"])
    body = {"name": name, "roles": roles, "scope": scope, "leader_ref": None}
    created = request(admin, "POST", "/gateway/v1/clients", json=body)
    return str(check(created, f"client {name!r}", 201)["client_id"])


def post_until_known(
    client: httpx.Client, url: str, what: str, *expected: int, **kwargs: Any
) -> dict[str, Any]:
    """POST, retrying while a 422 says only that organisations are not yet replicated."""
    deadline = time.monotonic() + REPLICA_WAIT_SECONDS
    while True:
        response = request(client, "POST", url, **kwargs)
        unknown = response.status_code == 422 and all(
            "unknown organisation" in error.get("message", "")
            for error in response.json().get("errors", [{}])
        )
        if not unknown or time.monotonic() > deadline:
            return check(response, what, *expected)
        time.sleep(0.5)
