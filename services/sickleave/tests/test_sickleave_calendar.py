"""Danish public holidays and working days, and a spell's absence days split over the months,
checked by hand and against a day-by-day count."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leko_sickleave.absences.contributions import Deltas, SpellRow
from leko_sickleave.danish_calendar import (
    easter_sunday,
    is_working_day,
    public_holidays,
    working_days,
    working_days_in_month,
)
from leko_sickleave.models import FRACTION_UNITS

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2000, date(2000, 4, 23)),
        (2019, date(2019, 4, 21)),
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2038, date(2038, 4, 25)),  # the latest possible date
        (2100, date(2100, 3, 28)),
    ],
)
def test_easter_sunday(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_holidays_of_2025() -> None:
    assert public_holidays(2025) == {
        date(2025, 1, 1): "Nytårsdag",
        date(2025, 4, 17): "Skærtorsdag",
        date(2025, 4, 18): "Langfredag",
        date(2025, 4, 20): "Påskedag",
        date(2025, 4, 21): "2. påskedag",
        date(2025, 5, 29): "Kristi himmelfartsdag",
        date(2025, 6, 8): "Pinsedag",
        date(2025, 6, 9): "2. pinsedag",
        date(2025, 12, 25): "Juledag",
        date(2025, 12, 26): "2. juledag",
    }


def test_store_bededag_only_up_to_2023() -> None:
    assert public_holidays(2023)[date(2023, 5, 5)] == "Store bededag"
    assert not is_working_day(date(2023, 5, 5))
    assert "Store bededag" not in public_holidays(2024).values()
    assert is_working_day(date(2024, 4, 26))  # the 4th Friday after Easter 2024
    assert is_working_day(date(2024, 4, 25))


def test_grundlovsdag_and_christmas_eve_are_working_days() -> None:
    assert is_working_day(date(2025, 6, 5)) and is_working_day(date(2025, 12, 24))


def test_working_days_by_hand() -> None:
    assert working_days_in_month(202504) == 19  # 22 weekdays, 3 Easter holidays
    assert working_days_in_month(202402) == 21  # leap year
    assert working_days_in_month(202305) == 20  # Store bededag, Kristi himmelfart, 2. pinsedag
    assert working_days(date(2025, 4, 14), date(2025, 4, 21)) == 3  # Easter week
    assert working_days(date(2025, 3, 8), date(2025, 3, 9)) == 0  # a weekend
    assert working_days(date(2025, 3, 9), date(2025, 3, 8)) == 0  # an empty range
    assert working_days(date(2000, 1, 1), date(2100, 12, 31)) == sum(
        working_days_in_month(year * 100 + month)
        for year in range(2000, 2101)
        for month in range(1, 13)
    )


def monthly_days(start: date, end: date) -> dict[int, float]:
    """A whole-day spell's absence days per month (`yyyymm`), as its contributions give them."""
    deltas = Deltas()
    deltas.add_rows([SpellRow("s", "1", "e", "k101", "j", "own_illness", start, end, 10_000)], 1)
    return {row[1]: row[3] / FRACTION_UNITS for row in deltas.take_totals().rows()}


def test_split_over_new_year() -> None:
    assert monthly_days(date(2024, 12, 20), date(2025, 1, 10)) == {202412: 6, 202501: 7}
    # A weekend spell has no absence days but still starts in its month.
    assert monthly_days(date(2025, 3, 8), date(2025, 3, 9)) == {202503: 0}


@given(start=dates, length=st.integers(min_value=0, max_value=400))
def test_counting_matches_a_day_by_day_count(start: date, length: int) -> None:
    end = min(start + timedelta(days=length), date(2100, 12, 31))
    days = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
    expected: dict[int, int] = {}
    for day in days:
        key = day.year * 100 + day.month
        holiday = day in public_holidays(day.year)
        expected[key] = expected.get(key, 0) + (day.weekday() < 5 and not holiday)
    assert monthly_days(start, end) == {
        month: days for month, days in expected.items() if days or month == min(expected)
    }
    assert working_days(start, end) == sum(expected.values())
