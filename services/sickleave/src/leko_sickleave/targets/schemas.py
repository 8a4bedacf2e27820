"""API shapes of absence targets (måltal for sygefravær) and their tracking."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from leko_kit.schemas import StrictModel


class TargetWrite(StrictModel):
    """The target for a year: absence days per FTE (own sickness), to two decimals."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"days_per_fte": 10.5}]})

    days_per_fte: Annotated[
        Decimal,
        Field(
            gt=0,
            le=100,
            decimal_places=2,
            description="Target absence days per FTE (fraværsdagsværk pr. fuldtidsansat) for "
            "the year, for the organisation and everything below it.",
        ),
    ]


class TargetRead(BaseModel):
    org_code: str = Field(description="The organisation, or `national` for the country.")
    year: int
    days_per_fte: float
    updated_at: datetime


class TargetState(StrEnum):
    ON_TRACK = "on_track"
    OFF_TRACK = "off_track"
    NO_TARGET = "no_target"
    NO_DATA = "no_data"
    WITHHELD = "withheld"


class TargetStatus(BaseModel):
    """Actual against target in one year."""

    year: int
    target_days_per_fte: float | None
    target_source: str | None = Field(
        description="`set` (PUT for the organisation and year) or, for the national goal "
        "without a set target, `previous_year`: the year before's actual, as sick leave is to "
        "fall year on year."
    )
    staffed_months: int
    actual_days_per_fte: float | None = Field(
        description="Absence days per FTE over the months with staffing reported so far."
    )
    projected_days_per_fte: float | None = Field(
        description="The actual scaled to the whole year by working days (equal to the actual "
        "once all 12 months are reported)."
    )
    previous_year_days_per_fte: float | None
    change_from_previous_year: float | None
    status: TargetState = Field(
        description="`on_track` when the projection is at or below the target, `off_track` "
        "above it; `no_target`, `no_data` (no staffing reported) or `withheld` (fewer than 5 "
        "employees) when it cannot be judged."
    )


_STATUS: dict[str, Any] = {
    "year": 2025,
    "target_days_per_fte": 11.0,
    "target_source": "set",
    "staffed_months": 9,
    "actual_days_per_fte": 8.1,
    "projected_days_per_fte": 10.7,
    "previous_year_days_per_fte": 11.6,
    "change_from_previous_year": None,
    "status": "on_track",
}


class TargetTracking(BaseModel):
    """Targets of an organisation (or the country) with actual against target per year."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "org_code": "k101",
                    "name": "Københavns Kommune",
                    "cause": "own_sickness",
                    "years": [_STATUS],
                }
            ]
        }
    )

    org_code: str
    name: str
    cause: str = Field(description="Targets concern own sickness (egen sygdom).")
    years: list[TargetStatus]
