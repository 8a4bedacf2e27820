"""What a spell contributes to the aggregates: the absence KPI definitions, applied at write time.

- Absence days (fraværsdage): the working days (Monday–Friday, not a Danish public holiday,
  see `leko_sickleave.danish_calendar`) from `start_date` to `end_date`, both included, each
  weighted by `fraction` (a half day's absence is 0.5). They are split over the calendar months
  they fall in, so a spell over New Year counts in December and in January.
- Spells (fraværsforløb) count once, in the month they start.
- Length (varighed) is in calendar days, `end_date − start_date + 1`, weekends and holidays
  included, bucketed 1–3, 4–14, 15–28 and 29+ days (29+ is long-term absence,
  langtidsfravær). A closed spell is bucketed in its start month.
- Open spells (`end_date` null) last until the end of the period asked for. Their absence
  days are counted up to a horizon, 31 December of the year after the one they started in
  (at most 31 December 2100), so a spell left open by mistake cannot grow for ever; a spell
  still open beyond that must be reported again with an end date. Their length depends on the
  period asked for, so they are kept per start date and bucketed at query time.
- The employee is `employee_ref` within `org_code`: references are pseudonyms of each payroll
  system, so the same reference in two organisations is not assumed to be one person. Per
  employee, the absence days per year and per month feed the "share carried by the 5% most
  absent" KPI.

Every contribution is an integer (days in ten-thousandths), so adding a new version's
contribution and subtracting the old one keeps the aggregates exact.
"""

from __future__ import annotations

from datetime import date
from typing import Any, NamedTuple

from leko_sickleave.danish_calendar import LAST_DATE, day_index, split_by_month
from leko_sickleave.organisations import OrgTree

LENGTH_BUCKETS = ("1-3", "4-14", "15-28", "29+")
LENGTH_LIMITS = (3, 14, 28)  # the longest spell of each bucket but the last
_LAST_INDEX = day_index(LAST_DATE)


class SpellRow(NamedTuple):
    """A spell as stored (`absence_spells` columns, in order)."""

    source_system: str
    source_record_id: str
    employee_ref: str
    org_code: str
    job_group: str
    cause: str
    start_date: date
    end_date: date | None
    fraction_units: int


def length_bucket(calendar_days: int) -> int:
    """The index in `LENGTH_BUCKETS` of a spell lasting `calendar_days`."""
    for bucket, limit in enumerate(LENGTH_LIMITS):
        if calendar_days <= limit:
            return bucket
    return len(LENGTH_LIMITS)


def open_horizon(start: date) -> date:
    """The last day an open spell's absence days are counted up to."""
    return min(date(start.year + 1, 12, 31), LAST_DATE)


class Deltas:
    """Contributions added (+1) and withdrawn (−1), summed per aggregate key.

    Per-organisation totals are kept for the organisation the spell was reported for and spread
    over its lineage (and the national node) only when written, once per key.
    """

    def __init__(self) -> None:
        # (org_code, yyyymm, cause) → [day units, spells, closed 1–3, 4–14, 15–28, 29+]
        self.totals: dict[tuple[str, int, str], list[int]] = {}
        # (org_code, cause, start_date) → open spells
        self.open_starts: dict[tuple[str, str, date], int] = {}
        # (org_code, yyyy, cause, employee_ref) → [day units, January, ..., December]
        self.employees: dict[tuple[str, int, str, str], list[int]] = {}

    def add(self, spell: SpellRow, sign: int) -> None:
        """Add (`sign` 1) or withdraw (`sign` −1) the contribution of `spell`."""
        _, _, employee, org, _, cause, start, end, fraction_units = spell
        first = day_index(start)
        last = day_index(open_horizon(start) if end is None else end)
        parts = split_by_month(first, last)
        totals = self.totals
        month = parts[0][0]
        entry = totals.get((org, month, cause))
        if entry is None:
            entry = totals[(org, month, cause)] = [0, 0, 0, 0, 0, 0]
        entry[1] += sign
        if end is None:
            open_key = (org, cause, start)
            self.open_starts[open_key] = self.open_starts.get(open_key, 0) + sign
        else:
            entry[2 + length_bucket(last - first + 1)] += sign
        employees = self.employees
        weight = fraction_units * sign
        year = 0
        year_entry = entry
        for month, days in parts:
            if not days:
                continue
            units = days * weight
            if month // 100 != year:
                year = month // 100
                year_key = (org, year, cause, employee)
                year_entry = employees.get(year_key) or employees.setdefault(year_key, [0] * 13)
            year_entry[0] += units
            year_entry[month % 100] += units
            entry = totals.get((org, month, cause)) or totals.setdefault(
                (org, month, cause), [0, 0, 0, 0, 0, 0]
            )
            entry[0] += units

    def total_rows(self, tree: OrgTree) -> list[tuple[Any, ...]]:
        """`absence_totals` deltas for every node of every organisation's lineage."""
        spread: dict[tuple[str, int, str], list[int]] = {}
        for (org, month, cause), values in self.totals.items():
            if not any(values):
                continue
            for node in tree.nodes(org):
                key = (node, month, cause)
                entry = spread.get(key)
                if entry is None:
                    spread[key] = list(values)
                else:
                    for position, value in enumerate(values):
                        entry[position] += value
        return [(*key, *values) for key, values in spread.items() if any(values)]

    def open_start_rows(self, tree: OrgTree) -> list[tuple[Any, ...]]:
        spread: dict[tuple[str, str, date], int] = {}
        for (org, cause, start), count in self.open_starts.items():
            if count:
                for node in tree.nodes(org):
                    key = (node, cause, start)
                    spread[key] = spread.get(key, 0) + count
        return [(*key, count) for key, count in spread.items() if count]

    def employee_rows(self) -> list[tuple[Any, ...]]:
        """`employee_year_totals` deltas; taking them empties the buffer."""
        rows = [(*key, *values) for key, values in self.employees.items() if any(values)]
        self.employees.clear()
        return rows
