"""Evaluation rounds: created by an `org_admin` for an organisation in its scope, leaders
added in bulk with one-time invitations, response rates while the round runs. Functions take
the caller's session and never commit (the request does).

Rules: the round's themes exist in its question-set version; local questions are 1–300
characters; the anonymity threshold is at least 3; the round closes after it opens, and in
the future. Leaders belong to the round's organisation tree and the caller's scope, are
pseudonymous (CPR numbers refused) and are added once per round. A rejected request stores
nothing: every check runs before the first write.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leko_evaluation.auth import not_found_evaluation
from leko_evaluation.evaluations.repository import EvaluationRepository
from leko_evaluation.evaluations.schemas import (
    EvaluationCreate,
    EvaluationRead,
    GroupRate,
    InvitationToken,
    LeaderInvitations,
    LeaderRead,
    LeadersAdd,
    LeadersAdded,
    LocalQuestionRead,
    RoundStatus,
)
from leko_evaluation.models import LOCAL_THEME, Evaluation, Leader, LeaderGroupCount
from leko_evaluation.organisations import OrgTree
from leko_evaluation.question_sets.repository import QuestionSetRepository
from leko_evaluation.questionnaire import parse_content
from leko_evaluation.scale import GROUPS, Level
from leko_evaluation.statistics.service import count_closed_round
from leko_kit.auth import Principal
from leko_kit.pagination import Page, PageParams, encode_cursor
from leko_kit.problems import Conflict, Forbidden, Unprocessable
from leko_kit.scope import OrgHierarchy, covers
from leko_kit.tokens import new_token, token_hash


def status_at(evaluation: Evaluation, now: datetime) -> RoundStatus:
    if now < evaluation.opens_at:
        return RoundStatus.SCHEDULED
    if now < evaluation.closes_at:
        return RoundStatus.OPEN
    return RoundStatus.CLOSED


def rate(invited: int, responded: int) -> float | None:
    return round(responded / invited, 4) if invited else None


def _rates(totals: dict[str, tuple[int, int]]) -> list[GroupRate]:
    return [
        GroupRate(group=group, invited=invited, responded=responded, rate=rate(invited, responded))
        for group in GROUPS
        if group.value in totals
        for invited, responded in [totals[group.value]]
    ]


async def as_read(session: AsyncSession, row: Evaluation, now: datetime) -> EvaluationRead:
    repository = EvaluationRepository(session)
    return EvaluationRead(
        id=row.id,
        org_code=row.org_code,
        name=row.name,
        year=row.year,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        status=status_at(row, now),
        question_set_version=row.question_set_version,
        themes=list(row.themes),
        local_questions=[LocalQuestionRead(**q) for q in row.local_questions],
        anonymity_threshold=row.anonymity_threshold,
        created_at=row.created_at,
        leaders=await repository.leader_count(row.id),
        response_rates=_rates(await repository.group_totals(row.id)),
    )


async def create(
    session: AsyncSession,
    *,
    hierarchy: OrgHierarchy,
    data: EvaluationCreate,
    principal: Principal,
    now: datetime,
) -> Evaluation:
    lineage = await hierarchy.lineage(data.org_code)
    if lineage is None:
        raise Unprocessable(
            f"Unknown organisation `{data.org_code}`; use a code from "
            "GET /registry/v1/organisations. Nothing was stored.",
            errors=[{"loc": ["body", "org_code"], "message": "unknown organisation"}],
        )
    if not covers(lineage, principal.scope):
        raise Forbidden(
            f"`{data.org_code}` is outside your scope ({', '.join(principal.scope) or 'empty'}); "
            "nothing was stored."
        )
    errors: list[dict[str, Any]] = []
    if data.closes_at <= data.opens_at:
        errors.append({"loc": ["body", "closes_at"], "message": "must be after opens_at"})
    elif data.closes_at <= now:
        errors.append({"loc": ["body", "closes_at"], "message": "is in the past"})
    repository = QuestionSetRepository(session)
    question_set = await (
        repository.current()
        if data.question_set_version is None
        else repository.get(data.question_set_version)
    )
    if question_set is None or question_set.status != "published":
        errors.append(
            {
                "loc": ["body", "question_set_version"],
                "message": "no such published question set; see GET /v1/question-sets",
            }
        )
    else:
        content = parse_content(
            question_set.version, question_set.published_at, question_set.content
        )
        known = {theme.code for theme in content.themes}
        seen: set[str] = set()
        for index, theme in enumerate(data.themes):
            if theme not in known:
                errors.append(
                    {
                        "loc": ["body", "themes", index],
                        "message": f"unknown theme `{theme}`; choose from "
                        f"{', '.join(sorted(known))}",
                    }
                )
            elif theme in seen:
                errors.append({"loc": ["body", "themes", index], "message": "named twice"})
            seen.add(theme)
    if errors:
        raise Unprocessable(
            "The round is not valid; correct the fields listed in `errors`. Nothing was stored.",
            errors=errors,
        )
    assert question_set is not None
    row = Evaluation(
        org_code=data.org_code,
        name=data.name,
        year=data.opens_at.year,
        opens_at=data.opens_at,
        closes_at=data.closes_at,
        question_set_version=question_set.version,
        themes=list(data.themes),
        local_questions=[
            {"id": f"{LOCAL_THEME}-{index:02d}", "text_da": question.text_da}
            for index, question in enumerate(data.local_questions, start=1)
        ],
        anonymity_threshold=data.anonymity_threshold,
        created_at=now,
        created_by=principal.client_id,
    )
    EvaluationRepository(session).add(row)
    await session.flush()
    return row


async def readable(
    session: AsyncSession, *, hierarchy: OrgHierarchy, evaluation_id: int, principal: Principal
) -> Evaluation:
    """The round if the caller's scope covers its organisation; 404 otherwise."""
    row = await EvaluationRepository(session).get(evaluation_id)
    if row is None:
        raise not_found_evaluation(evaluation_id)
    lineage = await hierarchy.lineage(row.org_code)
    if lineage is None or not covers(lineage, principal.scope):
        raise not_found_evaluation(evaluation_id)
    return row


async def page(
    session: AsyncSession, *, params: PageParams, principal: Principal, now: datetime
) -> Page[EvaluationRead]:
    tree = await OrgTree.load(session)
    after = params.cursor_value("id")
    rows = await EvaluationRepository(session).page(
        org_codes=tree.covered(principal.scope),
        after=int(after) if after is not None else None,
        limit=params.limit + 1,
    )
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    return Page(
        items=[await as_read(session, row, now) for row in rows],
        next_cursor=encode_cursor({"id": rows[-1].id}) if more else None,
    )


async def close(
    session: AsyncSession,
    *,
    hierarchy: OrgHierarchy,
    evaluation_id: int,
    principal: Principal,
    now: datetime,
) -> Evaluation:
    """Close an open round now: its reports open, and it is counted in the national totals."""
    row = await readable(
        session, hierarchy=hierarchy, evaluation_id=evaluation_id, principal=principal
    )
    state = status_at(row, now)
    if state is not RoundStatus.OPEN:
        raise Conflict(
            f"The round is {state.value}; only an open round can be closed early."
            + (
                f" It opens at {row.opens_at:%Y-%m-%d %H:%M} UTC."
                if state.value == "scheduled"
                else ""
            )
        )
    row.closes_at = now
    await session.flush()
    await count_closed_round(session, evaluation_id=row.id, now=now)
    return row


async def add_leaders(
    session: AsyncSession,
    *,
    hierarchy: OrgHierarchy,
    evaluation_id: int,
    data: LeadersAdd,
    principal: Principal,
    now: datetime,
) -> LeadersAdded:
    """Add leaders with their respondents; returns one token per invited respondent."""
    evaluation = await readable(
        session, hierarchy=hierarchy, evaluation_id=evaluation_id, principal=principal
    )
    if status_at(evaluation, now) is RoundStatus.CLOSED:
        raise Conflict(
            f"The round closed at {evaluation.closes_at:%Y-%m-%d %H:%M} UTC; leaders can only "
            "be added before it closes. Nothing was stored."
        )
    tree = await OrgTree.load(session)
    errors: list[dict[str, Any]] = []
    outside: list[str] = []
    seen: dict[str, int] = {}
    for index, leader in enumerate(data.leaders):
        loc = ["body", "leaders", index]
        lineage = tree.lineage(leader.org_code)
        if lineage is None:
            errors.append({"loc": [*loc, "org_code"], "message": "unknown organisation"})
        elif not covers(lineage, principal.scope):
            outside.append(leader.org_code)
        elif evaluation.org_code not in lineage:
            errors.append(
                {
                    "loc": [*loc, "org_code"],
                    "message": f"is not within the round's organisation `{evaluation.org_code}`",
                }
            )
        if leader.leader_ref in seen:
            errors.append(
                {
                    "loc": [*loc, "leader_ref"],
                    "message": f"repeats leader {seen[leader.leader_ref]} of this request",
                }
            )
        seen.setdefault(leader.leader_ref, index)
    if outside:
        raise Forbidden(
            f"Organisations outside your scope: {', '.join(sorted(set(outside)))}; nothing "
            "was stored."
        )
    if errors:
        raise Unprocessable(
            "Some leaders are not valid; correct the fields listed in `errors`. Nothing was "
            "stored.",
            errors=errors,
        )
    repository = EvaluationRepository(session)
    existing = await repository.existing_refs(evaluation.id, list(seen))
    if existing:
        raise Conflict(
            f"Already in this round: {', '.join(sorted(existing))}. Leaders are added once; "
            "nothing was stored."
        )
    ids = await repository.insert_leaders(
        [
            {
                "evaluation_id": evaluation.id,
                "leader_ref": leader.leader_ref,
                "display_name": leader.display_name,
                "org_code": leader.org_code,
                "sector": tree.sector(leader.org_code) or "unknown",
                "level": leader.level.value,
                "responses": 0,
            }
            for leader in data.leaders
        ]
    )
    counts: list[dict[str, Any]] = []
    invitations: list[dict[str, Any]] = []
    added: list[LeaderInvitations] = []
    for leader in data.leaders:
        leader_id = ids[leader.leader_ref]
        tokens: list[InvitationToken] = []
        for group, invited in leader.respondents.counts().items():
            if invited == 0:
                continue
            counts.append(
                {"leader_id": leader_id, "group": group.value, "invited": invited, "responded": 0}
            )
            for _ in range(invited):
                token = new_token()
                tokens.append(InvitationToken(group=group, token=token))
                invitations.append(
                    {
                        "token_hash": token_hash(token),
                        "leader_id": leader_id,
                        "group": group.value,
                        "spent": False,
                    }
                )
        added.append(LeaderInvitations(leader_ref=leader.leader_ref, invitations=tokens))
    await repository.insert_group_counts(counts)
    await repository.insert_invitations(invitations)
    return LeadersAdded(leaders=added)


def leader_read(leader: Leader, counts: list[LeaderGroupCount]) -> LeaderRead:
    by_group = {row.group: row for row in counts}
    return LeaderRead(
        leader_ref=leader.leader_ref,
        display_name=leader.display_name,
        org_code=leader.org_code,
        level=Level(leader.level),
        responses=leader.responses,
        response_rates=[
            GroupRate(
                group=group,
                invited=by_group[group.value].invited,
                responded=by_group[group.value].responded,
                rate=rate(by_group[group.value].invited, by_group[group.value].responded),
            )
            for group in GROUPS
            if group.value in by_group
        ],
    )


async def leaders(
    session: AsyncSession,
    *,
    hierarchy: OrgHierarchy,
    evaluation_id: int,
    params: PageParams,
    principal: Principal,
) -> Page[LeaderRead]:
    """The round's leaders with response rates per group, counts only."""
    await readable(session, hierarchy=hierarchy, evaluation_id=evaluation_id, principal=principal)
    repository = EvaluationRepository(session)
    after = params.cursor_value("id")
    rows = await repository.leaders_page(
        evaluation_id, after=int(after) if after is not None else None, limit=params.limit + 1
    )
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    counts = await repository.group_counts([row.id for row in rows])
    by_leader: dict[int, list[LeaderGroupCount]] = {}
    for count in counts:
        by_leader.setdefault(count.leader_id, []).append(count)
    return Page(
        items=[leader_read(row, by_leader.get(row.id, [])) for row in rows],
        next_cursor=encode_cursor({"id": rows[-1].id}) if more else None,
    )
