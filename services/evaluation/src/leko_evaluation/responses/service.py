"""Answering an invitation: no account, the token is the only credential and works once.

The questionnaire is the round's (core questions, its themes, its local questions) worded for
the token's respondent group. A response is accepted while the round is open, once per token,
and only when it fits the questionnaire: every core question answered (a value or null for
"ved ikke"), theme and local questions optional, no question twice, no question from outside
the questionnaire, values 1–5. Storing it spends the token, stores the response (leader,
group, month: never the token or the invitation) with its answers, and counts it in the
leader's response rates, all in one transaction (on PostgreSQL one statement, which the busy
route shares with the responses arriving at the same moment: `check`, then
`leko_kit.group_write.checked_write`). The leader's answer counts per question are counted
from the answers when a report is read (see `reports.repository`); the round enters the
national totals when it closes (see `statistics.service`), so that no figure anyone can read
moves answer by answer.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leko_evaluation.evaluations.schemas import RoundStatus
from leko_evaluation.question_sets.schemas import QuestionSetWrite
from leko_evaluation.questionnaire import build, cached_content, parse_content
from leko_evaluation.responses.repository import (
    InvitationContext,
    ResponseRepository,
    Submission,
)
from leko_evaluation.responses.schemas import (
    Questionnaire,
    ResponseReceipt,
    ResponseWrite,
)
from leko_evaluation.scale import Group
from leko_kit.problems import Conflict, NotFound, Unprocessable
from leko_kit.tokens import token_hash

_SPENT = (
    "This invitation has already been used: each invitation answers once. If you have not "
    "answered yourself, ask the person who sent it for a new one."
)


def _status(context: InvitationContext, now: datetime) -> RoundStatus:
    if now < context.opens_at:
        return RoundStatus.SCHEDULED
    return RoundStatus.OPEN if now < context.closes_at else RoundStatus.CLOSED


async def _context(session: AsyncSession, token: str) -> tuple[str, InvitationContext]:
    hashed = token_hash(token)
    context = await ResponseRepository(session).context(hashed)
    if context is None:
        raise NotFound("No invitation with this token; check the link you were sent.")
    return hashed, context


async def _content(session: AsyncSession, context: InvitationContext) -> QuestionSetWrite:
    content = cached_content(context.version, context.published_at)
    if content is None:
        raw = await ResponseRepository(session).content(context.version)
        content = parse_content(context.version, context.published_at, raw)
    return content


# (version, published_at, themes, local question ids) -> (question -> theme, core ids); a
# published version and a round's themes and local questions never change.
_SHAPES: dict[tuple[Any, ...], tuple[dict[str, str], frozenset[str]]] = {}
_SHAPES_SIZE = 4096


async def _shape(
    session: AsyncSession, context: InvitationContext
) -> tuple[dict[str, str], frozenset[str]]:
    """The round's questions (id → theme) and its core question ids."""
    key = (
        context.version,
        context.published_at,
        tuple(context.themes),
        tuple(q["id"] for q in context.local_questions),
    )
    shape = _SHAPES.get(key) if context.published_at is not None else None
    if shape is None:
        content = await _content(session, context)
        built = build(content, context.themes, context.local_questions)
        shape = (built.theme_of(), built.core_ids)
        if context.published_at is not None:
            if len(_SHAPES) >= _SHAPES_SIZE:
                _SHAPES.clear()
            _SHAPES[key] = shape
    return shape


async def questionnaire(session: AsyncSession, *, token: str, now: datetime) -> Questionnaire:
    _, context = await _context(session, token)
    if context.spent:
        raise Conflict(_SPENT)
    content = await _content(session, context)
    group = Group(context.group)
    built = build(content, context.themes, context.local_questions, group)
    return Questionnaire(
        group=group,
        evaluation_name=context.evaluation_name,
        leader_display_name=context.display_name,
        opens_at=context.opens_at,
        closes_at=context.closes_at,
        status=_status(context, now),
        questions=list(built.questions),
    )


def _validate(
    data: ResponseWrite, theme_of: dict[str, str], core: frozenset[str]
) -> list[tuple[str, int | None]]:
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    answers: list[tuple[str, int | None]] = []
    for index, answer in enumerate(data.answers):
        loc = ["body", "answers", index, "question_id"]
        if answer.question_id not in theme_of:
            errors.append({"loc": loc, "message": "is not a question of this questionnaire"})
        elif answer.question_id in seen:
            errors.append({"loc": loc, "message": "is answered twice; answer each question once"})
        else:
            seen.add(answer.question_id)
            answers.append((answer.question_id, answer.value))
    missing = sorted(core - seen)
    if missing:
        errors.append(
            {
                "loc": ["body", "answers"],
                "message": "every core question needs an answer (a value, or null for “ved "
                f"ikke”); missing: {', '.join(missing)}",
            }
        )
    if errors:
        raise Unprocessable(
            "The answers do not fit the questionnaire; correct the entries listed in "
            "`errors`. Nothing was stored and the invitation can still be used.",
            errors=errors,
        )
    return answers


async def check(
    session: AsyncSession, *, token: str, data: ResponseWrite, now: datetime
) -> Submission:
    """The response to store for `token`, once the invitation, the round's window and the
    answers have been checked (a problem otherwise)."""
    hashed, context = await _context(session, token)
    if context.spent:
        raise Conflict(_SPENT)
    state = _status(context, now)
    if state is RoundStatus.SCHEDULED:
        raise Conflict(
            f"The evaluation is not open yet: answers are accepted from "
            f"{context.opens_at:%Y-%m-%d %H:%M} UTC."
        )
    if state is RoundStatus.CLOSED:
        raise Conflict(
            f"The evaluation closed at {context.closes_at:%Y-%m-%d %H:%M} UTC and accepts no "
            "more answers."
        )
    theme_of, core = await _shape(session, context)
    return Submission(
        token_hash=hashed,
        response_id=uuid.uuid4().hex,
        leader_id=context.leader_id,
        group=context.group,
        year=context.year,
        month=now.year * 100 + now.month,
        answers=_validate(data, theme_of, core),
    )


def receipt(submission: Submission, stored: bool) -> ResponseReceipt:
    """The answer to a checked response; 409 when its invitation was spent meanwhile."""
    if not stored:
        raise Conflict(_SPENT)
    return ResponseReceipt(group=Group(submission.group), answers=len(submission.answers))


async def respond(
    session: AsyncSession, *, token: str, data: ResponseWrite, now: datetime
) -> ResponseReceipt:
    """Check and store a response in the session's transaction."""
    submission = await check(session, token=token, data=data, now=now)
    repository = ResponseRepository(session)
    if repository.direct:
        return receipt(submission, await repository.record(submission))
    if not await repository.spend(submission.token_hash):
        raise Conflict(_SPENT)
    await repository.store(submission)
    await repository.count_response(submission.leader_id, submission.group)
    return receipt(submission, stored=True)
