"""Group commit of token responses on PostgreSQL (see `leko_kit.group_write`).

Storing a response is one statement (spend the invitation, store the answers, add them to the
organisation's and its areas' totals and to the participant's count), and most of its cost is
the statement and its commit, not the rows it writes, so responses that arrive together are
written together: their area totals added up first (every response of a write counts in the
same shard of each area, so a write touches each area's row of a question once).

Each response is spent on its own inside the statement: a token that was spent already (or
twice in one write) stores nothing and is reported back as spent. The participants' counts
are updated by a join, so two processes' writes may deadlock; the group writer retries.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from leko_kit.db import Database
from leko_kit.group_write import GroupWriter, group_writer
from leko_surveys.models import AREA_SHARDS, NATIONAL_AREA, NATIONAL_SHARDS

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
    SELECT s.idx, s.round_id, s.org_code, a.question_id, a.slot, a.national
    FROM unnest($8::int[], $9::varchar[], $10::smallint[], $11::boolean[])
        AS a(idx, question_id, slot, national)
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
areas AS (
    INSERT INTO area_question_totals AS t
        (round_id, area, question_id, shard, n1, n2, n3, n4, n5, dont_know)
    SELECT a.round_id, z.area, a.question_id, z.shard,
           count(*) FILTER (WHERE a.slot = 1), count(*) FILTER (WHERE a.slot = 2),
           count(*) FILTER (WHERE a.slot = 3), count(*) FILTER (WHERE a.slot = 4),
           count(*) FILTER (WHERE a.slot = 5), count(*) FILTER (WHERE a.slot IS NULL)
    FROM answered a
    JOIN unnest($12::int[], $13::varchar[], $14::smallint[]) AS z(idx, area, shard)
        ON z.idx = a.idx
    WHERE a.national
    GROUP BY a.round_id, z.area, a.question_id, z.shard
    ORDER BY a.round_id, z.area, a.question_id, z.shard
    ON CONFLICT (round_id, area, question_id, shard) DO UPDATE SET
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
    answers: list[tuple[str, int | None, bool]]  # question id, counter slot, national?
    areas: list[str]  # the areas it counts in (the write picks the shards)


async def write_responses(driver: Any, items: list[Pending]) -> set[int]:
    """Store a batch of responses; the indexes of those whose token was still unspent."""
    rows = await driver.fetch(_WRITE_PG, *_arguments(items))
    return {int(row[0]) for row in rows}


def _arguments(items: list[Pending]) -> list[Any]:
    """The statement's arrays; every response of the write in the same shard of an area."""
    national_shard = random.randrange(NATIONAL_SHARDS)  # noqa: S311 - spreads writes
    area_shard = random.randrange(AREA_SHARDS)  # noqa: S311
    columns: list[list[Any]] = [[] for _ in range(14)]
    (idx, hashes, ids, rounds, orgs, months, texts) = columns[:7]
    (answer_idx, question_ids, slots, national) = columns[7:11]
    (area_idx, area_names, shards) = columns[11:]
    for index, item in enumerate(items):
        idx.append(index)
        hashes.append(item.token_hash)
        ids.append(item.response_id)
        rounds.append(item.round_id)
        orgs.append(item.org_code)
        months.append(item.month)
        texts.append(item.answers_json)
        for question_id, slot, is_national in item.answers:
            answer_idx.append(index)
            question_ids.append(question_id)
            slots.append(slot)
            national.append(is_national)
        for area in item.areas:
            area_idx.append(index)
            area_names.append(area)
            shards.append(national_shard if area == NATIONAL_AREA else area_shard)
    return columns


def batcher(database: Database) -> GroupWriter[Pending]:
    """The process's group writer of token responses to `database`."""
    return group_writer(database, write_responses)
