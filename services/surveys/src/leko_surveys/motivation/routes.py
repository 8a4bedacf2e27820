"""HTTP endpoint of the motivation survey's results by sector."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from leko_kit.auth import OptionalPrincipal
from leko_kit.db import ReadSession
from leko_kit.dependencies import Now
from leko_surveys.motivation import service
from leko_surveys.motivation.schemas import MotivationResults
from leko_surveys.openapi import problems
from leko_surveys.results.routes import FIGURES, Cache

router = APIRouter(prefix="/v1/motivation", tags=["motivation"])


@router.get(
    "/{year}/sectors",
    summary="The motivation survey by sector",
    description="The employee motivation survey of the year (the `employee_motivation` "
    "round): the state, the regions and the municipalities, each compared with the rest of "
    "the country, and the nation." + FIGURES + " Public once the round is published; before "
    "that only national roles (404 for others). Opens when the round closes (409 before).",
    responses=problems(401, 404, 409, 422),
)
async def motivation_sectors(
    year: Annotated[int, Path(ge=2000, le=2100, examples=[2026])],
    principal: OptionalPrincipal,
    session: ReadSession,
    cache: Cache,
    now: Now,
) -> MotivationResults:
    return await service.by_sector(session, cache=cache, year=year, principal=principal, now=now)
