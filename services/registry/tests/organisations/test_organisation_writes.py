"""Creating and changing organisations: success, ETags, authorisation, bad input (each proving
nothing was stored), duplicates, cycles, idempotency."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from registry_factories import institution, national_admin, org_admin, role

from leko_kit.auth import generate_keypair
from leko_kit.testing import InternalKeys

pytestmark = pytest.mark.anyio


async def feed_head(client: httpx.AsyncClient) -> str | None:
    """The cursor after the newest change."""
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500} | ({"after": cursor} if cursor else {})
        page = (await client.get("/v1/organisations/changes", params=params)).json()
        if not page["items"]:
            return cursor
        cursor = page["next_cursor"]


async def changes_since(client: httpx.AsyncClient, cursor: str | None) -> list[dict[str, Any]]:
    params: dict[str, Any] = {"limit": 500} | ({"after": cursor} if cursor else {})
    items: list[dict[str, Any]] = (
        await client.get("/v1/organisations/changes", params=params)
    ).json()["items"]
    return items


async def create(client: httpx.AsyncClient, keys: InternalKeys, **fields: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/organisations", json=institution(**fields), headers=national_admin(keys)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_create_returns_201_location_etag_and_inherits_identifiers(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    body = institution(cvr="64942212", p_number="1003388394", valid_from="2024-08-01")
    response = await client.post("/v1/organisations", json=body, headers=org_admin(internal_keys))
    assert response.status_code == 201, response.text
    assert response.headers["location"] == "/v1/organisations/kbh-test-skole"
    assert response.headers["etag"] == '"v1"'
    created = response.json()
    assert created["municipality_code"] == "101" and created["region_code"] == "1084"
    assert created["valid_from"] == "2024-08-01" and created["valid_to"] is None
    stored = await client.get("/v1/organisations/kbh-test-skole")
    assert stored.json() == created and stored.headers["etag"] == '"v1"'
    children = (await client.get("/v1/organisations/k101/children")).json()["items"]
    assert [child["code"] for child in children] == ["kbh-test-skole"]


async def test_patch_changes_only_the_fields_sent(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    await create(client, internal_keys)
    response = await client.patch(
        "/v1/organisations/kbh-test-skole",
        json={"name": "Nørrebro Park Skole", "p_number": "1003388394"},
        headers=org_admin(internal_keys),
    )
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"v2"'
    body = response.json()
    assert body["name"] == "Nørrebro Park Skole" and body["p_number"] == "1003388394"
    assert body["institution_type"] == "school" and body["parent_code"] == "k101"
    found = (await client.get("/v1/organisations", params={"q": "NØRREBRO PARK"})).json()
    assert [item["code"] for item in found["items"]] == ["kbh-test-skole"]


async def test_if_match_stale_is_412_and_changes_nothing(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    await create(client, internal_keys)
    first = await client.patch(
        "/v1/organisations/kbh-test-skole",
        json={"name": "Første navn"},
        headers=national_admin(internal_keys) | {"If-Match": '"v1"'},
    )
    assert first.status_code == 200 and first.headers["etag"] == '"v2"'
    stale = await client.patch(
        "/v1/organisations/kbh-test-skole",
        json={"name": "Andet navn"},
        headers=national_admin(internal_keys) | {"If-Match": '"v1"'},
    )
    assert stale.status_code == 412
    assert stale.json()["current_etag"] == '"v2"'
    stored = await client.get("/v1/organisations/kbh-test-skole")
    assert stored.json()["name"] == "Første navn" and stored.headers["etag"] == '"v2"'


async def test_patch_without_a_change_keeps_the_version_and_the_feed(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    await create(client, internal_keys)
    head = await feed_head(client)
    response = await client.patch(
        "/v1/organisations/kbh-test-skole",
        json={"name": "Testskolen på Nørrebro"},
        headers=national_admin(internal_keys),
    )
    assert response.status_code == 200 and response.headers["etag"] == '"v1"'
    assert await changes_since(client, head) == []


async def test_patch_unknown_code_is_404(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    response = await client.patch(
        "/v1/organisations/nowhere", json={"name": "x"}, headers=national_admin(internal_keys)
    )
    assert response.status_code == 404


# --- authorisation -------------------------------------------------------------------------

CALLERS = {
    "national_admin": lambda keys: national_admin(keys),
    "org_admin_in_scope": lambda keys: org_admin(keys, "k101"),
    "org_admin_region_scope": lambda keys: org_admin(keys, "r1084"),
    "org_admin_out_of_scope": lambda keys: org_admin(keys, "k751"),
    "reporter": lambda keys: role(keys, "reporter", "k101"),
    "leader": lambda keys: role(keys, "leader", "k101"),
    "analyst": lambda keys: role(keys, "analyst", "*"),
    "researcher": lambda keys: role(keys, "researcher", "*"),
    "no_token": lambda keys: {},
}
EXPECTED = {
    "national_admin": 201,
    "org_admin_in_scope": 201,
    "org_admin_region_scope": 201,
    "org_admin_out_of_scope": 403,
    "reporter": 403,
    "leader": 403,
    "analyst": 403,
    "researcher": 403,
    "no_token": 401,
}


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_create_authorisation_matrix(
    client: httpx.AsyncClient, internal_keys: InternalKeys, caller: str
) -> None:
    head = await feed_head(client)
    response = await client.post(
        "/v1/organisations", json=institution(), headers=CALLERS[caller](internal_keys)
    )
    assert response.status_code == EXPECTED[caller], response.text
    stored = await client.get("/v1/organisations/kbh-test-skole")
    if EXPECTED[caller] == 201:
        assert stored.status_code == 200
        assert len(await changes_since(client, head)) == 1
    else:
        assert response.headers["content-type"] == "application/problem+json"
        assert stored.status_code == 404
        assert await changes_since(client, head) == []


@pytest.mark.parametrize("caller", list(CALLERS))
async def test_patch_authorisation_matrix(
    client: httpx.AsyncClient, internal_keys: InternalKeys, caller: str
) -> None:
    await create(client, internal_keys)
    response = await client.patch(
        "/v1/organisations/kbh-test-skole",
        json={"name": "Nyt navn"},
        headers=CALLERS[caller](internal_keys),
    )
    allowed = EXPECTED[caller] == 201
    assert response.status_code == (200 if allowed else EXPECTED[caller]), response.text
    stored = (await client.get("/v1/organisations/kbh-test-skole")).json()
    assert stored["name"] == ("Nyt navn" if allowed else "Testskolen på Nørrebro")


@pytest.mark.parametrize(
    "body",
    [
        {
            "code": "k999",
            "name": "Ny Kommune",
            "sector": "municipality",
            "kind": "municipality",
            "parent_code": "r1084",
        },
        {
            "code": "ny-styrelse",
            "name": "Ny Styrelse",
            "sector": "state",
            "kind": "agency",
            "parent_code": "fm",
        },
    ],
)
async def test_org_admin_may_not_create_reference_organisations(
    client: httpx.AsyncClient, internal_keys: InternalKeys, body: dict[str, Any]
) -> None:
    response = await client.post(
        "/v1/organisations", json=body, headers=org_admin(internal_keys, "*")
    )
    assert response.status_code == 403
    assert "institutions and administrations" in response.json()["detail"]
    assert (await client.get(f"/v1/organisations/{body['code']}")).status_code == 404


async def test_org_admin_may_create_an_administration_but_not_a_root(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    body = institution(code="kbh-bof", kind="administration", institution_type=None)
    ok = await client.post("/v1/organisations", json=body, headers=org_admin(internal_keys))
    assert ok.status_code == 201, ok.text
    root = body | {"code": "kbh-rod", "parent_code": None}
    refused = await client.post("/v1/organisations", json=root, headers=org_admin(internal_keys))
    assert refused.status_code == 403
    assert (await client.get("/v1/organisations/kbh-rod")).status_code == 404


async def test_org_admin_may_not_change_its_own_scope_root(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    response = await client.patch(
        "/v1/organisations/k101", json={"name": "København"}, headers=org_admin(internal_keys)
    )
    assert response.status_code == 403
    assert (await client.get("/v1/organisations/k101")).json()["name"] == "Københavns Kommune"


async def test_org_admin_moves_within_its_scope_but_not_out_of_it(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    await create(client, internal_keys)
    await create(
        client, internal_keys, code="kbh-bof", kind="administration", institution_type=None
    )
    inside = await client.patch(
        "/v1/organisations/kbh-test-skole",
        json={"parent_code": "kbh-bof"},
        headers=org_admin(internal_keys),
    )
    assert inside.status_code == 200, inside.text
    outside = await client.patch(
        "/v1/organisations/kbh-test-skole",
        json={"parent_code": "k751", "municipality_code": "751"},
        headers=org_admin(internal_keys),
    )
    assert outside.status_code == 403
    assert "outside your scope" in outside.json()["detail"]
    stored = (await client.get("/v1/organisations/kbh-test-skole")).json()
    assert stored["parent_code"] == "kbh-bof" and stored["municipality_code"] == "101"


async def test_org_admin_may_not_turn_an_institution_into_a_municipality(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    await create(client, internal_keys)
    response = await client.patch(
        "/v1/organisations/kbh-test-skole",
        json={"kind": "municipality", "institution_type": None},
        headers=org_admin(internal_keys),
    )
    assert response.status_code == 403
    assert (await client.get("/v1/organisations/kbh-test-skole")).json()["kind"] == "institution"


async def test_national_admin_moves_an_institution_and_its_identifiers_follow(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    await create(client, internal_keys)
    response = await client.patch(
        "/v1/organisations/kbh-test-skole",
        json={"parent_code": "k751"},
        headers=national_admin(internal_keys),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["parent_code"], body["municipality_code"], body["region_code"]) == (
        "k751",
        "751",
        "1082",
    )


async def test_writes_with_a_forged_token_are_401(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    forger = InternalKeys(*generate_keypair())
    await create(client, internal_keys)
    post = await client.post(
        "/v1/organisations", json=institution(code="forged"), headers=national_admin(forger)
    )
    patch = await client.patch(
        "/v1/organisations/kbh-test-skole", json={"name": "x"}, headers=national_admin(forger)
    )
    assert post.status_code == patch.status_code == 401
    assert (await client.get("/v1/organisations/forged")).status_code == 404
    assert (await client.get("/v1/organisations/kbh-test-skole")).json()["name"] != "x"


async def test_patch_without_a_token_is_401(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    await create(client, internal_keys)
    response = await client.patch("/v1/organisations/kbh-test-skole", json={"name": "x"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


# --- bad input -----------------------------------------------------------------------------

BAD_CREATES: list[tuple[str, dict[str, Any], str]] = [
    ("unknown field", {"colour": "blue"}, "colour"),
    ("name not a string", {"name": 123}, "name"),
    ("empty name", {"name": ""}, "name"),
    ("unknown sector", {"sector": "county"}, "sector"),
    ("unknown kind", {"kind": "company"}, "kind"),
    ("code upper case", {"code": "KBH-Skole"}, "code"),
    ("code too short", {"code": "k"}, "code"),
    ("code starting with dash", {"code": "-skole"}, "code"),
    ("code with space", {"code": "kbh skole"}, "code"),
    ("code reserved", {"code": "changes"}, "code"),
    ("code not a string", {"code": 101}, "code"),
    ("CVR fails modulus 11", {"cvr": "64942213"}, "cvr"),
    ("CVR too short", {"cvr": "6494221"}, "cvr"),
    ("CVR with letters", {"cvr": "6494221x"}, "cvr"),
    ("CVR as a number", {"cvr": 64942212}, "cvr"),
    ("municipality code of 4 digits", {"municipality_code": "1010"}, "municipality_code"),
    ("municipality code with letters", {"municipality_code": "1a1"}, "municipality_code"),
    ("region code of 3 digits", {"region_code": "108"}, "region_code"),
    ("P-number of 9 digits", {"p_number": "100338839"}, "p_number"),
    ("P-number with letters", {"p_number": "10033883AB"}, "p_number"),
    (
        "valid_to before valid_from",
        {"valid_from": "2025-01-01", "valid_to": "2024-12-31"},
        "valid_to",
    ),
    ("not a date", {"valid_from": "1. august 2024"}, "valid_from"),
    ("institution without type", {"institution_type": None}, "institution_type"),
    ("unknown institution type", {"institution_type": "university"}, "institution_type"),
    ("type on an administration", {"kind": "administration"}, "institution_type"),
    (
        "municipality in the state sector",
        {"kind": "municipality", "sector": "state", "institution_type": None},
        "kind",
    ),
    ("unknown parent", {"parent_code": "k999"}, "parent_code"),
    ("sector other than the parent's", {"sector": "state"}, "sector"),
    ("municipality code not the parent's", {"municipality_code": "751"}, "municipality_code"),
    ("region code not the parent's", {"region_code": "1082"}, "region_code"),
]


@pytest.mark.parametrize(
    ("fields", "field"),
    [pytest.param(fields, field, id=name) for name, fields, field in BAD_CREATES],
)
async def test_bad_create_is_422_naming_the_field_and_stores_nothing(
    client: httpx.AsyncClient, internal_keys: InternalKeys, fields: dict[str, Any], field: str
) -> None:
    head = await feed_head(client)
    body = institution(**fields)
    code = body["code"] if isinstance(body["code"], str) else "101"
    response = await client.post(
        "/v1/organisations", json=body, headers=national_admin(internal_keys)
    )
    assert response.status_code == 422, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [error["loc"][-1] for error in problem["errors"]], problem
    assert all(error["message"] for error in problem["errors"])
    if code != "changes":
        assert (await client.get(f"/v1/organisations/{code}")).status_code == 404
    assert await changes_since(client, head) == []


async def test_messages_explain_the_fix(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    response = await client.post(
        "/v1/organisations",
        json=institution(cvr="64942213", colour="blue", parent_code="k101"),
        headers=national_admin(internal_keys),
    )
    messages = {error["loc"][-1]: error["message"] for error in response.json()["errors"]}
    assert "modulus-11" in messages["cvr"]
    assert "remove it" in messages["colour"]
    unknown_parent = await client.post(
        "/v1/organisations",
        json=institution(parent_code="k999"),
        headers=national_admin(internal_keys),
    )
    assert "k999" in unknown_parent.json()["errors"][0]["message"]


async def test_duplicate_code_is_409_and_leaves_the_original(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    head = await feed_head(client)
    response = await client.post(
        "/v1/organisations",
        json=institution(code="k101", name="Falsk"),
        headers=national_admin(internal_keys),
    )
    assert response.status_code == 409
    assert "PATCH" in response.json()["detail"]
    assert (await client.get("/v1/organisations/k101")).json()["name"] == "Københavns Kommune"
    assert await changes_since(client, head) == []


BAD_PATCHES: list[tuple[str, dict[str, Any], str]] = [
    ("code is immutable", {"code": "kbh-nyt"}, "code"),
    ("unknown field", {"colour": "blue"}, "colour"),
    ("null name", {"name": None}, "name"),
    ("null kind", {"kind": None}, "kind"),
    ("bad CVR", {"cvr": "12345678"}, "cvr"),
    ("bad P-number", {"p_number": "12"}, "p_number"),
    ("valid_to before the stored valid_from", {"valid_to": "2020-01-01"}, "valid_to"),
    ("institution loses its type", {"institution_type": None}, "institution_type"),
    ("administration keeps a type", {"kind": "administration"}, "institution_type"),
    ("unknown parent", {"parent_code": "k999"}, "parent_code"),
    ("own parent", {"parent_code": "kbh-test-skole"}, "parent_code"),
    ("municipality code not the parent's", {"municipality_code": "751"}, "municipality_code"),
]


@pytest.mark.parametrize(
    ("fields", "field"),
    [pytest.param(fields, field, id=name) for name, fields, field in BAD_PATCHES],
)
async def test_bad_patch_is_422_naming_the_field_and_changes_nothing(
    client: httpx.AsyncClient, internal_keys: InternalKeys, fields: dict[str, Any], field: str
) -> None:
    before = await create(client, internal_keys, valid_from="2024-08-01")
    head = await feed_head(client)
    response = await client.patch(
        "/v1/organisations/kbh-test-skole", json=fields, headers=national_admin(internal_keys)
    )
    assert response.status_code == 422, response.text
    assert field in [error["loc"][-1] for error in response.json()["errors"]]
    stored = await client.get("/v1/organisations/kbh-test-skole")
    assert stored.json() == before and stored.headers["etag"] == '"v1"'
    assert await changes_since(client, head) == []


async def test_moving_below_a_descendant_is_refused_as_a_cycle(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    await create(
        client, internal_keys, code="kbh-omraade", kind="administration", institution_type=None
    )
    await create(
        client,
        internal_keys,
        code="kbh-afdeling",
        kind="administration",
        institution_type=None,
        parent_code="kbh-omraade",
    )
    await create(
        client,
        internal_keys,
        code="kbh-enhed",
        kind="administration",
        institution_type=None,
        parent_code="kbh-afdeling",
    )
    response = await client.patch(
        "/v1/organisations/kbh-omraade",
        json={"parent_code": "kbh-enhed"},
        headers=national_admin(internal_keys),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "parent_code"]
    assert "cycle" in response.json()["errors"][0]["message"]
    assert (await client.get("/v1/organisations/kbh-omraade")).json()["parent_code"] == "k101"


# --- idempotency ---------------------------------------------------------------------------


async def test_idempotency_key_replays_and_refuses_another_body(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    head = await feed_head(client)
    key = {"Idempotency-Key": "kbh-skole-2025-01"}
    first = await client.post(
        "/v1/organisations", json=institution(), headers=national_admin(internal_keys) | key
    )
    assert first.status_code == 201
    replay = await client.post(
        "/v1/organisations", json=institution(), headers=national_admin(internal_keys) | key
    )
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == first.json()
    assert replay.headers["location"] == first.headers["location"]
    assert replay.headers["etag"] == first.headers["etag"]
    other = await client.post(
        "/v1/organisations",
        json=institution(code="kbh-anden-skole"),
        headers=national_admin(internal_keys) | key,
    )
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")
    assert (await client.get("/v1/organisations/kbh-anden-skole")).status_code == 404
    assert [c["op"] for c in await changes_since(client, head)] == ["created"]
