"""Alembic wiring: every service's `env.py` calls `run_env`, and code migrates with `upgrade`.

Migrations run on the async engine; when a caller passes an open connection (tests, start-up),
they run on it instead of opening a new one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData
from sqlalchemy.ext.asyncio import AsyncConnection

from leko_kit.db import async_url, create_engine


def alembic_config(script_location: Path, database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", async_url(database_url).replace("%", "%%"))
    return config


async def upgrade(
    script_location: Path, *, database_url: str, connection: AsyncConnection | None = None
) -> None:
    """Bring the database to the newest revision."""
    config = alembic_config(script_location, database_url)

    def _upgrade(sync_connection: Connection) -> None:
        config.attributes["connection"] = sync_connection
        command.upgrade(config, "head")

    if connection is not None:
        await connection.run_sync(_upgrade)
        return
    engine = create_engine(database_url)
    try:
        async with engine.begin() as own_connection:
            await own_connection.run_sync(_upgrade)
    finally:
        await engine.dispose()


def _configure_and_run(connection: Connection, metadata: MetaData | list[MetaData]) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_env(metadata: MetaData | list[MetaData]) -> None:
    """The body of a service's Alembic `env.py`."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection, metadata)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set"

    async def _run() -> None:
        engine = create_engine(url)
        try:
            async with engine.begin() as conn:
                await conn.run_sync(_configure_and_run, metadata)
        finally:
            await engine.dispose()

    asyncio.run(_run())
