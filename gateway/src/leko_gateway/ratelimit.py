"""Per-client token-bucket rate limits, in memory or shared through Redis.

Each client (anonymous callers: each client IP) has a bucket of `burst` tokens refilled at
`rate` per second; a request takes one. Every response carries `RateLimit-Limit` (the bucket
size), `RateLimit-Remaining` and `RateLimit-Reset` (seconds until the bucket is full again);
an empty bucket is a 429 problem with `Retry-After`.

With Redis, one Lua script reads, refills and takes a token atomically on Redis's own clock,
so any number of gateway replicas share each client's bucket. When Redis does not answer,
the gateway falls back to its own in-memory buckets rather than refusing or waving through
all traffic.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leko_kit.auth import principal_from_scope
from leko_kit.middleware import header, send_problem

logger = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after_seconds: int

    @classmethod
    def of(cls, *, allowed: bool, tokens: float, rate: float, burst: int) -> Decision:
        """The decision for a bucket holding `tokens` after this request was (not) served."""
        return cls(
            allowed=allowed,
            limit=burst,
            remaining=max(0, math.floor(tokens)),
            reset_seconds=math.ceil(max(0.0, burst - tokens) / rate),
            retry_after_seconds=0 if allowed else max(1, math.ceil((1 - tokens) / rate)),
        )

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-limit", str(self.limit).encode()),
            (b"ratelimit-remaining", str(self.remaining).encode()),
            (b"ratelimit-reset", str(self.reset_seconds).encode()),
        ]


class RateLimiter(Protocol):
    async def hit(self, key: str) -> Decision: ...


class MemoryRateLimiter:
    """Buckets in this process; full (idle) buckets are dropped now and then to bound memory."""

    def __init__(
        self, *, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate, self.burst = rate, burst
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._next_prune = clock() + 60

    async def hit(self, key: str) -> Decision:
        now = self._clock()
        tokens, last = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        allowed = tokens >= 1
        if allowed:
            tokens -= 1
        self._buckets[key] = (tokens, now)
        if now >= self._next_prune:
            self._prune(now)
        return Decision.of(allowed=allowed, tokens=tokens, rate=self.rate, burst=self.burst)

    def _prune(self, now: float) -> None:
        full_after = self.burst / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}
        self._next_prune = now + 60


# KEYS[1] bucket; ARGV rate, burst. Returns {allowed, tokens left (as a string: Lua numbers
# come back from Redis truncated to integers)}.
_BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""


class RedisRateLimiter:
    def __init__(
        self, redis: Redis, *, rate: float, burst: int, prefix: str = "leko:ratelimit:"
    ) -> None:
        self.rate, self.burst, self.prefix = rate, burst, prefix
        self._script = redis.register_script(_BUCKET_SCRIPT)
        self._fallback = MemoryRateLimiter(rate=rate, burst=burst)
        self._warned_at = float("-inf")

    async def hit(self, key: str) -> Decision:
        try:
            allowed, tokens = await self._script(
                keys=[self.prefix + key], args=[self.rate, self.burst]
            )
        except (RedisError, OSError) as exc:
            if time.monotonic() - self._warned_at > 30:
                self._warned_at = time.monotonic()
                logger.warning("ratelimit_redis_unavailable", error_type=type(exc).__name__)
            return await self._fallback.hit(key)
        return Decision.of(
            allowed=bool(int(allowed)), tokens=float(tokens), rate=self.rate, burst=self.burst
        )


def client_ip(scope: Scope, *, trust_forwarded_for: bool) -> str:
    """The caller's address; behind a trusted proxy, the one that proxy appended last."""
    if trust_forwarded_for:
        forwarded = header(scope, b"x-forwarded-for")
        if forwarded:
            return forwarded.rsplit(",", 1)[-1].strip()
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limiter: RateLimiter, trust_forwarded_for: bool) -> None:
        self.app = app
        self.limiter = limiter
        self.trust_forwarded_for = trust_forwarded_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        principal = principal_from_scope(scope)
        key = (
            f"client:{principal.client_id}"
            if principal is not None
            else f"ip:{client_ip(scope, trust_forwarded_for=self.trust_forwarded_for)}"
        )
        decision = await self.limiter.hit(key)
        limit_headers = decision.headers()
        if not decision.allowed:
            await send_problem(
                send,
                status=429,
                slug="rate-limited",
                detail=f"Too many requests; retry after {decision.retry_after_seconds} s.",
                instance=scope["path"],
                headers=[
                    *limit_headers,
                    (b"retry-after", str(decision.retry_after_seconds).encode()),
                ],
            )
            return

        async def send_with_limits(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *limit_headers]
            await send(message)

        await self.app(scope, receive, send_with_limits)
