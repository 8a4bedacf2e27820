"""HTTP endpoints of evaluation rounds and their leaders; the rules live in the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from leko_evaluation.auth import OrgAdmin
from leko_evaluation.evaluations import service
from leko_evaluation.evaluations.schemas import (
    EvaluationCreate,
    EvaluationRead,
    LeaderRead,
    LeadersAdd,
    LeadersAdded,
)
from leko_evaluation.openapi import problems
from leko_kit.db import ReadSession, Session
from leko_kit.dependencies import Now, Replica
from leko_kit.pagination import Page, Pagination

router = APIRouter(prefix="/v1/evaluations", tags=["evaluations"])

EvaluationId = Annotated[int, Path(ge=1, le=2**31 - 1, examples=[17])]
_SCOPE = (
    " For `org_admin` within its scope; a round of an organisation outside it is 404, as if "
    "it did not exist."
)


@router.post(
    "",
    status_code=201,
    summary="Create an evaluation round",
    description="For `org_admin`: a round for an organisation in its scope (and the units "
    "below it), using the current published question set (or `question_set_version`): the "
    "mandatory core questions, the `themes` picked from it (about four), and up to 20 local "
    "questions (1–300 characters, on the same 1–5 scale). Answers are accepted from "
    "`opens_at` until `closes_at`; reports open when the round closes. "
    "`anonymity_threshold` (default 5, never below 3) is the fewest employee, peer or other "
    "respondents a report shows. An unknown organisation or theme, an empty or too long "
    "local question, a threshold below 3 or a round that closes before it opens is 422; an "
    "organisation outside your scope 403. Nothing is stored on an error.",
    responses={
        **{201: {"headers": {"Location": {"description": "The round's URL."}}}},
        **problems(401, 403, 422),
    },
)
async def create_evaluation(
    body: EvaluationCreate,
    principal: OrgAdmin,
    session: Session,
    replica: Replica,
    response: Response,
    now: Now,
) -> EvaluationRead:
    row = await service.create(session, hierarchy=replica, data=body, principal=principal, now=now)
    response.headers["Location"] = f"/v1/evaluations/{row.id}"
    return await service.as_read(session, row, now)


@router.get(
    "",
    summary="Your organisations' evaluation rounds",
    description="The rounds of every organisation in your scope, newest first, each with its "
    "status and response rates per respondent group." + _SCOPE,
    responses=problems(401, 403, 422),
)
async def list_evaluations(
    principal: OrgAdmin, session: ReadSession, page: Pagination, now: Now
) -> Page[EvaluationRead]:
    return await service.page(session, params=page, principal=principal, now=now)


@router.get(
    "/{evaluation_id}",
    summary="One evaluation round",
    description="The round's settings, status (`scheduled`, `open`, `closed`), number of "
    "leaders and response rates per respondent group over the whole round." + _SCOPE,
    responses=problems(401, 403, 404, 422),
)
async def get_evaluation(
    evaluation_id: EvaluationId,
    principal: OrgAdmin,
    session: ReadSession,
    replica: Replica,
    now: Now,
) -> EvaluationRead:
    row = await service.readable(
        session, hierarchy=replica, evaluation_id=evaluation_id, principal=principal
    )
    return await service.as_read(session, row, now)


@router.post(
    "/{evaluation_id}/close",
    summary="Close an open round now",
    description="Ends the answer window at once, so that the reports open. Only an open round "
    "can be closed (409 otherwise)." + _SCOPE,
    responses=problems(401, 403, 404, 409, 422),
)
async def close_evaluation(
    evaluation_id: EvaluationId,
    principal: OrgAdmin,
    session: Session,
    replica: Replica,
    now: Now,
) -> EvaluationRead:
    row = await service.close(
        session, hierarchy=replica, evaluation_id=evaluation_id, principal=principal, now=now
    )
    return await service.as_read(session, row, now)


@router.post(
    "/{evaluation_id}/leaders",
    status_code=201,
    summary="Add leaders and issue their invitations",
    description="For `org_admin`: up to 2,000 leaders a request, each with a pseudonymous "
    "`leader_ref` (CPR numbers are refused), a unit in the round's organisation tree and "
    "your scope, a level (`top`, `middle`, `first_line`) and how many respondents to invite "
    "per group (`employee`, `peer`, `superior`, `self` at most 1, `other`). The answer holds "
    "one one-time invitation token per respondent: it is shown only here, LEKO keeps only a "
    "hash, so hand the tokens out (e.g. as links to your survey frontend) and do not store "
    "which person got which. The request is atomic: a bad leader (422 naming its index), an "
    "organisation outside your scope (403) or a leader already in the round (409) stores "
    "nothing. A closed round takes no leaders (409)." + _SCOPE,
    responses=problems(401, 403, 404, 409, 422),
)
async def add_leaders(
    evaluation_id: EvaluationId,
    body: LeadersAdd,
    principal: OrgAdmin,
    session: Session,
    replica: Replica,
    response: Response,
    now: Now,
) -> LeadersAdded:
    added = await service.add_leaders(
        session,
        hierarchy=replica,
        evaluation_id=evaluation_id,
        data=body,
        principal=principal,
        now=now,
    )
    response.headers["Location"] = f"/v1/evaluations/{evaluation_id}/leaders"
    response.headers["Cache-Control"] = "no-store"
    return added


@router.get(
    "/{evaluation_id}/leaders",
    summary="The round's leaders and their response rates",
    description="Each leader with invited and responded per respondent group, while the round "
    "runs and after: counts only, never who answered." + _SCOPE,
    responses=problems(401, 403, 404, 422),
)
async def list_leaders(
    evaluation_id: EvaluationId,
    principal: OrgAdmin,
    session: ReadSession,
    replica: Replica,
    page: Pagination,
) -> Page[LeaderRead]:
    return await service.leaders(
        session,
        hierarchy=replica,
        evaluation_id=evaluation_id,
        params=page,
        principal=principal,
    )
