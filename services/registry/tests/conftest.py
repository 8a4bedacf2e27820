"""Registry test fixtures: one migrated, seeded database per backend for the whole session;
every test runs in a transaction that is rolled back, calling the app over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from leko_kit.db import Database
from leko_kit.migrations import upgrade
from leko_kit.testing import InternalKeys, asgi_client, bind_to_connection, temporary_database
from leko_registry import MIGRATIONS
from leko_registry.app import create_app
from leko_registry.seed import seed_organisations
from leko_registry.settings import RegistrySettings


@pytest.fixture(scope="session")
async def registry_url(database_backend: str) -> AsyncIterator[str]:
    """A database migrated by the real Alembic scripts and seeded once."""
    async with temporary_database(database_backend) as temporary:
        await upgrade(MIGRATIONS, database_url=temporary.url)
        database = Database(temporary.url)
        async with database.session() as session:
            await seed_organisations(session)
        await database.dispose()
        yield temporary.url


@pytest.fixture(scope="session")
async def registry_app(registry_url: str, internal_keys: InternalKeys) -> AsyncIterator[FastAPI]:
    settings = RegistrySettings(
        database_url=registry_url, internal_token_public_key=internal_keys.public_pem
    )
    app = create_app(settings)
    yield app
    await app.state.database.dispose()


@pytest.fixture
async def database(registry_app: FastAPI) -> AsyncIterator[Database]:
    """The app's database, inside a transaction rolled back after the test."""
    db: Database = registry_app.state.database
    async with bind_to_connection(db):
        yield db


@pytest.fixture
async def client(registry_app: FastAPI, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(registry_app, "http://registry") as client:
        yield client
