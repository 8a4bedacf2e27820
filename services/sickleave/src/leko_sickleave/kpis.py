"""The absence KPIs of one unit and period from its monthly aggregates: one definition for
the statistics, the benchmarks, the targets and the hotspots.

Over the months of the period with staffing reported (absence in a month without staffing has
no denominator and is left out, so every ratio compares like with like):
- employees and fte: the mean over those months; agreed hours: their sum;
- absence_days_per_fte (fraværsdagsværk pr. fuldtidsansat) = absence days / fte;
- absence_percentage (fraværsprocent) = absence hours / agreed hours × 100, with absence hours
  = absence days × 7.4, a full-time day (37 hours a week / 5): `fraction` (or `hours` / 7.4)
  already scales a partial day;
- spells_per_fte = spells started in those months / fte.

A unit with fewer than 5 employees (mean headcount), or without staffing, is withheld; so is
the smallest unit beside a single small one (complementary suppression, below).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

from leko_sickleave.models import FRACTION_UNITS, FTE_UNITS, FULL_TIME_DAY_HOURS, HOURS_UNITS

ANONYMITY_THRESHOLD = 5


class Kpi(StrEnum):
    """The KPIs a unit can be compared or ranked on."""

    ABSENCE_DAYS_PER_FTE = "absence_days_per_fte"
    ABSENCE_PERCENTAGE = "absence_percentage"
    SPELLS_PER_FTE = "spells_per_fte"


class MonthAbsence(NamedTuple):
    """A unit's absence aggregates of one month (a named tuple costs half as much as a frozen
    dataclass to make, and a statistics series builds one per month)."""

    day_units: int
    spells: int
    closed: tuple[int, int, int, int]  # closed spells started in the month, by length bucket


class MonthStaffing(NamedTuple):
    """A unit's staffing aggregates of one month."""

    employees: int
    fte_units: int
    agreed_hours_units: int


@dataclass(frozen=True, slots=True)
class Withheld:
    """KPIs not shown, and why."""

    reason: str
    staffed_months: int


@dataclass(frozen=True, slots=True)
class Figures:
    """A unit's figures over the staffed months of a period."""

    staffed_months: tuple[int, ...]
    headcount_months: int  # the sum of the monthly headcounts
    fte: float
    agreed_hours: float
    day_units: int
    spells: int

    @property
    def employees(self) -> float:
        return self.headcount_months / len(self.staffed_months)

    @property
    def absence_days(self) -> float:
        return self.day_units / FRACTION_UNITS

    @property
    def absence_days_per_fte(self) -> float:
        return self.absence_days / self.fte

    @property
    def absence_percentage(self) -> float:
        return self.absence_days * FULL_TIME_DAY_HOURS / self.agreed_hours * 100

    @property
    def spells_per_fte(self) -> float:
        return self.spells / self.fte

    def kpi(self, kpi: Kpi) -> float:
        value: float = getattr(self, kpi.value)
        return value


class Sums(NamedTuple):
    """A unit's aggregates summed over the months of a period with staffing reported."""

    staffed_months: tuple[int, ...]
    headcount_months: int
    fte_units: int
    agreed_hours_units: int
    day_units: int
    spells: int


def figures(
    months: Iterable[int],
    absence: Mapping[int, MonthAbsence],
    staffing: Mapping[int, MonthStaffing],
) -> Figures | Withheld:
    """The figures of a unit over `months`, or why they are withheld."""
    covered = tuple(month for month in months if month in staffing)
    staffed = [staffing[month] for month in covered]
    reported = [absence[month] for month in covered if month in absence]
    return figures_of(
        Sums(
            staffed_months=covered,
            headcount_months=sum(month.employees for month in staffed),
            fte_units=sum(month.fte_units for month in staffed),
            agreed_hours_units=sum(month.agreed_hours_units for month in staffed),
            day_units=sum(month.day_units for month in reported),
            spells=sum(month.spells for month in reported),
        )
    )


def figures_of(sums: Sums) -> Figures | Withheld:
    """The figures of a unit from its sums over a period (summed here by `figures`, or by
    the database for many units at once), or why they are withheld."""
    months = len(sums.staffed_months)
    if not months:
        return Withheld("no staffing reported for the period", 0)
    if sums.headcount_months < ANONYMITY_THRESHOLD * months:
        return Withheld(f"fewer than {ANONYMITY_THRESHOLD} employees", months)
    return Figures(
        staffed_months=sums.staffed_months,
        headcount_months=sums.headcount_months,
        fte=sums.fte_units / months / FTE_UNITS,
        agreed_hours=sums.agreed_hours_units / HOURS_UNITS,
        day_units=sums.day_units,
        spells=sums.spells,
    )


def mean_headcount(monthly: Mapping[int, int], months: Sequence[int]) -> float:
    """The mean headcount over the months of `months` with staffing reported (0 without)."""
    reported = [monthly[month] for month in months if month in monthly]
    return sum(reported) / len(reported) if reported else 0.0


def complementary_suppression(
    children: Mapping[str, Mapping[int, int]], own: Mapping[int, int], months: Sequence[int]
) -> str | None:
    """The child to withhold in the period `months` so that no small unit can be recovered
    by subtraction, given each child's and the parent's own monthly headcounts.

    A parent's figures are its children's subtrees plus its own employees. A child with fewer
    than 5 employees is withheld; if it were the only part of the parent not shown on its own,
    the parent's figures minus the shown children's would reveal it. Then the smallest shown
    child is withheld as well (ties by code). The parent's own employees are never shown on
    their own, so a parent with employees of its own needs nothing more, unless they are
    themselves the single small part. (One level: a parent and its children.)
    """
    sizes = {code: mean_headcount(monthly, months) for code, monthly in children.items()}
    own_size = mean_headcount(own, months)
    small = [code for code, size in sizes.items() if 0 < size < ANONYMITY_THRESHOLD]
    unpublished = len(small) + (1 if own_size > 0 else 0)
    if unpublished != 1 or not (small or own_size < ANONYMITY_THRESHOLD):
        return None
    shown = [(size, code) for code, size in sizes.items() if size >= ANONYMITY_THRESHOLD]
    return min(shown)[1] if shown else None


COMPLEMENTARY_REASON = (
    "withheld so that a smaller unit beside it cannot be worked out by subtraction "
    "(complementary suppression)"
)
