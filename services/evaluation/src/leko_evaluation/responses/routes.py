"""HTTP endpoints for respondents (no account: the invitation token is the credential)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from leko_evaluation.openapi import problems
from leko_evaluation.responses import service
from leko_evaluation.responses.repository import write_responses
from leko_evaluation.responses.schemas import Questionnaire, ResponseReceipt, ResponseWrite
from leko_kit.db import ReadSession, Session
from leko_kit.dependencies import Now
from leko_kit.tokens import InvitationToken, token_answer_route

router = APIRouter(prefix="/v1/invitations", tags=["responses"])

_NO_STORE = {"Cache-Control": "no-store"}


@router.get(
    "/{token}",
    summary="The questionnaire of an invitation (public, by token)",
    description="No account: the token is the credential. The questionnaire for the token's "
    "respondent group (`self`, `superior`, `employee`, `peer`, `other`) — the core questions, "
    "the round's themes and local questions, each on the 1–5 agreement scale with “ved ikke "
    "/ ikke relevant” (null) — worded for the group (the leader reads “Jeg …”, others "
    "“Lederen …”), with the round's window and status. An unknown token is 404, a used one "
    "409.",
    responses=problems(404, 409, 422),
)
async def get_invitation(
    token: InvitationToken, session: ReadSession, response: Response, now: Now
) -> Questionnaire:
    response.headers.update(_NO_STORE)
    return await service.questionnaire(session, token=token, now=now)


async def post_response(
    token: InvitationToken, body: ResponseWrite, session: Session, response: Response, now: Now
) -> ResponseReceipt:
    response.headers.update(_NO_STORE)
    return await service.respond(session, token=token, data=body, now=now)


router.add_api_route(
    "/{token}/responses",
    post_response,
    methods=["POST"],
    status_code=201,
    summary="Answer an invitation (once)",
    description="No account: the token is the credential, and it works once — a second "
    "response is 409. Accepted while the round is open (409 with the reason otherwise). "
    "Every core question needs an answer (1–5, or null for “ved ikke”); theme and local "
    "questions may be left out; a question twice, a question not in this questionnaire or "
    "a value outside 1–5 is 422 and stores nothing (the token stays usable). LEKO keeps the "
    "answers with the leader, respondent group and month only: nothing links them to the "
    "token or the invitation. No `Location`: a response cannot be read back.",
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
