"""The query of the motivation survey: its round of a year; no rules, no commits."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_surveys.models import Round

MOTIVATION = "employee_motivation"


async def motivation_round(session: AsyncSession, year: int) -> Round | None:
    return await session.scalar(
        select(Round).where(Round.programme == MOTIVATION, Round.year == year)
    )
