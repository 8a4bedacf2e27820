"""Every query on clients and API keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from leko_gateway.clients.models import ApiKeyRecord, Client


async def add_client(session: AsyncSession, client: Client) -> Client:
    session.add(client)
    await session.flush()
    return client


async def get_client(session: AsyncSession, client_id: str) -> Client | None:
    return await session.get(Client, client_id)


async def list_clients(session: AsyncSession, *, after: str | None, limit: int) -> list[Client]:
    """Clients in id order (creation order, see service.new_client_id) after `after`."""
    query = select(Client).order_by(Client.client_id).limit(limit)
    if after is not None:
        query = query.where(Client.client_id > after)
    return list(await session.scalars(query))


async def add_key(session: AsyncSession, key: ApiKeyRecord) -> ApiKeyRecord:
    session.add(key)
    await session.flush()
    return key


async def get_key(session: AsyncSession, key_id: str) -> ApiKeyRecord | None:
    return await session.get(ApiKeyRecord, key_id)


async def get_key_with_client(
    session: AsyncSession, key_id: str
) -> tuple[ApiKeyRecord, Client] | None:
    """The key and its client in one query (the authentication hot path on a cache miss)."""
    row = (
        await session.execute(
            select(ApiKeyRecord, Client)
            .join(Client, Client.client_id == ApiKeyRecord.client_id)
            .where(ApiKeyRecord.key_id == key_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def revoke_keys(
    session: AsyncSession, *, client_id: str, at: datetime, except_key_id: str
) -> None:
    """Revoke every live key of a client but one."""
    await session.execute(
        update(ApiKeyRecord)
        .where(
            ApiKeyRecord.client_id == client_id,
            ApiKeyRecord.key_id != except_key_id,
            ApiKeyRecord.revoked_at.is_(None),
        )
        .values(revoked_at=at)
    )
