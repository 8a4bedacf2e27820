"""Settings shared by every LEKO process; each service subclasses with its own env prefix.

Variables that all processes share (`LEKO_ENVIRONMENT`, `LEKO_DATA_DIR`, the internal-token
public key, ...) keep their `LEKO_` name whatever the service prefix is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]


def shared(name: str) -> AliasChoices:
    """Alias for a setting read from one `LEKO_*` variable regardless of the service prefix."""
    return AliasChoices(name)


class ServiceSettings(BaseSettings):
    """Base settings: subclasses set `service_name` and `model_config` with their env prefix."""

    model_config = SettingsConfigDict(extra="ignore", validate_by_name=True, validate_by_alias=True)

    service_name: str = "service"
    environment: Environment = Field("development", validation_alias=shared("LEKO_ENVIRONMENT"))
    data_dir: Path = Field(Path(".data"), validation_alias=shared("LEKO_DATA_DIR"))
    database_url: str = ""
    host: str = Field("127.0.0.1", validation_alias=shared("LEKO_HOST"))
    port: int = 8000
    # Server processes sharing the port. Each has its own event loop, connection pool and
    # background tasks (which tolerate one another, as replicas do).
    workers: int = Field(1, ge=1, le=64)
    log_level: str = Field("info", validation_alias=shared("LEKO_LOG_LEVEL"))
    log_json: bool | None = Field(None, validation_alias=shared("LEKO_LOG_JSON"))
    max_body_bytes: int = 1_048_576
    # Freeze the heap left by startup out of garbage collection, and collect the young
    # generation less often (`leko_kit.heap`). The test suite turns it off: its one process
    # builds and drops hundreds of apps and engines, whose cycles must still be collected.
    gc_freeze: bool = Field(True, validation_alias=shared("LEKO_GC_FREEZE"))

    @model_validator(mode="after")
    def _default_database(self) -> ServiceSettings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / (self.service_name + '.db')}"
        return self


class InternalAuthSettings(ServiceSettings):
    """Settings of a service behind the gateway: it verifies the gateway's internal tokens."""

    internal_token_public_key: str = Field(
        "", validation_alias=shared("LEKO_INTERNAL_TOKEN_PUBLIC_KEY")
    )

    @model_validator(mode="after")
    def _require_public_key(self) -> InternalAuthSettings:
        if not self.internal_token_public_key.strip():
            raise ValueError(
                "LEKO_INTERNAL_TOKEN_PUBLIC_KEY is not set: give the gateway's Ed25519 public key "
                "(PEM) so this service can verify internal tokens; `make run` generates a "
                "development pair in the data directory"
            )
        return self


class ReplicaSettings(InternalAuthSettings):
    """Settings of a service that keeps a replica of the registry's organisations."""

    registry_url: str = Field("http://127.0.0.1:8001", validation_alias=shared("LEKO_REGISTRY_URL"))
    replica_poll_seconds: float = Field(5.0, validation_alias=shared("LEKO_REPLICA_POLL_SECONDS"))
