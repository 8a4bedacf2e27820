"""Every query on question-set versions; no rules, no commits."""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_evaluation.models import Evaluation, QuestionSet


class QuestionSetRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, version: int) -> QuestionSet | None:
        return await self.session.get(QuestionSet, version)

    async def current(self) -> QuestionSet | None:
        """The newest published version."""
        return await self.session.scalar(
            select(QuestionSet)
            .where(QuestionSet.status == "published")
            .order_by(QuestionSet.version.desc())
            .limit(1)
        )

    async def current_version(self) -> int | None:
        return await self.session.scalar(
            select(func.max(QuestionSet.version)).where(QuestionSet.status == "published")
        )

    async def next_version(self) -> int:
        latest = await self.session.scalar(select(func.max(QuestionSet.version)))
        return (latest or 0) + 1

    async def page(self, *, after: int | None, limit: int, drafts: bool) -> list[QuestionSet]:
        query = select(QuestionSet).order_by(QuestionSet.version.desc()).limit(limit)
        if after is not None:
            query = query.where(QuestionSet.version < after)
        if not drafts:
            query = query.where(QuestionSet.status == "published")
        return list(await self.session.scalars(query))

    async def in_use(self, versions: list[int]) -> set[int]:
        if not versions:
            return set()
        rows = await self.session.scalars(
            select(Evaluation.question_set_version)
            .where(Evaluation.question_set_version.in_(versions))
            .distinct()
        )
        return set(rows)

    async def is_in_use(self, version: int) -> bool:
        return bool(
            await self.session.scalar(
                select(exists().where(Evaluation.question_set_version == version))
            )
        )

    def add(self, row: QuestionSet) -> None:
        self.session.add(row)
