"""Answering a round: by one-time invitation token, or in bulk by a vendor's `reporter`.

A response fits the organisation's questionnaire (the round's national questions and the local
questions of the organisation and the organisations above it): every question answered once
(a value, or null for "ved ikke"), no foreign question, scale values 1–5, choice values among
the options. It is accepted while the round is open. Storing it keeps the round, the
organisation, the month and the answers — never the token — and adds it, in the same
transaction, to the organisation's totals and to the totals of its areas (municipality,
sector for the motivation survey, nation), so results never read responses. A rejected
request stores nothing and leaves the token usable.

A batch is atomic and idempotent on `external_id`: a record sent before with the same content
is `unchanged`, with other content 409; every bad record is named in one 422.
"""

from __future__ import annotations

import hashlib
import json
import random
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.auth import Principal
from leko_kit.problems import Conflict, Forbidden, NotFound, Unprocessable
from leko_kit.scope import covers
from leko_kit.tokens import token_hash
from leko_surveys.models import (
    AREA_SHARDS,
    COUNTERS,
    NATIONAL_AREA,
    NATIONAL_SHARDS,
    LocalQuestion,
    municipality_area,
    sector_area,
)
from leko_surveys.organisations import names
from leko_surveys.participation.repository import ParticipationRepository
from leko_surveys.programmes.repository import ProgrammeRepository
from leko_surveys.questionnaire import Form, national_questions
from leko_surveys.responses.repository import InvitationContext, ResponseRepository
from leko_surveys.responses.schemas import (
    AnswerWrite,
    BatchResult,
    BatchWrite,
    InvitationQuestionnaire,
    ResponseReceipt,
    ResponseWrite,
)
from leko_surveys.rounds import service as rounds
from leko_surveys.rounds.schemas import RoundStatus
from leko_surveys.scale import counters

_SPENT = (
    "This invitation has already been used: each invitation answers once. If you have not "
    "answered yourself, ask the institution for a new one."
)
Answer = tuple[str, int | str | None, int | None]  # question id, value, counter slot


def _owned_by(local: Sequence[LocalQuestion], lineage: Sequence[str]) -> list[LocalQuestion]:
    owners = set(lineage)
    return [row for row in local if row.owner_code in owners]


def validate(
    form: Form, answers: Sequence[AnswerWrite], loc: list[str | int]
) -> tuple[list[Answer], list[dict[str, Any]]]:
    """The answers with their counter slots, and the errors (each naming its entry)."""
    errors: list[dict[str, Any]] = []
    accepted: list[Answer] = []
    seen: set[str] = set()
    for index, answer in enumerate(answers):
        at = [*loc, "answers", index]
        if answer.question_id not in form.by_id:
            errors.append(
                {"loc": [*at, "question_id"], "message": "is not a question of this survey"}
            )
            continue
        if answer.question_id in seen:
            errors.append(
                {"loc": [*at, "question_id"], "message": "is answered twice; answer it once"}
            )
            continue
        seen.add(answer.question_id)
        slot = form.slot(answer.question_id, answer.value)
        if isinstance(slot, str):
            errors.append({"loc": [*at, "value"], "message": slot})
        else:
            accepted.append((answer.question_id, answer.value, slot))
    missing = [q.id for q in form.questions if q.id not in seen]
    if missing:
        errors.append(
            {
                "loc": [*loc, "answers"],
                "message": "every question needs an answer (a value, or null for “ved ikke”); "
                f"missing: {', '.join(missing)}",
            }
        )
    return accepted, errors


def _bump(table: dict[Any, dict[str, int]], key: Any, increment: dict[str, int]) -> None:
    row = table.setdefault(key, dict.fromkeys(COUNTERS, 0))
    for name in COUNTERS:
        row[name] += increment[name]


@dataclass
class Totals:
    """Counter increments of a request, one row per key (what `add_counts` expects)."""

    round_id: int
    participants: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)
    areas: dict[tuple[str, str, int], dict[str, int]] = field(default_factory=dict)
    responses: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(
        self,
        *,
        org_code: str,
        areas: Sequence[tuple[str, int]],
        national_ids: frozenset[str],
        answers: Sequence[Answer],
    ) -> None:
        self.responses[org_code] += 1
        for question_id, _, slot in answers:
            increment = counters(slot)
            _bump(self.participants, (org_code, question_id), increment)
            if question_id in national_ids:
                for area, shard in areas:
                    _bump(self.areas, (area, question_id, shard), increment)

    def participant_rows(self) -> list[dict[str, Any]]:
        return [
            {"round_id": self.round_id, "org_code": org, "question_id": qid} | row
            for (org, qid), row in self.participants.items()
        ]

    def area_rows(self) -> list[dict[str, Any]]:
        return [
            {"round_id": self.round_id, "area": area, "question_id": qid, "shard": shard} | row
            for (area, qid, shard), row in self.areas.items()
        ]


def areas_of(*, municipality: str | None, sector: str, by_sector: bool) -> list[tuple[str, int]]:
    """The areas a response counts in, each with a random shard (spreads writes; no secret)."""
    areas = [(NATIONAL_AREA, random.randrange(NATIONAL_SHARDS))]  # noqa: S311
    if municipality is not None:
        areas.append((municipality_area(municipality), random.randrange(AREA_SHARDS)))  # noqa: S311
    if by_sector:
        areas.append((sector_area(sector), random.randrange(AREA_SHARDS)))  # noqa: S311
    return areas


async def _context(session: AsyncSession, token: str) -> tuple[str, InvitationContext]:
    hashed = token_hash(token)
    context = await ResponseRepository(session).context(hashed)
    if context is None:
        raise NotFound("No invitation with this token; check the link you were sent.")
    return hashed, context


async def _form(session: AsyncSession, context: InvitationContext) -> tuple[Form, frozenset[str]]:
    national = national_questions(
        context.programme, context.version, context.row_version, context.content
    )
    local = await ResponseRepository(session).local_questions(context.round_id, context.lineage)
    return Form.build(national, local), frozenset(q.id for q in national)


async def questionnaire(
    session: AsyncSession, *, token: str, now: datetime
) -> InvitationQuestionnaire:
    _, context = await _context(session, token)
    if context.spent:
        raise Conflict(_SPENT)
    form, _ = await _form(session, context)
    labels = await names(session, [context.org_code])
    return InvitationQuestionnaire(
        round_id=context.round_id,
        programme=context.programme,
        programme_label_da=context.programme_label_da,
        year=context.year,
        org_code=context.org_code,
        org_name=labels.get(context.org_code),
        opens_at=context.opens_at,
        closes_at=context.closes_at,
        status=rounds.status_at(context, now),
        questions=list(form.questions),
    )


def _not_open(context: InvitationContext, now: datetime) -> Conflict | None:
    state = rounds.status_at(context, now)
    if state is RoundStatus.SCHEDULED:
        return Conflict(
            f"The survey is not open yet: answers are accepted from "
            f"{context.opens_at:%Y-%m-%d %H:%M} UTC."
        )
    if state is RoundStatus.CLOSED:
        return Conflict(
            f"The survey closed at {context.closes_at:%Y-%m-%d %H:%M} UTC and accepts no more "
            "answers."
        )
    return None


async def respond(
    session: AsyncSession, *, token: str, data: ResponseWrite, now: datetime
) -> ResponseReceipt:
    hashed, context = await _context(session, token)
    if context.spent:
        raise Conflict(_SPENT)
    closed = _not_open(context, now)
    if closed is not None:
        raise closed
    form, national_ids = await _form(session, context)
    answers, errors = validate(form, data.answers, ["body"])
    if errors:
        raise Unprocessable(
            "The answers do not fit the questionnaire; correct the entries listed in `errors`. "
            "Nothing was stored and the invitation can still be used.",
            errors=errors,
        )
    repository = ResponseRepository(session)
    if not await repository.spend(hashed):
        raise Conflict(_SPENT)
    await repository.insert_responses(
        [
            {
                "id": uuid.uuid4().hex,
                "round_id": context.round_id,
                "org_code": context.org_code,
                "month": now.year * 100 + now.month,
                "answers": {qid: value for qid, value, _ in answers},
                "external_id": None,
                "content_hash": None,
            }
        ]
    )
    totals = Totals(context.round_id)
    totals.add(
        org_code=context.org_code,
        areas=areas_of(
            municipality=context.municipality, sector=context.sector, by_sector=context.by_sector
        ),
        national_ids=national_ids,
        answers=answers,
    )
    await repository.add_totals(totals.participant_rows(), totals.area_rows())
    await repository.count_responses(context.round_id, totals.responses)
    return ResponseReceipt(answers=len(answers))


def content_hash(org_code: str, answers: Sequence[Answer]) -> str:
    canonical = json.dumps(
        {"org_code": org_code, "answers": sorted([qid, value] for qid, value, _ in answers)},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def import_batch(
    session: AsyncSession,
    *,
    round_id: int,
    data: BatchWrite,
    principal: Principal,
    now: datetime,
) -> BatchResult:
    row = await rounds.get(session, round_id)
    repository = ResponseRepository(session)
    codes = sorted({record.org_code for record in data.responses})
    enrolled = await repository.participants(round_id, codes)
    known = {code: p.lineage for code, p in enrolled.items()}
    outside = sorted(c for c, lineage in known.items() if not covers(lineage, principal.scope))
    if outside:
        raise Forbidden(
            f"Organisations outside your scope: {', '.join(outside)}; nothing was stored."
        )
    rounds.require_open(row, now, action="responses are imported")
    questionnaire = await repository.questionnaire(row)
    programme = await ProgrammeRepository(session).get(row.programme)
    assert programme is not None
    national = national_questions(
        row.programme, questionnaire.version, questionnaire.row_version, questionnaire.content
    )
    national_ids = frozenset(q.id for q in national)
    local = await ParticipationRepository(session).local_questions(round_id)
    forms = {
        code: Form.build(national, _owned_by(local, lineage)) for code, lineage in known.items()
    }

    errors: list[dict[str, Any]] = []
    accepted: list[tuple[str, str, list[Answer], str]] = []  # external id, org, answers, hash
    first: dict[str, int] = {}
    for index, record in enumerate(data.responses):
        loc: list[str | int] = ["body", "responses", index]
        if record.external_id in first:
            errors.append(
                {
                    "loc": [*loc, "external_id"],
                    "message": f"repeats record {first[record.external_id]} of this batch",
                }
            )
            continue
        first[record.external_id] = index
        form = forms.get(record.org_code)
        if form is None:
            errors.append(
                {
                    "loc": [*loc, "org_code"],
                    "message": "is not enrolled in this round (unknown organisations neither); "
                    "enrol it with POST /v1/rounds/{id}/participants",
                }
            )
            continue
        answers, found = validate(form, record.answers, loc)
        errors += found
        if not found:
            accepted.append(
                (
                    record.external_id,
                    record.org_code,
                    answers,
                    content_hash(record.org_code, answers),
                )
            )
    if errors:
        raise Unprocessable(
            "Some records are not valid; correct the entries listed in `errors`. Nothing was "
            "stored.",
            errors=errors,
        )

    existing = await repository.existing(round_id, [external_id for external_id, *_ in accepted])
    changed = sorted(
        external_id
        for external_id, _, _, digest in accepted
        if external_id in existing and existing[external_id] != digest
    )
    if changed:
        raise Conflict(
            "These external ids were imported before with other content: "
            f"{', '.join(changed[:20])}{' …' if len(changed) > 20 else ''}. A response cannot be "
            "changed once stored; nothing was stored.",
            extra={"external_ids": changed},
        )
    new = [item for item in accepted if item[0] not in existing]
    totals = Totals(round_id)
    areas: dict[str, list[tuple[str, int]]] = {}
    month = now.year * 100 + now.month
    for _, org_code, answers, _ in new:
        if org_code not in areas:
            participant = enrolled[org_code]
            areas[org_code] = areas_of(
                municipality=participant.municipality,
                sector=participant.sector,
                by_sector=programme.by_sector,
            )
        totals.add(
            org_code=org_code, areas=areas[org_code], national_ids=national_ids, answers=answers
        )
    if new:
        try:
            await repository.insert_responses(
                [
                    {
                        "id": uuid.uuid4().hex,
                        "round_id": round_id,
                        "org_code": org_code,
                        "month": month,
                        "answers": {qid: value for qid, value, _ in answers},
                        "external_id": external_id,
                        "content_hash": digest,
                    }
                    for external_id, org_code, answers, digest in new
                ]
            )
        except IntegrityError as exc:  # the same external ids, imported concurrently
            raise Conflict(
                "Some of these external ids were imported by a concurrent request; send the "
                "batch again (records already stored then count as unchanged). Nothing was "
                "stored."
            ) from exc
        await repository.add_totals(totals.participant_rows(), totals.area_rows())
        await repository.count_responses(round_id, totals.responses)
    return BatchResult(created=len(new), unchanged=len(accepted) - len(new))
