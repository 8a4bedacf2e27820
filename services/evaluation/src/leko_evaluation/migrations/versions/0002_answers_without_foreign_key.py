"""Answers without the foreign key to their response: answers are only ever written together
with their response, in the same statement, and the key's check (one lookup of the response
per answer, about 20 per response) was the largest single cost of storing a response.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOREIGN_KEY = "fk_answers_response_id_responses"


def upgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_constraint(FOREIGN_KEY, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_foreign_key(FOREIGN_KEY, "responses", ["response_id"], ["id"])
