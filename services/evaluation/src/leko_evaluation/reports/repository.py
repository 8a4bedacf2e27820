"""Every query of the reports.

Response rates and the national benchmark come from the write-time aggregates. The answer
counts per leader, group and question are counted from the leader's own answers when a
report is read: a leader has a few dozen responses of about 20 answers, found through
`responses.leader_id` and the answers' primary key. Keeping a counter row per leader, group
and question up to date instead cost about 20 upserts per response (a fifth of the response
path's database time, and four million rows churned at national scale); reports open only
when a round closes, so they are read rarely next to how often responses are written.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_evaluation.models import (
    Answer,
    Evaluation,
    Leader,
    LeaderGroupCount,
    NationalQuestionTotal,
    QuestionSet,
    Response,
)
from leko_evaluation.scale import Group
from leko_evaluation.stats import Counts

# How many answered 1, 2, 3, 4, 5 and "ved ikke" (null).
_COUNTS = (
    *(func.count().filter(Answer.value == value) for value in range(1, 6)),
    func.count().filter(Answer.value.is_(None)),
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
        """(group, question) → counts for one leader.

        Two lookups by key (the leader's responses, then their answers by primary key) rather
        than one join: a join's plan depends on the table statistics, and with stale ones (a
        table that grew fast since it was last analysed) PostgreSQL scanned every answer."""
        responses = await self.session.execute(
            select(Response.id, Response.group).where(Response.leader_id == leader_id)
        )
        groups: dict[str, str] = {response_id: group for response_id, group in responses}
        if not groups:
            return {}
        rows = await self.session.execute(
            select(Answer.response_id, Answer.question_id, Answer.value).where(
                Answer.response_id.in_(list(groups))
            )
        )
        tallies: dict[tuple[str, str], list[int]] = {}
        for response_id, question_id, value in rows:
            tally = tallies.setdefault((groups[response_id], question_id), [0] * 6)
            tally[5 if value is None else value - 1] += 1
        return {key: Counts(*tally) for key, tally in tallies.items()}

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
            select(Response.leader_id, Response.group, Answer.question_id, *_COUNTS)
            .join(Answer, Answer.response_id == Response.id)
            .join(Leader, Leader.id == Response.leader_id)
            .where(Leader.evaluation_id == evaluation_id)
            .group_by(Response.leader_id, Response.group, Answer.question_id)
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
