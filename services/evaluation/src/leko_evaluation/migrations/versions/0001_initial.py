"""Question sets, rounds, leaders, invitations, responses, answers, the write-time
aggregates, the organisation replica and the idempotency-key store.

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
        "national_leaders",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sector", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("leaders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "year", "sector", "level", "shard", name=op.f("pk_national_leaders")
        ),
    )
    op.create_table(
        "national_question_totals",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sector", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("question_id", sa.String(length=32), nullable=False),
        sa.Column("group", sa.String(length=16), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("n1", sa.BigInteger(), nullable=False),
        sa.Column("n2", sa.BigInteger(), nullable=False),
        sa.Column("n3", sa.BigInteger(), nullable=False),
        sa.Column("n4", sa.BigInteger(), nullable=False),
        sa.Column("n5", sa.BigInteger(), nullable=False),
        sa.Column("dont_know", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "year",
            "sector",
            "level",
            "question_id",
            "group",
            "shard",
            name=op.f("pk_national_question_totals"),
        ),
    )
    op.create_table(
        "question_sets",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("published_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_question_sets")),
    )
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("org_code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("opens_at", UTCDateTime(), nullable=False),
        sa.Column("closes_at", UTCDateTime(), nullable=False),
        sa.Column("question_set_version", sa.Integer(), nullable=False),
        sa.Column("themes", sa.JSON(), nullable=False),
        sa.Column("local_questions", sa.JSON(), nullable=False),
        sa.Column("anonymity_threshold", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["question_set_version"],
            ["question_sets.version"],
            name=op.f("fk_evaluations_question_set_version_question_sets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
    )
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluations_org_code"), ["org_code"], unique=False)

    op.create_table(
        "evaluation_leaders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("leader_ref", sa.String(length=128), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("org_code", sa.String(length=64), nullable=False),
        sa.Column("sector", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("responses", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluations.id"],
            name=op.f("fk_evaluation_leaders_evaluation_id_evaluations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_leaders")),
        sa.UniqueConstraint(
            "evaluation_id", "leader_ref", name=op.f("uq_evaluation_leaders_evaluation_id")
        ),
    )
    op.create_table(
        "invitations",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("group", sa.String(length=16), nullable=False),
        sa.Column("spent", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["leader_id"],
            ["evaluation_leaders.id"],
            name=op.f("fk_invitations_leader_id_evaluation_leaders"),
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_invitations")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitations_leader_id"), ["leader_id"], unique=False)

    op.create_table(
        "leader_group_counts",
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("group", sa.String(length=16), nullable=False),
        sa.Column("invited", sa.Integer(), nullable=False),
        sa.Column("responded", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["leader_id"],
            ["evaluation_leaders.id"],
            name=op.f("fk_leader_group_counts_leader_id_evaluation_leaders"),
        ),
        sa.PrimaryKeyConstraint("leader_id", "group", name=op.f("pk_leader_group_counts")),
    )
    op.create_table(
        "leader_question_totals",
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=32), nullable=False),
        sa.Column("group", sa.String(length=16), nullable=False),
        sa.Column("n1", sa.Integer(), nullable=False),
        sa.Column("n2", sa.Integer(), nullable=False),
        sa.Column("n3", sa.Integer(), nullable=False),
        sa.Column("n4", sa.Integer(), nullable=False),
        sa.Column("n5", sa.Integer(), nullable=False),
        sa.Column("dont_know", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["leader_id"],
            ["evaluation_leaders.id"],
            name=op.f("fk_leader_question_totals_leader_id_evaluation_leaders"),
        ),
        sa.PrimaryKeyConstraint(
            "leader_id", "question_id", "group", name=op.f("pk_leader_question_totals")
        ),
    )
    op.create_table(
        "responses",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("group", sa.String(length=16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["leader_id"],
            ["evaluation_leaders.id"],
            name=op.f("fk_responses_leader_id_evaluation_leaders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_responses")),
    )
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_responses_leader_id"), ["leader_id"], unique=False)
        batch_op.create_index("ix_responses_year_id", ["year", "id"], unique=False)

    op.create_table(
        "answers",
        sa.Column("response_id", sa.String(length=32), nullable=False),
        sa.Column("question_id", sa.String(length=32), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["response_id"], ["responses.id"], name=op.f("fk_answers_response_id_responses")
        ),
        sa.PrimaryKeyConstraint("response_id", "question_id", name=op.f("pk_answers")),
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
    op.drop_table("answers")
    with op.batch_alter_table("responses", schema=None) as batch_op:
        batch_op.drop_index("ix_responses_year_id")
        batch_op.drop_index(batch_op.f("ix_responses_leader_id"))

    op.drop_table("responses")
    op.drop_table("leader_question_totals")
    op.drop_table("leader_group_counts")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitations_leader_id"))

    op.drop_table("invitations")
    op.drop_table("evaluation_leaders")
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluations_org_code"))

    op.drop_table("evaluations")
    op.drop_table("question_sets")
    op.drop_table("national_question_totals")
    op.drop_table("national_leaders")
