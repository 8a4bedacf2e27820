"""The national question set: the seeded version, drafting and publishing, immutability."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from evaluation_factories import create_round, role

from leko_kit.testing import InternalKeys

pytestmark = pytest.mark.anyio


def new_version(**fields: Any) -> dict[str, Any]:
    return {
        "note": "Version 2",
        "core": [
            {
                "id": "core-01",
                "text_da": "Lederen sætter en tydelig retning for arbejdet.",
                "text_self_da": "Jeg sætter en tydelig retning for arbejdet.",
            }
        ],
        "themes": [
            {
                "code": "digital",
                "label_da": "Digital omstilling",
                "label_en": "Digital transformation",
                "questions": [
                    {
                        "id": "digital-01",
                        "text_da": "Lederen bruger digitale løsninger, hvor de gavner opgaven.",
                        "text_self_da": "Jeg bruger digitale løsninger, hvor de gavner opgaven.",
                    }
                ],
            }
        ],
    } | fields


async def test_the_seeded_version_is_public(client: httpx.AsyncClient) -> None:
    listing = (await client.get("/v1/question-sets")).json()
    assert [item["version"] for item in listing["items"]] == [1]
    assert listing["items"][0]["current"] is True
    assert listing["items"][0]["core_questions"] == 8
    current = (await client.get("/v1/question-sets/current")).json()
    assert current["version"] == 1
    question = current["core"][0]
    assert question["kind"] == "scale"
    assert [o["value"] for o in question["options"]] == [1, 2, 3, 4, 5, None]
    assert question["options"][-1]["label_da"] == "Ved ikke / ikke relevant"
    assert (await client.get("/v1/question-sets/1")).json() == current


async def test_national_admin_drafts_and_publishes(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    admin = ("national_admin", "*")
    created = await client.post(
        "/v1/question-sets", json=new_version(), headers=role(internal_keys, *admin)
    )
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/v1/question-sets/2"
    assert created.json()["status"] == "draft"
    # A draft is invisible to the public and not used by new rounds.
    assert (await client.get("/v1/question-sets/2")).status_code == 404
    assert (await client.get("/v1/question-sets/current")).json()["version"] == 1
    drafts = await client.get("/v1/question-sets", headers=role(internal_keys, *admin))
    assert [item["version"] for item in drafts.json()["items"]] == [2, 1]

    published = await client.post(
        "/v1/question-sets/2/publish", headers=role(internal_keys, *admin)
    )
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert (await client.get("/v1/question-sets/current")).json()["version"] == 2
    again = await client.post("/v1/question-sets/2/publish", headers=role(internal_keys, *admin))
    assert again.status_code == 409
    assert "immutable" in again.json()["detail"]


async def test_a_version_in_use_is_marked_and_stays_the_rounds(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    evaluation = await create_round(client, internal_keys)
    assert evaluation["question_set_version"] == 1
    version = (await client.get("/v1/question-sets/1")).json()
    assert version["in_use"] is True


async def test_only_national_admin_writes(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    for name in ("org_admin", "analyst"):
        response = await client.post(
            "/v1/question-sets", json=new_version(), headers=role(internal_keys, name)
        )
        assert response.status_code == 403
    assert (await client.post("/v1/question-sets", json=new_version())).status_code == 401


@pytest.mark.parametrize(
    "change",
    [
        {"core": []},
        {
            "themes": [
                {
                    "code": "core",
                    "label_da": "x",
                    "label_en": "x",
                    "questions": [{"id": "x-01", "text_da": "a", "text_self_da": "b"}],
                }
            ]
        },
        {"core": [{"id": "core-01", "text_da": "a", "text_self_da": "b"}] * 2},
        {"core": [{"id": "local-01", "text_da": "a", "text_self_da": "b"}]},
        {"unknown": 1},
    ],
)
async def test_bad_versions_are_422(
    client: httpx.AsyncClient, internal_keys: InternalKeys, change: dict[str, Any]
) -> None:
    response = await client.post(
        "/v1/question-sets",
        json=new_version(**change),
        headers=role(internal_keys, "national_admin", "*"),
    )
    assert response.status_code == 422, response.text
