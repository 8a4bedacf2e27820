"""API-key authentication: formats, wrong/unknown/revoked/expired keys, caching, and the
bootstrap admin key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from gateway_support import (
    ADMIN,
    ADMIN_KEY,
    FakeService,
    SettingsFactory,
    client_for,
    new_key,
    running,
)
from sqlalchemy import select, update

from leko_gateway.app import GatewayApp
from leko_gateway.clients.models import ApiKeyRecord, Client
from leko_gateway.clients.service import BOOTSTRAP_CLIENT_ID
from leko_gateway.keys import generate_api_key

pytestmark = pytest.mark.anyio


async def test_key_works_as_x_api_key_and_as_bearer(client: httpx.AsyncClient) -> None:
    api_key = await new_key(client, roles=["analyst"])
    for headers in ({"X-API-Key": api_key}, {"Authorization": f"Bearer {api_key}"}):
        response = await client.get("/gateway/v1/whoami", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["roles"] == ["analyst"]


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": "not-a-key"},
        {"X-API-Key": "leko_0123456789abcdef_" + "x" * 43},  # unknown key id
        {"Authorization": "Bearer leko_short"},
        {"Authorization": "Bearer something-opaque"},  # no OIDC issuer configured
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": f"Bearer {ADMIN_KEY}", "X-API-Key": ADMIN_KEY},
    ],
)
async def test_invalid_credentials_are_401_and_not_forwarded(
    client: httpx.AsyncClient, fake_service: FakeService, headers: dict[str, str]
) -> None:
    for path in ("/gateway/v1/whoami", "/registry/v1/echo"):
        response = await client.get(path, headers=headers)
        assert response.status_code == 401, (path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["request_id"] == response.headers["x-request-id"]
    assert fake_service.hits["echo"] == 0


async def test_wrong_secret_is_401_even_when_the_key_is_cached(client: httpx.AsyncClient) -> None:
    api_key = await new_key(client, roles=["analyst"])
    assert (
        await client.get("/gateway/v1/whoami", headers={"X-API-Key": api_key})
    ).status_code == 200
    forged = api_key[:-4] + ("AAAA" if not api_key.endswith("AAAA") else "BBBB")
    response = await client.get("/gateway/v1/whoami", headers={"X-API-Key": forged})
    assert response.status_code == 401
    assert "not valid" in response.json()["detail"]


async def test_expired_key_is_401(client: httpx.AsyncClient, gateway: GatewayApp) -> None:
    api_key = await new_key(client, roles=["analyst"])
    async with gateway.gateway.database.session() as session:
        await session.execute(
            update(ApiKeyRecord)
            .where(ApiKeyRecord.key_id == api_key.split("_")[1])
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
    response = await client.get("/gateway/v1/whoami", headers={"X-API-Key": api_key})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_revoked_key_is_401_on_proxied_routes(
    client: httpx.AsyncClient, fake_service: FakeService
) -> None:
    api_key = await new_key(client, roles=["analyst"])
    own = {"X-API-Key": api_key}
    assert (await client.get("/registry/v1/echo", headers=own)).status_code == 200
    client_id = (await client.get("/gateway/v1/whoami", headers=own)).json()["client_id"]
    await client.delete(
        f"/gateway/v1/clients/{client_id}/keys/{api_key.split('_')[1]}", headers=ADMIN
    )
    response = await client.get("/registry/v1/echo", headers=own)
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    assert fake_service.hits["echo"] == 1


async def bootstrap_state(app: GatewayApp) -> tuple[Client | None, list[ApiKeyRecord]]:
    async with app.gateway.database.session() as session:
        client = await session.get(Client, BOOTSTRAP_CLIENT_ID)
        keys = list(
            await session.scalars(
                select(ApiKeyRecord).where(ApiKeyRecord.client_id == BOOTSTRAP_CLIENT_ID)
            )
        )
    return client, keys


async def test_bootstrap_admin_key_is_idempotent_and_rotates(
    settings_for: SettingsFactory,
) -> None:
    async with running(settings_for()) as app:
        await app.gateway.bootstrap()  # a second start-up (restart, or another replica)
        client, keys = await bootstrap_state(app)
        assert client is not None and client.roles == ["national_admin"] and client.scope == ["*"]
        assert [k.key_id for k in keys] == [ADMIN_KEY.split("_")[1]]
        async with client_for(app) as http:
            assert (await http.get("/gateway/v1/clients", headers=ADMIN)).status_code == 200

            rotated = str(generate_api_key())
            app.gateway.settings.bootstrap_admin_key = rotated
            await app.gateway.bootstrap()
            _, keys = await bootstrap_state(app)
            live = [k.key_id for k in keys if k.revoked_at is None]
            assert live == [rotated.split("_")[1]] and len(keys) == 2
            app.gateway.api_keys.forget(ADMIN_KEY.split("_")[1])
            assert (await http.get("/gateway/v1/clients", headers=ADMIN)).status_code == 401
            new = {"X-API-Key": rotated}
            assert (await http.get("/gateway/v1/clients", headers=new)).status_code == 200
