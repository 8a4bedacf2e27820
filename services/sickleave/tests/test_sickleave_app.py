"""The application as deployed: settings, health, the replica's life cycle, the migrations and
the OpenAPI contract (every endpoint documented with summary, description and examples)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from leko_kit.migrations import upgrade
from leko_kit.testing import (
    InternalKeys,
    documented_operations,
    migration_round_trip,
    temporary_database,
)
from leko_sickleave import MIGRATIONS
from leko_sickleave.app import create_app
from leko_sickleave.settings import SickleaveSettings

pytestmark = pytest.mark.anyio


def test_settings_come_from_sickleave_and_shared_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LEKO_INTERNAL_TOKEN_PUBLIC_KEY", "pem")
    monkeypatch.setenv("SICKLEAVE_DATABASE_URL", "postgresql://db/sickleave")
    monkeypatch.setenv("SICKLEAVE_JSON_BATCH_MAX_BYTES", "4096")
    monkeypatch.setenv("LEKO_SICKLEAVE_PORT", "9004")
    monkeypatch.setenv("LEKO_REGISTRY_URL", "http://registry:8001")
    settings = SickleaveSettings()
    assert settings.service_name == "sickleave"
    assert settings.database_url == "postgresql://db/sickleave"
    assert (settings.json_batch_max_bytes, settings.port) == (4096, 9004)
    assert settings.registry_url == "http://registry:8001"


def test_settings_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEKO_INTERNAL_TOKEN_PUBLIC_KEY", "pem")
    monkeypatch.setenv("LEKO_DATA_DIR", str(tmp_path))
    for name in ("SICKLEAVE_DATABASE_URL", "LEKO_SICKLEAVE_PORT"):
        monkeypatch.delenv(name, raising=False)
    settings = SickleaveSettings()
    assert settings.port == 8004
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'sickleave.db'}"


async def test_health_and_readiness_wait_for_the_replica(
    client: httpx.AsyncClient, sickleave_app: FastAPI
) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    sickleave_app.state.replica.synced = False
    waiting = await client.get("/readyz")
    assert waiting.status_code == 503
    assert waiting.json()["checks"] == {"database": "ok", "replica": "failing: RuntimeError"}
    sickleave_app.state.replica.synced = True
    try:
        assert (await client.get("/readyz")).status_code == 200
    finally:
        sickleave_app.state.replica.synced = False


async def test_start_up_follows_the_registry_and_shutdown_stops(
    internal_keys: InternalKeys,
) -> None:
    async with temporary_database("sqlite") as temporary:
        await upgrade(MIGRATIONS, database_url=temporary.url)
        app = create_app(
            SickleaveSettings(
                database_url=temporary.url,
                internal_token_public_key=internal_keys.public_pem,
                registry_url="http://127.0.0.1:9",  # nothing listens: start-up must not fail
                replica_poll_seconds=0.05,
            )
        )
        async with LifespanManager(app):
            tasks = [t for t in asyncio.all_tasks() if t.get_name() == "organisation-replica"]
            assert len(tasks) == 1 and not tasks[0].done()
        assert tasks[0].cancelled()


async def test_oversized_staffing_body_is_413(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    response = await client.post(
        "/v1/staffing/batch",
        content=b"x" * 2_000_000,
        headers=internal_keys.headers(roles=["reporter"], scope=["k101"]),
    )
    assert response.status_code == 413


async def test_upgrade_matches_models_and_downgrade_reverses(database_backend: str) -> None:
    async with temporary_database(database_backend) as temporary:
        upgraded, downgraded = await migration_round_trip(MIGRATIONS, temporary.url)
    assert {
        "absence_spells",
        "staffing",
        "absence_totals",
        "open_spell_starts",
        "staffing_totals",
        "employee_year_totals",
        "absence_targets",
        "org_replica",
        "replica_cursor",
        "idempotency_keys",
    } <= upgraded
    assert downgraded <= {"alembic_version"}


def test_openapi_documents_every_endpoint(sickleave_app: FastAPI) -> None:
    spec = sickleave_app.openapi()
    operations = documented_operations(sickleave_app)
    assert set(operations) == {
        ("post", "/v1/absences/batch"),
        ("delete", "/v1/absences/{source_system}/{source_record_id}"),
        ("get", "/v1/staffing/{org_code}/{month}"),
        ("put", "/v1/staffing/{org_code}/{month}"),
        ("post", "/v1/staffing/batch"),
        ("get", "/v1/statistics"),
        ("get", "/v1/statistics/national"),
        ("get", "/v1/benchmarks"),
        ("get", "/v1/targets/national"),
        ("put", "/v1/targets/national/{year}"),
        ("put", "/v1/targets/{org_code}/{year}"),
        ("get", "/v1/targets/{org_code}"),
        ("get", "/v1/hotspots"),
    }
    batch = operations[("post", "/v1/absences/batch")]["requestBody"]["content"]
    assert set(batch) == {"application/json", "application/x-ndjson", "text/csv"}
    schemas = spec["components"]["schemas"]
    for name in (
        "AbsenceBatch",
        "AbsenceRecord",
        "StaffingWrite",
        "StaffingBatch",
        "Statistics",
        "StatisticsPoint",
        "BatchResult",
        "Benchmark",
        "TargetWrite",
        "TargetTracking",
        "Hotspots",
    ):
        assert schemas[name].get("examples"), name
    assert "fraværsdagsværk" in operations[("get", "/v1/statistics")]["description"]
