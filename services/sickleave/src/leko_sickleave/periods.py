"""Months and reporting periods: `yyyy-mm` in the API, the integer `yyyymm` in the database,
and the month, quarter (`yyyy-Qn`) and year (`yyyy`) periods of the statistics."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from leko_sickleave.danish_calendar import FIRST_YEAR, LAST_YEAR

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_MONTH = re.compile(MONTH_PATTERN)


class Granularity(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


def parse_month(text: str) -> int | None:
    """`yyyy-mm` as `yyyymm`, or None when it is not a month of 2000–2100."""
    if not _MONTH.match(text):
        return None
    year, month = int(text[:4]), int(text[5:])
    return year * 100 + month if FIRST_YEAR <= year <= LAST_YEAR else None


def format_month(month: int) -> str:
    return f"{month // 100:04d}-{month % 100:02d}"


def months_between(first: int, last: int) -> list[int]:
    """Every `yyyymm` from `first` to `last`, both included."""
    months: list[int] = []
    year, month = divmod(first, 100)
    while year * 100 + month <= last:
        months.append(year * 100 + month)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


@dataclass(frozen=True, slots=True)
class Period:
    """A reporting period: its label (`yyyy-mm`, `yyyy-Qn`, `yyyy`) and its months."""

    label: str
    months: tuple[int, ...]

    @property
    def first(self) -> int:
        return self.months[0]

    @property
    def last(self) -> int:
        return self.months[-1]


def periods(first: int, last: int, granularity: Granularity) -> list[Period]:
    """The periods of `granularity` covering the months `first`–`last`; a partly covered
    quarter or year is widened to the whole period."""
    grouped: dict[str, list[int]] = {}
    if granularity == Granularity.QUARTER:
        first = first // 100 * 100 + (first % 100 - 1) // 3 * 3 + 1
        last = last // 100 * 100 + (last % 100 + 2) // 3 * 3
    elif granularity == Granularity.YEAR:
        first, last = first // 100 * 100 + 1, last // 100 * 100 + 12
    for month in months_between(first, last):
        year = month // 100
        if granularity == Granularity.MONTH:
            label = format_month(month)
        elif granularity == Granularity.QUARTER:
            label = f"{year}-Q{(month % 100 - 1) // 3 + 1}"
        else:
            label = str(year)
        grouped.setdefault(label, []).append(month)
    return [Period(label, tuple(months)) for label, months in grouped.items()]
