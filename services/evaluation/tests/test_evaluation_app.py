"""The application as deployed: settings, health, the migrations, the seed and the OpenAPI
contract (every endpoint documented)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from leko_evaluation import MIGRATIONS
from leko_evaluation.seed import seed, seed_question_set_data
from leko_evaluation.settings import EvaluationSettings
from leko_kit.migrations import upgrade
from leko_kit.testing import documented_operations, migration_round_trip, temporary_database

pytestmark = pytest.mark.anyio


def test_settings_come_from_evaluation_and_shared_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEKO_INTERNAL_TOKEN_PUBLIC_KEY", "pem")
    monkeypatch.setenv("EVALUATION_DATABASE_URL", "postgresql://db/evaluation")
    monkeypatch.setenv("LEKO_EVALUATION_PORT", "9002")
    monkeypatch.setenv("LEKO_REGISTRY_URL", "http://registry:8001")
    settings = EvaluationSettings()
    assert settings.service_name == "evaluation"
    assert settings.database_url == "postgresql://db/evaluation"
    assert settings.port == 9002
    assert settings.registry_url == "http://registry:8001"


def test_settings_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEKO_INTERNAL_TOKEN_PUBLIC_KEY", "pem")
    monkeypatch.setenv("LEKO_DATA_DIR", str(tmp_path))
    for name in ("EVALUATION_DATABASE_URL", "LEKO_EVALUATION_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = EvaluationSettings()
    assert settings.port == 8002
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'evaluation.db'}"


async def test_health(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_upgrade_matches_models_and_downgrade_reverses(database_backend: str) -> None:
    async with temporary_database(database_backend) as temporary:
        upgraded, downgraded = await migration_round_trip(MIGRATIONS, temporary.url)
    assert {
        "question_sets",
        "evaluations",
        "evaluation_leaders",
        "leader_group_counts",
        "invitations",
        "responses",
        "answers",
        "national_question_totals",
        "national_leaders",
        "org_replica",
        "replica_cursor",
        "idempotency_keys",
    } <= upgraded
    assert downgraded <= {"alembic_version"}


async def test_seed_is_idempotent(monkeypatch: pytest.MonkeyPatch) -> None:
    async with temporary_database("sqlite") as temporary:
        await upgrade(MIGRATIONS, database_url=temporary.url)
        monkeypatch.setenv("LEKO_INTERNAL_TOKEN_PUBLIC_KEY", "pem")
        settings = EvaluationSettings(database_url=temporary.url)
        first = await seed(settings)
        second = await seed(settings)
    assert "version 1 published (8 core questions, 6 themes)" in first
    assert "unchanged" in second


def test_seeded_question_set_is_danish_and_complete() -> None:
    data = seed_question_set_data()
    assert len(data.core) == 8
    assert len(data.themes) >= 6
    assert all(4 <= len(theme.questions) <= 6 for theme in data.themes)
    for question in [*data.core, *(q for t in data.themes for q in t.questions)]:
        assert question.text_da.startswith("Lederen ")
        assert question.text_self_da.startswith("Jeg ")
    assert {t.code for t in data.themes} >= {
        "direction",
        "citizens",
        "trust",
        "team",
        "development",
        "change",
    }


def test_openapi_documents_every_endpoint(evaluation_app: FastAPI) -> None:
    spec = evaluation_app.openapi()
    operations = documented_operations(evaluation_app)
    assert set(operations) == {
        ("get", "/v1/question-sets"),
        ("post", "/v1/question-sets"),
        ("get", "/v1/question-sets/current"),
        ("get", "/v1/question-sets/{version}"),
        ("post", "/v1/question-sets/{version}/publish"),
        ("get", "/v1/evaluations"),
        ("post", "/v1/evaluations"),
        ("get", "/v1/evaluations/{evaluation_id}"),
        ("post", "/v1/evaluations/{evaluation_id}/close"),
        ("get", "/v1/evaluations/{evaluation_id}/leaders"),
        ("post", "/v1/evaluations/{evaluation_id}/leaders"),
        ("get", "/v1/invitations/{token}"),
        ("post", "/v1/invitations/{token}/responses"),
        ("get", "/v1/evaluations/{evaluation_id}/leaders/{leader_ref}/report"),
        ("get", "/v1/evaluations/{evaluation_id}/leaders/{leader_ref}/report.html"),
        ("get", "/v1/evaluations/{evaluation_id}/report"),
        ("get", "/v1/statistics/national"),
        ("get", "/v1/research-export"),
        ("get", "/v1/research-export/dictionary"),
    }
    schemas = spec["components"]["schemas"]
    for name in (
        "EvaluationCreate",
        "EvaluationRead",
        "LeadersAdd",
        "LeadersAdded",
        "LeaderRead",
        "QuestionSetWrite",
        "QuestionSetRead",
        "QuestionSetSummary",
        "Questionnaire",
        "ResponseWrite",
        "ResponseReceipt",
        "LeaderReport",
        "OrganisationReport",
        "NationalOverview",
        "DataDictionary",
    ):
        assert schemas[name].get("examples"), name
