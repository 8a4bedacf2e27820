"""Group commit on PostgreSQL: writes that arrive while one is running go together in the next.

Storing one small submission (an invitation spent, a response and its answers, a few counts)
costs PostgreSQL more in the statement and its commit than in the rows it writes, and the
service one round trip each. A `GroupWriter` therefore lets a submission wait for the write in
progress, or a few milliseconds under light load (`LINGER_SECONDS`), and writes it with every
other that arrived meanwhile, up to `MAX_BATCH`: one statement and one commit for all of them.
A caller still hears back only after its submission is committed.

The service's write function gets the batch and says which of its items it stored (an item
may be refused inside the statement, e.g. a token another request spent first). A write is
atomic: when it fails, every item in it fails and none is stored. A deadlock with another
process's write is retried.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar
from weakref import WeakKeyDictionary

from asyncpg.exceptions import DeadlockDetectedError  # type: ignore[import-untyped]
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.db import Database, driver_connection

Item = TypeVar("Item")
Result = TypeVar("Result")
# (the write's asyncpg connection, the batch) -> the indexes of the items it stored.
WriteBatch = Callable[[Any, list[Item]], Awaitable[set[int]]]

MAX_BATCH = 64
# A few milliseconds of latency buy writes several submissions large: a write of one costs
# PostgreSQL about three times as much per submission as a write of sixteen.
LINGER_SECONDS = 0.004
DEADLOCK_RETRIES = 3


class GroupWriter(Generic[Item]):
    """Writes one kind of submission to one database, a batch at a time."""

    def __init__(self, database: Database, write: WriteBatch[Item]) -> None:
        self.database = database
        self.write = write
        self.pending: list[tuple[Item, asyncio.Future[bool]]] = []
        self.task: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> bool:
        """Write `item` with whatever else is waiting; whether the write stored it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[bool] = loop.create_future()
        self.pending.append((item, future))
        if self.task is None or self.task.done():
            self.task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self.pending:
            if len(self.pending) < MAX_BATCH:
                await asyncio.sleep(LINGER_SECONDS)  # let the submissions in flight join
            batch = self.pending[:MAX_BATCH]
            del self.pending[:MAX_BATCH]
            try:
                stored = await self._write([item for item, _ in batch])
            except Exception as error:  # every submission of the write fails with it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
            else:
                for index, (_, future) in enumerate(batch):
                    if not future.done():
                        future.set_result(index in stored)

    async def _write(self, items: list[Item]) -> set[int]:
        for attempt in range(DEADLOCK_RETRIES + 1):
            try:
                async with self.database.sessionmaker() as session:
                    stored = await self.write(await driver_connection(session), items)
                    await session.commit()
                return stored
            except DeadlockDetectedError:
                if attempt == DEADLOCK_RETRIES:
                    raise
                await asyncio.sleep(random.uniform(0.001, 0.01))  # noqa: S311
        raise AssertionError("unreachable")


_writers: WeakKeyDictionary[Database, dict[Any, GroupWriter[Any]]] = WeakKeyDictionary()


def group_writer(database: Database, write: WriteBatch[Item]) -> GroupWriter[Item]:
    """The process's writer of `write`'s submissions to `database`."""
    writers = _writers.setdefault(database, {})
    found: GroupWriter[Item] | None = writers.get(write)
    if found is None:
        found = writers[write] = GroupWriter(database, write)
    return found


async def checked_write(
    database: Database,
    *,
    single: Callable[[AsyncSession], Awaitable[Result]],
    check: Callable[[AsyncSession], Awaitable[Item]],
    write: WriteBatch[Item],
    receipt: Callable[[Item, bool], Result],
) -> Result:
    """One submission of a busy route. On SQLite (one writer at a time) `single` checks and
    stores it in one transaction. On PostgreSQL `check` runs on a read session, released
    before the write waits, and the item is written with the others arriving at the same
    moment; `receipt` gets it and whether the write stored it."""
    if database.is_sqlite:
        async with database.session() as session:
            return await single(session)
    async with database.read_session() as session:
        item = await check(session)
    return receipt(item, await group_writer(database, write).submit(item))
