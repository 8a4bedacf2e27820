"""Every query of the response path; no rules, no commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leko_evaluation.aggregates import add_counts
from leko_evaluation.models import (
    Answer,
    Evaluation,
    Invitation,
    Leader,
    LeaderGroupCount,
    LeaderQuestionTotal,
    NationalLeaders,
    NationalQuestionTotal,
    QuestionSet,
    Response,
)

COUNTERS = ("n1", "n2", "n3", "n4", "n5", "dont_know")


@dataclass(frozen=True, slots=True)
class InvitationContext:
    """What answering an invitation needs, from one query."""

    spent: bool
    group: str
    leader_id: int
    display_name: str
    sector: str
    level: str
    evaluation_id: int
    evaluation_name: str
    year: int
    opens_at: datetime
    closes_at: datetime
    themes: list[str]
    local_questions: list[dict[str, str]]
    version: int
    published_at: datetime | None


class ResponseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def context(self, hashed: str) -> InvitationContext | None:
        row = (
            await self.session.execute(
                select(
                    Invitation.spent,
                    Invitation.group,
                    Leader.id,
                    Leader.display_name,
                    Leader.sector,
                    Leader.level,
                    Evaluation.id,
                    Evaluation.name,
                    Evaluation.year,
                    Evaluation.opens_at,
                    Evaluation.closes_at,
                    Evaluation.themes,
                    Evaluation.local_questions,
                    QuestionSet.version,
                    QuestionSet.published_at,
                )
                .join(Leader, Leader.id == Invitation.leader_id)
                .join(Evaluation, Evaluation.id == Leader.evaluation_id)
                .join(QuestionSet, QuestionSet.version == Evaluation.question_set_version)
                .where(Invitation.token_hash == hashed)
            )
        ).one_or_none()
        if row is None:
            return None
        fields: tuple[Any, ...] = tuple(row)
        return InvitationContext(*fields)

    async def content(self, version: int) -> dict[str, Any]:
        content = await self.session.scalar(
            select(QuestionSet.content).where(QuestionSet.version == version)
        )
        assert content is not None
        parsed: dict[str, Any] = content
        return parsed

    async def spend(self, hashed: str) -> bool:
        """Mark the invitation spent; False when another request spent it first."""
        result = await self.session.execute(
            update(Invitation)
            .where(Invitation.token_hash == hashed, Invitation.spent.is_(False))
            .values(spent=True)
        )
        return bool(getattr(result, "rowcount", 0))

    async def store(
        self,
        *,
        response_id: str,
        leader_id: int,
        group: str,
        year: int,
        month: int,
        answers: list[tuple[str, int | None]],
    ) -> None:
        await self.session.execute(
            insert(Response).values(
                id=response_id, leader_id=leader_id, group=group, year=year, month=month
            )
        )
        await self.session.execute(
            insert(Answer),
            [
                {"response_id": response_id, "question_id": question_id, "value": value}
                for question_id, value in answers
            ],
        )

    async def add_leader_totals(self, rows: list[dict[str, Any]]) -> None:
        await add_counts(self.session, cast(Table, LeaderQuestionTotal.__table__), rows, COUNTERS)

    async def count_response(self, leader_id: int, group: str) -> int:
        """Count the response for the leader and group; returns the leader's responses."""
        await self.session.execute(
            update(LeaderGroupCount)
            .where(LeaderGroupCount.leader_id == leader_id, LeaderGroupCount.group == group)
            .values(responded=LeaderGroupCount.responded + 1)
        )
        responses = await self.session.scalar(
            update(Leader)
            .where(Leader.id == leader_id)
            .values(responses=Leader.responses + 1)
            .returning(Leader.responses)
        )
        return int(responses or 0)

    async def add_national_totals(self, rows: list[dict[str, Any]]) -> None:
        await add_counts(self.session, cast(Table, NationalQuestionTotal.__table__), rows, COUNTERS)

    async def add_national_leader(self, *, year: int, sector: str, level: str, shard: int) -> None:
        await add_counts(
            self.session,
            cast(Table, NationalLeaders.__table__),
            [{"year": year, "sector": sector, "level": level, "shard": shard, "leaders": 1}],
            ("leaders",),
        )
