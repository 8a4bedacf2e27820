"""Taking part in a round: an `org_admin` enrols organisations in its scope (the institution
type and sector must fit the programme) and receives one-time invitation tokens, and adds
local questions for an organisation in its scope before the round opens; the owner of a local
question decides whether its results are shown beyond the owner. Every check runs before the
first write, so a rejected request stores nothing. Functions never commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.auth import Principal
from leko_kit.pagination import Page, PageParams, encode_cursor
from leko_kit.problems import Conflict, Forbidden, NotFound, Unprocessable
from leko_kit.scope import covers
from leko_kit.tokens import new_token, token_hash
from leko_surveys.models import LocalQuestion, Participant, Programme
from leko_surveys.organisations import INSTITUTION_KIND, Placement, names, placement
from leko_surveys.participation.repository import ParticipationRepository
from leko_surveys.participation.schemas import (
    MAX_LOCAL_PER_OWNER,
    LocalQuestionCreate,
    LocalQuestionRead,
    ParticipantCreate,
    ParticipantRead,
    ParticipantTokens,
)
from leko_surveys.programmes.repository import ProgrammeRepository
from leko_surveys.questionnaire import local_id
from leko_surveys.rounds import service as rounds
from leko_surveys.rounds.schemas import RoundStatus


def _unknown(field: str, code: str) -> Unprocessable:
    return Unprocessable(
        f"Unknown organisation `{code}`; use a code from GET /registry/v1/organisations. "
        "Nothing was stored.",
        errors=[{"loc": ["body", field], "message": "unknown organisation"}],
    )


def _outside(code: str, principal: Principal) -> Forbidden:
    return Forbidden(
        f"`{code}` is outside your scope ({', '.join(principal.scope) or 'empty'}); nothing "
        "was stored."
    )


async def _placed(
    session: AsyncSession, *, code: str, field: str, principal: Principal
) -> Placement:
    placed = await placement(session, code)
    if placed is None:
        raise _unknown(field, code)
    if not covers(placed.lineage, principal.scope):
        raise _outside(code, principal)
    return placed


def fit_problem(programme: Programme, placed: Placement) -> str | None:
    """Why the organisation cannot take part in the programme, or None when it can."""
    if placed.sector not in programme.sectors:
        return (
            f"belongs to the {placed.sector} sector; `{programme.code}` is for "
            f"{', '.join(programme.sectors)}"
        )
    types = programme.institution_types
    if types is None:
        return None
    if placed.kind != INSTITUTION_KIND:
        return f"is a {placed.kind}; `{programme.code}` enrols institutions ({', '.join(types)})"
    if placed.institution_type not in types:
        return (
            f"is a {placed.institution_type or 'institution without a type'}; "
            f"`{programme.code}` is for {', '.join(types)}"
        )
    return None


async def enrol(
    session: AsyncSession,
    *,
    round_id: int,
    data: ParticipantCreate,
    principal: Principal,
    now: datetime,
) -> ParticipantTokens:
    row = await rounds.get(session, round_id)
    placed = await _placed(session, code=data.org_code, field="org_code", principal=principal)
    programme = await ProgrammeRepository(session).get(row.programme)
    assert programme is not None
    problem = fit_problem(programme, placed)
    if problem is not None:
        raise Unprocessable(
            f"`{data.org_code}` cannot take part in `{programme.code}`. Nothing was stored.",
            errors=[{"loc": ["body", "org_code"], "message": problem}],
        )
    rounds.require_not_closed(row, now, action="organisations are enrolled")
    repository = ParticipationRepository(session)
    participant = await repository.participant(round_id, data.org_code)
    added = data.invitations + data.external_invitations
    if participant is None:
        participant = Participant(
            round_id=round_id,
            org_code=data.org_code,
            lineage=list(placed.lineage),
            municipality=placed.municipality,
            sector=placed.sector,
            institution_type=placed.institution_type,
            invited=added,
            responded=0,
            enrolled_at=now,
            enrolled_by=principal.client_id,
        )
        repository.add(participant)
    else:
        participant.invited += added
    tokens = [new_token() for _ in range(data.invitations)]
    try:
        await session.flush()
    except IntegrityError as exc:  # enrolled by a concurrent request
        raise Conflict(
            f"`{data.org_code}` was enrolled by another request at the same moment; send "
            "yours again to issue its invitations. Nothing was stored."
        ) from exc
    await repository.insert_invitations(
        [
            {
                "token_hash": token_hash(token),
                "round_id": round_id,
                "org_code": data.org_code,
                "spent": False,
            }
            for token in tokens
        ]
    )
    return ParticipantTokens(
        round_id=round_id, org_code=data.org_code, invited=participant.invited, tokens=tokens
    )


def response_rate(invited: int | None, responded: int) -> float | None:
    """responded / invited, 0–1; None when the number invited is not known (None, or nobody
    counted as invited) or cannot be right (fewer than the responses)."""
    return round(responded / invited, 4) if invited and responded <= invited else None


async def participants(
    session: AsyncSession, *, round_id: int, params: PageParams, principal: Principal
) -> Page[ParticipantRead]:
    """The round's participants in the caller's scope, with response counts (never who)."""
    await rounds.get(session, round_id)
    repository = ParticipationRepository(session)
    after = params.cursor_value("org")
    found: list[Participant] = []
    cursor = str(after) if after is not None else None
    # Scope is checked on the stored lineage; read in pages until a page of the caller's is full.
    while len(found) <= params.limit:
        batch = await repository.participants(round_id, after=cursor, limit=500)
        if not batch:
            break
        found += [p for p in batch if covers(p.lineage, principal.scope)]
        cursor = batch[-1].org_code
    more = len(found) > params.limit
    found = found[: params.limit]
    labels = await names(session, [p.org_code for p in found])
    return Page(
        items=[
            ParticipantRead(
                org_code=p.org_code,
                name=labels.get(p.org_code),
                municipality=p.municipality,
                sector=p.sector,
                institution_type=p.institution_type,
                invited=p.invited,
                responded=p.responded,
                response_rate=response_rate(p.invited, p.responded),
            )
            for p in found
        ],
        next_cursor=encode_cursor({"org": found[-1].org_code}) if more else None,
    )


def local_read(row: LocalQuestion) -> LocalQuestionRead:
    return LocalQuestionRead(
        id=local_id(row.id),
        round_id=row.round_id,
        owner_code=row.owner_code,
        text_da=row.text_da,
        published=row.published,
    )


async def add_local_question(
    session: AsyncSession,
    *,
    round_id: int,
    data: LocalQuestionCreate,
    principal: Principal,
    now: datetime,
) -> LocalQuestion:
    row = await rounds.get(session, round_id)
    await _placed(session, code=data.owner_code, field="owner_code", principal=principal)
    if rounds.status_at(row, now) is not RoundStatus.SCHEDULED:
        raise Conflict(
            f"The round opened at {row.opens_at:%Y-%m-%d %H:%M} UTC; local questions are added "
            "before it opens, so that every respondent gets the same questionnaire. Nothing "
            "was stored."
        )
    repository = ParticipationRepository(session)
    if await repository.owner_count(round_id, data.owner_code) >= MAX_LOCAL_PER_OWNER:
        raise Conflict(
            f"`{data.owner_code}` already has {MAX_LOCAL_PER_OWNER} local questions in this "
            "round, the most one organisation may add. Nothing was stored."
        )
    question = LocalQuestion(
        round_id=round_id,
        owner_code=data.owner_code,
        text_da=data.text_da,
        published=False,
        created_at=now,
        created_by=principal.client_id,
    )
    repository.add(question)
    await session.flush()
    return question


async def local_questions(
    session: AsyncSession, *, round_id: int, params: PageParams, principal: Principal
) -> Page[LocalQuestionRead]:
    """The round's local questions whose owner is in the caller's scope, oldest first."""
    await rounds.get(session, round_id)
    repository = ParticipationRepository(session)
    after = params.cursor_value("id")
    cursor = int(after) if after is not None else None
    owners: dict[str, bool] = {}
    shown: list[LocalQuestion] = []
    # Scope is checked per owner; read in pages until a page of the caller's is full.
    while len(shown) <= params.limit:
        batch = await repository.local_questions(round_id, after=cursor, limit=500)
        if not batch:
            break
        for row in batch:
            if row.owner_code not in owners:
                placed = await placement(session, row.owner_code)
                owners[row.owner_code] = placed is not None and covers(
                    placed.lineage, principal.scope
                )
            if owners[row.owner_code]:
                shown.append(row)
        cursor = batch[-1].id
    more = len(shown) > params.limit
    shown = shown[: params.limit]
    return Page(
        items=[local_read(row) for row in shown],
        next_cursor=encode_cursor({"id": shown[-1].id}) if more else None,
    )


def parse_local_id(question_id: str) -> int | None:
    prefix, _, number = question_id.partition("-")
    return int(number) if prefix == "local" and number.isdigit() and len(number) < 10 else None


async def publish_local_question(
    session: AsyncSession, *, round_id: int, question_id: str, principal: Principal
) -> LocalQuestion:
    """The owner shows a local question's results beyond itself."""
    await rounds.get(session, round_id)
    number = parse_local_id(question_id)
    row = (
        await ParticipationRepository(session).local_question(round_id, number)
        if number is not None
        else None
    )
    placed = await placement(session, row.owner_code) if row is not None else None
    if row is None or placed is None or not covers(placed.lineage, principal.scope):
        raise NotFound(f"No local question `{question_id}` of yours in round {round_id}.")
    if row.published:
        raise Conflict(f"`{question_id}` is already published.")
    row.published = True
    await session.flush()
    return row
