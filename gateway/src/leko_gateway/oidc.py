"""OIDC bearer tokens: verified against the configured issuer's published keys (JWKS).

Algorithms are pinned by settings (public-key ones only), so `alg: none` and HS256 signed with
a published public key are refused before any key is looked at. The JWKS is fetched with the
gateway's shared HTTP client, cached, and fetched again early when a token names a key id it
does not know (key rotation), at most once per `oidc_jwks_refetch_seconds`.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import jwt
import structlog
from pydantic import TypeAdapter, ValidationError

from leko_gateway.clients.schemas import is_scope_entry
from leko_gateway.settings import GatewaySettings
from leko_kit.auth import Principal, Role
from leko_kit.cpr import PseudonymousRef
from leko_kit.problems import ServiceUnavailable, Unauthorized

logger = structlog.get_logger(__name__)

_KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}
_ROLES = frozenset(role.value for role in Role)
_LEADER_REF: TypeAdapter[str] = TypeAdapter(PseudonymousRef)
_FETCH_TIMEOUT = aiohttp.ClientTimeout(total=5)


class OidcVerifier:
    def __init__(
        self, settings: GatewaySettings, *, http: Callable[[], aiohttp.ClientSession]
    ) -> None:
        assert settings.oidc_jwks_url and settings.oidc_issuer and settings.oidc_audience
        self.settings = settings
        self.jwks_url = settings.oidc_jwks_url
        self._http = http
        # kid -> (key, the `alg` the JWK declares, if any)
        self._keys: dict[str | None, tuple[jwt.PyJWK, str | None]] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def verify(self, token: str) -> Principal:
        try:
            unverified = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise Unauthorized("The bearer token is neither an API key nor a JWT.") from exc
        algorithm = unverified.get("alg")
        if algorithm not in self.settings.oidc_algorithms:
            raise Unauthorized(
                f"Tokens signed with {algorithm!r} are not accepted; the issuer must use one of "
                f"{', '.join(self.settings.oidc_algorithms)}."
            )
        key = await self._key(unverified.get("kid"), algorithm)
        try:
            claims = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                audience=self.settings.oidc_audience,
                issuer=self.settings.oidc_issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
                leeway=10,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The token has expired; get a new one from the issuer.") from exc
        except (jwt.InvalidIssuerError, jwt.InvalidAudienceError) as exc:
            raise Unauthorized("The token was not issued for LEKO (issuer or audience).") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized("The bearer token is not valid.") from exc
        return self._principal(claims)

    def _principal(self, claims: dict[str, Any]) -> Principal:
        sub = str(claims["sub"])
        leader_ref = claims.get(self.settings.oidc_leader_ref_claim)
        if leader_ref is not None:
            try:
                leader_ref = _LEADER_REF.validate_python(leader_ref)
            except ValidationError as exc:
                raise Unauthorized(
                    f"The token's {self.settings.oidc_leader_ref_claim} claim is not a "
                    "pseudonymous reference."
                ) from exc
        name = claims.get("name")
        return Principal(
            # Keeps OIDC callers apart from the database's clients, and within the column size.
            client_id="oidc:"
            + (sub if len(sub) <= 64 else hashlib.sha256(sub.encode()).hexdigest()),
            roles=frozenset(_strings(claims.get(self.settings.oidc_roles_claim))) & _ROLES,
            scope=tuple(
                dict.fromkeys(
                    s
                    for s in _strings(claims.get(self.settings.oidc_scope_claim))
                    if is_scope_entry(s)
                )
            ),
            sub=sub,
            leader_ref=leader_ref,
            name=name if isinstance(name, str) else None,
        )

    async def _key(self, kid: str | None, algorithm: str) -> jwt.PyJWK:
        if time.monotonic() - self._fetched_at > self.settings.oidc_jwks_cache_seconds:
            await self._refresh()
        found = self._keys.get(kid)
        refetch_after = self._fetched_at + self.settings.oidc_jwks_refetch_seconds
        if found is None and time.monotonic() > refetch_after:
            await self._refresh()
            found = self._keys.get(kid)
        if found is None and not self._keys:
            raise ServiceUnavailable(
                "The identity provider's signing keys cannot be fetched; retry shortly or use "
                "an API key."
            )
        if found is None:
            raise Unauthorized("The token is signed with a key the issuer does not publish.")
        key, declared = found
        if key.key_type != _KEY_TYPES.get(algorithm[:2]) or declared not in (None, algorithm):
            raise Unauthorized(f"The token's key cannot be used with {algorithm}.")
        return key

    async def _refresh(self) -> None:
        started = time.monotonic()
        async with self._lock:
            if self._fetched_at >= started:
                return  # another request refreshed while this one waited
            self._fetched_at = time.monotonic()
            try:
                async with self._http().get(self.jwks_url, timeout=_FETCH_TIMEOUT) as response:
                    response.raise_for_status()
                    document = await response.json(content_type=None)
                keys = _usable_keys(document)
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                # The keys fetched before stay in use; with none, verify() answers 503.
                logger.warning("jwks_fetch_failed", error_type=type(exc).__name__)
                return
            self._keys = keys


def _usable_keys(document: object) -> dict[str | None, tuple[jwt.PyJWK, str | None]]:
    """The JWKS's keys by kid, skipping ones this gateway cannot use (ValueError if none)."""
    entries = document.get("keys") if isinstance(document, dict) else None
    keys: dict[str | None, tuple[jwt.PyJWK, str | None]] = {}
    for entry in entries if isinstance(entries, list) else []:
        try:
            key = jwt.PyJWK(entry)
        except (jwt.PyJWTError, TypeError, AttributeError):
            continue
        keys[key.key_id] = (key, entry.get("alg"))
    if not keys:
        raise ValueError("the JWKS has no usable keys")
    if len(keys) == 1:
        keys[None] = next(iter(keys.values()))  # a token without `kid` may use the only key
    return keys


def _strings(value: object) -> list[str]:
    """A claim holding a list of strings or one space-separated string (OAuth `scope` style)."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []
