"""Browser-facing behaviour: CORS for configured origins, security headers on every response,
and the health endpoints."""

from __future__ import annotations

import httpx
import pytest
from gateway_support import ADMIN, FakeService, SettingsFactory, client_for, running

pytestmark = pytest.mark.anyio

ALLOWED = "https://frontend.vendor.dk"
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x-api-key"}


async def test_cors_preflight_for_allowed_and_refused_origins(
    settings_for: SettingsFactory, fake_service: FakeService
) -> None:
    async with running(settings_for(cors_origins=[ALLOWED])) as app, client_for(app) as http:
        allowed = await http.options("/registry/v1/echo", headers=PREFLIGHT | {"Origin": ALLOWED})
        assert allowed.status_code == 204
        assert allowed.headers["access-control-allow-origin"] == ALLOWED
        assert allowed.headers["access-control-allow-credentials"] == "true"
        assert "POST" in allowed.headers["access-control-allow-methods"]
        assert "X-API-Key" in allowed.headers["access-control-allow-headers"]

        refused = await http.options(
            "/registry/v1/echo", headers=PREFLIGHT | {"Origin": "https://evil.example"}
        )
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
        assert "access-control-allow-origin" not in refused.headers
        assert fake_service.hits["echo"] == 0  # preflights never reach a service

        actual = await http.get("/registry/v1/echo", headers={"Origin": ALLOWED})
        assert actual.headers["access-control-allow-origin"] == ALLOWED
        assert "X-Request-ID" in actual.headers["access-control-expose-headers"]
        foreign = await http.get("/registry/v1/echo", headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 200
        assert "access-control-allow-origin" not in foreign.headers


async def test_wildcard_origin_never_allows_credentials(settings_for: SettingsFactory) -> None:
    async with running(settings_for(cors_origins=["*", ALLOWED])) as app, client_for(app) as http:
        other = await http.options(
            "/gateway/v1/whoami", headers=PREFLIGHT | {"Origin": "https://any.example"}
        )
        assert other.status_code == 204
        assert other.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in other.headers
        listed = await http.options("/gateway/v1/whoami", headers=PREFLIGHT | {"Origin": ALLOWED})
        assert listed.headers["access-control-allow-credentials"] == "true"


async def test_security_headers_on_every_response(client: httpx.AsyncClient) -> None:
    responses = [
        await client.get("/registry/v1/echo"),  # proxied
        await client.get("/gateway/v1/whoami", headers=ADMIN),  # admin
        await client.get("/gateway/v1/whoami"),  # 401 problem
        await client.get("/nowhere/v1/x"),  # dispatcher problem
        await client.get("/openapi.json"),
    ]
    for response in responses:
        headers = response.headers
        assert headers["x-content-type-options"] == "nosniff", response.url
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
        assert headers["strict-transport-security"].startswith("max-age=")
        assert headers.get_list("content-security-policy") == [
            "default-src 'none'; frame-ancestors 'none'"
        ]
    docs = await client.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert "script-src" in docs.headers["content-security-policy"]
    assert docs.headers["x-frame-options"] == "DENY"


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "registry": "ok"}
