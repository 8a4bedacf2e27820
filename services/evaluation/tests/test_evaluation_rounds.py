"""Evaluation rounds: creating them, adding leaders with invitations, response rates, and
every way a request can be refused without storing anything."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from evaluation_factories import (
    AFTER,
    DURING,
    Clock,
    add_leaders,
    count,
    create_round,
    leader,
    org_admin,
    respond,
    role,
    round_body,
)
from sqlalchemy import select

from leko_evaluation.models import Evaluation, Invitation, Leader
from leko_kit.db import Database
from leko_kit.tables import IdempotencyRecord
from leko_kit.testing import InternalKeys
from leko_kit.tokens import token_hash

pytestmark = pytest.mark.anyio


async def test_create_a_round(client: httpx.AsyncClient, internal_keys: InternalKeys) -> None:
    response = await client.post(
        "/v1/evaluations", json=round_body(), headers=org_admin(internal_keys)
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/evaluations/{body['id']}"
    assert body["org_code"] == "k101"
    assert body["status"] == "scheduled"
    assert body["year"] == 2026
    assert body["themes"] == ["direction", "trust"]
    assert body["local_questions"] == [
        {"id": "local-01", "text_da": "Lederen understøtter den nye skolereform."}
    ]
    assert body["anonymity_threshold"] == 5
    fetched = await client.get(f"/v1/evaluations/{body['id']}", headers=org_admin(internal_keys))
    assert fetched.json() == body
    listing = await client.get("/v1/evaluations", headers=org_admin(internal_keys))
    assert [item["id"] for item in listing.json()["items"]] == [body["id"]]


async def test_threshold_defaults_to_5(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    body = round_body()
    del body["anonymity_threshold"]
    response = await client.post("/v1/evaluations", json=body, headers=org_admin(internal_keys))
    assert response.json()["anonymity_threshold"] == 5


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"themes": ["direction", "astrology"]}, ["body", "themes", 1]),
        ({"themes": ["trust", "trust"]}, ["body", "themes", 1]),
        ({"local_questions": [{"text_da": "   "}]}, ["body", "local_questions", 0, "text_da"]),
        ({"local_questions": [{"text_da": "x" * 301}]}, ["body", "local_questions", 0, "text_da"]),
        ({"anonymity_threshold": 2}, ["body", "anonymity_threshold"]),
        ({"closes_at": "2026-03-01T07:00:00Z"}, ["body", "closes_at"]),
        ({"org_code": "k999"}, ["body", "org_code"]),
        ({"colour": "blue"}, ["body", "colour"]),
        ({"question_set_version": 7}, ["body", "question_set_version"]),
    ],
)
async def test_bad_rounds_are_422_and_store_nothing(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    change: dict[str, Any],
    loc: list[Any],
) -> None:
    response = await client.post(
        "/v1/evaluations", json=round_body(**change), headers=org_admin(internal_keys)
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [error["loc"] for error in response.json()["errors"]]
    assert await count(database, Evaluation) == 0


async def test_a_round_that_has_already_closed_is_422(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    clock.now = AFTER
    response = await client.post(
        "/v1/evaluations", json=round_body(), headers=org_admin(internal_keys)
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["body", "closes_at"], "message": "is in the past"}
    ]


async def test_roles_and_scope_on_create(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    outside = await client.post(
        "/v1/evaluations", json=round_body(org_code="k147"), headers=org_admin(internal_keys)
    )
    assert outside.status_code == 403
    for name in ("leader", "analyst", "researcher", "national_admin"):
        response = await client.post(
            "/v1/evaluations", json=round_body(), headers=role(internal_keys, name, "*")
        )
        assert response.status_code == 403, name
    assert (await client.post("/v1/evaluations", json=round_body())).status_code == 401
    assert await count(database, Evaluation) == 0


async def test_rounds_outside_scope_are_404(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    evaluation = await create_round(client, internal_keys)
    other = org_admin(internal_keys, "k147")
    assert (
        await client.get(f"/v1/evaluations/{evaluation['id']}", headers=other)
    ).status_code == 404
    leaders = await client.post(
        f"/v1/evaluations/{evaluation['id']}/leaders",
        json={"leaders": [leader("a", org_code="frb-skole")]},
        headers=other,
    )
    assert leaders.status_code == 404
    listing = await client.get("/v1/evaluations", headers=other)
    assert listing.json()["items"] == []
    assert (
        await client.get("/v1/evaluations/999", headers=org_admin(internal_keys))
    ).status_code == 404


async def test_add_leaders_returns_tokens_once_and_stores_hashes(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    evaluation = await create_round(client, internal_keys)
    response = await client.post(
        f"/v1/evaluations/{evaluation['id']}/leaders",
        json={"leaders": [leader("a", employee=6, peer=2), leader("b", "kbh-dagtilbud", "middle")]},
        headers=org_admin(internal_keys),
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert [item["leader_ref"] for item in body["leaders"]] == ["a", "b"]
    groups = [inv["group"] for inv in body["leaders"][0]["invitations"]]
    assert sorted(groups) == sorted(["self"] + ["superior"] + ["employee"] * 6 + ["peer"] * 2)
    tokens = [inv["token"] for item in body["leaders"] for inv in item["invitations"]]
    assert len(set(tokens)) == len(tokens) == 18
    async with database.read_session() as session:
        stored = set(await session.scalars(select(Invitation.token_hash)))
        columns = set(Invitation.__table__.columns.keys())
    assert stored == {token_hash(token) for token in tokens}
    assert not stored & set(tokens)
    assert columns == {"token_hash", "leader_id", "group", "spent"}

    rates = await client.get(
        f"/v1/evaluations/{evaluation['id']}/leaders", headers=org_admin(internal_keys)
    )
    first = rates.json()["items"][0]
    assert first["leader_ref"] == "a"
    assert {r["group"]: (r["invited"], r["responded"]) for r in first["response_rates"]} == {
        "self": (1, 0),
        "superior": (1, 0),
        "employee": (6, 0),
        "peer": (2, 0),
    }


async def test_response_rates_while_the_round_runs(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    evaluation = await create_round(client, internal_keys)
    tokens = await add_leaders(client, internal_keys, evaluation["id"], leader("a"))
    clock.now = DURING
    for token in tokens["a"]["employee"][:3] + tokens["a"]["self"]:
        assert (await respond(client, token)).status_code == 201
    rates = await client.get(
        f"/v1/evaluations/{evaluation['id']}/leaders", headers=org_admin(internal_keys)
    )
    item = rates.json()["items"][0]
    assert item["responses"] == 4
    by_group = {r["group"]: r for r in item["response_rates"]}
    assert by_group["employee"] == {"group": "employee", "invited": 6, "responded": 3, "rate": 0.5}
    assert by_group["self"]["rate"] == 1.0
    whole = await client.get(
        f"/v1/evaluations/{evaluation['id']}", headers=org_admin(internal_keys)
    )
    assert whole.json()["status"] == "open"
    assert {r["group"]: r["responded"] for r in whole.json()["response_rates"]} == {
        "self": 1,
        "superior": 0,
        "employee": 3,
    }


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"leader_ref": "010190-1234"}, "leader_ref"),
        ({"leader_ref": "0101901234"}, "leader_ref"),
        ({"display_name": "Anne 311285-4321"}, "display_name"),
        ({"org_code": "k999"}, "org_code"),
        ({"org_code": "k101", "level": "supreme"}, "level"),
        ({"respondents": {"employee": 0}}, "respondents"),
        ({"respondents": {"self": 2}}, "respondents"),
        ({"respondents": {"employee": -1}}, "respondents"),
        ({"respondents": {"friends": 3}}, "respondents"),
    ],
)
async def test_bad_leaders_are_422_and_store_nothing(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    bad: dict[str, Any],
    field: str,
) -> None:
    evaluation = await create_round(client, internal_keys)
    broken = leader("b") | bad
    if "respondents" in bad:
        broken["respondents"] = bad["respondents"]
    response = await client.post(
        f"/v1/evaluations/{evaluation['id']}/leaders",
        json={"leaders": [leader("a"), broken]},
        headers=org_admin(internal_keys),
    )
    assert response.status_code == 422, response.text
    locs = [error["loc"] for error in response.json()["errors"]]
    assert any(loc[:4] == ["body", "leaders", 1, field] for loc in locs), locs
    if "cpr" in response.text.lower():
        assert "pseudonymous" in response.text
    assert await count(database, Leader) == 0
    assert await count(database, Invitation) == 0


async def test_cpr_message_says_to_send_a_pseudonym(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    evaluation = await create_round(client, internal_keys)
    response = await client.post(
        f"/v1/evaluations/{evaluation['id']}/leaders",
        json={"leaders": [leader("010190-1234")]},
        headers=org_admin(internal_keys),
    )
    assert response.status_code == 422
    assert "CPR" in response.json()["errors"][0]["message"]
    assert "pseudonymous" in response.json()["errors"][0]["message"]


async def test_leaders_outside_the_round_or_scope(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    evaluation = await create_round(client, internal_keys)
    url = f"/v1/evaluations/{evaluation['id']}/leaders"
    wide = org_admin(internal_keys, "r1084")
    not_below = await client.post(
        url, json={"leaders": [leader("a"), leader("b", "frb-skole")]}, headers=wide
    )
    assert not_below.status_code == 422
    assert not_below.json()["errors"][0]["loc"] == ["body", "leaders", 1, "org_code"]
    outside = await client.post(
        url,
        json={"leaders": [leader("a"), leader("b", "frb-skole")]},
        headers=org_admin(internal_keys),
    )
    assert outside.status_code == 403
    assert await count(database, Leader) == 0


async def test_duplicate_leaders(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    evaluation = await create_round(client, internal_keys)
    url = f"/v1/evaluations/{evaluation['id']}/leaders"
    twice = await client.post(
        url, json={"leaders": [leader("a"), leader("a")]}, headers=org_admin(internal_keys)
    )
    assert twice.status_code == 422
    await add_leaders(client, internal_keys, evaluation["id"], leader("a"))
    again = await client.post(
        url, json={"leaders": [leader("b"), leader("a")]}, headers=org_admin(internal_keys)
    )
    assert again.status_code == 409
    assert await count(database, Leader) == 1


async def test_a_closed_round_takes_no_leaders_and_closing(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    evaluation = await create_round(client, internal_keys)
    url = f"/v1/evaluations/{evaluation['id']}"
    early = await client.post(f"{url}/close", headers=org_admin(internal_keys))
    assert early.status_code == 409
    clock.now = DURING
    closed = await client.post(f"{url}/close", headers=org_admin(internal_keys))
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    late = await client.post(
        f"{url}/leaders", json={"leaders": [leader("a")]}, headers=org_admin(internal_keys)
    )
    assert late.status_code == 409


async def test_tokens_are_not_kept_for_idempotent_replays(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    evaluation = await create_round(client, internal_keys)
    url = f"/v1/evaluations/{evaluation['id']}/leaders"
    key = {"Idempotency-Key": "leaders-1"}
    first = await client.post(
        url, json={"leaders": [leader("a")]}, headers=org_admin(internal_keys) | key
    )
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    assert await count(database, IdempotencyRecord) == 0
    # A retry is not replayed (that would need the tokens stored): the leader is there already.
    again = await client.post(
        url, json={"leaders": [leader("a")]}, headers=org_admin(internal_keys) | key
    )
    assert again.status_code == 409
    assert "Already in this round: a" in again.json()["detail"]
