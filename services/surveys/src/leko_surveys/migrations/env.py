"""Alembic environment of the surveys service: its own tables, the organisation replica and
the idempotency store."""

from leko_kit.migrations import run_env
from leko_kit.tables import idempotency_metadata, replica_metadata
from leko_surveys.models import Base

run_env([Base.metadata, replica_metadata, idempotency_metadata])
