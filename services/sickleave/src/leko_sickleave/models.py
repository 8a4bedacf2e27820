"""The sick-leave tables: reported data (spells, staffing) and the write-time aggregates.

Quantities are stored as integers in fixed units, so that aggregates maintained by adding and
subtracting contributions stay exact: a spell's `fraction` in ten-thousandths
(`FRACTION_UNITS`), absence days in ten-thousandths of a day, FTE in ten-thousandths and agreed
hours in hundredths.

Aggregates (see `leko_sickleave.absences.contributions` for the definitions):
- `absence_totals` per (node, month, cause): a node is an organisation and stands for its whole
  subtree (every spell counts at each organisation of its lineage), or `*` for the country;
- `open_spell_starts` per (node, start date, cause): the open spells, whose length bucket
  depends on the period asked for and is settled at query time;
- `staffing_totals` per (node, month): the staffing of the subtree;
- `employee_year_totals` per organisation, employee and year (with the year's months): what
  the "share carried by the 5% most absent" KPI ranks;
- `employee_year_distribution` per year, cause and yearly total: how many employees have that
  total, from which the national top of a year is summed without ranking every employee.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Integer, MetaData, PrimaryKeyConstraint, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from leko_kit.tables import NAMING_CONVENTION, UTCDateTime, utcnow

FRACTION_UNITS = 10_000  # a fraction of 1 is stored as 10,000; absence days likewise
# A full-time day's hours (dagsværk: 37 hours a week / 5): a spell reported in `hours` per day
# is stored as the fraction hours / 7.4, and absence days count as 7.4 hours each.
FULL_TIME_DAY_HOURS = 7.4
FTE_UNITS = 10_000
HOURS_UNITS = 100
TARGET_UNITS = 100  # a target of 9.5 days per FTE is stored as 950
NATIONAL_NODE = "*"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def identifier(length: int) -> TypeEngine[str]:
    """A reported identifier, compared byte by byte on PostgreSQL (collation "C"): no
    identifier needs a language's sort order, and the language collation's comparisons made
    indexing a million keys about a tenth slower."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class Spell(Base):
    """An absence spell (fraværsforløb) as the payroll system reported it last.

    The key leads with `source_record_id`: payroll systems number their records in increasing
    order, so a batch of new spells appends at the right edge of the index instead of descending
    to one of several insertion points per source system (measured, with the byte-wise
    comparison of `identifier`: inserting a million spells cost 4.2 s against 6.6 s).
    """

    __tablename__ = "absence_spells"
    __table_args__ = (PrimaryKeyConstraint("source_record_id", "source_system"),)

    source_system: Mapped[str] = mapped_column(identifier(64))
    source_record_id: Mapped[str] = mapped_column(identifier(128))
    employee_ref: Mapped[str] = mapped_column(String(128))
    org_code: Mapped[str] = mapped_column(String(64))
    job_group: Mapped[str] = mapped_column(String(64))
    cause: Mapped[str] = mapped_column(String(24))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    fraction_units: Mapped[int] = mapped_column(Integer)


class Staffing(Base):
    """Staffing (bemanding) of one organisation's own employees in one month."""

    __tablename__ = "staffing"

    org_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)  # yyyymm
    employees: Mapped[int] = mapped_column(Integer)
    fte_units: Mapped[int] = mapped_column(BigInteger)
    agreed_hours_units: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AbsenceTotals(Base):
    __tablename__ = "absence_totals"

    node: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    cause: Mapped[str] = mapped_column(String(24), primary_key=True)
    day_units: Mapped[int] = mapped_column(BigInteger, default=0)
    spells: Mapped[int] = mapped_column(Integer, default=0)
    closed_1_3: Mapped[int] = mapped_column(Integer, default=0)
    closed_4_14: Mapped[int] = mapped_column(Integer, default=0)
    closed_15_28: Mapped[int] = mapped_column(Integer, default=0)
    closed_29_plus: Mapped[int] = mapped_column(Integer, default=0)


class OpenSpellStarts(Base):
    __tablename__ = "open_spell_starts"

    node: Mapped[str] = mapped_column(String(64), primary_key=True)
    cause: Mapped[str] = mapped_column(String(24), primary_key=True)
    start_date: Mapped[date] = mapped_column(Date, primary_key=True)
    spells: Mapped[int] = mapped_column(Integer, default=0)


class StaffingTotals(Base):
    __tablename__ = "staffing_totals"

    node: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    reports: Mapped[int] = mapped_column(Integer, default=0)  # staffing rows in the subtree
    employees: Mapped[int] = mapped_column(BigInteger, default=0)
    fte_units: Mapped[int] = mapped_column(BigInteger, default=0)
    agreed_hours_units: Mapped[int] = mapped_column(BigInteger, default=0)


class EmployeeYearTotals(Base):
    """Absence days of one employee in one year, in total and per month (`month_01`–`12`).

    One row per employee and year keeps the write cost at one upsert per employee; month and
    quarter rankings read the month columns. Integers suffice (a year is at most 366 × 10,000
    units) and sum faster than big integers when a batch's deltas are added up.

    The key compares byte by byte on PostgreSQL (`identifier`): a batch inserts hundreds of
    thousands of employees at points all over the index, and the language collation's
    comparisons made that about a third slower (568,000 new employees: 2.9–3.4 s against
    1.9–2.3 s).

    Pages are filled to 70% on PostgreSQL: a batch updates the rows of most employees it
    names, and with room on the page (and no index on a value column) the new version stays
    there without new index entries (measured: a second million-spell batch's update of
    570,000 employees took 8.4 s instead of 13.4 s).
    """

    __tablename__ = "employee_year_totals"
    __table_args__ = ({"postgresql_with": {"fillfactor": 70}},)

    org_code: Mapped[str] = mapped_column(identifier(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    cause: Mapped[str] = mapped_column(identifier(24), primary_key=True)
    employee_ref: Mapped[str] = mapped_column(identifier(128), primary_key=True)
    day_units: Mapped[int] = mapped_column(Integer, default=0)
    month_01: Mapped[int] = mapped_column(Integer, default=0)
    month_02: Mapped[int] = mapped_column(Integer, default=0)
    month_03: Mapped[int] = mapped_column(Integer, default=0)
    month_04: Mapped[int] = mapped_column(Integer, default=0)
    month_05: Mapped[int] = mapped_column(Integer, default=0)
    month_06: Mapped[int] = mapped_column(Integer, default=0)
    month_07: Mapped[int] = mapped_column(Integer, default=0)
    month_08: Mapped[int] = mapped_column(Integer, default=0)
    month_09: Mapped[int] = mapped_column(Integer, default=0)
    month_10: Mapped[int] = mapped_column(Integer, default=0)
    month_11: Mapped[int] = mapped_column(Integer, default=0)
    month_12: Mapped[int] = mapped_column(Integer, default=0)


class EmployeeYearDistribution(Base):
    """How many employees (`employees`) have a yearly total of `day_units` for a cause
    (fordeling): the national "5% most absent" of a year is the sum of the largest totals, read
    from here in one row per distinct total (some hundreds in the benchmark's year) rather than
    by ranking 820,000 employees. Every write of
    `employee_year_totals` moves each changed employee from the count of their old total to
    that of the new one; a total of zero is not counted.

    It replaces an index on `(year, cause, day_units)` whose upkeep cost a million-spell batch
    about a second.
    """

    __tablename__ = "employee_year_distribution"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    cause: Mapped[str] = mapped_column(String(24), primary_key=True)
    day_units: Mapped[int] = mapped_column(Integer, primary_key=True)
    employees: Mapped[int] = mapped_column(Integer, default=0)


class Target(Base):
    """An organisation's target (måltal) for absence days per FTE in one year; `*` is the
    country's."""

    __tablename__ = "absence_targets"

    org_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    days_per_fte_units: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(128))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
