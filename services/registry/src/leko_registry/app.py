"""The registry's FastAPI application (`create_app` is uvicorn's factory)."""

from __future__ import annotations

from fastapi import FastAPI

from leko_kit.app import create_service_app
from leko_registry.organisations.routes import router as organisations_router
from leko_registry.settings import RegistrySettings

DESCRIPTION = """\
The register of the Danish public sector's organisations for LEKO: the state (staten) with its
ministries and agencies, the 5 regions, the 98 municipalities (kommuner) and the institutions
they create. Reads are public; writes go through the LEKO gateway with an API key or OIDC token.
Other services replicate organisations from the change feed.
"""

TAGS = [
    {
        "name": "organisations",
        "description": "Organisations (myndigheder og institutioner), their hierarchy and the "
        "change feed.",
    },
    {"name": "health", "description": "Liveness, readiness and metrics."},
]


def create_app(settings: RegistrySettings | None = None) -> FastAPI:
    return create_service_app(
        settings=settings or RegistrySettings(),
        title="LEKO registry",
        description=DESCRIPTION,
        routers=[organisations_router],
        openapi_tags=TAGS,
    )
