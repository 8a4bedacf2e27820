"""API shapes of absence spells (SPEC §8) and the record check every upload format shares.

`AbsenceRecord` documents a record in the OpenAPI contract; `parse_record` enforces exactly
those rules on JSON, NDJSON and CSV records alike. It is a plain function rather than a model
validation per record because it runs for every row of uploads of millions of rows (measured:
about 1.3 µs a record against 4–7 µs for a pydantic model), and it reports every bad field of a
record instead of stopping at the first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import ConfigDict, Field

from leko_kit.cpr import CPR_MESSAGE, PseudonymousRef, looks_like_cpr
from leko_kit.schemas import StrictModel
from leko_sickleave.absences.contributions import SpellRow
from leko_sickleave.danish_calendar import FIRST_DATE, LAST_DATE
from leko_sickleave.models import FRACTION_UNITS, FULL_TIME_DAY_HOURS

MAX_JSON_RECORDS = 10_000
SOURCE_SYSTEM_MAX, RECORD_ID_MAX, EMPLOYEE_REF_MAX, ORG_CODE_MAX, JOB_GROUP_MAX = (
    64,
    128,
    128,
    64,
    64,
)


class Cause(StrEnum):
    """Fraværsårsag: egen sygdom, barns sygdom, arbejdsskade, graviditetsrelateret fravær."""

    OWN_SICKNESS = "own_sickness"
    CHILD_SICKNESS = "child_sickness"
    WORK_INJURY = "work_injury"
    PREGNANCY_RELATED = "pregnancy_related"


FIELDS = (
    "source_system",
    "source_record_id",
    "employee_ref",
    "org_code",
    "job_group",
    "cause",
    "start_date",
    "end_date",
    "fraction",
    "hours",
)
REQUIRED_FIELDS = frozenset(FIELDS[:7])
_CAUSES = frozenset(Cause)
_KEY_RULE = "1–{} printable characters without '/'"

_EXAMPLE_RECORD: dict[str, Any] = {
    "source_system": "kmd-opus",
    "source_record_id": "2025-000184",
    "employee_ref": "e-7f3a91c2",
    "org_code": "k101",
    "job_group": "pædagog",
    "cause": "own_sickness",
    "start_date": "2025-03-03",
    "end_date": "2025-03-07",
    "fraction": 1,
}


class AbsenceRecord(StrictModel):
    """One absence spell (fraværsforløb) from a payroll or HR system."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE_RECORD]})

    source_system: str = Field(
        min_length=1,
        max_length=SOURCE_SYSTEM_MAX,
        description="The reporting system; with `source_record_id` the spell's natural key. "
        + _KEY_RULE.format(SOURCE_SYSTEM_MAX),
    )
    source_record_id: str = Field(
        min_length=1,
        max_length=RECORD_ID_MAX,
        description="The spell's id in that system: posting it again updates the spell. "
        + _KEY_RULE.format(RECORD_ID_MAX),
    )
    employee_ref: PseudonymousRef = Field(
        description="Pseudonymous employee reference; a CPR number is refused."
    )
    org_code: str = Field(
        max_length=ORG_CODE_MAX, description="The organisation the employee works in."
    )
    job_group: str = Field(
        min_length=1, max_length=JOB_GROUP_MAX, description="Stillingsgruppe, e.g. `pædagog`."
    )
    cause: Cause
    start_date: date = Field(description="First day of absence, 2000-01-01 to 2100-12-31.")
    end_date: date | None = Field(
        None, description="Last day of absence (on or after `start_date`); null while open."
    )
    fraction: Annotated[float, Field(gt=0, le=1)] = Field(
        1.0,
        description="Share of each day absent (0 < fraction ≤ 1; 0.5 = half days); stored to "
        "4 decimals. Leave it out when you give `hours`.",
    )
    hours: Annotated[float, Field(gt=0, le=FULL_TIME_DAY_HOURS)] | None = Field(
        None,
        description="Instead of `fraction`: hours absent on each working day of the spell, "
        "0 < hours ≤ 7.4. Stored as the fraction hours / 7.4 of a full-time day (dagsværk, "
        "37 hours a week / 5), so 3.7 hours count as half an absence day.",
        examples=[3.7],
    )


class AbsenceBatch(StrictModel):
    """A JSON batch: up to 10,000 records; use NDJSON or CSV for more."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"records": [_EXAMPLE_RECORD]}]})

    records: list[AbsenceRecord] = Field(max_length=MAX_JSON_RECORDS)


FieldErrors = list[tuple[str, str]]


def _text(value: Any, field: str, limit: int, errors: FieldErrors) -> str:
    if type(value) is not str:
        errors.append((field, "is required and must be a string"))
        return ""
    text: str = value.strip()
    if not text or len(text) > limit:
        errors.append((field, f"must be 1–{limit} characters"))
    return text


def _key(value: Any, field: str, limit: int, errors: FieldErrors) -> str:
    text = _text(value, field, limit, errors)
    if text and ("/" in text or not text.isprintable()):
        errors.append((field, "must not contain '/' or control characters"))
    return text


def _date(value: Any, field: str, errors: FieldErrors) -> date | None:
    if value is None or value == "":
        return None
    try:
        day = date.fromisoformat(value) if type(value) is str else None
    except ValueError:
        day = None
    if day is None:
        errors.append((field, "must be an ISO 8601 date (yyyy-mm-dd)"))
    elif not FIRST_DATE <= day <= LAST_DATE:
        errors.append((field, "must lie between 2000-01-01 and 2100-12-31"))
        return None
    return day


def _given(value: Any) -> bool:
    return value is not None and value != ""


def _number(value: Any) -> float:
    try:
        return float(value) if type(value) in (str, int, float) else float("nan")
    except ValueError:
        return float("nan")


def spell_units(fraction: Any, hours: Any) -> int:
    """The fraction units of a spell's partial days, from `fraction` (default 1) or from
    `hours` per day (hours / 7.4); 0 when they are not valid or both are given."""
    if _given(hours):
        number = _number(hours)
        if _given(fraction) or not 0 < number <= FULL_TIME_DAY_HOURS:
            return 0
        return round(number / FULL_TIME_DAY_HOURS * FRACTION_UNITS)
    if not _given(fraction):
        return FRACTION_UNITS
    number = _number(fraction)
    return round(number * FRACTION_UNITS) if 0 < number <= 1 else 0


def _units(fraction: Any, hours: Any, errors: FieldErrors) -> int:
    units = spell_units(fraction, hours)
    if units:
        return units
    if _given(hours) and _given(fraction):
        errors.append(("hours", "give either `hours` or `fraction` for a spell, not both"))
    elif _given(hours):
        errors.append(
            (
                "hours",
                "must be the hours absent per working day, 0 < hours ≤ 7.4 (a full day; "
                "at least 0.0004)",
            )
        )
    else:
        errors.append(("fraction", "must be a number with 0 < fraction ≤ 1 (at least 0.0001)"))
    return units


def parse_record(values: Sequence[Any]) -> SpellRow | FieldErrors:
    """A record's values in `FIELDS` order (None or "" for an absent optional field) as a
    storable spell, or the (field, message) of every problem. `org_code` is checked against
    the organisation replica by the caller.

    The common case, a valid record, takes one pass of cheap tests; anything else goes through
    `record_problems`, which applies the same rules field by field to name every problem.
    """
    try:
        source_system, record_id, employee, org, job_group, cause, start, end, fraction, hours = (
            values
        )
        source_system, record_id = source_system.strip(), record_id.strip()
        employee, org, job_group = employee.strip(), org.strip(), job_group.strip()
        start_date = date.fromisoformat(start)
        end_date = None if end is None or end == "" else date.fromisoformat(end)
        units = spell_units(fraction, hours)
        if (
            units
            and 0 < len(source_system) <= SOURCE_SYSTEM_MAX
            and 0 < len(record_id) <= RECORD_ID_MAX
            and 0 < len(employee) <= EMPLOYEE_REF_MAX
            and 0 < len(org) <= ORG_CODE_MAX
            and 0 < len(job_group) <= JOB_GROUP_MAX
            and cause in _CAUSES
            and type(cause) is str
            and FIRST_DATE <= start_date <= LAST_DATE
            and (end_date is None or start_date <= end_date <= LAST_DATE)
            and "/" not in source_system
            and "/" not in record_id
            and source_system.isprintable()
            and record_id.isprintable()
            and not looks_like_cpr(employee)
        ):
            return SpellRow(
                source_system,
                record_id,
                employee,
                org,
                job_group,
                cause,
                start_date,
                end_date,
                units,
            )
    except (AttributeError, TypeError, ValueError):
        pass
    return record_problems(values)


def record_problems(values: Sequence[Any]) -> SpellRow | FieldErrors:
    """`parse_record` field by field: every problem of the record (or its spell if none)."""
    errors: FieldErrors = []
    if not isinstance(values, Sequence) or len(values) != len(FIELDS):
        return [("", f"must have the {len(FIELDS)} record fields")]
    source_system, record_id, employee, org, job_group, cause, start, end, fraction, hours = values
    source_system = _key(source_system, "source_system", SOURCE_SYSTEM_MAX, errors)
    record_id = _key(record_id, "source_record_id", RECORD_ID_MAX, errors)
    employee = _text(employee, "employee_ref", EMPLOYEE_REF_MAX, errors)
    if employee and looks_like_cpr(employee):
        errors.append(("employee_ref", CPR_MESSAGE))
    org = _text(org, "org_code", ORG_CODE_MAX, errors)
    job_group = _text(job_group, "job_group", JOB_GROUP_MAX, errors)
    if type(cause) is not str or cause not in _CAUSES:
        errors.append(("cause", "must be one of " + ", ".join(Cause)))
    start_date = _date(start, "start_date", errors)
    if start_date is None and not any(field == "start_date" for field, _ in errors):
        errors.append(("start_date", "is required"))
    end_date = _date(end, "end_date", errors)
    if start_date is not None and end_date is not None and end_date < start_date:
        errors.append(("end_date", "is before start_date; a spell ends on or after it starts"))
    units = _units(fraction, hours, errors)
    if errors or start_date is None:
        return errors
    return SpellRow(
        source_system, record_id, employee, org, job_group, cause, start_date, end_date, units
    )
