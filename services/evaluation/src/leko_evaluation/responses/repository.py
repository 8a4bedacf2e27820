"""Every query of the response path; no rules, no commits.

On PostgreSQL the hot path is two statements sent straight to asyncpg (prepared once per
connection, no SQLAlchemy statement building per request): the invitation's context, then one
statement that spends the invitation and, only if that succeeded, stores the response with its
answers and adds it to every aggregate. A single statement is atomic on its own, so it needs
no BEGIN/COMMIT round trips either. Other databases (SQLite) take the same steps one statement
at a time inside the request's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leko_evaluation.models import (
    Answer,
    Evaluation,
    Invitation,
    Leader,
    LeaderGroupCount,
    QuestionSet,
    Response,
)
from leko_kit.aggregates import is_postgres

COUNTERS = ("n1", "n2", "n3", "n4", "n5", "dont_know")

_CONTEXT_PG = """
SELECT i.spent, i."group", l.id, l.display_name, l.sector, l.level, e.id, e.name, e.year,
       e.opens_at, e.closes_at, e.themes, e.local_questions, q.version, q.published_at
FROM invitations i
JOIN evaluation_leaders l ON l.id = i.leader_id
JOIN evaluations e ON e.id = l.evaluation_id
JOIN question_sets q ON q.version = e.question_set_version
WHERE i.token_hash = $1
"""


# Spend the invitation; everything after it reads `spent`, so nothing is written when another
# request spent the token first. The national totals are not touched: a round is counted in
# them when it closes (`statistics.service.count_round`).
_RECORD_PG = """
WITH spent AS (
    UPDATE invitations SET spent = true
    WHERE token_hash = $1 AND NOT spent
    RETURNING leader_id
),
answered AS (
    SELECT a.question_id, a.value
    FROM spent, unnest($7::varchar[], $8::smallint[]) AS a(question_id, value)
),
stored AS (
    INSERT INTO responses (id, leader_id, "group", year, month)
    SELECT $2::varchar, $3::int, $4::varchar, $5::int, $6::int FROM spent
    RETURNING id
),
stored_answers AS (
    INSERT INTO answers (response_id, question_id, value)
    SELECT stored.id, answered.question_id, answered.value FROM stored, answered
),
counted AS (
    UPDATE leader_group_counts SET responded = responded + 1
    WHERE leader_id = $3::int AND "group" = $4::varchar AND EXISTS (SELECT FROM spent)
),
leader AS (
    UPDATE evaluation_leaders SET responses = responses + 1
    WHERE id = $3::int AND EXISTS (SELECT FROM spent)
)
SELECT count(*) FROM spent
"""


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

    async def _driver(self) -> Any:
        """The request's asyncpg connection (in the request's transaction if one began)."""
        connection = await self.session.connection()
        raw = await connection.get_raw_connection()
        return raw.driver_connection

    @property
    def direct(self) -> bool:
        """Whether the hot path goes straight to asyncpg (PostgreSQL)."""
        return is_postgres(self.session)

    async def context(self, hashed: str) -> InvitationContext | None:
        if self.direct:
            found = await (await self._driver()).fetchrow(_CONTEXT_PG, hashed)
            if found is None:
                return None
            values = list(found)
            for index in (11, 12):  # json: SQLAlchemy's codec decodes it on its connections
                if isinstance(values[index], str):
                    values[index] = json.loads(values[index])
            return InvitationContext(*values)
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

    async def record(
        self,
        *,
        hashed: str,
        response_id: str,
        leader_id: int,
        group: str,
        year: int,
        month: int,
        answers: Sequence[tuple[str, int | None]],
    ) -> bool:
        """PostgreSQL: spend, store and count in one statement; False (and nothing written)
        when the invitation was spent already."""
        spent = await (await self._driver()).fetchval(
            _RECORD_PG,
            hashed,
            response_id,
            leader_id,
            group,
            year,
            month,
            [question_id for question_id, _ in answers],
            [value for _, value in answers],
        )
        return bool(spent)

    async def count_response(self, leader_id: int, group: str) -> None:
        """Count the response for the leader and group."""
        await self.session.execute(
            update(LeaderGroupCount)
            .where(LeaderGroupCount.leader_id == leader_id, LeaderGroupCount.group == group)
            .values(responded=LeaderGroupCount.responded + 1)
        )
        await self.session.execute(
            update(Leader).where(Leader.id == leader_id).values(responses=Leader.responses + 1)
        )
