"""Reference organisations shipped with the registry (`seed_data.json`), loaded idempotently.

The state root with the ministries and main agencies, the 5 regions and the 98 municipalities
with their official codes. Seeding goes through the same service as the API (so the data obeys
every rule) as the national administrator, upserts by code, and writes change-feed rows only
for organisations it creates or actually changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.auth import NATIONAL_SCOPE, Principal, Role
from leko_kit.db import Database
from leko_registry.organisations import service
from leko_registry.organisations.repository import OrganisationRepository
from leko_registry.organisations.schemas import OrganisationCreate, OrganisationUpdate
from leko_registry.settings import RegistrySettings

SEED_PRINCIPAL = Principal(
    client_id="registry-seed",
    roles=frozenset({Role.NATIONAL_ADMIN.value}),
    scope=(NATIONAL_SCOPE,),
)


@dataclass(frozen=True, slots=True)
class SeedResult:
    created: int
    updated: int
    unchanged: int

    def summary(self) -> str:
        return (
            f"registry seed: {self.created} organisations created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )


def seed_organisations_data() -> list[dict[str, Any]]:
    """The seed entries, parents before children."""
    text = files("leko_registry").joinpath("seed_data.json").read_text(encoding="utf-8")
    organisations: list[dict[str, Any]] = json.loads(text)["organisations"]
    return organisations


async def seed_organisations(session: AsyncSession) -> SeedResult:
    repository = OrganisationRepository(session)
    created = updated = unchanged = 0
    for entry in seed_organisations_data():
        existing = await repository.get(entry["code"])
        if existing is None:
            await service.create(
                session, data=OrganisationCreate.model_validate(entry), principal=SEED_PRINCIPAL
            )
            created += 1
            continue
        version = existing.version
        fields = {key: value for key, value in entry.items() if key != "code"}
        await service.update(
            session,
            code=entry["code"],
            changes=OrganisationUpdate.model_validate(fields),
            principal=SEED_PRINCIPAL,
        )
        if existing.version == version:
            unchanged += 1
        else:
            updated += 1
    return SeedResult(created=created, updated=updated, unchanged=unchanged)


async def seed(settings: RegistrySettings) -> str:
    """`python -m leko_registry seed`: one transaction; returns a one-line summary."""
    database = Database(settings.database_url)
    try:
        async with database.session() as session:
            result = await seed_organisations(session)
    finally:
        await database.dispose()
    return result.summary()
