"""Answering by token and importing in bulk: the questionnaire with local questions, one
submission per token, the answer window, validation, the aggregates, and a vendor's batch
that is atomic and idempotent on `external_id`. A refused request stores nothing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from surveys_factories import (
    AFTER,
    DURING,
    Clock,
    answers,
    count,
    create_round,
    enrol,
    record,
    respond,
    role,
)

from leko_kit.db import Database
from leko_kit.testing import InternalKeys
from leko_surveys.models import Participant, ParticipantQuestionTotal, Response
from leko_surveys.results.repository import ResultRepository
from leko_surveys.stats import Counts

pytestmark = pytest.mark.anyio

LOCAL_TEXT = "Hvor tilfreds er du med mulighederne for at komme på tur i nærområdet?"


async def _round_with_tokens(
    client: httpx.AsyncClient, keys: InternalKeys, org_code: str = "kbh-dag-1", n: int = 3
) -> tuple[int, list[str]]:
    round_id = (await create_round(client, keys))["id"]
    return round_id, await enrol(client, keys, round_id, org_code, n)


async def test_the_questionnaire_has_national_then_local_questions(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    round_id, tokens = await _round_with_tokens(client, internal_keys)
    local = await client.post(
        f"/v1/rounds/{round_id}/local-questions",
        json={"owner_code": "k101", "text_da": LOCAL_TEXT},
        headers=role(internal_keys, "org_admin", "k101"),
    )
    await client.post(
        f"/v1/rounds/{round_id}/local-questions",
        json={"owner_code": "kbh-dag-2", "text_da": "Hvor tilfreds er du med haven?"},
        headers=role(internal_keys, "org_admin", "k101"),
    )
    response = await client.get(f"/v1/invitations/{tokens[0]}")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert (body["org_code"], body["status"], body["programme"]) == (
        "kbh-dag-1",
        "scheduled",
        "daycare",
    )
    ids = [q["id"] for q in body["questions"]]
    assert ids[:2] == ["dag-age", "dag-type"] and ids[-2] == "dag-overall"
    assert ids[-1] == local.json()["id"]  # the sibling's local question is not asked here
    assert body["questions"][-1]["owner_code"] == "k101"
    assert (await client.get("/v1/invitations/" + "x" * 43)).status_code == 404


async def test_a_response_is_stored_once_and_counted(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database, clock: Clock
) -> None:
    round_id, tokens = await _round_with_tokens(client, internal_keys)
    clock.now = DURING
    body = {"answers": answers(value=4, dag_01=None, dag_overall=5)}
    first = await respond(client, tokens[0], body)
    assert first.status_code == 201, first.text
    assert first.json() == {"status": "received", "answers": 13}
    assert first.headers["cache-control"] == "no-store"
    again = await respond(client, tokens[0], body)
    assert again.status_code == 409
    assert (await client.get(f"/v1/invitations/{tokens[0]}")).status_code == 409
    async with database.read_session() as session:
        stored = (await session.scalars(select(Response))).one()
        overall = await session.get(
            ParticipantQuestionTotal, (round_id, "kbh-dag-1", "dag-overall")
        )
        dont_know = await session.get(ParticipantQuestionTotal, (round_id, "kbh-dag-1", "dag-01"))
        age = await session.get(ParticipantQuestionTotal, (round_id, "kbh-dag-1", "dag-age"))
        participant = await session.get(Participant, (round_id, "kbh-dag-1"))
        results = ResultRepository(session)
        areas = {
            area: (await results.area_totals(round_id, area)).get("dag-overall")
            for area in ("national", "municipality:k101", "municipality:k147")
        }
    assert stored.month == 202603 and stored.answers["dag-overall"] == 5
    assert not {"token", "token_hash"} & set(stored.answers)
    assert overall is not None and (overall.n5, overall.n4) == (1, 0)
    assert dont_know is not None and dont_know.dont_know == 1
    assert age is not None and age.n1 == 1  # the first option is counted in the first slot
    assert participant is not None and participant.responded == 1
    assert areas == {
        "national": Counts(n5=1),
        "municipality:k101": Counts(n5=1),
        "municipality:k147": None,
    }


async def test_the_answer_window_is_enforced(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database, clock: Clock
) -> None:
    _, tokens = await _round_with_tokens(client, internal_keys)
    early = await respond(client, tokens[0])
    assert early.status_code == 409 and "not open yet" in early.json()["detail"]
    clock.now = AFTER
    late = await respond(client, tokens[0])
    assert late.status_code == 409 and "closed at 2026-03-27 15:00 UTC" in late.json()["detail"]
    assert (await client.get(f"/v1/invitations/{tokens[0]}")).json()["status"] == "closed"
    assert await count(database, Response) == 0


def _without(question_id: str) -> list[dict[str, Any]]:
    return [a for a in answers() if a["question_id"] != question_id]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"answers": answers(dag_overall=6)}, ["body", "answers", 12, "value"]),
        ({"answers": answers(dag_overall=0)}, ["body", "answers", 12, "value"]),
        ({"answers": answers(dag_overall="5")}, ["body", "answers", 12, "value"]),
        ({"answers": answers(dag_overall=True)}, ["body", "answers", 12, "value"]),
        ({"answers": answers(dag_overall=4.5)}, ["body", "answers", 12, "value"]),
        ({"answers": answers(dag_age="age_99")}, ["body", "answers", 0, "value"]),
        ({"answers": answers(dag_age=2)}, ["body", "answers", 0, "value"]),
        (
            {"answers": [*answers(), {"question_id": "elev-01", "value": 3}]},
            ["body", "answers", 13, "question_id"],
        ),
        (
            {"answers": [*answers(), {"question_id": "dag-01", "value": 3}]},
            ["body", "answers", 13, "question_id"],
        ),
        ({"answers": _without("dag-05")}, ["body", "answers"]),
        ({"answers": []}, ["body", "answers"]),
        ({"answers": answers(), "colour": "blue"}, ["body", "colour"]),
        (
            {"answers": [{"question_id": "dag-01", "value": 3, "note": "x"}]},
            ["body", "answers", 0, "note"],
        ),
    ],
)
async def test_bad_answers_are_422_store_nothing_and_keep_the_token(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    clock: Clock,
    body: dict[str, Any],
    loc: list[Any],
) -> None:
    _, tokens = await _round_with_tokens(client, internal_keys)
    clock.now = DURING
    response = await respond(client, tokens[0], body)
    assert response.status_code == 422, response.text
    # A value of the wrong type fails each member of the union (`int`, `str`) beneath `loc`.
    assert loc in [error["loc"][: len(loc)] for error in response.json()["errors"]]
    assert await count(database, Response) == 0
    assert await count(database, ParticipantQuestionTotal) == 0
    assert (await respond(client, tokens[0])).status_code == 201


async def test_tokens_never_reach_the_access_log(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    clock: Clock,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, tokens = await _round_with_tokens(client, internal_keys)
    clock.now = DURING
    await client.get(f"/v1/invitations/{tokens[0]}")
    await respond(client, tokens[0], {"answers": answers(dag_overall=9)})
    await respond(client, tokens[0])
    logged = capsys.readouterr().err
    assert "/v1/invitations/{token}/responses" in logged
    assert tokens[0] not in logged


async def _batch(
    client: httpx.AsyncClient,
    keys: InternalKeys,
    round_id: int,
    records: list[dict[str, Any]],
    scope: str = "k101",
) -> httpx.Response:
    return await client.post(
        f"/v1/rounds/{round_id}/responses/batch",
        json={"responses": records},
        headers=role(keys, "reporter", scope),
    )


async def test_a_batch_is_idempotent_on_external_id(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database, clock: Clock
) -> None:
    round_id, _ = await _round_with_tokens(client, internal_keys)
    await enrol(client, internal_keys, round_id, "kbh-dag-2", 0, external_invitations=40)
    clock.now = DURING
    records = [record("v-1", "kbh-dag-1", 5), record("v-2", "kbh-dag-2", 3)]
    first = await _batch(client, internal_keys, round_id, records)
    assert first.status_code == 200, first.text
    assert first.json() == {"created": 2, "unchanged": 0}
    again = await _batch(client, internal_keys, round_id, [*records, record("v-3", "kbh-dag-2")])
    assert again.json() == {"created": 1, "unchanged": 2}
    assert await count(database, Response) == 3
    async with database.read_session() as session:
        total = await session.get(ParticipantQuestionTotal, (round_id, "kbh-dag-2", "dag-overall"))
        participant = await session.get(Participant, (round_id, "kbh-dag-2"))
    assert total is not None and (total.n3, total.n4) == (1, 1)
    assert participant is not None and (participant.invited, participant.responded) == (40, 2)
    # A conflicting record refuses the whole batch: the new record beside it is not stored.
    changed = await _batch(
        client,
        internal_keys,
        round_id,
        [record("v-1", "kbh-dag-1", 2), record("v-9", "kbh-dag-2", 3)],
    )
    assert changed.status_code == 409
    assert changed.json()["external_ids"] == ["v-1"]
    moved = await _batch(client, internal_keys, round_id, [record("v-2", "kbh-dag-1", 3)])
    assert moved.status_code == 409
    assert await count(database, Response) == 3
    async with database.read_session() as session:
        total = await session.get(ParticipantQuestionTotal, (round_id, "kbh-dag-2", "dag-overall"))
        participant = await session.get(Participant, (round_id, "kbh-dag-2"))
    assert total is not None and (total.n3, total.n4) == (1, 1)
    assert participant is not None and participant.responded == 2


async def test_a_bad_batch_names_every_bad_record_and_stores_nothing(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database, clock: Clock
) -> None:
    round_id, _ = await _round_with_tokens(client, internal_keys)
    clock.now = DURING
    records = [
        record("v-1", "kbh-dag-1"),
        record("v-2", "kbh-dag-1", 7),
        record("v-1", "kbh-dag-1"),
        record("v-4", "kbh-dag-3"),
        {"external_id": "v-5", "org_code": "kbh-dag-1", "answers": answers()[:3]},
    ]
    response = await _batch(client, internal_keys, round_id, records)
    assert response.status_code == 422, response.text
    locs = {tuple(error["loc"][:4]) for error in response.json()["errors"]}
    assert ("body", "responses", 1, "answers") in locs
    assert ("body", "responses", 2, "external_id") in locs
    assert ("body", "responses", 3, "org_code") in locs
    assert ("body", "responses", 4, "answers") in locs
    assert not any(loc[2] == 0 for loc in locs)
    assert await count(database, Response) == 0
    assert await count(database, ParticipantQuestionTotal) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"external_id": "010190-1234"}, "external_id"),
        ({"external_id": "0101901234"}, "external_id"),
        ({"external_id": ""}, "external_id"),
        ({"org_code": "Not A Code"}, "org_code"),
        ({"colour": "blue"}, "colour"),
    ],
)
async def test_bad_batch_fields_are_422(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    clock: Clock,
    change: dict[str, Any],
    field: str,
) -> None:
    round_id, _ = await _round_with_tokens(client, internal_keys)
    clock.now = DURING
    response = await _batch(client, internal_keys, round_id, [record("v-1", "kbh-dag-1") | change])
    assert response.status_code == 422
    assert ["body", "responses", 0, field] in [e["loc"] for e in response.json()["errors"]]
    if field == "external_id" and change["external_id"]:
        assert "CPR" in response.json()["errors"][0]["message"]
    assert await count(database, Response) == 0


async def test_batch_scope_roles_and_window(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database, clock: Clock
) -> None:
    round_id, _ = await _round_with_tokens(client, internal_keys)
    records = [record("v-1", "kbh-dag-1")]
    early = await _batch(client, internal_keys, round_id, records)
    assert early.status_code == 409
    clock.now = DURING
    outside = await _batch(client, internal_keys, round_id, records, scope="k147")
    assert outside.status_code == 403
    # Enrolled or not, known or not: outside the scope is 403 alike, and says nothing more.
    for code in ("kbh-dag-2", "nowhere"):
        refused = await _batch(client, internal_keys, round_id, [record("v-2", code)], "k147")
        assert refused.status_code == 403, code
        assert refused.json()["detail"] == (
            f"Organisations outside your scope: {code}; nothing was stored."
        )
    mixed = await _batch(
        client,
        internal_keys,
        round_id,
        [record("v-3", "frb-dag-1"), record("v-4", "kbh-dag-2")],
        scope="k147",
    )
    assert mixed.status_code == 403
    assert "kbh-dag-2" in mixed.json()["detail"] and "frb-dag-1" not in mixed.json()["detail"]
    national = await _batch(client, internal_keys, round_id, [record("v-2", "nowhere")], "*")
    assert national.status_code == 422
    for name in ("org_admin", "national_admin", "leader", "analyst", "researcher"):
        refused = await client.post(
            f"/v1/rounds/{round_id}/responses/batch",
            json={"responses": records},
            headers=role(internal_keys, name, "*"),
        )
        assert refused.status_code == 403, name
    anonymous = await client.post(
        f"/v1/rounds/{round_id}/responses/batch", json={"responses": records}
    )
    assert anonymous.status_code == 401
    missing = await _batch(client, internal_keys, 999, records)
    assert missing.status_code == 404
    clock.now = AFTER
    assert (await _batch(client, internal_keys, round_id, records)).status_code == 409
    assert await count(database, Response) == 0


async def test_a_batch_over_the_size_limit_is_413_and_stores_nothing(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    clock: Clock,
    surveys_app: FastAPI,
) -> None:
    round_id, _ = await _round_with_tokens(client, internal_keys)
    clock.now = DURING
    limit: int = surveys_app.state.settings.max_body_bytes
    one = json.dumps(record("v-0", "kbh-dag-1"))
    many = [record(f"v-{index}", "kbh-dag-1") for index in range(limit // len(one) + 1)]
    body = json.dumps({"responses": many}).encode()
    assert len(body) > limit
    response = await client.post(
        f"/v1/rounds/{round_id}/responses/batch",
        content=body,
        headers=role(internal_keys, "reporter", "k101") | {"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await count(database, Response) == 0
