"""API shapes of the leader report and the organisation report (SPEC §5, §8)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leko_evaluation.evaluations.schemas import GroupRate
from leko_evaluation.scale import Level


class QuestionResult(BaseModel):
    question_id: str
    theme: str
    n: int = Field(description="Answers 1–5 (the mean's base); “ved ikke” is not counted.")
    mean: float | None
    distribution: dict[str, int] = Field(
        description="How many answered 1, 2, 3, 4, 5 and `dont_know` (ved ikke)."
    )


class ThemeResult(BaseModel):
    theme: str
    n: int = Field(description="Answers 1–5 to the theme's statements.")
    mean: float | None = Field(description="Over every answer 1–5 to the theme's statements.")


class GroupResult(BaseModel):
    n: int = Field(description="Respondents of the group.")
    suppressed: bool
    reason: str | None = None
    themes: list[ThemeResult] = []
    questions: list[QuestionResult] = []


class SelfOther(BaseModel):
    question_id: str
    theme: str
    self: float | None = Field(description="The leader's own answer (null: ved ikke).")
    others_mean: float | None = Field(description="Mean of the shown groups other than self.")
    gap: float | None = Field(description="self − others_mean.")
    notable: bool = Field(description="|gap| ≥ 1: worth taking up in the dialogue.")


class SelfOtherTheme(BaseModel):
    theme: str
    self: float | None
    others_mean: float | None
    gap: float | None
    notable: bool


class BenchmarkQuestion(BaseModel):
    question_id: str
    others_mean: float | None = Field(description="This leader, groups other than self.")
    national_mean: float | None = Field(description="All leaders of the year, likewise.")
    national_n: int
    difference: float | None = Field(description="others_mean − national_mean.")


class Benchmark(BaseModel):
    year: int
    suppressed: bool = False
    reason: str | None = None
    questions: list[BenchmarkQuestion]


class ThemeLabel(BaseModel):
    code: str
    label_da: str
    label_en: str


class QuestionText(BaseModel):
    id: str
    theme: str
    text_da: str


_GROUP: dict[str, Any] = {
    "n": 6,
    "suppressed": False,
    "reason": None,
    "themes": [{"theme": "core", "n": 46, "mean": 3.96}],
    "questions": [
        {
            "question_id": "core-01",
            "theme": "core",
            "n": 5,
            "mean": 4.2,
            "distribution": {"1": 0, "2": 0, "3": 1, "4": 2, "5": 2, "dont_know": 1},
        }
    ],
}
_LEADER_REPORT: dict[str, Any] = {
    "evaluation_id": 17,
    "evaluation_name": "Ledelsesevaluering 2026, Børne- og Ungdomsforvaltningen",
    "leader_ref": "buf-leder-0042",
    "display_name": "Skoleleder, Kildevældsskolen",
    "org_code": "k101",
    "level": "first_line",
    "year": 2026,
    "anonymity_threshold": 5,
    "response_rates": [{"group": "employee", "invited": 8, "responded": 6, "rate": 0.75}],
    "groups": {
        "employee": _GROUP,
        "peer": {
            "n": 2,
            "suppressed": True,
            "reason": "fewer than 5 responses",
            "themes": [],
            "questions": [],
        },
    },
    "others_groups": ["employee", "superior"],
    "self_other": [
        {
            "question_id": "core-01",
            "theme": "core",
            "self": 5.0,
            "others_mean": 3.86,
            "gap": 1.14,
            "notable": True,
        }
    ],
    "self_other_themes": [
        {"theme": "core", "self": 4.5, "others_mean": 3.9, "gap": 0.6, "notable": False}
    ],
    "benchmark": {
        "year": 2026,
        "suppressed": False,
        "reason": None,
        "questions": [
            {
                "question_id": "core-01",
                "others_mean": 3.86,
                "national_mean": 3.95,
                "national_n": 48211,
                "difference": -0.09,
            }
        ],
    },
    "themes": [{"code": "core", "label_da": "Kernespørgsmål", "label_en": "Core questions"}],
    "questions": [
        {
            "id": "core-01",
            "theme": "core",
            "text_da": "Lederen sætter en tydelig retning for arbejdet.",
        }
    ],
    "notes": ["Selvevaluering og overordnet leder vises som de enkelte svar."],
}


class LeaderReport(BaseModel):
    """A leader's 360° report (§8 shape, with more fields)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_LEADER_REPORT]})

    evaluation_id: int
    evaluation_name: str
    leader_ref: str
    display_name: str
    org_code: str
    level: Level
    year: int
    anonymity_threshold: int
    response_rates: list[GroupRate]
    groups: dict[str, GroupResult]
    others_groups: list[str] = Field(description="The groups in `others_mean`: shown ones.")
    self_other: list[SelfOther]
    self_other_themes: list[SelfOtherTheme]
    benchmark: Benchmark
    themes: list[ThemeLabel]
    questions: list[QuestionText]
    notes: list[str]


class OrgGroupResult(GroupResult):
    withheld_respondents: int = Field(
        0,
        description="Respondents left out of this cell: the small groups of single leaders, "
        "when together they are fewer than the threshold (so they cannot be worked out from "
        "the leaders' own reports).",
    )


class LevelResult(BaseModel):
    level: str = Field(description="`all`, `top`, `middle` or `first_line`.")
    leaders: int
    groups: dict[str, OrgGroupResult]


class OrganisationReport(BaseModel):
    """A round's aggregate over its leaders, by leader level and respondent group."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "evaluation_id": 17,
                    "org_code": "k101",
                    "name": "Ledelsesevaluering 2026, Børne- og Ungdomsforvaltningen",
                    "year": 2026,
                    "anonymity_threshold": 5,
                    "closes_at": "2026-03-27T15:00:00Z",
                    "response_rates": [
                        {"group": "employee", "invited": 310, "responded": 201, "rate": 0.6484}
                    ],
                    "levels": [
                        {
                            "level": "all",
                            "leaders": 42,
                            "groups": {"employee": {**_GROUP, "n": 198, "withheld_respondents": 3}},
                        }
                    ],
                    "themes": _LEADER_REPORT["themes"],
                    "questions": _LEADER_REPORT["questions"],
                    "notes": ["Grupper under anonymitetsgrænsen vises ikke."],
                }
            ]
        }
    )

    evaluation_id: int
    org_code: str
    name: str
    year: int
    anonymity_threshold: int
    closes_at: datetime
    response_rates: list[GroupRate]
    levels: list[LevelResult]
    themes: list[ThemeLabel]
    questions: list[QuestionText]
    notes: list[str]
