"""Answering a round: by one-time invitation token, or in bulk by a vendor's `reporter`.

A response fits the organisation's questionnaire (the round's national questions and the local
questions of the organisation and the organisations above it): every question answered once
(a value, or null for "ved ikke"), no foreign question, scale values 1–5, choice values among
the options. It is accepted while the round is open. Storing it keeps the round, the
organisation, the month and the answers — never the token — and adds it, in the same
transaction, to the organisation's totals, so results never read responses (the totals of
areas, municipality to nation, are added up from the organisations' when a closed round's
results are first read). A rejected request stores nothing and leaves the token usable.

On PostgreSQL the token path reads the invitation's context in one query and writes the
response in one statement; from the lean route, together with the responses that arrive at the
same moment (`check`, then `leko_kit.group_write.checked_write`: one statement and
one commit for all of them). The national questionnaire content and each organisation's form
are cached per process (a version a round uses is immutable, and local questions are never
edited).

A batch is atomic and idempotent on `external_id`: a record sent before with the same content
is `unchanged`, with other content 409; every bad record is named in one 422.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from asyncpg.exceptions import UniqueViolationError  # type: ignore[import-untyped]
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.auth import Principal
from leko_kit.problems import Conflict, Forbidden, NotFound, Unprocessable
from leko_kit.scope import covers
from leko_kit.tokens import token_hash
from leko_surveys.models import (
    COUNTERS,
    LocalQuestion,
)
from leko_surveys.organisations import lineages, names
from leko_surveys.participation.repository import ParticipationRepository
from leko_surveys.programmes.repository import ProgrammeRepository
from leko_surveys.questionnaire import Form, national_questions
from leko_surveys.responses.repository import (
    AnswerContext,
    InvitationContext,
    Pending,
    ResponseRepository,
)
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


_SLOT_INDEX = {None: 5, 1: 0, 2: 1, 3: 2, 4: 3, 5: 4}  # counter slot → position in COUNTERS


@dataclass
class Totals:
    """Counter increments of a request, one row per key: six counts in `COUNTERS` order."""

    round_id: int
    participants: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    responses: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, *, org_code: str, answers: Sequence[Answer]) -> None:
        self.responses[org_code] += 1
        participants = self.participants
        for question_id, _, slot in answers:
            key = (org_code, question_id)
            row = participants.get(key)
            if row is None:
                row = participants[key] = [0, 0, 0, 0, 0, 0]
            row[_SLOT_INDEX[slot]] += 1

    def participant_rows(self) -> list[dict[str, Any]]:
        return [
            {"round_id": self.round_id, "org_code": org, "question_id": qid}
            | dict(zip(COUNTERS, row, strict=True))
            for (org, qid), row in self.participants.items()
        ]


async def _context(session: AsyncSession, token: str) -> tuple[str, InvitationContext]:
    hashed = token_hash(token)
    context = await ResponseRepository(session).context(hashed)
    if context is None:
        raise NotFound("No invitation with this token; check the link you were sent.")
    return hashed, context


async def _form(session: AsyncSession, context: InvitationContext) -> Form:
    national = national_questions(
        context.programme, context.version, context.row_version, context.content
    )
    local = await ResponseRepository(session).local_questions(context.round_id, context.lineage)
    return Form.build(national, local)


async def questionnaire(
    session: AsyncSession, *, token: str, now: datetime
) -> InvitationQuestionnaire:
    _, context = await _context(session, token)
    if context.spent:
        raise Conflict(_SPENT)
    form = await _form(session, context)
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


def _not_open(context: rounds.Window, now: datetime) -> Conflict | None:
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


# (programme, version, row version, local question ids) → the form. A questionnaire version a
# round uses is immutable, and a local question's text never changes.
_FORMS: dict[tuple[Any, ...], Form] = {}
_FORMS_SIZE = 4096


async def _cached_form(repository: ResponseRepository, context: AnswerContext) -> Form:
    key = (
        context.programme,
        context.version,
        context.row_version,
        tuple(number for number, _, _ in context.local),
    )
    found = _FORMS.get(key)
    if found is None:
        national = national_questions(
            context.programme,
            context.version,
            context.row_version,
            await repository.content(context.programme, context.version),
        )
        local = [
            LocalQuestion(id=number, round_id=context.round_id, owner_code=owner, text_da=text)
            for number, owner, text in context.local
        ]
        found = Form.build(national, local)
        if len(_FORMS) >= _FORMS_SIZE:
            _FORMS.clear()
        _FORMS[key] = found
    return found


def _invalid(errors: list[dict[str, Any]]) -> Unprocessable:
    return Unprocessable(
        "The answers do not fit the questionnaire; correct the entries listed in `errors`. "
        "Nothing was stored and the invitation can still be used.",
        errors=errors,
    )


async def check(
    session: AsyncSession, *, token: str, data: ResponseWrite, now: datetime
) -> Pending:
    """PostgreSQL: the response to store for `token`, once the invitation, the round's window
    and the answers have been checked (a problem otherwise); the context in one query."""
    repository = ResponseRepository(session)
    hashed = token_hash(token)
    context = await repository.answer_context(hashed)
    if context is None:
        raise NotFound("No invitation with this token; check the link you were sent.")
    if context.spent:
        raise Conflict(_SPENT)
    closed = _not_open(context, now)
    if closed is not None:
        raise closed
    form = await _cached_form(repository, context)
    answers, errors = validate(form, data.answers, ["body"])
    if errors:
        raise _invalid(errors)
    return Pending(
        token_hash=hashed,
        response_id=uuid.uuid4().hex,
        round_id=context.round_id,
        org_code=context.org_code,
        month=now.year * 100 + now.month,
        answers_json=json.dumps({qid: value for qid, value, _ in answers}, ensure_ascii=False),
        answers=[(qid, slot) for qid, _, slot in answers],
    )


def receipt(item: Pending, stored: bool) -> ResponseReceipt:
    """The answer to a checked response; 409 when its invitation was spent meanwhile."""
    if not stored:
        raise Conflict(_SPENT)
    return ResponseReceipt(answers=len(item.answers))


async def respond(
    session: AsyncSession, *, token: str, data: ResponseWrite, now: datetime
) -> ResponseReceipt:
    """Check and store a token's response in the session's transaction."""
    repository = ResponseRepository(session)
    if repository.direct:
        item = await check(session, token=token, data=data, now=now)
        return receipt(item, await repository.record(item))
    hashed, context = await _context(session, token)
    if context.spent:
        raise Conflict(_SPENT)
    closed = _not_open(context, now)
    if closed is not None:
        raise closed
    form = await _form(session, context)
    answers, errors = validate(form, data.answers, ["body"])
    if errors:
        raise _invalid(errors)
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
    totals.add(org_code=context.org_code, answers=answers)
    await repository.add_totals(totals.participant_rows())
    await repository.count_responses(context.round_id, totals.responses)
    return ResponseReceipt(answers=len(answers))


def content_hash(org_code: str, answers: Sequence[Answer]) -> str:
    canonical = json.dumps(
        {"org_code": org_code, "answers": sorted([qid, value] for qid, value, _ in answers)},
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _concurrent_import() -> Conflict:
    return Conflict(
        "Some of these external ids were imported by a concurrent request; send the batch "
        "again (records already stored then count as unchanged). Nothing was stored."
    )


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
    # Scope first, on the replica, for every organisation (enrolled or not, known or not), so
    # a reporter outside it is refused alike and learns nothing about enrolment.
    placed = await lineages(session, codes)
    outside = [code for code in codes if not covers(placed.get(code, ()), principal.scope)]
    if outside:
        raise Forbidden(
            f"Organisations outside your scope: {', '.join(outside)}; nothing was stored."
        )
    enrolled = await repository.participants(round_id, codes)
    known = {code: p.lineage for code, p in enrolled.items()}
    rounds.require_open(row, now, action="responses are imported")
    questionnaire = await repository.questionnaire(row)
    programme = await ProgrammeRepository(session).get(row.programme)
    assert programme is not None
    national = national_questions(
        row.programme, questionnaire.version, questionnaire.row_version, questionnaire.content
    )
    local = await ParticipationRepository(session).local_questions(round_id)
    # One form per set of local questions (most organisations of a municipality share one),
    # not one per organisation: a batch spans up to 2,000 of them.
    built: dict[tuple[int, ...], Form] = {}
    forms: dict[str, Form] = {}
    for code, lineage in known.items():
        owned = _owned_by(local, lineage)
        key = tuple(row.id for row in owned)
        form = built.get(key)
        if form is None:
            form = built[key] = Form.build(national, owned)
        forms[code] = form

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
    month = now.year * 100 + now.month
    for _, org_code, answers, _ in new:
        totals.add(org_code=org_code, answers=answers)
    if new and repository.direct:
        try:
            await repository.insert_responses_direct(
                round_id,
                month,
                [
                    (
                        uuid.uuid4().hex,
                        org_code,
                        json.dumps({qid: value for qid, value, _ in answers}, ensure_ascii=False),
                        external_id,
                        digest,
                    )
                    for external_id, org_code, answers, digest in new
                ],
            )
        except UniqueViolationError as exc:
            raise _concurrent_import() from exc
        await repository.add_totals_direct(round_id, totals.participants)
        await repository.count_responses(round_id, totals.responses)
    elif new:
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
            raise _concurrent_import() from exc
        await repository.add_totals(totals.participant_rows())
        await repository.count_responses(round_id, totals.responses)
    return BatchResult(created=len(new), unchanged=len(accepted) - len(new))
