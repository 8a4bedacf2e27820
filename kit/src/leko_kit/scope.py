"""Organisation scope: does a principal's scope cover an organisation?

A scope entry covers the organisation with that code and its whole subtree; `*` is national.
The hierarchy comes from the registry itself or, in other services, from the replica.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from leko_kit.auth import NATIONAL_SCOPE


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
