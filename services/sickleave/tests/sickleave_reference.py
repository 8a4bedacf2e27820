"""The reference the write-time aggregates must equal: a plain recomputation from the stored
spells and staffing, day by day, with the holiday list rather than the calendar's tables."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from leko_kit.db import Database
from leko_kit.tables import ReplicatedOrganisation
from leko_sickleave.danish_calendar import public_holidays
from leko_sickleave.models import (
    AbsenceTotals,
    EmployeeYearDistribution,
    EmployeeYearTotals,
    OpenSpellStarts,
    Spell,
    Staffing,
    StaffingTotals,
)

Aggregates = dict[str, dict[tuple[Any, ...], tuple[int, ...]]]


def is_absence_day(day: date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def bucket(calendar_days: int) -> int:
    return (
        0 if calendar_days <= 3 else 1 if calendar_days <= 14 else 2 if calendar_days <= 28 else 3
    )


def _lineage(parents: dict[str, str | None], code: str) -> list[str]:
    chain = [code]
    while parents.get(chain[-1]) is not None:
        chain.append(parents[chain[-1]])  # type: ignore[arg-type]
    return [*chain, "*"]


def _add(table: dict[tuple[Any, ...], list[int]], key: tuple[Any, ...], values: list[int]) -> None:
    entry = table.setdefault(key, [0] * len(values))
    for position, value in enumerate(values):
        entry[position] += value


async def recomputed(database: Database) -> Aggregates:
    """Every aggregate table as a plain computation from `absence_spells` and `staffing`."""
    async with database.read_session() as session:
        parents = dict(
            (
                await session.execute(
                    select(ReplicatedOrganisation.code, ReplicatedOrganisation.parent_code)
                )
            ).all()
        )
        spells = (await session.scalars(select(Spell))).all()
        staffing = (await session.scalars(select(Staffing))).all()
    totals: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * 6)
    open_starts: dict[tuple[Any, ...], list[int]] = {}
    employees: dict[tuple[Any, ...], list[int]] = {}
    for spell in spells:
        nodes = _lineage(parents, spell.org_code)
        last = spell.end_date or min(date(spell.start_date.year + 1, 12, 31), date(2100, 12, 31))
        start_month = spell.start_date.year * 100 + spell.start_date.month
        for node in nodes:
            values = [0, 1, 0, 0, 0, 0]
            if spell.end_date is None:
                _add(open_starts, (node, spell.cause, spell.start_date), [1])
            else:
                values[2 + bucket((spell.end_date - spell.start_date).days + 1)] = 1
            _add(totals, (node, start_month, spell.cause), values)
        day = spell.start_date
        while day <= last:
            month = day.year * 100 + day.month
            if is_absence_day(day):
                units = spell.fraction_units
                for node in nodes:
                    _add(totals, (node, month, spell.cause), [units, 0, 0, 0, 0, 0])
                per_month = [units if number == day.month else 0 for number in range(1, 13)]
                _add(
                    employees,
                    (spell.org_code, day.year, spell.cause, spell.employee_ref),
                    [units, *per_month],
                )
            day += timedelta(days=1)
    staffing_totals: dict[tuple[Any, ...], list[int]] = {}
    for row in staffing:
        for node in _lineage(parents, row.org_code):
            _add(
                staffing_totals,
                (node, row.month),
                [1, row.employees, row.fte_units, row.agreed_hours_units],
            )
    distribution: dict[tuple[Any, ...], list[int]] = {}
    for (_, year, cause, _), values in employees.items():
        if values[0]:
            _add(distribution, (year, cause, values[0]), [1])
    return {
        name: {key: tuple(values) for key, values in table.items() if any(values)}
        for name, table in (
            ("absence_totals", totals),
            ("open_spell_starts", open_starts),
            ("employee_year_totals", employees),
            ("employee_year_distribution", distribution),
            ("staffing_totals", staffing_totals),
        )
    }


async def stored(database: Database) -> Aggregates:
    """The aggregate tables as stored (rows that are all zero left out)."""
    result: Aggregates = {}
    async with database.read_session() as session:
        for model in (
            AbsenceTotals,
            OpenSpellStarts,
            EmployeeYearTotals,
            EmployeeYearDistribution,
            StaffingTotals,
        ):
            table = model.__table__
            keys = [column.name for column in table.primary_key.columns]
            values = [column.name for column in table.columns if column.name not in keys]
            rows = (await session.execute(select(table))).mappings().all()
            result[table.name] = {
                tuple(row[name] for name in keys): tuple(row[name] for name in values)
                for row in rows
                if any(row[name] for name in values)
            }
    return result


async def assert_exact(database: Database) -> None:
    """The write-time aggregates equal the recomputation."""
    expected, actual = await recomputed(database), await stored(database)
    for name in expected:
        assert actual[name] == expected[name], name
