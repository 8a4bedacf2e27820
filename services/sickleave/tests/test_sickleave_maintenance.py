"""After a large batch the aggregates are vacuumed on a connection of their own, so the
ranking queries answer from their indexes alone."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from leko_kit.db import Database
from leko_kit.migrations import upgrade
from leko_kit.testing import temporary_database
from leko_sickleave import MIGRATIONS
from leko_sickleave.absences.repository import vacuum_aggregates

pytestmark = pytest.mark.anyio

AGGREGATES = [
    "absence_totals",
    "employee_year_distribution",
    "employee_year_totals",
    "open_spell_starts",
]


async def test_vacuum_of_the_aggregates(database_backend: str) -> None:
    if database_backend == "sqlite":
        pytest.skip(
            "the aggregates are vacuumed on PostgreSQL only (SQLite keeps no old row versions)"
        )
    async with temporary_database(database_backend) as temporary:
        await upgrade(MIGRATIONS, database_url=temporary.url)
        database = Database(temporary.url)
        try:
            await vacuum_aggregates(database)
            async with database.read_session() as session:
                vacuumed = await session.scalars(
                    text(
                        "SELECT relname FROM pg_stat_user_tables "
                        "WHERE last_vacuum IS NOT NULL AND last_analyze IS NOT NULL "
                        "ORDER BY relname"
                    )
                )
                assert list(vacuumed) == AGGREGATES
        finally:
            await database.dispose()


async def test_vacuum_leaves_a_table_held_by_a_running_batch_to_autovacuum(
    database_backend: str,
) -> None:
    if database_backend == "sqlite":
        pytest.skip("the aggregates are vacuumed on PostgreSQL only")
    async with temporary_database(database_backend) as temporary:
        await upgrade(MIGRATIONS, database_url=temporary.url)
        database = Database(temporary.url)
        try:
            async with database.session() as batch:
                # A batch still open after its ANALYZE holds the table until it commits.
                await batch.execute(text("ANALYZE absence_totals"))
                await asyncio.wait_for(vacuum_aggregates(database), timeout=30)
                await batch.rollback()
            async with database.read_session() as session:
                vacuumed = await session.scalars(
                    text(
                        "SELECT relname FROM pg_stat_user_tables "
                        "WHERE last_vacuum IS NOT NULL ORDER BY relname"
                    )
                )
                assert list(vacuumed) == [name for name in AGGREGATES if name != "absence_totals"]
        finally:
            await database.dispose()
