"""OpenAPI documentation of the problem documents a registry endpoint can answer with."""

from __future__ import annotations

from leko_kit.openapi import ProblemDocs

problems = ProblemDocs(
    instance="/v1/organisations",
    error={"loc": ["body", "cvr"], "message": "is not a valid CVR number"},
    when={
        404: "No such organisation.",
        409: "The organisation code is taken, or the Idempotency-Key is in use.",
        422: "The request is not valid; `errors` names each field.",
    },
)
