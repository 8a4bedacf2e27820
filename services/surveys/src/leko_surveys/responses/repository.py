"""Every query of the response paths; no rules, no commits.

On PostgreSQL the token path is two statements sent straight to asyncpg (prepared once per
connection, no SQLAlchemy statement building per request): the invitation's context with the
local questions of the organisation's lineage, then one statement that spends the invitations
of a batch of responses and stores those whose invitation was unspent, adding them to the
organisations' totals and to the participants' counts (`write_responses`: for one response
in the request's transaction, or for the responses arriving together through a group writer,
see `leko_kit.group_write`). Aggregate rows are added in key order, and the tables in the
order the batch import writes them (responses, organisation totals, participants), so
concurrent writers lock shared rows in the same order. The totals of areas (municipality,
sector, nation) are added up from the organisations' when a closed round's results are
first read (`results.repository`): writing them with every response cost more than the
response itself. Other
databases (SQLite) take the same steps one statement at a time.
The batch import's writes on PostgreSQL take arrays: one statement per table.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.aggregates import add_counts, is_postgres
from leko_kit.db import driver_connection
from leko_surveys.models import (
    COUNTERS,
    Invitation,
    LocalQuestion,
    Participant,
    ParticipantQuestionTotal,
    Programme,
    Questionnaire,
    Response,
    Round,
)

# The lineage is compared as an array: as a semi-join with the set-returning function the
# local questions took half of the query's time.
_CONTEXT_PG = """
SELECT i.spent, r.id, r.programme, p.by_sector, r.opens_at, r.closes_at,
       q.version, q.row_version, pa.org_code, pa.municipality, pa.sector,
       (SELECT coalesce(json_agg(json_build_array(l.id, l.owner_code, l.text_da)
                                 ORDER BY l.id)::text, '[]')
        FROM local_questions l
        WHERE l.round_id = r.id
          AND l.owner_code = ANY (ARRAY(SELECT json_array_elements_text(pa.lineage)))) AS local
FROM invitations i
JOIN rounds r ON r.id = i.round_id
JOIN programmes p ON p.code = r.programme
JOIN questionnaires q ON q.programme = r.programme AND q.version = r.questionnaire_version
JOIN participants pa ON pa.round_id = i.round_id AND pa.org_code = i.org_code
WHERE i.token_hash = $1
"""

# Spend each invitation of a batch of token responses; everything after it reads `spent`, so
# nothing is written for a token another request spent first (or that comes twice in one
# batch: an invitation is updated once, and only one of its rows is returned).
_WRITE_PG = """
WITH batch AS (
    SELECT * FROM unnest($1::int[], $2::varchar[], $3::varchar[], $4::int[], $5::varchar[],
                         $6::int[], $7::text[])
        AS b(idx, token_hash, id, round_id, org_code, month, answers)
),
spent AS (
    UPDATE invitations i SET spent = true
    FROM batch b
    WHERE i.token_hash = b.token_hash AND NOT i.spent
    RETURNING b.idx, b.id, b.round_id, b.org_code, b.month, b.answers
),
stored AS (
    INSERT INTO responses (id, round_id, org_code, month, answers, external_id, content_hash)
    SELECT s.id, s.round_id, s.org_code, s.month, s.answers::json, NULL, NULL FROM spent s
),
answered AS (
    SELECT s.idx, s.round_id, s.org_code, a.question_id, a.slot
    FROM unnest($8::int[], $9::varchar[], $10::smallint[]) AS a(idx, question_id, slot)
    JOIN spent s ON s.idx = a.idx
),
own AS (
    INSERT INTO participant_question_totals AS t
        (round_id, org_code, question_id, n1, n2, n3, n4, n5, dont_know)
    SELECT a.round_id, a.org_code, a.question_id,
           count(*) FILTER (WHERE a.slot = 1), count(*) FILTER (WHERE a.slot = 2),
           count(*) FILTER (WHERE a.slot = 3), count(*) FILTER (WHERE a.slot = 4),
           count(*) FILTER (WHERE a.slot = 5), count(*) FILTER (WHERE a.slot IS NULL)
    FROM answered a
    GROUP BY a.round_id, a.org_code, a.question_id
    ORDER BY a.round_id, a.org_code, a.question_id
    ON CONFLICT (round_id, org_code, question_id) DO UPDATE SET
        n1 = t.n1 + excluded.n1, n2 = t.n2 + excluded.n2, n3 = t.n3 + excluded.n3,
        n4 = t.n4 + excluded.n4, n5 = t.n5 + excluded.n5,
        dont_know = t.dont_know + excluded.dont_know
),
counted AS (
    UPDATE participants p SET responded = p.responded + c.n
    FROM (SELECT s.round_id, s.org_code, count(*) AS n FROM spent s
          GROUP BY s.round_id, s.org_code) c
    WHERE p.round_id = c.round_id AND p.org_code = c.org_code
)
SELECT idx FROM spent
"""


@dataclass(frozen=True, slots=True)
class Pending:
    """A validated token response waiting to be written."""

    token_hash: str
    response_id: str
    round_id: int
    org_code: str
    month: int
    answers_json: str
    answers: list[tuple[str, int | None]]  # question id, counter slot


async def write_responses(driver: Any, items: list[Pending]) -> set[int]:
    """Store a batch of responses; the indexes of those whose token was still unspent."""
    rows = await driver.fetch(_WRITE_PG, *_arguments(items))
    return {int(row[0]) for row in rows}


def _arguments(items: list[Pending]) -> list[Any]:
    """The statement's arrays."""
    columns: list[list[Any]] = [[] for _ in range(10)]
    (idx, hashes, ids, rounds, orgs, months, texts) = columns[:7]
    (answer_idx, question_ids, slots) = columns[7:]
    for index, item in enumerate(items):
        idx.append(index)
        hashes.append(item.token_hash)
        ids.append(item.response_id)
        rounds.append(item.round_id)
        orgs.append(item.org_code)
        months.append(item.month)
        texts.append(item.answers_json)
        for question_id, slot in item.answers:
            answer_idx.append(index)
            question_ids.append(question_id)
            slots.append(slot)
    return columns


# The batch import's writes on PostgreSQL: every row of a table in one statement, the values
# as arrays (a few parameters instead of one per value), keys in sorted order.
_INSERT_RESPONSES_PG = """
INSERT INTO responses (id, round_id, org_code, month, answers, external_id, content_hash)
SELECT u.id, $1::int, u.org_code, $2::int, u.answers::json, u.external_id, u.content_hash
FROM unnest($3::varchar[], $4::varchar[], $5::text[], $6::varchar[], $7::varchar[])
    AS u(id, org_code, answers, external_id, content_hash)
"""
_EXISTING_PG = """
SELECT external_id, content_hash FROM responses
WHERE round_id = $1::int AND external_id = ANY($2::varchar[])
"""
_ADD_PARTICIPANT_TOTALS_PG = """
INSERT INTO participant_question_totals AS t
    (round_id, org_code, question_id, n1, n2, n3, n4, n5, dont_know)
SELECT $1::int, u.org_code, u.question_id, u.n1, u.n2, u.n3, u.n4, u.n5, u.dont_know
FROM unnest($2::varchar[], $3::varchar[], $4::int[], $5::int[], $6::int[], $7::int[],
            $8::int[], $9::int[]) AS u(org_code, question_id, n1, n2, n3, n4, n5, dont_know)
ORDER BY u.org_code, u.question_id
ON CONFLICT (round_id, org_code, question_id) DO UPDATE SET
    n1 = t.n1 + excluded.n1, n2 = t.n2 + excluded.n2, n3 = t.n3 + excluded.n3,
    n4 = t.n4 + excluded.n4, n5 = t.n5 + excluded.n5,
    dont_know = t.dont_know + excluded.dont_know
"""


def _columns(totals: dict[Any, list[int]], width: int) -> tuple[list[list[Any]], list[list[int]]]:
    """Key columns and the six counter columns of `totals`, in key order."""
    keys: list[list[Any]] = [[] for _ in range(width)]
    counts: list[list[int]] = [[] for _ in range(6)]
    for key in sorted(totals):
        for column, value in zip(keys, key, strict=True):
            column.append(value)
        for column, value in zip(counts, totals[key], strict=True):
            column.append(value)
    return keys, counts


@dataclass(frozen=True, slots=True)
class AnswerContext:
    """What storing a token's response needs, from one query (PostgreSQL): the round, the
    questionnaire version (its content is cached by the service) and the local questions
    of the organisation's lineage as (id, owner, text)."""

    spent: bool
    round_id: int
    programme: str
    by_sector: bool
    opens_at: datetime
    closes_at: datetime
    version: int
    row_version: int
    org_code: str
    municipality: str | None
    sector: str
    local: list[tuple[int, str, str]]


@dataclass(frozen=True, slots=True)
class InvitationContext:
    """What answering an invitation needs, from one query."""

    spent: bool
    round_id: int
    programme: str
    programme_label_da: str
    by_sector: bool
    year: int
    opens_at: datetime
    closes_at: datetime
    version: int
    row_version: int
    content: list[dict[str, Any]]
    org_code: str
    lineage: list[str]
    municipality: str | None
    sector: str


class ResponseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def context(self, hashed: str) -> InvitationContext | None:
        row = (
            await self.session.execute(
                select(
                    Invitation.spent,
                    Round.id,
                    Round.programme,
                    Programme.label_da,
                    Programme.by_sector,
                    Round.year,
                    Round.opens_at,
                    Round.closes_at,
                    Questionnaire.version,
                    Questionnaire.row_version,
                    Questionnaire.content,
                    Participant.org_code,
                    Participant.lineage,
                    Participant.municipality,
                    Participant.sector,
                )
                .join(Round, Round.id == Invitation.round_id)
                .join(Programme, Programme.code == Round.programme)
                .join(
                    Questionnaire,
                    (Questionnaire.programme == Round.programme)
                    & (Questionnaire.version == Round.questionnaire_version),
                )
                .join(
                    Participant,
                    (Participant.round_id == Invitation.round_id)
                    & (Participant.org_code == Invitation.org_code),
                )
                .where(Invitation.token_hash == hashed)
            )
        ).one_or_none()
        if row is None:
            return None
        fields: tuple[Any, ...] = tuple(row)
        return InvitationContext(*fields)

    @property
    def direct(self) -> bool:
        """Whether the token path goes straight to asyncpg (PostgreSQL)."""
        return is_postgres(self.session)

    async def answer_context(self, hashed: str) -> AnswerContext | None:
        """PostgreSQL: the invitation's context for storing a response, in one query."""
        found = await (await driver_connection(self.session)).fetchrow(_CONTEXT_PG, hashed)
        if found is None:
            return None
        values = list(found)
        values[-1] = [tuple(item) for item in json.loads(values[-1])]
        return AnswerContext(*values)

    async def content(self, programme: str, version: int) -> list[dict[str, Any]]:
        content = await self.session.scalar(
            select(Questionnaire.content).where(
                Questionnaire.programme == programme, Questionnaire.version == version
            )
        )
        assert content is not None
        parsed: list[dict[str, Any]] = content
        return parsed

    async def record(self, item: Pending) -> bool:
        """PostgreSQL: spend, store and count in one statement in the session's transaction;
        False (and nothing written) when the invitation was spent already."""
        return bool(await write_responses(await driver_connection(self.session), [item]))

    async def insert_responses_direct(
        self, round_id: int, month: int, rows: Sequence[tuple[str, str, str, str, str]]
    ) -> None:
        """PostgreSQL: (id, organisation, answers as JSON text, external id, content hash)
        rows in one statement, inside the request's transaction."""
        columns: list[list[str]] = [[], [], [], [], []]
        for row in rows:
            for column, value in zip(columns, row, strict=True):
                column.append(value)
        await (await driver_connection(self.session)).execute(
            _INSERT_RESPONSES_PG, round_id, month, *columns
        )

    async def add_totals_direct(
        self, round_id: int, participants: dict[tuple[str, str], list[int]]
    ) -> None:
        """PostgreSQL: the organisations' counter increments in one statement, inside the
        request's transaction."""
        if participants:
            keys, counts = _columns(participants, 2)
            driver = await driver_connection(self.session)
            await driver.execute(_ADD_PARTICIPANT_TOTALS_PG, round_id, *keys, *counts)

    async def questionnaire(self, row: Round) -> Questionnaire:
        found = await self.session.get(Questionnaire, (row.programme, row.questionnaire_version))
        assert found is not None
        return found

    async def local_questions(self, round_id: int, owners: Sequence[str]) -> list[LocalQuestion]:
        """The round's local questions owned by any of `owners` (an organisation's lineage)."""
        return list(
            await self.session.scalars(
                select(LocalQuestion)
                .where(LocalQuestion.round_id == round_id, LocalQuestion.owner_code.in_(owners))
                .order_by(LocalQuestion.id)
            )
        )

    async def spend(self, hashed: str) -> bool:
        """Mark the invitation spent; False when another request spent it first."""
        result = await self.session.execute(
            update(Invitation)
            .where(Invitation.token_hash == hashed, Invitation.spent.is_(False))
            .values(spent=True)
        )
        return bool(getattr(result, "rowcount", 0))

    async def participants(self, round_id: int, codes: Sequence[str]) -> dict[str, Participant]:
        rows = await self.session.scalars(
            select(Participant).where(
                Participant.round_id == round_id, Participant.org_code.in_(list(codes))
            )
        )
        return {row.org_code: row for row in rows}

    async def existing(self, round_id: int, external_ids: Sequence[str]) -> dict[str, str | None]:
        """Content hash by external id, for the ids already imported into the round.

        PostgreSQL: the ids as one array parameter. As an `IN` list of 2,000 parameters the
        statement's generic plan scanned the whole table and compared each row with every
        id (30 s a batch once a round held 600,000 responses); `= ANY(array)` takes the
        (round_id, external_id) index."""
        if self.direct:
            found = await (await driver_connection(self.session)).fetch(
                _EXISTING_PG, round_id, list(external_ids)
            )
            return {str(row[0]): row[1] for row in found}
        rows = await self.session.execute(
            select(Response.external_id, Response.content_hash).where(
                Response.round_id == round_id, Response.external_id.in_(list(external_ids))
            )
        )
        return {str(external_id): content_hash for external_id, content_hash in rows}

    async def insert_responses(self, rows: list[dict[str, Any]]) -> None:
        await self.session.execute(insert(Response), rows)

    async def add_totals(self, participant_rows: list[dict[str, Any]]) -> None:
        await add_counts(
            self.session,
            cast(Table, ParticipantQuestionTotal.__table__),
            participant_rows,
            COUNTERS,
        )

    async def count_responses(self, round_id: int, by_org: dict[str, int]) -> None:
        """Add responses to the participants' counts, in one executemany. Sorted, so that
        concurrent writers lock participant rows in the same order."""
        table = cast(Table, Participant.__table__)
        await self.session.execute(
            update(table)
            .where(table.c.round_id == bindparam("r"), table.c.org_code == bindparam("o"))
            .values(responded=table.c.responded + bindparam("n")),
            [{"r": round_id, "o": org, "n": added} for org, added in sorted(by_org.items())],
        )
