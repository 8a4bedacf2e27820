"""The research export: anonymised microdata as streamed CSV, and its data dictionary."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from evaluation_factories import (
    DURING,
    Clock,
    add_leaders,
    answers,
    create_round,
    leader,
    org_admin,
    respond,
    role,
)
from sqlalchemy import select

from leko_evaluation.models import Response
from leko_evaluation.research.service import HEADER
from leko_kit.db import Database
from leko_kit.testing import InternalKeys

pytestmark = pytest.mark.anyio


async def _data(client: httpx.AsyncClient, keys: InternalKeys, clock: Clock) -> int:
    evaluation = await create_round(client, keys)
    tokens = await add_leaders(client, keys, evaluation["id"], leader("a", employee=2))
    clock.now = DURING
    body = answers({"core-01": None, "direction-01": 5, "local-01": 4})
    for token in tokens["a"]["employee"]:
        assert (await respond(client, token, body)).status_code == 201
    return int(evaluation["id"])


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_export_of_a_closed_round(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock, database: Database
) -> None:
    evaluation_id = await _data(client, internal_keys, clock)
    researcher = role(internal_keys, "researcher", "*")
    still_open = await client.get("/v1/research-export", params={"year": 2026}, headers=researcher)
    assert still_open.status_code == 200
    assert still_open.text.splitlines() == [",".join(HEADER)]

    await client.post(f"/v1/evaluations/{evaluation_id}/close", headers=org_admin(internal_keys))
    response = await client.get("/v1/research-export", params={"year": 2026}, headers=researcher)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = _rows(response.text)
    assert list(rows[0]) == HEADER
    assert len(rows) == 2 * 9  # 8 core + direction-01 per response; no local question
    assert {row["question_id"] for row in rows} == {f"core-{i:02d}" for i in range(1, 9)} | {
        "direction-01"
    }
    assert {(row["year"], row["month"], row["sector"], row["leader_level"]) for row in rows} == {
        ("2026", "2026-03", "municipality", "first_line")
    }
    assert {row["respondent_group"] for row in rows} == {"employee"}
    core_01 = [row["value"] for row in rows if row["question_id"] == "core-01"]
    assert core_01 == ["", ""]  # "ved ikke"
    assert {row["theme"] for row in rows if row["question_id"] == "direction-01"} == {"direction"}
    respondents = {row["respondent"] for row in rows}
    assert len(respondents) == 2
    async with database.read_session() as session:
        ids = set(await session.scalars(select(Response.id)))
    assert not respondents & ids
    for forbidden in ("k101", "kbh-skole", "Leder a", "T12:"):
        assert forbidden not in response.text
    # A new export numbers the respondents anew, so exports cannot be linked.
    again = _rows(
        (await client.get("/v1/research-export", params={"year": 2026}, headers=researcher)).text
    )
    assert not {row["respondent"] for row in again} & respondents


async def test_only_researchers_export(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    for name in ("analyst", "org_admin", "national_admin", "leader"):
        response = await client.get(
            "/v1/research-export", params={"year": 2026}, headers=role(internal_keys, name, "*")
        )
        assert response.status_code == 403
    assert (await client.get("/v1/research-export", params={"year": 2026})).status_code == 401
    missing_year = await client.get(
        "/v1/research-export", headers=role(internal_keys, "researcher", "*")
    )
    assert missing_year.status_code == 422


async def test_data_dictionary(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/research-export/dictionary")
    assert response.status_code == 200
    body = response.json()
    assert [column["name"] for column in body["columns"]] == HEADER
    questions = {q["id"]: q for q in body["questions"]}
    assert questions["core-01"]["theme"] == "core"
    assert questions["change-05"]["theme"] == "change"
    assert len(questions) == 8 + 30
