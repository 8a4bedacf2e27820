"""HTTP endpoint of the leader benchmark; the rules live in the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from leko_kit.db import ReadSession
from leko_kit.dependencies import Replica
from leko_sickleave.absences.schemas import Cause
from leko_sickleave.auth import Reader
from leko_sickleave.benchmarks import service
from leko_sickleave.benchmarks.schemas import Benchmark, PeerGroup
from leko_sickleave.danish_calendar import FIRST_YEAR, LAST_YEAR
from leko_sickleave.kpis import Kpi
from leko_sickleave.openapi import problems

router = APIRouter(prefix="/v1/benchmarks", tags=["benchmarks"])


@router.get(
    "",
    summary="Compare an organisation's absence with its peers (ledelsesinformation)",
    description="The organisation's KPI for the year (its whole subtree, as in "
    "`GET /v1/statistics` with `granularity=year`) against its peers: the peer median, "
    "quartiles and the organisation's percentile rank, this year and last year, and the "
    "trend. Peers: `institution_type` — every organisation of the same institution type "
    "(a daycare among daycares); `sector` — the same kind of organisation in the same sector "
    "(a municipality among municipalities); `national` — the same kind in every sector.\n\n"
    "Anonymity: peers with fewer than 5 employees (or no staffing) are left out, and the peer "
    "figures are withheld (`peer_suppressed`) unless at least 5 peers remain; the "
    "organisation's own KPI is withheld below 5 employees. Readers: `national_admin` and "
    "`analyst` anywhere; `org_admin`, `reporter` and `leader` within their scope (another "
    "organisation is 404). An organisation without an institution type asked for "
    "`peers=institution_type` is 422.",
    responses=problems(401, 403, 404, 422),
)
async def get_benchmark(
    principal: Reader,
    session: ReadSession,
    replica: Replica,
    org_code: Annotated[
        str, Query(max_length=64, description="The organisation.", examples=["k101"])
    ],
    year: Annotated[int, Query(ge=FIRST_YEAR + 1, le=LAST_YEAR, examples=[2025])],
    peers: Annotated[PeerGroup, Query(description="Whom to compare with.")] = PeerGroup.NATIONAL,
    kpi: Annotated[Kpi, Query(description="The KPI to compare.")] = Kpi.ABSENCE_DAYS_PER_FTE,
    cause: Annotated[Cause, Query(description="The absence cause.")] = Cause.OWN_SICKNESS,
) -> Benchmark:
    return await service.benchmark(
        session,
        hierarchy=replica,
        org_code=org_code,
        year=year,
        peers=peers,
        kpi=kpi,
        cause=cause,
        principal=principal,
    )
