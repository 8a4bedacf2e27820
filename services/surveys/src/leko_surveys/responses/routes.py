"""HTTP endpoints for respondents (no account: the invitation token is the credential) and
for vendors' bulk import."""

from __future__ import annotations

from fastapi import APIRouter, Response

from leko_kit.db import ReadSession, Session
from leko_kit.dependencies import Now
from leko_kit.tokens import InvitationToken, token_answer_route
from leko_surveys.auth import Reporter
from leko_surveys.openapi import problems
from leko_surveys.responses import service
from leko_surveys.responses.repository import write_responses
from leko_surveys.responses.schemas import (
    BatchResult,
    BatchWrite,
    InvitationQuestionnaire,
    ResponseReceipt,
    ResponseWrite,
)
from leko_surveys.rounds.routes import RoundId

router = APIRouter(tags=["responses"])

_NO_STORE = {"Cache-Control": "no-store"}


@router.get(
    "/v1/invitations/{token}",
    summary="The questionnaire of an invitation (public, by token)",
    description="No account: the token is the credential. The round's national questions "
    "for the programme, then the local questions of the institution and of the "
    "organisations above it, with the round's window and status. Satisfaction items take "
    "1 (meget utilfreds) to 5 (meget tilfreds) or null for “ved ikke”; background questions "
    "one of their option values or null. An unknown token is 404, a used one 409.",
    responses=problems(404, 409, 422),
)
async def get_invitation(
    token: InvitationToken, session: ReadSession, response: Response, now: Now
) -> InvitationQuestionnaire:
    response.headers.update(_NO_STORE)
    return await service.questionnaire(session, token=token, now=now)


async def post_response(
    token: InvitationToken, body: ResponseWrite, session: Session, response: Response, now: Now
) -> ResponseReceipt:
    response.headers.update(_NO_STORE)
    return await service.respond(session, token=token, data=body, now=now)


router.add_api_route(
    "/v1/invitations/{token}/responses",
    post_response,
    methods=["POST"],
    status_code=201,
    summary="Answer an invitation (once)",
    description="No account: the token is the credential, and it works once — a second "
    "response is 409. Accepted while the round is open (409 with the reason otherwise). "
    "Every question of the questionnaire needs one answer (a value, or null for “ved "
    "ikke”); a missing or repeated question, a question not in this questionnaire, or a "
    "value outside the scale or the options is 422 and stores nothing (the token stays "
    "usable). LEKO keeps the answers with the institution and the month only: nothing links "
    "them to the token. No `Location`: a response cannot be read back.",
    responses=problems(404, 409, 422),
    route_class_override=token_answer_route(
        ResponseWrite,
        respond=service.respond,
        check=service.check,
        write=write_responses,
        receipt=service.receipt,
        headers=_NO_STORE,
    ),
)


@router.post(
    "/v1/rounds/{round_id}/responses/batch",
    summary="Import responses a vendor collected",
    description="For `reporter`: up to 2,000 responses a request, collected in your own "
    "system for organisations in your scope that are enrolled in the round, each with your "
    "`external_id` (a pseudonymous reference of the response; CPR numbers are refused). "
    "Each must fit its organisation's questionnaire exactly as a token response must. "
    "Idempotent on `external_id`: a record sent before with the same content is counted as "
    "`unchanged`; with other content the batch is 409. Atomic: a bad record (422 naming "
    "each, by index), an organisation outside your scope (403, checked first, whether it is "
    "enrolled or known or not) or a round that is not open (409) stores nothing.",
    responses=problems(401, 403, 404, 409, 413, 422),
)
async def import_batch(
    round_id: RoundId, body: BatchWrite, principal: Reporter, session: Session, now: Now
) -> BatchResult:
    return await service.import_batch(
        session, round_id=round_id, data=body, principal=principal, now=now
    )
