"""Every query on absence targets; no rules, no commits."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.aggregates import upsert
from leko_kit.tables import utcnow
from leko_sickleave.models import Target

_targets = cast(Table, Target.__table__)


class TargetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, org_code: str, year: int) -> Target | None:
        return await self.session.get(Target, (org_code, year))

    async def by_year(self, org_code: str, first: int, last: int) -> dict[int, Target]:
        rows = await self.session.scalars(
            select(Target).where(Target.org_code == org_code, Target.year.between(first, last))
        )
        return {row.year: row for row in rows}

    async def all_years(self, org_code: str) -> list[Target]:
        rows = await self.session.scalars(
            select(Target).where(Target.org_code == org_code).order_by(Target.year)
        )
        return list(rows)

    async def save(self, org_code: str, year: int, units: int, updated_by: str) -> Target:
        """Insert the target or replace it with a new version."""
        statement = upsert(self.session, _targets).values(
            org_code=org_code,
            year=year,
            days_per_fte_units=units,
            version=1,
            updated_by=updated_by,
            updated_at=utcnow(),
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["org_code", "year"],
                set_={
                    "days_per_fte_units": statement.excluded.days_per_fte_units,
                    "version": _targets.c.version + 1,
                    "updated_by": statement.excluded.updated_by,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )
        saved = await self.session.get(Target, (org_code, year), populate_existing=True)
        assert saved is not None
        return saved
