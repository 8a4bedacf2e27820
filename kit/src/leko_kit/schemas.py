"""Base models for API shapes: request bodies reject unknown fields (SPEC §3)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """Request body base: unknown fields are a 422, not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReadModel(BaseModel):
    """Response base: built from ORM objects."""

    model_config = ConfigDict(from_attributes=True)
