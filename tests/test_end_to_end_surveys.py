"""User-satisfaction surveys end to end, through the gateway to the real processes: the nation
opens a daycare round, a municipality registers two daycare institutions and enrols them,
parents answer by invitation token, a vendor imports its answers, and once the round has
closed and is published, citizens read the results without credentials."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from gateway_clients import create_client

pytestmark = pytest.mark.e2e

# Long enough to enrol and answer on a busy machine (the replica must see the new institutions).
WINDOW_SECONDS = 30


def key_header(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def daycare(gateway: httpx.Client, org_admin: dict[str, str], name: str) -> str:
    code = f"kbh-e2e-dag-{uuid.uuid4().hex[:6]}"
    created = gateway.post(
        "/registry/v1/organisations",
        json={
            "code": code,
            "name": name,
            "sector": "municipality",
            "kind": "institution",
            "parent_code": "k101",
            "institution_type": "daycare",
            "municipality_code": "101",
        },
        headers=org_admin,
    )
    assert created.status_code == 201, created.text
    return code


def enrol(
    gateway: httpx.Client, org_admin: dict[str, str], round_id: int, body: dict[str, Any]
) -> dict[str, Any]:
    """Enrol once the surveys service's replica knows the new institution."""
    deadline = time.monotonic() + 60
    while True:
        response = gateway.post(
            f"/surveys/v1/rounds/{round_id}/participants", json=body, headers=org_admin
        )
        if response.status_code != 422 or time.monotonic() > deadline:
            assert response.status_code == 201, response.text
            result: dict[str, Any] = response.json()
            return result
        time.sleep(0.2)


def filled(questions: list[dict[str, Any]], value: int) -> list[dict[str, Any]]:
    return [
        {
            "question_id": q["id"],
            "value": value if q["kind"] == "scale" else q["options"][0]["value"],
        }
        for q in questions
    ]


def test_a_daycare_round_through_the_gateway(gateway: httpx.Client, admin: dict[str, str]) -> None:
    org_admin = key_header(create_client(gateway, admin, roles=["org_admin"], scope=["k101"]))
    reporter = key_header(create_client(gateway, admin, roles=["reporter"], scope=["k101"]))
    first = daycare(gateway, org_admin, "Børnehuset Mælkebøtten")
    second = daycare(gateway, org_admin, "Vuggestuen Spiren")

    now = datetime.now(UTC)
    closes = now + timedelta(seconds=WINDOW_SECONDS)
    created = gateway.post(
        "/surveys/v1/rounds",
        json={
            "programme": "daycare",
            "year": 2090,
            "opens_at": (now - timedelta(minutes=1)).isoformat(),
            "closes_at": closes.isoformat(),
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.headers["location"].startswith("/surveys/v1/rounds/")
    round_id = created.json()["id"]

    tokens = enrol(gateway, org_admin, round_id, {"org_code": first, "invitations": 6})["tokens"]
    enrol(
        gateway,
        org_admin,
        round_id,
        {"org_code": second, "invitations": 0, "external_invitations": 8},
    )

    questionnaire = gateway.get(f"/surveys/v1/invitations/{tokens[0]}")
    assert questionnaire.status_code == 200, questionnaire.text
    questions = questionnaire.json()["questions"]
    for index, token in enumerate(tokens[:5]):
        answered = gateway.post(
            f"/surveys/v1/invitations/{token}/responses",
            json={"answers": filled(questions, 4 + index % 2)},
        )
        assert answered.status_code == 201, answered.text
    spent = gateway.post(
        f"/surveys/v1/invitations/{tokens[0]}/responses", json={"answers": filled(questions, 1)}
    )
    assert spent.status_code == 409
    batch = {
        "responses": [
            {"external_id": f"e2e-{i}", "org_code": second, "answers": filled(questions, 3)}
            for i in range(6)
        ]
    }
    imported = gateway.post(
        f"/surveys/v1/rounds/{round_id}/responses/batch", json=batch, headers=reporter
    )
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"created": 6, "unchanged": 0}
    again = gateway.post(
        f"/surveys/v1/rounds/{round_id}/responses/batch", json=batch, headers=reporter
    )
    assert again.json() == {"created": 0, "unchanged": 6}

    results = f"/surveys/v1/rounds/{round_id}/results"
    assert gateway.get(f"{results}/institutions/{first}").status_code == 404
    time.sleep(max(0.0, (closes - datetime.now(UTC)).total_seconds()) + 0.5)
    # Results open a minute after the close, once the last responses are counted (409 till).
    deadline = time.monotonic() + 90
    own = gateway.get(f"{results}/institutions/{first}", headers=org_admin)
    while own.status_code == 409 and time.monotonic() < deadline:
        time.sleep(1.0)
        own = gateway.get(f"{results}/institutions/{first}", headers=org_admin)
    assert own.status_code == 200, own.text
    assert gateway.get(f"{results}/institutions/{first}").status_code == 404

    published = gateway.post(f"/surveys/v1/rounds/{round_id}/publish", headers=admin)
    assert published.status_code == 200, published.text
    public = gateway.get(f"{results}/institutions/{first}")
    assert public.status_code == 200, public.text
    body = public.json()
    assert (body["org_code"], body["n_responses"], body["suppressed"]) == (first, 5, False)
    overall = next(q for q in body["questions"] if q["question_id"] == "dag-overall")
    assert (overall["n"], overall["mean"]) == (5, 4.4)
    assert overall["comparisons"]["municipality"]["significant"] is True
    listing = gateway.get(f"{results}/municipalities/k101/institutions")
    assert listing.status_code == 200
    assert listing.headers["cache-control"] == "public, max-age=300"
    assert {i["org_code"] for i in listing.json()["institutions"]} == {first, second}
    national = gateway.get(f"{results}/national")
    assert national.status_code == 200 and national.json()["n_responses"] == 11
