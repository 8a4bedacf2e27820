"""Survey rounds: created by `national_admin` (one per programme and year, from the
programme's newest questionnaire version unless another is named), open for answers between
`opens_at` and `closes_at`, published by `national_admin` once closed. Functions never commit.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.auth import Principal
from leko_kit.pagination import Page, PageParams, encode_cursor
from leko_kit.problems import Conflict, NotFound, Unprocessable
from leko_surveys.models import Round
from leko_surveys.programmes.repository import ProgrammeRepository
from leko_surveys.rounds.repository import RoundRepository
from leko_surveys.rounds.schemas import RoundCreate, RoundRead, RoundStatus


class Window(Protocol):
    @property
    def opens_at(self) -> datetime: ...

    @property
    def closes_at(self) -> datetime: ...


def status_at(row: Window, now: datetime) -> RoundStatus:
    """A round's status (or that of anything carrying its window) at `now`."""
    if now < row.opens_at:
        return RoundStatus.SCHEDULED
    return RoundStatus.OPEN if now < row.closes_at else RoundStatus.CLOSED


def require_open(row: Round, now: datetime, *, action: str) -> None:
    """409 with the reason when the round is not open for `action`."""
    state = status_at(row, now)
    if state is RoundStatus.SCHEDULED:
        raise Conflict(
            f"The round is not open yet: {action} from {row.opens_at:%Y-%m-%d %H:%M} UTC. "
            "Nothing was stored."
        )
    if state is RoundStatus.CLOSED:
        raise Conflict(
            f"The round closed at {row.closes_at:%Y-%m-%d %H:%M} UTC: no more {action}. "
            "Nothing was stored."
        )


def require_not_closed(row: Round, now: datetime, *, action: str) -> None:
    if status_at(row, now) is RoundStatus.CLOSED:
        raise Conflict(
            f"The round closed at {row.closes_at:%Y-%m-%d %H:%M} UTC; {action} only before it "
            "closes. Nothing was stored."
        )


def not_found(round_id: int) -> NotFound:
    return NotFound(f"No round {round_id}; list them with GET /v1/rounds.")


async def get(session: AsyncSession, round_id: int) -> Round:
    row = await RoundRepository(session).get(round_id)
    if row is None:
        raise not_found(round_id)
    return row


def _read(row: Round, now: datetime, totals: tuple[int, int, int]) -> RoundRead:
    participants, invited, responses = totals
    return RoundRead(
        id=row.id,
        programme=row.programme,
        year=row.year,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        anonymity_threshold=row.anonymity_threshold,
        questionnaire_version=row.questionnaire_version,
        status=status_at(row, now),
        published=row.published_at is not None,
        published_at=row.published_at,
        created_at=row.created_at,
        participants=participants,
        invited=invited,
        responses=responses,
    )


async def as_read(session: AsyncSession, row: Round, now: datetime) -> RoundRead:
    totals = await RoundRepository(session).totals([row.id])
    return _read(row, now, totals.get(row.id, (0, 0, 0)))


def etag(read: RoundRead) -> str:
    """A round has no version of its own: besides publication, its status moves with the clock
    and its totals with every enrolment and response, so the tag is a digest of what it says."""
    return f'"{hashlib.sha256(read.model_dump_json().encode()).hexdigest()[:16]}"'


async def create(
    session: AsyncSession, *, data: RoundCreate, principal: Principal, now: datetime
) -> Round:
    programmes = ProgrammeRepository(session)
    errors: list[dict[str, Any]] = []
    if data.closes_at <= data.opens_at:
        errors.append({"loc": ["body", "closes_at"], "message": "must be after opens_at"})
    elif data.closes_at <= now:
        errors.append({"loc": ["body", "closes_at"], "message": "is in the past"})
    version: int | None = None
    if await programmes.get(data.programme) is None:
        errors.append(
            {
                "loc": ["body", "programme"],
                "message": "unknown programme; choose one from GET /v1/programmes",
            }
        )
    else:
        # Held until the round commits, so the version cannot be replaced meanwhile.
        questionnaire = await (
            programmes.current(data.programme, lock=True)
            if data.questionnaire_version is None
            else programmes.questionnaire(data.programme, data.questionnaire_version, lock=True)
        )
        if questionnaire is None:
            errors.append(
                {
                    "loc": ["body", "questionnaire_version"],
                    "message": "the programme has no such questionnaire version",
                }
            )
        else:
            version = questionnaire.version
    if errors:
        raise Unprocessable(
            "The round is not valid; correct the fields listed in `errors`. Nothing was stored.",
            errors=errors,
        )
    assert version is not None
    repository = RoundRepository(session)
    if await repository.for_year(data.programme, data.year) is not None:
        raise _duplicate(data)
    row = Round(
        programme=data.programme,
        year=data.year,
        questionnaire_version=version,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        anonymity_threshold=data.anonymity_threshold,
        created_at=now,
        created_by=principal.client_id,
    )
    repository.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent create of the same round
        raise _duplicate(data) from exc
    return row


def _duplicate(data: RoundCreate) -> Conflict:
    return Conflict(
        f"`{data.programme}` already has a round for {data.year}; a programme runs one round "
        "a year (GET /v1/rounds?programme=... lists them). Nothing was stored."
    )


async def page(
    session: AsyncSession,
    *,
    params: PageParams,
    programme: str | None,
    year: int | None,
    now: datetime,
) -> Page[RoundRead]:
    repository = RoundRepository(session)
    after = params.cursor_value("id")
    rows = await repository.page(
        programme=programme,
        year=year,
        after=int(after) if after is not None else None,
        limit=params.limit + 1,
    )
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    totals = await repository.totals([row.id for row in rows])
    return Page(
        items=[_read(row, now, totals.get(row.id, (0, 0, 0))) for row in rows],
        next_cursor=encode_cursor({"id": rows[-1].id}) if more else None,
    )


async def publish(session: AsyncSession, *, round_id: int, now: datetime) -> Round:
    """Make a closed round's results public."""
    row = await get(session, round_id)
    if row.published_at is not None:
        raise Conflict(f"Round {round_id} was published at {row.published_at:%Y-%m-%d %H:%M} UTC.")
    if status_at(row, now) is not RoundStatus.CLOSED:
        raise Conflict(
            f"Round {round_id} closes at {row.closes_at:%Y-%m-%d %H:%M} UTC; a round is "
            "published once it has closed and its figures are final."
        )
    row.published_at = now
    await session.flush()
    return row
