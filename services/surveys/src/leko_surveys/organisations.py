"""Where an organisation sits, from the local replica: its lineage, sector, kind, institution
type and the municipality it belongs to (the nearest ancestor of kind `municipality`, or the
organisation itself). Enrolment records this, so the response path and the results never walk
the hierarchy again."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.scope import MAX_DEPTH, lineage_query
from leko_kit.tables import ReplicatedOrganisation

MUNICIPALITY_KIND = "municipality"
INSTITUTION_KIND = "institution"


@dataclass(frozen=True, slots=True)
class Placement:
    code: str
    name: str
    sector: str
    kind: str
    institution_type: str | None
    lineage: tuple[str, ...]  # the code and its ancestors, nearest first
    municipality: str | None


async def placement(session: AsyncSession, code: str) -> Placement | None:
    """None when the replica does not know the code."""
    lineage = list(
        await session.scalars(
            lineage_query(ReplicatedOrganisation.code, ReplicatedOrganisation.parent_code, code)
        )
    )
    if not lineage:
        return None
    rows = {
        row.code: row
        for row in await session.scalars(
            select(ReplicatedOrganisation).where(ReplicatedOrganisation.code.in_(lineage))
        )
    }
    own = rows[code]
    municipality = next((c for c in lineage if rows[c].kind == MUNICIPALITY_KIND), None)
    return Placement(
        code=code,
        name=own.name,
        sector=own.sector,
        kind=own.kind,
        institution_type=own.institution_type,
        lineage=tuple(lineage),
        municipality=municipality,
    )


async def lineages(session: AsyncSession, codes: Collection[str]) -> dict[str, tuple[str, ...]]:
    """The lineage (the code and its ancestors, nearest first) of each of `codes` the replica
    knows, in one query; an unknown code is left out."""
    if not codes:
        return {}
    table = ReplicatedOrganisation
    chain = (
        select(
            table.code.label("start"),
            table.code.label("code"),
            table.parent_code.label("parent"),
            literal(0).label("depth"),
        )
        .where(table.code.in_(list(codes)))
        .cte("chains", recursive=True)
    )
    chain = chain.union_all(
        select(chain.c.start, table.code, table.parent_code, chain.c.depth + 1)
        .join(chain, table.code == chain.c.parent)
        .where(chain.c.depth < MAX_DEPTH)
    )
    found: dict[str, list[str]] = defaultdict(list)
    for start, code in await session.execute(
        select(chain.c.start, chain.c.code).order_by(chain.c.start, chain.c.depth)
    ):
        found[start].append(code)
    return {start: tuple(lineage) for start, lineage in found.items()}


async def names(session: AsyncSession, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = await session.execute(
        select(ReplicatedOrganisation.code, ReplicatedOrganisation.name).where(
            ReplicatedOrganisation.code.in_(codes)
        )
    )
    return {code: name for code, name in rows}
