"""The gateway's long-lived parts, shared by the proxy path and the admin app: database,
signing key, upstreams with their circuit breakers, authenticators, rate limiter, and the one
pooled HTTP client (opened and closed with the application's lifespan)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
import structlog
from redis.asyncio import Redis
from sqlalchemy.exc import IntegrityError

from leko_gateway.authentication import ApiKeyAuthenticator
from leko_gateway.breaker import CircuitBreaker
from leko_gateway.clients import service
from leko_gateway.keys import parse_api_key
from leko_gateway.oidc import OidcVerifier
from leko_gateway.proxy import Upstream
from leko_gateway.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from leko_gateway.settings import GatewaySettings
from leko_gateway.tokens import InternalTokens
from leko_kit.auth import InternalTokenSigner, generate_keypair
from leko_kit.db import Database
from leko_kit.observability import ReadinessCheck

logger = structlog.get_logger(__name__)

_READY_TIMEOUT = aiohttp.ClientTimeout(total=2)


class Gateway:
    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.database = Database(settings.database_url)
        self.tokens = InternalTokens(
            InternalTokenSigner(_signing_key(settings)),
            reuse_seconds=settings.internal_token_reuse_seconds,
        )
        self.upstreams = {
            name: Upstream(
                name,
                url,
                CircuitBreaker(
                    failure_threshold=settings.breaker_failures,
                    reset_seconds=settings.breaker_reset_seconds,
                ),
            )
            for name, url in settings.upstreams.items()
        }
        self.api_keys = ApiKeyAuthenticator(
            self.database, cache_seconds=settings.api_key_cache_seconds
        )
        self.oidc = OidcVerifier(settings, http=self.http) if settings.oidc_enabled else None
        self.redis: Redis | None = None
        self.limiter: RateLimiter
        if settings.redis_url:
            # Short timeouts: a slow Redis must not stall every request (see RedisRateLimiter).
            self.redis = Redis.from_url(
                settings.redis_url, socket_timeout=0.5, socket_connect_timeout=0.5
            )
            self.limiter = RedisRateLimiter(
                self.redis, rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst
            )
        else:
            self.limiter = MemoryRateLimiter(
                rate=settings.rate_limit_per_second, burst=settings.rate_limit_burst
            )
        self._http: aiohttp.ClientSession | None = None

    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError("the gateway's HTTP client is opened by the ASGI lifespan")
        return self._http

    async def start(self) -> None:
        settings = self.settings
        self._http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=settings.upstream_pool_size, keepalive_timeout=30, ttl_dns_cache=300
            ),
            timeout=aiohttp.ClientTimeout(
                total=None,
                connect=settings.connect_timeout_seconds,
                sock_connect=settings.connect_timeout_seconds,
                sock_read=settings.read_timeout_seconds,
            ),
            # Requests and bodies pass through as the caller sent them (no added Accept,
            # Accept-Encoding, User-Agent or Content-Type, no decompression), and no state
            # may leak between callers.
            skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
        )
        await self.bootstrap()

    async def stop(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self.redis is not None:
            await self.redis.aclose()
        await self.database.dispose()

    async def bootstrap(self) -> None:
        """Ensure the bootstrap admin owns LEKO_BOOTSTRAP_ADMIN_KEY, when that is set."""
        if not self.settings.bootstrap_admin_key:
            return
        api_key = parse_api_key(self.settings.bootstrap_admin_key)
        assert api_key is not None, "validated by GatewaySettings"
        # Two replicas starting together may race to insert; the loser finds the rows.
        for attempt in range(2):
            try:
                async with self.database.session() as session:
                    await service.ensure_bootstrap_admin(session, api_key=api_key)
                break
            except IntegrityError:
                if attempt:
                    raise
        logger.info("bootstrap_admin_ready", key_id=api_key.key_id)

    def readiness_checks(self) -> dict[str, ReadinessCheck]:
        checks: dict[str, ReadinessCheck] = {"database": self.database.ping}
        if self.redis is not None:
            checks["redis"] = self._redis_ping
        for upstream in self.upstreams.values():
            checks[upstream.name] = self._upstream_ready(upstream)
        return checks

    async def _redis_ping(self) -> None:
        assert self.redis is not None
        await self.redis.ping()

    def _upstream_ready(self, upstream: Upstream) -> Callable[[], Awaitable[None]]:
        async def check() -> None:
            async with self.http().get(
                upstream.base_url + "/readyz", timeout=_READY_TIMEOUT
            ) as response:
                if response.status != 200:
                    raise RuntimeError(f"{upstream.name} is not ready ({response.status})")

        return check


def _signing_key(settings: GatewaySettings) -> str:
    if settings.internal_token_private_key.strip():
        return settings.internal_token_private_key
    # Settings refuse this outside development; here it keeps a lone gateway usable.
    logger.warning(
        "internal_token_key_ephemeral",
        detail="GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY is not set: a temporary key signs internal "
        "tokens, which the services will reject",
    )
    private_pem, _ = generate_keypair()
    return private_pem
