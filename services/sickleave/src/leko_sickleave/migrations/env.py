"""Alembic environment of the sick-leave service: its own tables, the organisation replica
and the idempotency store."""

from leko_kit.migrations import run_env
from leko_kit.tables import idempotency_metadata, replica_metadata
from leko_sickleave.models import Base

run_env([Base.metadata, replica_metadata, idempotency_metadata])
