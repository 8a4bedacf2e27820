"""API shapes of the hotspots for the national effort against sick leave."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leko_sickleave.absences.schemas import Cause

_ITEM: dict[str, Any] = {
    "rank": 1,
    "org_code": "aar-pleje-2",
    "name": "Plejecenter Aarhus 2",
    "institution_type": "elderly_care",
    "parent_code": "k751",
    "municipality_code": "751",
    "region_code": None,
    "employees": 84.0,
    "fte": 71.3,
    "absence_days_per_fte": 21.4,
    "absence_percentage": 9.1,
    "spells_per_fte": 2.9,
    "long_term_spells": 11,
    "type_median_days_per_fte": 14.2,
}


class Hotspot(BaseModel):
    """A workplace with high absence, and how far above its institution type it is."""

    rank: int
    org_code: str
    name: str
    institution_type: str | None
    parent_code: str | None
    municipality_code: str | None
    region_code: str | None
    employees: float = Field(description="Mean headcount over the staffed months.")
    fte: float
    absence_days_per_fte: float
    absence_percentage: float
    spells_per_fte: float
    long_term_spells: int = Field(
        description="Closed spells of 29 days or more started in the year."
    )
    type_median_days_per_fte: float = Field(
        description="The median absence days per FTE of the workplaces of the same "
        "institution type that meet `min_employees`."
    )


class Hotspots(BaseModel):
    """The workplaces with the highest absence days per FTE in a year."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "year": 2025,
                    "cause": "own_sickness",
                    "institution_type": "elderly_care",
                    "min_employees": 20,
                    "workplaces_compared": 412,
                    "items": [_ITEM],
                }
            ]
        }
    )

    year: int
    cause: Cause
    institution_type: str | None
    min_employees: int
    workplaces_compared: int = Field(
        description="Workplaces that met `min_employees` and had staffing reported."
    )
    items: list[Hotspot]
