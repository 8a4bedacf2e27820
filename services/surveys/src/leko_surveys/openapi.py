"""OpenAPI documentation of the problem documents a surveys endpoint can answer with."""

from __future__ import annotations

from leko_kit.openapi import ProblemDocs

problems = ProblemDocs(
    instance="/v1/rounds/12/participants",
    error={
        "loc": ["body", "org_code"],
        "message": "is a school; the programme `daycare` is for daycare",
    },
)
