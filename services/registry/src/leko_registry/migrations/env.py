"""Alembic environment of the registry: its own tables plus the idempotency store."""

from leko_kit.migrations import run_env
from leko_kit.tables import idempotency_metadata
from leko_registry.models import Base

run_env([Base.metadata, idempotency_metadata])
