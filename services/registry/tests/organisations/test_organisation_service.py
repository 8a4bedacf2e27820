"""Service and repository behaviour below HTTP: lineage and scope, never committing, the empty
feed, and the ordering guarantee of the outbox under concurrent writers (PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from registry_factories import institution

from leko_kit.db import Database
from leko_kit.migrations import upgrade
from leko_kit.scope import in_scope
from leko_kit.testing import temporary_database
from leko_registry import MIGRATIONS
from leko_registry.organisations import service
from leko_registry.organisations.repository import OrganisationRepository
from leko_registry.organisations.schemas import OrganisationCreate
from leko_registry.seed import SEED_PRINCIPAL, seed_organisations

pytestmark = pytest.mark.anyio


@pytest.fixture
async def fresh_url(database_backend: str) -> AsyncIterator[str]:
    """A migrated database of its own, for tests that must commit or need it empty."""
    async with temporary_database(database_backend) as temporary:
        await upgrade(MIGRATIONS, database_url=temporary.url)
        yield temporary.url


async def test_lineage_walks_to_the_root(database: Database) -> None:
    async with database.session() as session:
        repository = OrganisationRepository(session)
        assert await repository.lineage("kriminalforsorgen") == ["kriminalforsorgen", "jm", "state"]
        assert await repository.lineage("k751") == ["k751", "r1082"]
        assert await repository.lineage("r1085") == ["r1085"]
        assert await repository.lineage("nowhere") is None
        assert await in_scope(repository, "k751", ["r1082"])
        assert await in_scope(repository, "kriminalforsorgen", ["state"])
        assert not await in_scope(repository, "k751", ["k101"])
        assert not await in_scope(repository, "nowhere", ["*"])


async def test_service_leaves_the_commit_to_the_caller(database: Database) -> None:
    async with database.sessionmaker() as session:
        await service.create(
            session, data=OrganisationCreate.model_validate(institution()), principal=SEED_PRINCIPAL
        )
        assert await OrganisationRepository(session).get("kbh-test-skole") is not None
        await session.rollback()
    async with database.session() as session:
        assert await OrganisationRepository(session).get("kbh-test-skole") is None
        feed = await service.changes(session, after=None, limit=500)
        assert "kbh-test-skole" not in {item.organisation.code for item in feed.items}


async def test_empty_feed_has_no_cursor(fresh_url: str) -> None:
    database = Database(fresh_url)
    try:
        async with database.session() as session:
            assert (await service.changes(session, after=None, limit=10)).next_cursor is None
            assert (await service.changes(session, after=5, limit=10)).next_cursor == "5"
    finally:
        await database.dispose()


async def test_writers_commit_in_seq_order(database_backend: str, fresh_url: str) -> None:
    """A second writer waits for the first to commit, so a consumer polling `after=<seq>`
    can never see seq n+1 before seq n has committed."""
    if database_backend != "postgres":
        pytest.skip("SQLite serialises writers itself; the advisory lock is PostgreSQL's")
    database = Database(fresh_url)
    try:
        async with database.session() as session:
            await seed_organisations(session)

        async def second_writer() -> None:
            async with database.session() as session:
                await service.create(
                    session,
                    data=OrganisationCreate.model_validate(institution(code="second")),
                    principal=SEED_PRINCIPAL,
                )

        async with database.session() as first:
            await service.create(
                first,
                data=OrganisationCreate.model_validate(institution(code="first")),
                principal=SEED_PRINCIPAL,
            )
            task = asyncio.create_task(second_writer())
            await asyncio.sleep(0.3)
            assert not task.done(), "the second writer must wait for the first to commit"
        await asyncio.wait_for(task, 5)

        async with database.session() as session:
            feed = await service.changes(session, after=None, limit=500)
        order = [item.organisation.code for item in feed.items][-2:]
        assert order == ["first", "second"]
    finally:
        await database.dispose()
