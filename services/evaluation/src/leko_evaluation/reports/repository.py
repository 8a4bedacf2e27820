"""Every query of the reports; they read the write-time aggregates, never the answers."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_evaluation.models import (
    Evaluation,
    Leader,
    LeaderGroupCount,
    LeaderQuestionTotal,
    NationalQuestionTotal,
    QuestionSet,
)
from leko_evaluation.scale import Group
from leko_evaluation.stats import Counts

_COUNTS = (
    LeaderQuestionTotal.n1,
    LeaderQuestionTotal.n2,
    LeaderQuestionTotal.n3,
    LeaderQuestionTotal.n4,
    LeaderQuestionTotal.n5,
    LeaderQuestionTotal.dont_know,
)


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def evaluation(self, evaluation_id: int) -> Evaluation | None:
        return await self.session.get(Evaluation, evaluation_id)

    async def question_set(self, version: int) -> QuestionSet | None:
        return await self.session.get(QuestionSet, version)

    async def leader(self, evaluation_id: int, leader_ref: str) -> Leader | None:
        return await self.session.scalar(
            select(Leader).where(
                Leader.evaluation_id == evaluation_id, Leader.leader_ref == leader_ref
            )
        )

    async def leader_counts(self, leader_id: int) -> dict[str, tuple[int, int]]:
        rows = await self.session.execute(
            select(
                LeaderGroupCount.group, LeaderGroupCount.invited, LeaderGroupCount.responded
            ).where(LeaderGroupCount.leader_id == leader_id)
        )
        return {group: (invited, responded) for group, invited, responded in rows}

    async def leader_totals(self, leader_id: int) -> dict[tuple[str, str], Counts]:
        """(group, question) → counts for one leader."""
        rows = await self.session.execute(
            select(LeaderQuestionTotal.group, LeaderQuestionTotal.question_id, *_COUNTS).where(
                LeaderQuestionTotal.leader_id == leader_id
            )
        )
        return {(group, qid): Counts(*values) for group, qid, *values in rows}

    async def leaders(self, evaluation_id: int) -> dict[int, str]:
        """Leader id → level, for a round."""
        rows = await self.session.execute(
            select(Leader.id, Leader.level).where(Leader.evaluation_id == evaluation_id)
        )
        return {leader_id: level for leader_id, level in rows}

    async def round_counts(self, evaluation_id: int) -> list[tuple[int, str, int, int]]:
        """(leader id, group, invited, responded) for every leader of a round."""
        rows = await self.session.execute(
            select(
                LeaderGroupCount.leader_id,
                LeaderGroupCount.group,
                LeaderGroupCount.invited,
                LeaderGroupCount.responded,
            )
            .join(Leader, Leader.id == LeaderGroupCount.leader_id)
            .where(Leader.evaluation_id == evaluation_id)
        )
        return [
            (leader_id, group, invited, responded) for leader_id, group, invited, responded in rows
        ]

    async def round_totals(self, evaluation_id: int) -> dict[tuple[int, str, str], Counts]:
        """(leader id, group, question) → counts for every leader of a round."""
        rows = await self.session.execute(
            select(
                LeaderQuestionTotal.leader_id,
                LeaderQuestionTotal.group,
                LeaderQuestionTotal.question_id,
                *_COUNTS,
            )
            .join(Leader, Leader.id == LeaderQuestionTotal.leader_id)
            .where(Leader.evaluation_id == evaluation_id)
        )
        return {(lid, group, qid): Counts(*values) for lid, group, qid, *values in rows}

    async def national_core(self, year: int, question_ids: list[str]) -> dict[str, Counts]:
        """The year's national counts per core question over the groups other than self."""
        table = NationalQuestionTotal
        rows = await self.session.execute(
            select(
                table.question_id,
                func.sum(table.n1),
                func.sum(table.n2),
                func.sum(table.n3),
                func.sum(table.n4),
                func.sum(table.n5),
                func.sum(table.dont_know),
            )
            .where(
                table.year == year,
                table.question_id.in_(question_ids),
                table.group != Group.SELF.value,
            )
            .group_by(table.question_id)
        )
        return {qid: Counts(*(int(v) for v in values)) for qid, *values in rows}
