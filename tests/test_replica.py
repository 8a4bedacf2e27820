"""The organisation replica (shared library) following the real registry's change feed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import delete, func, select

from leko_cli.platform import Platform
from leko_kit.db import Database
from leko_kit.replica import OrganisationReplica
from leko_kit.scope import in_scope
from leko_kit.tables import ReplicaCursor, ReplicatedOrganisation, replica_metadata
from leko_kit.testing import temporary_database

pytestmark = [pytest.mark.anyio, pytest.mark.e2e]


@pytest.fixture
async def replica(platform: Platform, database_backend: str) -> AsyncIterator[OrganisationReplica]:
    async with temporary_database(database_backend) as temporary:
        database = Database(temporary.url)
        async with database.engine.begin() as connection:
            await connection.run_sync(replica_metadata.create_all)
        consumer = OrganisationReplica(database=database, registry_url=platform.url("registry"))
        yield consumer
        await consumer.close()
        await database.dispose()


async def count(replica: OrganisationReplica) -> int:
    async with replica.database.session() as session:
        return int(
            await session.scalar(select(func.count()).select_from(ReplicatedOrganisation)) or 0
        )


async def test_replica_follows_the_feed_idempotently(
    replica: OrganisationReplica, platform: Platform
) -> None:
    applied = await replica.sync_once()
    assert applied >= 98 + 5
    assert replica.synced
    assert await replica.lineage("k751") == ["k751", "r1082"]
    assert await replica.lineage("no-such-org") is None
    assert await in_scope(replica, "k751", ["r1082"])
    assert not await in_scope(replica, "k751", ["k101"])
    assert await in_scope(replica, "k751", ["*"])

    # A new institution reaches the replica on the next sync, under its parent.
    code = f"aar-replica-{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(base_url=platform.gateway_url) as gateway:
        created = await gateway.post(
            "/registry/v1/organisations",
            headers={"X-API-Key": platform.secrets.admin_key},
            json={
                "code": code,
                "name": "Replikaskolen",
                "sector": "municipality",
                "kind": "institution",
                "parent_code": "k751",
                "institution_type": "school",
            },
        )
        assert created.status_code == 201, created.text
    assert await replica.sync_once() == 1
    assert await replica.lineage(code) == [code, "k751", "r1082"]
    assert await in_scope(replica, code, ["k751"])

    # Nothing new: nothing applied. Replaying the whole feed from the start changes nothing.
    before = await count(replica)
    assert await replica.sync_once() == 0
    async with replica.database.session() as session:
        await session.execute(delete(ReplicaCursor))
    assert await replica.sync_once() == 0
    assert await count(replica) == before
