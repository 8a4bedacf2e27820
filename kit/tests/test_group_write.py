"""The group writer: submissions that arrive together share one write, each learns whether the
write stored it, a failed write fails all of its submissions, and a deadlock is retried."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from asyncpg.exceptions import DeadlockDetectedError  # type: ignore[import-untyped]

from leko_kit.db import Database
from leko_kit.group_write import group_writer

pytestmark = pytest.mark.anyio


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'writes.db'}")
    yield db
    await db.dispose()


async def test_submissions_arriving_together_share_one_write(database: Database) -> None:
    batches: list[list[int]] = []

    async def store_even(_driver: Any, items: list[int]) -> set[int]:
        batches.append(items)
        return {index for index, item in enumerate(items) if item % 2 == 0}

    writer = group_writer(database, store_even)
    stored = await asyncio.gather(*(writer.submit(item) for item in range(10)))
    assert stored == [item % 2 == 0 for item in range(10)]
    assert batches == [list(range(10))]
    assert group_writer(database, store_even) is writer
    assert await writer.submit(12) is True
    assert batches[-1] == [12]


async def test_a_failed_write_fails_each_of_its_submissions_and_not_the_next(
    database: Database,
) -> None:
    failures = iter([RuntimeError("disk full")])

    async def write(_driver: Any, items: list[int]) -> set[int]:
        error = next(failures, None)
        if error is not None:
            raise error
        return set(range(len(items)))

    writer = group_writer(database, write)
    outcomes = await asyncio.gather(
        *(writer.submit(item) for item in range(5)), return_exceptions=True
    )
    assert [str(outcome) for outcome in outcomes] == ["disk full"] * 5
    assert await writer.submit(5) is True


async def test_a_deadlock_is_retried(database: Database) -> None:
    attempts: list[list[int]] = []

    async def write(_driver: Any, items: list[int]) -> set[int]:
        attempts.append(items)
        if len(attempts) == 1:
            raise DeadlockDetectedError("deadlock detected")
        return set(range(len(items)))

    writer = group_writer(database, write)
    assert await asyncio.gather(writer.submit(1), writer.submit(2)) == [True, True]
    assert attempts == [[1, 2], [1, 2]]
