"""Every query on staffing and its subtree totals; no rules, no commits."""

from __future__ import annotations

import zlib
from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import Table, select, text, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.aggregates import is_postgres, upsert
from leko_kit.tables import utcnow
from leko_sickleave.aggregates import add_deltas
from leko_sickleave.models import Staffing, StaffingTotals

# pg_advisory_xact_lock takes a bigint; a fixed key derived from a name keeps it readable.
STAFFING_WRITES_LOCK_KEY = zlib.crc32(b"leko_sickleave.staffing")

_staffing = cast(Table, Staffing.__table__)
_totals = cast(Table, StaffingTotals.__table__)

KEYS_PER_QUERY = 1_000

# (org_code, yyyymm) → (employees, fte units, agreed-hours units)
StaffingValues = tuple[int, int, int]


class StaffingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_writes(self) -> None:
        """Serialise staffing writers until commit (PostgreSQL; SQLite serialises by itself),
        so two writers of one month never subtract the same old values from the totals."""
        if is_postgres(self.session):
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": STAFFING_WRITES_LOCK_KEY}
            )

    async def get(self, org_code: str, month: int) -> Staffing | None:
        return await self.session.get(Staffing, (org_code, month))

    async def get_many(self, keys: Collection[tuple[str, int]]) -> dict[tuple[str, int], Staffing]:
        """The stored months of `keys`, `KEYS_PER_QUERY` at a time: PostgreSQL parses a long
        list of key pairs recursively and runs out of stack near 10,000 of them."""
        found: dict[tuple[str, int], Staffing] = {}
        wanted = list(keys)
        for first in range(0, len(wanted), KEYS_PER_QUERY):
            rows = await self.session.scalars(
                select(Staffing).where(
                    tuple_(Staffing.org_code, Staffing.month).in_(
                        wanted[first : first + KEYS_PER_QUERY]
                    )
                )
            )
            found.update(((row.org_code, row.month), row) for row in rows)
        return found

    async def save(self, rows: Sequence[tuple[str, int, StaffingValues]]) -> None:
        """Insert new staffing and overwrite the stored values (a new version) of the rest."""
        if not rows:
            return
        now = utcnow()
        statement = upsert(self.session, _staffing)
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["org_code", "month"],
                set_={
                    "employees": statement.excluded.employees,
                    "fte_units": statement.excluded.fte_units,
                    "agreed_hours_units": statement.excluded.agreed_hours_units,
                    "version": _staffing.c.version + 1,
                    "updated_at": statement.excluded.updated_at,
                },
            ),
            [
                {
                    "org_code": org,
                    "month": month,
                    "employees": employees,
                    "fte_units": fte,
                    "agreed_hours_units": hours,
                    "version": 1,
                    "updated_at": now,
                }
                for org, month, (employees, fte, hours) in sorted(rows)
            ],
        )
        # The session may hold the old versions; read them again after the write.
        self.session.expire_all()

    async def add_totals(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Add (node, month, reports, employees, fte units, agreed-hours units) deltas."""
        await add_deltas(self.session, _totals, rows)
