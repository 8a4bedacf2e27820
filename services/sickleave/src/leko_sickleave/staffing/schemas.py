"""API shapes of staffing (bemanding), the KPIs' denominators (SPEC §8).

Staffing is reported per organisation and month for the organisation's own employees, not
those of the organisations below it: a subtree's staffing is the sum over its organisations.
FTE is stored to 4 decimals and agreed hours to 2.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from leko_kit.schemas import StrictModel
from leko_sickleave.periods import MONTH_PATTERN

MAX_BATCH_RECORDS = 10_000

Employees = Annotated[
    int, Field(ge=1, le=10_000_000, description="Headcount (antal ansatte) in the month.")
]
Fte = Annotated[
    float,
    Field(
        gt=0,
        le=10_000_000,
        description="Full-time equivalents (årsværk/fuldtidsstillinger) in the month.",
    ),
]
AgreedHours = Annotated[
    float,
    Field(
        gt=0,
        le=10_000_000_000,
        description="Agreed working hours (aftalt arbejdstid) of all employees in the month.",
    ),
]
Month = Annotated[
    str, Field(pattern=MONTH_PATTERN, description="The month, `yyyy-mm`.", examples=["2025-03"])
]

_EXAMPLE: dict[str, Any] = {"employees": 412, "fte": 371.6, "agreed_hours": 56_125.5}


class StaffingWrite(StrictModel):
    """One organisation's staffing in one month."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    employees: Employees
    fte: Fte
    agreed_hours: AgreedHours


class StaffingRecord(StaffingWrite):
    """Staffing of `org_code` in `month`, as a batch record."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"org_code": "k101", "month": "2025-03", **_EXAMPLE}]}
    )

    org_code: str = Field(max_length=64, examples=["k101"])
    month: Month


class StaffingBatch(StrictModel):
    """Up to 10,000 staffing records; an (org_code, month) may appear once."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"records": [{"org_code": "k101", "month": "2025-03", **_EXAMPLE}]}]
        }
    )

    records: list[StaffingRecord] = Field(max_length=MAX_BATCH_RECORDS)


class StaffingRead(BaseModel):
    """Staffing as stored."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"org_code": "k101", "month": "2025-03", **_EXAMPLE}]}
    )

    org_code: str
    month: str
    employees: int
    fte: float
    agreed_hours: float
