"""Surveys settings: `SURVEYS_*` variables plus the `LEKO_*` ones every service shares."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leko_kit.settings import ReplicaSettings, shared


class SurveysSettings(ReplicaSettings):
    """`SURVEYS_DATABASE_URL`, `SURVEYS_MAX_BODY_BYTES`; the port is `LEKO_SURVEYS_PORT`."""

    model_config = SettingsConfigDict(env_prefix="SURVEYS_")

    service_name: str = "surveys"
    port: int = Field(8003, validation_alias=shared("LEKO_SURVEYS_PORT"))
    # A vendor's batch of 2,000 responses of 40 answers is about 1.5 MB.
    max_body_bytes: int = 4 * 1024 * 1024
