"""Rate limits per client: headers on every response, 429 + Retry-After, anonymous callers
limited per IP, and buckets shared by gateway replicas through Redis."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from gateway_support import ADMIN, SettingsFactory, client_for, new_key, running
from redis.asyncio import Redis

from leko_gateway.app import GatewayApp
from leko_gateway.ratelimit import MemoryRateLimiter
from leko_kit.testing import redis_test_url

pytestmark = pytest.mark.anyio


def limits(response: httpx.Response) -> tuple[int, int, int]:
    return (
        int(response.headers["ratelimit-limit"]),
        int(response.headers["ratelimit-remaining"]),
        int(response.headers["ratelimit-reset"]),
    )


async def assert_bucket_of_three(http: httpx.AsyncClient, headers: dict[str, str]) -> None:
    for remaining in (2, 1, 0):
        response = await http.get("/registry/v1/echo", headers=headers)
        assert response.status_code == 200
        assert limits(response)[:2] == (3, remaining)
    refused = await http.get("/registry/v1/echo", headers=headers)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/rate-limited")
    assert int(refused.headers["retry-after"]) >= 1
    assert limits(refused)[:2] == (3, 0) and limits(refused)[2] >= 1


async def test_memory_limits_per_client_and_per_ip(settings_for: SettingsFactory) -> None:
    settings = settings_for(rate_limit_burst=3, rate_limit_per_second=0.01)
    async with (
        running(settings) as app,
        client_for(app, ip="10.0.0.1") as first,
        client_for(app, ip="10.0.0.2") as other,
    ):
        await assert_bucket_of_three(first, {})
        # Another address has its own bucket; so does each client, wherever it calls from.
        assert (await other.get("/registry/v1/echo")).status_code == 200
        admin = await first.get("/gateway/v1/whoami", headers=ADMIN)
        assert admin.status_code == 200 and limits(admin)[:2] == (3, 2)


async def test_limit_headers_on_admin_and_error_responses(client: httpx.AsyncClient) -> None:
    for response in (
        await client.get("/healthz"),
        await client.get("/gateway/v1/whoami"),  # 401 from the admin app
        await client.get("/surveys/v1/x"),  # 404 from the dispatcher
    ):
        assert "ratelimit-remaining" in response.headers, response.url


async def test_bucket_refills_over_time() -> None:
    now = [0.0]
    limiter = MemoryRateLimiter(rate=2.0, burst=2, clock=lambda: now[0])
    assert (await limiter.hit("a")).allowed and (await limiter.hit("a")).allowed
    refused = await limiter.hit("a")
    assert not refused.allowed and refused.retry_after_seconds == 1
    now[0] = 0.5
    refilled = await limiter.hit("a")
    assert refilled.allowed and refilled.remaining == 0 and refilled.reset_seconds == 1


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    url = redis_test_url()
    if url is None:
        pytest.skip("Redis is not reachable (set LEKO_TEST_REDIS_URL)")
    yield url
    redis = Redis.from_url(url)
    async for key in redis.scan_iter("leko:ratelimit:*"):
        await redis.delete(key)
    await redis.aclose()


@pytest.mark.redis
async def test_redis_buckets_are_shared_by_replicas(
    settings_for: SettingsFactory, redis_url: str
) -> None:
    shared = {"redis_url": redis_url, "rate_limit_burst": 3, "rate_limit_per_second": 0.01}
    # A fresh address per run, so leftovers of an earlier run cannot matter.
    ip = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.9"
    async with (
        running(settings_for(**shared)) as one,
        running(settings_for(**shared, bootstrap_admin_key=None)) as two,
    ):
        replicas: list[GatewayApp] = [one, two]
        clients = [client_for(app, ip=ip) for app in replicas]
        try:
            for index, remaining in enumerate((2, 1, 0)):
                response = await clients[index % 2].get("/registry/v1/echo")
                assert response.status_code == 200
                assert limits(response)[1] == remaining
            refused = await clients[1].get("/registry/v1/echo")
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        finally:
            for http in clients:
                await http.aclose()


@pytest.mark.redis
async def test_redis_limits_per_client(settings_for: SettingsFactory, redis_url: str) -> None:
    settings = settings_for(redis_url=redis_url, rate_limit_burst=3, rate_limit_per_second=0.01)
    async with running(settings) as app, client_for(app) as http:
        api_key = await new_key(http, roles=["analyst"])  # the admin's requests: other bucket
        await assert_bucket_of_three(http, {"X-API-Key": api_key})


async def test_unreachable_redis_falls_back_to_memory(settings_for: SettingsFactory) -> None:
    settings = settings_for(
        redis_url="redis://127.0.0.1:1/0", rate_limit_burst=3, rate_limit_per_second=0.01
    )
    async with running(settings) as app, client_for(app, ip="10.9.9.9") as http:
        await assert_bucket_of_three(http, {})


async def test_behind_a_trusted_proxy_the_forwarded_address_counts(
    settings_for: SettingsFactory,
) -> None:
    settings = settings_for(
        trust_forwarded_for=True, rate_limit_burst=3, rate_limit_per_second=0.01
    )
    async with running(settings) as app, client_for(app, ip="10.0.0.254") as http:
        await assert_bucket_of_three(http, {"X-Forwarded-For": "192.0.2.1"})
        other = await http.get("/registry/v1/echo", headers={"X-Forwarded-For": "192.0.2.2"})
        assert other.status_code == 200
        assert other.json()["headers"]["x-forwarded-for"] == "192.0.2.2, 10.0.0.254"
