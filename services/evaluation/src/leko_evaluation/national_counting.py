"""The background task that counts rounds closed by their time into the national totals (a
round closed early by `POST .../close` is counted in that request). Every few seconds, in a
transaction of its own; with several replicas each skips the rounds another is counting."""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import AsyncExitStack

import structlog
from fastapi import FastAPI

from leko_evaluation.statistics.service import count_due_rounds
from leko_kit.db import Database

log = structlog.get_logger(__name__)


async def _count_forever(app: FastAPI, every_seconds: float) -> None:
    database: Database = app.state.database
    while True:
        try:
            async with database.session() as session:
                counted = await count_due_rounds(session, now=app.state.clock())
            if counted:
                log.info("closed rounds counted nationally", rounds=counted)
                continue  # more may be waiting
        except Exception:  # a database hiccup: try again next time, never stop counting
            log.exception("counting closed rounds failed; trying again")
        await asyncio.sleep(every_seconds)


async def start_national_counting(app: FastAPI, stack: AsyncExitStack) -> None:
    """Start-up step: count closed rounds for the life of the process."""
    task = asyncio.create_task(_count_forever(app, app.state.settings.national_count_seconds))

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    stack.push_async_callback(stop)
