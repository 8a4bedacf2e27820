"""API shapes of a round's results (SPEC §6, §8)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_COMPARISON: dict[str, Any] = {
    "against": "rest_of_municipality",
    "reference_mean": 4.21,
    "rest_n": 1873,
    "rest_mean": 4.2,
    "difference": 0.31,
    "p_value": 0.0123,
    "significant": True,
    "test": "welch_t",
}
_CHANGE: dict[str, Any] = {
    "previous_round_id": 9,
    "previous_year": 2025,
    "previous_n": 44,
    "previous_mean": 4.32,
    "difference": 0.19,
    "p_value": 0.2761,
    "significant": False,
    "test": "welch_t",
}
_QUESTION: dict[str, Any] = {
    "question_id": "dag-overall",
    "text_da": "Hvor tilfreds er du alt i alt med dit barns dagtilbud?",
    "kind": "scale",
    "owner_code": None,
    "n": 47,
    "mean": 4.51,
    "sd": 0.62,
    "ci95": [4.36, 4.66],
    "distribution": {"1": 0, "2": 1, "3": 2, "4": 16, "5": 28, "dont_know": 2},
    "suppressed": False,
    "reason": None,
    "comparisons": {"municipality": _COMPARISON},
    "change": _CHANGE,
}


class ComparisonRead(BaseModel):
    """The unit's mean tested against the rest of the area (the area without the unit, so
    the two samples do not overlap) by Welch's t-test."""

    model_config = ConfigDict(json_schema_extra={"examples": [_COMPARISON]})

    against: str = Field(description="`rest_of_municipality` or `rest_of_country`.")
    reference_mean: float | None = Field(description="The whole area's mean, for reading.")
    rest_n: int
    rest_mean: float | None
    difference: float | None = Field(description="The unit's mean minus the rest's.")
    p_value: float | None
    significant: bool | None = Field(description="p < 0.05; null when it cannot be tested.")
    test: str


class ChangeRead(BaseModel):
    """The change since the programme's previous round (independent samples)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CHANGE]})

    previous_round_id: int
    previous_year: int
    previous_n: int
    previous_mean: float | None
    difference: float | None = Field(description="This round's mean minus the previous one's.")
    p_value: float | None
    significant: bool | None
    test: str


class QuestionResult(BaseModel):
    """One question: `n` answers on the scale ("ved ikke" only in the distribution), the mean
    with its 95% confidence interval (with the finite-population correction where the number
    invited is known), or `suppressed` with the reason."""

    model_config = ConfigDict(json_schema_extra={"examples": [_QUESTION]})

    question_id: str
    text_da: str
    kind: str
    owner_code: str | None = Field(description="The owner of a local question; null: national.")
    n: int | None
    mean: float | None
    sd: float | None
    ci95: tuple[float, float] | None
    distribution: dict[str, int] | None = Field(
        description="Scale: answers per value 1–5 and `dont_know`; choice: per option value "
        "and `dont_know` (“ønsker ikke at svare”)."
    )
    suppressed: bool
    reason: str | None
    comparisons: dict[str, ComparisonRead] = Field(default_factory=dict)
    change: ChangeRead | None = None


_UNIT: dict[str, Any] = {
    "round_id": 12,
    "programme": "daycare",
    "year": 2026,
    "published": True,
    "anonymity_threshold": 5,
    "invited": 64,
    "n_responses": 49,
    "response_rate": 0.7656,
    "suppressed": False,
    "reason": None,
    "headline_question_id": "dag-overall",
    "questions": [_QUESTION],
}


class InstitutionResults(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_UNIT,
                    "org_code": "kbh-boernehuset-solsikken",
                    "name": "Børnehuset Solsikken",
                    "municipality": "k101",
                }
            ]
        }
    )

    round_id: int
    programme: str
    year: int
    published: bool
    anonymity_threshold: int
    org_code: str
    name: str | None
    municipality: str | None
    invited: int
    n_responses: int
    response_rate: float | None
    suppressed: bool
    reason: str | None
    headline_question_id: str
    questions: list[QuestionResult]


class AreaResults(BaseModel):
    """A municipality (all its enrolled institutions), a sector or the nation."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {**_UNIT, "area": "municipality:k101", "code": "k101", "name": "Københavns Kommune"}
            ]
        }
    )

    round_id: int
    programme: str
    year: int
    published: bool
    anonymity_threshold: int
    area: str = Field(description="`national`, `municipality:<code>` or `sector:<name>`.")
    code: str | None
    name: str | None
    participants: int = Field(default=0, description="Enrolled organisations in the area.")
    invited: int
    n_responses: int
    response_rate: float | None
    suppressed: bool
    reason: str | None
    headline_question_id: str
    questions: list[QuestionResult]


class InstitutionScore(BaseModel):
    org_code: str
    name: str | None
    institution_type: str | None
    n_responses: int
    suppressed: bool
    reason: str | None
    n: int | None
    mean: float | None
    ci95: tuple[float, float] | None
    comparison: ComparisonRead | None = Field(description="Against the rest of the municipality.")


class InstitutionComparison(BaseModel):
    """A municipality's institutions side by side on the programme's headline question."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "round_id": 12,
                    "programme": "daycare",
                    "year": 2026,
                    "municipality": "k101",
                    "name": "Københavns Kommune",
                    "headline_question_id": "dag-overall",
                    "headline_text_da": "Hvor tilfreds er du alt i alt med dit barns dagtilbud?",
                    "municipality_mean": 4.21,
                    "institutions": [
                        {
                            "org_code": "kbh-boernehuset-solsikken",
                            "name": "Børnehuset Solsikken",
                            "institution_type": "daycare",
                            "n_responses": 49,
                            "suppressed": False,
                            "reason": None,
                            "n": 47,
                            "mean": 4.51,
                            "ci95": [4.36, 4.66],
                            "comparison": _COMPARISON,
                        }
                    ],
                }
            ]
        }
    )

    round_id: int
    programme: str
    year: int
    municipality: str
    name: str | None
    headline_question_id: str
    headline_text_da: str
    municipality_mean: float | None
    institutions: list[InstitutionScore]
