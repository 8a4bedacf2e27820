"""Queries of the national overview: sums over the sharded national aggregates, and counting
a closed round into them from its answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_evaluation.models import (
    Answer,
    Evaluation,
    Leader,
    NationalLeaders,
    NationalQuestionTotal,
    QuestionSet,
    Response,
)
from leko_evaluation.scale import Group
from leko_evaluation.stats import Counts
from leko_kit.aggregates import add_counts, is_postgres

COUNTERS = ("n1", "n2", "n3", "n4", "n5", "dont_know")


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

    async def due_rounds(self, now: datetime, limit: int) -> list[Evaluation]:
        """Closed rounds not yet counted nationally, locked for this transaction (PostgreSQL:
        rounds another replica is counting are skipped, not waited for)."""
        query = (
            select(Evaluation)
            .where(Evaluation.national_counted_at.is_(None), Evaluation.closes_at <= now)
            .order_by(Evaluation.closes_at, Evaluation.id)
            .limit(limit)
        )
        if is_postgres(self.session):
            query = query.with_for_update(skip_locked=True)
        return list(await self.session.scalars(query))

    async def lock_round(self, evaluation_id: int) -> Evaluation | None:
        query = select(Evaluation).where(Evaluation.id == evaluation_id)
        if is_postgres(self.session):
            query = query.with_for_update()
        found: Evaluation | None = await self.session.scalar(query)
        return found

    async def round_answer_counts(
        self, evaluation: Evaluation, core: Sequence[str], shard: int
    ) -> list[dict[str, Any]]:
        """The round's answers to the core questions, counted per sector, level, question and
        respondent group: rows of `national_question_totals`."""
        counted = [
            func.sum(case((Answer.value == value, 1), else_=0)).label(f"n{value}")
            for value in range(1, 6)
        ]
        rows = await self.session.execute(
            select(
                Leader.sector,
                Leader.level,
                Answer.question_id,
                Response.group,
                *counted,
                func.sum(case((Answer.value.is_(None), 1), else_=0)).label("dont_know"),
            )
            .join(Response, Response.id == Answer.response_id)
            .join(Leader, Leader.id == Response.leader_id)
            .where(Leader.evaluation_id == evaluation.id, Answer.question_id.in_(core))
            .group_by(Leader.sector, Leader.level, Answer.question_id, Response.group)
        )
        return [
            {
                "year": evaluation.year,
                "sector": sector,
                "level": level,
                "question_id": question_id,
                "group": group,
                "shard": shard,
            }
            | dict(zip(COUNTERS, (int(n) for n in values), strict=True))
            for sector, level, question_id, group, *values in rows
        ]

    async def round_leaders(self, evaluation: Evaluation, shard: int) -> list[dict[str, Any]]:
        """The round's leaders with at least one response, per sector and level."""
        rows = await self.session.execute(
            select(Leader.sector, Leader.level, func.count())
            .where(Leader.evaluation_id == evaluation.id, Leader.responses > 0)
            .group_by(Leader.sector, Leader.level)
        )
        return [
            {
                "year": evaluation.year,
                "sector": sector,
                "level": level,
                "shard": shard,
                "leaders": int(n),
            }
            for sector, level, n in rows
        ]

    async def add_to_national(
        self, totals: list[dict[str, Any]], leaders: list[dict[str, Any]]
    ) -> None:
        await add_counts(
            self.session, cast(Table, NationalQuestionTotal.__table__), totals, COUNTERS
        )
        await add_counts(
            self.session, cast(Table, NationalLeaders.__table__), leaders, ("leaders",)
        )
