"""Token responses arriving together on PostgreSQL: written in shared statements (the group
writer), each token still spent once. Runs on a committed database of its own, since
concurrent requests cannot share the single connection of the rolled-back test transaction."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from surveys_factories import (
    DURING,
    TREE,
    Clock,
    count,
    create_round,
    enrol,
    organisation,
    respond,
    role,
)

from leko_kit.db import Database
from leko_kit.testing import InternalKeys, asgi_client, committed_postgres_app
from leko_surveys import MIGRATIONS
from leko_surveys.app import create_app
from leko_surveys.models import Response
from leko_surveys.seed import seed_programmes
from leko_surveys.settings import SurveysSettings

pytestmark = pytest.mark.anyio


async def _seed(session: AsyncSession) -> None:
    session.add_all(organisation(*entry) for entry in TREE)
    await seed_programmes(session)


def _app(url: str, keys: InternalKeys) -> FastAPI:
    app = create_app(
        SurveysSettings(
            database_url=url,
            internal_token_public_key=keys.public_pem,
            registry_url="http://registry.invalid",
        )
    )
    app.state.clock = Clock()
    return app


@pytest.fixture
async def committed_app(internal_keys: InternalKeys) -> AsyncIterator[FastAPI]:
    """The app on its own committed PostgreSQL database (`TREE` in the replica, the seeded
    programmes)."""
    async with committed_postgres_app(
        MIGRATIONS, _seed, lambda url: _app(url, internal_keys)
    ) as app:
        yield app


@pytest.fixture
async def committed(committed_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of `committed_app` (its requests run concurrently, each on its own session)."""
    async with asgi_client(committed_app, "http://surveys") as client:
        yield client


async def _open_round_with_tokens(
    app: FastAPI, client: httpx.AsyncClient, keys: InternalKeys, n: int
) -> tuple[int, list[str]]:
    """A round with `n` invitations for kbh-dag-1, the clock inside its window."""
    round_id: int = (await create_round(client, keys))["id"]
    tokens = await enrol(client, keys, round_id, "kbh-dag-1", n)
    app.state.clock.now = DURING
    return round_id, tokens


async def _responded(client: httpx.AsyncClient, keys: InternalKeys, round_id: int) -> int:
    """kbh-dag-1's response count, as its org admin sees it."""
    listing = await client.get(
        f"/v1/rounds/{round_id}/participants", headers=role(keys, "org_admin", "k101")
    )
    assert listing.status_code == 200, listing.text
    (participant,) = listing.json()["items"]
    responded: int = participant["responded"]
    return responded


async def test_concurrent_responses_are_each_stored_and_counted_once(
    committed_app: FastAPI, committed: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    round_id, tokens = await _open_round_with_tokens(committed_app, committed, internal_keys, 40)
    # The repeated token is sent right after its first use, so the two (nearly always) meet
    # in one write, which must spend the token and store the response once.
    sent = [tokens[0], tokens[0], *tokens[1:]]
    answered = await asyncio.gather(*(respond(committed, token) for token in sent))
    assert Counter(r.status_code for r in answered) == {201: 40, 409: 1}
    refused = next(r for r in answered if r.status_code == 409)
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "already been used" in refused.json()["detail"]
    database: Database = committed_app.state.database
    assert await count(database, Response) == 40
    assert await _responded(committed, internal_keys, round_id) == 40
    assert (await committed.get(f"/v1/rounds/{round_id}")).json()["responses"] == 40


async def test_one_token_sent_five_times_at_once_answers_once(
    committed_app: FastAPI, committed: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    round_id, tokens = await _open_round_with_tokens(committed_app, committed, internal_keys, 3)
    answered = await asyncio.gather(*(respond(committed, tokens[0]) for _ in range(5)))
    assert sorted(r.status_code for r in answered) == [201, 409, 409, 409, 409]
    database: Database = committed_app.state.database
    assert await count(database, Response) == 1
    assert await _responded(committed, internal_keys, round_id) == 1
