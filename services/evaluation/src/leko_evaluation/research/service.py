"""The research export: anonymised microdata, one row per answer, streamed as CSV.

Each row carries the respondent group, the leader's sector and level, the year and the month
of the answer — no organisation, leader, token or finer time stamp — and a respondent number
that groups the answers of one response within this export only (a keyed hash with a key
drawn per export, so two exports cannot be linked). Only rounds that have closed are
exported, and only the national questions (local questions can name a workplace).
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import AsyncIterator
from datetime import datetime

from leko_evaluation.models import CORE_THEME
from leko_evaluation.questionnaire import parse_content
from leko_evaluation.research.repository import ResearchRepository
from leko_evaluation.research.schemas import Column, DataDictionary, DictionaryQuestion
from leko_kit.db import Database

PAGE = 2000
COLUMNS = [
    Column(
        name="respondent",
        type="string (16 hex digits)",
        description="Groups the answers of one response within this export; a new number in "
        "every export.",
    ),
    Column(name="year", type="integer", description="The evaluation round's year."),
    Column(name="month", type="yyyy-mm", description="The month the response was given."),
    Column(
        name="sector",
        type="code",
        description="The evaluated leader's sector.",
        values=["state", "region", "municipality"],
    ),
    Column(
        name="leader_level",
        type="code",
        description="The evaluated leader's level.",
        values=["top", "middle", "first_line"],
    ),
    Column(
        name="respondent_group",
        type="code",
        description="Who answered: the leader (self), the superior, an employee, a peer "
        "(sideordnet leder) or another.",
        values=["self", "superior", "employee", "peer", "other"],
    ),
    Column(name="question_id", type="string", description="See `questions`."),
    Column(name="theme", type="code", description="`core` or the theme's code."),
    Column(
        name="value",
        type="integer or empty",
        description="1 helt uenig … 5 helt enig; empty for “ved ikke / ikke relevant”.",
        values=["1", "2", "3", "4", "5", ""],
    ),
]
HEADER = [column.name for column in COLUMNS]


async def _themes(repository: ResearchRepository) -> dict[str, tuple[str, str]]:
    """Question id → (theme, Danish text), the newest published wording."""
    found: dict[str, tuple[str, str]] = {}
    for row in await repository.published():
        content = parse_content(row.version, row.published_at, row.content)
        found.update({q.id: (CORE_THEME, q.text_da) for q in content.core})
        for theme in content.themes:
            found.update({q.id: (theme.code, q.text_da) for q in theme.questions})
    return found


async def dictionary(database: Database) -> DataDictionary:
    async with database.read_session() as session:
        themes = await _themes(ResearchRepository(session))
    return DataDictionary(
        format="text/csv; charset=utf-8, comma-separated, header row",
        unit="one row per answer",
        columns=COLUMNS,
        questions=[
            DictionaryQuestion(id=qid, theme=theme, text_da=text)
            for qid, (theme, text) in sorted(themes.items())
        ],
        notes=[
            "Kun afsluttede evalueringsrunder indgår.",
            "Lokale spørgsmål indgår ikke: de kan pege på en bestemt arbejdsplads.",
            "Ingen organisation, leder, invitation eller tidspunkt finere end måneden.",
        ],
    )


def _line(values: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


async def export(database: Database, *, year: int, now: datetime) -> AsyncIterator[bytes]:
    """The year's CSV, page by page on short read sessions."""
    key = secrets.token_bytes(16)
    yield _line(HEADER).encode()
    async with database.read_session() as session:
        themes = await _themes(ResearchRepository(session))
    after = ""
    while True:
        async with database.read_session() as session:
            repository = ResearchRepository(session)
            responses = await repository.responses(
                year=year, closed_by=now, after=after, limit=PAGE
            )
            if not responses:
                return
            answers = await repository.answers([row[0] for row in responses])
        meta = {
            rid: (month, group, sector, level) for rid, month, group, sector, level in responses
        }
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for rid, qid, value in answers:
            month, group, sector, level = meta[rid]
            respondent = hashlib.blake2b(rid.encode(), key=key, digest_size=8).hexdigest()
            writer.writerow(
                [
                    respondent,
                    year,
                    f"{month // 100:04d}-{month % 100:02d}",
                    sector,
                    level,
                    group,
                    qid,
                    themes.get(qid, ("", ""))[0],
                    "" if value is None else value,
                ]
            )
        yield buffer.getvalue().encode()
        after = responses[-1][0]
