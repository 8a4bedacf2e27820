"""Every query on absence spells and their aggregates; no rules, no commits.

On SQLite a batch is written chunk by chunk (PostgreSQL stores batches set-based, see
`leko_sickleave.absences.bulk`): new spells straight into `absence_spells` (plain inserts, as
the write lock guarantees the keys are absent, cost half an upsert), changed spells by key.
Keys are staged in temporary tables:
- `incoming_spells` holds the current chunk's keys, each with its record index;
- `seen_spell_keys` collects every (natural key, record index) of the request, appended chunk
  by chunk; one grouping at the end finds keys repeated across chunks without keeping the
  keys in the service's memory (an indexed key table would cost more than the merge itself).
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import cast

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    delete,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.aggregates import is_postgres
from leko_kit.db import Database
from leko_sickleave.absences.contributions import EMPLOYEE_KEY, Deltas, SpellRow
from leko_sickleave.aggregates import (
    add_lineage_deltas,
    append_deltas,
    delta_table,
    insert_rows,
    merge_deltas,
    start_deltas,
    start_staging,
)
from leko_sickleave.models import (
    AbsenceTotals,
    EmployeeYearDistribution,
    EmployeeYearTotals,
    OpenSpellStarts,
    Spell,
)
from leko_sickleave.organisations import OrgTree

# pg_advisory_xact_lock takes a bigint; a fixed key derived from a name keeps it readable.
ABSENCE_WRITES_LOCK_KEY = zlib.crc32(b"leko_sickleave.absence_spells")

_spells = cast(Table, Spell.__table__)
_employees = cast(Table, EmployeeYearTotals.__table__)
_distribution = cast(Table, EmployeeYearDistribution.__table__)
_totals = cast(Table, AbsenceTotals.__table__)
_open_starts = cast(Table, OpenSpellStarts.__table__)
# The aggregates the statistics read, whose planner statistics a large batch refreshes.
_READ_AGGREGATES = (_employees, _distribution, _totals, _open_starts)
_COLUMNS = [column.name for column in _spells.columns]
_KEY = ("source_system", "source_record_id")
_VALUES = [name for name in _COLUMNS if name not in _KEY]

_staging = MetaData()
incoming_spells = Table(
    "incoming_spells",
    _staging,
    Column("source_system", String(64), nullable=False),
    Column("source_record_id", String(128), nullable=False),
    Column("record_index", BigInteger, nullable=False),
    prefixes=["TEMPORARY"],
)
seen_spell_keys = Table(
    "seen_spell_keys",
    _staging,
    Column("source_system", String(64), nullable=False),
    Column("source_record_id", String(128), nullable=False),
    Column("record_index", BigInteger, nullable=False),
    prefixes=["TEMPORARY"],
)


def _same_key(table: Table) -> list[ColumnElement[bool]]:
    return [_spells.c[name] == table.c[name] for name in _KEY]


class SpellRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def lock_writes(self) -> None:
        """Serialise absence writers until commit (PostgreSQL; SQLite serialises by itself).

        Aggregates are maintained from each spell's stored version: two requests writing the
        same spell at once would both subtract the same old contribution. One writer at a time
        rules that out; a batch of a million spells holds the lock for about ten seconds.
        """
        if is_postgres(self.session):
            await self.session.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": ABSENCE_WRITES_LOCK_KEY}
            )

    async def get(self, source_system: str, source_record_id: str) -> SpellRow | None:
        row = (
            await self.session.execute(
                select(_spells).where(
                    _spells.c.source_system == source_system,
                    _spells.c.source_record_id == source_record_id,
                )
            )
        ).first()
        return SpellRow(*row) if row is not None else None

    async def delete(self, source_system: str, source_record_id: str) -> None:
        await self.session.execute(
            delete(_spells).where(
                _spells.c.source_system == source_system,
                _spells.c.source_record_id == source_record_id,
            )
        )

    async def start_staging(self) -> None:
        for table in (incoming_spells, seen_spell_keys):
            await start_staging(self.session, table)

    async def stage(self, rows: Sequence[SpellRow], indexes: Sequence[int]) -> None:
        """Put a chunk's keys into `incoming_spells` (replacing the last) and note them."""
        await start_staging(self.session, incoming_spells)
        await insert_rows(
            self.session,
            incoming_spells,
            [(row[0], row[1], index) for row, index in zip(rows, indexes, strict=True)],
        )
        await self.session.execute(
            seen_spell_keys.insert().from_select(
                ["source_system", "source_record_id", "record_index"],
                select(
                    incoming_spells.c.source_system,
                    incoming_spells.c.source_record_id,
                    incoming_spells.c.record_index,
                ),
            )
        )

    async def repeated_keys(self) -> list[tuple[int, int]]:
        """(record index, index of the key's first record) of every record that repeats the
        natural key of an earlier record of the request."""
        seen = seen_spell_keys.c
        repeated = (
            select(
                seen.source_system,
                seen.source_record_id,
                func.min(seen.record_index).label("first"),
            )
            .group_by(seen.source_system, seen.source_record_id)
            .having(func.count() > 1)
            .cte("repeated")
        )
        rows = await self.session.execute(
            select(seen.record_index, repeated.c.first)
            .join(
                repeated,
                and_(
                    seen.source_system == repeated.c.source_system,
                    seen.source_record_id == repeated.c.source_record_id,
                ),
            )
            .where(seen.record_index > repeated.c.first)
            .order_by(seen.record_index)
        )
        return [(int(index), int(first)) for index, first in rows]

    async def stored_versions(self) -> list[SpellRow]:
        """The stored spells that the staged chunk names."""
        query = select(_spells).join(incoming_spells, and_(*_same_key(incoming_spells)))
        rows = (await self.session.execute(query)).all()
        return [SpellRow(*row) for row in rows]

    async def insert(self, rows: Sequence[SpellRow]) -> None:
        """Store spells new to the table. Only for keys known to be absent: the write lock
        keeps them so until commit."""
        await insert_rows(self.session, _spells, rows)

    async def update(self, rows: Sequence[SpellRow]) -> None:
        """Overwrite stored spells with new versions."""
        if rows:
            await self.session.execute(
                update(_spells)
                .where(
                    _spells.c.source_system == bindparam("key_system"),
                    _spells.c.source_record_id == bindparam("key_record"),
                )
                .values({name: bindparam(name) for name in _VALUES}),
                [
                    row._asdict()
                    | {"key_system": row.source_system, "key_record": row.source_record_id}
                    for row in rows
                ],
            )

    async def refresh_planner_statistics(self) -> None:
        """`ANALYZE` the aggregates the statistics read (PostgreSQL), so that their plans fit
        the data at once after a large batch rather than after autovacuum's next round."""
        if is_postgres(self.session):
            for table in _READ_AGGREGATES:
                await self.session.execute(text(f"ANALYZE {table.name}"))

    async def write_deltas(self, deltas: Deltas, tree: OrgTree) -> None:
        """Write every aggregate delta of a batch or a single change."""
        await start_deltas(self.session, _employees)
        for part in deltas.take_employees():
            await append_deltas(self.session, _employees, part)
        await self._merge_employee_deltas()
        await self.write_organisation_deltas(deltas, tree)

    async def _merge_employee_deltas(self) -> None:
        """Add the staged per-employee deltas (each key once) to `employee_year_totals` and
        move each employee they change in `employee_year_distribution`: out of the count of
        their yearly total before the merge, into that of their total after it (the bulk
        writer does the same in one statement)."""
        staged = delta_table(_employees)
        await start_deltas(self.session, _distribution)
        await self._count_yearly_totals(staged, -1)
        await merge_deltas(self.session, _employees, summed=False)
        await self._count_yearly_totals(staged, 1)
        await merge_deltas(self.session, _distribution)

    async def _count_yearly_totals(self, keys: Table, sign: int) -> None:
        """Stage `sign` once per nonzero yearly total of the employees `keys` names."""
        totals = _employees.c
        await self.session.execute(
            delta_table(_distribution)
            .insert()
            .from_select(
                ["year", "cause", "day_units", "employees"],
                select(totals.year, totals.cause, totals.day_units, literal(sign))
                .join(keys, and_(*(totals[name] == keys.c[name] for name in EMPLOYEE_KEY)))
                .where(totals.day_units != 0),
            )
        )

    async def write_organisation_deltas(self, deltas: Deltas, tree: OrgTree) -> None:
        """Write the organisation totals and open spells of `deltas`, spread over lineages."""
        await add_lineage_deltas(self.session, _totals, deltas.take_totals(), tree)
        await add_lineage_deltas(self.session, _open_starts, deltas.take_open_starts(), tree)


async def vacuum_aggregates(database: Database) -> None:
    """`VACUUM (ANALYZE)` the aggregates the statistics read, after a large batch has been
    committed (PostgreSQL; VACUUM cannot run inside a transaction, so on a connection of its
    own). A batch leaves the old version of every aggregate row it changed; until they are
    vacuumed, the statistics' index scans step over them. Autovacuum would get there in its own
    time; this gets there at once.

    `SKIP_LOCKED`: a table another transaction holds (a concurrent batch's `ANALYZE`) is left
    to autovacuum rather than waited for, so this never queues behind a running batch."""
    if database.is_sqlite:
        return
    async with database.engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        tables = ", ".join(table.name for table in _READ_AGGREGATES)
        await autocommit.execute(text(f"VACUUM (SKIP_LOCKED, ANALYZE) {tables}"))
