"""Sick-leave test fixtures: one migrated database per backend for the whole session, with a
small organisation tree in the replica; every test runs in a transaction that is rolled back,
calling the app over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sickleave_factories import TREE, organisation

from leko_kit.db import Database
from leko_kit.migrations import upgrade
from leko_kit.testing import InternalKeys, asgi_client, bind_to_connection, temporary_database
from leko_sickleave import MIGRATIONS
from leko_sickleave.app import create_app
from leko_sickleave.settings import SickleaveSettings


@pytest.fixture(scope="session")
async def sickleave_url(database_backend: str) -> AsyncIterator[str]:
    """A database migrated by the real Alembic scripts, with `TREE` in the replica."""
    async with temporary_database(database_backend) as temporary:
        await upgrade(MIGRATIONS, database_url=temporary.url)
        database = Database(temporary.url)
        async with database.session() as session:
            session.add_all(organisation(code, parent, kind) for code, parent, kind in TREE)
        await database.dispose()
        yield temporary.url


@pytest.fixture(scope="session")
async def sickleave_app(sickleave_url: str, internal_keys: InternalKeys) -> AsyncIterator[FastAPI]:
    settings = SickleaveSettings(
        database_url=sickleave_url,
        internal_token_public_key=internal_keys.public_pem,
        registry_url="http://registry.invalid",
    )
    app = create_app(settings)
    yield app
    await app.state.replica.close()
    await app.state.database.dispose()


@pytest.fixture
async def database(sickleave_app: FastAPI) -> AsyncIterator[Database]:
    """The app's database, inside a transaction rolled back after the test."""
    db: Database = sickleave_app.state.database
    async with bind_to_connection(db):
        yield db


@pytest.fixture
async def client(sickleave_app: FastAPI, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(sickleave_app, "http://sickleave") as client:
        yield client
