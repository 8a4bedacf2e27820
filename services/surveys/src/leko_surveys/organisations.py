"""Where an organisation sits, from the local replica: its lineage, sector, kind, institution
type and the municipality it belongs to (the nearest ancestor of kind `municipality`, or the
organisation itself). Enrolment records this, so the response path and the results never walk
the hierarchy again."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.scope import lineage_query
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


async def names(session: AsyncSession, codes: list[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = await session.execute(
        select(ReplicatedOrganisation.code, ReplicatedOrganisation.name).where(
            ReplicatedOrganisation.code.in_(codes)
        )
    )
    return {code: name for code, name in rows}
