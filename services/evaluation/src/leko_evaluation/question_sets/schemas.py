"""API shapes of the national question set (spørgeramme) and its versions."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from leko_evaluation.models import CORE_THEME, LOCAL_THEME
from leko_evaluation.scale import SCALE_OPTIONS, ScaleOption
from leko_kit.schemas import StrictModel

QuestionId = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$",
        max_length=32,
        description="Stable id; the same id in a later version means the same question.",
        examples=["core-01"],
    ),
]
Text = Annotated[str, Field(min_length=1, max_length=300)]


class QuestionWrite(StrictModel):
    id: QuestionId
    text_da: Text = Field(description="The statement as others read it (“Lederen …”).")
    text_self_da: Text = Field(description="The statement as the leader reads it (“Jeg …”).")


class ThemeWrite(StrictModel):
    code: Annotated[
        str, Field(pattern=r"^[a-z][a-z0-9_]{1,31}$", description="English identifier.")
    ]
    label_da: Annotated[str, Field(min_length=1, max_length=100)]
    label_en: Annotated[str, Field(min_length=1, max_length=100)]
    questions: Annotated[list[QuestionWrite], Field(min_length=1, max_length=12)]


_EXAMPLE: dict[str, Any] = {
    "note": "Version 2: tema om digitalisering tilføjet.",
    "core": [
        {
            "id": "core-01",
            "text_da": "Lederen sætter en tydelig retning for arbejdet.",
            "text_self_da": "Jeg sætter en tydelig retning for arbejdet.",
        }
    ],
    "themes": [
        {
            "code": "digital",
            "label_da": "Digital omstilling",
            "label_en": "Digital transformation",
            "questions": [
                {
                    "id": "digital-01",
                    "text_da": "Lederen bruger digitale løsninger, hvor de gavner opgaven.",
                    "text_self_da": "Jeg bruger digitale løsninger, hvor de gavner opgaven.",
                }
            ],
        }
    ],
}


class QuestionSetWrite(StrictModel):
    """A new version of the national question set, saved as a draft until published."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    note: Annotated[str | None, Field(max_length=500)] = None
    core: Annotated[
        list[QuestionWrite],
        Field(min_length=1, max_length=20, description="Mandatory core questions."),
    ]
    themes: Annotated[list[ThemeWrite], Field(max_length=30)]

    @model_validator(mode="after")
    def _unique(self) -> QuestionSetWrite:
        ids = [q.id for q in self.core] + [q.id for t in self.themes for q in t.questions]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"question ids must be unique; repeated: {', '.join(duplicates)}")
        reserved = [i for i in ids if i.startswith(LOCAL_THEME + "-")]
        if reserved:
            raise ValueError(f"ids starting with `local-` are for local questions: {reserved}")
        codes = [t.code for t in self.themes]
        if len(set(codes)) != len(codes) or {CORE_THEME, LOCAL_THEME} & set(codes):
            raise ValueError("theme codes must be unique and not `core` or `local`")
        return self


class QuestionSetStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class QuestionRead(BaseModel):
    """A statement as §8 shapes questions, with the self-assessment wording beside it."""

    id: str
    text_da: str
    text_self_da: str | None = None
    theme: str
    kind: Literal["scale"] = "scale"
    options: list[ScaleOption] = Field(default_factory=lambda: list(SCALE_OPTIONS))


class ThemeRead(BaseModel):
    code: str
    label_da: str
    label_en: str
    questions: list[QuestionRead]


class ThemeSummary(BaseModel):
    code: str
    label_da: str
    label_en: str
    questions: int


_SUMMARY: dict[str, Any] = {
    "version": 1,
    "status": "published",
    "current": True,
    "in_use": True,
    "note": "Den nationale spørgeramme, version 1: 8 kernespørgsmål og 6 temaer.",
    "published_at": "2026-01-05T09:00:00Z",
    "core_questions": 8,
    "themes": [
        {
            "code": "direction",
            "label_da": "Retning og mål",
            "label_en": "Direction and vision",
            "questions": 5,
        }
    ],
}


class QuestionSetSummary(BaseModel):
    """A version in a list: what an organisation can pick from it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_SUMMARY]})

    version: int
    status: QuestionSetStatus
    current: bool = Field(description="The newest published version: what new rounds use.")
    in_use: bool = Field(description="Used by an evaluation round (and so immutable).")
    note: str | None
    published_at: datetime | None
    core_questions: int
    themes: list[ThemeSummary]


class QuestionSetRead(BaseModel):
    """A version with every statement; `core` is mandatory in every round, an organisation
    picks themes (about four) and adds local questions."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **{k: v for k, v in _SUMMARY.items() if k not in {"themes", "core_questions"}},
                    "created_at": "2026-01-02T10:00:00Z",
                    "core": [
                        {
                            "id": "core-01",
                            "text_da": "Lederen sætter en tydelig retning for arbejdet.",
                            "text_self_da": "Jeg sætter en tydelig retning for arbejdet.",
                            "theme": "core",
                            "kind": "scale",
                            "options": [o.model_dump() for o in SCALE_OPTIONS],
                        }
                    ],
                    "themes": [],
                }
            ]
        }
    )

    version: int
    status: QuestionSetStatus
    current: bool
    in_use: bool
    note: str | None
    created_at: datetime
    published_at: datetime | None
    core: list[QuestionRead]
    themes: list[ThemeRead]
