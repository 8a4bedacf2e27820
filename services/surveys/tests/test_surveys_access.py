"""The role and scope matrix: every endpoint that needs credentials (or hides unpublished
results), called by each role inside and outside the scope of the organisation it concerns
(kbh-dag-1 in k101), and without credentials."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from surveys_factories import (
    AFTER,
    DURING,
    Clock,
    create_round,
    enrol,
    record,
    role,
    round_body,
)

from leko_kit.testing import InternalKeys

pytestmark = pytest.mark.anyio

CALLERS: dict[str, tuple[str, str] | None] = {
    "national_admin": ("national_admin", "*"),
    "org_admin_in": ("org_admin", "k101"),
    "org_admin_out": ("org_admin", "k147"),
    "reporter_in": ("reporter", "k101"),
    "reporter_out": ("reporter", "k147"),
    "leader_in": ("leader", "k101"),
    "analyst": ("analyst", "*"),
    "researcher": ("researcher", "*"),
    "anonymous": None,
}


@dataclass
class Scene:
    client: httpx.AsyncClient
    keys: InternalKeys
    clock: Clock
    round_id: int
    local_id: str


Call = Callable[[Scene, dict[str, str]], Awaitable[httpx.Response]]


async def create(scene: Scene, headers: dict[str, str]) -> httpx.Response:
    return await scene.client.post("/v1/rounds", json=round_body(year=2027), headers=headers)


async def enrol_other(scene: Scene, headers: dict[str, str]) -> httpx.Response:
    return await scene.client.post(
        f"/v1/rounds/{scene.round_id}/participants",
        json={"org_code": "kbh-dag-2", "invitations": 1},
        headers=headers,
    )


async def list_participants(scene: Scene, headers: dict[str, str]) -> httpx.Response:
    return await scene.client.get(f"/v1/rounds/{scene.round_id}/participants", headers=headers)


async def add_local(scene: Scene, headers: dict[str, str]) -> httpx.Response:
    return await scene.client.post(
        f"/v1/rounds/{scene.round_id}/local-questions",
        json={"owner_code": "kbh-dag-1", "text_da": "Hvor tilfreds er du med haven?"},
        headers=headers,
    )


async def list_local(scene: Scene, headers: dict[str, str]) -> httpx.Response:
    return await scene.client.get(f"/v1/rounds/{scene.round_id}/local-questions", headers=headers)


async def publish_local(scene: Scene, headers: dict[str, str]) -> httpx.Response:
    return await scene.client.post(
        f"/v1/rounds/{scene.round_id}/local-questions/{scene.local_id}/publish", headers=headers
    )


async def batch(scene: Scene, headers: dict[str, str]) -> httpx.Response:
    scene.clock.now = DURING
    row = record("m-1", "kbh-dag-1")
    row["answers"].append({"question_id": scene.local_id, "value": None})
    return await scene.client.post(
        f"/v1/rounds/{scene.round_id}/responses/batch",
        json={"responses": [row]},
        headers=headers,
    )


async def publish(scene: Scene, headers: dict[str, str]) -> httpx.Response:
    scene.clock.now = AFTER
    return await scene.client.post(f"/v1/rounds/{scene.round_id}/publish", headers=headers)


async def institution(scene: Scene, headers: dict[str, str]) -> httpx.Response:
    scene.clock.now = AFTER
    url = f"/v1/rounds/{scene.round_id}/results/institutions/kbh-dag-1"
    return await scene.client.get(url, headers=headers)


async def municipality(scene: Scene, headers: dict[str, str]) -> httpx.Response:
    scene.clock.now = AFTER
    url = f"/v1/rounds/{scene.round_id}/results/municipalities/k101"
    return await scene.client.get(url, headers=headers)


async def national(scene: Scene, headers: dict[str, str]) -> httpx.Response:
    scene.clock.now = AFTER
    return await scene.client.get(f"/v1/rounds/{scene.round_id}/results/national", headers=headers)


def only(allowed: dict[str, int], *, others: int = 403, anonymous: int = 401) -> dict[str, int]:
    return {
        name: allowed.get(name, anonymous if name == "anonymous" else others) for name in CALLERS
    }


READERS_BEFORE_PUBLICATION = {
    "national_admin": 200,
    "org_admin_in": 200,
    "leader_in": 200,
    "analyst": 200,
}

MATRIX: dict[str, tuple[Call, dict[str, int]]] = {
    "create round": (create, only({"national_admin": 201})),
    "publish round": (publish, only({"national_admin": 200})),
    "enrol": (enrol_other, only({"org_admin_in": 201, "org_admin_out": 403})),
    "list participants": (
        list_participants,
        only({"national_admin": 200, "org_admin_in": 200, "org_admin_out": 200}),
    ),
    "add local question": (add_local, only({"org_admin_in": 201})),
    "list local questions": (
        list_local,
        only({"national_admin": 200, "org_admin_in": 200, "org_admin_out": 200}),
    ),
    "publish local question": (publish_local, only({"org_admin_in": 200, "org_admin_out": 404})),
    "import batch": (batch, only({"reporter_in": 200})),
    "institution results": (
        institution,
        only(READERS_BEFORE_PUBLICATION, others=404, anonymous=404),
    ),
    "municipality results": (
        municipality,
        only(READERS_BEFORE_PUBLICATION, others=404, anonymous=404),
    ),
    "national results": (
        national,
        only({"national_admin": 200, "analyst": 200}, others=404, anonymous=404),
    ),
}


@pytest.mark.parametrize("caller", list(CALLERS))
@pytest.mark.parametrize("endpoint", list(MATRIX))
async def test_role_and_scope_matrix(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    clock: Clock,
    endpoint: str,
    caller: str,
) -> None:
    round_id = (await create_round(client, internal_keys))["id"]
    await enrol(client, internal_keys, round_id, "kbh-dag-1", 1)
    local = await client.post(
        f"/v1/rounds/{round_id}/local-questions",
        json={"owner_code": "k101", "text_da": "Hvor tilfreds er du med udflugterne?"},
        headers=role(internal_keys, "org_admin", "k101"),
    )
    scene = Scene(client, internal_keys, clock, round_id, local.json()["id"])
    call, expected = MATRIX[endpoint]
    who = CALLERS[caller]
    headers = role(internal_keys, *who) if who else {}
    response = await call(scene, headers)
    assert response.status_code == expected[caller], response.text
