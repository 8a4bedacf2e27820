"""Anonymity by construction: nothing links a response to its token or invitation; tokens
never reach the log; means and gaps on their own."""

from __future__ import annotations

import httpx
import pytest
from evaluation_factories import DURING, Clock, add_leaders, create_round, leader, respond
from sqlalchemy import inspect, select

from leko_evaluation.models import Answer, Base, Invitation, Response
from leko_evaluation.stats import Counts, gap, pooled, rounded
from leko_kit.db import Database
from leko_kit.testing import InternalKeys
from leko_kit.tokens import token_hash

pytestmark = pytest.mark.anyio


def test_no_table_links_a_response_to_an_invitation() -> None:
    responses = Base.metadata.tables["responses"]
    assert set(responses.columns.keys()) == {"id", "leader_id", "group", "year", "month"}
    assert {fk.column.table.name for fk in responses.foreign_keys} == {"evaluation_leaders"}
    answers = Base.metadata.tables["answers"]
    assert set(answers.columns.keys()) == {"response_id", "question_id", "value"}
    invitations = Base.metadata.tables["invitations"]
    # No time stamp that could be matched with a response, no reference to one.
    assert set(invitations.columns.keys()) == {"token_hash", "leader_id", "group", "spent"}
    for table in Base.metadata.tables.values():
        if table.name != "invitations":
            assert not any(fk.column.table.name == "invitations" for fk in table.foreign_keys)
            assert "token" not in " ".join(table.columns.keys())


async def test_stored_rows_hold_neither_token_nor_hash(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock, database: Database
) -> None:
    evaluation = await create_round(client, internal_keys)
    tokens = await add_leaders(client, internal_keys, evaluation["id"], leader("a"))
    clock.now = DURING
    used = tokens["a"]["employee"][:2]
    for token in used:
        assert (await respond(client, token)).status_code == 201
    secrets_ = set(used) | {token_hash(token) for token in used}
    async with database.read_session() as session:
        rows = (await session.execute(select(Response))).scalars().all()
        stored = [
            str(getattr(row, column))
            for row in rows
            for column in [c.key for c in inspect(Response).columns]
        ]
        answers = (await session.execute(select(Answer.response_id))).scalars().all()
        spent = (
            (await session.execute(select(Invitation.token_hash).where(Invitation.spent)))
            .scalars()
            .all()
        )
    assert len(rows) == 2
    assert not secrets_ & set(stored)
    assert not secrets_ & set(answers)
    assert {row.group for row in rows} == {"employee"}
    assert {row.month for row in rows} == {202603}
    assert set(spent) == {token_hash(token) for token in used}


async def test_tokens_do_not_reach_the_access_log(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    clock: Clock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    evaluation = await create_round(client, internal_keys)
    tokens = await add_leaders(client, internal_keys, evaluation["id"], leader("a"))
    clock.now = DURING
    token = tokens["a"]["employee"][0]
    capsys.readouterr()
    await client.get(f"/v1/invitations/{token}")
    await respond(client, token)
    captured = capsys.readouterr()
    logged = captured.out + captured.err  # the service's structured log goes to stderr
    assert "/v1/invitations/{token}" in logged
    assert token not in logged


def test_means_exclude_dont_know_and_pool_by_answer() -> None:
    counts = Counts(n1=1, n4=2, n5=1, dont_know=3)
    assert (counts.answered, counts.total, counts.mean) == (4, 7, 3.5)
    assert counts.distribution() == {"1": 1, "2": 0, "3": 0, "4": 2, "5": 1, "dont_know": 3}
    assert Counts(dont_know=2).mean is None
    assert pooled([Counts(n5=1), Counts(n1=3)]).mean == 2.0  # (5 + 1 + 1 + 1) / 4
    assert gap(4.0, 3.25) == 0.75
    assert gap(None, 3.0) is None


def test_means_are_rounded_once() -> None:
    # 75,904 / 20,001 = 3.79501…: rounding to 4 decimals first (3.7950) would then give 3.79.
    assert rounded(Counts(n3=4_100, n4=15_901).mean) == 3.8
