"""The organisation tree from the local replica, held in memory while a request runs.

Adding leaders in bulk names many organisations; loading the replica's (code, parent, sector)
once answers "is it known, is it below the round's organisation, is it in the caller's scope,
which sector" for every leader without a query per leader.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.auth import NATIONAL_SCOPE
from leko_kit.scope import MAX_DEPTH, covers
from leko_kit.tables import ReplicatedOrganisation


class OrgTree:
    def __init__(self, rows: dict[str, tuple[str | None, str]]) -> None:
        self._rows = rows
        self._lineages: dict[str, tuple[str, ...] | None] = {}

    @classmethod
    async def load(cls, session: AsyncSession) -> OrgTree:
        rows = await session.execute(
            select(
                ReplicatedOrganisation.code,
                ReplicatedOrganisation.parent_code,
                ReplicatedOrganisation.sector,
            )
        )
        return cls({code: (parent, sector) for code, parent, sector in rows})

    def sector(self, code: str) -> str | None:
        row = self._rows.get(code)
        return row[1] if row else None

    def lineage(self, code: str) -> tuple[str, ...] | None:
        """The code and its ancestors, nearest first; None when the replica lacks the code."""
        if code in self._lineages:
            return self._lineages[code]
        chain: tuple[str, ...] | None = None
        if code in self._rows:
            codes = [code]
            parent = self._rows[code][0]
            while parent is not None and parent in self._rows and len(codes) <= MAX_DEPTH:
                codes.append(parent)
                parent = self._rows[parent][0]
            chain = tuple(codes)
        self._lineages[code] = chain
        return chain

    def in_scope(self, code: str, scope: Sequence[str]) -> bool:
        lineage = self.lineage(code)
        return lineage is not None and covers(lineage, scope)

    def covered(self, scope: Sequence[str]) -> set[str] | None:
        """Every code the scope covers; None for the national scope (everything)."""
        if NATIONAL_SCOPE in scope:
            return None
        return {code for code in self._rows if self.in_scope(code, scope)}
