"""Which result cells of a closed round are shown, and the cache that keeps them.

A round's cells form a tree: the nation, then (in the motivation survey) the sectors, then the
municipalities, then the enrolled organisations. A cell is the organisations below it; its size
is their responses. Cells below the round's threshold are withheld, and so are the cells
complementary suppression picks, over the equations "a cell is the sum of its children", so
that no withheld cell can be worked out by subtracting shown cells from a shown total — not an
institution from its municipality, nor a municipality from the nation.

Results open only once a round has closed, and a closed round takes no more responses, so the
plan and the areas' totals never change afterwards: they are computed once per process and
cached (the benchmark's 5,000 institutions are read once, not per request). Only once the
round has been closed for `SETTLE`, so that a response committed just after the close is not
left out of a cached plan.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.suppression import below_reason
from leko_surveys.models import NATIONAL_AREA, municipality_area, sector_area
from leko_surveys.results.repository import ResultRepository
from leko_surveys.stats import Counts, suppressed_cells

ORG_PREFIX = "org:"
SETTLE = timedelta(minutes=1)


def org_cell(code: str) -> str:
    return ORG_PREFIX + code


@dataclass(frozen=True, slots=True)
class Unit:
    """An enrolled organisation as the plan sees it."""

    code: str
    lineage: tuple[str, ...]
    municipality: str | None
    sector: str
    institution_type: str | None
    invited: int
    responded: int


@dataclass
class RoundPlan:
    threshold: int
    units: dict[str, Unit]
    sizes: dict[str, int]
    invited: dict[str, int]
    withheld: dict[str, str]
    members: dict[str, list[str]] = field(default_factory=dict)  # area → organisation codes

    @classmethod
    def build(
        cls, participants: Sequence[Sequence[Any]], *, threshold: int, by_sector: bool
    ) -> RoundPlan:
        """From rows of (code, lineage, municipality, sector, institution type, invited,
        responded)."""
        units = {
            str(row[0]): Unit(
                code=row[0],
                lineage=tuple(row[1]),
                municipality=row[2],
                sector=row[3],
                institution_type=row[4],
                invited=row[5],
                responded=row[6],
            )
            for row in participants
        }
        children: dict[str, set[str]] = defaultdict(set)
        members: dict[str, list[str]] = defaultdict(list)
        sizes: dict[str, int] = defaultdict(int)
        invited: dict[str, int] = defaultdict(int)
        for unit in units.values():
            path = [NATIONAL_AREA]
            if by_sector:
                path.append(sector_area(unit.sector))
            if unit.municipality is not None:
                path.append(municipality_area(unit.municipality))
            path.append(org_cell(unit.code))
            for parent, child in itertools.pairwise(path):
                children[parent].add(child)
            for cell in path:
                sizes[cell] += unit.responded
                invited[cell] += unit.invited
            for area in path[:-1]:
                members[area].append(unit.code)
        sizes.setdefault(NATIONAL_AREA, 0)
        equations = [(total, sorted(parts)) for total, parts in sorted(children.items())]
        return cls(
            threshold=threshold,
            units=units,
            sizes=dict(sizes),
            invited=dict(invited),
            withheld=suppressed_cells(dict(sizes), threshold, equations),
            members=dict(members),
        )

    def reason(self, cell: str) -> str | None:
        """Why a cell is withheld, or None when it is shown (a cell without participants has
        no responses, and says so)."""
        if cell not in self.sizes:
            return below_reason(self.threshold)
        return self.withheld.get(cell)


class ResultsCache:
    """Plans and area totals of closed rounds, per process (they never change)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._plans: OrderedDict[int, RoundPlan] = OrderedDict()
        self._areas: OrderedDict[tuple[int, str], dict[str, Counts]] = OrderedDict()

    async def plan(
        self,
        session: AsyncSession,
        *,
        round_id: int,
        threshold: int,
        by_sector: bool,
        settled: bool,
    ) -> RoundPlan:
        """The round's plan; kept only when `settled` (closed for `SETTLE`)."""
        plan = self._plans.get(round_id)
        if plan is None:
            participants = await ResultRepository(session).participants(round_id)
            plan = RoundPlan.build(participants, threshold=threshold, by_sector=by_sector)
            if not settled:
                return plan
            self._plans[round_id] = plan
            if len(self._plans) > self.size:
                self._plans.popitem(last=False)
        return plan

    async def area(
        self, session: AsyncSession, *, round_id: int, area: str, settled: bool
    ) -> dict[str, Counts]:
        key = (round_id, area)
        totals = self._areas.get(key)
        if totals is None:
            totals = await ResultRepository(session).area_totals(round_id, area)
            if not settled:
                return totals
            self._areas[key] = totals
            if len(self._areas) > self.size * 8:
                self._areas.popitem(last=False)
        return totals
