"""OpenAPI documentation of the problem documents an evaluation endpoint can answer with."""

from __future__ import annotations

from leko_kit.openapi import ProblemDocs

problems = ProblemDocs(
    instance="/v1/evaluations/17/leaders",
    error={
        "loc": ["body", "leaders", 3, "leader_ref"],
        "message": "looks like a CPR number; send a pseudonymous reference instead",
    },
)
