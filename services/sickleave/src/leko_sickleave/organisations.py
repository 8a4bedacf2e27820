"""The organisation tree from the local replica, held in memory while a write request runs.

A batch of absences names many organisations; loading the replica's (code, parent) pairs once
answers every record's "is it known, is it in the caller's scope, which subtrees does it count
in" without a query per record.
"""

from __future__ import annotations

from collections.abc import KeysView, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.scope import MAX_DEPTH, covers
from leko_kit.tables import ReplicatedOrganisation
from leko_sickleave.models import NATIONAL_NODE


class OrgTree:
    """Organisation codes and their parents; lineages are computed once per code."""

    def __init__(self, parents: dict[str, str | None]) -> None:
        self._parents = parents
        self._lineages: dict[str, tuple[str, ...] | None] = {}
        self._nodes: dict[str, tuple[str, ...]] = {}

    @classmethod
    async def load(cls, session: AsyncSession) -> OrgTree:
        rows = await session.execute(
            select(ReplicatedOrganisation.code, ReplicatedOrganisation.parent_code)
        )
        return cls({code: parent for code, parent in rows})

    @property
    def codes(self) -> KeysView[str]:
        """Every organisation code of the replica."""
        return self._parents.keys()

    def lineage(self, code: str) -> tuple[str, ...] | None:
        """The code and its ancestors, nearest first; None when the replica lacks the code."""
        if code in self._lineages:
            return self._lineages[code]
        chain: tuple[str, ...] | None = None
        if code in self._parents:
            codes = [code]
            parent = self._parents[code]
            while parent is not None and parent in self._parents and len(codes) <= MAX_DEPTH:
                codes.append(parent)
                parent = self._parents[parent]
            chain = tuple(codes)
        self._lineages[code] = chain
        return chain

    def nodes(self, code: str) -> tuple[str, ...]:
        """Where a record of `code` counts: its lineage and the national node."""
        nodes = self._nodes.get(code)
        if nodes is None:
            nodes = self._nodes[code] = (*(self.lineage(code) or (code,)), NATIONAL_NODE)
        return nodes

    def in_scope(self, code: str, scope: Sequence[str]) -> bool:
        lineage = self.lineage(code)
        return lineage is not None and covers(lineage, scope)
