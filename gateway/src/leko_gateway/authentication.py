"""Who is calling: API keys (cached briefly), OIDC tokens, or nobody.

The middleware resolves the principal once per request and leaves it where kit's
`principal_from_scope` finds it, for the proxy (internal token) and the admin API alike. A
credential that is present but not valid is a 401 at once; no credential means anonymous, and
the services decide what anonymous callers may see.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from leko_gateway.clients import repository
from leko_gateway.keys import ApiKey, parse_api_key, secret_matches
from leko_gateway.oidc import OidcVerifier
from leko_kit.auth import Principal
from leko_kit.db import Database
from leko_kit.middleware import header, send_problem
from leko_kit.problems import LekoError, Unauthorized

_INVALID_KEY = "The API key is not valid; check that it was copied whole (leko_<id>_<secret>)."
_MAX_CACHED = 10_000


@dataclass(frozen=True, slots=True)
class _CachedKey:
    secret_hash: str
    expires_at: datetime | None
    principal: Principal
    fresh_until: float


class ApiKeyAuthenticator:
    """Checks API keys against the database, keeping successful lookups for a few seconds.

    The cache holds the secret's hash, not the secret, and every request still compares the
    presented secret with it. A revoke drops the entry here at once; other gateway replicas
    notice within `cache_seconds`.
    """

    def __init__(self, database: Database, *, cache_seconds: float) -> None:
        self.database = database
        self.cache_seconds = cache_seconds
        self._cache: dict[str, _CachedKey] = {}

    def forget(self, key_id: str) -> None:
        self._cache.pop(key_id, None)

    async def authenticate(self, api_key: ApiKey) -> Principal:
        cached = self._cache.get(api_key.key_id)
        if cached is not None and cached.fresh_until > time.monotonic():
            _check(api_key, cached.secret_hash, revoked=False, expires_at=cached.expires_at)
            return cached.principal
        async with self.database.session() as session:
            found = await repository.get_key_with_client(session, api_key.key_id)
        if found is None:
            raise Unauthorized(_INVALID_KEY)
        key, client = found
        _check(
            api_key, key.secret_hash, revoked=key.revoked_at is not None, expires_at=key.expires_at
        )
        principal = Principal(
            client_id=client.client_id,
            roles=frozenset(client.roles),
            scope=tuple(client.scope),
            leader_ref=client.leader_ref,
            name=client.name,
        )
        if self.cache_seconds > 0:
            if len(self._cache) >= _MAX_CACHED:
                now = time.monotonic()
                self._cache = {k: v for k, v in self._cache.items() if v.fresh_until > now}
            self._cache[api_key.key_id] = _CachedKey(
                key.secret_hash, key.expires_at, principal, time.monotonic() + self.cache_seconds
            )
        return principal


def _check(
    api_key: ApiKey, secret_hash: str, *, revoked: bool, expires_at: datetime | None
) -> None:
    # The secret first: revocation and expiry are only told to someone holding the key.
    if not secret_matches(api_key.secret, secret_hash):
        raise Unauthorized(_INVALID_KEY)
    if revoked:
        raise Unauthorized("This API key has been revoked; ask a LEKO administrator for a new one.")
    if expires_at is not None and expires_at.timestamp() <= time.time():
        raise Unauthorized(
            f"This API key expired at {expires_at.isoformat()}; ask a LEKO administrator for "
            "a new one."
        )


class AuthenticationMiddleware:
    """Resolves the caller (SPEC §2 order: API key, then OIDC token, then anonymous)."""

    def __init__(
        self, app: ASGIApp, *, api_keys: ApiKeyAuthenticator, oidc: OidcVerifier | None
    ) -> None:
        self.app = app
        self.api_keys = api_keys
        self.oidc = oidc

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            principal = await self.resolve(scope)
        except LekoError as exc:
            await send_problem(
                send,
                status=exc.status,
                detail=exc.detail,
                slug=exc.slug,
                instance=scope["path"],
                headers=[(k.lower().encode(), v.encode()) for k, v in exc.headers.items()],
            )
            return
        scope.setdefault("state", {})["principal"] = principal
        if principal is not None:
            structlog.contextvars.bind_contextvars(client_id=principal.client_id)
        await self.app(scope, receive, send)

    async def resolve(self, scope: Scope) -> Principal | None:
        x_api_key = header(scope, b"x-api-key")
        authorization = header(scope, b"authorization")
        if x_api_key is not None and authorization is not None:
            raise Unauthorized("Send one credential: either X-API-Key or Authorization, not both.")
        if x_api_key is not None:
            return await self._api_key(x_api_key.strip())
        if authorization is None:
            return None
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("Use `Authorization: Bearer <API key or OIDC token>`.")
        if token.startswith("leko_"):
            return await self._api_key(token)
        if self.oidc is None:
            raise Unauthorized("This gateway accepts API keys only (no OIDC issuer configured).")
        return await self.oidc.verify(token)

    async def _api_key(self, value: str) -> Principal:
        api_key = parse_api_key(value)
        if api_key is None:
            raise Unauthorized(_INVALID_KEY)
        return await self.api_keys.authenticate(api_key)
