"""OIDC bearer tokens against a locally served JWKS: good tokens map claims to roles and scope
(and reach the services), bad ones are 401, keys rotate."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from gateway_support import (
    ADMIN,
    FakeService,
    IdentityProvider,
    SettingsFactory,
    client_for,
    free_port,
    running,
    serve,
)
from jwt.algorithms import RSAAlgorithm

from leko_gateway.app import GatewayApp

pytestmark = pytest.mark.anyio

CLAIMS = {"leko_roles": ["org_admin", "unknown_role"], "leko_scope": ["k751", "NOT A CODE"]}


@pytest.fixture
async def idp() -> AsyncIterator[tuple[IdentityProvider, str]]:
    provider = IdentityProvider()
    async with serve(provider.app) as url:
        yield provider, url


@pytest.fixture
async def oidc_gateway(
    settings_for: SettingsFactory, idp: tuple[IdentityProvider, str]
) -> AsyncIterator[GatewayApp]:
    provider, url = idp
    settings = settings_for(
        oidc_issuer=provider.issuer,
        oidc_audience=provider.audience,
        oidc_jwks_url=f"{url}/jwks.json",
        oidc_jwks_refetch_seconds=60,
    )
    async with running(settings) as app:
        yield app


@pytest.fixture
async def http(oidc_gateway: GatewayApp) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(oidc_gateway) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def good_claims(provider: IdentityProvider) -> dict[str, Any]:
    now = int(time.time())
    return {"iss": provider.issuer, "aud": provider.audience, "sub": "x", "exp": now + 300}


async def test_good_tokens_map_claims_and_reach_the_service(
    http: httpx.AsyncClient, idp: tuple[IdentityProvider, str], fake_service: FakeService
) -> None:
    provider, _ = idp
    for algorithm, kid in (("RS256", "rsa-1"), ("ES256", "ec-1")):
        token = provider.token(algorithm=algorithm, kid=kid, name="Mette Leder", **CLAIMS)
        whoami = await http.get("/gateway/v1/whoami", headers=bearer(token))
        assert whoami.status_code == 200, whoami.text
        assert whoami.json() == {
            "client_id": "oidc:user-123",
            "name": "Mette Leder",
            "roles": ["org_admin"],
            "scope": ["k751"],
            "leader_ref": None,
        }
        echo = (await http.get("/registry/v1/echo", headers=bearer(token))).json()
        assert echo["principal"] == {
            "client_id": "oidc:user-123",
            "roles": ["org_admin"],
            "scope": ["k751"],
            "leader_ref": None,
        }
        assert token not in json.dumps(echo["headers"])
    assert provider.jwks_fetches == 1  # cached


async def test_space_separated_claims_and_leader_ref(
    http: httpx.AsyncClient, idp: tuple[IdentityProvider, str]
) -> None:
    provider, _ = idp
    token = provider.token(leko_roles="leader analyst", leko_scope="*", leko_leader_ref="ldr-9")
    body = (await http.get("/gateway/v1/whoami", headers=bearer(token))).json()
    assert body["roles"] == ["analyst", "leader"] and body["scope"] == ["*"]
    assert body["leader_ref"] == "ldr-9"
    cpr = provider.token(leko_roles=["leader"], leko_leader_ref="010190-1234")
    assert (await http.get("/gateway/v1/whoami", headers=bearer(cpr))).status_code == 401


@pytest.mark.parametrize(
    ("claims", "detail"),
    [
        ({"iss": "https://other-idp.example"}, "issuer or audience"),
        ({"aud": "another-api"}, "issuer or audience"),
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"sub": None}, "not valid"),
    ],
)
async def test_bad_claims_are_401(
    http: httpx.AsyncClient,
    idp: tuple[IdentityProvider, str],
    fake_service: FakeService,
    claims: dict[str, Any],
    detail: str,
) -> None:
    provider, _ = idp
    token = provider.token(**CLAIMS | claims)
    for path in ("/gateway/v1/whoami", "/registry/v1/echo"):
        response = await http.get(path, headers=bearer(token))
        assert response.status_code == 401, response.text
        assert detail in response.json()["detail"]
    assert fake_service.hits["echo"] == 0


async def test_alg_none_is_401(http: httpx.AsyncClient, idp: tuple[IdentityProvider, str]) -> None:
    provider, _ = idp
    token = handmade({"alg": "none", "kid": "rsa-1"}, good_claims(provider), lambda _: b"")
    response = await http.get("/gateway/v1/whoami", headers=bearer(token))
    assert response.status_code == 401
    assert "'none'" in response.json()["detail"]


async def test_hs256_signed_with_the_public_key_is_401(
    http: httpx.AsyncClient, idp: tuple[IdentityProvider, str]
) -> None:
    provider, _ = idp
    public_pem = provider.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for secret in (public_pem, json.dumps(provider.public_jwks()["keys"][0]).encode()):
        token = handmade(
            {"alg": "HS256", "typ": "JWT", "kid": "rsa-1"},
            good_claims(provider) | CLAIMS,
            lambda data, key=secret: hmac.new(key, data, hashlib.sha256).digest(),
        )
        response = await http.get("/gateway/v1/whoami", headers=bearer(token))
        assert response.status_code == 401
        assert "HS256" in response.json()["detail"]


async def test_key_type_must_match_the_algorithm(
    http: httpx.AsyncClient, idp: tuple[IdentityProvider, str]
) -> None:
    provider, _ = idp
    # ES256 header naming the RSA key: refused before any signature check.
    token = provider.token(algorithm="ES256", kid="rsa-1")
    assert (await http.get("/gateway/v1/whoami", headers=bearer(token))).status_code == 401


async def test_forged_signature_and_unknown_kid_are_401_and_refetch_is_rate_limited(
    http: httpx.AsyncClient, idp: tuple[IdentityProvider, str]
) -> None:
    provider, _ = idp
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = provider.token(key=impostor, **CLAIMS)
    assert (await http.get("/gateway/v1/whoami", headers=bearer(forged))).status_code == 401
    assert provider.jwks_fetches == 1
    unknown = provider.token(key=impostor, kid="rsa-unknown")
    for _ in range(3):
        response = await http.get("/gateway/v1/whoami", headers=bearer(unknown))
        assert response.status_code == 401
        assert "does not publish" in response.json()["detail"]
    assert provider.jwks_fetches == 1  # refetch at most once per oidc_jwks_refetch_seconds


async def test_rotated_key_is_fetched_on_first_sight(
    settings_for: SettingsFactory, idp: tuple[IdentityProvider, str]
) -> None:
    provider, url = idp
    settings = settings_for(
        oidc_issuer=provider.issuer,
        oidc_audience=provider.audience,
        oidc_jwks_url=f"{url}/jwks.json",
        oidc_jwks_refetch_seconds=0,
    )
    async with running(settings) as app, client_for(app) as http:
        good = provider.token(**CLAIMS)
        assert (await http.get("/gateway/v1/whoami", headers=bearer(good))).status_code == 200
        new_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        provider.rotated = RSAAlgorithm.to_jwk(new_key.public_key(), as_dict=True) | {
            "kid": "rsa-2"
        }
        rotated = provider.token(key=new_key, kid="rsa-2", **CLAIMS)
        assert (await http.get("/gateway/v1/whoami", headers=bearer(rotated))).status_code == 200
        assert provider.jwks_fetches == 2


async def test_unreachable_jwks_is_503(settings_for: SettingsFactory) -> None:
    provider = IdentityProvider()
    settings = settings_for(
        oidc_issuer=provider.issuer,
        oidc_audience=provider.audience,
        oidc_jwks_url=f"http://127.0.0.1:{free_port()}/jwks.json",
    )
    async with running(settings) as app, client_for(app) as http:
        for _ in range(2):  # the second one within the refetch pause: still 503, not 401
            response = await http.get("/gateway/v1/whoami", headers=bearer(provider.token()))
            assert response.status_code == 503
            assert "identity provider" in response.json()["detail"]


async def test_api_keys_still_work_with_oidc_enabled(http: httpx.AsyncClient) -> None:
    assert (await http.get("/gateway/v1/whoami", headers=ADMIN)).status_code == 200
