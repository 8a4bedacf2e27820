"""HTTP endpoints of the national question set; the rules live in the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from leko_evaluation.auth import NationalAdmin
from leko_evaluation.openapi import problems
from leko_evaluation.question_sets import service
from leko_evaluation.question_sets.schemas import (
    QuestionSetRead,
    QuestionSetSummary,
    QuestionSetWrite,
)
from leko_kit.auth import OptionalPrincipal
from leko_kit.db import ReadSession, Session
from leko_kit.dependencies import Now
from leko_kit.pagination import Page, Pagination

router = APIRouter(prefix="/v1/question-sets", tags=["question sets"])

Version = Annotated[int, Path(ge=1, le=100_000, examples=[1])]
SCALE = (
    " Every statement is answered on the 1–5 agreement scale (1 helt uenig … 5 helt enig) or "
    "“ved ikke / ikke relevant” (null), which is counted but never part of a mean."
)


@router.get(
    "",
    summary="Versions of the national question set (public)",
    description="Public: the published versions, newest first, with their core questions and "
    "the themes an organisation can pick for a round (about four). `current` marks the "
    "version new rounds use; `in_use` the versions rounds already use (immutable). "
    "`national_admin` also sees drafts." + SCALE,
    responses=problems(422),
)
async def list_question_sets(
    session: ReadSession, principal: OptionalPrincipal, page: Pagination
) -> Page[QuestionSetSummary]:
    return await service.page(session, params=page, principal=principal)


@router.get(
    "/current",
    summary="The current question set with every statement (public)",
    description="Public: the newest published version — what a round created now uses — with "
    "the core questions (mandatory in every round) and every theme's statements, each in "
    "the wording others read (`text_da`, “Lederen …”) and the leader's own "
    "(`text_self_da`, “Jeg …”)." + SCALE,
    responses=problems(404),
)
async def get_current_question_set(
    session: ReadSession, principal: OptionalPrincipal
) -> QuestionSetRead:
    return await service.read(session, version=None, principal=principal)


@router.get(
    "/{version}",
    summary="One version of the question set (public)",
    description="Public for published versions; drafts only for `national_admin` (404 for "
    "others)." + SCALE,
    responses=problems(404, 422),
)
async def get_question_set(
    version: Version, session: ReadSession, principal: OptionalPrincipal
) -> QuestionSetRead:
    return await service.read(session, version=version, principal=principal)


@router.post(
    "",
    status_code=201,
    summary="Draft a new version of the question set",
    description="For `national_admin`: the whole content of the next version — core "
    "questions and themes, each statement with a stable id (the same id in a later version "
    "means the same question, so the national overview follows it across years), the "
    "wording others read and the leader's own. Saved as a draft: rounds use it only once "
    "it is published.",
    responses=problems(401, 403, 422),
)
async def create_question_set(
    body: QuestionSetWrite,
    principal: NationalAdmin,
    session: Session,
    response: Response,
    now: Now,
) -> QuestionSetRead:
    created = await service.create(session, data=body, principal=principal, now=now)
    response.headers["Location"] = f"/v1/question-sets/{created.version}"
    return created


@router.post(
    "/{version}/publish",
    summary="Publish a draft version",
    description="For `national_admin`: from now on new rounds use this version. A published "
    "version is immutable; publishing it again, or a draft older than the current version, "
    "is 409.",
    responses=problems(401, 403, 404, 409, 422),
)
async def publish_question_set(
    version: Version, principal: NationalAdmin, session: Session, now: Now
) -> QuestionSetRead:
    return await service.publish(session, version=version, now=now)
