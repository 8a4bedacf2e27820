"""Programmes and questionnaire versions: public reads, new versions by `national_admin`,
replacing an unused version with If-Match, and immutability once a round uses it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from surveys_factories import admin, count, create_round, role

from leko_kit.db import Database
from leko_kit.testing import InternalKeys
from leko_surveys.models import Questionnaire

pytestmark = pytest.mark.anyio


def version_body(**fields: Any) -> dict[str, Any]:
    return {
        "note": "Version 2.",
        "headline_question_id": "dag-overall",
        "questions": [
            {
                "id": "dag-age",
                "text_da": "Hvor gammelt er dit barn?",
                "kind": "choice",
                "options": [
                    {"value": "age_0_2", "label_da": "0–2 år"},
                    {"value": "age_3_5", "label_da": "3–5 år"},
                ],
            },
            {
                "id": "dag-overall",
                "text_da": "Hvor tilfreds er du alt i alt med dit barns dagtilbud?",
                "kind": "scale",
            },
        ],
    } | fields


async def test_programmes_are_public(client: httpx.AsyncClient) -> None:
    listing = await client.get("/v1/programmes")
    assert listing.status_code == 200
    codes = [p["code"] for p in listing.json()]
    assert codes == sorted(
        [
            "after_school_care",
            "daycare",
            "employee_motivation",
            "rehabilitation",
            "school_parents",
            "school_pupils",
            "substance_abuse_treatment",
        ]
    )
    daycare = (await client.get("/v1/programmes/daycare")).json()
    assert daycare["institution_types"] == ["daycare"]
    assert daycare["current_version"] == 1
    assert (await client.get("/v1/programmes/astrology")).status_code == 404


async def test_questionnaire_has_the_scale_and_options(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/programmes/daycare/questionnaires/current")
    assert response.status_code == 200
    assert response.headers["etag"] == '"v1"'
    body = response.json()
    assert body["version"] == 1 and body["current"] and not body["in_use"]
    by_id = {q["id"]: q for q in body["questions"]}
    labels = [o["label_da"] for o in by_id["dag-overall"]["options"]]
    assert labels == [
        "Meget utilfreds",
        "Utilfreds",
        "Hverken tilfreds eller utilfreds",
        "Tilfreds",
        "Meget tilfreds",
        "Ved ikke",
    ]
    assert [o["value"] for o in by_id["dag-age"]["options"]] == [
        "age_0_2",
        "age_3_5",
        "age_6_plus",
        None,
    ]
    assert (await client.get("/v1/programmes/daycare/questionnaires/9")).status_code == 404


async def test_a_new_version_is_used_by_new_rounds(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    created = await client.post(
        "/v1/programmes/daycare/questionnaires", json=version_body(), headers=admin(internal_keys)
    )
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/v1/programmes/daycare/questionnaires/2"
    assert created.json()["current"] is True
    assert (await create_round(client, internal_keys))["questionnaire_version"] == 2


async def test_replace_needs_a_current_etag_and_an_unused_version(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    url = "/v1/programmes/daycare/questionnaires"
    await client.post(url, json=version_body(), headers=admin(internal_keys))
    changed = version_body(note="Rettet.")
    stale = await client.put(
        f"{url}/2", json=changed, headers=admin(internal_keys) | {"If-Match": '"v7"'}
    )
    assert stale.status_code == 412
    replaced = await client.put(
        f"{url}/2", json=changed, headers=admin(internal_keys) | {"If-Match": '"v1"'}
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.headers["etag"] == '"v2"' and replaced.json()["note"] == "Rettet."
    await create_round(client, internal_keys)
    frozen = await client.put(f"{url}/2", json=version_body(), headers=admin(internal_keys))
    assert frozen.status_code == 409
    assert (await client.get(f"{url}/2")).json()["in_use"] is True
    used = await client.put(f"{url}/1", json=version_body(), headers=admin(internal_keys))
    assert used.status_code == 200  # version 1 is not used by any round in this test


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"headline_question_id": "dag-age"}, ["body"]),
        ({"headline_question_id": "nope"}, ["body"]),
        ({"questions": []}, ["body", "questions"]),
        ({"questions": [{"id": "local-1", "text_da": "x"}]}, ["body"]),
        ({"questions": [{"id": "Dag 1", "text_da": "x"}]}, ["body", "questions", 0, "id"]),
        ({"questions": [{"id": "q", "text_da": "x", "kind": "choice"}]}, ["body", "questions", 0]),
        (
            {
                "questions": [
                    {"id": "q", "text_da": "x", "options": [{"value": "a", "label_da": "A"}]}
                ]
            },
            ["body", "questions", 0],
        ),
        ({"colour": "blue"}, ["body", "colour"]),
    ],
)
async def test_bad_versions_are_422_and_store_nothing(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    change: dict[str, Any],
    loc: list[Any],
) -> None:
    response = await client.post(
        "/v1/programmes/daycare/questionnaires",
        json=version_body(**change),
        headers=admin(internal_keys),
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [error["loc"] for error in response.json()["errors"]]
    assert await count(database, Questionnaire) == 7


@pytest.mark.parametrize("name", ["org_admin", "reporter", "leader", "analyst", "researcher"])
async def test_only_national_admin_writes_versions(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database, name: str
) -> None:
    url = "/v1/programmes/daycare/questionnaires"
    for method, path in (("POST", url), ("PUT", f"{url}/1")):
        headers = role(internal_keys, name, "*")
        response = await client.request(method, path, json=version_body(), headers=headers)
        assert response.status_code == 403, method
    assert (await client.post(url, json=version_body())).status_code == 401
    assert await count(database, Questionnaire) == 7
    unknown = await client.post(
        "/v1/programmes/astrology/questionnaires", json=version_body(), headers=admin(internal_keys)
    )
    assert unknown.status_code == 404


async def test_a_bad_replacement_is_422_and_changes_nothing(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    url = "/v1/programmes/daycare/questionnaires/1"
    before = (await client.get(url)).json()
    response = await client.put(
        url, json=version_body(headline_question_id="dag-age"), headers=admin(internal_keys)
    )
    assert response.status_code == 422
    after = await client.get(url)
    assert after.json() == before and after.headers["etag"] == '"v1"'
