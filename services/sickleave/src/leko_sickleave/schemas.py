"""Shapes shared by the sick-leave domains."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class BatchResult(BaseModel):
    """What a batch did: records new to LEKO, changed, and sent again without change."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"created": 9812, "updated": 180, "unchanged": 8}]}
    )

    created: int
    updated: int
    unchanged: int
