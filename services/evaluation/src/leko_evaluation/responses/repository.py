"""Every query of the response path; no rules, no commits.

On PostgreSQL the hot path is two statements sent straight to asyncpg (prepared once per
connection, no SQLAlchemy statement building per request): the invitation's context, then one
statement that spends the invitations of a batch of responses and stores those whose
invitation was unspent, with their answers and counts (`write_responses`, for one response in
the request's transaction or for many through a group writer, see `leko_kit.group_write`).
Other databases (SQLite) take the same steps one statement at a time inside the request's
transaction.
"""

from __future__ import annotations

import json
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
from leko_kit.db import driver_connection

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


# Spend each invitation of the batch; everything after it reads `spent`, so nothing is written
# for a token another request spent first (or that comes twice in one batch: an invitation is
# updated once, and only one of its rows is returned). The national totals are not touched: a
# round is counted in them when it closes (`statistics.service.count_round`).
_RECORD_PG = """
WITH batch AS (
    SELECT * FROM unnest($1::int[], $2::varchar[], $3::varchar[], $4::int[], $5::varchar[],
                         $6::int[], $7::int[])
        AS b(idx, token_hash, id, leader_id, "group", year, month)
),
spent AS (
    UPDATE invitations i SET spent = true
    FROM batch b
    WHERE i.token_hash = b.token_hash AND NOT i.spent
    RETURNING b.idx, b.id, b.leader_id, b."group", b.year, b.month
),
stored AS (
    INSERT INTO responses (id, leader_id, "group", year, month)
    SELECT s.id, s.leader_id, s."group", s.year, s.month FROM spent s
),
stored_answers AS (
    INSERT INTO answers (response_id, question_id, value)
    SELECT s.id, a.question_id, a.value
    FROM unnest($8::int[], $9::varchar[], $10::smallint[]) AS a(idx, question_id, value)
    JOIN spent s ON s.idx = a.idx
),
counted AS (
    UPDATE leader_group_counts c SET responded = c.responded + n.responses
    FROM (SELECT leader_id, "group", count(*) AS responses FROM spent
          GROUP BY leader_id, "group") n
    WHERE c.leader_id = n.leader_id AND c."group" = n."group"
),
leader AS (
    UPDATE evaluation_leaders l SET responses = l.responses + n.responses
    FROM (SELECT leader_id, count(*) AS responses FROM spent GROUP BY leader_id) n
    WHERE l.id = n.leader_id
)
SELECT idx FROM spent
"""


@dataclass(frozen=True, slots=True)
class Submission:
    """A checked response waiting to be stored: where it counts, never who sent it (the
    token's hash only spends the invitation)."""

    token_hash: str
    response_id: str
    leader_id: int
    group: str
    year: int
    month: int
    answers: list[tuple[str, int | None]]


async def write_responses(driver: Any, submissions: list[Submission]) -> set[int]:
    """PostgreSQL: spend, store and count a batch of responses in one statement; the indexes
    of those stored (the others' invitations were spent already)."""
    columns: list[list[Any]] = [[] for _ in range(10)]
    for index, item in enumerate(submissions):
        for column, value in zip(
            columns[:7],
            (
                index,
                item.token_hash,
                item.response_id,
                item.leader_id,
                item.group,
                item.year,
                item.month,
            ),
            strict=True,
        ):
            column.append(value)
        for question_id, value in item.answers:
            columns[7].append(index)
            columns[8].append(question_id)
            columns[9].append(value)
    rows = await driver.fetch(_RECORD_PG, *columns)
    return {int(row[0]) for row in rows}


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

    @property
    def direct(self) -> bool:
        """Whether the hot path goes straight to asyncpg (PostgreSQL)."""
        return is_postgres(self.session)

    async def context(self, hashed: str) -> InvitationContext | None:
        if self.direct:
            found = await (await driver_connection(self.session)).fetchrow(_CONTEXT_PG, hashed)
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

    async def store(self, submission: Submission) -> None:
        await self.session.execute(
            insert(Response).values(
                id=submission.response_id,
                leader_id=submission.leader_id,
                group=submission.group,
                year=submission.year,
                month=submission.month,
            )
        )
        await self.session.execute(
            insert(Answer),
            [
                {"response_id": submission.response_id, "question_id": question_id, "value": value}
                for question_id, value in submission.answers
            ],
        )

    async def record(self, submission: Submission) -> bool:
        """PostgreSQL: spend, store and count in one statement in the session's transaction;
        False (and nothing written) when the invitation was spent already."""
        driver = await driver_connection(self.session)
        return bool(await write_responses(driver, [submission]))

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
