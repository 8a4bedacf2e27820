"""When a closed round was added to the national totals: rounds are counted there once, when
they close, instead of response by response. The totals counted the old way are emptied:
the service counts every closed round again from its answers (exactly), and open rounds when
they close.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from leko_kit.tables import UTCDateTime

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("national_counted_at", UTCDateTime(), nullable=True))
    op.execute("DELETE FROM national_question_totals")
    op.execute("DELETE FROM national_leaders")


def downgrade() -> None:
    with op.batch_alter_table("evaluations", schema=None) as batch_op:
        batch_op.drop_column("national_counted_at")
