"""When services fail: 503/504/502 problems naming the service, the circuit breaker, and
retries for idempotent requests only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from gateway_support import FakeService, RawServer, SettingsFactory, client_for, free_port, running

from leko_gateway.breaker import CircuitBreaker

pytestmark = pytest.mark.anyio


async def test_down_service_is_503_within_timeout_and_others_keep_working(
    settings_for: SettingsFactory, fake_service: FakeService
) -> None:
    settings = settings_for(
        services=["registry", "evaluation"],
        upstreams={"registry": f"http://127.0.0.1:{free_port()}", "evaluation": fake_service.url},
        connect_timeout_seconds=1.0,
    )
    async with running(settings) as app, client_for(app) as http:
        started = time.monotonic()
        response = await http.get("/registry/v1/organisations/k101")
        assert time.monotonic() - started < 1.0
        assert response.status_code == 503
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert problem["upstream"] == "registry" and "registry" in problem["detail"]
        assert "127.0.0.1" not in response.text  # no internal addresses
        assert (await http.get("/evaluation/v1/echo")).status_code == 200
        assert (await http.get("/healthz")).status_code == 200
        ready = await http.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["registry"].startswith("failing")
        assert ready.json()["checks"]["evaluation"] == "ok"


async def test_slow_service_is_504(settings_for: SettingsFactory) -> None:
    async with running(settings_for(read_timeout_seconds=0.3)) as app, client_for(app) as http:
        started = time.monotonic()
        response = await http.get("/registry/v1/slow?seconds=1.5")
        assert time.monotonic() - started < 1.0
        assert response.status_code == 504
        assert response.json()["upstream"] == "registry"
        assert (await http.get("/registry/v1/echo")).status_code == 200


async def test_circuit_breaker_opens_and_recovers(
    settings_for: SettingsFactory, fake_service: FakeService
) -> None:
    settings = settings_for(breaker_failures=2, breaker_reset_seconds=0.3)
    async with running(settings) as app, client_for(app) as http:
        for _ in range(2):
            failing = await http.get("/registry/v1/status/503")
            assert failing.status_code == 503 and failing.json() == {"status": 503}
        paused = await http.get("/registry/v1/echo")
        assert paused.status_code == 503
        assert paused.json()["upstream"] == "registry"
        assert "paused" in paused.json()["detail"]
        assert int(paused.headers["retry-after"]) >= 1
        assert fake_service.hits["echo"] == 0
        await asyncio.sleep(0.35)
        assert (await http.get("/registry/v1/echo")).status_code == 200  # the half-open trial
        assert (await http.get("/registry/v1/echo")).status_code == 200
        assert fake_service.hits["echo"] == 2


async def test_refused_connections_open_the_circuit(settings_for: SettingsFactory) -> None:
    settings = settings_for(
        upstreams={"registry": f"http://127.0.0.1:{free_port()}"},
        breaker_failures=2,
        upstream_retries=0,
    )
    async with running(settings) as app, client_for(app) as http:
        details = [(await http.get("/registry/v1/echo")).json()["detail"] for _ in range(3)]
        assert "not reachable" in details[0] and "not reachable" in details[1]
        assert "paused" in details[2]


async def test_only_idempotent_requests_are_retried(settings_for: SettingsFactory) -> None:
    async def streamed() -> AsyncIterator[bytes]:
        yield b"{}"

    cases = [
        ("GET", None, 200, 2),
        ("DELETE", None, 200, 2),
        ("PUT", b"{}", 200, 2),  # a small body is held, so it can be sent again
        ("POST", b"{}", 502, 1),
        ("PATCH", b"{}", 502, 1),
        ("PUT", "stream", 502, 1),  # a streamed body cannot be sent twice
    ]
    for method, body, status, connections in cases:
        server = RawServer(drop_first=1)
        async with (
            server.running() as url,
            running(settings_for(upstreams={"registry": url})) as app,
            client_for(app) as http,
        ):
            content = streamed() if body == "stream" else body
            response = await http.request(method, "/registry/v1/things", content=content)
        assert response.status_code == status, (method, body, response.text)
        assert server.connections == connections, (method, body)
        if status == 502:
            assert response.json()["upstream"] == "registry"


async def test_garbage_from_upstream_is_502(settings_for: SettingsFactory) -> None:
    server = RawServer(drop_first=0, garbage=True)
    async with (
        server.running() as url,
        running(settings_for(upstreams={"registry": url})) as app,
        client_for(app) as http,
    ):
        response = await http.get("/registry/v1/things")
    assert response.status_code == 502
    assert response.json()["upstream"] == "registry"
    assert "no valid response" in response.json()["detail"]


def test_breaker_lets_one_trial_through_when_half_open() -> None:
    now = [0.0]
    breaker = CircuitBreaker(failure_threshold=3, reset_seconds=10, clock=lambda: now[0])
    for _ in range(2):
        breaker.record_failure()
    assert breaker.state == "closed" and breaker.allow()
    breaker.record_success()
    for _ in range(3):
        breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    assert breaker.retry_after() == 10
    now[0] = 10.0
    assert breaker.allow() and breaker.state == "half_open"
    assert not breaker.allow()  # one trial at a time
    breaker.record_failure()
    assert breaker.state == "open" and not breaker.allow()
    now[0] = 20.0
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed" and breaker.allow()
