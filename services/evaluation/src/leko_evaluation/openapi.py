"""OpenAPI documentation of the problem documents an endpoint can answer with."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from leko_kit.problems import PROBLEM_BASE, PROBLEM_CONTENT_TYPE

_WHEN = {
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
            "instance": "/v1/evaluations/17/leaders",
            "request_id": "9f1c2e7a4b8d4e0f",
        }
        if status == 422:
            example["errors"] = [
                {
                    "loc": ["body", "leaders", 3, "leader_ref"],
                    "message": "looks like a CPR number; send a pseudonymous reference instead",
                }
            ]
        documented[status] = {
            "description": _WHEN[status],
            "content": {PROBLEM_CONTENT_TYPE: {"example": example}},
        }
    return documented
