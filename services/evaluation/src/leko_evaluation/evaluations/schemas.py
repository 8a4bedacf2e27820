"""API shapes of evaluation rounds, their leaders and invitations (SPEC §5, §8)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from leko_evaluation.scale import Group, Level
from leko_kit.cpr import CPR_MESSAGE, PseudonymousRef, looks_like_cpr
from leko_kit.schemas import StrictModel

MIN_THRESHOLD = 3
DEFAULT_THRESHOLD = 5
MAX_LEADERS_PER_REQUEST = 2000
LOCAL_TEXT_MAX = 300

OrgCode = Annotated[str, Field(min_length=1, max_length=64, examples=["k101"])]


def _no_cpr(value: str) -> str:
    if looks_like_cpr(value):
        raise ValueError(CPR_MESSAGE)
    return value


class LocalQuestionWrite(StrictModel):
    text_da: Annotated[
        str,
        Field(
            min_length=1,
            max_length=LOCAL_TEXT_MAX,
            description="A statement in Danish on the same 1–5 scale, e.g. “Lederen …”.",
        ),
    ]


_CREATE: dict[str, Any] = {
    "org_code": "k101",
    "name": "Ledelsesevaluering 2026, Børne- og Ungdomsforvaltningen",
    "opens_at": "2026-03-02T07:00:00Z",
    "closes_at": "2026-03-27T15:00:00Z",
    "themes": ["direction", "trust", "team", "change"],
    "local_questions": [{"text_da": "Lederen understøtter arbejdet med den nye skolereform."}],
    "anonymity_threshold": 5,
}


class EvaluationCreate(StrictModel):
    """A round for an organisation and its subtree (§8)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_CREATE]})

    org_code: OrgCode
    name: Annotated[str, Field(min_length=1, max_length=200)]
    opens_at: AwareDatetime = Field(description="Answers are accepted from this time (UTC).")
    closes_at: AwareDatetime = Field(
        description="…until this time; reports open when the round closes."
    )
    themes: Annotated[
        list[str],
        Field(
            default_factory=list,
            max_length=12,
            description="Theme codes of the question set (about four).",
        ),
    ]
    local_questions: Annotated[list[LocalQuestionWrite], Field(default_factory=list, max_length=20)]
    anonymity_threshold: Annotated[
        int,
        Field(
            ge=MIN_THRESHOLD,
            le=50,
            description="Fewest respondents of a group shown in a report (never below 3).",
        ),
    ] = DEFAULT_THRESHOLD
    question_set_version: Annotated[
        int | None, Field(ge=1, description="A published version; default the current one.")
    ] = None


class RoundStatus(StrEnum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


class LocalQuestionRead(BaseModel):
    id: str
    text_da: str


class GroupRate(BaseModel):
    """Invited and responded in one respondent group: counts only, never who."""

    group: Group
    invited: int
    responded: int
    rate: float | None = Field(description="responded / invited, 0–1; null when none invited.")


class EvaluationRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 17,
                    **{k: v for k, v in _CREATE.items() if k != "local_questions"},
                    "local_questions": [
                        {
                            "id": "local-01",
                            "text_da": "Lederen understøtter arbejdet med den nye skolereform.",
                        }
                    ],
                    "year": 2026,
                    "status": "open",
                    "question_set_version": 1,
                    "created_at": "2026-02-10T12:00:00Z",
                    "leaders": 42,
                    "response_rates": [
                        {"group": "employee", "invited": 310, "responded": 201, "rate": 0.6484}
                    ],
                }
            ]
        }
    )

    id: int
    org_code: str
    name: str
    year: int
    opens_at: datetime
    closes_at: datetime
    status: RoundStatus
    question_set_version: int
    themes: list[str]
    local_questions: list[LocalQuestionRead]
    anonymity_threshold: int
    created_at: datetime
    leaders: int
    response_rates: list[GroupRate] = Field(description="The whole round, per group.")


class Respondents(StrictModel):
    """How many to invite per respondent group."""

    employee: Annotated[int, Field(ge=0, le=1000)] = 0
    peer: Annotated[int, Field(ge=0, le=100)] = 0
    superior: Annotated[int, Field(ge=0, le=10)] = 0
    self_: Annotated[int, Field(ge=0, le=1, alias="self")] = 0
    other: Annotated[int, Field(ge=0, le=1000)] = 0

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _someone(self) -> Respondents:
        if sum(self.counts().values()) == 0:
            raise ValueError("invite at least one respondent")
        return self

    def counts(self) -> dict[Group, int]:
        return {
            Group.SELF: self.self_,
            Group.SUPERIOR: self.superior,
            Group.EMPLOYEE: self.employee,
            Group.PEER: self.peer,
            Group.OTHER: self.other,
        }


class LeaderWrite(StrictModel):
    leader_ref: PseudonymousRef = Field(
        description="Your pseudonymous reference for the leader (never a CPR number)."
    )
    display_name: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_no_cpr)]
    org_code: OrgCode = Field(description="The leader's unit, in the round's organisation tree.")
    level: Level
    respondents: Respondents


class LeadersAdd(StrictModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "leaders": [
                        {
                            "leader_ref": "buf-leder-0042",
                            "display_name": "Skoleleder, Kildevældsskolen",
                            "org_code": "k101",
                            "level": "first_line",
                            "respondents": {"employee": 6, "peer": 0, "superior": 1, "self": 1},
                        }
                    ]
                }
            ]
        },
    )

    leaders: Annotated[list[LeaderWrite], Field(min_length=1, max_length=MAX_LEADERS_PER_REQUEST)]


class InvitationToken(BaseModel):
    group: Group
    token: str = Field(description="One-time token; shown only in this response.")


class LeaderInvitations(BaseModel):
    leader_ref: str
    invitations: list[InvitationToken]


class LeadersAdded(BaseModel):
    """The invitation tokens, shown once: LEKO keeps only their hashes."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "leaders": [
                        {
                            "leader_ref": "buf-leder-0042",
                            "invitations": [
                                {"group": "self", "token": "Qm9vZ2llLXdvb2dpZS0xMjM0NTY3ODkw"},
                                {"group": "employee", "token": "c2VjcmV0LXRva2VuLWZvci1lbXBs"},
                            ],
                        }
                    ]
                }
            ]
        }
    )

    leaders: list[LeaderInvitations]


class LeaderRead(BaseModel):
    """A leader of a round with the response rates per group (counts only)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "leader_ref": "buf-leder-0042",
                    "display_name": "Skoleleder, Kildevældsskolen",
                    "org_code": "k101",
                    "level": "first_line",
                    "responses": 5,
                    "response_rates": [
                        {"group": "employee", "invited": 6, "responded": 4, "rate": 0.6667},
                        {"group": "self", "invited": 1, "responded": 1, "rate": 1.0},
                    ],
                }
            ]
        }
    )

    leader_ref: str
    display_name: str
    org_code: str
    level: Level
    responses: int
    response_rates: list[GroupRate]
