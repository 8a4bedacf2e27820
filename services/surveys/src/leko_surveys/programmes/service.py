"""Programmes (seeded) and their questionnaire versions: `national_admin` adds a version or
replaces one no round uses yet; a version a round uses is immutable, so every round keeps its
exact wording. New rounds use the newest version. Functions never commit.

Replacing a version and creating a round on it both hold the version's row (FOR UPDATE) from
reading it to committing, so one waits for the other: a replacement checks "in use" only
once a round being created beside it has committed, and a round created during a
replacement reads the replaced questions — never a round on a version that changes after.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.auth import Principal
from leko_kit.problems import Conflict, NotFound
from leko_surveys.models import Programme, Questionnaire
from leko_surveys.programmes.repository import ProgrammeRepository
from leko_surveys.programmes.schemas import ProgrammeRead, QuestionnaireRead, QuestionnaireWrite
from leko_surveys.questionnaire import national_questions


def programme_read(row: Programme, current_version: int | None) -> ProgrammeRead:
    return ProgrammeRead(
        code=row.code,
        label_da=row.label_da,
        label_en=row.label_en,
        respondents=row.respondents,
        institution_types=row.institution_types,
        sectors=list(row.sectors),
        results_by_sector=row.by_sector,
        current_version=current_version,
    )


def unknown_programme(code: str) -> NotFound:
    return NotFound(f"No programme `{code}`; list them with GET /v1/programmes.")


async def programmes(session: AsyncSession) -> list[ProgrammeRead]:
    repository = ProgrammeRepository(session)
    versions = await repository.current_versions()
    return [programme_read(row, versions.get(row.code)) for row in await repository.programmes()]


async def programme(session: AsyncSession, *, code: str) -> ProgrammeRead:
    repository = ProgrammeRepository(session)
    row = await repository.get(code)
    if row is None:
        raise unknown_programme(code)
    return programme_read(row, (await repository.current_versions()).get(code))


async def as_read(session: AsyncSession, row: Questionnaire) -> QuestionnaireRead:
    repository = ProgrammeRepository(session)
    current = await repository.current(row.programme)
    return QuestionnaireRead(
        programme=row.programme,
        version=row.version,
        current=current is not None and current.version == row.version,
        in_use=await repository.in_use(row.programme, row.version),
        note=row.note,
        headline_question_id=row.headline_question_id,
        created_at=row.created_at,
        questions=list(
            national_questions(row.programme, row.version, row.row_version, row.content)
        ),
    )


async def questionnaire(
    session: AsyncSession, *, code: str, version: int | None, lock: bool = False
) -> Questionnaire:
    """A version (the newest when `version` is None); 404 for an unknown programme or version.
    `lock` holds it until the transaction ends, to replace it."""
    repository = ProgrammeRepository(session)
    if await repository.get(code) is None:
        raise unknown_programme(code)
    row = await (
        repository.current(code, lock=lock)
        if version is None
        else repository.questionnaire(code, version, lock=lock)
    )
    if row is None:
        raise NotFound(f"Programme `{code}` has no questionnaire version {version}.")
    return row


async def create(
    session: AsyncSession,
    *,
    code: str,
    data: QuestionnaireWrite,
    principal: Principal,
    now: datetime,
) -> Questionnaire:
    repository = ProgrammeRepository(session)
    if await repository.get(code) is None:
        raise unknown_programme(code)
    row = Questionnaire(
        programme=code,
        version=await repository.next_version(code),
        note=data.note,
        headline_question_id=data.headline_question_id,
        content=[q.model_dump(exclude_none=True, mode="json") for q in data.questions],
        row_version=1,
        created_at=now,
        created_by=principal.client_id,
    )
    repository.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:  # both took the same max + 1
        raise Conflict(
            f"Another version of `{code}` was added at the same moment; GET the current one "
            f"(GET /v1/programmes/{code}/questionnaires/current) and try again. Nothing was "
            "stored."
        ) from exc
    return row


async def replace(
    session: AsyncSession,
    *,
    row: Questionnaire,
    data: QuestionnaireWrite,
) -> Questionnaire:
    """Replace an unused version's questions (409 once a round uses it). `row` is read with
    `lock`, so no round can be created on it until the transaction ends."""
    if await ProgrammeRepository(session).in_use(row.programme, row.version):
        raise Conflict(
            f"Version {row.version} of `{row.programme}` is used by a round and cannot change; "
            f"add a new version with POST /v1/programmes/{row.programme}/questionnaires."
        )
    row.note = data.note
    row.headline_question_id = data.headline_question_id
    row.content = [q.model_dump(exclude_none=True, mode="json") for q in data.questions]
    row.row_version += 1
    await session.flush()
    return row
