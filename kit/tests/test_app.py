"""The app factory's behaviour as a client sees it: problems, auth, pagination, idempotency,
ETags, the CPR guard, body limits, health and metrics."""

from __future__ import annotations

import httpx
import pytest

from leko_kit.testing import InternalKeys

pytestmark = pytest.mark.anyio


def reporter(keys: InternalKeys) -> dict[str, str]:
    return keys.headers(roles=["reporter"], scope=["k101"], client_id="payroll-1")


async def test_create_returns_201_with_location(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    response = await client.post(
        "/v1/notes", json={"ref": "emp-1", "text": "hej"}, headers=reporter(internal_keys)
    )
    assert response.status_code == 201
    assert response.headers["location"] == "/v1/notes/emp-1"
    assert response.headers["x-request-id"]


async def test_unknown_field_is_422_problem_and_stores_nothing(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    response = await client.post(
        "/v1/notes",
        json={"ref": "emp-1", "text": "hej", "extra": 1},
        headers=reporter(internal_keys),
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422 and body["request_id"] == response.headers["x-request-id"]
    assert {"loc": ["body", "extra"], "message": body["errors"][0]["message"]} in body["errors"]
    assert "unknown field" in body["errors"][0]["message"]
    assert (await client.get("/v1/notes")).json()["items"] == []


@pytest.mark.parametrize("ref", ["010190-1234", "0101901234", "emp 311299-0000", "290200 1234"])
async def test_cpr_number_is_refused(
    client: httpx.AsyncClient, internal_keys: InternalKeys, ref: str
) -> None:
    response = await client.post(
        "/v1/notes", json={"ref": ref, "text": "x"}, headers=reporter(internal_keys)
    )
    assert response.status_code == 422
    assert "pseudonymous reference" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("ref", ["emp-42", "3213999999", "a1b2c3d4e5", "991399-1234"])
async def test_non_cpr_references_pass(
    client: httpx.AsyncClient, internal_keys: InternalKeys, ref: str
) -> None:
    response = await client.post(
        "/v1/notes", json={"ref": ref, "text": "x"}, headers=reporter(internal_keys)
    )
    assert response.status_code == 201, response.text


async def test_missing_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/notes", json={"ref": "a", "text": "x"})
    assert response.status_code == 401
    assert response.json()["type"].endswith("/unauthorized")


async def test_forged_token_is_401(client: httpx.AsyncClient) -> None:
    other = InternalKeys(*__import__("leko_kit.auth", fromlist=["x"]).generate_keypair())
    response = await client.post(
        "/v1/notes", json={"ref": "a", "text": "x"}, headers=reporter(other)
    )
    assert response.status_code == 401
    assert "gateway" in response.json()["detail"]


async def test_expired_token_is_401(client: httpx.AsyncClient, internal_keys: InternalKeys) -> None:
    from leko_kit.auth import InternalTokenSigner, Principal

    signer = InternalTokenSigner(internal_keys.private_pem, lifetime_seconds=-60)
    token = signer.mint(Principal(client_id="c", roles=frozenset({"reporter"}), scope=("*",)))
    response = await client.get("/v1/notes", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


async def test_replayed_token_on_write_is_401(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    headers = reporter(internal_keys)
    assert (
        await client.post("/v1/notes", json={"ref": "a", "text": "x"}, headers=headers)
    ).status_code == 201
    replay = await client.post("/v1/notes", json={"ref": "b", "text": "x"}, headers=headers)
    assert replay.status_code == 401
    assert "replay" in replay.json()["detail"]
    assert [n["ref"] for n in (await client.get("/v1/notes")).json()["items"]] == ["a"]


async def test_wrong_role_is_403(client: httpx.AsyncClient, internal_keys: InternalKeys) -> None:
    headers = internal_keys.headers(roles=["analyst"], scope=["*"])
    response = await client.post("/v1/notes", json={"ref": "a", "text": "x"}, headers=headers)
    assert response.status_code == 403
    assert "reporter" in response.json()["detail"]


async def test_cursor_pagination_walks_all_items(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    for i in range(5):
        await client.post(
            "/v1/notes", json={"ref": f"n{i}", "text": "x"}, headers=reporter(internal_keys)
        )
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/notes", params=params)).json()
        seen += [n["ref"] for n in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["n0", "n1", "n2", "n3", "n4"]


@pytest.mark.parametrize(
    "params", [{"limit": 0}, {"limit": 501}, {"cursor": "%%%"}, {"cursor": "WzFd"}]
)
async def test_bad_pagination_is_422(client: httpx.AsyncClient, params: dict[str, object]) -> None:
    response = await client.get("/v1/notes", params=params)
    assert response.status_code == 422
    assert response.json()["errors"]


async def test_idempotent_replay_and_reuse(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    key = {"Idempotency-Key": "k-1"}
    first = await client.post(
        "/v1/notes", json={"ref": "a", "text": "x"}, headers=reporter(internal_keys) | key
    )
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    again = await client.post(
        "/v1/notes", json={"ref": "a", "text": "x"}, headers=reporter(internal_keys) | key
    )
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json() and again.headers["location"] == first.headers["location"]
    other = await client.post(
        "/v1/notes", json={"ref": "b", "text": "y"}, headers=reporter(internal_keys) | key
    )
    assert other.status_code == 422
    assert other.json()["type"].endswith("/idempotency-key-reused")
    assert [n["ref"] for n in (await client.get("/v1/notes")).json()["items"]] == ["a"]


async def test_secret_responses_are_never_stored_for_replay(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    key = {"Idempotency-Key": "k-secret"}
    for _ in range(2):
        response = await client.post("/v1/notes/a/secrets", headers=reporter(internal_keys) | key)
        assert response.status_code == 201 and "idempotent-replayed" not in response.headers
    note = await client.post(
        "/v1/notes", json={"ref": "a", "text": "x"}, headers=reporter(internal_keys) | key
    )
    assert note.status_code == 201 and "idempotent-replayed" not in note.headers


async def test_idempotency_keys_are_per_client(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    key = {"Idempotency-Key": "shared"}
    a = internal_keys.headers(roles=["reporter"], scope=["*"], client_id="a") | key
    b = internal_keys.headers(roles=["reporter"], scope=["*"], client_id="b") | key
    assert (
        await client.post("/v1/notes", json={"ref": "a", "text": "x"}, headers=a)
    ).status_code == 201
    second = await client.post("/v1/notes", json={"ref": "b", "text": "x"}, headers=b)
    assert second.status_code == 201 and "idempotent-replayed" not in second.headers


async def test_idempotency_keys_of_anonymous_callers_are_not_honoured(
    client: httpx.AsyncClient,
) -> None:
    # Without a client to scope them to, keys would be one namespace shared by everyone: one
    # caller could block another's key, and the store would keep what anonymous callers sent.
    key = {"Idempotency-Key": "1"}
    first = await client.post("/v1/notes/a/reactions", json={"reaction": "+1"}, headers=key)
    other = await client.post("/v1/notes/b/reactions", json={"reaction": "-1"}, headers=key)
    again = await client.post("/v1/notes/a/reactions", json={"reaction": "+1"}, headers=key)
    assert [r.status_code for r in (first, other, again)] == [201, 201, 201]
    assert other.json() == {"ref": "b", "reaction": "-1"}
    assert not any("idempotent-replayed" in r.headers for r in (first, other, again))


async def test_a_lean_route_answers_valid_json_and_leaves_the_rest_to_fastapi(
    client: httpx.AsyncClient,
) -> None:
    lean = await client.post("/v1/notes/a/votes", json={"choice": 4})
    assert lean.status_code == 201 and lean.headers["cache-control"] == "no-store"
    assert lean.json() == {"ref": "a", "choice": 4, "lean": True}
    # Not valid, another media type, or a path the lean handler does not accept: FastAPI's.
    invalid = await client.post("/v1/notes/a/votes", json={"choice": 9, "extra": 1})
    assert invalid.status_code == 422
    assert {tuple(e["loc"]) for e in invalid.json()["errors"]} == {
        ("body", "choice"),
        ("body", "extra"),
    }
    form = await client.post("/v1/notes/a/votes", data={"choice": "4"})
    assert form.status_code == 422 and form.headers["content-type"] == "application/problem+json"
    long_ref = await client.post("/v1/notes/abcdefghijk/votes", json={"choice": 4})
    assert long_ref.json() == {"ref": "abcdefghijk", "choice": 4, "lean": False}


async def test_stale_if_match_is_412(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    await client.post("/v1/notes", json={"ref": "a", "text": "x"}, headers=reporter(internal_keys))
    ok = await client.patch("/v1/notes/a", json={"text": "y"}, headers={"If-Match": '"v1"'})
    assert ok.status_code == 200 and ok.headers["etag"] == '"v2"'
    stale = await client.patch("/v1/notes/a", json={"text": "z"}, headers={"If-Match": '"v1"'})
    assert stale.status_code == 412
    assert stale.json()["current_etag"] == '"v2"'


async def test_oversized_body_is_413(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    response = await client.post(
        "/v1/notes", json={"ref": "a", "text": "x" * 5000}, headers=reporter(internal_keys)
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_oversized_streamed_body_is_413(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"x" * 500

    response = await client.post("/v1/notes", content=chunks(), headers=reporter(internal_keys))
    assert response.status_code == 413


async def test_unexpected_error_is_500_problem_without_internals(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/notes/boom")
    assert response.status_code == 500
    assert "postgres" not in response.text and "Traceback" not in response.text
    assert response.json()["request_id"] == response.headers["x-request-id"]


async def test_unknown_path_is_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/nothing", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 404
    assert response.json()["request_id"] == "abc-123" == response.headers["x-request-id"]


async def test_health_ready_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    await client.get("/v1/notes")
    metrics = (await client.get("/metrics")).text
    assert (
        'leko_http_requests_total{method="GET",route="/v1/notes",service="sample",status="200"}'
        in metrics
    )
