"""Settings from the environment: names, defaults, and refusals at start-up."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from leko_gateway.keys import generate_api_key
from leko_gateway.settings import GatewaySettings
from leko_kit.auth import generate_keypair


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("GATEWAY_", "LEKO_")):
            monkeypatch.delenv(name)


def test_defaults() -> None:
    settings = GatewaySettings()
    assert settings.port == 8000 and settings.host == "127.0.0.1"
    assert settings.upstreams == {
        "registry": "http://127.0.0.1:8001",
        "evaluation": "http://127.0.0.1:8002",
        "surveys": "http://127.0.0.1:8003",
        "sickleave": "http://127.0.0.1:8004",
    }
    assert settings.upload_paths == ["/sickleave/v1/absences/batch"]
    assert settings.max_upload_bytes == 2 * 1024**3
    assert settings.database_url.endswith("/gateway.db")
    assert settings.redis_url is None and not settings.oidc_enabled
    assert settings.oidc_algorithms == ["RS256", "ES256"]


def test_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    private_pem, _ = generate_keypair()
    key = str(generate_api_key())
    monkeypatch.setenv("LEKO_GATEWAY_PORT", "9000")
    monkeypatch.setenv("LEKO_ENVIRONMENT", "production")
    monkeypatch.setenv("GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY", private_pem)
    monkeypatch.setenv("LEKO_BOOTSTRAP_ADMIN_KEY", key)
    monkeypatch.setenv("LEKO_REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("GATEWAY_SERVICES", "registry, surveys,sickleave")
    monkeypatch.setenv("LEKO_SURVEYS_URL", "http://surveys.internal:80/")
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", "https://a.dk,https://b.dk")
    monkeypatch.setenv("GATEWAY_RATE_LIMIT_BURST", "7")
    monkeypatch.setenv("GATEWAY_OIDC_ISSUER", "https://idp")
    monkeypatch.setenv("GATEWAY_OIDC_AUDIENCE", "leko")
    monkeypatch.setenv("GATEWAY_OIDC_JWKS_URL", "https://idp/jwks")
    monkeypatch.setenv("GATEWAY_OIDC_ALGORITHMS", "ES256")
    settings = GatewaySettings()
    assert settings.port == 9000
    assert settings.bootstrap_admin_key == key
    assert settings.redis_url == "redis://cache:6379/0"
    assert settings.upstreams == {
        "registry": "http://127.0.0.1:8001",
        "surveys": "http://surveys.internal:80",
        "sickleave": "http://127.0.0.1:8004",
    }
    assert settings.cors_origins == ["https://a.dk", "https://b.dk"]
    assert settings.rate_limit_burst == 7
    assert settings.oidc_enabled and settings.oidc_algorithms == ["ES256"]


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"LEKO_ENVIRONMENT": "production"}, "GATEWAY_INTERNAL_TOKEN_PRIVATE_KEY"),
        ({"LEKO_BOOTSTRAP_ADMIN_KEY": "admin"}, "LEKO_BOOTSTRAP_ADMIN_KEY"),
        ({"GATEWAY_OIDC_ALGORITHMS": "RS256,HS256"}, "HS256"),
        ({"GATEWAY_OIDC_ALGORITHMS": "none"}, "none"),
        ({"GATEWAY_OIDC_ISSUER": "https://idp"}, "together"),
        ({"GATEWAY_SERVICES": "registry,payroll"}, "LEKO_PAYROLL_URL"),
        ({"GATEWAY_SERVICES": "gateway"}, "not a service name"),
    ],
)
def test_refused_settings(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        GatewaySettings()
