"""Registry settings: `REGISTRY_*` variables plus the `LEKO_*` ones every service shares."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leko_kit.settings import InternalAuthSettings, shared


class RegistrySettings(InternalAuthSettings):
    """`REGISTRY_DATABASE_URL`, `REGISTRY_MAX_BODY_BYTES`; the port is `LEKO_REGISTRY_PORT`."""

    model_config = SettingsConfigDict(env_prefix="REGISTRY_")

    service_name: str = "registry"
    port: int = Field(8001, validation_alias=shared("LEKO_REGISTRY_PORT"))
