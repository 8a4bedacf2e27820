"""Gateway clients for the end-to-end tests, made through the admin API as an operator would."""

from __future__ import annotations

import uuid

import httpx


def create_client(
    gateway: httpx.Client,
    admin: dict[str, str],
    *,
    roles: list[str],
    scope: list[str],
    leader_ref: str | None = None,
) -> str:
    """A new gateway client with one API key (a `leader` client bound to `leader_ref`);
    returns the key."""
    created = gateway.post(
        "/gateway/v1/clients",
        json={
            "name": f"test-{uuid.uuid4().hex[:6]}",
            "roles": roles,
            "scope": scope,
            "leader_ref": leader_ref,
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    key = gateway.post(
        f"/gateway/v1/clients/{created.json()['client_id']}/keys",
        json={"expires_at": None},
        headers=admin,
    )
    assert key.status_code == 201, key.text
    api_key: str = key.json()["api_key"]
    return api_key
