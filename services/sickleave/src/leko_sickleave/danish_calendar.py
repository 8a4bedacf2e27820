"""Danish working days (arbejdsdage) for 2000–2100, the calendar behind every absence KPI.

A working day is a Monday–Friday that is not a public holiday (helligdag). The public
holidays are the statutory ones:

- Nytårsdag (1 January);
- Skærtorsdag, Langfredag, Påskedag and 2. påskedag (Easter Sunday −3, −2, 0, +1), Easter
  Sunday from the Gregorian computus (the anonymous "Meeus/Jones/Butcher" algorithm);
- Store bededag (the 4th Friday after Easter, Easter +26) up to and including 2023 only: it
  was abolished as a public holiday from 2024;
- Kristi himmelfartsdag (Easter +39), Pinsedag (+49) and 2. pinsedag (+50);
- Juledag and 2. juledag (25 and 26 December).

Grundlovsdag (5 June), juleaftensdag (24 December) and nytårsaftensdag (31 December) are not
public holidays; many agreements give them off, but absence on them counts like any weekday.

Counting is O(1): a table of cumulative working days from 1 January 2000 answers "how many
working days from a to b" with one subtraction, and a spell is split into calendar months
with one subtraction per month.
"""

from __future__ import annotations

from datetime import date, timedelta

FIRST_DATE = date(2000, 1, 1)
LAST_DATE = date(2100, 12, 31)
FIRST_YEAR, LAST_YEAR = FIRST_DATE.year, LAST_DATE.year
STORE_BEDEDAG_LAST_YEAR = 2023

_BASE = FIRST_DATE.toordinal()
_DAYS = LAST_DATE.toordinal() - _BASE + 1


def easter_sunday(year: int) -> date:
    """Easter Sunday (Påskedag) in the Gregorian calendar."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_offset = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_offset) // 451
    month, day = divmod(h + weekday_offset - 7 * m + 114, 31)
    return date(year, month, day + 1)


def public_holidays(year: int) -> dict[date, str]:
    """The Danish public holidays of `year`, by date, with their Danish names."""
    easter = easter_sunday(year)
    moveable = {
        -3: "Skærtorsdag",
        -2: "Langfredag",
        0: "Påskedag",
        1: "2. påskedag",
        39: "Kristi himmelfartsdag",
        49: "Pinsedag",
        50: "2. pinsedag",
    }
    if year <= STORE_BEDEDAG_LAST_YEAR:
        moveable[26] = "Store bededag"
    holidays = {easter + timedelta(days=offset): name for offset, name in moveable.items()}
    holidays[date(year, 1, 1)] = "Nytårsdag"
    holidays[date(year, 12, 25)] = "Juledag"
    holidays[date(year, 12, 26)] = "2. juledag"
    return dict(sorted(holidays.items()))


def _build_tables() -> tuple[list[int], list[int], list[int]]:
    """Cumulative working days, the month index of every day, and every month's first day."""
    holidays = {
        day.toordinal() - _BASE
        for year in range(FIRST_YEAR, LAST_YEAR + 1)
        for day in public_holidays(year)
    }
    cumulative = [0] * (_DAYS + 1)
    month_of_day = [0] * _DAYS
    month_starts: list[int] = []
    running = 0
    for offset in range(_DAYS):
        day = date.fromordinal(_BASE + offset)
        if day.day == 1:
            month_starts.append(offset)
        month_of_day[offset] = len(month_starts) - 1
        if day.weekday() < 5 and offset not in holidays:
            running += 1
        cumulative[offset + 1] = running
    month_starts.append(_DAYS)  # the day after the last month ends
    return cumulative, month_of_day, month_starts


# Indexed by day index: the working days before each day (one entry more than there are
# days) and each day's month index; indexed by month index, each month's first day index (and,
# last, the day after the last month).
CUMULATIVE_WORKING_DAYS, MONTH_OF_DAY, MONTH_STARTS = _build_tables()


def day_index(day: date) -> int:
    """Days since 1 January 2000 (the tables' index); the date must lie in 2000–2100."""
    return day.toordinal() - _BASE


def month_key(index: int) -> int:
    """A month index (months since January 2000) as the integer `yyyymm`."""
    year, month = divmod(index, 12)
    return (FIRST_YEAR + year) * 100 + month + 1


def month_index(key: int) -> int:
    """The integer `yyyymm` as months since January 2000."""
    year, month = divmod(key, 100)
    return (year - FIRST_YEAR) * 12 + month - 1


def is_working_day(day: date) -> bool:
    offset = day_index(day)
    return CUMULATIVE_WORKING_DAYS[offset + 1] > CUMULATIVE_WORKING_DAYS[offset]


def working_days(start: date, end: date) -> int:
    """Working days from `start` to `end`, both included (0 when `end` is before `start`)."""
    first, last = day_index(start), day_index(end)
    return (
        CUMULATIVE_WORKING_DAYS[last + 1] - CUMULATIVE_WORKING_DAYS[first] if last >= first else 0
    )


def working_days_in_month(key: int) -> int:
    """Working days of the month `yyyymm`."""
    index = month_index(key)
    return (
        CUMULATIVE_WORKING_DAYS[MONTH_STARTS[index + 1]]
        - CUMULATIVE_WORKING_DAYS[MONTH_STARTS[index]]
    )
