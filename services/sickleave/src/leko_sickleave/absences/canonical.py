"""Recognising CSV rows that need no parsing: the bulk path's check, one regular expression per
header.

A canonical row is one whose text `parse_record` would accept unchanged and that PostgreSQL's
`COPY ... (FORMAT csv)` reads as the same values: no quotes, no whitespace at either end of a
field, ASCII keys without '/', an employee reference without a run of ten digits (so never a
CPR number), a known cause, dates as `yyyy-mm-dd` and a fraction with at most four decimals.
Such rows go to the database as text, unparsed; any other row is parsed by `parse_record`,
which stays the one definition of what is valid: the expression only recognises a subset of
what it accepts, and `tests/test_sickleave_canonical.py` checks that, field by field.

The expression runs in C (about 0.7 µs a row); the organisation and the dates are then looked
up in sets, and every row it does not recognise is simply handed to the parser.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from functools import cache

from leko_sickleave.absences.contributions import SpellRow
from leko_sickleave.absences.schemas import (
    EMPLOYEE_REF_MAX,
    FIELDS,
    JOB_GROUP_MAX,
    ORG_CODE_MAX,
    RECORD_ID_MAX,
    SOURCE_SYSTEM_MAX,
    Cause,
)
from leko_sickleave.danish_calendar import FIRST_DATE, LAST_DATE
from leko_sickleave.models import FRACTION_UNITS

# Printable ASCII but for '"' and ',' (and '/' for keys); possessive repeats never backtrack.
_KEY_FIRST = r"[!#-+\--.0-~]"
_KEY_REST = r"[ !#-+\--.0-~]"
_REF_FIRST = r"[!#-+\--~]"
_REF_REST = r"[ !#-+\--~]"


def _key(limit: int) -> str:
    return rf"{_KEY_FIRST}{_KEY_REST}{{0,{limit - 1}}}+(?<! )"


_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_PATTERNS = {
    "source_system": _key(SOURCE_SYSTEM_MAX),
    "source_record_id": _key(RECORD_ID_MAX),
    # A run of ten digits may be a CPR number: `parse_record` decides.
    "employee_ref": rf"(?![^,\n]*?[0-9]{{6}}[- ]?[0-9]{{4}}){_REF_FIRST}"
    rf"{_REF_REST}{{0,{EMPLOYEE_REF_MAX - 1}}}+(?<! )",
    # Any text; only the replica's codes (which have no spaces) are accepted after the match.
    "org_code": rf"(?P<org_code>[^,\n\"]{{1,{ORG_CODE_MAX}}}+)",
    # Any character but quotes, commas, line breaks and NUL; no whitespace (as `str.strip`
    # sees it) at either end.
    "job_group": rf"[^\s,\"\x00][^,\"\r\n\x00]{{0,{JOB_GROUP_MAX - 1}}}+(?<!\s)",
    "cause": "(?:" + "|".join(re.escape(cause.value) for cause in Cause) + ")",
    "start_date": rf"(?P<start_date>{_DATE})",
    "end_date": rf"(?P<end_date>{_DATE})?",
    # 0 < fraction ≤ 1 with at most four decimals, or empty (1).
    "fraction": r"(?:0\.(?!0{1,4}+(?:[,\n]))[0-9]{1,4}+|1(?:\.0{1,4}+)?)?",
}


@cache
def line_pattern(columns: tuple[str, ...]) -> re.Pattern[str]:
    """A canonical row with the header's `columns` (a subset of `FIELDS`, in any order),
    ending with a line feed."""
    assert set(columns) <= set(FIELDS)
    pattern = ",".join(_PATTERNS[name] for name in columns) + "\n"
    if "end_date" not in columns:
        pattern += "(?P<end_date>(?!))?"  # the group is there, never set: the spell is open
    return re.compile(pattern)


@cache
def iso_dates() -> frozenset[str]:
    """Every date the API accepts, as `yyyy-mm-dd`: a row's dates are valid exactly when they
    are in this set."""
    days = (LAST_DATE - FIRST_DATE).days + 1
    return frozenset((FIRST_DATE + timedelta(days=offset)).isoformat() for offset in range(days))


def scan(
    text: str, columns: tuple[str, ...], accepted: set[str], admit: Callable[[str], bool]
) -> tuple[int, list[tuple[int, int]]]:
    """The number of rows of `text` (whole lines, each ending with a line feed) and the
    (start, end) offsets of those that are not canonical. A row's organisation must be in
    `accepted`, or `admit(code)` (which may add it) must say yes; its dates must be valid, the
    end not before the start."""
    match = line_pattern(columns).match
    dates = iso_dates()
    others: list[tuple[int, int]] = []
    rows = position = 0
    size = len(text)
    while position < size:
        rows += 1
        found = match(text, position)
        if found is not None:
            org, start, end = found.group("org_code", "start_date", "end_date")
            if (
                (org in accepted or admit(org))
                and start in dates
                and (end is None or (end >= start and end in dates))
            ):
                position = found.end()
                continue
        end_of_line = text.index("\n", position) + 1
        others.append((position, end_of_line))
        position = end_of_line
    return rows, others


def canonical_line(spell: SpellRow, columns: tuple[str, ...]) -> str:
    """A checked spell as a plain CSV row in `columns` order. Its values come from a row
    without quotes, so they hold no commas, quotes or line breaks."""
    values = {
        "source_system": spell.source_system,
        "source_record_id": spell.source_record_id,
        "employee_ref": spell.employee_ref,
        "org_code": spell.org_code,
        "job_group": spell.job_group,
        "cause": spell.cause,
        "start_date": spell.start_date.isoformat(),
        "end_date": "" if spell.end_date is None else spell.end_date.isoformat(),
        "fraction": "{}.{:04d}".format(*divmod(spell.fraction_units, FRACTION_UNITS)),
    }
    return ",".join(values[name] for name in columns) + "\n"
