"""Organisation scope: does a principal's scope cover an organisation?

A scope entry covers the organisation with that code and its whole subtree; `*` is national.
The hierarchy comes from the registry itself or, in other services, from the replica.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import Select, literal, select
from sqlalchemy.orm import InstrumentedAttribute

from leko_kit.auth import NATIONAL_SCOPE

# Deeper chains are not organisations but a cycle; the walk stops there.
MAX_DEPTH = 32


class OrgHierarchy(Protocol):
    async def lineage(self, code: str) -> list[str] | None:
        """The code followed by its ancestors up to the root; None if the code is unknown."""
        ...


def covers(lineage: Sequence[str], scope: Sequence[str]) -> bool:
    """Whether a scope covers an organisation, given the organisation's lineage."""
    return NATIONAL_SCOPE in scope or not set(lineage).isdisjoint(scope)


async def in_scope(hierarchy: OrgHierarchy, code: str, scope: Sequence[str]) -> bool:
    """Whether `code` is known and inside `scope` (known-but-outside and unknown are False)."""
    lineage = await hierarchy.lineage(code)
    return lineage is not None and covers(lineage, scope)


def lineage_query(
    code_column: InstrumentedAttribute[str],
    parent_column: InstrumentedAttribute[str | None],
    code: str,
) -> Select[Any]:
    """SELECT the code and its ancestors, nearest first, from any organisation table."""
    chain = (
        select(code_column.label("code"), parent_column.label("parent"), literal(0).label("depth"))
        .where(code_column == code)
        .cte("chain", recursive=True)
    )
    chain = chain.union_all(
        select(code_column, parent_column, chain.c.depth + 1)
        .join(chain, code_column == chain.c.parent)
        .where(chain.c.depth < MAX_DEPTH)
    )
    return select(chain.c.code).order_by(chain.c.depth)
