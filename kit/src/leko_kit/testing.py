"""Test support shared by every package's tests (a pytest plugin, loaded by the root conftest).

- `database_backend`: each database test runs on SQLite and, when PostgreSQL is reachable
  (`LEKO_TEST_POSTGRES_URL`, or a server on 127.0.0.1:5432), on PostgreSQL too; the
  PostgreSQL variant is marked `postgres` and skipped visibly otherwise.
- `TemporaryDatabase`: a fresh database per test session (a file for SQLite, a created and
  dropped database for PostgreSQL), migrated by the service's real Alembic scripts.
- `bind_to_connection`: points an app's sessions at one connection inside a transaction that
  the test rolls back, so every test starts from the migrated, seeded state.
- `InternalKeys`: a key pair and a `mint()` for internal tokens as the gateway would send.
"""

from __future__ import annotations

import os
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker
from starlette.types import ASGIApp

from leko_kit.auth import InternalTokenSigner, Principal, generate_keypair
from leko_kit.db import Database, async_url, create_engine
from leko_kit.migrations import alembic_config, upgrade

DEFAULT_POSTGRES = "postgresql://127.0.0.1:5432/postgres"


def postgres_admin_url() -> str | None:
    """The PostgreSQL server tests may create databases on, or None when there is none."""
    url = os.environ.get("LEKO_TEST_POSTGRES_URL") or DEFAULT_POSTGRES
    parts = urlsplit(url.replace("+asyncpg", ""))
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 0.5):
            return url
    except OSError:
        if os.environ.get("LEKO_TEST_POSTGRES_URL"):
            raise RuntimeError(f"LEKO_TEST_POSTGRES_URL is set but {url} is unreachable") from None
        return None


def pytest_configure(config: pytest.Config) -> None:
    # One test process builds and drops hundreds of apps and engines: freezing its heap at
    # each app's startup would keep their cycles (and connections) alive (see
    # `ServiceSettings.gc_freeze`). The processes the end-to-end tests start inherit this.
    os.environ.setdefault("LEKO_GC_FREEZE", "false")


def redis_test_url() -> str | None:
    """The Redis server tests may use, or None when there is none."""
    url = os.environ.get("LEKO_TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), 0.5):
            return url
    except OSError:
        return None


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@dataclass
class TemporaryDatabase:
    """A throw-away database; `url` is its async URL."""

    backend: str
    url: str = ""
    _admin_url: str | None = None
    _tempdir: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    async def create(self) -> TemporaryDatabase:
        if self.backend == "sqlite":
            self._tempdir = tempfile.TemporaryDirectory(prefix="leko-test-")
            self.url = async_url(f"sqlite:///{Path(self._tempdir.name) / 'test.db'}")
            return self
        admin = postgres_admin_url()
        if admin is None:
            pytest.skip("PostgreSQL is not reachable (set LEKO_TEST_POSTGRES_URL)")
        self._admin_url = async_url(admin)
        name = f"leko_test_{uuid.uuid4().hex[:12]}"
        await self._admin(f'CREATE DATABASE "{name}"')
        self.url = make_url(self._admin_url).set(database=name).render_as_string(False)
        return self

    async def drop(self) -> None:
        if self._tempdir is not None:
            self._tempdir.cleanup()
        elif self._admin_url and self.url:
            name = make_url(self.url).database
            await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def _admin(self, statement: str) -> None:
        assert self._admin_url
        engine = create_engine(self._admin_url, isolation_level="AUTOCOMMIT", poolclass=None)
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()


@asynccontextmanager
async def temporary_database(backend: str) -> AsyncIterator[TemporaryDatabase]:
    database = await TemporaryDatabase(backend).create()
    try:
        yield database
    finally:
        await database.drop()


@asynccontextmanager
async def bind_to_connection(database: Database) -> AsyncIterator[AsyncConnection]:
    """Route `database`'s sessions through one connection whose transaction is rolled back."""
    original = database.sessionmaker, database.read_sessionmaker
    async with database.engine.connect() as connection:
        transaction = await connection.begin()
        database.sessionmaker = database.read_sessionmaker = async_sessionmaker(
            bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
        )
        try:
            yield connection
        finally:
            database.sessionmaker, database.read_sessionmaker = original
            if transaction.is_active:
                await transaction.rollback()


@asynccontextmanager
async def committed_postgres_app(
    migrations: Path,
    seed: Callable[[AsyncSession], Awaitable[None]],
    make_app: Callable[[str], FastAPI],
) -> AsyncIterator[FastAPI]:
    """`make_app(url)` on a fresh PostgreSQL database migrated by `migrations` and filled by
    `seed`, whose writes are committed: for tests of concurrent requests, which cannot share
    the one connection of a rolled-back test transaction. Skips the test without PostgreSQL."""
    if postgres_admin_url() is None:
        pytest.skip("concurrent writes are tested on PostgreSQL (set LEKO_TEST_POSTGRES_URL)")
    async with temporary_database("postgres") as temporary:
        await upgrade(migrations, database_url=temporary.url)
        seeding = Database(temporary.url)
        async with seeding.session() as session:
            await seed(session)
        await seeding.dispose()
        app = make_app(temporary.url)
        try:
            yield app
        finally:
            replica = getattr(app.state, "replica", None)
            if replica is not None:
                await replica.close()
            await app.state.database.dispose()


async def migration_round_trip(migrations: Path, database_url: str) -> tuple[set[str], set[str]]:
    """Upgrade a fresh database, check that the migrations build exactly the models' schema
    (Alembic's `check` raises otherwise), then downgrade to base. Returns the tables after
    the upgrade and after the downgrade; ends upgraded again. Fails on several heads."""
    config = alembic_config(migrations, database_url)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1, "one linear history"
    await upgrade(migrations, database_url=database_url)
    engine = create_engine(database_url)

    def run(connection: Connection, action: str) -> set[str]:
        config.attributes["connection"] = connection
        if action == "check":
            command.check(config)
        else:
            command.downgrade(config, "base")
        return set(inspect(connection).get_table_names())

    try:
        async with engine.begin() as connection:
            upgraded = await connection.run_sync(run, "check")
        async with engine.begin() as connection:
            downgraded = await connection.run_sync(run, "downgrade")
    finally:
        await engine.dispose()
    await upgrade(migrations, database_url=database_url)
    return upgraded, downgraded


@asynccontextmanager
async def asgi_client(app: ASGIApp, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client that calls the app in-process (no lifespan, no network)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield client


def documented_operations(app: FastAPI) -> dict[tuple[str, str], dict[str, Any]]:
    """The app's `/v1/` operations by (method, path), after asserting that each has the
    summary, description, tags and responses that integrators read in /docs."""
    operations = {
        (method, path): operation
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/v1/")
        for method, operation in item.items()
    }
    for key, operation in operations.items():
        assert operation.get("summary") and operation.get("description"), key
        assert operation.get("tags") and operation.get("responses"), key
    return operations


@dataclass
class InternalKeys:
    private_pem: str
    public_pem: str

    def mint(
        self,
        *,
        roles: Iterable[str] = (),
        scope: Iterable[str] = (),
        client_id: str = "test-client",
        leader_ref: str | None = None,
    ) -> str:
        principal = Principal(
            client_id=client_id,
            roles=frozenset(roles),
            scope=tuple(scope),
            leader_ref=leader_ref,
        )
        return InternalTokenSigner(self.private_pem).mint(principal)

    def headers(
        self,
        *,
        roles: Iterable[str] = (),
        scope: Iterable[str] = (),
        client_id: str = "test-client",
        leader_ref: str | None = None,
    ) -> dict[str, str]:
        """`Authorization` header with a freshly minted internal token."""
        token = self.mint(roles=roles, scope=scope, client_id=client_id, leader_ref=leader_ref)
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def internal_keys() -> InternalKeys:
    private_pem, public_pem = generate_keypair()
    return InternalKeys(private_pem, public_pem)


@pytest.fixture(scope="session", params=BACKENDS)
def database_backend(request: pytest.FixtureRequest) -> str:
    backend: str = request.param
    if backend == "postgres" and postgres_admin_url() is None:
        pytest.skip("PostgreSQL is not reachable (set LEKO_TEST_POSTGRES_URL)")
    return backend
