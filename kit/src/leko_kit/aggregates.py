"""Adding to write-time aggregate tables: `INSERT ... ON CONFLICT (key) DO UPDATE SET
x = x + excluded.x`, many rows in one statement, keys in sorted order so that concurrent
writers lock shared rows in the same order and cannot deadlock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def upsert(session: AsyncSession, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The dialect's `INSERT` that takes `ON CONFLICT` clauses."""
    return postgresql.insert(table) if is_postgres(session) else sqlite.insert(table)


async def add_counts(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], counters: Sequence[str]
) -> None:
    """Add `rows` (key columns and `counters`, one row per key) to `table`.

    The statement is the same whatever the number of rows (an executemany, which SQLAlchemy
    sends as one multi-row INSERT), so it is compiled once per process, not per request."""
    if not rows:
        return
    keys = [column.name for column in table.primary_key.columns]
    ordered = sorted(rows, key=lambda row: tuple(row[key] for key in keys))
    statement = upsert(session, table)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=keys,
            set_={name: table.c[name] + statement.excluded[name] for name in counters},
        ),
        ordered,
    )
