"""API shapes of taking part in a round: enrolment with invitations, and local questions."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from leko_kit.schemas import StrictModel

MAX_INVITATIONS = 5000
LOCAL_TEXT_MAX = 300
MAX_LOCAL_PER_OWNER = 10

OrgCode = Annotated[
    str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$", examples=["kbh-boernehuset-solsikken"])
]


class ParticipantCreate(StrictModel):
    """Enrol an organisation (§8) and issue invitation tokens; enrolling it again issues more."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"org_code": "kbh-boernehuset-solsikken", "invitations": 60}]
        }
    )

    org_code: OrgCode
    invitations: Annotated[
        int,
        Field(
            ge=0,
            le=MAX_INVITATIONS,
            description="One-time tokens to issue now (0 when a vendor invites on its own).",
        ),
    ]
    external_invitations: Annotated[
        int,
        Field(
            ge=0,
            le=100_000,
            description="People a vendor invited through its own system (answers come by "
            "batch import): counted in the number invited, which gives the response rate "
            "and the finite-population correction.",
        ),
    ] = 0


class ParticipantTokens(BaseModel):
    """The tokens are shown only here; LEKO keeps their hashes."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "round_id": 12,
                    "org_code": "kbh-boernehuset-solsikken",
                    "invited": 60,
                    "tokens": ["Zk3m0q9wJ5b8yXo1c2VjcmV0LXRva2Vu"],
                }
            ]
        }
    )

    round_id: int
    org_code: str
    invited: int = Field(description="Everyone invited so far, this request included.")
    tokens: list[str]


class ParticipantRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "org_code": "kbh-boernehuset-solsikken",
                    "name": "Børnehuset Solsikken",
                    "municipality": "k101",
                    "sector": "municipality",
                    "institution_type": "daycare",
                    "invited": 60,
                    "responded": 41,
                    "response_rate": 0.6833,
                }
            ]
        }
    )

    org_code: str
    name: str | None
    municipality: str | None
    sector: str
    institution_type: str | None
    invited: int
    responded: int
    response_rate: float | None


class LocalQuestionCreate(StrictModel):
    """A question a municipality or institution adds for the respondents of its own
    organisation and everything below it; answered on the 1–5 satisfaction scale."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "owner_code": "k101",
                    "text_da": "Hvor tilfreds er du med mulighederne for at komme på tur i "
                    "nærområdet?",
                }
            ]
        }
    )

    owner_code: OrgCode
    text_da: Annotated[str, Field(min_length=1, max_length=LOCAL_TEXT_MAX)]


class LocalQuestionRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "local-7",
                    "round_id": 12,
                    "owner_code": "k101",
                    "text_da": "Hvor tilfreds er du med mulighederne for at komme på tur i "
                    "nærområdet?",
                    "kind": "scale",
                    "published": False,
                }
            ]
        }
    )

    id: str
    round_id: int
    owner_code: str
    text_da: str
    kind: str = "scale"
    published: bool = Field(
        description="Results are shown beyond the owner (and to citizens once the round is "
        "published)."
    )
