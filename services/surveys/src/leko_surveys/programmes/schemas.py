"""API shapes of the survey programmes and their questionnaire versions (SPEC §6, §8)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leko_kit.schemas import StrictModel
from leko_surveys.scale import MAX_CHOICE_OPTIONS, NO_ANSWER, SCALE_OPTIONS, Kind, OptionRead

LOCAL_PREFIX = "local-"

QuestionId = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
        max_length=32,
        description="Stable id; the same id in a later version means the same question, so "
        "the change since the previous round follows it.",
        examples=["dag-overall"],
    ),
]
Text = Annotated[str, Field(min_length=1, max_length=300)]


class OptionWrite(StrictModel):
    value: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$", examples=["age_0_2"])]
    label_da: Annotated[str, Field(min_length=1, max_length=100, examples=["0–2 år"])]


class QuestionWrite(StrictModel):
    id: QuestionId
    text_da: Text
    kind: Kind = Kind.SCALE
    options: Annotated[
        list[OptionWrite] | None,
        Field(
            max_length=MAX_CHOICE_OPTIONS,
            description="For `choice` only: 2–5 options (null, “ønsker ikke at svare”, is "
            "always allowed as well).",
        ),
    ] = None

    @model_validator(mode="after")
    def _options_fit_kind(self) -> QuestionWrite:
        if self.kind is Kind.SCALE and self.options is not None:
            raise ValueError("a scale question has the fixed 1–5 scale; leave `options` out")
        if self.kind is Kind.CHOICE:
            values = [o.value for o in self.options or []]
            if len(values) < 2:
                raise ValueError("a choice question needs 2–5 options")
            if len(set(values)) != len(values):
                raise ValueError("option values must be unique")
        return self


_WRITE: dict[str, Any] = {
    "note": "Version 2: spørgsmål om madordningen omformuleret.",
    "headline_question_id": "dag-overall",
    "questions": [
        {
            "id": "dag-age",
            "text_da": "Hvor gammelt er dit barn?",
            "kind": "choice",
            "options": [
                {"value": "age_0_2", "label_da": "0–2 år"},
                {"value": "age_3_5", "label_da": "3–5 år"},
            ],
        },
        {
            "id": "dag-overall",
            "text_da": "Hvor tilfreds er du alt i alt med dit barns dagtilbud?",
            "kind": "scale",
        },
    ],
}


class QuestionnaireWrite(StrictModel):
    """A version of a programme's national questions."""

    model_config = ConfigDict(json_schema_extra={"examples": [_WRITE]})

    note: Annotated[str | None, Field(max_length=500)] = None
    headline_question_id: QuestionId = Field(
        description="The scale question citizens compare institutions on (overall satisfaction)."
    )
    questions: Annotated[list[QuestionWrite], Field(min_length=1, max_length=60)]

    @model_validator(mode="after")
    def _consistent(self) -> QuestionnaireWrite:
        ids = [q.id for q in self.questions]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"question ids must be unique; repeated: {', '.join(repeated)}")
        reserved = [i for i in ids if i.startswith(LOCAL_PREFIX)]
        if reserved:
            raise ValueError(f"ids starting with `local-` are for local questions: {reserved}")
        kinds = {q.id: q.kind for q in self.questions}
        if kinds.get(self.headline_question_id) is not Kind.SCALE:
            raise ValueError("headline_question_id must name a scale question of the version")
        return self


class QuestionRead(BaseModel):
    """A question as §8 shapes it; local questions name their owner."""

    id: str
    text_da: str
    kind: Kind
    options: list[OptionRead]
    owner_code: str | None = Field(
        default=None, description="For a local question: the organisation that added it."
    )


def question_read(data: dict[str, Any]) -> QuestionRead:
    """A stored question (national content) as the API shows it, with every allowed answer."""
    kind = Kind(data["kind"])
    options = (
        list(SCALE_OPTIONS)
        if kind is Kind.SCALE
        else [OptionRead(**option) for option in data["options"]] + [NO_ANSWER]
    )
    return QuestionRead(id=data["id"], text_da=data["text_da"], kind=kind, options=options)


_QUESTION_EXAMPLE: dict[str, Any] = {
    "id": "dag-overall",
    "text_da": "Hvor tilfreds er du alt i alt med dit barns dagtilbud?",
    "kind": "scale",
    "options": [o.model_dump() for o in SCALE_OPTIONS],
    "owner_code": None,
}


class QuestionnaireRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "programme": "daycare",
                    "version": 1,
                    "current": True,
                    "in_use": True,
                    "note": "Version 1.",
                    "headline_question_id": "dag-overall",
                    "created_at": "2026-01-05T09:00:00Z",
                    "questions": [_QUESTION_EXAMPLE],
                }
            ]
        }
    )

    programme: str
    version: int
    current: bool = Field(description="The newest version: what new rounds use.")
    in_use: bool = Field(description="Used by a round, and so immutable.")
    note: str | None
    headline_question_id: str
    created_at: datetime
    questions: list[QuestionRead]


_PROGRAMME: dict[str, Any] = {
    "code": "daycare",
    "label_da": "Forældretilfredshed i dagtilbud",
    "label_en": "Parent satisfaction with daycare",
    "respondents": "parents",
    "institution_types": ["daycare"],
    "sectors": ["municipality"],
    "results_by_sector": False,
    "current_version": 1,
}


class ProgrammeRead(BaseModel):
    """A national programme: who answers and which organisations can take part."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PROGRAMME]})

    code: str
    label_da: str
    label_en: str
    respondents: str = Field(description="`parents`, `pupils`, `users` or `employees`.")
    institution_types: list[str] | None = Field(
        description="Institution types that can enrol; null: any organisation of `sectors`."
    )
    sectors: list[str]
    results_by_sector: bool = Field(
        description="Results are also aggregated by sector (the motivation survey)."
    )
    current_version: int | None
