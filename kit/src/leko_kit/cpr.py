"""The CPR guard: pseudonymous references must never be Danish civil registration numbers.

A CPR number is DDMMYY-SSSS or 10 digits whose first six form a valid date. Such a value in an
employee, leader or respondent reference is refused with 422.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

_CPR = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{2})[- ]?(\d{4})(?!\d)")

CPR_MESSAGE = (
    "looks like a CPR number; CPR numbers are never accepted, send a pseudonymous "
    "reference (e.g. a salted hash or your system's internal employee id) instead"
)


def looks_like_cpr(value: str) -> bool:
    """True when any 10-digit run (with optional dash after six) forms a valid DDMMYY date."""
    for match in _CPR.finditer(value):
        day, month, year = (int(match.group(i)) for i in (1, 2, 3))
        for century in (1900, 2000):
            try:
                date(century + year, month, day)
            except ValueError:
                continue
            return True
    return False


def _reject_cpr(value: str) -> str:
    if looks_like_cpr(value):
        raise ValueError(CPR_MESSAGE)
    return value


PseudonymousRef = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=128),
    AfterValidator(_reject_cpr),
]
