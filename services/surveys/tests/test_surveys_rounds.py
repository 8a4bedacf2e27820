"""Rounds: created by `national_admin`, read by anyone, published once closed; every way a
request can be refused without storing anything."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from surveys_factories import AFTER, DURING, Clock, admin, count, create_round, role, round_body

from leko_kit.db import Database
from leko_kit.testing import InternalKeys
from leko_surveys.models import Round

pytestmark = pytest.mark.anyio


async def test_create_and_read_a_round(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    response = await client.post("/v1/rounds", json=round_body(), headers=admin(internal_keys))
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/rounds/{body['id']}"
    assert body["programme"] == "daycare" and body["year"] == 2026
    assert body["status"] == "scheduled" and body["published"] is False
    assert body["anonymity_threshold"] == 5 and body["questionnaire_version"] == 1
    assert (body["participants"], body["invited"], body["responses"]) == (0, 0, 0)
    assert (await client.get(f"/v1/rounds/{body['id']}")).json() == body
    listing = await client.get("/v1/rounds", params={"programme": "daycare"})
    assert [r["id"] for r in listing.json()["items"]] == [body["id"]]
    assert (await client.get("/v1/rounds", params={"year": 2025})).json()["items"] == []
    assert (await client.get("/v1/rounds/999")).status_code == 404


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"programme": "astrology"}, ["body", "programme"]),
        ({"closes_at": "2026-03-01T07:00:00Z"}, ["body", "closes_at"]),
        ({"closes_at": "2026-03-02T07:00:00Z"}, ["body", "closes_at"]),
        ({"questionnaire_version": 9}, ["body", "questionnaire_version"]),
        ({"anonymity_threshold": 2}, ["body", "anonymity_threshold"]),
        ({"year": 1999}, ["body", "year"]),
        ({"year": "next"}, ["body", "year"]),
        ({"opens_at": "2026-03-02T07:00:00"}, ["body", "opens_at"]),
        ({"colour": "blue"}, ["body", "colour"]),
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
        "/v1/rounds", json=round_body(**change), headers=admin(internal_keys)
    )
    assert response.status_code == 422, response.text
    assert loc in [error["loc"] for error in response.json()["errors"]]
    assert await count(database, Round) == 0


async def test_a_round_closing_in_the_past_is_422(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    clock.now = AFTER
    response = await client.post("/v1/rounds", json=round_body(), headers=admin(internal_keys))
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"loc": ["body", "closes_at"], "message": "is in the past"}
    ]


async def test_one_round_per_programme_and_year(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    await create_round(client, internal_keys)
    again = await client.post("/v1/rounds", json=round_body(), headers=admin(internal_keys))
    assert again.status_code == 409
    await create_round(client, internal_keys, programme="school_pupils")
    assert await count(database, Round) == 2


@pytest.mark.parametrize(
    ("name", "scope"),
    [
        ("org_admin", "k101"),
        ("reporter", "*"),
        ("leader", "*"),
        ("analyst", "*"),
        ("researcher", "*"),
    ],
)
async def test_only_national_admin_creates_and_publishes(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    clock: Clock,
    name: str,
    scope: str,
) -> None:
    created = await client.post(
        "/v1/rounds", json=round_body(), headers=role(internal_keys, name, scope)
    )
    assert created.status_code == 403
    assert (await client.post("/v1/rounds", json=round_body())).status_code == 401
    assert await count(database, Round) == 0
    round_id = (await create_round(client, internal_keys))["id"]
    clock.now = AFTER
    publish = await client.post(
        f"/v1/rounds/{round_id}/publish", headers=role(internal_keys, name, scope)
    )
    assert publish.status_code == 403
    assert (await client.post(f"/v1/rounds/{round_id}/publish")).status_code == 401
    assert (await client.get(f"/v1/rounds/{round_id}")).json()["published"] is False


async def test_publication_waits_for_the_close_and_happens_once(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    round_id = (await create_round(client, internal_keys))["id"]
    clock.now = DURING
    early = await client.post(f"/v1/rounds/{round_id}/publish", headers=admin(internal_keys))
    assert early.status_code == 409
    assert "closes at 2026-03-27 15:00 UTC" in early.json()["detail"]
    clock.now = AFTER
    published = await client.post(f"/v1/rounds/{round_id}/publish", headers=admin(internal_keys))
    assert published.status_code == 200, published.text
    assert published.json()["published"] is True
    assert published.json()["published_at"].startswith("2026-03-28T12:00:00")
    again = await client.post(f"/v1/rounds/{round_id}/publish", headers=admin(internal_keys))
    assert again.status_code == 409
    missing = await client.post("/v1/rounds/999/publish", headers=admin(internal_keys))
    assert missing.status_code == 404


async def test_a_round_carries_an_etag_that_changes_when_it_is_published(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    round_id = (await create_round(client, internal_keys))["id"]
    clock.now = AFTER
    url = f"/v1/rounds/{round_id}"
    before = await client.get(url)
    tag = before.headers["etag"]
    assert tag.startswith('"') and (await client.get(url)).headers["etag"] == tag
    unchanged = await client.get(url, headers={"If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.headers["etag"] == tag
    await client.post(f"{url}/publish", headers=admin(internal_keys))
    after = await client.get(url, headers={"If-None-Match": tag})
    assert after.status_code == 200 and after.json()["published"] is True
    assert after.headers["etag"] != tag
