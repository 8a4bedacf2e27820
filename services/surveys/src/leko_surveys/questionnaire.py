"""The questionnaire an organisation's respondents answer: the national questions of the
round's version, then the local questions of the organisation and of the organisations above
it. Parsed national content is cached per process, keyed by the version's row version, so an
unused version that is replaced is parsed again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from leko_surveys.models import LocalQuestion
from leko_surveys.programmes.schemas import LOCAL_PREFIX, QuestionRead, question_read
from leko_surveys.scale import SCALE_OPTIONS, Kind

_CACHE_SIZE = 64
_cache: dict[tuple[str, int, int], tuple[QuestionRead, ...]] = {}


def national_questions(
    programme: str, version: int, row_version: int, content: list[dict[str, Any]]
) -> tuple[QuestionRead, ...]:
    key = (programme, version, row_version)
    parsed = _cache.get(key)
    if parsed is None:
        parsed = tuple(question_read(item) for item in content)
        if len(_cache) >= _CACHE_SIZE:
            _cache.clear()
        _cache[key] = parsed
    return parsed


def local_id(question_id: int) -> str:
    return f"{LOCAL_PREFIX}{question_id}"


def local_question_read(row: LocalQuestion) -> QuestionRead:
    return QuestionRead(
        id=local_id(row.id),
        text_da=row.text_da,
        kind=Kind.SCALE,
        options=list(SCALE_OPTIONS),
        owner_code=row.owner_code,
    )


@dataclass(frozen=True, slots=True)
class Form:
    questions: tuple[QuestionRead, ...]
    by_id: dict[str, QuestionRead] = field(default_factory=dict)

    @classmethod
    def build(cls, national: Sequence[QuestionRead], local: Sequence[LocalQuestion]) -> Form:
        questions = (*national, *(local_question_read(row) for row in local))
        return cls(questions, {q.id: q for q in questions})

    def slot(self, question_id: str, value: object) -> int | str | None:
        """The counter slot of an answer (1–5, None for "ved ikke"), or an error message."""
        question = self.by_id[question_id]
        if value is None:
            return None
        if question.kind is Kind.SCALE:
            if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
                return value
            return "must be 1–5, or null for “ved ikke”"
        values = [option.value for option in question.options if option.value is not None]
        if isinstance(value, str) and value in values:
            return values.index(value) + 1
        return f"must be one of {', '.join(str(v) for v in values)}, or null"
