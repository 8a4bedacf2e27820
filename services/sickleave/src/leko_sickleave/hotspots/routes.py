"""HTTP endpoint of the hotspots; the rules live in the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from leko_kit.db import ReadSession
from leko_sickleave.absences.schemas import Cause
from leko_sickleave.auth import Analyst
from leko_sickleave.danish_calendar import FIRST_YEAR, LAST_YEAR
from leko_sickleave.hotspots import service
from leko_sickleave.hotspots.schemas import Hotspots
from leko_sickleave.kpis import ANONYMITY_THRESHOLD
from leko_sickleave.openapi import problems

router = APIRouter(prefix="/v1/hotspots", tags=["hotspots"])


@router.get(
    "",
    summary="The workplaces with the highest absence (for the national effort)",
    description="For `analyst` and `national_admin`: the workplaces (organisations of kind "
    "`institution`) with the most absence days per FTE in the year, highest first, optionally "
    "of one institution type, each with the median of its institution type beside it. Only "
    "workplaces with at least `min_employees` employees (mean headcount; never fewer than 5) "
    "and staffing reported are ranked. KPIs as in `GET /v1/statistics`.",
    responses=problems(401, 403, 422),
)
async def get_hotspots(
    _principal: Analyst,
    session: ReadSession,
    year: Annotated[int, Query(ge=FIRST_YEAR, le=LAST_YEAR, examples=[2025])],
    institution_type: Annotated[
        str | None,
        Query(max_length=64, description="Only this institution type.", examples=["daycare"]),
    ] = None,
    min_employees: Annotated[
        int, Query(ge=ANONYMITY_THRESHOLD, le=100_000, description="Smallest workplace ranked.")
    ] = 20,
    limit: Annotated[int, Query(ge=1, le=200, description="How many to list.")] = 20,
    cause: Annotated[Cause, Query(description="The absence cause.")] = Cause.OWN_SICKNESS,
) -> Hotspots:
    return await service.hotspots(
        session,
        year=year,
        institution_type=institution_type,
        min_employees=min_employees,
        limit=limit,
        cause=cause,
    )
