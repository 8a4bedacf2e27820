"""RFC 9457 problem documents and the exception hierarchy that produces them.

Services raise `LekoError` subclasses; one set of handlers (installed by
`install_problem_handlers`) turns them, FastAPI's validation errors and Starlette's HTTP errors
into `application/problem+json`. Nothing internal (stack traces, SQL, hostnames) is exposed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from leko_kit.context import current_request_id

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://leko.dk/problems/"


def problem_body(
    *,
    status: int,
    detail: str,
    slug: str | None = None,
    title: str | None = None,
    instance: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> bytes:
    """Serialise a problem document; `slug` names the problem type under PROBLEM_BASE."""
    phrase = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": PROBLEM_BASE + (slug or phrase.lower().replace(" ", "-").replace("'", "")),
        "title": title or phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
        "request_id": current_request_id(),
    }
    if extra:
        body.update(extra)
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def problem_response(
    *,
    status: int,
    detail: str,
    slug: str | None = None,
    title: str | None = None,
    instance: str | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return Response(
        problem_body(
            status=status, detail=detail, slug=slug, title=title, instance=instance, extra=extra
        ),
        status_code=status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=dict(headers or {}),
    )


class LekoError(Exception):
    """Base of every error a client should see as a problem document."""

    status: int = 500
    slug: str = "internal-error"
    title: str = "Internal Server Error"

    def __init__(
        self,
        detail: str,
        *,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


class BadRequest(LekoError):
    status, slug, title = 400, "bad-request", "Bad Request"


class Unauthorized(LekoError):
    status, slug, title = 401, "unauthorized", "Unauthorized"

    def __init__(self, detail: str, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="leko"'})
        super().__init__(detail, **kwargs)


class Forbidden(LekoError):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(LekoError):
    status, slug, title = 404, "not-found", "Not Found"


class Conflict(LekoError):
    status, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(LekoError):
    status, slug, title = 412, "precondition-failed", "Precondition Failed"


class PreconditionRequired(LekoError):
    status, slug, title = 428, "precondition-required", "Precondition Required"


class PayloadTooLarge(LekoError):
    status, slug, title = 413, "payload-too-large", "Content Too Large"


class UnsupportedMediaType(LekoError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported Media Type"


class Unprocessable(LekoError):
    """422 with the offending fields: `errors=[{"loc": [...], "message": ...}]`."""

    status, slug, title = 422, "validation-error", "Unprocessable Content"

    def __init__(
        self, detail: str, *, errors: Sequence[Mapping[str, Any]] = (), **kwargs: Any
    ) -> None:
        super().__init__(detail, **kwargs)
        self.extra["errors"] = [dict(e) for e in errors]


class ServiceUnavailable(LekoError):
    status, slug, title = 503, "service-unavailable", "Service Unavailable"


def _loc(loc: Sequence[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


def _message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return "unknown field: remove it (the API rejects fields it does not define)"
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def validation_errors(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """FastAPI/pydantic error dicts to the problem document's `errors` entries."""
    return [{"loc": _loc(e.get("loc", ())), "message": _message(e)} for e in errors]


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error the app can raise through the problem-document format."""

    async def leko_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LekoError)
        return problem_response(
            status=exc.status,
            slug=exc.slug,
            title=exc.title,
            detail=exc.detail,
            instance=request.url.path,
            extra=exc.extra,
            headers=exc.headers,
        )

    async def request_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = validation_errors(exc.errors())
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors[:5])
        return problem_response(
            status=422,
            slug="validation-error",
            title="Unprocessable Content",
            detail=f"The request is not valid ({fields}); correct the fields listed in `errors`.",
            instance=request.url.path,
            extra={"errors": errors},
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        if exc.status_code == 404:
            detail = f"No resource at {request.url.path}; check the path against /openapi.json."
        elif exc.status_code == 405:
            detail = f"{request.method} is not allowed on {request.url.path}."
        return problem_response(
            status=exc.status_code,
            detail=detail,
            instance=request.url.path,
            headers=exc.headers,
        )

    app.add_exception_handler(LekoError, leko_error)
    app.add_exception_handler(RequestValidationError, request_validation)
    app.add_exception_handler(StarletteHTTPException, http_error)
