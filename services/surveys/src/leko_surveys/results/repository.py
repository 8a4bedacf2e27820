"""Every query of the results; they read the write-time aggregates, never the responses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_surveys.models import (
    NATIONAL_AREA,
    Participant,
    ParticipantQuestionTotal,
    municipality_area,
    sector_area,
)
from leko_surveys.programmes.schemas import LOCAL_PREFIX
from leko_surveys.stats import Counts

_PARTICIPANT_COUNTS = (
    ParticipantQuestionTotal.n1,
    ParticipantQuestionTotal.n2,
    ParticipantQuestionTotal.n3,
    ParticipantQuestionTotal.n4,
    ParticipantQuestionTotal.n5,
    ParticipantQuestionTotal.dont_know,
)
_MUNICIPALITY, _SECTOR = municipality_area(""), sector_area("")


class ResultRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def participants(self, round_id: int) -> list[tuple[Any, ...]]:
        """The round's participants as plain rows (thousands: no ORM objects)."""
        rows = await self.session.execute(
            select(
                Participant.org_code,
                Participant.lineage,
                Participant.municipality,
                Participant.sector,
                Participant.institution_type,
                Participant.invited,
                Participant.responded,
            ).where(Participant.round_id == round_id)
        )
        return [tuple(row) for row in rows]

    async def answered(self, round_id: int) -> list[tuple[Any, ...]]:
        """(organisation, question, answers on the scale) of every question of the round."""
        table = ParticipantQuestionTotal
        rows = await self.session.execute(
            select(
                table.org_code,
                table.question_id,
                table.n1 + table.n2 + table.n3 + table.n4 + table.n5,
            ).where(table.round_id == round_id)
        )
        return [tuple(row) for row in rows]

    async def participant_totals(
        self, round_id: int, org_codes: Sequence[str], question_ids: Sequence[str] | None = None
    ) -> dict[tuple[str, str], Counts]:
        """(organisation, question) → counts."""
        if not org_codes:
            return {}
        table = ParticipantQuestionTotal
        query = select(table.org_code, table.question_id, *_PARTICIPANT_COUNTS).where(
            table.round_id == round_id, table.org_code.in_(list(org_codes))
        )
        if question_ids is not None:
            query = query.where(table.question_id.in_(list(question_ids)))
        rows = await self.session.execute(query)
        return {(org, qid): Counts(*values) for org, qid, *values in rows}

    async def area_totals(self, round_id: int, area: str) -> dict[str, Counts]:
        """Question → counts of an area (`national`, `municipality:<code>`, `sector:<name>`):
        its participants' totals of the national questions added up."""
        table, member = ParticipantQuestionTotal, Participant
        query = (
            select(table.question_id, *(func.sum(column) for column in _PARTICIPANT_COUNTS))
            .join(
                member,
                (member.round_id == table.round_id) & (member.org_code == table.org_code),
            )
            .where(table.round_id == round_id, ~table.question_id.startswith(LOCAL_PREFIX))
            .group_by(table.question_id)
        )
        if area.startswith(_MUNICIPALITY):
            query = query.where(member.municipality == area.removeprefix(_MUNICIPALITY))
        elif area.startswith(_SECTOR):
            query = query.where(member.sector == area.removeprefix(_SECTOR))
        else:
            assert area == NATIONAL_AREA, area
        rows = await self.session.execute(query)
        return {qid: Counts(*(int(v) for v in values)) for qid, *values in rows}
