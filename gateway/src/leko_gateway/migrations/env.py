"""Alembic environment of the gateway database: its own tables and kit's idempotency table."""

from leko_gateway.clients.models import metadata
from leko_kit.migrations import run_env
from leko_kit.tables import idempotency_metadata

run_env([metadata, idempotency_metadata])
