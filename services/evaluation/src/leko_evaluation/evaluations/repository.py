"""Every query on rounds, leaders and invitations; no rules, no commits."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_evaluation.models import Evaluation, Invitation, Leader, LeaderGroupCount


class EvaluationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, evaluation_id: int) -> Evaluation | None:
        return await self.session.get(Evaluation, evaluation_id)

    def add(self, row: Evaluation) -> None:
        self.session.add(row)

    async def page(
        self, *, org_codes: set[str] | None, after: int | None, limit: int
    ) -> list[Evaluation]:
        query = select(Evaluation).order_by(Evaluation.id.desc()).limit(limit)
        if org_codes is not None:
            query = query.where(Evaluation.org_code.in_(sorted(org_codes)))
        if after is not None:
            query = query.where(Evaluation.id < after)
        return list(await self.session.scalars(query))

    async def leader_count(self, evaluation_id: int) -> int:
        count = await self.session.scalar(
            select(func.count()).select_from(Leader).where(Leader.evaluation_id == evaluation_id)
        )
        return int(count or 0)

    async def group_totals(self, evaluation_id: int) -> dict[str, tuple[int, int]]:
        """Invited and responded per group over the round's leaders."""
        rows = await self.session.execute(
            select(
                LeaderGroupCount.group,
                func.sum(LeaderGroupCount.invited),
                func.sum(LeaderGroupCount.responded),
            )
            .join(Leader, Leader.id == LeaderGroupCount.leader_id)
            .where(Leader.evaluation_id == evaluation_id)
            .group_by(LeaderGroupCount.group)
        )
        return {group: (int(invited), int(responded)) for group, invited, responded in rows}

    async def existing_refs(self, evaluation_id: int, refs: Sequence[str]) -> set[str]:
        rows = await self.session.scalars(
            select(Leader.leader_ref).where(
                Leader.evaluation_id == evaluation_id, Leader.leader_ref.in_(list(refs))
            )
        )
        return set(rows)

    async def insert_leaders(self, rows: list[dict[str, Any]]) -> dict[str, int]:
        """Insert leaders; returns their ids by `leader_ref`."""
        result = await self.session.execute(
            insert(Leader).returning(Leader.leader_ref, Leader.id), rows
        )
        return {ref: leader_id for ref, leader_id in result}

    async def insert_group_counts(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(LeaderGroupCount), rows)

    async def insert_invitations(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(insert(Invitation), rows)

    async def leaders_page(
        self, evaluation_id: int, *, after: int | None, limit: int
    ) -> list[Leader]:
        query = (
            select(Leader)
            .where(Leader.evaluation_id == evaluation_id)
            .order_by(Leader.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(Leader.id > after)
        return list(await self.session.scalars(query))

    async def group_counts(self, leader_ids: Sequence[int]) -> list[LeaderGroupCount]:
        if not leader_ids:
            return []
        rows = await self.session.scalars(
            select(LeaderGroupCount).where(LeaderGroupCount.leader_id.in_(list(leader_ids)))
        )
        return list(rows)

    async def leader(self, evaluation_id: int, leader_ref: str) -> Leader | None:
        return await self.session.scalar(
            select(Leader).where(
                Leader.evaluation_id == evaluation_id, Leader.leader_ref == leader_ref
            )
        )
