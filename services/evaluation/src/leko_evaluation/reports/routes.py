"""HTTP endpoints of the reports; the rules live in the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from leko_evaluation.auth import OrgAdmin, ReportReader
from leko_evaluation.evaluations.routes import EvaluationId
from leko_evaluation.openapi import problems
from leko_evaluation.reports import html, service
from leko_evaluation.reports.schemas import LeaderReport, OrganisationReport
from leko_kit.db import ReadSession
from leko_kit.dependencies import Now, Replica

router = APIRouter(prefix="/v1/evaluations", tags=["reports"])

LeaderRef = Annotated[str, Path(min_length=1, max_length=128, examples=["buf-leder-0042"])]
_LEADER = (
    "Readers: the leader it concerns (role `leader` bound to this `leader_ref`, within its "
    "scope) and an `org_admin` whose scope covers the leader's unit; anyone else gets 404, as "
    "if there were no such leader. The report opens when the round closes (409 before). "
    "Per respondent group: `n` respondents and, per theme and statement, the mean (answers "
    "1–5; “ved ikke” counts in the distribution only) and the distribution. Employee, peer "
    "and other groups with fewer respondents than the round's anonymity threshold are "
    "suppressed (`suppressed: true` with the reason) and left out of the others' mean; the "
    "self-assessment and the superior are shown as the answers they are, by design. "
    "`self_other` sets the leader's own answer against the mean of the other shown groups "
    "(gap = self − others, `notable` from one scale point), per statement and per theme; "
    "`benchmark` compares the others' mean with all leaders of the year on the core "
    "questions."
)


@router.get(
    "/{evaluation_id}/leaders/{leader_ref}/report",
    summary="A leader's 360° report",
    description=_LEADER,
    responses=problems(401, 403, 404, 409, 422),
)
async def get_leader_report(
    evaluation_id: EvaluationId,
    leader_ref: LeaderRef,
    principal: ReportReader,
    session: ReadSession,
    replica: Replica,
    now: Now,
) -> LeaderReport:
    return await service.leader_report(
        session,
        hierarchy=replica,
        evaluation_id=evaluation_id,
        leader_ref=leader_ref,
        principal=principal,
        now=now,
    )


@router.get(
    "/{evaluation_id}/leaders/{leader_ref}/report.html",
    summary="A leader's report as a printable page",
    description="The same report as a Danish HTML page to print or share on screen in the "
    "dialogue with the staff: response rates, every theme's statements with the shown "
    "groups' means, self against others with notable gaps highlighted, and the national "
    "benchmark. " + _LEADER,
    response_class=HTMLResponse,
    responses={
        **{200: {"content": {"text/html": {"example": "<!doctype html>…"}}}},
        **problems(401, 403, 404, 409, 422),
    },
)
async def get_leader_report_html(
    evaluation_id: EvaluationId,
    leader_ref: LeaderRef,
    principal: ReportReader,
    session: ReadSession,
    replica: Replica,
    now: Now,
) -> HTMLResponse:
    report = await service.leader_report(
        session,
        hierarchy=replica,
        evaluation_id=evaluation_id,
        leader_ref=leader_ref,
        principal=principal,
        now=now,
    )
    return HTMLResponse(html.render(report), headers={"Cache-Control": "private, no-store"})


@router.get(
    "/{evaluation_id}/report",
    summary="The organisation report of a round",
    description="For `org_admin` whose scope covers the round's organisation (others 404): "
    "the figures pooled over the round's leaders, for all of them and per leader level "
    "(`top`, `middle`, `first_line`), per respondent group, theme and statement. Opens when "
    "the round closes (409 before). A cell with fewer respondents than the threshold is "
    "suppressed, and so is a neighbouring cell when the suppressed one could otherwise be "
    "worked out from the total (complementary suppression). A leader's group too small for "
    "that leader's own report joins a cell only when the small groups of the cell together "
    "reach the threshold; otherwise it is left out (`withheld_respondents`), so that this "
    "report minus the leaders' reports reveals nothing.",
    responses=problems(401, 403, 404, 409, 422),
)
async def get_organisation_report(
    evaluation_id: EvaluationId,
    principal: OrgAdmin,
    session: ReadSession,
    replica: Replica,
    now: Now,
) -> OrganisationReport:
    return await service.organisation_report(
        session, hierarchy=replica, evaluation_id=evaluation_id, principal=principal, now=now
    )
