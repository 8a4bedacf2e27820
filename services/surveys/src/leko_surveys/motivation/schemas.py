"""API shape of the motivation survey's results by sector (SPEC §6)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from leko_surveys.results.schemas import AreaResults

_SECTOR: dict[str, Any] = {
    "round_id": 14,
    "programme": "employee_motivation",
    "year": 2026,
    "published": True,
    "anonymity_threshold": 5,
    "area": "sector:state",
    "code": None,
    "name": None,
    "participants": 31,
    "invited": 40210,
    "n_responses": 25112,
    "response_rate": 0.6245,
    "suppressed": False,
    "reason": None,
    "headline_question_id": "motiv-overall",
    "questions": [],
}


class MotivationResults(BaseModel):
    """The employee motivation survey of a year: the state, the regions and the
    municipalities, each against the rest of the country, and the nation."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "year": 2026,
                    "round_id": 14,
                    "published": True,
                    "sectors": [_SECTOR],
                    "national": _SECTOR | {"area": "national", "participants": 412},
                }
            ]
        }
    )

    year: int
    round_id: int
    published: bool
    sectors: list[AreaResults]
    national: AreaResults
