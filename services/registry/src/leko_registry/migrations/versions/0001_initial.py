"""Organisations, their change feed (outbox) and the idempotency-key store.

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
        "organisations",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("name_folded", sa.String(length=255), nullable=False),
        sa.Column("sector", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("parent_code", sa.String(length=64), nullable=True),
        sa.Column("institution_type", sa.String(length=32), nullable=True),
        sa.Column("municipality_code", sa.String(length=3), nullable=True),
        sa.Column("region_code", sa.String(length=4), nullable=True),
        sa.Column("cvr", sa.String(length=8), nullable=True),
        sa.Column("p_number", sa.String(length=10), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["organisations.code"],
            name=op.f("fk_organisations_parent_code_organisations"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_organisations")),
    )
    for column in ("sector", "kind", "parent_code", "institution_type", "municipality_code"):
        op.create_index(op.f(f"ix_organisations_{column}"), "organisations", [column])

    op.create_table(
        "organisation_changes",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("op", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_organisation_changes")),
    )
    op.create_index(op.f("ix_organisation_changes_code"), "organisation_changes", ["code"])

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
    op.drop_table("organisation_changes")
    op.drop_table("organisations")
