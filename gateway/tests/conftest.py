"""Gateway test fixtures: a migrated database per backend, a fake upstream service over real
HTTP, and the gateway app with its lifespan run and its database bound to a rolled-back
transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from gateway_support import ADMIN_KEY, FakeService, SettingsFactory, client_for, running, serve

import leko_gateway
from leko_gateway.app import GatewayApp
from leko_gateway.settings import GatewaySettings
from leko_kit.migrations import upgrade
from leko_kit.testing import InternalKeys, temporary_database

MIGRATIONS = Path(leko_gateway.__file__).parent / "migrations"


@pytest.fixture(scope="session")
async def gateway_db(database_backend: str) -> AsyncIterator[str]:
    async with temporary_database(database_backend) as database:
        await upgrade(MIGRATIONS, database_url=database.url)
        yield database.url


@pytest.fixture
async def fake_service(internal_keys: InternalKeys) -> AsyncIterator[FakeService]:
    service = FakeService(internal_keys.public_pem)
    async with serve(service.app) as url:
        service.url = url
        yield service


@pytest.fixture
def settings_for(
    gateway_db: str, internal_keys: InternalKeys, fake_service: FakeService
) -> SettingsFactory:
    """Gateway settings for a test: explicit values, so the machine's environment cannot
    leak in; keyword arguments override."""

    def build(**overrides: Any) -> GatewaySettings:
        values: dict[str, Any] = {
            "environment": "test",
            "database_url": gateway_db,
            "internal_token_private_key": internal_keys.private_pem,
            "bootstrap_admin_key": ADMIN_KEY,
            "redis_url": None,
            "services": ["registry"],
            "upstreams": {"registry": fake_service.url},
            "oidc_issuer": None,
            "oidc_audience": None,
            "oidc_jwks_url": None,
            "cors_origins": [],
            "trust_forwarded_for": False,
            "rate_limit_per_second": 1000.0,
            "rate_limit_burst": 10_000,
            "connect_timeout_seconds": 1.0,
            "read_timeout_seconds": 2.0,
            "upstream_retries": 2,
            "breaker_failures": 5,
            "breaker_reset_seconds": 10.0,
            "max_body_bytes": 1_000_000,
            "upload_paths": [],
            "log_json": True,
        }
        values.update(overrides)
        return GatewaySettings(**values)

    return build


@pytest.fixture
async def gateway(settings_for: SettingsFactory) -> AsyncIterator[GatewayApp]:
    async with running(settings_for()) as app:
        yield app


@pytest.fixture
async def client(gateway: GatewayApp) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(gateway) as http:
        yield http
