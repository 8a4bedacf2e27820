"""Every query on rounds; no rules, no commits."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_surveys.models import Participant, Round


class RoundRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, round_id: int) -> Round | None:
        return await self.session.get(Round, round_id)

    async def for_year(self, programme: str, year: int) -> Round | None:
        return await self.session.scalar(
            select(Round).where(Round.programme == programme, Round.year == year)
        )

    async def previous(self, row: Round) -> Round | None:
        """The programme's latest round before this one's year."""
        return await self.session.scalar(
            select(Round)
            .where(Round.programme == row.programme, Round.year < row.year)
            .order_by(Round.year.desc())
            .limit(1)
        )

    def add(self, row: Round) -> None:
        self.session.add(row)

    async def page(
        self, *, programme: str | None, year: int | None, after: int | None, limit: int
    ) -> list[Round]:
        query = select(Round).order_by(Round.id.desc()).limit(limit)
        if programme is not None:
            query = query.where(Round.programme == programme)
        if year is not None:
            query = query.where(Round.year == year)
        if after is not None:
            query = query.where(Round.id < after)
        return list(await self.session.scalars(query))

    async def totals(self, round_ids: list[int]) -> dict[int, tuple[int, int, int]]:
        """(participants, invited, responded) per round."""
        if not round_ids:
            return {}
        rows = await self.session.execute(
            select(
                Participant.round_id,
                func.count(),
                func.sum(Participant.invited),
                func.sum(Participant.responded),
            )
            .where(Participant.round_id.in_(round_ids))
            .group_by(Participant.round_id)
        )
        return {rid: (int(n), int(inv or 0), int(resp or 0)) for rid, n, inv, resp in rows}
