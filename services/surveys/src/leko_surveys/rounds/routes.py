"""HTTP endpoints of survey rounds and their publication."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from leko_kit.db import ReadSession, Session
from leko_kit.dependencies import Now
from leko_kit.pagination import Page, Pagination
from leko_surveys.auth import NationalAdmin
from leko_surveys.openapi import problems
from leko_surveys.rounds import service
from leko_surveys.rounds.schemas import RoundCreate, RoundRead

router = APIRouter(prefix="/v1/rounds", tags=["rounds"])

RoundId = Annotated[int, Path(ge=1, le=2**31 - 1, examples=[12])]


@router.post(
    "",
    status_code=201,
    summary="Create a national round",
    description="For `national_admin`: a round of a programme for a year (one per programme "
    "and year; a second is 409), using the programme's newest questionnaire version unless "
    "`questionnaire_version` names another — that version is immutable from now on. Answers "
    "are accepted from `opens_at` until `closes_at`; results open a minute after it closes. "
    "`anonymity_threshold` (default 5, never below 3) is the fewest respondents a result "
    "shows. An unknown programme or version, or a round that closes before it opens or in "
    "the past, is 422. Nothing is stored on an error.",
    responses={
        201: {"headers": {"Location": {"description": "The round's URL."}}},
        **problems(401, 403, 409, 422),
    },
)
async def create_round(
    body: RoundCreate, principal: NationalAdmin, session: Session, response: Response, now: Now
) -> RoundRead:
    row = await service.create(session, data=body, principal=principal, now=now)
    response.headers["Location"] = f"/v1/rounds/{row.id}"
    return await service.as_read(session, row, now)


@router.get(
    "",
    summary="Survey rounds (public)",
    description="Public: every round, newest first, optionally of one programme or year, with "
    "its status, whether it is published, and how many organisations, invitations and "
    "responses it has.",
    responses=problems(422),
)
async def list_rounds(
    session: ReadSession,
    page: Pagination,
    now: Now,
    programme: Annotated[str | None, Query(max_length=32, examples=["daycare"])] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> Page[RoundRead]:
    return await service.page(session, params=page, programme=programme, year=year, now=now)


@router.get(
    "/{round_id}",
    response_model=RoundRead,
    summary="One round (public)",
    description="Public: the round's window, status, threshold, questionnaire version, "
    "publication and totals. The `ETag` changes whenever any of them does (publication, "
    "the status, new participants or responses); `If-None-Match` with the current one "
    "gives 304.",
    responses={
        200: {
            "headers": {
                "ETag": {
                    "description": "The round's current representation.",
                    "schema": {"type": "string", "examples": ['"3f9c0a5d81b2e6f4"']},
                }
            }
        },
        304: {"description": "Not modified: the `ETag` in `If-None-Match` is current."},
        **problems(404, 422),
    },
)
async def get_round(
    round_id: RoundId, session: ReadSession, request: Request, response: Response, now: Now
) -> RoundRead | Response:
    body = await service.as_read(session, await service.get(session, round_id), now)
    tag = service.etag(body)
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers={"ETag": tag})
    response.headers["ETag"] = tag
    return body


@router.post(
    "/{round_id}/publish",
    summary="Publish a round's results",
    description="For `national_admin`: once the round has closed (409 before, and 409 when "
    "it is already published), its results become public without credentials — for "
    "institutions, municipalities, the nation and the comparison lists citizens read. Local "
    "questions stay with their owner unless the owner publishes them.",
    responses=problems(401, 403, 404, 409, 422),
)
async def publish_round(
    round_id: RoundId, principal: NationalAdmin, session: Session, now: Now
) -> RoundRead:
    row = await service.publish(session, round_id=round_id, now=now)
    return await service.as_read(session, row, now)
