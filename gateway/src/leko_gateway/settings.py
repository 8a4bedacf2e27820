"""The gateway's settings: `GATEWAY_*` variables, plus the shared `LEKO_*` ones it reads.

Each upstream service named in `GATEWAY_SERVICES` is found at `LEKO_<NAME>_URL` (the same
variable the services and `make run` use), with the local development ports as defaults.
"""

from __future__ import annotations

import os
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from leko_gateway.keys import parse_api_key
from leko_kit.settings import ServiceSettings, shared

DEFAULT_UPSTREAMS = {
    "registry": "http://127.0.0.1:8001",
    "evaluation": "http://127.0.0.1:8002",
    "surveys": "http://127.0.0.1:8003",
    "sickleave": "http://127.0.0.1:8004",
}
# Only public-key algorithms: an HMAC algorithm would let anyone holding the IdP's published
# key (the JWKS is public) sign tokens.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


def _split(value: object) -> object:
    """Comma-separated lists from the environment (`GATEWAY_SERVICES=registry,surveys`)."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


CommaList = Annotated[list[str], NoDecode]


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="GATEWAY_", extra="ignore", validate_by_name=True, validate_by_alias=True
    )

    service_name: str = "gateway"
    port: int = Field(8000, validation_alias=shared("LEKO_GATEWAY_PORT"))
    max_body_bytes: int = 10 * 1024 * 1024
    # Streamed bulk uploads (payroll extracts as CSV or NDJSON) may be far larger.
    upload_paths: CommaList = Field(default_factory=lambda: ["/sickleave/v1/absences/batch"])
    max_upload_bytes: int = 2 * 1024 * 1024 * 1024

    internal_token_private_key: str = ""
    # Reads reuse a principal's internal token this long (tokens.py); 0 mints one per request.
    internal_token_reuse_seconds: float = Field(10.0, ge=0, le=30)
    bootstrap_admin_key: str | None = Field(
        None, validation_alias=shared("LEKO_BOOTSTRAP_ADMIN_KEY")
    )
    redis_url: str | None = Field(None, validation_alias=shared("LEKO_REDIS_URL"))

    services: CommaList = Field(
        default_factory=lambda: ["registry", "evaluation", "surveys", "sickleave"]
    )
    # Filled from LEKO_<NAME>_URL for every service in `services` (see `_resolve_upstreams`).
    upstreams: dict[str, str] = Field(default_factory=dict)

    oidc_issuer: str | None = None
    oidc_audience: str | None = None
    oidc_jwks_url: str | None = None
    oidc_algorithms: CommaList = Field(default_factory=lambda: ["RS256", "ES256"])
    oidc_roles_claim: str = "leko_roles"
    oidc_scope_claim: str = "leko_scope"
    oidc_leader_ref_claim: str = "leko_leader_ref"
    oidc_jwks_cache_seconds: float = 300.0
    oidc_jwks_refetch_seconds: float = 10.0

    cors_origins: CommaList = Field(default_factory=list)
    trust_forwarded_for: bool = False

    rate_limit_per_second: float = Field(50.0, gt=0)
    rate_limit_burst: int = Field(100, ge=1)

    connect_timeout_seconds: float = Field(2.0, gt=0)
    read_timeout_seconds: float = Field(30.0, gt=0)
    upstream_retries: int = Field(2, ge=0, le=5)
    upstream_pool_size: int = Field(512, ge=1)
    breaker_failures: int = Field(5, ge=1)
    breaker_reset_seconds: float = Field(10.0, gt=0)

    api_key_cache_seconds: float = Field(5.0, ge=0)
    openapi_cache_seconds: float = Field(30.0, ge=0)

    _split_lists = field_validator(
        "services", "upload_paths", "oidc_algorithms", "cors_origins", mode="before"
    )(_split)

    @field_validator("oidc_algorithms")
    @classmethod
    def _asymmetric_only(cls, value: list[str]) -> list[str]:
        refused = sorted(set(value) - ASYMMETRIC_ALGORITHMS)
        if refused or not value:
            raise ValueError(
                f"GATEWAY_OIDC_ALGORITHMS may only name public-key algorithms "
                f"({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}); refused: {refused or 'empty'}"
            )
        return value

    @field_validator("bootstrap_admin_key")
    @classmethod
    def _key_format(cls, value: str | None) -> str | None:
        if value is not None and parse_api_key(value.strip()) is None:
            raise ValueError(
                "LEKO_BOOTSTRAP_ADMIN_KEY must look like leko_<16 hex key id>_<secret of at "
                "least 32 URL-safe characters>; `leko keygen` prints one"
            )
        return value.strip() if value else None

    @model_validator(mode="after")
    def _resolve_upstreams(self) -> GatewaySettings:
        upstreams = {}
        for name in self.services:
            if name == "gateway" or not name.isidentifier():
                raise ValueError(f"GATEWAY_SERVICES: {name!r} is not a service name")
            url = (
                self.upstreams.get(name)
                or os.environ.get(f"LEKO_{name.upper()}_URL")
                or DEFAULT_UPSTREAMS.get(name)
            )
            if not url:
                raise ValueError(f"GATEWAY_SERVICES names {name!r}; set LEKO_{name.upper()}_URL")
            upstreams[name] = url.rstrip("/")
        self.upstreams = upstreams
        return self

    @model_validator(mode="after")
    def _check_oidc(self) -> GatewaySettings:
        configured = [self.oidc_issuer, self.oidc_audience, self.oidc_jwks_url]
        if any(configured) and not all(configured):
            raise ValueError(
                "OIDC needs GATEWAY_OIDC_ISSUER, GATEWAY_OIDC_AUDIENCE and GATEWAY_OIDC_JWKS_URL "
                "together (or none of them to accept API keys only)"
            )
        return self

    @model_validator(mode="after")
    def _require_signing_key(self) -> GatewaySettings:
        if not self.internal_token_private_key.strip() and self.environment != "development":
            raise ValueError(
                "GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY is not set: give the Ed25519 private key "
                "(PEM) whose public half the services have in LEKO_INTERNAL_TOKEN_PUBLIC_KEY"
            )
        return self

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer)
