"""Spells keyed by record id first, byte-wise on PostgreSQL; the distribution of employees'
yearly totals in place of the ranking index.

- `absence_spells`: the primary key becomes `(source_record_id, source_system)`, and on
  PostgreSQL both columns compare byte by byte (collation "C"), so that a batch of new spells
  appends at the right edge of the index.
- `employee_year_distribution` counts the employees per year, cause and yearly total (filled
  from `employee_year_totals`); the national "5% most absent" of a year is read from it, so
  the index `ix_employee_year_totals_rank` goes.
- `employee_year_totals` leaves 30% of each new page free on PostgreSQL, for the updated
  versions of its rows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SPELL_KEY = (("source_system", 64), ("source_record_id", 128))


def _key_spells(columns: list[str], collation: str | None) -> None:
    with op.batch_alter_table("absence_spells") as batch:
        batch.drop_constraint("pk_absence_spells", type_="primary")
        if op.get_bind().dialect.name == "postgresql":
            for name, length in _SPELL_KEY:
                batch.alter_column(name, type_=sa.String(length, collation=collation))
        batch.create_primary_key("pk_absence_spells", columns)


def upgrade() -> None:
    _key_spells(["source_record_id", "source_system"], "C")
    op.create_table(
        "employee_year_distribution",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=24), nullable=False),
        sa.Column("day_units", sa.Integer(), nullable=False),
        sa.Column("employees", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "year", "cause", "day_units", name=op.f("pk_employee_year_distribution")
        ),
    )
    op.execute(
        """INSERT INTO employee_year_distribution (year, cause, day_units, employees)
        SELECT year, cause, day_units, count(*) FROM employee_year_totals
        WHERE day_units <> 0 GROUP BY year, cause, day_units"""
    )
    op.drop_index("ix_employee_year_totals_rank", table_name="employee_year_totals")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE employee_year_totals SET (fillfactor = 70)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE employee_year_totals RESET (fillfactor)")
    op.create_index(
        "ix_employee_year_totals_rank", "employee_year_totals", ["year", "cause", "day_units"]
    )
    op.drop_table("employee_year_distribution")
    _key_spells(["source_system", "source_record_id"], None)
