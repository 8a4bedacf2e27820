"""Storing a batch of spells on PostgreSQL set-based, chunk by chunk, by `COPY`.

The service checks each chunk and hands it over as CSV text of the spells as stored, with a
local file of their keys and record numbers (`Staged`). Each chunk is stored at once, while the
service reads and checks the next one (`BulkWriter.take`):

- a chunk whose record ids lie in a range that holds no stored spell is all new: it is copied
  straight into `absence_spells`, with no lookup of its keys (a first upload, or new spells
  numbered above the stored ones, as payroll systems number them). Only its key file is kept.
  Copied straight in, a million spells cost PostgreSQL about 1.6 s, against about 3.5 s when
  they went through a staging table first (measured alone, in chunks of 20,000);
- otherwise the chunk is staged in the temporary table `incoming` (numbered by a sequence) and
  its keys are looked up: the stored versions of the ones found are kept in `batch_stored`,
  the others inserted.

A key repeated in the request makes the batch a 422 (see `repeated_keys`). The service checks
each chunk's own keys; a key repeated across chunks is found by the lookup: the spell it finds
was inserted by this transaction (its `xmin`), which the batch's earlier records then confirm.
For that, and for the 422, the kept key files are copied into `incoming` when needed: only
when a batch repeats a key, or is refused for another reason.

The service adds up the contributions of every staged record while the upload goes on
(`leko_sickleave.absences.contributions`). When the whole batch is in, `apply`

1. overwrites the spells that changed (`batch_changed`);
2. withdraws the contributions of the stored versions (of unchanged spells too: their new
   versions were added, so the two cancel) and writes the summed deltas to every aggregate;
   the per-employee sums of organisations new to a year are copied straight in, like new
   spells (`_store_employees`).

Every aggregate table is written only by absence writers (and the reorganisation), all under
the absence write lock, so the merges need no ordering against deadlocks. Statements are put
together from this module's column lists only: values reach the database through `COPY` and
bind parameters, never through the SQL text.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import polars as pl
from sqlalchemy import CursorResult, Table, text
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.db import driver_connection
from leko_sickleave.absences.contributions import (
    CONTRIBUTING,
    EMPLOYEE_KEY,
    EMPLOYEE_VALUES,
    NATURAL_KEY,
    Deltas,
    read_spells,
)
from leko_sickleave.absences.repository import SpellRepository
from leko_sickleave.aggregates import (
    add_deltas,
    delta_table,
    start_deltas,
)
from leko_sickleave.models import EmployeeYearDistribution, EmployeeYearTotals, Spell
from leko_sickleave.organisations import OrgTree

# The stored columns of a spell, in table order (`fraction` is kept in integer units).
_SPELL_COLUMNS = tuple(column.name for column in Spell.__table__.columns)
_VALUES = _SPELL_COLUMNS[2:]
# A key file's columns.
_KEY_COLUMNS = (*NATURAL_KEY, "record_index")
_EMPLOYEES = cast(Table, EmployeeYearTotals.__table__)
_EMPLOYEE_DELTAS = delta_table(_EMPLOYEES)
_EMPLOYEE_COLUMNS = [*EMPLOYEE_KEY, *EMPLOYEE_VALUES]
_DISTRIBUTION = cast(Table, EmployeeYearDistribution.__table__)
# A COPY of this many bytes of CSV text at most; a chunk of the body is sent in pieces.
_COPY_PIECE = 1 << 20

_CREATE = [
    "CREATE TEMPORARY SEQUENCE IF NOT EXISTS incoming_record_index MINVALUE 0",
    # Rows of a key file hold only the key and the record number.
    """CREATE TEMPORARY TABLE IF NOT EXISTS incoming (
        source_system varchar(64) COLLATE "C" NOT NULL,
        source_record_id varchar(128) COLLATE "C" NOT NULL,
        employee_ref varchar(128),
        org_code varchar(64),
        job_group varchar(64),
        cause varchar(24),
        start_date date,
        end_date date,
        fraction_units integer,
        record_index bigint NOT NULL DEFAULT nextval('incoming_record_index'))""",
    """CREATE TEMPORARY TABLE IF NOT EXISTS batch_stored (
        record_index bigint NOT NULL,
        source_system varchar(64) COLLATE "C" NOT NULL,
        source_record_id varchar(128) COLLATE "C" NOT NULL,
        employee_ref varchar(128) NOT NULL,
        org_code varchar(64) NOT NULL,
        job_group varchar(64) NOT NULL,
        cause varchar(24) NOT NULL,
        start_date date NOT NULL,
        end_date date,
        fraction_units integer NOT NULL)""",
    "CREATE TEMPORARY TABLE IF NOT EXISTS batch_changed (record_index bigint PRIMARY KEY)",
]
_STAGING = ("incoming", "batch_stored", "batch_changed")
_KEYS = "s.source_system = c.source_system AND s.source_record_id = c.source_record_id"
# A chunk's records, read from the pages its `COPY` wrote to (`{pages}` is `>=`), or from the
# pages before (`<`), where a few may have gone to free space the table had left: a scan of
# the new pages costs less than keeping an index of the record numbers (about 1.8 s of a
# million-spell batch).
_CHUNK = """SELECT * FROM incoming WHERE ctid {pages} format('(%s,0)', CAST(:page AS integer))::tid
    AND record_index BETWEEN :first AND :last"""
# Whether any stored spell has a record id from `:low` to `:high` (the key leads with the
# record id, so this is one probe of the primary key).
_OVERLAPS = """SELECT EXISTS (SELECT FROM absence_spells
    WHERE source_record_id BETWEEN :low AND :high)"""
# The transaction id (as text) of the spells an all-new chunk from `:low` was copied in as:
# every spell with a record id in its range is one of them.
_COPIED_XID = "SELECT xmin::text FROM absence_spells WHERE source_record_id = :low LIMIT 1"
# Gives: the chunk's records read, spells created, the transaction id they carry (as text),
# keys found stored, and of those, how many carry `:xid` (inserted by this batch: a key
# repeated across chunks).
_INSERT_NEW = f"""WITH chunk AS MATERIALIZED ({_CHUNK}),
    matched AS MATERIALIZED (
        SELECT c.record_index, {", ".join(f"s.{c}" for c in _SPELL_COLUMNS)},
            (s.xmin::text = :xid) IS TRUE AS ours
        FROM chunk c JOIN absence_spells s ON {_KEYS}),
    kept AS (INSERT INTO batch_stored
        SELECT record_index, {", ".join(_SPELL_COLUMNS)} FROM matched),
    created AS (
        INSERT INTO absence_spells ({", ".join(_SPELL_COLUMNS)})
        SELECT {", ".join(_SPELL_COLUMNS)} FROM chunk c
        WHERE NOT EXISTS (SELECT FROM matched m WHERE m.record_index = c.record_index)
        RETURNING xmin)
    SELECT (SELECT count(*) FROM chunk), (SELECT count(*) FROM created),
        (SELECT min(xmin::text) FROM created),
        (SELECT count(*) FROM matched), (SELECT count(*) FROM matched WHERE ours)"""  # noqa: S608
# Whether `employee_year_totals` holds a row of any of the (organisation, year) pairs given as
# two arrays: one probe of the primary key per pair.
_HOLDS_EMPLOYEES = """SELECT EXISTS (
    SELECT FROM unnest(CAST(:organisations AS text[]), CAST(:years AS integer[])) AS p(code, year)
    WHERE EXISTS (SELECT FROM employee_year_totals t
        WHERE t.org_code = p.code AND t.year = p.year))"""
# Whether a key of the chunk's found spells comes earlier in the batch.
_REPEATS_EARLIER = """SELECT EXISTS (SELECT FROM batch_stored s JOIN incoming c
    ON s.source_system = c.source_system AND s.source_record_id = c.source_record_id
        AND c.record_index < s.record_index
    WHERE s.record_index BETWEEN :first AND :last)"""


@dataclass(frozen=True, slots=True)
class _EmployeePart:
    """A CSV file of per-employee deltas, of the (organisation, year) pairs `years_of`, with
    how many of its employees have each yearly total in `totals` (as the distribution counts
    them)."""

    path: Path
    years_of: set[tuple[str, int]]
    totals: pl.DataFrame


@dataclass(frozen=True, slots=True)
class Staged:
    """A checked chunk's valid spells, records `first`..`last` of the batch (see `staged`)."""

    spells: bytes  # CSV rows in `absence_spells` column order
    count: int
    keys: Path  # a CSV file of their keys and record numbers
    first: int
    last: int
    record_ids: tuple[str, str]  # the lowest and the highest
    repeats_a_key: bool


def staged(spells: pl.DataFrame, indexes: pl.Series, keys: Path) -> Staged:
    """A chunk of checked spells (at least one; every `SpellRow` column, in order) with their
    record numbers, to hand to `BulkWriter.take`; writes their key file to `keys`. Runs in the
    service's checking thread.

    CSV keeps an empty string apart from a null: Polars quotes the one and not the other, as
    PostgreSQL's `COPY` reads them. The lowest and highest record id: Python and Polars compare
    strings by code point, which is the byte order of UTF-8 and so the order of the collation
    "C" the key is compared in.
    """
    spells.select(*NATURAL_KEY).with_columns(record_index=indexes).write_csv(
        keys, include_header=False
    )
    text = io.BytesIO()
    spells.write_csv(text, include_header=False)
    ids = spells["source_record_id"]
    return Staged(
        spells=text.getvalue(),
        count=spells.height,
        keys=keys,
        first=int(indexes[0]),
        last=int(indexes[-1]),
        record_ids=(str(ids.min()), str(ids.max())),
        repeats_a_key=bool(spells.select(NATURAL_KEY).is_duplicated().any()),
    )


class BulkWriter:
    """One batch on one PostgreSQL session (under the absence write lock)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.staged = 0  # records taken
        self.created = 0  # spells inserted
        self.found = 0  # records whose key was stored (in `batch_stored`)
        self.repeated = False  # a key repeated in the batch was found: nothing more is stored
        self._xid: str | None = None  # the transaction id the batch's new spells carry
        self._page = 0  # where the last chunk's `COPY` into `incoming` began to write
        self._keys: list[Path] = []  # key files of records not yet in `incoming`

    async def _written(self, statement: str) -> int:
        """Run a statement; the number of rows it wrote."""
        result = await self.session.execute(text(statement))
        return int(cast("CursorResult[Any]", result).rowcount)

    async def start(self) -> None:
        """Make the temporary tables (once per connection) and empty the batch's.

        The batch's sorts and hashes (the merges of the aggregates, the lookups of
        corrections) get room to run in memory: the merge of a second batch of a million
        spells hashes the 568,000 stored employee totals in about 80 MB, which the default of
        4 MB would spill to disk.
        """
        await self.session.execute(text("SET LOCAL work_mem = '128MB'"))
        for statement in _CREATE:
            await self.session.execute(text(statement))
        await self.session.execute(text(f"TRUNCATE {', '.join(_STAGING)}"))
        await start_deltas(self.session, _EMPLOYEES)

    async def _note_page(self) -> None:
        """Note the last page of `incoming`, where the next `COPY` begins to write."""
        self._page = await self.session.scalar(
            text(
                """SELECT greatest(pg_relation_size('incoming')
                    / current_setting('block_size')::integer - 1, 0)"""
            )
        )

    async def _copy(self, table: str, data: bytes) -> None:
        """`COPY` the CSV rows of spells `data` into `table`, a piece at a time."""

        async def pieces() -> AsyncIterator[bytes]:
            view = memoryview(data)
            for start in range(0, len(view), _COPY_PIECE):
                yield bytes(view[start : start + _COPY_PIECE])

        driver = await driver_connection(self.session)
        await driver.copy_to_table(table, source=pieces(), columns=_SPELL_COLUMNS, format="csv")

    async def _load_keys(self) -> None:
        """Copy the kept key files into `incoming`, so that it holds every record's key."""
        driver = await driver_connection(self.session)
        for path in self._keys:
            await driver.copy_to_table("incoming", source=path, columns=_KEY_COLUMNS, format="csv")
        self._keys.clear()

    async def take(self, chunk: Staged, *, store: bool) -> None:
        """Take a checked chunk, stored at once with `store` (while the batch is still valid:
        its records are then consecutive and all valid). Of a chunk that is not stored, only
        the keys are kept, for `repeated_keys`; a chunk that repeats a key of its own sets
        `repeated`, and nothing more is stored."""
        self.staged += chunk.count
        self.repeated |= chunk.repeats_a_key
        if not store or self.repeated:
            self._keys.append(chunk.keys)
            return
        if chunk.last - chunk.first + 1 != chunk.count:  # staging numbers them from `first`
            raise AssertionError(f"records {chunk.first}..{chunk.last} are not all valid")
        low, high = chunk.record_ids
        if not await self.session.scalar(text(_OVERLAPS), {"low": low, "high": high}):
            await self._copy("absence_spells", chunk.spells)
            self._keys.append(chunk.keys)
            self.created += chunk.count
            self._xid = self._xid or await self.session.scalar(text(_COPIED_XID), {"low": low})
            return
        await self.session.execute(
            text("SELECT setval('incoming_record_index', :first, false)"), {"first": chunk.first}
        )
        await self._note_page()
        await self._copy("incoming", chunk.spells)
        await self._store_staged(chunk.first, chunk.last)

    async def repeated_keys(self) -> list[tuple[int, int]]:
        """(record index, index of the key's first record) of every record that repeats the
        natural key of an earlier record of the batch."""
        await self._load_keys()
        rows = await self.session.execute(
            text(
                """SELECT record_index, first FROM (
                    SELECT record_index, min(record_index) OVER keys AS first,
                           count(*) OVER keys AS records
                    FROM incoming
                    WINDOW keys AS (PARTITION BY source_system, source_record_id)
                ) counted WHERE records > 1 AND record_index > first ORDER BY record_index"""
            )
        )
        return [(int(index), int(first)) for index, first in rows]

    @staticmethod
    def _employee_parts(deltas: Deltas, directory: Path) -> Iterator[_EmployeePart]:
        """Write the per-employee deltas (each key once, none all zero) as CSV files, a part
        each, for `_store_employees` (in a worker thread)."""
        for number, part in enumerate(deltas.take_employees()):
            if part.is_empty():
                continue
            path = directory / f"{number:04d}.csv"
            part.write_csv(path, include_header=False)
            yield _EmployeePart(
                path,
                years_of=set(
                    part.select(pl.col("org_code").cast(pl.String), "year").unique().rows()
                ),
                totals=part.filter(pl.col("day_units") != 0)
                .group_by("year", pl.col("cause").cast(pl.String), "day_units")
                .agg(employees=pl.len().cast(pl.Int64)),
            )

    async def _store_staged(self, first: int, last: int) -> None:
        """Store the staged records `first`..`last`, whose keys overlap stored ones: insert the
        new spells, keep the stored versions of the others in `batch_stored`. A key that an
        earlier record of the batch has sets `repeated` instead.

        No savepoint is opened while a batch is stored, so every spell it inserts carries the
        one transaction id seen on the first insert. A stored spell can carry the same id by
        coincidence only (ids wrap around after four billion), so a match is confirmed against
        the batch's earlier records before the batch is refused.
        """
        bounds = {"first": first, "last": last}
        unread = last - first + 1
        ours = 0
        for pages in (">=", "<"):
            result = await self.session.execute(
                text(_INSERT_NEW.format(pages=pages)),
                {**bounds, "page": self._page, "xid": self._xid},
            )
            read, created, xid, found, repeats = result.one()
            self.created += created
            self.found += found
            self._xid = self._xid or xid
            ours += repeats
            unread -= read
            if not unread:
                break
        else:
            raise AssertionError(f"records {first}..{last}: {unread} not found in `incoming`")
        if ours:
            await self._load_keys()
            if await self.session.scalar(text(_REPEATS_EARLIER), bounds):
                self.repeated = True

    async def apply(self, tree: OrgTree, deltas: Deltas) -> tuple[int, int] | None:
        """Finish the stored batch, whose records' contributions `deltas` holds: overwrite the
        changed spells and write the aggregates. (created, updated), or None when a natural key
        is repeated (see `repeated_keys`; nothing is stored then)."""
        if self.repeated:
            return None
        updated = 0
        if self.found:
            await self.session.execute(text("ANALYZE incoming, batch_stored"))
            repeated = await self.session.scalar(
                text(
                    """SELECT EXISTS (SELECT FROM batch_stored
                    GROUP BY source_system, source_record_id HAVING count(*) > 1)"""
                )
            )
            if repeated:
                return None
            updated = await self._overwrite_changed()
            deltas.add(await self._stored_spells(), -1)
        # The per-employee deltas are added up a part at a time in a worker thread while
        # PostgreSQL writes the organisation totals and then copies in each part as it comes.
        # They go to PostgreSQL from files rather than from memory (paired runs of a million
        # spells: the same speed, a peak 20 MB lower).
        with tempfile.TemporaryDirectory(prefix="leko-sickleave-employees-") as directory:
            loop = asyncio.get_running_loop()
            parts: asyncio.Queue[_EmployeePart | None] = asyncio.Queue()

            def write_parts() -> None:
                try:
                    for path in self._employee_parts(deltas, Path(directory)):
                        loop.call_soon_threadsafe(parts.put_nowait, path)
                finally:
                    loop.call_soon_threadsafe(parts.put_nowait, None)

            writing = asyncio.ensure_future(asyncio.to_thread(write_parts))
            writing.add_done_callback(_retrieved)
            try:
                await SpellRepository(self.session).write_organisation_deltas(deltas, tree)
                await self._store_employees(parts)
            finally:
                await asyncio.wait([writing])  # never leave the directory to a running thread
            writing.result()
        return self.created, updated

    async def _store_employees(self, parts: asyncio.Queue[_EmployeePart | None]) -> None:
        """Store the per-employee deltas, a part at a time as they come.

        A part whose organisations held no employee totals for its years before the batch (a
        first batch, an organisation's first of a year) is copied straight into
        `employee_year_totals` while the next part is added up, and its employees are counted
        in the distribution; any other part is staged for `_merge_employees`. (A first batch
        of a million spells: its 568,000 employees copied straight in cost PostgreSQL
        1.5–2.0 s, against 3.0 s staged and merged.) Whether the organisations hold totals is
        looked up through the primary key: a table the planner believes small would otherwise
        be scanned whole for each part, rows this batch copied in included. Those rows are not
        asked about again: the next piece of a large organisation has keys of its own.
        """
        driver = await driver_connection(self.session)
        copied: set[tuple[str, int]] = set()  # (organisation, year) copied straight in
        counted: list[pl.DataFrame] = []
        staged = False
        await self.session.execute(text("SET LOCAL enable_seqscan = off"))
        while (part := await parts.get()) is not None:
            unknown = part.years_of - copied
            pairs = sorted(unknown)
            stored = bool(pairs) and bool(
                await self.session.scalar(
                    text(_HOLDS_EMPLOYEES),
                    {
                        "organisations": [code for code, _ in pairs],
                        "years": [year for _, year in pairs],
                    },
                )
            )
            table = _EMPLOYEE_DELTAS.name if stored else _EMPLOYEES.name
            await driver.copy_to_table(
                table, source=part.path, columns=_EMPLOYEE_COLUMNS, format="csv"
            )
            if stored:
                staged = True
            else:
                copied |= part.years_of
                counted.append(part.totals)
        await self.session.execute(text("SET LOCAL enable_seqscan TO DEFAULT"))
        if staged:
            await self._merge_employees()
        if counted:
            totals = (
                pl.concat(counted).group_by("year", "cause", "day_units").agg(pl.sum("employees"))
            )
            await add_deltas(self.session, _DISTRIBUTION, totals)

    async def _overwrite_changed(self) -> int:
        """Note the staged spells that differ from their stored versions and overwrite those."""
        compared = ", ".join(_VALUES)
        updated = await self._written(
            f"""INSERT INTO batch_changed
                    SELECT i.record_index FROM incoming i JOIN batch_stored s USING (record_index)
                    WHERE ({", ".join(f"i.{c}" for c in _VALUES)})
                        IS DISTINCT FROM ({", ".join(f"s.{c}" for c in _VALUES)})"""  # noqa: S608
        )
        if updated:
            await self.session.execute(
                text(
                    f"""UPDATE absence_spells s SET ({compared}) =
                        ({", ".join(f"i.{c}" for c in _VALUES)})
                    FROM incoming i JOIN batch_changed USING (record_index)
                    WHERE s.source_system = i.source_system
                        AND s.source_record_id = i.source_record_id"""  # noqa: S608
                )
            )
        return updated

    async def _stored_spells(self) -> pl.DataFrame:
        """The stored versions of the batch's spells, as their contributions need them."""
        buffer = io.BytesIO()
        driver = await driver_connection(self.session)
        # Dates written as `yyyy-mm-dd` whatever the server's DateStyle.
        columns = (
            f"to_char({name}, 'YYYY-MM-DD')" if name.endswith("_date") else name
            for name in CONTRIBUTING
        )
        await driver.copy_from_query(
            f"SELECT {', '.join(columns)} FROM batch_stored",  # noqa: S608
            output=buffer,
            format="csv",
        )
        return read_spells(buffer.getvalue(), CONTRIBUTING)

    async def _merge_employees(self) -> None:
        """Add the staged per-employee deltas to `employee_year_totals`, and move every
        changed employee in `employee_year_distribution` from the count of their old yearly
        total to that of the new one (totals of zero are not counted).

        New employees' rows are inserted and stored ones updated (both see the table as it was
        before the statement) rather than upserted: a plain insert costs about half, and the
        write lock rules out a concurrent insert. Both find the stored rows by hashing: a table
        the planner believes empty (vacuumed when it was) would otherwise be probed once per
        employee by a scan that also reads the rows this statement is inserting, which turned a
        first batch of a million spells from seconds into more than ten minutes. (The settings
        hold for the rest of the transaction: the small merge of the distribution and the
        planner statistics.) The old and new totals come back from the insert and the update
        themselves, so the distribution costs no second look at the table.
        """
        key = " AND ".join(f"t.{c} = e.{c}" for c in EMPLOYEE_KEY)
        await self.session.execute(text("SET LOCAL jit = off"))
        await self.session.execute(text("SET LOCAL enable_nestloop = off"))
        await self.session.execute(
            text(
                f"""
        WITH employees AS MATERIALIZED (SELECT * FROM {_EMPLOYEE_DELTAS.name}),
        inserted AS (
            INSERT INTO employee_year_totals ({", ".join((*EMPLOYEE_KEY, *EMPLOYEE_VALUES))})
            SELECT * FROM employees e
            WHERE NOT EXISTS (SELECT FROM employee_year_totals t WHERE {key})
            RETURNING year, cause, day_units),
        updated AS (
            UPDATE employee_year_totals t
            SET {", ".join(f"{c} = t.{c} + e.{c}" for c in EMPLOYEE_VALUES)}
            FROM employees e WHERE {key}
            RETURNING t.year, t.cause, t.day_units AS total, e.day_units AS delta),
        moves AS (
            SELECT year, cause, day_units, 1 AS employees FROM inserted
            UNION ALL SELECT year, cause, total, 1 FROM updated
            UNION ALL SELECT year, cause, total - delta, -1 FROM updated)
        INSERT INTO {_DISTRIBUTION.name} (year, cause, day_units, employees)
        SELECT year, cause, day_units, sum(employees) FROM moves WHERE day_units <> 0
        GROUP BY year, cause, day_units HAVING sum(employees) <> 0
        ON CONFLICT (year, cause, day_units)
        DO UPDATE SET employees = {_DISTRIBUTION.name}.employees + excluded.employees"""  # noqa: S608
            )
        )


def _retrieved(task: asyncio.Future[None]) -> None:
    """Mark a worker's error as seen: when the statement beside it failed first, that error is
    the one raised, and the worker's would otherwise be logged as never retrieved."""
    if not task.cancelled():
        task.exception()
