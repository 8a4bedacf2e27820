"""The application as deployed: settings, health, the migrations, the seed and the OpenAPI
contract (every endpoint documented)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from leko_kit.migrations import upgrade
from leko_kit.testing import documented_operations, migration_round_trip, temporary_database
from leko_surveys import MIGRATIONS
from leko_surveys.programmes.schemas import QuestionnaireWrite
from leko_surveys.seed import seed, seed_data
from leko_surveys.settings import SurveysSettings

pytestmark = pytest.mark.anyio

PROGRAMMES = {
    "daycare": ["daycare"],
    "school_pupils": ["school"],
    "school_parents": ["school"],
    "after_school_care": ["after_school_care"],
    "rehabilitation": ["rehabilitation"],
    "substance_abuse_treatment": ["substance_abuse_treatment"],
    "employee_motivation": None,
}


def test_settings_come_from_surveys_and_shared_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEKO_INTERNAL_TOKEN_PUBLIC_KEY", "pem")
    monkeypatch.setenv("SURVEYS_DATABASE_URL", "postgresql://db/surveys")
    monkeypatch.setenv("LEKO_SURVEYS_PORT", "9003")
    monkeypatch.setenv("LEKO_REGISTRY_URL", "http://registry:8001")
    settings = SurveysSettings()
    assert settings.service_name == "surveys"
    assert settings.database_url == "postgresql://db/surveys"
    assert settings.port == 9003
    assert settings.registry_url == "http://registry:8001"


def test_settings_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEKO_INTERNAL_TOKEN_PUBLIC_KEY", "pem")
    monkeypatch.setenv("LEKO_DATA_DIR", str(tmp_path))
    for name in ("SURVEYS_DATABASE_URL", "LEKO_SURVEYS_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = SurveysSettings()
    assert settings.port == 8003
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'surveys.db'}"


async def test_health(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_upgrade_matches_models_and_downgrade_reverses(database_backend: str) -> None:
    async with temporary_database(database_backend) as temporary:
        upgraded, downgraded = await migration_round_trip(MIGRATIONS, temporary.url)
    assert {
        "programmes",
        "questionnaires",
        "rounds",
        "participants",
        "local_questions",
        "invitations",
        "responses",
        "participant_question_totals",
        "org_replica",
        "replica_cursor",
        "idempotency_keys",
    } <= upgraded
    assert downgraded <= {"alembic_version"}


async def test_seed_is_idempotent(monkeypatch: pytest.MonkeyPatch) -> None:
    async with temporary_database("sqlite") as temporary:
        await upgrade(MIGRATIONS, database_url=temporary.url)
        monkeypatch.setenv("LEKO_INTERNAL_TOKEN_PUBLIC_KEY", "pem")
        settings = SurveysSettings(database_url=temporary.url)
        first = await seed(settings)
        second = await seed(settings)
    assert first == "surveys seed: 7 programmes with questionnaire version 1"
    assert "unchanged" in second


def test_seeded_programmes_fit_spec_and_are_danish() -> None:
    data = {p["code"]: p for p in seed_data()}
    assert {code: p["institution_types"] for code, p in data.items()} == PROGRAMMES
    assert data["employee_motivation"]["sectors"] == ["state", "region", "municipality"]
    for programme in data.values():
        questionnaire = QuestionnaireWrite.model_validate(
            {
                "headline_question_id": programme["headline_question_id"],
                "questions": programme["questions"],
            }
        )
        scale = [q for q in questionnaire.questions if q.kind == "scale"]
        choice = [q for q in questionnaire.questions if q.kind == "choice"]
        assert len(scale) >= 8 and 1 <= len(choice) <= 2, programme["code"]
        assert all(q.text_da.startswith("Hvor tilfreds er du ") for q in scale)
        assert all(q.text_da.endswith("?") for q in questionnaire.questions)


def test_openapi_documents_every_endpoint(surveys_app: FastAPI) -> None:
    spec = surveys_app.openapi()
    operations = documented_operations(surveys_app)
    assert set(operations) == {
        ("get", "/v1/programmes"),
        ("get", "/v1/programmes/{code}"),
        ("get", "/v1/programmes/{code}/questionnaires/current"),
        ("get", "/v1/programmes/{code}/questionnaires/{version}"),
        ("post", "/v1/programmes/{code}/questionnaires"),
        ("put", "/v1/programmes/{code}/questionnaires/{version}"),
        ("get", "/v1/rounds"),
        ("post", "/v1/rounds"),
        ("get", "/v1/rounds/{round_id}"),
        ("post", "/v1/rounds/{round_id}/publish"),
        ("get", "/v1/rounds/{round_id}/participants"),
        ("post", "/v1/rounds/{round_id}/participants"),
        ("get", "/v1/rounds/{round_id}/local-questions"),
        ("post", "/v1/rounds/{round_id}/local-questions"),
        ("post", "/v1/rounds/{round_id}/local-questions/{question_id}/publish"),
        ("get", "/v1/invitations/{token}"),
        ("post", "/v1/invitations/{token}/responses"),
        ("post", "/v1/rounds/{round_id}/responses/batch"),
        ("get", "/v1/rounds/{round_id}/results/institutions/{org_code}"),
        ("get", "/v1/rounds/{round_id}/results/municipalities/{code}"),
        ("get", "/v1/rounds/{round_id}/results/municipalities/{code}/institutions"),
        ("get", "/v1/rounds/{round_id}/results/national"),
        ("get", "/v1/motivation/{year}/sectors"),
    }
    schemas = spec["components"]["schemas"]
    for name in (
        "ProgrammeRead",
        "QuestionnaireRead",
        "QuestionnaireWrite",
        "RoundCreate",
        "RoundRead",
        "ParticipantCreate",
        "ParticipantTokens",
        "ParticipantRead",
        "LocalQuestionCreate",
        "LocalQuestionRead",
        "InvitationQuestionnaire",
        "ResponseWrite",
        "ResponseReceipt",
        "BatchWrite",
        "BatchResult",
        "InstitutionResults",
        "AreaResults",
        "InstitutionComparison",
        "MotivationResults",
    ):
        assert schemas[name].get("examples"), name
