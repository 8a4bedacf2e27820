"""HTTP endpoints of the programmes and their questionnaire versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from leko_kit.db import ReadSession, Session
from leko_kit.dependencies import Now
from leko_kit.etag import check_if_match, etag_for
from leko_surveys.auth import NationalAdmin
from leko_surveys.openapi import problems
from leko_surveys.programmes import service
from leko_surveys.programmes.schemas import ProgrammeRead, QuestionnaireRead, QuestionnaireWrite

router = APIRouter(prefix="/v1/programmes", tags=["programmes"])

ProgrammeCode = Annotated[
    str, Path(pattern=r"^[a-z][a-z_]{1,31}$", examples=["daycare"], description="Programme.")
]
Version = Annotated[int, Path(ge=1, le=10_000, examples=[1])]
SCALE = (
    " Satisfaction items are answered 1 (meget utilfreds) to 5 (meget tilfreds), or null for "
    "“ved ikke”, which is counted but never part of a mean; background `choice` questions "
    "take one of their option values, or null."
)


@router.get(
    "",
    summary="The national survey programmes (public)",
    description="Public: the seven programmes — `daycare`, `school_pupils`, `school_parents`, "
    "`after_school_care`, `rehabilitation`, `substance_abuse_treatment` and "
    "`employee_motivation` — each with who answers, the institution types (and sectors) that "
    "can enrol, and its current questionnaire version.",
    responses=problems(422),
)
async def list_programmes(session: ReadSession) -> list[ProgrammeRead]:
    return await service.programmes(session)


@router.get(
    "/{code}",
    summary="One programme (public)",
    description="Public: the programme and its current questionnaire version.",
    responses=problems(404, 422),
)
async def get_programme(code: ProgrammeCode, session: ReadSession) -> ProgrammeRead:
    return await service.programme(session, code=code)


@router.get(
    "/{code}/questionnaires/current",
    summary="The current questionnaire of a programme (public)",
    description="Public: the newest version — what a round created now uses — with every "
    "national question in order." + SCALE,
    responses=problems(404, 422),
)
async def get_current_questionnaire(
    code: ProgrammeCode, session: ReadSession, response: Response
) -> QuestionnaireRead:
    row = await service.questionnaire(session, code=code, version=None)
    response.headers["ETag"] = etag_for(row.row_version)
    return await service.as_read(session, row)


@router.get(
    "/{code}/questionnaires/{version}",
    summary="One questionnaire version (public)",
    description="Public: a version's national questions, whether it is the current one and "
    "whether a round uses it (then it is immutable). The `ETag` is what `PUT` expects in "
    "`If-Match`." + SCALE,
    responses=problems(404, 422),
)
async def get_questionnaire(
    code: ProgrammeCode, version: Version, session: ReadSession, response: Response
) -> QuestionnaireRead:
    row = await service.questionnaire(session, code=code, version=version)
    response.headers["ETag"] = etag_for(row.row_version)
    return await service.as_read(session, row)


@router.post(
    "/{code}/questionnaires",
    status_code=201,
    summary="Add a questionnaire version",
    description="For `national_admin`: the next version of the programme's national "
    "questions, each with a stable id (the same id in a later version is the same question, "
    "so the change since the previous round follows it), Danish text, and `kind` `scale` or "
    "`choice` (2–5 options). `headline_question_id` names the scale question citizens "
    "compare institutions on. Rounds created from now on use it. Repeated ids, ids starting "
    "with `local-`, or a headline that is not a scale question are 422. Two versions added "
    "at the same moment: one gets 409 and should GET the current version and try again.",
    responses={
        201: {"headers": {"Location": {"description": "The version's URL."}}},
        **problems(401, 403, 404, 409, 422),
    },
)
async def create_questionnaire(
    code: ProgrammeCode,
    body: QuestionnaireWrite,
    principal: NationalAdmin,
    session: Session,
    response: Response,
    now: Now,
) -> QuestionnaireRead:
    row = await service.create(session, code=code, data=body, principal=principal, now=now)
    response.headers["Location"] = f"/v1/programmes/{code}/questionnaires/{row.version}"
    response.headers["ETag"] = etag_for(row.row_version)
    return await service.as_read(session, row)


@router.put(
    "/{code}/questionnaires/{version}",
    summary="Replace a version no round uses yet",
    description="For `national_admin`: correct a version before any round uses it. Once a "
    "round uses it, it is immutable (409): add a new version instead. Send the `ETag` of "
    "your GET in `If-Match`; a stale one is 412.",
    responses=problems(401, 403, 404, 409, 412, 422),
)
async def replace_questionnaire(
    code: ProgrammeCode,
    version: Version,
    body: QuestionnaireWrite,
    principal: NationalAdmin,
    session: Session,
    request: Request,
    response: Response,
) -> QuestionnaireRead:
    row = await service.questionnaire(session, code=code, version=version, lock=True)
    check_if_match(request, current_version=row.row_version)
    row = await service.replace(session, row=row, data=body)
    response.headers["ETag"] = etag_for(row.row_version)
    return await service.as_read(session, row)
