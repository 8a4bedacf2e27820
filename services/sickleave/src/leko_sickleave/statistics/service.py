"""The absence KPI series of an organisation subtree over months, quarters or years,
assembled from the write-time aggregates (definitions in `leko_sickleave.kpis`). Functions
never write.

Beyond the KPIs every unit has, a series shows per period:
- absence_days (fraværsdage): working days absent weighted by fraction (see
  `leko_sickleave.absences.contributions`), open spells counted up to the period's end;
- spells: spells started in the period;
- length_distribution: those spells by calendar length, an open one by its length at the end
  of the period (at most up to its horizon);
- top5_share: the absence days of the ceil(5% × employees) most absent employees divided by
  all absence days; employees without absence rank last and add nothing.

Anonymity: a period whose subtree has fewer than 5 employees (mean headcount) is suppressed,
every KPI null, with `suppressed: true` and the reason; so is a period without staffing, whose
size is unknown.
"""

from __future__ import annotations

import heapq
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.auth import Principal
from leko_kit.problems import Unprocessable
from leko_kit.scope import OrgHierarchy
from leko_sickleave.absences.contributions import LENGTH_BUCKETS, length_bucket, open_horizon
from leko_sickleave.absences.schemas import Cause
from leko_sickleave.auth import require_readable
from leko_sickleave.kpis import (
    COMPLEMENTARY_REASON,
    MonthAbsence,
    MonthStaffing,
    Withheld,
    complementary_suppression,
    figures,
)
from leko_sickleave.models import NATIONAL_NODE
from leko_sickleave.periods import Granularity, Period, months_between, parse_month, periods
from leko_sickleave.statistics.repository import StatisticsRepository
from leko_sickleave.statistics.schemas import Statistics, StatisticsPoint

TOP_PERCENT = 5
MAX_MONTHS = 120


def _first_day(month: int) -> date:
    return date(month // 100, month % 100, 1)


def _last_day(month: int) -> date:
    year, number = divmod(month, 100)
    return (date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)) - timedelta(1)


def _suppressed(period: Period, reason: str, staffed_months: int) -> StatisticsPoint:
    return StatisticsPoint(
        period=period.label,
        suppressed=True,
        reason=reason,
        staffed_months=staffed_months,
        employees=None,
        fte=None,
        absence_days=None,
        absence_days_per_fte=None,
        absence_percentage=None,
        spells=None,
        spells_per_fte=None,
        length_distribution=None,
        top5_share=None,
    )


def month_range(first: str, last: str) -> tuple[int, int]:
    """The query's `from` and `to` months (422 unless ordered months of 2000–2100, at most
    `MAX_MONTHS` apart)."""
    start, end = parse_month(first), parse_month(last)
    problems = [
        {"loc": ["query", name], "message": "must be a month yyyy-mm in 2000–2100"}
        for name, value in (("from", start), ("to", end))
        if value is None
    ]
    if start is not None and end is not None:
        if end < start:
            problems.append({"loc": ["query", "to"], "message": "is before `from`"})
        elif len(months_between(start, end)) > MAX_MONTHS:
            problems.append(
                {"loc": ["query", "to"], "message": f"at most {MAX_MONTHS} months after `from`"}
            )
    if problems or start is None or end is None:
        raise Unprocessable("Give `from` and `to` as months, yyyy-mm.", errors=problems)
    return start, end


async def statistics(
    session: AsyncSession,
    *,
    hierarchy: OrgHierarchy,
    org_code: str | None,
    first: int,
    last: int,
    granularity: Granularity,
    cause: Cause,
    principal: Principal,
) -> Statistics:
    """The KPI series of `org_code`'s subtree (the country when None)."""
    parent = None
    if org_code is not None:
        lineage = await require_readable(hierarchy, org_code, principal)
        parent = lineage[1] if len(lineage) > 1 else None
    return await series(
        session,
        node=org_code or NATIONAL_NODE,
        parent=parent,
        first=first,
        last=last,
        granularity=granularity,
        cause=cause,
    )


async def series(
    session: AsyncSession,
    *,
    node: str,
    parent: str | None = None,
    first: int,
    last: int,
    granularity: Granularity,
    cause: Cause,
) -> Statistics:
    """The KPIs of `node` (an organisation or `*`) per period from `first` to `last`; with
    its `parent`, periods in which showing it would reveal a small sibling are withheld."""
    repository = StatisticsRepository(session)
    wanted = periods(first, last, granularity)
    start, end = wanted[0].first, wanted[-1].last
    absence = await repository.absence(node, cause, start, end)
    staffing = await repository.staffing(node, start, end)
    open_starts = await repository.open_starts(node, cause, _first_day(start), _last_day(end))
    siblings = (await repository.parts([parent], start, end))[parent] if parent else None
    ranking = _Ranking(repository, node, cause)
    points = []
    for period in wanted:
        if siblings and node == complementary_suppression(
            siblings.children, siblings.own, period.months
        ):
            staffed = sum(1 for month in period.months if month in staffing)
            points.append(_suppressed(period, COMPLEMENTARY_REASON, staffed))
        else:
            points.append(await _point(ranking, period, absence, staffing, open_starts))
    return Statistics(org_code=node, granularity=granularity, cause=cause, series=points)


class _Ranking:
    """The absence of a node's most absent employees in a period.

    The database ranks the whole country, and a subtree's year; a subtree's months and
    quarters are ranked here from its employees' monthly totals, read once per year, rather
    than by one query per period.
    """

    def __init__(self, repository: StatisticsRepository, node: str, cause: Cause) -> None:
        self.repository, self.node, self.cause = repository, node, cause
        self._organisations: list[str] | None = None
        self._years: dict[int, list[tuple[int, ...]]] = {}

    async def top_units(self, months: tuple[int, ...], k: int) -> int:
        if self.node == NATIONAL_NODE:
            return await self.repository.top_units(None, self.cause, months, k)
        if self._organisations is None:
            self._organisations = await self.repository.subtree(self.node)
        if len(months) == 12:
            return await self.repository.top_units(self._organisations, self.cause, months, k)
        year = months[0] // 100
        if year not in self._years:
            self._years[year] = await self.repository.employee_months(
                self._organisations, self.cause, year
            )
        columns = [month % 100 - 1 for month in months]
        totals = (sum(row[column] for column in columns) for row in self._years[year])
        return sum(heapq.nlargest(k, totals))


async def _point(
    ranking: _Ranking,
    period: Period,
    absence: dict[int, MonthAbsence],
    staffing: dict[int, MonthStaffing],
    open_starts: list[tuple[date, int]],
) -> StatisticsPoint:
    unit = figures(period.months, absence, staffing)
    if isinstance(unit, Withheld):
        return _suppressed(period, unit.reason, unit.staffed_months)
    covered = unit.staffed_months
    months = [absence[month] for month in covered if month in absence]
    lengths = [sum(month.closed[bucket] for month in months) for bucket in range(4)]
    period_end = _last_day(period.last)
    for start, count in open_starts:
        if start.year * 100 + start.month in covered:
            lasting_to = min(period_end, open_horizon(start))
            lengths[length_bucket((lasting_to - start).days + 1)] += count

    top = 0
    if unit.day_units > 0:
        # ceil(5% × employees), employees being the mean headcount
        ranked = -(-unit.headcount_months * TOP_PERCENT // (100 * len(covered)))
        top = await ranking.top_units(covered, ranked)
    return StatisticsPoint(
        period=period.label,
        suppressed=False,
        reason=None,
        staffed_months=len(covered),
        employees=round(unit.employees, 2),
        fte=round(unit.fte, 4),
        absence_days=unit.absence_days,
        absence_days_per_fte=round(unit.absence_days_per_fte, 4),
        absence_percentage=round(unit.absence_percentage, 4),
        spells=unit.spells,
        spells_per_fte=round(unit.spells_per_fte, 4),
        length_distribution=dict(zip(LENGTH_BUCKETS, lengths, strict=True)),
        top5_share=round(top / unit.day_units, 4) if unit.day_units > 0 else None,
    )
