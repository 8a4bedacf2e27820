"""The Alembic migrations build exactly the models' schema, and go down and up again."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from leko_kit.db import create_engine
from leko_kit.migrations import alembic_config, upgrade
from leko_kit.testing import temporary_database
from leko_registry import MIGRATIONS

pytestmark = pytest.mark.anyio


def test_one_linear_history() -> None:
    script = ScriptDirectory.from_config(alembic_config(MIGRATIONS, "sqlite://"))
    assert len(script.get_heads()) == 1


async def test_upgrade_matches_models_and_downgrade_reverses(database_backend: str) -> None:
    async with temporary_database(database_backend) as temporary:
        await upgrade(MIGRATIONS, database_url=temporary.url)
        config = alembic_config(MIGRATIONS, temporary.url)
        engine = create_engine(temporary.url)

        def run(connection: Connection, action: str) -> set[str]:
            config.attributes["connection"] = connection
            if action == "check":
                command.check(config)  # raises if the models and the migrations differ
            elif action == "downgrade":
                command.downgrade(config, "base")
            return set(inspect(connection).get_table_names())

        try:
            async with engine.begin() as connection:
                tables = await connection.run_sync(run, "check")
            assert {"organisations", "organisation_changes", "idempotency_keys"} <= tables
            async with engine.begin() as connection:
                tables = await connection.run_sync(run, "downgrade")
            assert tables <= {"alembic_version"}
        finally:
            await engine.dispose()
        await upgrade(MIGRATIONS, database_url=temporary.url)
