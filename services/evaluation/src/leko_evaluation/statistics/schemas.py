"""API shapes of the national overview on the core questions."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_CELL: dict[str, Any] = {
    "sector": "municipality",
    "level": "first_line",
    "leaders": 5120,
    "respondents": 41877,
    "suppressed": False,
    "reason": None,
    "questions": [
        {
            "question_id": "core-01",
            "n": 40112,
            "mean": 3.94,
            "distribution": {
                "1": 812,
                "2": 2610,
                "3": 7420,
                "4": 17220,
                "5": 12050,
                "dont_know": 1765,
            },
        }
    ],
}


class NationalQuestion(BaseModel):
    question_id: str
    n: int = Field(description="Answers 1–5.")
    mean: float | None
    distribution: dict[str, int]


class NationalCell(BaseModel):
    """Respondents other than the leaders themselves, in one sector and level (null: all)."""

    sector: str | None = Field(description="`state`, `region`, `municipality`; null: all.")
    level: str | None = Field(description="`top`, `middle`, `first_line`; null: all.")
    leaders: int | None = Field(description="Leaders with responses (null when suppressed).")
    respondents: int | None
    suppressed: bool
    reason: str | None = None
    questions: list[NationalQuestion] = []


class NationalYear(BaseModel):
    year: int
    cells: list[NationalCell]


class NationalOverview(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "questions": [
                        {
                            "id": "core-01",
                            "text_da": "Lederen sætter en tydelig retning for arbejdet.",
                        }
                    ],
                    "years": [{"year": 2026, "cells": [_CELL]}],
                }
            ]
        }
    )

    questions: list[dict[str, str]] = Field(description="The core questions' ids and texts.")
    years: list[NationalYear]
