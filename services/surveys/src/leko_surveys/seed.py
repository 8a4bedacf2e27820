"""The programmes shipped with the service (`seed_programmes.json`): the seven national
programmes of SPEC §6 with questionnaire version 1 of each, written for LEKO in Danish.
Seeding adds what is missing and changes nothing that exists."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.db import Database
from leko_kit.tables import utcnow
from leko_surveys.models import Programme, Questionnaire
from leko_surveys.programmes.repository import ProgrammeRepository
from leko_surveys.programmes.schemas import QuestionnaireWrite
from leko_surveys.settings import SurveysSettings

SEED_CLIENT = "surveys-seed"


def seed_data() -> list[dict[str, Any]]:
    text = files("leko_surveys").joinpath("seed_programmes.json").read_text("utf-8")
    programmes: list[dict[str, Any]] = json.loads(text)["programmes"]
    return programmes


async def seed_programmes(session: AsyncSession) -> int:
    """Add the programmes (and their version 1) that are missing; returns how many."""
    repository = ProgrammeRepository(session)
    added = 0
    now = utcnow()
    for data in seed_data():
        if await repository.get(data["code"]) is not None:
            continue
        questionnaire = QuestionnaireWrite.model_validate(
            {"headline_question_id": data["headline_question_id"], "questions": data["questions"]}
        )
        repository.add(
            Programme(
                code=data["code"],
                label_da=data["label_da"],
                label_en=data["label_en"],
                respondents=data["respondents"],
                institution_types=data["institution_types"],
                sectors=data["sectors"],
                by_sector=data["by_sector"],
            )
        )
        await session.flush()
        repository.add(
            Questionnaire(
                programme=data["code"],
                version=1,
                note="Version 1.",
                headline_question_id=questionnaire.headline_question_id,
                content=[
                    q.model_dump(exclude_none=True, mode="json") for q in questionnaire.questions
                ],
                row_version=1,
                created_at=now,
                created_by=SEED_CLIENT,
            )
        )
        added += 1
    await session.flush()
    return added


async def seed(settings: SurveysSettings) -> str:
    """`python -m leko_surveys seed`: one transaction; returns a one-line summary."""
    database = Database(settings.database_url)
    try:
        async with database.session() as session:
            added = await seed_programmes(session)
    finally:
        await database.dispose()
    if not added:
        return "surveys seed: programmes present, unchanged"
    return f"surveys seed: {added} programmes with questionnaire version 1"
