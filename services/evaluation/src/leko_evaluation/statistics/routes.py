"""HTTP endpoint of the national overview; the rules live in the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from leko_evaluation.auth import ANALYST_ROLES
from leko_evaluation.openapi import problems
from leko_evaluation.scale import Level
from leko_evaluation.statistics import service
from leko_evaluation.statistics.schemas import NationalOverview
from leko_kit.auth import OptionalPrincipal
from leko_kit.db import ReadSession
from leko_kit.problems import Forbidden, Unauthorized

router = APIRouter(prefix="/v1/statistics", tags=["statistics"])


@router.get(
    "/national",
    summary="National overview on the core questions",
    description="The core questions across all rounds, by year, sector (`state`, `region`, "
    "`municipality`) and leader level, over the respondents other than the leaders "
    "themselves: per cell the leaders and respondents, and per question n, mean (answers "
    "1–5) and distribution. Never names an organisation or a leader. Public, without "
    "credentials: the national totals per year (`sector` and `level` null). `analyst` and "
    "`national_admin`: the breakdown, filtered by `sector` and `level` if given (without "
    "that role the filters are 401 or 403). A cell with fewer than 5 respondents or 3 "
    "leaders is suppressed, and complementary suppression over the year's whole table keeps "
    "it from being worked out from the totals.",
    responses=problems(401, 403, 422),
)
async def get_national_statistics(
    session: ReadSession,
    principal: OptionalPrincipal,
    year: Annotated[int | None, Query(ge=2000, le=2100, examples=[2026])] = None,
    sector: Annotated[
        str | None, Query(pattern="^(state|region|municipality)$", examples=["municipality"])
    ] = None,
    level: Annotated[Level | None, Query(examples=["first_line"])] = None,
) -> NationalOverview:
    breakdown = principal is not None and principal.has_any_role(ANALYST_ROLES)
    if (sector is not None or level is not None) and not breakdown:
        if principal is None:
            raise Unauthorized(
                "The breakdown by sector and level is for analysts: call with credentials, or "
                "leave out `sector` and `level` for the public national totals."
            )
        raise Forbidden("The breakdown by sector and level needs the role analyst.")
    return await service.overview(
        session,
        year=year,
        sector=sector,
        level=level.value if level is not None else None,
        breakdown=breakdown,
    )
