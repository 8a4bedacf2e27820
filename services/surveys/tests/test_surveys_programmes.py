"""Programmes and questionnaire versions: public reads, new versions by `national_admin`,
replacing an unused version with If-Match, and immutability once a round uses it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from surveys_factories import BEFORE, admin, count, create_round, role, round_body

from leko_kit.auth import Principal
from leko_kit.db import Database
from leko_kit.migrations import upgrade
from leko_kit.problems import Conflict
from leko_kit.testing import InternalKeys, temporary_database
from leko_surveys import MIGRATIONS
from leko_surveys.models import Questionnaire
from leko_surveys.programmes import service as programmes
from leko_surveys.programmes.repository import ProgrammeRepository
from leko_surveys.programmes.schemas import QuestionnaireWrite
from leko_surveys.rounds import service as rounds
from leko_surveys.rounds.schemas import RoundCreate
from leko_surveys.seed import seed_programmes

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


async def test_two_versions_added_at_the_same_moment_give_409(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    before = await count(database, Questionnaire)

    async def taken(self: ProgrammeRepository, programme: str) -> int:
        return 1  # what a request that read the newest version just before another added it gets

    monkeypatch.setattr(ProgrammeRepository, "next_version", taken)
    response = await client.post(
        "/v1/programmes/daycare/questionnaires", json=version_body(), headers=admin(internal_keys)
    )
    assert response.status_code == 409, response.text
    assert "added at the same moment" in response.json()["detail"]
    assert "try again" in response.json()["detail"]
    assert await count(database, Questionnaire) == before


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


async def test_a_round_created_beside_a_replacement_never_ends_on_a_replaced_version(
    database_backend: str,
) -> None:
    if database_backend != "postgres":
        pytest.skip("row locks are PostgreSQL's; SQLite lets one writer in at a time")
    async with temporary_database(database_backend) as temporary:
        await upgrade(MIGRATIONS, database_url=temporary.url)
        database = Database(temporary.url)
        try:
            async with database.session() as session:
                await seed_programmes(session)
            principal = Principal(
                client_id="admin", roles=frozenset({"national_admin"}), scope=("*",)
            )
            new_round = RoundCreate.model_validate(round_body())

            async def replace_version_1(session: AsyncSession) -> None:
                row = await programmes.questionnaire(session, code="daycare", version=1, lock=True)
                data = QuestionnaireWrite.model_validate(version_body())
                await programmes.replace(session, row=row, data=data)
                await session.commit()

            async with database.sessionmaker() as creating, database.sessionmaker() as replacing:
                created = await rounds.create(
                    creating, data=new_round, principal=principal, now=BEFORE
                )
                assert created.questionnaire_version == 1
                # Not yet committed: the replacement waits for the round instead of missing it.
                replacement = asyncio.create_task(replace_version_1(replacing))
                await asyncio.sleep(0.5)
                assert not replacement.done()
                await creating.commit()
                with pytest.raises(Conflict, match="is used by a round"):
                    await replacement
            async with database.read_session() as session:
                stored = await ProgrammeRepository(session).questionnaire("daycare", 1)
            assert stored is not None and stored.row_version == 1
        finally:
            await database.dispose()
