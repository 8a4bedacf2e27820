"""Surveys test fixtures: one migrated database per backend for the whole session, with a
small organisation tree in the replica and the seven programmes seeded; every test runs in a
transaction that is rolled back, calling the app over ASGI with a clock it controls and an
empty results cache."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from fastapi import FastAPI
from surveys_factories import TREE, Clock, organisation

from leko_kit.db import Database
from leko_kit.migrations import upgrade
from leko_kit.tables import utcnow
from leko_kit.testing import InternalKeys, asgi_client, bind_to_connection, temporary_database
from leko_surveys import MIGRATIONS
from leko_surveys.app import create_app
from leko_surveys.results.plan import ResultsCache
from leko_surveys.seed import seed_programmes
from leko_surveys.settings import SurveysSettings


@pytest.fixture(scope="session")
async def surveys_url(database_backend: str) -> AsyncIterator[str]:
    """A database migrated by the real Alembic scripts, with `TREE` in the replica and the
    seeded programmes."""
    async with temporary_database(database_backend) as temporary:
        await upgrade(MIGRATIONS, database_url=temporary.url)
        database = Database(temporary.url)
        async with database.session() as session:
            session.add_all(organisation(*entry) for entry in TREE)
            await seed_programmes(session)
        await database.dispose()
        yield temporary.url


@pytest.fixture(scope="session")
async def surveys_app(surveys_url: str, internal_keys: InternalKeys) -> AsyncIterator[FastAPI]:
    settings = SurveysSettings(
        database_url=surveys_url,
        internal_token_public_key=internal_keys.public_pem,
        registry_url="http://registry.invalid",
    )
    app = create_app(settings)
    yield app
    await app.state.replica.close()
    await app.state.database.dispose()


@pytest.fixture
def clock(surveys_app: FastAPI) -> Iterator[Clock]:
    """The app's clock, set to before the default round opens; tests move it. The results
    cache is emptied too: rounds of a rolled-back test may reuse ids."""
    test_clock = Clock()
    surveys_app.state.clock = test_clock
    surveys_app.state.results_cache = ResultsCache()
    yield test_clock
    surveys_app.state.clock = utcnow


@pytest.fixture
async def database(surveys_app: FastAPI) -> AsyncIterator[Database]:
    """The app's database, inside a transaction rolled back after the test."""
    db: Database = surveys_app.state.database
    async with bind_to_connection(db):
        yield db


@pytest.fixture
async def client(
    surveys_app: FastAPI, database: Database, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(surveys_app, "http://surveys") as client:
        yield client
