"""The admin API as a client sees it: create and read clients, keys, revoke, whoami, who may
call what, bad bodies, pagination and Idempotency-Key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from gateway_support import ADMIN, new_key
from sqlalchemy import func, select

from leko_gateway.app import GatewayApp
from leko_gateway.clients.models import ApiKeyRecord, Client
from leko_gateway.keys import hash_secret, parse_api_key
from leko_kit.tables import IdempotencyRecord

pytestmark = pytest.mark.anyio

REPORTER = {
    "name": "Aarhus lønsystem",
    "roles": ["reporter"],
    "scope": ["k751"],
    "leader_ref": None,
}


async def count_clients(app: GatewayApp) -> int:
    async with app.gateway.database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(Client)) or 0)


async def test_create_client_returns_201_location_and_contract_shape(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/gateway/v1/clients", json=REPORTER, headers=ADMIN)
    assert response.status_code == 201, response.text
    body = response.json()
    assert {k: body[k] for k in ("name", "roles", "scope", "leader_ref")} == REPORTER
    assert response.headers["location"] == f"/gateway/v1/clients/{body['client_id']}"
    fetched = await client.get(response.headers["location"], headers=ADMIN)
    assert fetched.status_code == 200 and fetched.json() == body


async def test_create_key_shows_secret_once_and_stores_only_its_hash(
    client: httpx.AsyncClient, gateway: GatewayApp
) -> None:
    client_id = (await client.post("/gateway/v1/clients", json=REPORTER, headers=ADMIN)).json()[
        "client_id"
    ]
    expires = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    response = await client.post(
        f"/gateway/v1/clients/{client_id}/keys",
        json={"expires_at": expires.isoformat()},
        headers=ADMIN,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["cache-control"] == "no-store"
    assert datetime.fromisoformat(body["expires_at"]) == expires
    api_key = parse_api_key(body["api_key"])
    assert api_key is not None and api_key.key_id == body["key_id"]
    async with gateway.gateway.database.session() as session:
        record = await session.get(ApiKeyRecord, body["key_id"])
    assert record is not None and record.client_id == client_id
    assert record.secret_hash == hash_secret(api_key.secret)
    assert api_key.secret not in record.secret_hash

    whoami = await client.get("/gateway/v1/whoami", headers={"X-API-Key": body["api_key"]})
    assert whoami.status_code == 200
    assert whoami.json() == {
        "client_id": client_id,
        "name": REPORTER["name"],
        "roles": ["reporter"],
        "scope": ["k751"],
        "leader_ref": None,
    }


async def test_key_without_body_never_expires(client: httpx.AsyncClient) -> None:
    client_id = (await client.post("/gateway/v1/clients", json=REPORTER, headers=ADMIN)).json()[
        "client_id"
    ]
    response = await client.post(f"/gateway/v1/clients/{client_id}/keys", headers=ADMIN)
    assert response.status_code == 201, response.text
    assert response.json()["expires_at"] is None


async def test_revoke_stops_the_key_at_once(client: httpx.AsyncClient) -> None:
    api_key = await new_key(client, roles=["analyst"])
    own = {"X-API-Key": api_key}
    me = (await client.get("/gateway/v1/whoami", headers=own)).json()  # now cached
    key_id = api_key.split("_")[1]
    revoke = await client.delete(
        f"/gateway/v1/clients/{me['client_id']}/keys/{key_id}", headers=ADMIN
    )
    assert revoke.status_code == 204 and revoke.content == b""
    refused = await client.get("/gateway/v1/whoami", headers=own)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    again = await client.delete(
        f"/gateway/v1/clients/{me['client_id']}/keys/{key_id}", headers=ADMIN
    )
    assert again.status_code == 204


async def test_unknown_client_and_key_are_404_problems(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/gateway/v1/clients/nope", headers=ADMIN),
        await client.post("/gateway/v1/clients/nope/keys", json={}, headers=ADMIN),
        await client.delete("/gateway/v1/clients/nope/keys/0123456789abcdef", headers=ADMIN),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


async def test_key_of_another_client_cannot_be_revoked_through_this_one(
    client: httpx.AsyncClient,
) -> None:
    api_key = await new_key(client, roles=["analyst"])
    other = (await client.post("/gateway/v1/clients", json=REPORTER, headers=ADMIN)).json()
    response = await client.delete(
        f"/gateway/v1/clients/{other['client_id']}/keys/{api_key.split('_')[1]}", headers=ADMIN
    )
    assert response.status_code == 404
    assert (
        await client.get("/gateway/v1/whoami", headers={"X-API-Key": api_key})
    ).status_code == 200


async def test_list_clients_pages_through_all_in_creation_order(client: httpx.AsyncClient) -> None:
    names = [f"client {i}" for i in range(5)]
    for name in names:
        await client.post("/gateway/v1/clients", json=REPORTER | {"name": name}, headers=ADMIN)
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = await client.get("/gateway/v1/clients", params=params, headers=ADMIN)
        assert page.status_code == 200
        seen += [c["name"] for c in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 6
    assert [name for name in seen if name != "Bootstrap administrator"] == names


ROLES = ["national_admin", "org_admin", "reporter", "leader", "analyst", "researcher"]


@pytest.mark.parametrize("role", ROLES)
async def test_authorisation_matrix(client: httpx.AsyncClient, role: str) -> None:
    """Every admin endpoint: national_admin may, every other role gets 403, nobody gets 401;
    whoami answers any authenticated caller."""
    target = (await client.post("/gateway/v1/clients", json=REPORTER, headers=ADMIN)).json()
    target_key = (
        await client.post(f"/gateway/v1/clients/{target['client_id']}/keys", headers=ADMIN)
    ).json()["key_id"]
    leader_ref = "leader-7" if role == "leader" else None
    caller = {"X-API-Key": await new_key(client, roles=[role], leader_ref=leader_ref)}
    base = f"/gateway/v1/clients/{target['client_id']}"
    calls = [
        ("POST", "/gateway/v1/clients", REPORTER, 201),
        ("GET", "/gateway/v1/clients", None, 200),
        ("GET", base, None, 200),
        ("POST", f"{base}/keys", {}, 201),
        ("DELETE", f"{base}/keys/{target_key}", None, 204),
    ]
    for method, path, body, admin_status in calls:
        response = await client.request(method, path, json=body, headers=caller)
        expected = admin_status if role == "national_admin" else 403
        assert response.status_code == expected, (method, path, response.text)
        if expected == 403:
            assert response.json()["type"].endswith("/forbidden")
            assert "national_admin" in response.json()["detail"]
        anonymous = await client.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, path)
        assert anonymous.headers["www-authenticate"].startswith("Bearer")
    whoami = await client.get("/gateway/v1/whoami", headers=caller)
    assert whoami.status_code == 200 and whoami.json()["roles"] == [role]
    assert whoami.json()["leader_ref"] == leader_ref
    assert (await client.get("/gateway/v1/whoami")).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (REPORTER | {"colour": "blue"}, "colour"),
        (REPORTER | {"roles": ["superuser"]}, "roles"),
        (REPORTER | {"roles": "reporter"}, "roles"),
        (REPORTER | {"roles": []}, "roles"),
        (REPORTER | {"scope": ["K101"]}, "scope"),
        (REPORTER | {"scope": "k101"}, "scope"),
        (REPORTER | {"name": 7}, "name"),
        (REPORTER | {"name": ""}, "name"),
        ({"roles": ["reporter"], "scope": ["k101"]}, "name"),
        (REPORTER | {"roles": ["leader"]}, "leader_ref"),
        (REPORTER | {"roles": ["leader"], "leader_ref": "010190-1234"}, "leader_ref"),
    ],
)
async def test_invalid_client_bodies_are_422_and_store_nothing(
    client: httpx.AsyncClient, gateway: GatewayApp, body: dict[str, object], field: str
) -> None:
    before = await count_clients(gateway)
    response = await client.post("/gateway/v1/clients", json=body, headers=ADMIN)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert any(
        field in [str(p) for p in e["loc"]] or field in e["message"] for e in problem["errors"]
    )
    assert await count_clients(gateway) == before


@pytest.mark.parametrize(
    "body",
    [{"expires_at": "2001-01-01T00:00:00Z"}, {"expires_at": "2030-01-01T00:00:00"}, {"x": 1}],
)
async def test_invalid_key_bodies_are_422(
    client: httpx.AsyncClient, gateway: GatewayApp, body: dict[str, object]
) -> None:
    client_id = (await client.post("/gateway/v1/clients", json=REPORTER, headers=ADMIN)).json()[
        "client_id"
    ]
    response = await client.post(f"/gateway/v1/clients/{client_id}/keys", json=body, headers=ADMIN)
    assert response.status_code == 422, response.text
    async with gateway.gateway.database.session() as session:
        keys = await session.scalar(
            select(func.count())
            .select_from(ApiKeyRecord)
            .where(ApiKeyRecord.client_id == client_id)
        )
    assert keys == 0


async def test_idempotency_key_replays_and_refuses_another_body(
    client: httpx.AsyncClient, gateway: GatewayApp
) -> None:
    headers = ADMIN | {"Idempotency-Key": "create-aarhus-1"}
    first = await client.post("/gateway/v1/clients", json=REPORTER, headers=headers)
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    count = await count_clients(gateway)
    replay = await client.post("/gateway/v1/clients", json=REPORTER, headers=headers)
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert replay.headers["location"] == first.headers["location"]
    other = await client.post(
        "/gateway/v1/clients", json=REPORTER | {"name": "other"}, headers=headers
    )
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")
    assert await count_clients(gateway) == count


async def test_key_creation_never_stores_the_secret_for_replay(
    client: httpx.AsyncClient, gateway: GatewayApp
) -> None:
    client_id = (await client.post("/gateway/v1/clients", json=REPORTER, headers=ADMIN)).json()[
        "client_id"
    ]
    headers = ADMIN | {"Idempotency-Key": "key-1"}
    first = await client.post(f"/gateway/v1/clients/{client_id}/keys", json={}, headers=headers)
    second = await client.post(f"/gateway/v1/clients/{client_id}/keys", json={}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["key_id"] != second.json()["key_id"]
    async with gateway.gateway.database.session() as session:
        stored = list(await session.scalars(select(IdempotencyRecord.response_body)))
    for body in (first, second):
        secret = body.json()["api_key"].encode()
        assert not any(secret in (record or b"") for record in stored)
