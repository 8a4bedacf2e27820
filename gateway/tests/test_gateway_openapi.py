"""The merged contract: services' paths under their prefix, prefixed components, the gateway's
own paths and security schemes, and a service that is down left out with a note."""

from __future__ import annotations

import pytest
from gateway_support import FakeService, SettingsFactory, client_for, free_port, running

pytestmark = pytest.mark.anyio


async def test_merged_openapi(settings_for: SettingsFactory, fake_service: FakeService) -> None:
    settings = settings_for(
        services=["registry", "surveys"],
        upstreams={"registry": fake_service.url, "surveys": f"http://127.0.0.1:{free_port()}"},
    )
    async with running(settings) as app, client_for(app) as http:
        response = await http.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    paths = document["paths"]
    assert "/registry/v1/things" in paths
    assert "/v1/things" not in paths and "/registry/healthz" not in paths
    operation = paths["/registry/v1/things"]["post"]
    assert operation["operationId"] == "registry_create_thing"
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/registry_Thing"
    }
    schemas = document["components"]["schemas"]
    assert schemas["registry_Thing"]["properties"]["part"] == {
        "$ref": "#/components/schemas/registry_Part"
    }
    assert "Thing" not in schemas
    for path in (
        "/gateway/v1/clients",
        "/gateway/v1/clients/{client_id}/keys",
        "/gateway/v1/whoami",
    ):
        assert path in paths
    create = paths["/gateway/v1/clients"]["post"]
    assert create["summary"] and create["description"]
    body_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schemas[body_ref.rsplit("/", 1)[1]]["examples"]
    assert set(document["components"]["securitySchemes"]) == {"ApiKey", "Bearer"}
    assert "surveys" in document["info"]["description"]  # down, so named as left out
    assert not any(p.startswith("/surveys/") for p in paths)
