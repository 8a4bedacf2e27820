"""HTTP endpoints for staffing; the rules live in the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from leko_kit.db import ReadSession, Session
from leko_kit.etag import check_if_match, etag_for
from leko_sickleave.auth import Reader, Reporter
from leko_sickleave.openapi import problems
from leko_sickleave.schemas import BatchResult
from leko_sickleave.staffing import service
from leko_sickleave.staffing.schemas import StaffingBatch, StaffingRead, StaffingWrite

router = APIRouter(prefix="/v1/staffing", tags=["staffing"])

OrgCode = Annotated[
    str, Path(max_length=64, description="The organisation's code.", examples=["k101"])
]
Month = Annotated[str, Path(description="The month, `yyyy-mm`.", examples=["2025-03"])]
_ETAG_HEADER = {
    "ETag": {
        "description": "The version, for `If-Match` on PUT.",
        "schema": {"type": "string", "examples": ['"v1"']},
    }
}


@router.get(
    "/{org_code}/{month}",
    summary="Get one month's staffing",
    description="The staffing reported for the organisation's own employees in the month. "
    "`national_admin` and `analyst` read any organisation; `org_admin`, `reporter` and "
    "`leader` those in their scope (others are 404).",
    responses={200: {"headers": _ETAG_HEADER}, **problems(401, 403, 404, 422)},
)
async def get_staffing(
    org_code: OrgCode, month: Month, principal: Reader, session: ReadSession, response: Response
) -> StaffingRead:
    row = await service.get(
        session, org_code=org_code, month=service.month_of(month), principal=principal
    )
    response.headers["ETag"] = etag_for(row.version)
    return service.as_read(row)


@router.put(
    "/{org_code}/{month}",
    summary="Report one month's staffing (bemanding)",
    description="For `reporter`s, for organisations in their scope: headcount, full-time "
    "equivalents and agreed hours of the organisation's own employees in the month (not "
    "those of the organisations below it; statistics add the subtree up). These are the "
    "denominators of the absence KPIs. 201 when new, 200 when it replaces the stored "
    "month; send the `ETag` you read as `If-Match` to avoid overwriting someone else's "
    "report (412 if stale). `fte` must be positive, `employees` at least 1 and "
    "`agreed_hours` positive; an organisation unknown to the registry is 422.",
    responses={
        200: {"headers": _ETAG_HEADER},
        201: {"headers": {"Location": {"description": "This URL."}, **_ETAG_HEADER}},
        **problems(401, 403, 412, 422),
    },
)
async def put_staffing(
    org_code: OrgCode,
    month: Month,
    body: StaffingWrite,
    principal: Reporter,
    session: Session,
    request: Request,
    response: Response,
) -> StaffingRead:
    row, created = await service.put(
        session,
        org_code=org_code,
        month=service.month_of(month),
        data=body,
        principal=principal,
        precondition=lambda current: check_if_match(request, current_version=current.version),
    )
    if created:
        response.status_code = 201
        response.headers["Location"] = f"/v1/staffing/{org_code}/{month}"
    response.headers["ETag"] = etag_for(row.version)
    return service.as_read(row)


@router.post(
    "/batch",
    summary="Report staffing for many organisations and months",
    description="For `reporter`s: up to 10,000 records `{org_code, month, employees, fte, "
    "agreed_hours}` at once, each organisation in your scope and each (organisation, "
    "month) once. Atomic: if any record is bad nothing is stored and the 422 names each "
    '(`loc: ["body", "records", index, field]`); a record outside your scope makes '
    "the request 403. The answer counts months `created`, `updated` and `unchanged`. "
    "Send `Idempotency-Key` to retry safely.",
    responses=problems(401, 403, 422),
)
async def post_staffing_batch(
    body: StaffingBatch, principal: Reporter, session: Session
) -> BatchResult:
    return await service.put_batch(session, records=body.records, principal=principal)
