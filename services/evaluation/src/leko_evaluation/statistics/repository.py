"""Queries of the national overview: sums over the sharded national aggregates."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_evaluation.models import NationalLeaders, NationalQuestionTotal, QuestionSet
from leko_evaluation.scale import Group
from leko_evaluation.stats import Counts


class StatisticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def core_counts(self, year: int | None) -> dict[tuple[int, str, str, str], Counts]:
        """(year, sector, level, question) → counts over the groups other than self."""
        table = NationalQuestionTotal
        query = (
            select(
                table.year,
                table.sector,
                table.level,
                table.question_id,
                func.sum(table.n1),
                func.sum(table.n2),
                func.sum(table.n3),
                func.sum(table.n4),
                func.sum(table.n5),
                func.sum(table.dont_know),
            )
            .where(table.group != Group.SELF.value)
            .group_by(table.year, table.sector, table.level, table.question_id)
        )
        if year is not None:
            query = query.where(table.year == year)
        rows = await self.session.execute(query)
        return {
            (y, sector, level, qid): Counts(*(int(v) for v in values))
            for y, sector, level, qid, *values in rows
        }

    async def leaders(self, year: int | None) -> dict[tuple[int, str, str], int]:
        table = NationalLeaders
        query = select(table.year, table.sector, table.level, func.sum(table.leaders)).group_by(
            table.year, table.sector, table.level
        )
        if year is not None:
            query = query.where(table.year == year)
        rows = await self.session.execute(query)
        return {(y, sector, level): int(n) for y, sector, level, n in rows}

    async def published(self) -> list[QuestionSet]:
        rows = await self.session.scalars(
            select(QuestionSet)
            .where(QuestionSet.status == "published")
            .order_by(QuestionSet.version)
        )
        return list(rows)
