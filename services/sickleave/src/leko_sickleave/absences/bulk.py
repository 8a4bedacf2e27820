"""Storing a batch of spells on PostgreSQL set-based: staged by `COPY`, applied in a few
statements, the aggregates computed in SQL.

A batch is staged in the temporary table `incoming`: plain CSV rows as text straight from the
request body (`COPY ... (FORMAT csv)`, numbered by a sequence), other records as the checked
values (binary `COPY`, with their record numbers). When the whole batch is in, `apply`

1. reads the stored versions of the batch's keys (`batch_stored`);
2. inserts the new spells; a key repeated in the request fails the primary key, and then the
   repeated records are looked up for the 422;
3. overwrites the changed ones (`batch_changed`);
4. adds the contributions of the new versions and subtracts those of the old ones, in two
   statements: one for `employee_year_totals` and `absence_totals`, one for
   `open_spell_starts`.

The contributions follow `leko_sickleave.absences.contributions` (the Python version, which
SQLite and single deletes use); the working days come from the temporary table
`batch_calendar`, filled from `leko_sickleave.danish_calendar` once per connection, so both
versions count from the same calendar. Lineages come from the service's organisation tree
(`batch_nodes`). The reference tests hold both versions to a plain day-by-day recomputation.

Every aggregate table is written only by absence writers (and the reorganisation), all under
the absence write lock, so the merges need no ordering against deadlocks. Statements are put
together from this module's column lists only: values reach the database through `COPY` and
bind parameters, never through the SQL text.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, cast

from sqlalchemy import CursorResult, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.db import driver_connection
from leko_sickleave.absences.contributions import LENGTH_LIMITS, SpellRow, open_horizon
from leko_sickleave.danish_calendar import FIRST_DATE, LAST_DATE, month_index, working_days
from leko_sickleave.models import Spell
from leko_sickleave.organisations import OrgTree

# The stored columns of a spell, in table order (`fraction` is kept in integer units).
_SPELL_COLUMNS = tuple(column.name for column in Spell.__table__.columns)
_VALUES = _SPELL_COLUMNS[2:]
_MONTHS = [f"month_{number:02d}" for number in range(1, 13)]
# A COPY of this many bytes of CSV text at most; a chunk of the body is sent in pieces.
_COPY_PIECE = 1 << 20

_CREATE = [
    """CREATE TEMPORARY TABLE IF NOT EXISTS batch_calendar (
        day date PRIMARY KEY,
        month integer NOT NULL,
        month_seq integer NOT NULL,
        working_before integer NOT NULL,
        working_through integer NOT NULL,
        open_until date NOT NULL)""",
    """CREATE TEMPORARY TABLE IF NOT EXISTS batch_months (
        month_seq integer PRIMARY KEY,
        month integer NOT NULL,
        working_before integer NOT NULL,
        working_through integer NOT NULL)""",
    "CREATE TEMPORARY SEQUENCE IF NOT EXISTS incoming_record_index MINVALUE 0",
    """CREATE TEMPORARY TABLE IF NOT EXISTS incoming (
        source_system varchar(64) NOT NULL,
        source_record_id varchar(128) NOT NULL,
        employee_ref varchar(128) NOT NULL,
        org_code varchar(64) NOT NULL,
        job_group varchar(64) NOT NULL,
        cause varchar(24) NOT NULL,
        start_date date NOT NULL,
        end_date date,
        fraction numeric(5, 4),
        record_index bigint NOT NULL DEFAULT nextval('incoming_record_index'),
        fraction_units integer GENERATED ALWAYS AS
            (round(coalesce(fraction, 1) * 10000)::integer) STORED)""",
    """CREATE TEMPORARY TABLE IF NOT EXISTS batch_stored (
        record_index bigint NOT NULL,
        source_system varchar(64) NOT NULL,
        source_record_id varchar(128) NOT NULL,
        employee_ref varchar(128) NOT NULL,
        org_code varchar(64) NOT NULL,
        job_group varchar(64) NOT NULL,
        cause varchar(24) NOT NULL,
        start_date date NOT NULL,
        end_date date,
        fraction_units integer NOT NULL)""",
    "CREATE TEMPORARY TABLE IF NOT EXISTS batch_changed (record_index bigint PRIMARY KEY)",
    """CREATE TEMPORARY TABLE IF NOT EXISTS batch_nodes (
        org_code varchar(64) NOT NULL, node varchar(64) NOT NULL)""",
]
_STAGING = ("incoming", "batch_stored", "batch_changed", "batch_nodes")


@cache
def calendar_rows() -> list[tuple[date, int, int, int, int, date]]:
    """`batch_calendar`: per day of 2000–2100 its month (`yyyymm` and months since January
    2000), the working days before it and up to it (both since 1 January 2000), and the last
    day an open spell starting on it is counted up to."""
    rows = []
    for offset in range((LAST_DATE - FIRST_DATE).days + 1):
        day = FIRST_DATE + timedelta(days=offset)
        month = day.year * 100 + day.month
        through = working_days(FIRST_DATE, day)
        before = working_days(FIRST_DATE, day - timedelta(days=1)) if offset else 0
        rows.append((day, month, month_index(month), before, through, open_horizon(day)))
    return rows


def _month_rows() -> list[tuple[int, int, int, int]]:
    """`batch_months`: per month its `yyyymm` and the working days before and up to its end."""
    months: dict[int, tuple[int, int, int, int]] = {}
    for _, month, seq, before, through, _ in calendar_rows():
        first = months.get(seq)
        months[seq] = (seq, month, first[2] if first else before, through)
    return list(months.values())


def _bucket_filters(length: str) -> list[str]:
    """SQL conditions on a closed spell's calendar length, one per `LENGTH_BUCKETS` entry."""
    low = 1
    conditions = []
    for limit in (*LENGTH_LIMITS, None):
        conditions.append(
            f"{length} >= {low}" + (f" AND {length} <= {limit}" if limit is not None else "")
        )
        low = (limit or 0) + 1
    return conditions


def _any_nonzero(columns: Iterable[str]) -> str:
    return " OR ".join(f"{column} <> 0" for column in columns)


def _add_excluded(table: str, columns: Iterable[str]) -> str:
    return ", ".join(f"{column} = {table}.{column} + excluded.{column}" for column in columns)


class BulkWriter:
    """One batch on one PostgreSQL session (under the absence write lock)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.staged = 0  # records in `incoming`

    async def _written(self, statement: str) -> int:
        """Run a statement; the number of rows it wrote."""
        result = await self.session.execute(text(statement))
        return int(cast("CursorResult[Any]", result).rowcount)

    async def start(self) -> None:
        """Make the temporary tables (once per connection) and empty the batch's."""
        for statement in _CREATE:
            await self.session.execute(text(statement))
        calendar = await self.session.scalar(text("SELECT count(*) FROM batch_months"))
        if not calendar:
            driver = await driver_connection(self.session)
            await driver.copy_records_to_table("batch_calendar", records=calendar_rows())
            await driver.copy_records_to_table("batch_months", records=_month_rows())
            await self.session.execute(text("ANALYZE batch_calendar, batch_months"))
        await self.session.execute(text(f"TRUNCATE {', '.join(_STAGING)}"))

    async def copy_text(self, csv_text: str, columns: Sequence[str], first_index: int) -> None:
        """Stage plain CSV rows (whole lines, in `columns` order) numbered from `first_index`."""
        await self.session.execute(
            text("SELECT setval('incoming_record_index', :first, false)"), {"first": first_index}
        )
        data = csv_text.encode()

        async def pieces() -> AsyncIterator[bytes]:
            view = memoryview(data)
            for start in range(0, len(view), _COPY_PIECE):
                yield bytes(view[start : start + _COPY_PIECE])

        driver = await driver_connection(self.session)
        await driver.copy_to_table("incoming", source=pieces(), columns=columns, format="csv")
        self.staged += csv_text.count("\n")

    async def copy_rows(self, rows: Sequence[SpellRow], indexes: Sequence[int]) -> None:
        """Stage checked spells with their record numbers."""
        if not rows:
            return
        driver = await driver_connection(self.session)
        await driver.copy_records_to_table(
            "incoming",
            records=[
                (*row[:8], Decimal(row.fraction_units).scaleb(-4), index)
                for row, index in zip(rows, indexes, strict=True)
            ],
            columns=[*_SPELL_COLUMNS[:8], "fraction", "record_index"],
        )
        self.staged += len(rows)

    async def repeated_keys(self) -> list[tuple[int, int]]:
        """(record index, index of the key's first record) of every record that repeats the
        natural key of an earlier record of the batch."""
        await self.session.execute(text("SET LOCAL work_mem = '128MB'"))
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

    async def apply(self, tree: OrgTree, organisations: Iterable[str]) -> tuple[int, int] | None:
        """Store the staged batch and its contributions: (created, updated), or None when a
        natural key is repeated (see `repeated_keys`; nothing is stored then)."""
        execute = self.session.execute
        await execute(text("SET LOCAL work_mem = '128MB'"))
        await execute(text("ANALYZE incoming"))
        keys = "s.source_system = i.source_system AND s.source_record_id = i.source_record_id"
        stored = await self._written(
            f"""INSERT INTO batch_stored
                    SELECT i.record_index, {", ".join(f"s.{c}" for c in _SPELL_COLUMNS)}
                    FROM incoming i JOIN absence_spells s ON {keys}"""  # noqa: S608
        )
        if stored:
            await execute(text("ANALYZE batch_stored"))
            repeated = await self.session.scalar(
                text(
                    """SELECT EXISTS (SELECT FROM batch_stored
                    GROUP BY source_system, source_record_id HAVING count(*) > 1)"""
                )
            )
            if repeated:
                return None
        new_rows = "incoming i" + (
            " WHERE NOT EXISTS (SELECT FROM batch_stored s WHERE s.record_index = i.record_index)"
            if stored
            else ""
        )
        try:
            async with self.session.begin_nested():
                created = await self._written(
                    f"""INSERT INTO absence_spells ({", ".join(_SPELL_COLUMNS)})
                            SELECT {", ".join(f"i.{c}" for c in _SPELL_COLUMNS)}
                            FROM {new_rows}"""  # noqa: S608
                )
        except IntegrityError:
            return None
        updated = 0
        if stored:
            updated = await self._overwrite_changed()
        await self._write_nodes(tree, organisations, changed=bool(updated))
        sources = [f"SELECT 1 AS sign, {_contributing('i')} FROM {new_rows}"]  # noqa: S608
        if updated:
            changed = "JOIN batch_changed USING (record_index)"
            sources += [
                f"SELECT 1, {_contributing('i')} FROM incoming i {changed}",  # noqa: S608
                f"SELECT -1, {_contributing('s')} FROM batch_stored s {changed}",  # noqa: S608
            ]
        await self._add_contributions(" UNION ALL ".join(sources))
        return created, updated

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

    async def _write_nodes(
        self, tree: OrgTree, organisations: Iterable[str], *, changed: bool
    ) -> None:
        """`batch_nodes`: where each organisation of the batch (new versions and, when spells
        changed, their old versions) counts."""
        codes = set(organisations)
        if changed:
            codes.update(
                await self.session.scalars(
                    text(
                        """SELECT DISTINCT s.org_code FROM batch_stored s
                        JOIN batch_changed USING (record_index)"""
                    )
                )
            )
        driver = await driver_connection(self.session)
        await driver.copy_records_to_table(
            "batch_nodes", records=[(code, node) for code in codes for node in tree.nodes(code)]
        )

    async def _add_contributions(self, spells: str) -> None:
        """Add the contributions of `spells` (SQL: sign, org_code, employee_ref, cause,
        start_date, end_date, fraction_units) to every aggregate."""
        buckets = ["closed_1_3", "closed_4_14", "closed_15_28", "closed_29_plus"]
        month_sums = [
            f"coalesce(sum(units) FILTER (WHERE month % 100 = {number}), 0) AS {name}"
            for number, name in enumerate(_MONTHS, start=1)
        ]
        unpivot = "CASE k " + " ".join(f"WHEN {n} THEN {c}" for n, c in enumerate(_MONTHS, 1))
        employee_columns = ["day_units", *_MONTHS]
        employee_key = " AND ".join(
            f"t.{c} = e.{c}" for c in ("org_code", "year", "cause", "employee_ref")
        )
        total_columns = ["day_units", "spells", *buckets]
        # The planner cannot estimate how many months a spell spans. Misled, it would sort a
        # million slices to group them (hashing is several times faster) and JIT-compile the
        # statement, which costs a second and gains nothing. Employees' rows are inserted or
        # updated (both see the table as it was before the statement) rather than upserted: a
        # plain insert costs less, and the write lock rules out a concurrent insert. Both find
        # the stored rows by hashing: a table the planner believes empty (vacuumed when it was)
        # would otherwise be probed once per employee by a scan that also reads the rows this
        # statement is inserting, which turned a first batch of a million spells from seconds
        # into more than ten minutes. Spells within one month (three in four) skip the join
        # with the months. (The settings hold for the rest of the transaction: the batch's last
        # statements.)
        await self.session.execute(text("SET LOCAL enable_sort = off"))
        await self.session.execute(text("SET LOCAL jit = off"))
        await self.session.execute(text("SET LOCAL enable_nestloop = off"))
        await self.session.execute(
            text(
                f"""
        WITH spells AS ({spells}),
        located AS MATERIALIZED (
            SELECT sp.sign, sp.org_code, sp.employee_ref, sp.cause, sp.fraction_units,
                f.month AS first_month, f.month_seq AS first_seq, l.month_seq AS last_seq,
                f.working_before, l.working_through,
                sp.end_date - sp.start_date + 1 AS closed_length
            FROM spells sp
            JOIN batch_calendar f ON f.day = sp.start_date
            JOIN batch_calendar l ON l.day = coalesce(sp.end_date, f.open_until)),
        slices AS (
            SELECT lo.org_code, lo.employee_ref, lo.cause, lo.first_month AS month,
                lo.sign * lo.fraction_units * (lo.working_through - lo.working_before) AS units
            FROM located lo WHERE lo.first_seq = lo.last_seq
            UNION ALL
            SELECT lo.org_code, lo.employee_ref, lo.cause, m.month,
                lo.sign * lo.fraction_units * (
                    CASE WHEN m.month_seq = lo.last_seq THEN lo.working_through
                        ELSE m.working_through END
                    - CASE WHEN m.month_seq = lo.first_seq THEN lo.working_before
                        ELSE m.working_before END) AS units
            FROM located lo
            JOIN LATERAL (SELECT * FROM batch_months m
                WHERE m.month_seq BETWEEN lo.first_seq AND lo.last_seq) m ON true
            WHERE lo.first_seq < lo.last_seq),
        employees AS MATERIALIZED (
            SELECT org_code, month / 100 AS year, cause, employee_ref,
                sum(units) AS day_units, {", ".join(month_sums)}
            FROM slices WHERE units <> 0
            GROUP BY org_code, month / 100, cause, employee_ref),
        inserted AS (
            INSERT INTO employee_year_totals
                (org_code, year, cause, employee_ref, {", ".join(employee_columns)})
            SELECT * FROM employees e WHERE ({_any_nonzero(employee_columns)})
                AND NOT EXISTS (SELECT FROM employee_year_totals t WHERE {employee_key})),
        updated AS (
            UPDATE employee_year_totals t
            SET {", ".join(f"{c} = t.{c} + e.{c}" for c in employee_columns)}
            FROM employees e WHERE {employee_key}),
        organisation_years AS (
            SELECT org_code, year, cause, {", ".join(f"sum({c}) AS {c}" for c in _MONTHS)}
            FROM employees GROUP BY org_code, year, cause),
        organisation_months AS (
            SELECT org_code, year * 100 + k AS month, cause, {unpivot} END AS day_units,
                0 AS spells, {", ".join(f"0 AS {b}" for b in buckets)}
            FROM organisation_years CROSS JOIN generate_series(1, 12) AS k
            UNION ALL
            SELECT org_code, first_month, cause, 0, sum(sign),
                {
                    ", ".join(
                        f"coalesce(sum(sign) FILTER (WHERE {condition}), 0)"
                        for condition in _bucket_filters("closed_length")
                    )
                }
            FROM located GROUP BY org_code, first_month, cause)
        INSERT INTO absence_totals (node, month, cause, {", ".join(total_columns)})
        SELECT n.node, o.month, o.cause, {", ".join(f"sum(o.{c})" for c in total_columns)}
        FROM organisation_months o JOIN batch_nodes n USING (org_code)
        GROUP BY n.node, o.month, o.cause
        HAVING {_any_nonzero(f"sum(o.{c})" for c in total_columns)}
        ON CONFLICT (node, month, cause) DO UPDATE
        SET {_add_excluded("absence_totals", total_columns)}
        """  # noqa: S608
            )
        )
        await self.session.execute(
            text(
                f"""
        INSERT INTO open_spell_starts (node, cause, start_date, spells)
        SELECT n.node, sp.cause, sp.start_date, sum(sp.sign)
        FROM ({spells}) sp JOIN batch_nodes n USING (org_code)
        WHERE sp.end_date IS NULL
        GROUP BY n.node, sp.cause, sp.start_date HAVING sum(sp.sign) <> 0
        ON CONFLICT (node, cause, start_date) DO UPDATE
        SET spells = open_spell_starts.spells + excluded.spells"""  # noqa: S608
            )
        )


def _contributing(alias: str) -> str:
    """The columns of a spell that its contributions depend on."""
    columns = ("org_code", "employee_ref", "cause", "start_date", "end_date", "fraction_units")
    return ", ".join(f"{alias}.{column}" for column in columns)
