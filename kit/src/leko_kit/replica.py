"""The organisation replica: a service's local copy of the registry's organisations.

It follows the registry's change feed (`GET /v1/organisations/changes?after=`), applies each
change at most once (a row keeps the sequence number it was last written at, so replays and
several replicas consuming the same feed are harmless), stores its cursor in the same
transaction, and answers hierarchy questions without calling the registry on a request path.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx
import structlog
from sqlalchemy import select

from leko_kit.db import Database
from leko_kit.scope import lineage_query
from leko_kit.tables import ReplicaCursor, ReplicatedOrganisation

logger = structlog.get_logger(__name__)

FEED = "registry.organisations"
PAGE_SIZE = 500
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
    ) -> None:
        self.database = database
        self.poll_seconds = poll_seconds
        self._client = client or httpx.AsyncClient(base_url=registry_url, timeout=10.0)
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
                applied += await _apply(session, items)
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


async def _apply(session: Any, items: list[dict[str, Any]]) -> int:
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
        if row is None:
            row = ReplicatedOrganisation(code=data["code"], seq=seq)
            session.add(row)
            existing[row.code] = row
        for name in _FIELDS:
            setattr(row, name, data.get(name))
        row.seq = seq
        applied += 1
    return applied
