"""Every query of the statistics: reads of the write-time aggregates, O(months) per request.

The "5% most absent" ranking: for the whole country and a year, the sum of the largest yearly
totals in `employee_year_distribution` (one row per distinct total, whatever the number of
employees); for a month or quarter, by sorting the month columns of `employee_year_totals` (a
scan of the year's rows: slower, not a hot path); for a subtree, the rows of the subtree's
organisations through the primary key, which leads with `org_code` (for months and quarters
read once and ranked by the service).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    ColumnExpressionArgument,
    Row,
    Select,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.scope import MAX_DEPTH
from leko_kit.tables import ReplicatedOrganisation
from leko_sickleave.kpis import MonthAbsence, MonthStaffing, Sums
from leko_sickleave.models import (
    AbsenceTotals,
    EmployeeYearDistribution,
    EmployeeYearTotals,
    OpenSpellStarts,
    Staffing,
    StaffingTotals,
)


@dataclass(frozen=True, slots=True)
class UnitYear:
    """One organisation's (its subtree's) aggregates summed over the staffed months of a
    year."""

    sums: Sums
    long_term_spells: int  # closed spells of 29+ days started in those months


@dataclass(frozen=True, slots=True)
class Parts:
    """What a parent's figures consist of: monthly headcounts of each child's subtree, and of
    the parent's own employees."""

    children: dict[str, dict[int, int]]
    own: dict[int, int]


# A month's absence aggregates, in the order `MonthAbsence` is built from.
_MONTH_ABSENCE = (
    AbsenceTotals.month,
    AbsenceTotals.day_units,
    AbsenceTotals.spells,
    AbsenceTotals.closed_1_3,
    AbsenceTotals.closed_4_14,
    AbsenceTotals.closed_15_28,
    AbsenceTotals.closed_29_plus,
)


def _bigint_sum(column: ColumnExpressionArgument[Any]) -> ColumnElement[Any]:
    # PostgreSQL sums a bigint as numeric, which the driver would return as a Decimal.
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


# The yearly sums of many organisations at once (`year_sums`), summed by the database over
# the months with staffing reported, as `kpis.figures` sums them: the hundred municipalities
# of a benchmark are two hundred rows rather than two and a half thousand monthly ones, and
# building those cost the request more than reading them (and, with them alive, full garbage
# collections). Built once and given its values per request: rebuilding the statement and
# keying it for the cache cost several milliseconds for a hundred codes.
_YEAR = StaffingTotals.month // 100
_YEAR_SUMS = (
    select(
        StaffingTotals.node,
        _YEAR,
        # Each staffed month's bit (January the lowest): a node has one row per month.
        _bigint_sum(literal(1).op("<<")(StaffingTotals.month % 100 - 1)),
        _bigint_sum(StaffingTotals.employees),
        _bigint_sum(StaffingTotals.fte_units),
        _bigint_sum(StaffingTotals.agreed_hours_units),
        _bigint_sum(AbsenceTotals.day_units),
        _bigint_sum(AbsenceTotals.spells),
        _bigint_sum(AbsenceTotals.closed_29_plus),
    )
    .outerjoin(
        AbsenceTotals,
        and_(
            AbsenceTotals.node == StaffingTotals.node,
            AbsenceTotals.month == StaffingTotals.month,
            AbsenceTotals.cause == bindparam("cause"),
        ),
    )
    .where(
        StaffingTotals.node.in_(bindparam("codes", expanding=True)),
        StaffingTotals.month.between(bindparam("first"), bindparam("last")),
        StaffingTotals.reports > 0,
    )
    .group_by(StaffingTotals.node, _YEAR)
)


def _employee_units(months: tuple[int, ...]) -> ColumnElement[Any]:
    """The per-employee absence of a period within one year: the year's total or the sum of
    its month columns."""
    if len(months) == 12:
        return EmployeeYearTotals.day_units.expression
    total: ColumnElement[Any] = getattr(EmployeeYearTotals, f"month_{months[0] % 100:02d}")
    for month in months[1:]:
        total = total + getattr(EmployeeYearTotals, f"month_{month % 100:02d}")
    return total


class StatisticsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _rows(
        self, statement: Select[*tuple[Any, ...]], parameters: dict[str, Any] | None = None
    ) -> Sequence[Row[*tuple[Any, ...]]]:
        """The rows of a query of plain columns, read through Core: the ORM's result
        processing doubled the cost of reading a few thousand aggregate rows."""
        connection = await self.session.connection()
        return (await connection.execute(statement, parameters or {})).all()

    async def absence(
        self, node: str, cause: str, first: int, last: int
    ) -> dict[int, MonthAbsence]:
        totals = AbsenceTotals
        rows = await self._rows(
            select(*_MONTH_ABSENCE).where(
                totals.node == node,
                totals.cause == cause,
                totals.month.between(first, last),
            )
        )
        return {
            month: MonthAbsence(units, spells, (b1, b2, b3, b4))
            for month, units, spells, b1, b2, b3, b4 in rows
        }

    async def staffing(self, node: str, first: int, last: int) -> dict[int, MonthStaffing]:
        totals = StaffingTotals
        rows = await self._rows(
            select(
                totals.month, totals.employees, totals.fte_units, totals.agreed_hours_units
            ).where(totals.node == node, totals.month.between(first, last), totals.reports > 0)
        )
        return {month: MonthStaffing(e, f, h) for month, e, f, h in rows}

    async def open_starts(
        self, node: str, cause: str, first: date, last: date
    ) -> list[tuple[date, int]]:
        starts = OpenSpellStarts
        rows = await self._rows(
            select(starts.start_date, starts.spells).where(
                starts.node == node,
                starts.cause == cause,
                starts.start_date.between(first, last),
                starts.spells != 0,
            )
        )
        return [(start, count) for start, count in rows]

    async def subtree(self, node: str) -> list[str]:
        """The organisation and every organisation below it."""
        org = ReplicatedOrganisation
        tree = (
            select(org.code, literal(0).label("depth"))
            .where(org.code == node)
            .cte("subtree", recursive=True)
        )
        tree = tree.union_all(
            select(org.code, tree.c.depth + 1)
            .join(tree, org.parent_code == tree.c.code)
            .where(tree.c.depth < MAX_DEPTH)
        )
        return list(await self.session.scalars(select(tree.c.code)))

    async def employee_months(
        self, organisations: list[str], cause: str, year: int
    ) -> list[tuple[int, ...]]:
        """The monthly absence (day units, January first) of every employee of
        `organisations` with absence in `year`."""
        months = [getattr(EmployeeYearTotals, f"month_{month:02d}") for month in range(1, 13)]
        rows = await self._rows(
            select(*months).where(
                EmployeeYearTotals.year == year,
                EmployeeYearTotals.cause == cause,
                EmployeeYearTotals.org_code.in_(organisations),
            )
        )
        return [tuple(row) for row in rows]

    async def top_units(
        self, organisations: list[str] | None, cause: str, months: tuple[int, ...], k: int
    ) -> int:
        """The absence (day units) of the `k` most absent employees in `months` (of one year)
        of `organisations`, or of the whole country when None."""
        if organisations is None and len(months) == 12:
            return await self._national_top_units(months[0] // 100, cause, k)
        units = _employee_units(months).label("units")
        ranked = select(units).where(
            EmployeeYearTotals.year == months[0] // 100, EmployeeYearTotals.cause == cause
        )
        if organisations is not None:
            ranked = ranked.where(EmployeeYearTotals.org_code.in_(organisations))
        top = ranked.order_by(units.desc()).limit(k).subquery()
        return int(await self.session.scalar(select(func.coalesce(func.sum(top.c.units), 0))) or 0)

    async def _national_top_units(self, year: int, cause: str, k: int) -> int:
        """The yearly absence of the country's `k` most absent employees, from the
        distribution: every total down to the one the k-th employee has, that last one only
        as many times as needed to make k."""
        counts = EmployeeYearDistribution
        ranked = (
            select(
                counts.day_units,
                counts.employees,
                func.sum(counts.employees)
                .over(order_by=counts.day_units.desc(), rows=(None, 0))
                .label("running"),
            )
            .where(counts.year == year, counts.cause == cause, counts.employees > 0)
            .subquery()
        )
        before = ranked.c.running - ranked.c.employees  # employees with a larger total
        taken = case((ranked.c.running > k, k - before), else_=ranked.c.employees)
        total = select(
            func.coalesce(func.sum(cast(ranked.c.day_units, BigInteger) * taken), 0)
        ).where(before < k)
        return int(await self.session.scalar(total) or 0)

    async def year_sums(
        self,
        *,
        cause: str,
        years: range,
        kind: str | None = None,
        sector: str | None = None,
        institution_type: str | None = None,
    ) -> dict[str, dict[int, UnitYear]]:
        """The sums over each of `years` of every organisation of the given kind, sector and
        institution type (each a filter when given), by code and year; an organisation
        without staffing in a year has no entry for it. The codes, then one query of their
        sums, whatever the number of organisations."""
        org = ReplicatedOrganisation
        chosen = [
            column == value
            for column, value in (
                (org.kind, kind),
                (org.sector, sector),
                (org.institution_type, institution_type),
            )
            if value is not None
        ]
        # The codes first, then the aggregates by key: joined with the replica, PostgreSQL
        # scans every aggregate row of the period (four times slower at a million spells).
        codes = list(await self.session.scalars(select(org.code).where(*chosen)))
        period = {"first": years[0] * 100 + 1, "last": years[-1] * 100 + 12}
        rows = await self._rows(_YEAR_SUMS, {"codes": codes, "cause": cause, **period})
        found: defaultdict[str, dict[int, UnitYear]] = defaultdict(dict)
        for node, year, staffed, employees, fte, hours, units, spells, long_term in rows:
            months = tuple(
                year * 100 + month for month in range(1, 13) if staffed >> (month - 1) & 1
            )
            sums = Sums(months, employees, fte, hours, units, spells)
            found[node][year] = UnitYear(sums, long_term)
        return dict(found)

    async def organisations(self, codes: Iterable[str]) -> dict[str, ReplicatedOrganisation]:
        """The replica's records of `codes`."""
        org = ReplicatedOrganisation
        rows = await self.session.scalars(select(org).where(org.code.in_(list(codes))))
        return {row.code: row for row in rows}

    async def parts(self, parents: Iterable[str], first: int, last: int) -> dict[str, Parts]:
        """The monthly headcounts of the parts of each parent: every child's subtree, and the
        parent's own employees."""
        codes = list(parents)
        found = {parent: Parts({}, {}) for parent in codes}
        org, totals = ReplicatedOrganisation, StaffingTotals
        parent_of = {
            child: parent
            for child, parent in await self._rows(
                select(org.code, org.parent_code).where(org.parent_code.in_(codes))
            )
        }
        children = await self._rows(
            select(totals.node, totals.month, totals.employees).where(
                totals.node.in_(list(parent_of)),
                totals.month.between(first, last),
                totals.reports > 0,
            )
        )
        for child, month, employees in children:
            parent = parent_of[child]
            assert parent is not None  # selected by parent code
            found[parent].children.setdefault(child, {})[month] = employees
        own = await self._rows(
            select(Staffing.org_code, Staffing.month, Staffing.employees).where(
                Staffing.org_code.in_(codes), Staffing.month.between(first, last)
            )
        )
        for parent, month, employees in own:
            found[parent].own[month] = employees
        return found
