"""HTTP endpoint of the motivation survey's results by sector."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from leko_kit.auth import OptionalPrincipal
from leko_kit.db import ReadSession
from leko_kit.dependencies import Now
from leko_surveys.motivation import service
from leko_surveys.motivation.schemas import MotivationResults
from leko_surveys.openapi import problems
from leko_surveys.results.routes import FIGURES, Cache, private_until_published

router = APIRouter(prefix="/v1/motivation", tags=["motivation"])


@router.get(
    "/{year}/sectors",
    summary="The motivation survey by sector",
    description="The employee motivation survey of the year (the `employee_motivation` "
    "round): the state, the regions and the municipalities, each compared with the rest of "
    "the country, and the nation." + FIGURES + " Public once the round is published; before "
    "that only national roles (404 for others), with `Cache-Control: private, no-store`. "
    "Opens a minute after the round closes, once its last responses are counted (409 "
    "before, with the time).",
    responses=problems(401, 404, 409, 422),
)
async def motivation_sectors(
    year: Annotated[int, Path(ge=2000, le=2100, examples=[2026])],
    principal: OptionalPrincipal,
    session: ReadSession,
    cache: Cache,
    response: Response,
    now: Now,
) -> MotivationResults:
    body = await service.by_sector(session, cache=cache, year=year, principal=principal, now=now)
    private_until_published(response, published=body.published)
    return body
