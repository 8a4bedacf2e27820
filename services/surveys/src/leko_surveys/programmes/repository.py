"""Every query on programmes and questionnaire versions; no rules, no commits."""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from leko_surveys.models import Programme, Questionnaire, Round


class ProgrammeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def programmes(self) -> list[Programme]:
        return list(await self.session.scalars(select(Programme).order_by(Programme.code)))

    async def get(self, code: str) -> Programme | None:
        return await self.session.get(Programme, code)

    async def current_versions(self) -> dict[str, int]:
        rows = await self.session.execute(
            select(Questionnaire.programme, func.max(Questionnaire.version)).group_by(
                Questionnaire.programme
            )
        )
        return {programme: int(version) for programme, version in rows}

    async def questionnaire(
        self, programme: str, version: int, *, lock: bool = False
    ) -> Questionnaire | None:
        """`lock`: hold the row (FOR UPDATE) until the transaction ends, read afresh."""
        if lock:
            return await self.session.get(
                Questionnaire, (programme, version), with_for_update=True, populate_existing=True
            )
        return await self.session.get(Questionnaire, (programme, version))

    async def current(self, programme: str, *, lock: bool = False) -> Questionnaire | None:
        query = (
            select(Questionnaire)
            .where(Questionnaire.programme == programme)
            .order_by(Questionnaire.version.desc())
            .limit(1)
        )
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return await self.session.scalar(query)

    async def next_version(self, programme: str) -> int:
        latest = await self.session.scalar(
            select(func.max(Questionnaire.version)).where(Questionnaire.programme == programme)
        )
        return (latest or 0) + 1

    async def in_use(self, programme: str, version: int) -> bool:
        return bool(
            await self.session.scalar(
                select(
                    exists().where(
                        Round.programme == programme, Round.questionnaire_version == version
                    )
                )
            )
        )

    def add(self, row: Programme | Questionnaire) -> None:
        self.session.add(row)
