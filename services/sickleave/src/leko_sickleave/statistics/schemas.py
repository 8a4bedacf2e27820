"""API shapes of the absence statistics (SPEC §8)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leko_sickleave.absences.schemas import Cause
from leko_sickleave.periods import Granularity

_POINT: dict[str, Any] = {
    "period": "2025-Q1",
    "suppressed": False,
    "reason": None,
    "staffed_months": 3,
    "employees": 412.0,
    "fte": 371.6,
    "absence_days": 1571.5,
    "absence_days_per_fte": 4.2290,
    "absence_percentage": 5.32,
    "spells": 498,
    "spells_per_fte": 1.3401,
    "length_distribution": {"1-3": 331, "4-14": 121, "15-28": 24, "29+": 22},
    "top5_share": 0.3127,
}


class StatisticsPoint(BaseModel):
    """The KPIs of one period. When `suppressed`, every KPI is null and `reason` says why."""

    model_config = ConfigDict(json_schema_extra={"examples": [_POINT]})

    period: str = Field(description="`yyyy-mm`, `yyyy-Qn` or `yyyy`.")
    suppressed: bool = Field(
        description="True when the KPIs are withheld: fewer than 5 employees, no staffing "
        "reported (so the size is unknown), or complementary suppression (shown, they would "
        "reveal a small unit beside them by subtraction)."
    )
    reason: str | None = None
    staffed_months: int = Field(
        description="Months of the period with staffing reported; the KPIs cover these months "
        "only (absence in a month without staffing has no denominator)."
    )
    employees: float | None = Field(
        description="Headcount; for a quarter or year the mean of the months with staffing."
    )
    fte: float | None = Field(
        description="Full-time equivalents; for a quarter or year the mean of the months with "
        "staffing."
    )
    absence_days: float | None = Field(
        description="Fraværsdage: working days absent, weighted by `fraction`."
    )
    absence_days_per_fte: float | None = Field(
        description="Fraværsdagsværk pr. fuldtidsansat: absence_days / fte."
    )
    absence_percentage: float | None = Field(
        description="Fraværsprocent: absence hours / agreed hours × 100, absence hours = "
        "absence days × 7.4 (a full-time day, 37 hours / 5)."
    )
    spells: int | None = Field(description="Fraværsforløb started in the period.")
    spells_per_fte: float | None = Field(description="spells / fte.")
    length_distribution: dict[str, int] | None = Field(
        description="Spells started in the period by length in calendar days: `1-3`, `4-14`, "
        "`15-28`, `29+` (long-term, langtidsfravær). An open spell counts with its length up "
        "to the end of the period."
    )
    top5_share: float | None = Field(
        description="Share of the absence days carried by the ceil(5% × employees) most "
        "absent employees (0–1); null without absence."
    )


class Statistics(BaseModel):
    """A time series of the absence KPIs for an organisation's subtree (or the country)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "org_code": "k101",
                    "granularity": "quarter",
                    "cause": "own_sickness",
                    "series": [_POINT],
                }
            ]
        }
    )

    org_code: str = Field(description="The organisation, or `*` for the whole country.")
    granularity: Granularity
    cause: Cause
    series: list[StatisticsPoint]
