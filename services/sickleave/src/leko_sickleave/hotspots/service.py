"""Hotspots (analyst): the workplaces with the most absence, where the national effort's
targeted funding is meant to go.

A workplace is an organisation of kind `institution`. Its absence days per FTE for the year
come from its subtree's aggregates, computed exactly as the statistics do; workplaces below
`min_employees` (never below the anonymity threshold of 5), without staffing, or withheld so
that a small unit beside them cannot be worked out by subtraction are not ranked.
"""

from __future__ import annotations

import statistics as stats
from collections import defaultdict

from sqlalchemy.ext.asyncio import AsyncSession

from leko_sickleave.absences.schemas import Cause
from leko_sickleave.hotspots.schemas import Hotspot, Hotspots
from leko_sickleave.kpis import Figures, complementary_suppression, figures_of
from leko_sickleave.statistics.repository import StatisticsRepository

WORKPLACE_KIND = "institution"


async def hotspots(
    session: AsyncSession,
    *,
    year: int,
    institution_type: str | None,
    min_employees: int,
    limit: int,
    cause: Cause,
) -> Hotspots:
    repository = StatisticsRepository(session)
    units = await repository.year_sums(
        cause=cause,
        years=range(year, year + 1),
        kind=WORKPLACE_KIND,
        institution_type=institution_type,
    )
    months = [year * 100 + month for month in range(1, 13)]
    ranked: list[tuple[str, Figures]] = []
    for code, years in units.items():
        result = figures_of(years[year].sums)
        if isinstance(result, Figures) and result.employees >= min_employees:
            ranked.append((code, result))
    organisations = await repository.organisations(code for code, _ in ranked)
    parents = {organisations[code].parent_code for code, _ in ranked} - {None}
    parts = await repository.parts(
        [parent for parent in parents if parent is not None], months[0], months[-1]
    )
    hidden = {
        complementary_suppression(sibling.children, sibling.own, months)
        for sibling in parts.values()
    }
    ranked = [(code, result) for code, result in ranked if code not in hidden]
    ranked.sort(key=lambda item: (-item[1].absence_days_per_fte, item[0]))
    by_type: dict[str | None, list[float]] = defaultdict(list)
    for code, result in ranked:
        by_type[organisations[code].institution_type].append(result.absence_days_per_fte)
    medians = {kind: stats.median(values) for kind, values in by_type.items()}
    items = []
    for rank, (code, result) in enumerate(ranked[:limit], start=1):
        organisation = organisations[code]
        items.append(
            Hotspot(
                rank=rank,
                org_code=code,
                name=organisation.name,
                institution_type=organisation.institution_type,
                parent_code=organisation.parent_code,
                municipality_code=organisation.municipality_code,
                region_code=organisation.region_code,
                employees=round(result.employees, 2),
                fte=round(result.fte, 4),
                absence_days_per_fte=round(result.absence_days_per_fte, 4),
                absence_percentage=round(result.absence_percentage, 4),
                spells_per_fte=round(result.spells_per_fte, 4),
                long_term_spells=units[code][year].long_term_spells,
                type_median_days_per_fte=round(medians[organisation.institution_type], 4),
            )
        )
    return Hotspots(
        year=year,
        cause=cause,
        institution_type=institution_type,
        min_employees=min_employees,
        workplaces_compared=len(ranked),
        items=items,
    )
