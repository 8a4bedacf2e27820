"""Employees' totals keyed byte by byte on PostgreSQL.

- `employee_year_totals`: `org_code`, `cause` and `employee_ref` compare byte by byte
  (collation "C"), like the spells' key: a batch inserts its new employees all over the
  primary key, and the language collation's comparisons made that about a third slower.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_EMPLOYEE_KEY = (("org_code", 64), ("cause", 24), ("employee_ref", 128))


def _collate_employee_key(collation: str | None) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, length in _EMPLOYEE_KEY:
        op.alter_column("employee_year_totals", name, type_=sa.String(length, collation=collation))


def upgrade() -> None:
    _collate_employee_key("C")


def downgrade() -> None:
    _collate_employee_key(None)
