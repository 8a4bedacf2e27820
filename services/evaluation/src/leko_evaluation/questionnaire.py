"""A round's questionnaire: the core questions of its question-set version, the themes it
picked and its local questions, worded for the respondent group (self-assessment in the first
person). Published versions never change, so their parsed content is cached per process."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leko_evaluation.models import CORE_THEME, LOCAL_THEME
from leko_evaluation.question_sets.schemas import QuestionRead, QuestionSetWrite
from leko_evaluation.scale import Group

_CACHE_SIZE = 64
_cache: dict[tuple[int, datetime | None], QuestionSetWrite] = {}


def parse_content(
    version: int, published_at: datetime | None, content: dict[str, Any]
) -> QuestionSetWrite:
    """The stored content of a version as the model; published ones are cached."""
    key = (version, published_at)
    parsed = _cache.get(key) if published_at is not None else None
    if parsed is None:
        parsed = QuestionSetWrite.model_validate(content)
        if published_at is not None:
            if len(_cache) >= _CACHE_SIZE:
                _cache.clear()
            _cache[key] = parsed
    return parsed


def cached_content(version: int, published_at: datetime | None) -> QuestionSetWrite | None:
    return _cache.get((version, published_at)) if published_at is not None else None


@dataclass(frozen=True, slots=True)
class Questionnaire:
    questions: tuple[QuestionRead, ...]

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(q.id for q in self.questions)

    @property
    def core_ids(self) -> frozenset[str]:
        return frozenset(q.id for q in self.questions if q.theme == CORE_THEME)

    def theme_of(self) -> dict[str, str]:
        return {q.id: q.theme for q in self.questions}


def build(
    content: QuestionSetWrite,
    themes: list[str],
    local_questions: list[dict[str, str]],
    group: Group | None = None,
) -> Questionnaire:
    """The questions of a round in order: core, the picked themes, local questions. With a
    `group`, worded for it (only `text_da`, the self wording for `self`); without, both."""
    chosen = set(themes)
    questions: list[QuestionRead] = []

    def add(question_id: str, text: str, text_self: str | None, theme: str) -> None:
        if group is None:
            questions.append(
                QuestionRead(id=question_id, text_da=text, text_self_da=text_self, theme=theme)
            )
        else:
            wording = text_self if group is Group.SELF and text_self else text
            questions.append(QuestionRead(id=question_id, text_da=wording, theme=theme))

    for question in content.core:
        add(question.id, question.text_da, question.text_self_da, CORE_THEME)
    for theme in content.themes:
        if theme.code in chosen:
            for question in theme.questions:
                add(question.id, question.text_da, question.text_self_da, theme.code)
    for local in local_questions:
        add(local["id"], local["text_da"], None, LOCAL_THEME)
    return Questionnaire(tuple(questions))
