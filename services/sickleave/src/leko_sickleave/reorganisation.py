"""Moving a subtree's figures along when the registry gives an organisation a new parent.

Every aggregate row of a node stands for the node's whole subtree, so a move is exact without
touching a single spell: the moved organisation's own rows are subtracted from each former
ancestor it leaves and added to each new ancestor it joins (ancestors both lineages share, and
the country, keep theirs). Per-employee totals are kept per organisation and need no change.
It runs in the replica's transaction, holding the absence and staffing write locks, so no
batch writes against the old tree while the figures move.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_sickleave.absences.repository import SpellRepository
from leko_sickleave.aggregates import add_deltas
from leko_sickleave.models import AbsenceTotals, OpenSpellStarts, StaffingTotals
from leko_sickleave.staffing.repository import StaffingRepository

_SUBTREE_TABLES = [
    cast(Table, model.__table__) for model in (AbsenceTotals, OpenSpellStarts, StaffingTotals)
]


async def move_subtree(session: AsyncSession, code: str, former: list[str], new: list[str]) -> None:
    """Move `code`'s subtree figures from its `former` ancestors to its `new` ones."""
    changes = [(node, -1) for node in former if node not in new]
    changes += [(node, 1) for node in new if node not in former]
    if not changes:
        return
    await SpellRepository(session).lock_writes()
    await StaffingRepository(session).lock_writes()
    for table in _SUBTREE_TABLES:
        keys = len(table.primary_key.columns)
        rows = (await session.execute(select(table).where(table.c.node == code))).all()
        deltas: list[tuple[Any, ...]] = [
            (node, *row[1:keys], *(sign * value for value in row[keys:]))
            for node, sign in changes
            for row in rows
        ]
        await add_deltas(session, table, deltas)
