"""Queries of the research export: answers of closed rounds, page by page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_evaluation.models import LOCAL_THEME, Answer, Evaluation, Leader, QuestionSet, Response


class ResearchRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def published(self) -> list[QuestionSet]:
        rows = await self.session.scalars(
            select(QuestionSet)
            .where(QuestionSet.status == "published")
            .order_by(QuestionSet.version)
        )
        return list(rows)

    async def responses(
        self, *, year: int, closed_by: datetime, after: str, limit: int
    ) -> list[tuple[str, int, str, str, str]]:
        """(response id, month, group, sector, level) of closed rounds, by response id."""
        rows = await self.session.execute(
            select(Response.id, Response.month, Response.group, Leader.sector, Leader.level)
            .join(Leader, Leader.id == Response.leader_id)
            .join(Evaluation, Evaluation.id == Leader.evaluation_id)
            .where(Response.year == year, Response.id > after, Evaluation.closes_at <= closed_by)
            .order_by(Response.id)
            .limit(limit)
        )
        return [(rid, month, group, sector, level) for rid, month, group, sector, level in rows]

    async def answers(self, response_ids: list[str]) -> list[tuple[str, str, int | None]]:
        """(response id, question id, value) of national questions (no local ones)."""
        rows = await self.session.execute(
            select(Answer.response_id, Answer.question_id, Answer.value)
            .where(
                Answer.response_id.in_(response_ids),
                Answer.question_id.not_like(f"{LOCAL_THEME}-%"),
            )
            .order_by(Answer.response_id, Answer.question_id)
        )
        return [(rid, qid, value) for rid, qid, value in rows]
