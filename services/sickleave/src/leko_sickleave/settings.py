"""Sick-leave settings: `SICKLEAVE_*` variables plus the `LEKO_*` ones every service shares."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from leko_kit.settings import ReplicaSettings, shared


class SickleaveSettings(ReplicaSettings):
    """`SICKLEAVE_DATABASE_URL`, `SICKLEAVE_MAX_BODY_BYTES`, `SICKLEAVE_JSON_BATCH_MAX_BYTES`;
    the port is `LEKO_SICKLEAVE_PORT`.

    `max_body_bytes` limits ordinary request bodies. `POST /v1/absences/batch` is streamed and
    exempt from it: its JSON form is limited by `json_batch_max_bytes` (room for 10,000
    records), its NDJSON and CSV forms only by the gateway's upload limit.
    """

    model_config = SettingsConfigDict(env_prefix="SICKLEAVE_")

    service_name: str = "sickleave"
    port: int = Field(8004, validation_alias=shared("LEKO_SICKLEAVE_PORT"))
    json_batch_max_bytes: int = 8_388_608
