"""Alembic environment of the evaluation service: its own tables, the organisation replica
and the idempotency store."""

from leko_evaluation.models import Base
from leko_kit.migrations import run_env
from leko_kit.tables import idempotency_metadata, replica_metadata

run_env([Base.metadata, replica_metadata, idempotency_metadata])
