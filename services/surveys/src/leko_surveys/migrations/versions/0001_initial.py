"""Programmes, questionnaire versions, rounds, participants, local questions, invitations,
responses, the write-time aggregates, the organisation replica and the idempotency-key store.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
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
        "programmes",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("label_da", sa.String(length=200), nullable=False),
        sa.Column("label_en", sa.String(length=200), nullable=False),
        sa.Column("respondents", sa.String(length=32), nullable=False),
        sa.Column("institution_types", sa.JSON(), nullable=True),
        sa.Column("sectors", sa.JSON(), nullable=False),
        sa.Column("by_sector", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_programmes")),
    )
    op.create_table(
        "questionnaires",
        sa.Column("programme", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("headline_question_id", sa.String(length=32), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme"], ["programmes.code"], name=op.f("fk_questionnaires_programme_programmes")
        ),
        sa.PrimaryKeyConstraint("programme", "version", name=op.f("pk_questionnaires")),
    )
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("programme", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("questionnaire_version", sa.Integer(), nullable=False),
        sa.Column("opens_at", UTCDateTime(), nullable=False),
        sa.Column("closes_at", UTCDateTime(), nullable=False),
        sa.Column("anonymity_threshold", sa.SmallInteger(), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme"], ["programmes.code"], name=op.f("fk_rounds_programme_programmes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
        sa.UniqueConstraint("programme", "year", name=op.f("uq_rounds_programme")),
    )
    op.create_table(
        "area_question_totals",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=80), nullable=False),
        sa.Column("question_id", sa.String(length=32), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("n1", sa.BigInteger(), nullable=False),
        sa.Column("n2", sa.BigInteger(), nullable=False),
        sa.Column("n3", sa.BigInteger(), nullable=False),
        sa.Column("n4", sa.BigInteger(), nullable=False),
        sa.Column("n5", sa.BigInteger(), nullable=False),
        sa.Column("dont_know", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_area_question_totals_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint(
            "round_id", "area", "question_id", "shard", name=op.f("pk_area_question_totals")
        ),
    )
    op.create_table(
        "invitations",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("org_code", sa.String(length=64), nullable=False),
        sa.Column("spent", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_invitations_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_invitations")),
    )
    op.create_table(
        "local_questions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("owner_code", sa.String(length=64), nullable=False),
        sa.Column("text_da", sa.String(length=300), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_local_questions_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_questions")),
    )
    with op.batch_alter_table("local_questions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_local_questions_round_id"), ["round_id"], unique=False)

    op.create_table(
        "participant_question_totals",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("org_code", sa.String(length=64), nullable=False),
        sa.Column("question_id", sa.String(length=32), nullable=False),
        sa.Column("n1", sa.Integer(), nullable=False),
        sa.Column("n2", sa.Integer(), nullable=False),
        sa.Column("n3", sa.Integer(), nullable=False),
        sa.Column("n4", sa.Integer(), nullable=False),
        sa.Column("n5", sa.Integer(), nullable=False),
        sa.Column("dont_know", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_participant_question_totals_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint(
            "round_id", "org_code", "question_id", name=op.f("pk_participant_question_totals")
        ),
    )
    op.create_table(
        "participants",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("org_code", sa.String(length=64), nullable=False),
        sa.Column("lineage", sa.JSON(), nullable=False),
        sa.Column("municipality", sa.String(length=64), nullable=True),
        sa.Column("sector", sa.String(length=32), nullable=False),
        sa.Column("institution_type", sa.String(length=64), nullable=True),
        sa.Column("invited", sa.Integer(), nullable=False),
        sa.Column("responded", sa.Integer(), nullable=False),
        sa.Column("enrolled_at", UTCDateTime(), nullable=False),
        sa.Column("enrolled_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_participants_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("round_id", "org_code", name=op.f("pk_participants")),
    )
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_participants_round_municipality", ["round_id", "municipality"], unique=False
        )

    op.create_table(
        "responses",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("org_code", sa.String(length=64), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_responses_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responses")),
        sa.UniqueConstraint("round_id", "external_id", name=op.f("uq_responses_round_id")),
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
    with op.batch_alter_table("org_replica", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_org_replica_parent_code"), ["parent_code"], unique=False
        )

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
    with op.batch_alter_table("org_replica", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_org_replica_parent_code"))

    op.drop_table("org_replica")
    op.drop_table("responses")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_index("ix_participants_round_municipality")

    op.drop_table("participants")
    op.drop_table("participant_question_totals")
    with op.batch_alter_table("local_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_local_questions_round_id"))

    op.drop_table("local_questions")
    op.drop_table("invitations")
    op.drop_table("area_question_totals")
    op.drop_table("rounds")
    op.drop_table("questionnaires")
    op.drop_table("programmes")
