"""Drop `area_question_totals`: an area's totals (nation, municipality, sector) are the sum of
its participants' totals, added up when a closed round's results are first read, and writing
them with every response (about 40 upserts a response) cost more than the response itself.
A downgrade recreates the table and fills it from the participants' totals (shard 0).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTERS = ("n1", "n2", "n3", "n4", "n5", "dont_know")


def upgrade() -> None:
    op.drop_table("area_question_totals")


def downgrade() -> None:
    op.create_table(
        "area_question_totals",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("area", sa.String(length=80), nullable=False),
        sa.Column("question_id", sa.String(length=32), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        *(sa.Column(name, sa.BigInteger(), nullable=False) for name in COUNTERS),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name=op.f("fk_area_question_totals_round_id_rounds")
        ),
        sa.PrimaryKeyConstraint(
            "round_id", "area", "question_id", "shard", name=op.f("pk_area_question_totals")
        ),
    )
    # The areas a participant counts in: the nation, its municipality, and in programmes
    # reported by sector, its sector.
    areas = """
        SELECT p.round_id, p.org_code, 'national' AS area FROM participants p
        UNION ALL
        SELECT p.round_id, p.org_code, 'municipality:' || p.municipality FROM participants p
        WHERE p.municipality IS NOT NULL
        UNION ALL
        SELECT p.round_id, p.org_code, 'sector:' || p.sector FROM participants p
        JOIN rounds r ON r.id = p.round_id JOIN programmes g ON g.code = r.programme
        WHERE g.by_sector"""
    op.execute(
        f"""INSERT INTO area_question_totals
                (round_id, area, question_id, shard, {", ".join(COUNTERS)})
            SELECT a.round_id, a.area, t.question_id, 0,
                {", ".join(f"sum(t.{name})" for name in COUNTERS)}
            FROM participant_question_totals t
            JOIN ({areas}) a ON a.round_id = t.round_id AND a.org_code = t.org_code
            WHERE t.question_id NOT LIKE 'local-%'
            GROUP BY a.round_id, a.area, t.question_id"""  # noqa: S608
    )
