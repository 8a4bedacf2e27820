"""The organisation replica: a service's local copy of the registry's organisations.

It follows the registry's change feed (`GET /v1/organisations/changes?after=`), applies each
change at most once (a row keeps the sequence number it was last written at, so replays are
harmless, and on PostgreSQL the processes of one service that share a database apply pages one
at a time), stores its cursor in the same transaction, and answers hierarchy questions without
calling the registry on a request path.

A service that keeps figures per subtree passes `on_move`: when an organisation gets a new
parent, it is called in the same transaction with the organisation's former and new ancestors,
so the service can move the subtree's figures along before anything else reads them.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

import httpx
import structlog
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.db import Database
from leko_kit.middleware import ROUTINE_USER_AGENT
from leko_kit.observability import ReadinessCheck
from leko_kit.scope import lineage_query
from leko_kit.tables import ReplicaCursor, ReplicatedOrganisation

logger = structlog.get_logger(__name__)

FEED = "registry.organisations"
PAGE_SIZE = 500
# pg_advisory_xact_lock takes a bigint; a fixed key derived from the feed's name.
APPLY_LOCK_KEY = zlib.crc32(FEED.encode())

# (session, code, former ancestors, new ancestors), ancestors nearest first
MoveHook = Callable[[AsyncSession, str, list[str], list[str]], Awaitable[None]]
_FIELDS = (
    "name",
    "sector",
    "kind",
    "parent_code",
    "institution_type",
    "municipality_code",
    "region_code",
)


class OrganisationReplica:
    """Consumes the registry change feed into `org_replica` and walks the hierarchy."""

    def __init__(
        self,
        *,
        database: Database,
        registry_url: str,
        poll_seconds: float = 5.0,
        client: httpx.AsyncClient | None = None,
        on_move: MoveHook | None = None,
    ) -> None:
        self.database = database
        self.on_move = on_move
        self.poll_seconds = poll_seconds
        self._client = client or httpx.AsyncClient(
            base_url=registry_url, timeout=10.0, headers={"user-agent": ROUTINE_USER_AGENT}
        )
        self._owns_client = client is None
        self.synced = False

    async def sync_once(self) -> int:
        """Apply every change the feed has after the stored cursor; returns how many."""
        applied = 0
        while True:
            async with self.database.session() as session:
                cursor_row = await session.get(ReplicaCursor, FEED)
                after = cursor_row.cursor if cursor_row else None
            params: dict[str, Any] = {"limit": PAGE_SIZE}
            if after:
                params["after"] = after
            response = await self._client.get("/v1/organisations/changes", params=params)
            response.raise_for_status()
            page = response.json()
            items = page.get("items") or []
            next_cursor = page.get("next_cursor") or after
            async with self.database.session() as session:
                applied += await apply_changes(session, items, on_move=self.on_move)
                row = await session.get(ReplicaCursor, FEED)
                if row is None:
                    session.add(ReplicaCursor(feed=FEED, cursor=next_cursor))
                else:
                    row.cursor = next_cursor
            if not items or next_cursor == after:
                self.synced = True
                return applied

    async def run(self) -> None:
        """Poll for ever (a background task); failures are logged and retried with backoff."""
        delay = self.poll_seconds
        while True:
            try:
                applied = await self.sync_once()
                if applied:
                    logger.info("replica_synced", feed=FEED, applied=applied)
                delay = self.poll_seconds
            except (httpx.HTTPError, ValueError) as exc:
                logger.warning("replica_sync_failed", feed=FEED, error=type(exc).__name__)
                delay = min(delay * 2, 60.0)
            await asyncio.sleep(delay)

    async def start(self) -> asyncio.Task[None]:
        """Sync once now (tolerating a registry that is not up yet), then keep polling."""
        with contextlib.suppress(httpx.HTTPError, ValueError):
            await self.sync_once()
        return asyncio.create_task(self.run(), name="organisation-replica")

    async def close(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def ready(self) -> None:
        """Readiness check: the replica has caught up with the feed at least once."""
        if not self.synced:
            raise RuntimeError("organisation replica has not synced yet")

    async def get(self, code: str) -> ReplicatedOrganisation | None:
        async with self.database.sessionmaker() as session:
            return await session.get(ReplicatedOrganisation, code)

    async def lineage(self, code: str) -> list[str] | None:
        """The code and its ancestors, nearest first (None when the code is unknown)."""
        query = lineage_query(ReplicatedOrganisation.code, ReplicatedOrganisation.parent_code, code)
        async with self.database.sessionmaker() as session:
            codes = list(await session.scalars(query))
        return codes or None


async def _ancestors(session: AsyncSession, code: str) -> list[str]:
    query = lineage_query(ReplicatedOrganisation.code, ReplicatedOrganisation.parent_code, code)
    return list(await session.scalars(query))[1:]


async def apply_changes(
    session: AsyncSession, items: list[dict[str, Any]], *, on_move: MoveHook | None = None
) -> int:
    """Apply one page of the change feed in the caller's transaction; returns how many
    changes were new. Other processes applying the same feed to the same database wait (on
    PostgreSQL; SQLite has one writer anyway), so none applies a change twice."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPLY_LOCK_KEY})
    codes = [item["organisation"]["code"] for item in items]
    existing = {
        row.code: row
        for row in await session.scalars(
            select(ReplicatedOrganisation).where(ReplicatedOrganisation.code.in_(codes))
        )
    }
    applied = 0
    for item in items:
        seq = int(item["seq"])
        data = item["organisation"]
        row = existing.get(data["code"])
        if row is not None and row.seq >= seq:
            continue
        moved = row is not None and row.parent_code != data.get("parent_code")
        former = await _ancestors(session, data["code"]) if on_move and moved else []
        if row is None:
            row = ReplicatedOrganisation(code=data["code"], seq=seq)
            session.add(row)
            existing[row.code] = row
        for name in _FIELDS:
            setattr(row, name, data.get(name))
        row.seq = seq
        applied += 1
        if on_move and moved:
            await session.flush()
            await on_move(session, row.code, former, await _ancestors(session, row.code))
    return applied


async def start_replica(app: FastAPI, stack: AsyncExitStack) -> None:
    """Start-up step of a service with a replica in `app.state.replica`: follow the registry's
    change feed for the life of the process."""
    replica: OrganisationReplica = app.state.replica
    task = await replica.start()

    async def stop() -> None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await replica.close()

    stack.push_async_callback(stop)


def replica_ready(app: FastAPI) -> ReadinessCheck:
    """Readiness check: the replica in `app.state.replica` has caught up once."""

    async def check() -> None:
        replica: OrganisationReplica = app.state.replica
        await replica.ready()

    return check
