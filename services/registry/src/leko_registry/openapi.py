"""OpenAPI documentation of the problem documents an endpoint can answer with."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from leko_kit.problems import PROBLEM_BASE, PROBLEM_CONTENT_TYPE

_WHEN = {
    401: "No valid internal token: call through the gateway with an API key or OIDC token.",
    403: "Authenticated, but the role or organisation scope does not allow this.",
    404: "No such organisation.",
    409: "The organisation code is taken, or the Idempotency-Key is in use.",
    412: "If-Match names an older version: GET the resource again.",
    422: "The request is not valid; `errors` names each field.",
}
_SLUG = {422: "validation-error"}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries documenting problem answers with an example each."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        phrase = HTTPStatus(status).phrase
        example: dict[str, Any] = {
            "type": PROBLEM_BASE + _SLUG.get(status, phrase.lower().replace(" ", "-")),
            "title": phrase,
            "status": status,
            "detail": _WHEN[status],
            "instance": "/v1/organisations",
            "request_id": "9f1c2e7a4b8d4e0f",
        }
        if status == 422:
            example["errors"] = [{"loc": ["body", "cvr"], "message": "is not a valid CVR number"}]
        documented[status] = {
            "description": _WHEN[status],
            "content": {PROBLEM_CONTENT_TYPE: {"example": example}},
        }
    return documented
