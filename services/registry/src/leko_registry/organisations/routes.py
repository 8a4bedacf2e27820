"""HTTP endpoints for organisations and their change feed; the rules live in the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from leko_kit.db import ReadSession, Session
from leko_kit.etag import check_if_match, etag_for
from leko_kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, Pagination
from leko_registry.models import Organisation
from leko_registry.openapi import problems
from leko_registry.organisations import service
from leko_registry.organisations.auth import OrganisationWriter
from leko_registry.organisations.repository import OrganisationFilters
from leko_registry.organisations.schemas import (
    ChangeFeed,
    InstitutionType,
    Kind,
    MunicipalityCode,
    OrganisationCreate,
    OrganisationRead,
    OrganisationUpdate,
    Sector,
)

router = APIRouter(prefix="/v1/organisations", tags=["organisations"])

_ETAG_HEADER = {
    "ETag": {
        "description": "The version, for `If-Match` on PATCH.",
        "schema": {"type": "string", "examples": ['"v1"']},
    }
}
Code = Annotated[str, Path(description="The organisation's code, e.g. `k101`.", examples=["k101"])]


def organisation_filters(
    sector: Annotated[Sector | None, Query(description="Only this sector.")] = None,
    kind: Annotated[Kind | None, Query(description="Only this kind.")] = None,
    parent: Annotated[
        str | None, Query(max_length=64, description="Only direct children of this code.")
    ] = None,
    institution_type: Annotated[
        InstitutionType | None, Query(description="Only institutions of this type.")
    ] = None,
    municipality_code: Annotated[
        MunicipalityCode | None,
        Query(description="Only organisations in this municipality (kommunekode, e.g. `751`)."),
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Name contains this text, ignoring case (`århus`, `KØBENHAVN`).",
        ),
    ] = None,
) -> OrganisationFilters:
    return OrganisationFilters(
        sector=sector,
        kind=kind,
        parent=parent,
        institution_type=institution_type,
        municipality_code=municipality_code,
        q=q,
    )


Filters = Annotated[OrganisationFilters, Depends(organisation_filters)]


def _versioned(response: Response, organisation: Organisation) -> OrganisationRead:
    response.headers["ETag"] = etag_for(organisation.version)
    return service.as_read(organisation)


@router.get(
    "",
    summary="List and search organisations",
    description="Public. The state (staten), the 5 regions, the 98 municipalities (kommuner) "
    "and their institutions, in code order, filtered by any combination of the query "
    "parameters. Pages with `limit` and `cursor` (pass the previous page's `next_cursor`).",
    responses=problems(422),
)
async def list_organisations(
    session: ReadSession, page: Pagination, filters: Filters
) -> Page[OrganisationRead]:
    items, next_cursor = await service.list_organisations(session, filters=filters, page=page)
    return Page(items=items, next_cursor=next_cursor)


@router.get(
    "/changes",
    summary="Follow organisation changes",
    description="Public. The ordered change feed other services replicate organisations "
    "from: every create and update, oldest first, each with the organisation as it became. "
    "Start without `after`, then pass the `next_cursor` you got; when nothing is new you "
    "get your own cursor back, so keep polling with it. Replaying the feed from the start "
    "reproduces the current state.",
    responses=problems(422),
)
async def organisation_changes(
    session: ReadSession,
    after: Annotated[
        int | None,
        Query(ge=0, description="`next_cursor` of the previous poll; leave out to start."),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Changes per page (1–500, default 50).")
    ] = DEFAULT_LIMIT,
) -> ChangeFeed:
    return await service.changes(session, after=after, limit=limit)


@router.get(
    "/{code}",
    summary="Get one organisation",
    description="Public. One organisation by its code, e.g. `k101` (Københavns Kommune) or "
    "`r1082` (Region Midtjylland). The `ETag` header carries its version.",
    responses={200: {"headers": _ETAG_HEADER}, **problems(404)},
)
async def get_organisation(
    code: Code, session: ReadSession, response: Response
) -> OrganisationRead:
    organisation, version = await service.get_public(session, code=code)
    response.headers["ETag"] = etag_for(version)
    return organisation


@router.get(
    "/{code}/children",
    summary="List an organisation's children",
    description="Public. The organisations directly below this one, e.g. a region's "
    "municipalities or a municipality's institutions, in code order and paginated.",
    responses=problems(404, 422),
)
async def list_children(
    code: Code, session: ReadSession, page: Pagination
) -> Page[OrganisationRead]:
    items, next_cursor = await service.children(session, code=code, page=page)
    return Page(items=items, next_cursor=next_cursor)


@router.post(
    "",
    status_code=201,
    summary="Create an organisation",
    description="`national_admin` creates anything. `org_admin` creates institutions and "
    "administrations below an organisation in its scope, e.g. a municipality its schools "
    "(skoler) and daycare (dagtilbud). `municipality_code` and `region_code` are taken from "
    "the parent when left out. Send `Idempotency-Key` to retry safely.",
    responses={
        201: {
            "headers": {"Location": {"description": "The new organisation's URL."}, **_ETAG_HEADER}
        },
        **problems(401, 403, 409, 422),
    },
)
async def create_organisation(
    body: OrganisationCreate, principal: OrganisationWriter, session: Session, response: Response
) -> OrganisationRead:
    organisation = await service.create(session, data=body, principal=principal)
    response.headers["Location"] = f"/v1/organisations/{organisation.code}"
    return _versioned(response, organisation)


@router.patch(
    "/{code}",
    summary="Change an organisation",
    description="Changes the fields sent; the code never changes. `national_admin` changes "
    "anything; `org_admin` changes institutions and administrations below its scope and may "
    "move them only within it. Send the `ETag` you read as `If-Match` to avoid overwriting "
    "someone else's change (412 if it is stale).",
    responses={200: {"headers": _ETAG_HEADER}, **problems(401, 403, 404, 412, 422)},
)
async def patch_organisation(
    code: Code,
    body: OrganisationUpdate,
    principal: OrganisationWriter,
    session: Session,
    request: Request,
    response: Response,
) -> OrganisationRead:
    organisation = await service.update(
        session,
        code=code,
        changes=body,
        principal=principal,
        precondition=lambda current: check_if_match(request, current_version=current.version),
    )
    return _versioned(response, organisation)
