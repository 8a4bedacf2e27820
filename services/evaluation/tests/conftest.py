"""Evaluation test fixtures: one migrated database per backend for the whole session, with a
small organisation tree in the replica and the national question set seeded; every test runs
in a transaction that is rolled back, calling the app over ASGI with a clock it controls."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from evaluation_factories import TREE, Clock, organisation
from fastapi import FastAPI

from leko_evaluation import MIGRATIONS
from leko_evaluation.app import create_app
from leko_evaluation.seed import seed_question_set
from leko_evaluation.settings import EvaluationSettings
from leko_kit.db import Database
from leko_kit.migrations import upgrade
from leko_kit.tables import utcnow
from leko_kit.testing import InternalKeys, asgi_client, bind_to_connection, temporary_database


@pytest.fixture(scope="session")
async def evaluation_url(database_backend: str) -> AsyncIterator[str]:
    """A database migrated by the real Alembic scripts, with `TREE` in the replica and the
    seeded question set."""
    async with temporary_database(database_backend) as temporary:
        await upgrade(MIGRATIONS, database_url=temporary.url)
        database = Database(temporary.url)
        async with database.session() as session:
            session.add_all(organisation(*entry) for entry in TREE)
            await seed_question_set(session)
        await database.dispose()
        yield temporary.url


@pytest.fixture(scope="session")
async def evaluation_app(
    evaluation_url: str, internal_keys: InternalKeys
) -> AsyncIterator[FastAPI]:
    settings = EvaluationSettings(
        database_url=evaluation_url,
        internal_token_public_key=internal_keys.public_pem,
        registry_url="http://registry.invalid",
    )
    app = create_app(settings)
    yield app
    await app.state.replica.close()
    await app.state.database.dispose()


@pytest.fixture
def clock(evaluation_app: FastAPI) -> Iterator[Clock]:
    """The app's clock, set to before the default round opens; tests move it."""
    test_clock = Clock(database=evaluation_app.state.database)
    evaluation_app.state.clock = test_clock
    yield test_clock
    evaluation_app.state.clock = utcnow


@pytest.fixture
async def database(evaluation_app: FastAPI) -> AsyncIterator[Database]:
    """The app's database, inside a transaction rolled back after the test."""
    db: Database = evaluation_app.state.database
    async with bind_to_connection(db):
        yield db


@pytest.fixture
async def client(
    evaluation_app: FastAPI, database: Database, clock: Clock
) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(evaluation_app, "http://evaluation") as client:
        yield client
