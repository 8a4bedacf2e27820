"""Drop `leader_question_totals`: the reports count a leader's answers when read, and keeping
the counts (about 20 upserts per response) was a fifth of the response path's database time.
A downgrade recreates the table and fills it from the answers.

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

COUNTERS = ("n1", "n2", "n3", "n4", "n5")


def upgrade() -> None:
    op.drop_table("leader_question_totals")


def downgrade() -> None:
    op.create_table(
        "leader_question_totals",
        sa.Column("leader_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=32), nullable=False),
        sa.Column("group", sa.String(length=16), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTERS),
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
    counted = ", ".join(
        f"sum(CASE WHEN a.value = {value} THEN 1 ELSE 0 END)"
        for value in range(1, len(COUNTERS) + 1)
    )
    op.execute(
        f"""INSERT INTO leader_question_totals
                (leader_id, question_id, "group", {", ".join(COUNTERS)}, dont_know)
            SELECT r.leader_id, a.question_id, r."group", {counted},
                sum(CASE WHEN a.value IS NULL THEN 1 ELSE 0 END)
            FROM answers a JOIN responses r ON r.id = a.response_id
            GROUP BY r.leader_id, a.question_id, r."group\""""  # noqa: S608
    )
