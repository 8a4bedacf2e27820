"""The motivation survey: collected through the ordinary round mechanism with the
`employee_motivation` programme, whose results are aggregated by sector (state, regions,
municipalities) as well as nationally; the same suppression and publication rules apply."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.auth import Principal
from leko_kit.problems import NotFound
from leko_surveys.motivation.repository import motivation_round
from leko_surveys.motivation.schemas import MotivationResults
from leko_surveys.results import service as results
from leko_surveys.results.plan import ResultsCache


async def by_sector(
    session: AsyncSession,
    *,
    cache: ResultsCache,
    year: int,
    principal: Principal | None,
    now: datetime,
) -> MotivationResults:
    row = await motivation_round(session, year)
    if row is None:
        raise NotFound(f"No motivation survey round for {year}; see GET /v1/rounds.")
    sectors, whole = await results.sectors(
        session, cache=cache, row=row, principal=principal, now=now
    )
    return MotivationResults(
        year=year,
        round_id=row.id,
        published=row.published_at is not None,
        sectors=sectors,
        national=whole,
    )
