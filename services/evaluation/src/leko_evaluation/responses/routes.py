"""HTTP endpoints for respondents (no account: the invitation token is the credential)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.routing import APIRoute
from pydantic import ValidationError

from leko_evaluation.openapi import problems
from leko_evaluation.responses import service
from leko_evaluation.responses.schemas import Questionnaire, ResponseReceipt, ResponseWrite
from leko_kit.db import ReadSession, Session, database_of
from leko_kit.dependencies import Now

router = APIRouter(prefix="/v1/invitations", tags=["responses"])

TOKEN_MIN, TOKEN_MAX = 16, 128
Token = Annotated[
    str,
    Path(
        min_length=TOKEN_MIN,
        max_length=TOKEN_MAX,
        description="The one-time invitation token.",
        examples=["c2VjcmV0LXRva2VuLWZvci1lbXBsb3llZS0wMDAx"],
    ),
]
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
    token: Token, session: ReadSession, response: Response, now: Now
) -> Questionnaire:
    response.headers.update(_NO_STORE)
    return await service.questionnaire(session, token=token, now=now)


class _LeanResponseRoute(APIRoute):
    """The route that answers an invitation, the busiest of the service (every respondent of
    every round), with a lean handler for the common case: a JSON body that fits
    `ResponseWrite` is validated by pydantic straight from the bytes and handed to the
    service in a session of its own, without FastAPI's per-request dependency solving and
    response-model serialisation (a fifth of the route's CPU). Anything else (another
    content type, a body that does not validate, a token of the wrong length) goes to the
    standard handler built from `post_response`, so every error is FastAPI's own; the
    contract in the OpenAPI document is `post_response`'s too."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        standard = super().get_route_handler()

        async def handler(request: Request) -> Response:
            token: str = request.path_params.get("token", "")
            content_type = request.headers.get("content-type", "")
            if (
                not TOKEN_MIN <= len(token) <= TOKEN_MAX
                or content_type.partition(";")[0].strip().lower() != "application/json"
            ):
                return await standard(request)
            try:
                data = ResponseWrite.model_validate_json(await request.body())
            except ValidationError:
                return await standard(request)
            async with database_of(request).session() as session:
                receipt = await service.respond(
                    session, token=token, data=data, now=request.app.state.clock()
                )
            return Response(
                receipt.model_dump_json(),
                status_code=201,
                media_type="application/json",
                headers=_NO_STORE,
            )

        return handler


async def post_response(
    token: Token, body: ResponseWrite, session: Session, response: Response, now: Now
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
    route_class_override=_LeanResponseRoute,
)
