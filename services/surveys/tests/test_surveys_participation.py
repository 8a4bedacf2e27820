"""Enrolment with invitations (scope, institution type, window), local questions and their
publication by the owner; each refusal stores nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from surveys_factories import (
    AFTER,
    DURING,
    Clock,
    admin,
    count,
    create_round,
    enrol,
    role,
    round_body,
)

from leko_kit.db import Database
from leko_kit.tables import IdempotencyRecord
from leko_kit.testing import InternalKeys
from leko_kit.tokens import token_hash
from leko_surveys.models import Invitation, LocalQuestion, Participant

pytestmark = pytest.mark.anyio


async def test_enrolment_issues_tokens_and_stores_only_hashes(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    round_id = (await create_round(client, internal_keys))["id"]
    response = await client.post(
        f"/v1/rounds/{round_id}/participants",
        json={"org_code": "kbh-dag-1", "invitations": 4},
        headers=role(internal_keys, "org_admin", "k101"),
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["location"] == f"/v1/rounds/{round_id}/participants"
    body = response.json()
    assert (body["org_code"], body["invited"], len(body["tokens"])) == ("kbh-dag-1", 4, 4)
    assert len(set(body["tokens"])) == 4
    async with database.read_session() as session:
        stored = set(await session.scalars(select(Invitation.token_hash)))
        participant = await session.get(Participant, (round_id, "kbh-dag-1"))
    assert stored == {token_hash(t) for t in body["tokens"]}
    assert not stored & set(body["tokens"])
    assert participant is not None
    assert participant.municipality == "k101"
    assert participant.lineage == ["kbh-dag-1", "k101", "r1084"]
    again = await client.post(
        f"/v1/rounds/{round_id}/participants",
        json={"org_code": "kbh-dag-1", "invitations": 2, "external_invitations": 10},
        headers=role(internal_keys, "org_admin", "k101"),
    )
    assert again.json()["invited"] == 16 and len(again.json()["tokens"]) == 2
    listing = await client.get(
        f"/v1/rounds/{round_id}/participants", headers=role(internal_keys, "org_admin", "k101")
    )
    assert [(p["org_code"], p["invited"], p["responded"]) for p in listing.json()["items"]] == [
        ("kbh-dag-1", 16, 0)
    ]
    other = await client.get(
        f"/v1/rounds/{round_id}/participants", headers=role(internal_keys, "org_admin", "k147")
    )
    assert other.json()["items"] == []
    read = await client.get(f"/v1/rounds/{round_id}")
    assert (read.json()["participants"], read.json()["invited"]) == (1, 16)


@pytest.mark.parametrize(
    ("org_code", "programme", "scope", "status", "message"),
    [
        ("kbh-skole", "daycare", "k101", 422, "is a school; `daycare` is for daycare"),
        ("k101", "daycare", "k101", 422, "is a municipality; `daycare` enrols institutions"),
        ("rh-genoptraening", "daycare", "r1084", 422, "belongs to the region sector"),
        ("no-such-org", "daycare", "*", 422, "unknown organisation"),
        ("frb-dag-1", "daycare", "k101", 403, None),
        ("k101", "daycare", "kbh-dag-1", 403, None),
        ("kriminalforsorgen", "employee_motivation", "k101", 403, None),
    ],
)
async def test_enrolment_refusals_store_nothing(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    org_code: str,
    programme: str,
    scope: str,
    status: int,
    message: str | None,
) -> None:
    round_id = (await create_round(client, internal_keys, programme=programme))["id"]
    response = await client.post(
        f"/v1/rounds/{round_id}/participants",
        json={"org_code": org_code, "invitations": 3},
        headers=role(internal_keys, "org_admin", scope),
    )
    assert response.status_code == status, response.text
    if message:
        assert message in response.json()["errors"][0]["message"]
    assert await count(database, Participant) == 0
    assert await count(database, Invitation) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"org_code": "kbh-dag-1", "invitations": -1},
        {"org_code": "kbh-dag-1", "invitations": 5001},
        {"org_code": "kbh-dag-1", "invitations": "many"},
        {"org_code": "KBH DAG", "invitations": 1},
        {"org_code": "kbh-dag-1"},
        {"org_code": "kbh-dag-1", "invitations": 1, "colour": "blue"},
    ],
)
async def test_bad_enrolment_bodies_are_422(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database, body: dict[str, Any]
) -> None:
    round_id = (await create_round(client, internal_keys))["id"]
    response = await client.post(
        f"/v1/rounds/{round_id}/participants",
        json=body,
        headers=role(internal_keys, "org_admin", "k101"),
    )
    assert response.status_code == 422
    assert await count(database, Participant) == 0


async def test_any_organisation_of_the_sectors_enrols_in_the_motivation_survey(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    round_id = (await create_round(client, internal_keys, programme="employee_motivation"))["id"]
    for code, scope in [("k101", "k101"), ("kbh-skole", "k101"), ("kriminalforsorgen", "state")]:
        await enrol(client, internal_keys, round_id, code, scope=scope)


async def test_enrolment_needs_an_open_or_scheduled_round(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database, clock: Clock
) -> None:
    round_id = (await create_round(client, internal_keys))["id"]
    clock.now = DURING
    await enrol(client, internal_keys, round_id, "kbh-dag-1")
    clock.now = AFTER
    late = await client.post(
        f"/v1/rounds/{round_id}/participants",
        json={"org_code": "kbh-dag-2", "invitations": 3},
        headers=role(internal_keys, "org_admin", "k101"),
    )
    assert late.status_code == 409
    assert await count(database, Participant) == 1
    missing = await client.post(
        "/v1/rounds/999/participants",
        json={"org_code": "kbh-dag-2", "invitations": 3},
        headers=role(internal_keys, "org_admin", "k101"),
    )
    assert missing.status_code == 404


@pytest.mark.parametrize("name", ["national_admin", "reporter", "leader", "analyst", "researcher"])
async def test_only_org_admin_enrols(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database, name: str
) -> None:
    round_id = (await create_round(client, internal_keys))["id"]
    body = {"org_code": "kbh-dag-1", "invitations": 3}
    url = f"/v1/rounds/{round_id}/participants"
    assert (
        await client.post(url, json=body, headers=role(internal_keys, name, "*"))
    ).status_code == 403
    assert (await client.post(url, json=body)).status_code == 401
    assert await count(database, Participant) == 0
    listing = await client.get(url, headers=role(internal_keys, name, "*"))
    assert listing.status_code == (200 if name == "national_admin" else 403)


async def test_local_questions_are_added_before_opening_by_the_owner(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database, clock: Clock
) -> None:
    round_id = (await create_round(client, internal_keys))["id"]
    url = f"/v1/rounds/{round_id}/local-questions"
    text = "Hvor tilfreds er du med mulighederne for at komme på tur i nærområdet?"
    created = await client.post(
        url,
        json={"owner_code": "k101", "text_da": text},
        headers=role(internal_keys, "org_admin", "k101"),
    )
    assert created.status_code == 201, created.text
    question = created.json()
    assert question["id"].startswith("local-") and question["published"] is False
    outside = await client.post(
        url,
        json={"owner_code": "k147", "text_da": text},
        headers=role(internal_keys, "org_admin", "k101"),
    )
    assert outside.status_code == 403
    for bad in ({"owner_code": "nowhere", "text_da": text}, {"owner_code": "k101", "text_da": ""}):
        response = await client.post(
            url, json=bad, headers=role(internal_keys, "org_admin", "k101")
        )
        assert response.status_code == 422
    mine = await client.get(url, headers=role(internal_keys, "org_admin", "k101"))
    assert mine.json() == {"items": [question], "next_cursor": None}
    theirs = await client.get(url, headers=role(internal_keys, "org_admin", "k147"))
    assert theirs.json() == {"items": [], "next_cursor": None}
    foreign = await client.post(
        f"{url}/{question['id']}/publish", headers=role(internal_keys, "org_admin", "k147")
    )
    assert foreign.status_code == 404
    published = await client.post(
        f"{url}/{question['id']}/publish", headers=role(internal_keys, "org_admin", "k101")
    )
    assert published.status_code == 200 and published.json()["published"] is True
    twice = await client.post(
        f"{url}/{question['id']}/publish", headers=role(internal_keys, "org_admin", "k101")
    )
    assert twice.status_code == 409
    clock.now = DURING
    late = await client.post(
        url,
        json={"owner_code": "kbh-dag-1", "text_da": text},
        headers=role(internal_keys, "org_admin", "k101"),
    )
    assert late.status_code == 409
    assert await count(database, LocalQuestion) == 1
    by_admin = await client.post(
        url, json={"owner_code": "k101", "text_da": text}, headers=admin(internal_keys)
    )
    assert by_admin.status_code == 403


async def test_local_questions_are_listed_in_pages_of_the_caller_s_scope(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    round_id = (await create_round(client, internal_keys))["id"]
    url = f"/v1/rounds/{round_id}/local-questions"
    created = []
    for owner in ("k101", "k147", "kbh-dag-1", "kbh-dag-2"):
        response = await client.post(
            url,
            json={"owner_code": owner, "text_da": f"Hvor tilfreds er du med {owner}?"},
            headers=role(internal_keys, "org_admin", owner),
        )
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])
    headers = role(internal_keys, "org_admin", "k101")
    first = (await client.get(url, params={"limit": 2}, headers=headers)).json()
    assert [q["id"] for q in first["items"]] == [created[0], created[2]]
    second = await client.get(
        url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=headers
    )
    assert [q["id"] for q in second.json()["items"]] == [created[3]]
    assert second.json()["next_cursor"] is None
    every = (await client.get(url, headers=admin(internal_keys))).json()
    assert [q["id"] for q in every["items"]] == created and every["next_cursor"] is None
    for bad in ({"limit": 501}, {"limit": 0}, {"cursor": "not-ours"}):
        assert (await client.get(url, params=bad, headers=headers)).status_code == 422


async def test_tokens_are_not_kept_for_idempotent_replays(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    round_id = (await create_round(client, internal_keys))["id"]
    body = {"org_code": "kbh-dag-1", "invitations": 2}
    url = f"/v1/rounds/{round_id}/participants"
    for _ in range(2):
        headers = role(internal_keys, "org_admin", "k101") | {"Idempotency-Key": "enrol-1"}
        response = await client.post(url, json=body, headers=headers)
        assert response.status_code == 201 and "idempotent-replayed" not in response.headers
    assert await count(database, IdempotencyRecord) == 0
    assert await count(database, Invitation) == 4
    headers = admin(internal_keys) | {"Idempotency-Key": "round-1"}
    created = await client.post("/v1/rounds", json=round_body(year=2027), headers=headers)
    replay = await client.post(
        "/v1/rounds",
        json=round_body(year=2027),
        headers=admin(internal_keys) | {"Idempotency-Key": "round-1"},
    )
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == created.json()
