"""Versions of the national question set: drafted and published by `national_admin`; a
published version is immutable (rounds that use it keep their exact wording), and new rounds
use the newest published one. Functions take the caller's session and never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from leko_evaluation.models import QuestionSet
from leko_evaluation.question_sets.repository import QuestionSetRepository
from leko_evaluation.question_sets.schemas import (
    QuestionRead,
    QuestionSetRead,
    QuestionSetStatus,
    QuestionSetSummary,
    QuestionSetWrite,
    ThemeRead,
    ThemeSummary,
)
from leko_evaluation.questionnaire import parse_content
from leko_kit.auth import Principal, Role
from leko_kit.pagination import Page, PageParams, encode_cursor
from leko_kit.problems import Conflict, NotFound

PUBLISHED = QuestionSetStatus.PUBLISHED.value
DRAFT = QuestionSetStatus.DRAFT.value


def _sees_drafts(principal: Principal | None) -> bool:
    return principal is not None and Role.NATIONAL_ADMIN.value in principal.roles


def as_read(row: QuestionSet, *, current: bool, in_use: bool) -> QuestionSetRead:
    content = parse_content(row.version, row.published_at, row.content)
    return QuestionSetRead(
        version=row.version,
        status=QuestionSetStatus(row.status),
        current=current,
        in_use=in_use,
        note=row.note,
        created_at=row.created_at,
        published_at=row.published_at,
        core=[
            QuestionRead(id=q.id, text_da=q.text_da, text_self_da=q.text_self_da, theme="core")
            for q in content.core
        ],
        themes=[
            ThemeRead(
                code=t.code,
                label_da=t.label_da,
                label_en=t.label_en,
                questions=[
                    QuestionRead(
                        id=q.id, text_da=q.text_da, text_self_da=q.text_self_da, theme=t.code
                    )
                    for q in t.questions
                ],
            )
            for t in content.themes
        ],
    )


def as_summary(row: QuestionSet, *, current: bool, in_use: bool) -> QuestionSetSummary:
    content = parse_content(row.version, row.published_at, row.content)
    return QuestionSetSummary(
        version=row.version,
        status=QuestionSetStatus(row.status),
        current=current,
        in_use=in_use,
        note=row.note,
        published_at=row.published_at,
        core_questions=len(content.core),
        themes=[
            ThemeSummary(
                code=t.code, label_da=t.label_da, label_en=t.label_en, questions=len(t.questions)
            )
            for t in content.themes
        ],
    )


async def create(
    session: AsyncSession, *, data: QuestionSetWrite, principal: Principal, now: datetime
) -> QuestionSetRead:
    """Save a new version as a draft (the next version number)."""
    repository = QuestionSetRepository(session)
    row = QuestionSet(
        version=await repository.next_version(),
        status=DRAFT,
        note=data.note,
        content=data.model_dump(exclude={"note"}),
        created_at=now,
        created_by=principal.client_id,
    )
    repository.add(row)
    await session.flush()
    return as_read(row, current=False, in_use=False)


async def publish(session: AsyncSession, *, version: int, now: datetime) -> QuestionSetRead:
    """Publish a draft: from now on new rounds use it, and it can no longer change."""
    repository = QuestionSetRepository(session)
    row = await repository.get(version)
    if row is None:
        raise NotFound(f"No question-set version {version}; see GET /v1/question-sets.")
    if row.status == PUBLISHED:
        raise Conflict(
            f"Version {version} was published at {row.published_at:%Y-%m-%d %H:%M} UTC and is "
            "immutable; draft a new version with POST /v1/question-sets instead."
        )
    current = await repository.current_version()
    if current is not None and current > version:
        raise Conflict(
            f"Version {current} is already published and newer; draft a new version instead."
        )
    row.status = PUBLISHED
    row.published_at = now
    await session.flush()
    return as_read(row, current=True, in_use=False)


async def read(
    session: AsyncSession, *, version: int | None, principal: Principal | None
) -> QuestionSetRead:
    """One version (`None`: the current one). Drafts only for `national_admin`."""
    repository = QuestionSetRepository(session)
    row = await (repository.current() if version is None else repository.get(version))
    if row is None or (row.status == DRAFT and not _sees_drafts(principal)):
        raise NotFound(
            "No published question set yet; `python -m leko_evaluation seed` loads version 1."
            if version is None
            else f"No question-set version {version}; see GET /v1/question-sets."
        )
    current = await repository.current_version()
    return as_read(
        row, current=row.version == current, in_use=await repository.is_in_use(row.version)
    )


async def page(
    session: AsyncSession, *, params: PageParams, principal: Principal | None
) -> Page[QuestionSetSummary]:
    repository = QuestionSetRepository(session)
    after = params.cursor_value("version")
    rows = await repository.page(
        after=int(after) if after is not None else None,
        limit=params.limit + 1,
        drafts=_sees_drafts(principal),
    )
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    current = await repository.current_version()
    used = await repository.in_use([row.version for row in rows])
    return Page(
        items=[
            as_summary(row, current=row.version == current, in_use=row.version in used)
            for row in rows
        ],
        next_cursor=encode_cursor({"version": rows[-1].version}) if more else None,
    )
