"""Evaluation settings: `EVALUATION_*` variables plus the `LEKO_*` ones every service shares."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leko_kit.settings import ReplicaSettings, shared


class EvaluationSettings(ReplicaSettings):
    """`EVALUATION_DATABASE_URL`, `EVALUATION_MAX_BODY_BYTES`,
    `EVALUATION_NATIONAL_COUNT_SECONDS`; the port is `LEKO_EVALUATION_PORT`."""

    model_config = SettingsConfigDict(env_prefix="EVALUATION_")

    service_name: str = "evaluation"
    port: int = Field(8002, validation_alias=shared("LEKO_EVALUATION_PORT"))
    # How often rounds closed by their time are counted into the national totals.
    national_count_seconds: float = Field(5.0, gt=0)
