"""Every query on organisations and their change feed; no rules, no commits."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import RowMapping, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.scope import OrgHierarchy, lineage_query
from leko_registry.models import Organisation, OrganisationChange

# pg_advisory_xact_lock takes a bigint; a fixed key derived from a name keeps it readable.
CHANGES_LOCK_KEY = zlib.crc32(b"leko_registry.organisation_changes")
# The hot public read selects plain columns with a statement built once: no ORM identity map
# or instance state per request.
_ROW_BY_CODE = select(Organisation.__table__).where(Organisation.code == bindparam("code"))


@dataclass(frozen=True, slots=True)
class OrganisationFilters:
    sector: str | None = None
    kind: str | None = None
    parent: str | None = None
    institution_type: str | None = None
    municipality_code: str | None = None
    q: str | None = None


class OrganisationRepository(OrgHierarchy):
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, code: str) -> Organisation | None:
        return await self.session.get(Organisation, code)

    async def get_row(self, code: str) -> RowMapping | None:
        """The organisation's columns (including `version`) without loading an ORM object."""
        result = await self.session.execute(_ROW_BY_CODE, {"code": code})
        return result.mappings().first()

    async def find(
        self, *, filters: OrganisationFilters, after_code: str | None, limit: int
    ) -> Sequence[Organisation]:
        """Up to `limit` organisations matching `filters`, in code order after `after_code`."""
        query = select(Organisation)
        for column, value in (
            (Organisation.sector, filters.sector),
            (Organisation.kind, filters.kind),
            (Organisation.parent_code, filters.parent),
            (Organisation.institution_type, filters.institution_type),
            (Organisation.municipality_code, filters.municipality_code),
        ):
            if value is not None:
                query = query.where(column == value)
        if filters.q:
            query = query.where(
                Organisation.name_folded.contains(filters.q.casefold(), autoescape=True)
            )
        if after_code is not None:
            query = query.where(Organisation.code > after_code)
        return (await self.session.scalars(query.order_by(Organisation.code).limit(limit))).all()

    async def lineage(self, code: str) -> list[str] | None:
        """The code followed by its ancestors up to the root; None if the code is unknown."""
        query = lineage_query(Organisation.code, Organisation.parent_code, code)
        codes = list(await self.session.scalars(query))
        return codes or None

    def add(self, organisation: Organisation) -> None:
        self.session.add(organisation)

    async def lock_changes(self) -> None:
        """Serialise organisation writers until commit, so change `seq` values commit in order.

        On PostgreSQL, `seq` comes from a sequence when the row is inserted, not when it
        commits: without this lock, a transaction holding seq 7 could commit after one holding
        seq 8, and a consumer that already polled `after=8` would never see 7. Holding one
        transaction-level advisory lock from before the first row write until commit makes
        allocation order equal commit order. Taking it before any row write (not only before
        the outbox insert) also means no writer ever waits for it while holding row locks,
        so writers cannot deadlock. SQLite serialises writers by itself.
        """
        if self.session.get_bind().dialect.name == "postgresql":
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHANGES_LOCK_KEY}
            )

    async def append_change(self, *, op: str, code: str, payload: dict[str, Any]) -> None:
        self.session.add(OrganisationChange(op=op, code=code, payload=payload))
        await self.session.flush()

    async def changes_after(self, seq: int, *, limit: int) -> Sequence[OrganisationChange]:
        query = (
            select(OrganisationChange)
            .where(OrganisationChange.seq > seq)
            .order_by(OrganisationChange.seq)
            .limit(limit)
        )
        return (await self.session.scalars(query)).all()
