"""The application as deployed: settings from the environment, health, and the OpenAPI
contract (every endpoint documented with summary, description and examples)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from leko_kit.testing import documented_operations
from leko_registry.settings import RegistrySettings

pytestmark = pytest.mark.anyio


def test_settings_come_from_registry_and_shared_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEKO_INTERNAL_TOKEN_PUBLIC_KEY", "pem")
    monkeypatch.setenv("REGISTRY_DATABASE_URL", "postgresql://db/registry")
    monkeypatch.setenv("REGISTRY_MAX_BODY_BYTES", "4096")
    monkeypatch.setenv("LEKO_REGISTRY_PORT", "9001")
    settings = RegistrySettings()
    assert settings.service_name == "registry"
    assert settings.database_url == "postgresql://db/registry"
    assert (settings.max_body_bytes, settings.port) == (4096, 9001)


def test_settings_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("LEKO_INTERNAL_TOKEN_PUBLIC_KEY", "pem")
    monkeypatch.setenv("LEKO_DATA_DIR", str(tmp_path))
    for name in ("REGISTRY_DATABASE_URL", "REGISTRY_MAX_BODY_BYTES", "LEKO_REGISTRY_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = RegistrySettings()
    assert settings.port == 8001
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'registry.db'}"


def test_settings_need_the_gateway_public_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LEKO_INTERNAL_TOKEN_PUBLIC_KEY", raising=False)
    with pytest.raises(ValidationError, match="LEKO_INTERNAL_TOKEN_PUBLIC_KEY"):
        RegistrySettings()


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"


async def test_oversized_body_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/organisations", content=b"x" * 2_000_000)
    assert response.status_code == 413


def test_openapi_documents_every_endpoint(registry_app: FastAPI) -> None:
    spec = registry_app.openapi()
    operations = documented_operations(registry_app)
    assert set(operations) == {
        ("get", "/v1/organisations"),
        ("post", "/v1/organisations"),
        ("get", "/v1/organisations/changes"),
        ("get", "/v1/organisations/{code}"),
        ("patch", "/v1/organisations/{code}"),
        ("get", "/v1/organisations/{code}/children"),
    }
    schemas = spec["components"]["schemas"]
    for name in ("OrganisationCreate", "OrganisationUpdate", "OrganisationRead", "ChangeFeed"):
        assert schemas[name]["examples"], name
    assert schemas["OrganisationCreate"]["properties"]["code"]["pattern"]
    post = operations[("post", "/v1/organisations")]
    assert {"201", "401", "403", "409", "422"} <= set(post["responses"])
    example = post["responses"]["422"]["content"]["application/problem+json"]["example"]
    assert example["errors"][0]["loc"] == ["body", "cvr"]
