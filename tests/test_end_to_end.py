"""The README's five-minute tour, and the failure modes around it, against real processes:
the registry and the gateway started as `make run` starts them, spoken to over HTTP."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest
from gateway_clients import create_client

from leko_cli.platform import Platform

pytestmark = pytest.mark.e2e


def test_readme_tour(gateway: httpx.Client, admin: dict[str, str]) -> None:
    # 1. Anyone reads an organisation, no credentials needed.
    k101 = gateway.get("/registry/v1/organisations/k101")
    assert k101.status_code == 200
    assert k101.json()["name"] == "Københavns Kommune"
    assert k101.json()["parent_code"] == "r1084"
    assert k101.headers["x-request-id"]

    # 2. The national admin creates a client scoped to Copenhagen, and a key for it.
    key = create_client(gateway, admin, roles=["org_admin"], scope=["k101"])
    whoami = gateway.get("/gateway/v1/whoami", headers={"Authorization": f"Bearer {key}"})
    assert whoami.status_code == 200
    assert whoami.json()["scope"] == ["k101"]

    # 3. With that key, the municipality registers one of its schools.
    code = f"kbh-e2e-{uuid.uuid4().hex[:6]}"
    school = {
        "code": code,
        "name": "Nørrebro Park Skole",
        "sector": "municipality",
        "kind": "institution",
        "parent_code": "k101",
        "institution_type": "school",
        "municipality_code": "101",
    }
    created = gateway.post("/registry/v1/organisations", json=school, headers={"X-API-Key": key})
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/registry/v1/organisations/{code}"

    # ... but not one in Aarhus, outside its scope.
    foreign = school | {"code": f"{code}-x", "parent_code": "k751", "municipality_code": "751"}
    refused = gateway.post("/registry/v1/organisations", json=foreign, headers={"X-API-Key": key})
    assert refused.status_code == 403
    assert gateway.get(f"/registry/v1/organisations/{code}-x").status_code == 404

    # 4. The new school is on the change feed that other services replicate.
    feed, cursor = [], None
    while True:
        params = {"limit": 500} | ({"after": cursor} if cursor else {})
        page = gateway.get("/registry/v1/organisations/changes", params=params).json()
        feed += page["items"]
        if not page["items"] or page["next_cursor"] in (None, cursor):
            break
        cursor = page["next_cursor"]
    mine = [item for item in feed if item["organisation"]["code"] == code]
    assert [item["op"] for item in mine] == ["created"]
    assert mine[0]["seq"] == max(item["seq"] for item in feed)


def test_bad_credentials_are_401(gateway: httpx.Client) -> None:
    for headers in (
        {"X-API-Key": "leko_nokey_nosecret"},
        {"Authorization": "Bearer not-a-key-or-token"},
    ):
        response = gateway.get("/gateway/v1/whoami", headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"


def test_revoked_key_stops_working(gateway: httpx.Client, admin: dict[str, str]) -> None:
    created = gateway.post(
        "/gateway/v1/clients",
        json={"name": "revoke-me", "roles": ["analyst"], "scope": ["*"]},
        headers=admin,
    ).json()
    key = gateway.post(
        f"/gateway/v1/clients/{created['client_id']}/keys", json={}, headers=admin
    ).json()
    assert gateway.get("/gateway/v1/whoami", headers={"X-API-Key": key["api_key"]}).is_success
    revoked = gateway.delete(
        f"/gateway/v1/clients/{created['client_id']}/keys/{key['key_id']}", headers=admin
    )
    assert revoked.status_code == 204
    again = gateway.get("/gateway/v1/whoami", headers={"X-API-Key": key["api_key"]})
    assert again.status_code == 401


def test_registry_refuses_writes_that_bypass_the_gateway(platform: Platform) -> None:
    body = {
        "code": "bypass-1",
        "name": "x",
        "sector": "municipality",
        "kind": "institution",
        "parent_code": "k101",
        "institution_type": "school",
    }
    direct = httpx.post(f"{platform.url('registry')}/v1/organisations", json=body)
    assert direct.status_code == 401
    with_api_key = httpx.post(
        f"{platform.url('registry')}/v1/organisations",
        json=body,
        headers={"Authorization": f"Bearer {platform.secrets.admin_key}"},
    )
    assert with_api_key.status_code == 401
    assert httpx.get(f"{platform.url('registry')}/v1/organisations/bypass-1").status_code == 404


def test_merged_openapi_names_every_service(gateway: httpx.Client) -> None:
    spec = gateway.get("/openapi.json").json()
    assert "/registry/v1/organisations/{code}" in spec["paths"]
    assert "/gateway/v1/clients" in spec["paths"]
    assert gateway.get("/docs").status_code == 200


def test_readiness_and_metrics(gateway: httpx.Client) -> None:
    assert gateway.get("/readyz").status_code == 200
    gateway.get("/registry/v1/organisations/k101")
    assert "leko_http_requests_total" in gateway.get("/metrics").text


def test_service_down_gives_503_and_the_gateway_keeps_serving(
    platform: Platform, gateway: httpx.Client, admin: dict[str, str]
) -> None:
    """Runs last in this module: it stops the registry and starts it again."""
    registry = platform.processes["registry"]
    registry.terminate()
    registry.wait(10)
    try:
        started = time.monotonic()
        down = gateway.get("/registry/v1/organisations/k101")
        assert down.status_code == 503
        assert time.monotonic() - started < 5
        assert down.json()["upstream"] == "registry"
        assert "registry" in down.json()["detail"]
        assert gateway.get("/gateway/v1/whoami", headers=admin).status_code == 200
    finally:
        platform.restart("registry")
    assert gateway.get("/registry/v1/organisations/k101").status_code in (200, 503)
