"""Internal tokens and the principal: minted by the gateway, verified by every service.

The gateway authenticates a caller (API key or OIDC token), then forwards the request with a
short-lived JWT signed with its Ed25519 key. Services verify it with the public key and read
roles and organisation scope from it; they never see the caller's own credentials.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

import jwt
import structlog
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import Depends, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from leko_kit.middleware import header, send_problem
from leko_kit.problems import Forbidden, Unauthorized

INTERNAL_ISSUER = "leko-gateway"
INTERNAL_AUDIENCE = "leko-services"
INTERNAL_TOKEN_SECONDS = 60
NATIONAL_SCOPE = "*"


class Role(StrEnum):
    NATIONAL_ADMIN = "national_admin"
    ORG_ADMIN = "org_admin"
    REPORTER = "reporter"
    LEADER = "leader"
    ANALYST = "analyst"
    RESEARCHER = "researcher"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a gateway client with roles and an organisation scope."""

    client_id: str
    roles: frozenset[str]
    scope: tuple[str, ...]
    sub: str = ""
    leader_ref: str | None = None
    name: str | None = field(default=None, compare=False)

    @property
    def is_national(self) -> bool:
        return NATIONAL_SCOPE in self.scope

    def has_any_role(self, roles: Iterable[str]) -> bool:
        return not self.roles.isdisjoint(roles)


def generate_keypair() -> tuple[str, str]:
    """A new Ed25519 key pair as (private PEM, public PEM)."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


class InternalTokenSigner:
    """Mints internal tokens (the gateway's side)."""

    def __init__(self, private_key_pem: str, *, lifetime_seconds: int = INTERNAL_TOKEN_SECONDS):
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the internal-token signing key must be an Ed25519 private key")
        self._key = key
        self.lifetime_seconds = lifetime_seconds

    def mint(self, principal: Principal) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": INTERNAL_ISSUER,
            "aud": INTERNAL_AUDIENCE,
            "sub": principal.sub or principal.client_id,
            "client_id": principal.client_id,
            "roles": sorted(principal.roles),
            "scope": list(principal.scope),
            "leader_ref": principal.leader_ref,
            "iat": now,
            "exp": now + self.lifetime_seconds,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._key, algorithm="EdDSA")


class InternalTokenVerifier:
    """Verifies internal tokens (the services' side), refusing replays of a write's token."""

    def __init__(self, public_key_pem: str) -> None:
        key = serialization.load_pem_public_key(public_key_pem.encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the internal-token public key must be an Ed25519 public key")
        self._key = key
        self._spent: dict[str, float] = {}
        self._next_purge = 0.0

    def verify(self, token: str, *, single_use: bool = False) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=["EdDSA"],
                audience=INTERNAL_AUDIENCE,
                issuer=INTERNAL_ISSUER,
                options={"require": ["exp", "iat", "jti", "sub", "iss", "aud"]},
                leeway=5,
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("The internal token has expired; send the request again.") from exc
        except jwt.PyJWTError as exc:
            raise Unauthorized(
                "The request carries no valid internal token; call LEKO through the gateway."
            ) from exc
        if single_use:
            self._spend(str(claims["jti"]), float(claims["exp"]))
        roles = claims.get("roles") or []
        scope = claims.get("scope") or []
        if not isinstance(roles, list) or not isinstance(scope, list):
            raise Unauthorized("The internal token's roles and scope must be lists.")
        return Principal(
            client_id=str(claims.get("client_id") or claims["sub"]),
            roles=frozenset(str(r) for r in roles),
            scope=tuple(str(s) for s in scope),
            sub=str(claims["sub"]),
            leader_ref=claims.get("leader_ref"),
        )

    def _spend(self, jti: str, expires: float) -> None:
        now = time.time()
        if now >= self._next_purge:
            self._spent = {k: v for k, v in self._spent.items() if v + 10 > now}
            self._next_purge = now + 10
        if jti in self._spent:
            raise Unauthorized("This internal token was already used for a write (replay).")
        self._spent[jti] = expires


_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class PrincipalMiddleware:
    """Resolves the principal from `Authorization: Bearer <internal token>` once per request.

    No header: the request goes on without a principal (public endpoints decide). A header
    that does not verify: 401 at once, whatever the endpoint.
    """

    def __init__(self, app: ASGIApp, *, verifier: Callable[[], InternalTokenVerifier]) -> None:
        self.app = app
        self.verifier = verifier

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        authorization = header(scope, b"authorization")
        principal: Principal | None = None
        if authorization is not None:
            scheme, _, token = authorization.partition(" ")
            try:
                if scheme.lower() != "bearer" or not token:
                    raise Unauthorized("Use `Authorization: Bearer <token>`.")
                principal = self.verifier().verify(
                    token.strip(), single_use=scope["method"] in _UNSAFE_METHODS
                )
            except Unauthorized as exc:
                await send_problem(
                    send,
                    status=401,
                    detail=exc.detail,
                    slug=exc.slug,
                    instance=scope["path"],
                    headers=[(b"www-authenticate", b'Bearer realm="leko"')],
                )
                return
            structlog.contextvars.bind_contextvars(client_id=principal.client_id)
        scope.setdefault("state", {})["principal"] = principal
        await self.app(scope, receive, send)


def principal_from_scope(scope: Scope) -> Principal | None:
    principal = scope.get("state", {}).get("principal")
    return principal if isinstance(principal, Principal) else None


def get_optional_principal(request: Request) -> Principal | None:
    return principal_from_scope(request.scope)


def get_principal(request: Request) -> Principal:
    principal = principal_from_scope(request.scope)
    if principal is None:
        raise Unauthorized(
            "This endpoint needs credentials: send an API key (`X-API-Key` or "
            "`Authorization: Bearer leko_...`) or an OIDC token to the gateway."
        )
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(get_optional_principal)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency admitting principals with at least one of `roles` (403 otherwise)."""
    allowed = frozenset(r.value for r in roles)
    names = ", ".join(sorted(allowed))

    def dependency(principal: CurrentPrincipal) -> Principal:
        if not principal.has_any_role(allowed):
            raise Forbidden(f"This action needs one of the roles: {names}.")
        return principal

    return dependency
