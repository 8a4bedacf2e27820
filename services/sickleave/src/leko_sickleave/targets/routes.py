"""HTTP endpoints of absence targets; the rules live in the service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from leko_kit.auth import Principal
from leko_kit.db import ReadSession, Session
from leko_kit.dependencies import Replica
from leko_kit.etag import check_if_match, etag_for
from leko_sickleave.auth import NationalAdmin, Reader, TargetSetter
from leko_sickleave.danish_calendar import FIRST_YEAR, LAST_YEAR
from leko_sickleave.models import NATIONAL_NODE
from leko_sickleave.openapi import problems
from leko_sickleave.targets import service
from leko_sickleave.targets.schemas import TargetRead, TargetTracking, TargetWrite

router = APIRouter(prefix="/v1/targets", tags=["targets"])

OrgCode = Annotated[
    str, Path(max_length=64, description="The organisation's code.", examples=["k101"])
]
Year = Annotated[int, Path(ge=FIRST_YEAR, le=LAST_YEAR, examples=[2026])]
_ETAG_HEADER = {
    "ETag": {
        "description": "The version, for `If-Match` on PUT.",
        "schema": {"type": "string", "examples": ['"v1"']},
    }
}
_PUT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"headers": _ETAG_HEADER},
    201: {"headers": {"Location": {"description": "The tracking URL."}, **_ETAG_HEADER}},
}
_TRACKING = (
    " Tracking uses own sickness; for a year in progress the actual so far is projected to "
    "the whole year by working days, and the year is `on_track` when the projection is at or "
    "below the target."
)


async def _put(
    org_code: str,
    year: int,
    body: TargetWrite,
    principal: Principal,
    session: Session,
    replica: Replica,
    request: Request,
    response: Response,
    location: str,
) -> TargetRead:
    row, created = await service.put(
        session,
        hierarchy=replica,
        org_code=org_code,
        year=year,
        data=body,
        principal=principal,
        precondition=lambda current: check_if_match(request, current_version=current.version),
    )
    if created:
        response.status_code = 201
        response.headers["Location"] = location
    response.headers["ETag"] = etag_for(row.version)
    return service.as_read(row)


@router.get(
    "/national",
    summary="The national goal: sick leave falling year on year (public)",
    description="Public, no credentials. Per year from `from` to `to`: the country's absence "
    "days per FTE against the national target — the one `national_admin` set for the year, "
    "or else the year before's actual, as the parties agreed that sick leave is to fall year "
    "on year." + _TRACKING,
    responses=problems(422),
)
async def get_national_targets(
    session: ReadSession,
    from_: Annotated[int, Query(alias="from", ge=FIRST_YEAR, le=LAST_YEAR, examples=[2022])],
    to: Annotated[int, Query(ge=FIRST_YEAR, le=LAST_YEAR, examples=[2025])],
) -> TargetTracking:
    return await service.national_tracking(session, first_year=from_, last_year=to)


@router.put(
    "/national/{year}",
    summary="Set the national target for a year",
    description="For `national_admin`: the country's target in absence days per FTE (two "
    "decimals at most). 201 when new, 200 when replaced; `If-Match` with the ETag guards "
    "against overwriting another's change (412 if stale).",
    responses={**_PUT_RESPONSES, **problems(401, 403, 412, 422)},
)
async def put_national_target(
    year: Year,
    body: TargetWrite,
    principal: NationalAdmin,
    session: Session,
    replica: Replica,
    request: Request,
    response: Response,
) -> TargetRead:
    return await _put(
        NATIONAL_NODE,
        year,
        body,
        principal,
        session,
        replica,
        request,
        response,
        f"/v1/targets/national?from={year}&to={year}",
    )


@router.put(
    "/{org_code}/{year}",
    summary="Set an organisation's target for a year (måltal)",
    description="For `org_admin` within its scope (and `national_admin`): the target in "
    "absence days per FTE for the organisation and everything below it, two decimals at "
    "most, above 0 and at most 100. 201 when new, 200 when replaced; `If-Match` with the "
    "ETag guards against overwriting another's change (412 if stale). An organisation unknown "
    "to the registry is 422; one outside your scope is 403 and nothing is stored.",
    responses={**_PUT_RESPONSES, **problems(401, 403, 412, 422)},
)
async def put_target(
    org_code: OrgCode,
    year: Year,
    body: TargetWrite,
    principal: TargetSetter,
    session: Session,
    replica: Replica,
    request: Request,
    response: Response,
) -> TargetRead:
    return await _put(
        org_code,
        year,
        body,
        principal,
        session,
        replica,
        request,
        response,
        f"/v1/targets/{org_code}",
    )


@router.get(
    "/{org_code}",
    summary="An organisation's targets, actual against target",
    description="Every year with a target set: the target, the actual and projected absence "
    "days per FTE, last year's figure and the status (`on_track`, `off_track`, `no_data`, "
    "`withheld` below 5 employees)." + _TRACKING + " Readers: `national_admin` and `analyst` "
    "anywhere; `org_admin`, `reporter` and `leader` within their scope (others are 404).",
    responses=problems(401, 403, 404),
)
async def get_targets(
    org_code: OrgCode, principal: Reader, session: ReadSession, replica: Replica
) -> TargetTracking:
    return await service.tracking(
        session, hierarchy=replica, org_code=org_code, principal=principal
    )
