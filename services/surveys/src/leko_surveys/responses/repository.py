"""Every query of the response paths; no rules, no commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.aggregates import add_counts
from leko_surveys.models import (
    COUNTERS,
    AreaQuestionTotal,
    Invitation,
    LocalQuestion,
    Participant,
    ParticipantQuestionTotal,
    Programme,
    Questionnaire,
    Response,
    Round,
)


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
        """Content hash by external id, for the ids already imported into the round."""
        rows = await self.session.execute(
            select(Response.external_id, Response.content_hash).where(
                Response.round_id == round_id, Response.external_id.in_(list(external_ids))
            )
        )
        return {str(external_id): content_hash for external_id, content_hash in rows}

    async def insert_responses(self, rows: list[dict[str, Any]]) -> None:
        await self.session.execute(insert(Response), rows)

    async def add_totals(
        self, participant_rows: list[dict[str, Any]], area_rows: list[dict[str, Any]]
    ) -> None:
        await add_counts(
            self.session,
            cast(Table, ParticipantQuestionTotal.__table__),
            participant_rows,
            COUNTERS,
        )
        await add_counts(
            self.session, cast(Table, AreaQuestionTotal.__table__), area_rows, COUNTERS
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
