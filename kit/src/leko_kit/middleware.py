"""Pure ASGI middleware shared by the services: request context, access log, body-size limit.

Pure ASGI (not BaseHTTPMiddleware) so that streaming bodies pass through untouched and the
per-request overhead stays small.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any

import structlog
from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leko_kit.context import REQUEST_ID_HEADER, accept_request_id, set_request_id
from leko_kit.problems import PROBLEM_CONTENT_TYPE, problem_body

access_logger = structlog.get_logger("leko.access")
# Requests that recur every few seconds (probes, scrapes, the replicas' feed polls) are logged
# at debug level when they succeed, so that the request log shows what callers do.
ROUTINE_PATHS = ("/healthz", "/readyz", "/metrics")
ROUTINE_USER_AGENT = "leko-replica"
# Invitation tokens (evaluation, surveys) travel in the path: the access log never keeps them,
# neither in a service nor in the gateway in front of it.
_SECRET_SEGMENT = re.compile(r"(/invitations/)[^/]+")


def loggable_path(path: str) -> str:
    """The path as the access log may show it: secrets in it replaced by a placeholder."""
    return _SECRET_SEGMENT.sub(r"\1{token}", path)


def header(scope: Scope, name: bytes) -> str | None:
    """First value of a request header (lower-case name), decoded as latin-1."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


async def send_problem(
    send: Send,
    *,
    status: int,
    detail: str,
    slug: str | None = None,
    instance: str | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """Answer with a problem document straight from ASGI middleware."""
    body = problem_body(status=status, detail=detail, slug=slug, instance=instance, extra=extra)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class RequestContextMiddleware:
    """Assigns the request id, binds it to the logs, echoes it, writes one access line, and
    turns an unexpected error into a 500 problem (details go to the log only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accept_request_id(header(scope, REQUEST_ID_HEADER.encode()))
        set_request_id(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        structlog.contextvars.unbind_contextvars("client_id")
        started = time.perf_counter()
        status = 500
        response_started = False
        id_header = (REQUEST_ID_HEADER.encode(), request_id.encode())

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = message["status"]
                response_started = True
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            access_logger.exception("unhandled_error", error_type=type(exc).__name__)
            if response_started:
                raise
            await send_problem(
                send,
                status=500,
                slug="internal-error",
                detail="The service failed to handle the request; retry later or quote the "
                "request_id to support.",
                instance=scope["path"],
                headers=[id_header],
            )
        finally:
            routine = status < 400 and (
                scope["path"] in ROUTINE_PATHS
                or (header(scope, b"user-agent") or "").startswith(ROUTINE_USER_AGENT)
            )
            (access_logger.debug if routine else access_logger.info)(
                "request",
                method=scope["method"],
                path=loggable_path(scope["path"]),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )


class BodySizeLimitMiddleware:
    """Rejects request bodies over `max_bytes` with 413, whether declared or streamed.

    `path_limits` gives paths (prefix match) their own limit: routes that stream large uploads
    (e.g. CSV ingestion) get a larger one, or None when they enforce their own.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int,
        path_limits: Mapping[str, int | None] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.path_limits = dict(path_limits or {})

    def _limit(self, path: str) -> int | None:
        for prefix, limit in self.path_limits.items():
            if path.startswith(prefix):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self._limit(scope["path"]) if scope["type"] == "http" else None
        if limit is None:
            await self.app(scope, receive, send)
            return
        detail = f"The request body is larger than {limit} bytes; send smaller batches."
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await send_problem(send, status=413, detail=detail, instance=scope["path"])
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException so that FastAPI's body parsing passes it on as is.
                    raise HTTPException(status_code=413, detail=detail)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except HTTPException as exc:
            if exc.status_code != 413 or response_started:
                raise
            await send_problem(send, status=413, detail=detail, instance=scope["path"])
