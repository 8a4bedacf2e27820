"""The rules for absence spells: checking a batch record by record against the organisation
replica and the caller's scope, upserting on the natural key, keeping the aggregates exact.
Functions take the caller's session and never commit (the request does).

A batch is atomic. Every record is checked; the first record for an organisation outside the
caller's scope ends the request with 403, and any invalid record makes it a 422 listing every
bad record (the first `ERROR_LIMIT` problems, and how many more). Either way the transaction
is rolled back and nothing is stored.

Storage depends on the database. PostgreSQL stores each chunk set-based, by `COPY`, while
the next one is read (`_BulkBatch`, `leko_sickleave.absences.bulk`); plain CSV rows are
recognised and read column by column (`leko_sickleave.absences.canonical`, Polars), so that
the service does little per-record work in Python. The checking runs
in a worker thread, so that the event loop goes on feeding the database the previous chunk
(measured on a million spells: 42,000–44,000 records/s against 34,000–38,000 with the checking
on the event loop). SQLite stores chunk by chunk (`_RowBatch`). Either way the service adds up
each chunk's contributions to the aggregates, column-wise
(`leko_sickleave.absences.contributions`), while the database stores the previous chunk, and
records the canonical check does not recognise are checked by `parse_record`, the one
definition of a valid record. Per-employee sums go to local files whenever enough have come
together (`leko_sickleave.absences.contributions`), so the service's memory does not grow with
the number of employees in a batch, and the database receives each employee's sum once.

The cyclic garbage collector is paused while a batch runs: the per-chunk tuples and
dictionaries hold no cycles, and collecting them over and over cost about 40% of the service's
CPU time at 100,000 records a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.aggregates import is_postgres
from leko_kit.auth import Principal
from leko_kit.problems import Forbidden, NotFound, Unprocessable
from leko_sickleave.absences.bulk import BulkWriter, Staged, staged
from leko_sickleave.absences.canonical import canonical_line, scan
from leko_sickleave.absences.contributions import (
    Deltas,
    SpellRow,
    read_spells,
    spell_frame,
    spells_of,
)
from leko_sickleave.absences.formats import Chunk, CsvText, Unreadable, parse_csv
from leko_sickleave.absences.repository import SpellRepository
from leko_sickleave.absences.schemas import FieldErrors, parse_record
from leko_sickleave.organisations import OrgTree
from leko_sickleave.schemas import BatchResult

ERROR_LIMIT = 1_000
# A batch writing this many spells refreshes the planner's statistics of the aggregates.
ANALYZE_AFTER_SPELLS = 50_000
_KNOWN, _UNKNOWN, _OUTSIDE = 0, 1, 2
_gc_pauses = 0


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector until the last concurrent batch is done."""
    global _gc_pauses
    _gc_pauses += 1
    gc.disable()
    try:
        yield
    finally:
        _gc_pauses -= 1
        if not _gc_pauses:
            gc.enable()


class _ErrorReport:
    """The invalid records of a batch: the first `ERROR_LIMIT` problems and a count."""

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []
        self.records = 0
        self.problems = 0

    def add(self, index: int, problems: FieldErrors) -> None:
        self.records += 1
        self.problems += len(problems)
        for field, message in problems:
            if len(self.errors) < ERROR_LIMIT:
                loc: list[str | int] = ["body", "records", index]
                if field:
                    loc.append(field)
                self.errors.append({"loc": loc, "message": message})

    def raise_if_any(self) -> None:
        if not self.records:
            return
        omitted = self.problems - len(self.errors)
        detail = (
            f"{self.records} record(s) are not valid, so nothing was stored; correct them and "
            "send the whole batch again."
        )
        if omitted:
            detail += f" `errors` lists the first {len(self.errors)} problems; {omitted} more."
        self.errors.sort(key=lambda error: error["loc"][2])
        raise Unprocessable(
            detail, errors=self.errors, extra={"invalid_records": self.records, "omitted": omitted}
        )


class _Batch:
    """One request's batch: checks records, counts what happened; subclasses store them."""

    def __init__(self, tree: OrgTree, principal: Principal) -> None:
        self.tree = tree
        self.principal = principal
        self.report = _ErrorReport()
        self.organisations: dict[str, int] = {}
        self.index = 0
        # The contributions of the records checked so far.
        self.deltas = Deltas(tree.codes)

    def check(self, items: Chunk) -> tuple[list[SpellRow], list[int]]:
        """The chunk's valid spells and their record indexes; problems go to the report."""
        report, organisations = self.report, self.organisations
        rows: list[SpellRow] = []
        positions: dict[tuple[str, str], int] = {}
        index = self.index
        for item in items:
            parsed = item.errors if isinstance(item, Unreadable) else parse_record(item)
            if type(parsed) is not SpellRow:
                report.add(index, parsed)  # type: ignore[arg-type]
                index += 1
                continue
            org = parsed.org_code
            status = organisations.get(org)
            if status is None:
                status = organisations[org] = self._organisation_status(org)
            key = (parsed.source_system, parsed.source_record_id)
            if status == _OUTSIDE:
                raise Forbidden(
                    f"Record {index} is for `{org}`, outside your scope "
                    f"({', '.join(self.principal.scope) or 'empty'}); nothing was stored."
                )
            if status == _UNKNOWN:
                report.add(index, [("org_code", _unknown_organisation(org))])
            elif key in positions:
                report.add(index, [("source_record_id", _repeated(positions[key]))])
            else:
                positions[key] = index
                rows.append(parsed)
            index += 1
        self.index = index
        return rows, list(positions.values())

    def _organisation_status(self, code: str) -> int:
        if self.tree.lineage(code) is None:
            return _UNKNOWN
        return _KNOWN if self.tree.in_scope(code, self.principal.scope) else _OUTSIDE

    def _report_repeated(self, repeated: list[tuple[int, int]]) -> None:
        for index, first in repeated:
            self.report.add(index, [("source_record_id", _repeated(first))])
        self.report.raise_if_any()


class _RowBatch(_Batch):
    """Stores a batch chunk by chunk, computing the contributions in Python (SQLite)."""

    def __init__(self, session: AsyncSession, tree: OrgTree, principal: Principal) -> None:
        super().__init__(tree, principal)
        self.repository = SpellRepository(session)
        self.created = self.updated = self.unchanged = 0

    async def store(self, rows: list[SpellRow], indexes: list[int]) -> None:
        """Stage a checked chunk and, while the batch is still valid, merge it."""
        repository = self.repository
        await repository.stage(rows, indexes)
        if self.report.records:
            return  # keep checking the rest for the 422, but store nothing
        stored = {
            (row.source_system, row.source_record_id): row
            for row in await repository.stored_versions()
        }
        new: list[SpellRow] = []
        changed: list[SpellRow] = []
        replaced: list[SpellRow] = []
        for row in rows:
            old = stored.get((row.source_system, row.source_record_id))
            if old is None:
                new.append(row)
            elif old != row:
                changed.append(row)
                replaced.append(old)
        self.deltas.add_rows(replaced, -1)
        self.deltas.add_rows(new + changed, 1)
        self.created += len(new)
        self.updated += len(changed)
        self.unchanged += len(rows) - len(new) - len(changed)
        await repository.insert(new)
        await repository.update(changed)

    async def run(self, chunks: AsyncIterator[Chunk | CsvText]) -> BatchResult:
        await self.repository.start_staging()
        storing: asyncio.Task[None] | None = None
        try:
            async for chunk in chunks:
                if isinstance(chunk, CsvText):
                    chunk = parse_csv(chunk.text, chunk.columns, self.index)
                rows, indexes = self.check(chunk)
                if storing is not None:
                    await storing
                storing = asyncio.create_task(self.store(rows, indexes))
            if storing is not None:
                await storing
        finally:
            # Never leave the session to a running task (a 403 or a body error mid-stream).
            if storing is not None and not storing.done():
                with contextlib.suppress(Exception):
                    await storing
        self._report_repeated(await self.repository.repeated_keys())
        await self.repository.write_deltas(self.deltas, self.tree)
        return BatchResult(created=self.created, updated=self.updated, unchanged=self.unchanged)


class _BulkBatch(_Batch):
    """Stores a batch chunk by chunk through the bulk writer (PostgreSQL; see `bulk`).

    Plain CSV rows that `canonical.scan` recognises are read by Polars as they are; the few it
    does not are parsed and, when valid, written back into the text in canonical form. A chunk
    with an invalid row, and every chunk after one, is checked record by record instead.
    `prepare` runs in a worker thread while `stage` runs on the event loop. Until the whole
    batch is in, only `stage` touches the writer, and only `prepare` the checks, the deltas and
    the key files (`stage` reads whether the report holds an invalid record, a count).
    """

    def __init__(self, session: AsyncSession, tree: OrgTree, principal: Principal) -> None:
        super().__init__(tree, principal)
        self.writer = BulkWriter(session)
        # The chunks' key files; `run` removes them when the batch ends.
        self._keys = tempfile.TemporaryDirectory(prefix="leko-sickleave-keys-")
        self.keys = Path(self._keys.name)
        self.accepted: set[str] = set()  # organisations known and in scope

    def _admit(self, code: str) -> bool:
        status = self.organisations.get(code)
        if status is None:
            status = self.organisations[code] = self._organisation_status(code)
        if status != _KNOWN:
            return False
        self.accepted.add(code)
        return True

    def _staged(self, spells: pl.DataFrame, indexes: pl.Series) -> Staged | None:
        if spells.is_empty():
            return None
        return staged(spells, indexes, self.keys / f"{indexes[0]:012d}.csv")

    def _rows(self, items: Chunk) -> Staged | None:
        rows, indexes = self.check(items)
        spells = spell_frame(rows)
        if not self.report.records:
            self.deltas.add(spells, 1)
        return self._staged(spells, pl.Series("record_index", indexes, dtype=pl.Int64))

    def _parsed(self, chunk: CsvText) -> Staged | None:
        return self._rows(parse_csv(chunk.text, chunk.columns, self.index))

    def _canonical(self, line: str, columns: tuple[str, ...]) -> SpellRow | None:
        """The spell of a row `scan` did not recognise, if it is valid and admitted."""
        try:
            items = parse_csv(line, columns, self.index)
        except Unprocessable:
            return None
        item = items[0] if len(items) == 1 else None
        parsed = None if item is None or isinstance(item, Unreadable) else parse_record(item)
        if type(parsed) is not SpellRow or not self._admit(parsed.org_code):
            return None
        return parsed

    def prepare(self, chunk: Chunk | CsvText) -> Staged | None:
        """What to stage of a chunk (the checking, in Python), or None when none of it is
        valid."""
        if not isinstance(chunk, CsvText):
            return self._rows(chunk)
        if self.report.records:
            return self._parsed(chunk)
        text, columns = chunk.text, chunk.columns
        rows, others, cells = scan(text, columns, self.accepted, self._admit)
        if others or cells is None:
            pieces: list[str] = []
            done = 0
            for start, end in others:
                spell = self._canonical(text[start:end], columns)
                line = None if spell is None else canonical_line(spell, columns)
                if line is None:
                    return self._parsed(chunk)
                pieces += (text[done:start], line)
                done = end
            data = "".join((*pieces, text[done:])).encode()
            spells = read_spells(data, columns, stored=True)
        else:
            spells = spells_of(cells, stored=True)
        self.deltas.add(spells, 1)
        indexes = pl.int_range(self.index, self.index + rows, dtype=pl.Int64, eager=True)
        self.index += rows
        return self._staged(spells, indexes.alias("record_index"))

    async def stage(self, chunk: Staged | None) -> None:
        """Hand a chunk to the writer, stored while the batch is still valid."""
        if chunk is not None:
            await self.writer.take(chunk, store=not self.report.records)

    async def run(self, chunks: AsyncIterator[Chunk | CsvText]) -> BatchResult:
        with self._keys:
            return await self._run(chunks)

    async def _run(self, chunks: AsyncIterator[Chunk | CsvText]) -> BatchResult:
        writer = self.writer
        await writer.start()
        staging: asyncio.Task[None] | None = None
        preparing: asyncio.Future[Staged | None] | None = None
        try:
            async for chunk in chunks:
                preparing = asyncio.ensure_future(asyncio.to_thread(self.prepare, chunk))
                staged = await preparing
                if staging is not None:
                    await staging
                staging = asyncio.create_task(self.stage(staged))
            if staging is not None:
                await staging
        finally:
            # A cancelled request must not leave the thread writing files, nor the session
            # to a running task, once the batch's directories are removed.
            for running in (preparing, staging):
                if running is not None and not running.done():
                    with contextlib.suppress(Exception):
                        await running
        if self.report.records:
            self._report_repeated(await writer.repeated_keys())
        applied = await writer.apply(self.tree, self.deltas)
        if applied is None:
            self._report_repeated(await writer.repeated_keys())
            raise AssertionError("a repeated key was reported but none was found")
        created, updated = applied
        return BatchResult(
            created=created, updated=updated, unchanged=writer.staged - created - updated
        )


async def ingest(
    session: AsyncSession, *, chunks: AsyncIterator[Chunk | CsvText], principal: Principal
) -> BatchResult:
    """Check and store a batch of spells; returns the created/updated/unchanged counts."""
    repository = SpellRepository(session)
    await repository.lock_writes()
    tree = await OrgTree.load(session)
    batch = (_BulkBatch if is_postgres(session) else _RowBatch)(session, tree, principal)
    with _gc_paused(), contextlib.closing(batch.deltas):
        result = await batch.run(chunks)
    if is_large(result):
        await repository.refresh_planner_statistics()
    return result


def is_large(result: BatchResult) -> bool:
    """A batch that changed enough spells to refresh the aggregates' planner statistics at
    once, and to vacuum them after commit."""
    return result.created + result.updated >= ANALYZE_AFTER_SPELLS


async def delete(
    session: AsyncSession, *, source_system: str, source_record_id: str, principal: Principal
) -> None:
    """Remove a cancelled spell and its contribution (404 when unknown or outside scope)."""
    repository = SpellRepository(session)
    await repository.lock_writes()
    spell = await repository.get(source_system, source_record_id)
    tree = await OrgTree.load(session)
    if spell is None or not tree.in_scope(spell.org_code, principal.scope):
        raise NotFound(
            f"No spell `{source_record_id}` from `{source_system}` in your scope; it may "
            "never have been reported or already be deleted."
        )
    deltas = Deltas()
    deltas.add_rows([spell], -1)
    await repository.write_deltas(deltas, tree)
    await repository.delete(source_system, source_record_id)


def _unknown_organisation(code: str) -> str:
    return (
        f"unknown organisation `{code}`; use a code from the registry "
        "(GET /registry/v1/organisations?q=<name>)"
    )


def _repeated(first: int) -> str:
    return f"repeats the source_system and source_record_id of record {first}"
