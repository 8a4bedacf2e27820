"""Forwarding to a real upstream over HTTP: path and headers, the internal token, request ids,
Location rewriting, streaming both ways, body-size limits, unknown services."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from gateway_support import FakeService, SettingsFactory, client_for, new_key, running, serve

from leko_gateway.app import GatewayApp

pytestmark = pytest.mark.anyio


async def test_authenticated_request_reaches_upstream_with_internal_token(
    client: httpx.AsyncClient, fake_service: FakeService
) -> None:
    api_key = await new_key(client, roles=["reporter", "analyst"], scope=["k751", "k101"])
    response = await client.get(
        "/registry/v1/echo?q=%C3%A6ble&limit=2",
        headers={"X-API-Key": api_key, "Connection": "keep-alive, x-hop", "X-Hop": "secret"},
    )
    assert response.status_code == 200, response.text
    echo = response.json()
    assert echo["path"] == "/v1/echo"
    assert echo["query"] == "q=%C3%A6ble&limit=2"
    principal = echo["principal"]
    assert isinstance(principal, dict), principal  # verified with kit's InternalTokenVerifier
    assert principal["roles"] == ["analyst", "reporter"]
    assert principal["scope"] == ["k751", "k101"]
    upstream_headers = echo["headers"]
    assert "x-api-key" not in upstream_headers
    assert api_key not in str(upstream_headers)
    assert "x-hop" not in upstream_headers
    assert upstream_headers["x-forwarded-for"] == "127.0.0.1"
    assert upstream_headers["x-forwarded-proto"] == "http"
    assert upstream_headers["x-forwarded-host"] == "gateway.test"
    assert upstream_headers["x-request-id"] == response.headers["x-request-id"]
    assert response.headers.get_list("x-request-id") == [response.headers["x-request-id"]]
    assert "server" not in response.headers


async def test_writes_get_fresh_tokens_and_reads_may_reuse_one(
    client: httpx.AsyncClient, fake_service: FakeService
) -> None:
    api_key = await new_key(client, roles=["reporter"])
    headers = {"X-API-Key": api_key}

    async def tokens(method: str) -> set[str]:
        seen = set()
        for _ in range(2):
            echo = (await client.request(method, "/registry/v1/echo", headers=headers)).json()
            assert isinstance(echo["principal"], dict)
            seen.add(echo["headers"]["authorization"])
        return seen

    assert len(await tokens("POST")) == 2  # services refuse a replayed write token
    assert len(await tokens("DELETE")) == 2
    assert len(await tokens("GET")) == 1


async def test_reads_get_fresh_tokens_when_reuse_is_off(
    settings_for: SettingsFactory, fake_service: FakeService
) -> None:
    async with (
        running(settings_for(internal_token_reuse_seconds=0)) as app,
        client_for(app) as http,
    ):
        api_key = await new_key(http, roles=["analyst"])
        seen = {
            (await http.get("/registry/v1/echo", headers={"X-API-Key": api_key})).json()["headers"][
                "authorization"
            ]
            for _ in range(2)
        }
    assert len(seen) == 2


async def test_anonymous_request_is_forwarded_without_a_token(client: httpx.AsyncClient) -> None:
    echo = (await client.get("/registry/v1/echo")).json()
    assert echo["principal"] is None
    assert "authorization" not in echo["headers"]


async def test_request_id_is_echoed_forwarded_or_generated(client: httpx.AsyncClient) -> None:
    given = await client.get("/registry/v1/echo", headers={"X-Request-ID": "erp-42:7"})
    assert given.headers["x-request-id"] == "erp-42:7"
    assert given.json()["headers"]["x-request-id"] == "erp-42:7"
    unsafe = await client.get("/registry/v1/echo", headers={"X-Request-ID": "no spaces {}"})
    generated = unsafe.headers["x-request-id"]
    assert generated != "no spaces {}" and len(generated) == 32
    assert unsafe.json()["headers"]["x-request-id"] == generated
    admin = await client.get("/healthz")
    assert len(admin.headers["x-request-id"]) == 32


async def test_location_gets_the_public_prefix(client: httpx.AsyncClient) -> None:
    response = await client.post("/registry/v1/things", json={"name": "x"})
    assert response.status_code == 201
    assert response.headers["location"] == "/registry/v1/things/42"


async def test_body_and_method_are_forwarded(client: httpx.AsyncClient) -> None:
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = await client.request(method, "/registry/v1/echo", content=b"x" * 1000)
        assert response.json()["method"] == method
        assert response.json()["body_bytes"] == 1000
    head = await client.head("/registry/v1/echo")
    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 0


async def test_unknown_service_and_paths_are_404_problems(
    client: httpx.AsyncClient, fake_service: FakeService
) -> None:
    for path in (
        "/surveys/v1/rounds",
        "/registry/v1/%2e%2e/%2e%2e/metrics",
        "/gateway/v1/nothing",
        "/x",
    ):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
    unknown = await client.get("/surveys/v1/rounds")
    assert "/registry/v1" in unknown.json()["detail"]
    assert fake_service.hits["echo"] == 0


async def test_large_response_is_streamed(gateway: GatewayApp, fake_service: FakeService) -> None:
    """The first chunk reaches the client while the upstream is still holding back the rest."""
    async with (
        serve(gateway) as url,
        httpx.AsyncClient(base_url=url) as http,
        http.stream("GET", "/registry/v1/download?size=65536&chunks=8") as response,
    ):
        assert response.status_code == 200
        chunks = response.aiter_raw()
        received = 0
        while received < 65536:  # a buffering proxy would time out here
            received += len(await asyncio.wait_for(anext(chunks), 5))
        assert received == 65536
        fake_service.release_download.set()
        async for chunk in chunks:
            received += len(chunk)
    assert received == 8 * 65536


async def test_large_request_body_is_streamed(
    gateway: GatewayApp, fake_service: FakeService
) -> None:
    """The upstream starts reading before the client has finished sending."""
    chunk = b"b" * 100_000

    async def body() -> AsyncIterator[bytes]:
        yield chunk
        async with asyncio.timeout(5):
            await fake_service.upload_started.wait()
        for _ in range(4):
            yield chunk

    async with serve(gateway) as url, httpx.AsyncClient(base_url=url) as http:
        response = await http.post("/registry/v1/upload", content=body())
    assert response.status_code == 200, response.text
    assert response.json()["bytes"] == 5 * len(chunk)


async def test_declared_oversized_body_is_413(
    settings_for: SettingsFactory, fake_service: FakeService
) -> None:
    async with running(settings_for(max_body_bytes=1000)) as app, client_for(app) as http:
        for path in ("/registry/v1/upload", "/gateway/v1/clients"):
            response = await http.post(path, content=b"x" * 1001)
            assert response.status_code == 413, path
            assert response.headers["content-type"] == "application/problem+json"
            assert "1000 bytes" in response.json()["detail"]
        ok = await http.post("/registry/v1/upload", content=b"x" * 1000)
        assert ok.json()["bytes"] == 1000


async def test_streamed_body_growing_past_the_limit_is_413(
    settings_for: SettingsFactory, fake_service: FakeService
) -> None:
    async def body() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"x" * 600

    async with running(settings_for(max_body_bytes=2000)) as app, client_for(app) as http:
        for path in ("/registry/v1/upload", "/gateway/v1/clients"):
            response = await http.post(path, content=body())
            assert response.status_code == 413, (path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
        # The upstream is still fine afterwards.
        assert (await http.get("/registry/v1/echo")).status_code == 200


async def test_upload_paths_have_their_own_limit(
    settings_for: SettingsFactory, fake_service: FakeService
) -> None:
    settings = settings_for(
        max_body_bytes=1000, upload_paths=["/registry/v1/upload"], max_upload_bytes=5000
    )
    async with running(settings) as app, client_for(app) as http:
        accepted = await http.post("/registry/v1/upload", content=b"x" * 5000)
        assert accepted.status_code == 200 and accepted.json()["bytes"] == 5000
        too_large = await http.post("/registry/v1/upload", content=b"x" * 5001)
        assert too_large.status_code == 413 and "5000 bytes" in too_large.json()["detail"]
        elsewhere = await http.post("/registry/v1/echo", content=b"x" * 1001)
        assert elsewhere.status_code == 413 and "1000 bytes" in elsewhere.json()["detail"]


async def test_metrics_label_proxied_requests_by_service(client: httpx.AsyncClient) -> None:
    await client.get("/registry/v1/echo?x=1")
    await client.get("/registry/v1/status/404")
    metrics = (await client.get("/metrics")).text
    assert 'route="/registry/v1/{path}"' in metrics
    assert "/registry/v1/echo" not in metrics
