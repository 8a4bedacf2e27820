"""OpenAPI documentation of the problem documents a sick-leave endpoint can answer with."""

from __future__ import annotations

from leko_kit.openapi import ProblemDocs

problems = ProblemDocs(
    instance="/v1/absences/batch",
    error={
        "loc": ["body", "records", 17, "end_date"],
        "message": "is before start_date; a spell ends on or after it starts",
    },
)
