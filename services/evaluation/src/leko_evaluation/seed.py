"""The national question set shipped with the service (`seed_question_set.json`): 8 core
questions and 6 themes of 5 statements, written for LEKO in Danish. Loaded as version 1,
published, when the service has no question set yet; seeding again changes nothing."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leko_evaluation.models import QuestionSet
from leko_evaluation.question_sets.repository import QuestionSetRepository
from leko_evaluation.question_sets.schemas import QuestionSetWrite
from leko_evaluation.settings import EvaluationSettings
from leko_kit.db import Database
from leko_kit.tables import utcnow

SEED_CLIENT = "evaluation-seed"


def seed_question_set_data() -> QuestionSetWrite:
    text = files("leko_evaluation").joinpath("seed_question_set.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return QuestionSetWrite.model_validate(data)


async def seed_question_set(session: AsyncSession) -> bool:
    """Version 1 when there is no version yet; True when it was created."""
    repository = QuestionSetRepository(session)
    if await repository.next_version() != 1:
        return False
    data = seed_question_set_data()
    now = utcnow()
    repository.add(
        QuestionSet(
            version=1,
            status="published",
            note=data.note,
            content=data.model_dump(exclude={"note"}),
            created_at=now,
            created_by=SEED_CLIENT,
            published_at=now,
        )
    )
    await session.flush()
    return True


async def seed(settings: EvaluationSettings) -> str:
    """`python -m leko_evaluation seed`: one transaction; returns a one-line summary."""
    database = Database(settings.database_url)
    try:
        async with database.session() as session:
            created = await seed_question_set(session)
    finally:
        await database.dispose()
    data = seed_question_set_data()
    if not created:
        return "evaluation seed: question set present, unchanged"
    return (
        f"evaluation seed: question set version 1 published ({len(data.core)} core questions, "
        f"{len(data.themes)} themes)"
    )
