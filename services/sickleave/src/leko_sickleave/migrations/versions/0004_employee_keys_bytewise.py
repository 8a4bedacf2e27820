"""Employees' totals keyed byte by byte on PostgreSQL.

- `employee_year_totals`: `org_code`, `cause` and `employee_ref` compare byte by byte
  (collation "C"), like the spells' key: a batch inserts its new employees all over the
  primary key, and the language collation's comparisons made that about a third slower.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EMPLOYEE_KEY = (("org_code", 64), ("cause", 24), ("employee_ref", 128))


def _collate_employee_key(collation: str) -> None:
    """One statement, so the primary key is rebuilt once."""
    if op.get_bind().dialect.name != "postgresql":
        return
    columns = ", ".join(
        f'ALTER COLUMN {name} TYPE varchar({length}) COLLATE "{collation}"'
        for name, length in _EMPLOYEE_KEY
    )
    op.execute(f"ALTER TABLE employee_year_totals {columns}")


def upgrade() -> None:
    _collate_employee_key("C")


def downgrade() -> None:
    _collate_employee_key("default")
