"""The change feed: order, paging with `after`, polling at the head, and replay."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from registry_factories import institution, national_admin, org_admin

from leko_kit.testing import InternalKeys

pytestmark = pytest.mark.anyio


async def read_feed(
    client: httpx.AsyncClient, *, after: str | None = None, limit: int = 500
) -> tuple[list[dict[str, Any]], str | None]:
    """Every change after `after`, and the cursor to poll with next."""
    items: list[dict[str, Any]] = []
    cursor = after
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"after": cursor} if cursor else {})
        response = await client.get("/v1/organisations/changes", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        if not page["items"]:
            assert page["next_cursor"] == cursor
            return items, cursor
        cursor = page["next_cursor"]


async def test_feed_is_public_and_starts_with_the_seed(client: httpx.AsyncClient) -> None:
    items, cursor = await read_feed(client)
    assert len(items) == len({item["organisation"]["code"] for item in items})
    assert {item["op"] for item in items} == {"created"}
    assert items[0]["organisation"]["code"] == "state"
    assert cursor == str(items[-1]["seq"])


async def test_create_and_patch_appear_in_order(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    _, head = await read_feed(client)
    created = await client.post(
        "/v1/organisations", json=institution(), headers=org_admin(internal_keys)
    )
    assert created.status_code == 201
    patched = await client.patch(
        "/v1/organisations/kbh-test-skole",
        json={"name": "Nørrebro Park Skole"},
        headers=org_admin(internal_keys),
    )
    assert patched.status_code == 200
    items, cursor = await read_feed(client, after=head)
    assert [(item["op"], item["organisation"]["code"]) for item in items] == [
        ("created", "kbh-test-skole"),
        ("updated", "kbh-test-skole"),
    ]
    assert head is not None and int(head) < items[0]["seq"] < items[1]["seq"]
    assert items[0]["organisation"] == created.json()
    assert items[1]["organisation"] == patched.json()
    assert cursor == str(items[1]["seq"])


async def test_paging_with_after_sees_every_change_once_in_order(
    client: httpx.AsyncClient,
) -> None:
    everything, _ = await read_feed(client)
    paged, _ = await read_feed(client, limit=7)
    assert paged == everything
    seqs = [item["seq"] for item in paged]
    assert seqs == sorted(set(seqs))
    middle = str(seqs[9])
    rest = (await client.get("/v1/organisations/changes", params={"after": middle})).json()
    assert rest["items"][0]["seq"] == seqs[10]
    assert len(rest["items"]) == 50


async def test_polling_at_the_head_returns_the_same_cursor(client: httpx.AsyncClient) -> None:
    _, head = await read_feed(client)
    assert head is not None
    for _ in range(2):
        page = (await client.get("/v1/organisations/changes", params={"after": head})).json()
        assert page == {"items": [], "next_cursor": head}


async def test_replaying_the_feed_reproduces_the_current_state(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    for method, path, body in [
        ("POST", "/v1/organisations", institution()),
        ("PATCH", "/v1/organisations/kbh-test-skole", {"parent_code": "k751"}),
        ("PATCH", "/v1/organisations/k101", {"p_number": "1003388394"}),
    ]:
        response = await client.request(
            method, path, json=body, headers=national_admin(internal_keys)
        )
        assert response.is_success, response.text
    items, _ = await read_feed(client, limit=50)
    replica: dict[str, dict[str, Any]] = {}
    for item in items:
        replica[item["organisation"]["code"]] = item["organisation"]
    current: dict[str, dict[str, Any]] = {}
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/organisations", params=params)).json()
        current |= {org["code"]: org for org in page["items"]}
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert replica == current
    assert replica["kbh-test-skole"]["municipality_code"] == "751"


@pytest.mark.parametrize(
    "params", [{"after": "-1"}, {"after": "abc"}, {"limit": "0"}, {"limit": "501"}]
)
async def test_bad_feed_parameters_are_422(
    client: httpx.AsyncClient, params: dict[str, str]
) -> None:
    response = await client.get("/v1/organisations/changes", params=params)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", next(iter(params))]
