"""API shapes of answering an invitation (SPEC §8)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from leko_evaluation.evaluations.schemas import RoundStatus
from leko_evaluation.question_sets.schemas import QuestionRead
from leko_evaluation.scale import Group
from leko_kit.schemas import StrictModel


class Questionnaire(BaseModel):
    """The questionnaire for the token's respondent group."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "group": "employee",
                    "evaluation_name": "Ledelsesevaluering 2026, Børne- og Ungdomsforvaltningen",
                    "leader_display_name": "Skoleleder, Kildevældsskolen",
                    "opens_at": "2026-03-02T07:00:00Z",
                    "closes_at": "2026-03-27T15:00:00Z",
                    "status": "open",
                    "questions": [
                        {
                            "id": "core-01",
                            "text_da": "Lederen sætter en tydelig retning for arbejdet.",
                            "theme": "core",
                            "kind": "scale",
                            "options": [
                                {
                                    "value": 1,
                                    "label_da": "Helt uenig",
                                    "label_en": "Strongly disagree",
                                },
                                {
                                    "value": None,
                                    "label_da": "Ved ikke / ikke relevant",
                                    "label_en": "Don't know / n.a.",
                                },
                            ],
                        }
                    ],
                }
            ]
        }
    )

    group: Group
    evaluation_name: str
    leader_display_name: str
    opens_at: datetime
    closes_at: datetime
    status: RoundStatus
    questions: list[QuestionRead] = Field(
        description="Core questions (`theme` `core`, every one to be answered, “ved ikke” "
        "allowed), the round's themes and local questions (`theme` `local`), in order."
    )


ScaleValue = Annotated[int, Field(strict=True, ge=1, le=5)]


class AnswerWrite(StrictModel):
    question_id: Annotated[str, Field(min_length=1, max_length=64)]
    value: ScaleValue | None = Field(
        description="1 (helt uenig) to 5 (helt enig), or null for “ved ikke / ikke relevant”."
    )


class ResponseWrite(StrictModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "answers": [
                        {"question_id": "core-01", "value": 4},
                        {"question_id": "core-02", "value": None},
                        {"question_id": "local-01", "value": 5},
                    ]
                }
            ]
        },
    )

    answers: Annotated[list[AnswerWrite], Field(min_length=1, max_length=200)]


class ResponseReceipt(BaseModel):
    """The response is stored; the token is spent. Nothing identifies the respondent."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "received", "group": "employee", "answers": 25}]}
    )

    status: str = "received"
    group: Group
    answers: int
