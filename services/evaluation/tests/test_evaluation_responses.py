"""Answering by invitation: the questionnaire per group, one response per token, validation
against the questionnaire, the answer window, and nothing stored on a refusal."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from evaluation_factories import (
    AFTER,
    CORE,
    DURING,
    Clock,
    add_leaders,
    answers,
    count,
    create_round,
    leader,
    respond,
)

from leko_evaluation.models import Answer, NationalQuestionTotal, Response
from leko_kit.db import Database
from leko_kit.testing import InternalKeys

pytestmark = pytest.mark.anyio


async def _round(
    client: httpx.AsyncClient, keys: InternalKeys, **fields: Any
) -> tuple[dict[str, Any], dict[str, dict[str, list[str]]]]:
    evaluation = await create_round(client, keys, **fields)
    tokens = await add_leaders(client, keys, evaluation["id"], leader("a"), leader("b"))
    return evaluation, tokens


async def test_questionnaire_per_group(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    _, tokens = await _round(client, internal_keys)
    employee = await client.get(f"/v1/invitations/{tokens['a']['employee'][0]}")
    assert employee.status_code == 200, employee.text
    body = employee.json()
    assert body["group"] == "employee"
    assert body["status"] == "scheduled"
    assert body["leader_display_name"] == "Leder a"
    ids = [q["id"] for q in body["questions"]]
    assert ids[:8] == CORE
    assert [q["theme"] for q in body["questions"]].count("direction") == 5
    assert [q["theme"] for q in body["questions"]].count("trust") == 5
    assert "citizens-01" not in ids
    assert ids[-1] == "local-01"
    assert len(ids) == 19
    first = body["questions"][0]
    assert set(first) >= {"id", "text_da", "theme", "kind", "options"}
    assert first["text_da"].startswith("Lederen ")
    own = (await client.get(f"/v1/invitations/{tokens['a']['self'][0]}")).json()
    assert own["questions"][0]["text_da"].startswith("Jeg ")
    assert own["questions"][-1]["text_da"] == "Lederen understøtter den nye skolereform."
    assert employee.headers["cache-control"] == "no-store"


async def test_respond_once(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock, database: Database
) -> None:
    _, tokens = await _round(client, internal_keys)
    clock.now = DURING
    token = tokens["a"]["employee"][0]
    first = await respond(client, token, answers({"direction-01": 5, "local-01": None}))
    assert first.status_code == 201, first.text
    assert first.json() == {"status": "received", "group": "employee", "answers": 10}
    again = await respond(client, token)
    assert again.status_code == 409
    assert "already been used" in again.json()["detail"]
    assert (await client.get(f"/v1/invitations/{token}")).status_code == 409
    assert await count(database, Response) == 1
    assert await count(database, Answer) == 10


async def test_unknown_token_is_404(client: httpx.AsyncClient, clock: Clock) -> None:
    clock.now = DURING
    token = "x" * 43
    assert (await client.get(f"/v1/invitations/{token}")).status_code == 404
    assert (await respond(client, token)).status_code == 404


async def test_outside_the_window_is_409_with_the_reason(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock, database: Database
) -> None:
    _, tokens = await _round(client, internal_keys)
    token = tokens["a"]["employee"][0]
    early = await respond(client, token)
    assert early.status_code == 409
    assert "not open yet" in early.json()["detail"]
    clock.now = AFTER
    late = await respond(client, token)
    assert late.status_code == 409
    assert "closed" in late.json()["detail"]
    assert await count(database, Response) == 0


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        # a core question missing
        ({"answers": [{"question_id": q, "value": 3} for q in CORE[1:]]}, ["body", "answers"]),
        # a question twice
        (
            {"answers": [*answers()["answers"], {"question_id": "core-01", "value": 4}]},
            ["body", "answers", 8, "question_id"],
        ),
        # a theme the round did not pick
        (answers({"citizens-01": 4}), ["body", "answers", 8, "question_id"]),
        # a made-up id
        (answers({"core-99": 4}), ["body", "answers", 8, "question_id"]),
        # values outside 1–5, or not integers
        (answers({"core-01": 6}), ["body", "answers", 0, "value"]),
        (answers({"core-01": 0}), ["body", "answers", 0, "value"]),
        (answers({"core-01": "4"}), ["body", "answers", 0, "value"]),  # type: ignore[dict-item]
        (answers({"core-01": 3.5}), ["body", "answers", 0, "value"]),  # type: ignore[dict-item]
        ({"answers": []}, ["body", "answers"]),
        ({"answers": [{"question_id": "core-01"}]}, ["body", "answers", 0, "value"]),
        ({**answers(), "token": "x"}, ["body", "token"]),
    ],
)
async def test_answers_must_fit_the_questionnaire(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    clock: Clock,
    database: Database,
    body: dict[str, Any],
    loc: list[Any],
) -> None:
    _, tokens = await _round(client, internal_keys)
    clock.now = DURING
    token = tokens["a"]["employee"][0]
    response = await respond(client, token, body)
    assert response.status_code == 422, response.text
    assert loc in [error["loc"] for error in response.json()["errors"]], response.json()
    assert await count(database, Response) == 0
    assert await count(database, Answer) == 0
    assert await count(database, NationalQuestionTotal) == 0
    # The token is still good.
    assert (await respond(client, token)).status_code == 201


async def test_a_token_answers_only_its_own_leaders_questionnaire(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    """Leader b is in another round with its own local question: a's token cannot answer it,
    and a's answers count for a only."""
    evaluation, tokens = await _round(client, internal_keys)
    other = await create_round(client, internal_keys, local_questions=[{"text_da": "Lokalt"}] * 2)
    other_tokens = await add_leaders(client, internal_keys, other["id"], leader("c"))
    clock.now = DURING
    foreign = await respond(client, tokens["a"]["employee"][0], answers({"local-02": 4}))
    assert foreign.status_code == 422
    assert (await respond(client, tokens["a"]["employee"][0])).status_code == 201
    assert (
        await respond(client, other_tokens["c"]["employee"][0], answers({"local-02": 4}))
    ).status_code == 201
    rates = await client.get(
        f"/v1/evaluations/{evaluation['id']}/leaders",
        headers=internal_keys.headers(roles=["org_admin"], scope=["k101"]),
    )
    responses = {item["leader_ref"]: item["responses"] for item in rates.json()["items"]}
    assert responses == {"a": 1, "b": 0}


async def test_dont_know_on_every_core_question_is_a_valid_response(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    _, tokens = await _round(client, internal_keys)
    clock.now = DURING
    response = await respond(client, tokens["a"]["employee"][0], answers(default=None))
    assert response.status_code == 201
