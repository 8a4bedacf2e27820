"""The rules of clients and keys. Functions flush but never commit: the caller's unit of work
(the request's session, or start-up) decides."""

from __future__ import annotations

import secrets
import time
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from leko_gateway.clients import repository
from leko_gateway.clients.models import ApiKeyRecord, Client
from leko_gateway.clients.schemas import ClientCreate, ClientRead
from leko_gateway.keys import ApiKey, generate_api_key, hash_secret
from leko_kit.auth import NATIONAL_SCOPE, Role
from leko_kit.pagination import PageParams, encode_cursor
from leko_kit.problems import NotFound
from leko_kit.tables import utcnow

BOOTSTRAP_CLIENT_ID = "bootstrap-admin"


def new_client_id() -> str:
    """Millisecond time then randomness: ids sort in creation order, so pages are stable and
    read oldest first without a second sort key."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


async def create_client(session: AsyncSession, *, body: ClientCreate) -> Client:
    return await repository.add_client(
        session,
        Client(
            client_id=new_client_id(),
            name=body.name,
            roles=[role.value for role in body.roles],
            scope=list(body.scope),
            leader_ref=body.leader_ref,
            created_at=utcnow(),
        ),
    )


async def get_client(session: AsyncSession, *, client_id: str) -> Client:
    client = await repository.get_client(session, client_id)
    if client is None:
        raise NotFound(f"No client {client_id}; list clients with GET /gateway/v1/clients.")
    return client


async def list_clients(
    session: AsyncSession, *, page: PageParams
) -> tuple[list[ClientRead], str | None]:
    """One page of clients in creation order and the cursor of the next page."""
    after = page.cursor_value("client_id")
    rows = await repository.list_clients(
        session, after=str(after) if after is not None else None, limit=page.limit + 1
    )
    items = [ClientRead.model_validate(row) for row in rows[: page.limit]]
    more = len(rows) > page.limit
    return items, encode_cursor({"client_id": items[-1].client_id}) if more else None


async def create_key(
    session: AsyncSession, *, client_id: str, expires_at: datetime | None
) -> tuple[ApiKeyRecord, ApiKey]:
    """A new key for the client; the returned ApiKey is the only copy of its secret."""
    await get_client(session, client_id=client_id)
    api_key = generate_api_key()
    record = await repository.add_key(
        session,
        ApiKeyRecord(
            key_id=api_key.key_id,
            client_id=client_id,
            secret_hash=hash_secret(api_key.secret),
            created_at=utcnow(),
            expires_at=expires_at,
        ),
    )
    return record, api_key


async def revoke_key(session: AsyncSession, *, client_id: str, key_id: str) -> None:
    """Revoke a key of the client; revoking a revoked key again is not an error."""
    key = await repository.get_key(session, key_id)
    if key is None or key.client_id != client_id:
        raise NotFound(f"Client {client_id} has no key {key_id}.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()


async def ensure_bootstrap_admin(session: AsyncSession, *, api_key: ApiKey) -> None:
    """Make the bootstrap client a national admin owning exactly `api_key` (idempotent).

    Changing LEKO_BOOTSTRAP_ADMIN_KEY therefore rotates the key: the previous one is revoked.
    """
    client = await repository.get_client(session, BOOTSTRAP_CLIENT_ID)
    if client is None:
        client = await repository.add_client(
            session,
            Client(
                client_id=BOOTSTRAP_CLIENT_ID,
                name="Bootstrap administrator",
                roles=[Role.NATIONAL_ADMIN.value],
                scope=[NATIONAL_SCOPE],
                leader_ref=None,
                created_at=utcnow(),
            ),
        )
    else:
        client.roles, client.scope = [Role.NATIONAL_ADMIN.value], [NATIONAL_SCOPE]
    key = await repository.get_key(session, api_key.key_id)
    if key is None:
        await repository.add_key(
            session,
            ApiKeyRecord(
                key_id=api_key.key_id,
                client_id=BOOTSTRAP_CLIENT_ID,
                secret_hash=hash_secret(api_key.secret),
                created_at=utcnow(),
            ),
        )
    else:
        key.client_id = BOOTSTRAP_CLIENT_ID
        key.secret_hash = hash_secret(api_key.secret)
        key.expires_at = key.revoked_at = None
    await repository.revoke_keys(
        session, client_id=BOOTSTRAP_CLIENT_ID, at=utcnow(), except_key_id=api_key.key_id
    )
    await session.flush()
