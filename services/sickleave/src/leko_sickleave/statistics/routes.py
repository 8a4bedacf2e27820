"""HTTP endpoints for the absence statistics; the definitions live in the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from leko_kit.db import ReadSession
from leko_kit.dependencies import Replica
from leko_sickleave.absences.schemas import Cause
from leko_sickleave.auth import Reader
from leko_sickleave.danish_calendar import FIRST_YEAR, LAST_YEAR
from leko_sickleave.openapi import problems
from leko_sickleave.periods import Granularity
from leko_sickleave.statistics import service
from leko_sickleave.statistics.schemas import Statistics

router = APIRouter(prefix="/v1/statistics", tags=["statistics"])

DEFINITIONS = """

Definitions (the national statistics'): an absence day (fraværsdag) is a working day —
Monday–Friday, not a Danish public holiday (Easter-based days computed for every year; Store
bededag only up to 2023) — inside a spell, weighted by `fraction`. Spells count in the period
they start; their length is in calendar days (1–3, 4–14, 15–28, 29+). An open spell (no
`end_date`) lasts to the end of the period, its days counted at most to 31 December of the year
after it started. The KPIs cover the months of the period with staffing reported
(`staffed_months`); `employees` and `fte` of a quarter or year are the means over them.
`absence_days_per_fte` (fraværsdagsværk pr. fuldtidsansat) = absence days / FTE;
`absence_percentage` (fraværsprocent) = absence days × 7.4 hours / agreed hours × 100;
`spells_per_fte` = spells / FTE; `top5_share` = the absence days of the ceil(5% × employees)
most absent employees (an employee is an `employee_ref` within one organisation) over all
absence days. A period of a subtree with fewer than 5 employees, or without staffing, is
suppressed (`suppressed: true`, KPIs null), and so is the smallest organisation beside a single
small one under the same parent, which the parent's figures minus its own would otherwise
reveal (complementary suppression)."""


@router.get(
    "",
    summary="Absence KPIs of an organisation over time",
    description="The KPIs of the organisation and everything below it (a municipality with "
    "its institutions), per month, quarter or year from `from` to `to` (a partly covered "
    "quarter or year is shown whole), for one cause (default `own_sickness`). Leave out "
    "`org_code` for the whole country. `national_admin` and `analyst` read every "
    "organisation; `org_admin`, `reporter` and `leader` those in their scope; an "
    "organisation outside it, or unknown, is 404." + DEFINITIONS,
    responses=problems(401, 403, 404, 422),
)
async def get_statistics(
    principal: Reader,
    session: ReadSession,
    replica: Replica,
    from_: Annotated[
        str, Query(alias="from", description="First month, `yyyy-mm`.", examples=["2025-01"])
    ],
    to: Annotated[str, Query(description="Last month, `yyyy-mm`.", examples=["2025-12"])],
    org_code: Annotated[
        str | None, Query(max_length=64, description="The organisation; none: the country.")
    ] = None,
    granularity: Annotated[
        Granularity, Query(description="`month`, `quarter` or `year`.")
    ] = Granularity.MONTH,
    cause: Annotated[Cause, Query(description="The absence cause.")] = Cause.OWN_SICKNESS,
) -> Statistics:
    first, last = service.month_range(from_, to)
    return await service.statistics(
        session,
        hierarchy=replica,
        org_code=org_code,
        first=first,
        last=last,
        granularity=granularity,
        cause=cause,
        principal=principal,
    )


@router.get(
    "/national",
    summary="National absence KPIs of a year (public)",
    description="Public, no credentials: the whole country's KPIs for one year and cause "
    "(default `own_sickness`), e.g. for the national goal of sick leave falling year on "
    "year." + DEFINITIONS,
    responses=problems(422),
)
async def get_national_statistics(
    session: ReadSession,
    year: Annotated[int, Query(ge=FIRST_YEAR, le=LAST_YEAR, examples=[2025])],
    cause: Annotated[Cause, Query(description="The absence cause.")] = Cause.OWN_SICKNESS,
) -> Statistics:
    return await service.series(
        session,
        node="*",
        first=year * 100 + 1,
        last=year * 100 + 12,
        granularity=Granularity.YEAR,
        cause=cause,
    )
