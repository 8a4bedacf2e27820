"""Adding deltas to the write-time aggregate tables, set-based.

Every aggregate column is additive: a write subtracts the old contribution of what it replaces
and adds the new one, `INSERT ... ON CONFLICT (key) DO UPDATE SET x = x + excluded.x`, so the
aggregates stay equal to a recomputation from the reported rows under any sequence of
corrections and deletions.

Deltas are loaded into a temporary table shaped like the aggregate (binary `COPY` on
PostgreSQL, `executemany` on SQLite), possibly over many chunks of a batch, and merged in one
statement that sums them per key, so a batch writes each aggregate row once. Deltas are merged
in key order, so writers lock shared aggregate rows (the national node above all) in the same
order and cannot deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, MetaData, Table, delete, func, select, text, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.schema import CreateTable

from leko_kit.aggregates import is_postgres, upsert
from leko_kit.db import driver_connection

_staging = MetaData()


async def copy_rows(
    session: AsyncSession, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Binary `COPY` of `rows` into `table` on the session's own connection (PostgreSQL)."""
    driver = await driver_connection(session)
    await driver.copy_records_to_table(table, records=rows, columns=columns)


async def insert_rows(session: AsyncSession, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    """Append `rows` (all of the table's columns, in order) to a staging table."""
    if not rows:
        return
    columns = [column.name for column in table.columns]
    if is_postgres(session):
        await copy_rows(session, table.name, columns, rows)
    else:
        await session.execute(
            table.insert(), [dict(zip(columns, row, strict=True)) for row in rows]
        )


async def start_staging(session: AsyncSession, table: Table) -> None:
    """Make a temporary staging table if this connection lacks it, and empty it.

    It lives as long as the connection; inside a transaction that is rolled back it disappears
    and is made again on the next use. PostgreSQL empties it with `TRUNCATE`, which (unlike
    `DELETE`) leaves no dead rows for the next chunk's scans to wade through.
    """
    await session.execute(CreateTable(table, if_not_exists=True))
    if is_postgres(session):
        await session.execute(text(f"TRUNCATE {table.name}"))
    else:
        await session.execute(delete(table))


def _delta_table(table: Table) -> Table:
    name = f"delta_{table.name}"
    if name not in _staging.tables:
        Table(
            name,
            _staging,
            *(Column(column.name, column.type, nullable=False) for column in table.columns),
            prefixes=["TEMPORARY"],
        )
    return _staging.tables[name]


async def start_deltas(session: AsyncSession, table: Table) -> None:
    """Start collecting deltas for `table` over several `append_deltas` calls."""
    await start_staging(session, _delta_table(table))


async def append_deltas(
    session: AsyncSession, table: Table, rows: Sequence[tuple[Any, ...]]
) -> None:
    """Collect `rows` of deltas (the table's columns in order: key columns, then value
    columns); a key may come again in a later call."""
    await insert_rows(session, _delta_table(table), rows)


async def merge_deltas(session: AsyncSession, table: Table, *, summed: bool = True) -> None:
    """Add the collected deltas to `table`.

    `summed` first adds up the deltas per key (keys collected over several calls).
    """
    staging = _delta_table(table)
    keys = [column.name for column in table.primary_key.columns]
    values = [column.name for column in table.columns if column.name not in keys]
    key_columns = [staging.c[name] for name in keys]
    if summed:
        rows = (
            select(*key_columns, *(func.sum(staging.c[name]).label(name) for name in values))
            .where(true())
            .group_by(*key_columns)
        )
    else:
        rows = select(*key_columns, *(staging.c[name] for name in values)).where(true())
    statement = upsert(session, table).from_select([*keys, *values], rows.order_by(*key_columns))
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=keys,
            set_={name: table.c[name] + statement.excluded[name] for name in values},
        )
    )


async def add_deltas(session: AsyncSession, table: Table, rows: Sequence[tuple[Any, ...]]) -> None:
    """Add `rows` of deltas (one per key) to `table` at once."""
    if rows:
        await start_deltas(session, table)
        await append_deltas(session, table, rows)
        await merge_deltas(session, table, summed=False)
