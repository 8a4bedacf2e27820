"""API shapes of answering: by invitation token, and a vendor's batch import (SPEC §8)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from leko_kit.cpr import PseudonymousRef
from leko_kit.schemas import StrictModel
from leko_surveys.participation.schemas import OrgCode
from leko_surveys.programmes.schemas import QuestionRead
from leko_surveys.rounds.schemas import RoundStatus
from leko_surveys.scale import SCALE_OPTIONS

MAX_ANSWERS = 100
MAX_BATCH = 2000


class InvitationQuestionnaire(BaseModel):
    """What the token's respondent answers: the national questions, then local ones."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "round_id": 12,
                    "programme": "daycare",
                    "programme_label_da": "Forældretilfredshed i dagtilbud",
                    "year": 2026,
                    "org_code": "kbh-boernehuset-solsikken",
                    "org_name": "Børnehuset Solsikken",
                    "opens_at": "2026-03-02T07:00:00Z",
                    "closes_at": "2026-04-17T21:59:00Z",
                    "status": "open",
                    "questions": [
                        {
                            "id": "dag-overall",
                            "text_da": "Hvor tilfreds er du alt i alt med dit barns dagtilbud?",
                            "kind": "scale",
                            "options": [o.model_dump() for o in SCALE_OPTIONS],
                            "owner_code": None,
                        }
                    ],
                }
            ]
        }
    )

    round_id: int
    programme: str
    programme_label_da: str
    year: int
    org_code: str
    org_name: str | None
    opens_at: datetime
    closes_at: datetime
    status: RoundStatus
    questions: list[QuestionRead] = Field(
        description="Every question is to be answered: a value, or null for “ved ikke” "
        "(“ønsker ikke at svare” for a background question)."
    )


AnswerValue = (
    Annotated[int, Field(strict=True)] | Annotated[str, Field(min_length=1, max_length=32)] | None
)


class AnswerWrite(StrictModel):
    question_id: Annotated[str, Field(min_length=1, max_length=32)]
    value: AnswerValue = Field(
        description="A scale question: 1 (meget utilfreds) to 5 (meget tilfreds), or null for "
        "“ved ikke”. A choice question: one of its option values, or null."
    )


Answers = Annotated[list[AnswerWrite], Field(min_length=1, max_length=MAX_ANSWERS)]


class ResponseWrite(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "answers": [
                        {"question_id": "dag-age", "value": "age_3_5"},
                        {"question_id": "dag-01", "value": 4},
                        {"question_id": "dag-02", "value": None},
                        {"question_id": "dag-overall", "value": 5},
                    ]
                }
            ]
        }
    )

    answers: Answers


class ResponseReceipt(BaseModel):
    """The response is stored and the token spent. Nothing identifies the respondent."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "received", "answers": 14}]}
    )

    status: str = "received"
    answers: int


class BatchRecord(StrictModel):
    external_id: PseudonymousRef = Field(
        description="Your system's reference of this response (not a person: CPR numbers are "
        "refused). Sending it again with the same content changes nothing.",
        examples=["vendor-2026-000123"],
    )
    org_code: OrgCode
    answers: Answers


class BatchWrite(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "responses": [
                        {
                            "external_id": "vendor-2026-000123",
                            "org_code": "kbh-boernehuset-solsikken",
                            "answers": [
                                {"question_id": "dag-age", "value": "age_0_2"},
                                {"question_id": "dag-overall", "value": 4},
                            ],
                        }
                    ]
                }
            ]
        }
    )

    responses: Annotated[list[BatchRecord], Field(min_length=1, max_length=MAX_BATCH)]


class BatchResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"created": 1480, "unchanged": 20}]})

    created: int
    unchanged: int = Field(description="Sent before with the same content: nothing changed.")
