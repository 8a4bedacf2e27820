"""Every query on participants, invitations and local questions; no rules, no commits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_surveys.models import Invitation, LocalQuestion, Participant


class ParticipationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def participant(self, round_id: int, org_code: str) -> Participant | None:
        return await self.session.get(Participant, (round_id, org_code))

    def add(self, row: Participant | LocalQuestion) -> None:
        self.session.add(row)

    async def insert_invitations(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(Invitation), rows)

    async def participants(
        self, round_id: int, *, after: str | None, limit: int
    ) -> list[Participant]:
        query = (
            select(Participant)
            .where(Participant.round_id == round_id)
            .order_by(Participant.org_code)
            .limit(limit)
        )
        if after is not None:
            query = query.where(Participant.org_code > after)
        return list(await self.session.scalars(query))

    async def local_questions(
        self, round_id: int, *, after: int | None = None, limit: int | None = None
    ) -> list[LocalQuestion]:
        query = (
            select(LocalQuestion)
            .where(LocalQuestion.round_id == round_id)
            .order_by(LocalQuestion.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(LocalQuestion.id > after)
        return list(await self.session.scalars(query))

    async def local_question(self, round_id: int, question_id: int) -> LocalQuestion | None:
        row = await self.session.get(LocalQuestion, question_id)
        return row if row is not None and row.round_id == round_id else None

    async def owner_count(self, round_id: int, owner_code: str) -> int:
        count = await self.session.scalar(
            select(func.count())
            .select_from(LocalQuestion)
            .where(LocalQuestion.round_id == round_id, LocalQuestion.owner_code == owner_code)
        )
        return int(count or 0)
