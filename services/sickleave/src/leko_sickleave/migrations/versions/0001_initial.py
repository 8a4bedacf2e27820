"""Absence spells, staffing, the write-time aggregates, the organisation replica and the
idempotency-key store.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from leko_kit.tables import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "absence_spells",
        sa.Column("source_system", sa.String(length=64), nullable=False),
        sa.Column("source_record_id", sa.String(length=128), nullable=False),
        sa.Column("employee_ref", sa.String(length=128), nullable=False),
        sa.Column("org_code", sa.String(length=64), nullable=False),
        sa.Column("job_group", sa.String(length=64), nullable=False),
        sa.Column("cause", sa.String(length=24), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("fraction_units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "source_system", "source_record_id", name=op.f("pk_absence_spells")
        ),
    )
    op.create_table(
        "absence_totals",
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=24), nullable=False),
        sa.Column("day_units", sa.BigInteger(), nullable=False),
        sa.Column("spells", sa.Integer(), nullable=False),
        sa.Column("closed_1_3", sa.Integer(), nullable=False),
        sa.Column("closed_4_14", sa.Integer(), nullable=False),
        sa.Column("closed_15_28", sa.Integer(), nullable=False),
        sa.Column("closed_29_plus", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("node", "month", "cause", name=op.f("pk_absence_totals")),
    )
    op.create_table(
        "employee_year_totals",
        sa.Column("org_code", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("cause", sa.String(length=24), nullable=False),
        sa.Column("employee_ref", sa.String(length=128), nullable=False),
        sa.Column("day_units", sa.Integer(), nullable=False),
        sa.Column("month_01", sa.Integer(), nullable=False),
        sa.Column("month_02", sa.Integer(), nullable=False),
        sa.Column("month_03", sa.Integer(), nullable=False),
        sa.Column("month_04", sa.Integer(), nullable=False),
        sa.Column("month_05", sa.Integer(), nullable=False),
        sa.Column("month_06", sa.Integer(), nullable=False),
        sa.Column("month_07", sa.Integer(), nullable=False),
        sa.Column("month_08", sa.Integer(), nullable=False),
        sa.Column("month_09", sa.Integer(), nullable=False),
        sa.Column("month_10", sa.Integer(), nullable=False),
        sa.Column("month_11", sa.Integer(), nullable=False),
        sa.Column("month_12", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "org_code", "year", "cause", "employee_ref", name=op.f("pk_employee_year_totals")
        ),
    )
    op.create_index(
        op.f("ix_employee_year_totals_rank"), "employee_year_totals", ["year", "cause", "day_units"]
    )

    op.create_table(
        "open_spell_starts",
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("cause", sa.String(length=24), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("spells", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("node", "cause", "start_date", name=op.f("pk_open_spell_starts")),
    )
    op.create_table(
        "staffing",
        sa.Column("org_code", sa.String(length=64), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("employees", sa.Integer(), nullable=False),
        sa.Column("fte_units", sa.BigInteger(), nullable=False),
        sa.Column("agreed_hours_units", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("org_code", "month", name=op.f("pk_staffing")),
    )
    op.create_table(
        "staffing_totals",
        sa.Column("node", sa.String(length=64), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("reports", sa.Integer(), nullable=False),
        sa.Column("employees", sa.BigInteger(), nullable=False),
        sa.Column("fte_units", sa.BigInteger(), nullable=False),
        sa.Column("agreed_hours_units", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("node", "month", name=op.f("pk_staffing_totals")),
    )
    op.create_table(
        "org_replica",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("sector", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("parent_code", sa.String(length=64), nullable=True),
        sa.Column("institution_type", sa.String(length=64), nullable=True),
        sa.Column("municipality_code", sa.String(length=3), nullable=True),
        sa.Column("region_code", sa.String(length=4), nullable=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_org_replica")),
    )
    op.create_index(op.f("ix_org_replica_parent_code"), "org_replica", ["parent_code"])

    op.create_table(
        "replica_cursor",
        sa.Column("feed", sa.String(length=64), nullable=False),
        sa.Column("cursor", sa.String(length=512), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("feed", name=op.f("pk_replica_cursor")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("client_id", sa.String(length=128), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_headers", sa.JSON(), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("client_id", "key", name=op.f("pk_idempotency_keys")),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("replica_cursor")
    op.drop_index(op.f("ix_org_replica_parent_code"), table_name="org_replica")

    op.drop_table("org_replica")
    op.drop_table("staffing_totals")
    op.drop_table("staffing")
    op.drop_table("open_spell_starts")
    op.drop_index(op.f("ix_employee_year_totals_rank"), table_name="employee_year_totals")

    op.drop_table("employee_year_totals")
    op.drop_table("absence_totals")
    op.drop_table("absence_spells")
