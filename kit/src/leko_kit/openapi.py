"""OpenAPI documentation shared by the services: the problem documents an endpoint can answer
with (one example each), and component schemas for bodies an endpoint reads itself."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from leko_kit.problems import PROBLEM_BASE, PROBLEM_CONTENT_TYPE

WHEN = {
    401: "No valid internal token: call through the gateway with an API key or OIDC token.",
    403: "Authenticated, but the role or organisation scope does not allow this.",
    404: "No such resource in your scope (an organisation outside it is reported as unknown).",
    409: "The request conflicts with the resource's state; `detail` says why.",
    412: "If-Match names an older version: GET the resource again.",
    413: "The body is larger than this endpoint accepts.",
    415: "The body's media type or character set is not one this endpoint reads.",
    422: "The request is not valid; `errors` names each field (and record index in batches).",
}
_SLUG = {413: "payload-too-large", 415: "unsupported-media-type", 422: "validation-error"}


class ProblemDocs:
    """`responses=` entries for a service's problem answers: `docs(401, 404, 422)`.

    `when` overrides the general description of a status; `instance` and `error` make the
    examples look like the service's own (a path, and one entry of a 422's `errors`)."""

    def __init__(
        self, *, instance: str, error: dict[str, Any], when: Mapping[int, str] | None = None
    ) -> None:
        self.when = WHEN | dict(when or {})
        self.instance = instance
        self.error = error

    def __call__(self, *statuses: int) -> dict[int | str, dict[str, Any]]:
        documented: dict[int | str, dict[str, Any]] = {}
        for status in statuses:
            phrase = HTTPStatus(status).phrase
            example: dict[str, Any] = {
                "type": PROBLEM_BASE + _SLUG.get(status, phrase.lower().replace(" ", "-")),
                "title": phrase,
                "status": status,
                "detail": self.when[status],
                "instance": self.instance,
                "request_id": "9f1c2e7a4b8d4e0f",
            }
            if status == 422:
                example["errors"] = [self.error]
            documented[status] = {
                "description": self.when[status],
                "content": {PROBLEM_CONTENT_TYPE: {"example": example}},
            }
        return documented


def with_component_schemas(app: FastAPI, *models: type[BaseModel]) -> None:
    """Add `models` to the contract's components, for request bodies an endpoint reads itself
    (several media types) and so does not declare as a parameter."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schemas = generate().setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
                schemas[model.__name__] = schema
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]
