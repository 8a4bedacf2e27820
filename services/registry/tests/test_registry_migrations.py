"""The Alembic migrations build exactly the models' schema, and go down and up again."""

from __future__ import annotations

import pytest

from leko_kit.testing import migration_round_trip, temporary_database
from leko_registry import MIGRATIONS

pytestmark = pytest.mark.anyio


async def test_upgrade_matches_models_and_downgrade_reverses(database_backend: str) -> None:
    async with temporary_database(database_backend) as temporary:
        upgraded, downgraded = await migration_round_trip(MIGRATIONS, temporary.url)
    assert {"organisations", "organisation_changes", "idempotency_keys"} <= upgraded
    assert downgraded <= {"alembic_version"}
