"""HTTP endpoints of taking part in a round: enrolment with invitations, local questions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from leko_kit.db import ReadSession, Session
from leko_kit.dependencies import Now
from leko_kit.pagination import Page, Pagination
from leko_surveys.auth import OrgAdmin, Organiser
from leko_surveys.openapi import problems
from leko_surveys.participation import service
from leko_surveys.participation.schemas import (
    LocalQuestionCreate,
    LocalQuestionRead,
    ParticipantCreate,
    ParticipantRead,
    ParticipantTokens,
)
from leko_surveys.rounds.routes import RoundId

router = APIRouter(prefix="/v1/rounds", tags=["participation"])

LocalQuestionId = Annotated[str, Path(pattern=r"^local-[0-9]{1,9}$", examples=["local-7"])]


@router.post(
    "/{round_id}/participants",
    status_code=201,
    summary="Enrol an organisation and issue its invitations",
    description="For `org_admin`: enrol an organisation in your scope whose institution type "
    "(and sector) fits the programme — `daycare` takes daycare institutions, "
    "`school_pupils` and `school_parents` schools, `after_school_care` SFOs, "
    "`rehabilitation` and `substance_abuse_treatment` those institutions, "
    "`employee_motivation` any organisation of the state, the regions and the "
    "municipalities. The answer holds `invitations` one-time tokens, shown only here (LEKO "
    "keeps their hashes): hand them out, e.g. as links to your survey frontend, without "
    "recording who got which. Enrolling the organisation again issues more; "
    "`Idempotency-Key` is not honoured here, since LEKO keeps no copy of the tokens to replay "
    "(a retry issues new ones). "
    "`external_invitations` declares people a vendor invited itself (their answers come by "
    "batch import). An unknown organisation or one that does not fit is 422, one outside "
    "your scope 403, a closed round 409; nothing is stored then.",
    responses={
        201: {"headers": {"Location": {"description": "The round's participants."}}},
        **problems(401, 403, 404, 409, 422),
    },
)
async def enrol(
    round_id: RoundId,
    body: ParticipantCreate,
    principal: OrgAdmin,
    session: Session,
    response: Response,
    now: Now,
) -> ParticipantTokens:
    enrolled = await service.enrol(
        session, round_id=round_id, data=body, principal=principal, now=now
    )
    response.headers["Location"] = f"/v1/rounds/{round_id}/participants"
    response.headers["Cache-Control"] = "no-store"
    return enrolled


@router.get(
    "/{round_id}/participants",
    summary="Enrolled organisations and their response rates",
    description="For `org_admin` (the participants in its scope) and `national_admin` (all): "
    "each organisation with invited and responded — counts only, never who answered.",
    responses=problems(401, 403, 404, 422),
)
async def list_participants(
    round_id: RoundId, principal: Organiser, session: ReadSession, page: Pagination
) -> Page[ParticipantRead]:
    return await service.participants(session, round_id=round_id, params=page, principal=principal)


@router.post(
    "/{round_id}/local-questions",
    status_code=201,
    summary="Add a local question",
    description="For `org_admin`: a question (Danish, 1–300 characters, on the 1–5 "
    "satisfaction scale with “ved ikke”) that the respondents of `owner_code` — a "
    "municipality or an institution in your scope — and of every organisation below it "
    "answer after the national questions. Added before the round opens (409 after), at most "
    "10 per owner. Its results are reported to the owner only, unless the owner publishes "
    "it. An unknown owner is 422, one outside your scope 403.",
    responses={
        201: {"headers": {"Location": {"description": "The round's local questions."}}},
        **problems(401, 403, 404, 409, 422),
    },
)
async def add_local_question(
    round_id: RoundId,
    body: LocalQuestionCreate,
    principal: OrgAdmin,
    session: Session,
    response: Response,
    now: Now,
) -> LocalQuestionRead:
    row = await service.add_local_question(
        session, round_id=round_id, data=body, principal=principal, now=now
    )
    response.headers["Location"] = f"/v1/rounds/{round_id}/local-questions"
    return service.local_read(row)


@router.get(
    "/{round_id}/local-questions",
    summary="Your organisations' local questions in a round",
    description="For `org_admin` and `national_admin`: the local questions whose owner is in "
    "your scope, and whether each is published, oldest first.",
    responses=problems(401, 403, 404, 422),
)
async def list_local_questions(
    round_id: RoundId, principal: Organiser, session: ReadSession, page: Pagination
) -> Page[LocalQuestionRead]:
    return await service.local_questions(
        session, round_id=round_id, params=page, principal=principal
    )


@router.post(
    "/{round_id}/local-questions/{question_id}/publish",
    summary="Publish a local question's results",
    description="For the owner's `org_admin`: from now on the question's results are shown "
    "with the national questions to everyone who may read the results (citizens too, once "
    "the round is published). A question that is not yours is 404; one already published "
    "409.",
    responses=problems(401, 403, 404, 409, 422),
)
async def publish_local_question(
    round_id: RoundId, question_id: LocalQuestionId, principal: OrgAdmin, session: Session
) -> LocalQuestionRead:
    row = await service.publish_local_question(
        session, round_id=round_id, question_id=question_id, principal=principal
    )
    return service.local_read(row)
