"""Responses arriving together on PostgreSQL: written in shared statements (the group writer),
each token still spent once. Runs on a committed database of its own, since concurrent
requests cannot share the single connection of the rolled-back test transaction."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
from evaluation_factories import (
    DURING,
    TREE,
    Clock,
    add_leaders,
    count,
    create_round,
    leader,
    org_admin,
    organisation,
    respond,
)
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from leko_evaluation import MIGRATIONS
from leko_evaluation.app import create_app
from leko_evaluation.models import Answer, Response
from leko_evaluation.seed import seed_question_set
from leko_evaluation.settings import EvaluationSettings
from leko_kit.testing import InternalKeys, asgi_client, committed_postgres_app

pytestmark = pytest.mark.anyio


async def _seed(session: AsyncSession) -> None:
    session.add_all(organisation(*entry) for entry in TREE)
    await seed_question_set(session)


def _app(url: str, keys: InternalKeys) -> FastAPI:
    app = create_app(
        EvaluationSettings(
            database_url=url,
            internal_token_public_key=keys.public_pem,
            registry_url="http://registry.invalid",
        )
    )
    app.state.clock = Clock(now=DURING, database=app.state.database)
    return app


@pytest.fixture
async def committed_app(internal_keys: InternalKeys) -> AsyncIterator[FastAPI]:
    """The app on its own committed PostgreSQL database, its clock in the round's window."""
    async with committed_postgres_app(
        MIGRATIONS, _seed, lambda url: _app(url, internal_keys)
    ) as app:
        yield app


@pytest.fixture
async def committed(committed_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(committed_app, "http://evaluation") as client:
        yield client


async def _tokens(client: httpx.AsyncClient, keys: InternalKeys) -> tuple[int, list[str]]:
    """A round open now, with 4 leaders of 10 invitations each: its id and the 40 tokens."""
    evaluation = await create_round(client, keys)
    tokens = await add_leaders(
        client, keys, evaluation["id"], *(leader(f"l{i}", employee=8) for i in range(4))
    )
    return evaluation["id"], [t for groups in tokens.values() for g in groups.values() for t in g]


async def test_concurrent_responses_each_stored_once(
    committed: httpx.AsyncClient, committed_app: FastAPI, internal_keys: InternalKeys
) -> None:
    evaluation_id, tokens = await _tokens(committed, internal_keys)
    assert len(tokens) == 40
    answered = await asyncio.gather(*(respond(committed, t) for t in [*tokens, tokens[7]]))
    assert Counter(r.status_code for r in answered) == {201: 40, 409: 1}
    refused = next(r for r in answered if r.status_code == 409)
    assert refused.headers["content-type"] == "application/problem+json"
    assert "already been used" in refused.json()["detail"]
    database = committed_app.state.database
    assert await count(database, Response) == 40
    assert await count(database, Answer) == 40 * 8
    leaders = await committed.get(
        f"/v1/evaluations/{evaluation_id}/leaders", headers=org_admin(internal_keys)
    )
    items = leaders.json()["items"]
    assert [item["responses"] for item in items] == [10, 10, 10, 10]
    assert {r["group"]: r["rate"] for r in items[0]["response_rates"]} == {
        "self": 1.0,
        "superior": 1.0,
        "employee": 1.0,
    }


async def test_one_token_sent_at_once_five_times_answers_once(
    committed: httpx.AsyncClient, committed_app: FastAPI, internal_keys: InternalKeys
) -> None:
    _, tokens = await _tokens(committed, internal_keys)
    answered = await asyncio.gather(*(respond(committed, tokens[0]) for _ in range(5)))
    assert sorted(r.status_code for r in answered) == [201, 409, 409, 409, 409]
    database = committed_app.state.database
    assert await count(database, Response) == 1
