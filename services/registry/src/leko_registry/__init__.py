"""LEKO registry service: organisations and the change feed other services replicate."""

from pathlib import Path

MIGRATIONS = Path(__file__).parent / "migrations"
