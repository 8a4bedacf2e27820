"""API shapes of survey rounds (SPEC §6, §8)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from leko_kit.schemas import StrictModel

MIN_THRESHOLD = 3
DEFAULT_THRESHOLD = 5

_CREATE: dict[str, Any] = {
    "programme": "daycare",
    "year": 2026,
    "opens_at": "2026-03-02T07:00:00Z",
    "closes_at": "2026-04-17T21:59:00Z",
}


class RoundCreate(StrictModel):
    """A national round of a programme (§8)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CREATE]})

    programme: Annotated[str, Field(min_length=1, max_length=32, examples=["daycare"])]
    year: Annotated[int, Field(ge=2000, le=2100)]
    opens_at: AwareDatetime = Field(description="Answers are accepted from this time (UTC).")
    closes_at: AwareDatetime = Field(
        description="…until this time; results open when the round closes."
    )
    anonymity_threshold: Annotated[
        int,
        Field(
            ge=MIN_THRESHOLD,
            le=50,
            description="Fewest respondents a result cell shows (never below 3).",
        ),
    ] = DEFAULT_THRESHOLD
    questionnaire_version: Annotated[
        int | None, Field(ge=1, description="A version of the programme; default the newest.")
    ] = None


class RoundStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class RoundRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 12,
                    **_CREATE,
                    "anonymity_threshold": 5,
                    "questionnaire_version": 1,
                    "status": "closed",
                    "published": True,
                    "published_at": "2026-05-04T08:00:00Z",
                    "created_at": "2026-01-10T12:00:00Z",
                    "participants": 412,
                    "invited": 24710,
                    "responses": 11904,
                }
            ]
        }
    )

    id: int
    programme: str
    year: int
    opens_at: datetime
    closes_at: datetime
    anonymity_threshold: int
    questionnaire_version: int
    status: RoundStatus
    published: bool
    published_at: datetime | None
    created_at: datetime
    participants: int = Field(description="Organisations enrolled.")
    invited: int = Field(description="Invitations issued, and declared by vendors.")
    responses: int
