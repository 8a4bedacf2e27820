"""The gateway application factory (`uvicorn leko_gateway.app:create_app --factory`).

Outermost first, every request passes: security headers, request context (request id, access
log, last-resort 500), CORS (answers preflights), metrics, body-size limit, authentication,
rate limit; then the dispatcher sends `/{service}/v1/...` to the proxy and the rest to the
FastAPI admin app. All of it is plain ASGI, so forwarding costs little per request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.openapi.utils import get_openapi
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from leko_gateway.authentication import AuthenticationMiddleware
from leko_gateway.clients.routes import SECRET_RESPONSE_PATHS
from leko_gateway.clients.routes import router as clients_router
from leko_gateway.cors import CorsMiddleware
from leko_gateway.dispatch import UPSTREAM_SCOPE_KEY, Dispatcher
from leko_gateway.openapi import Document, MergedOpenApi, docs_router
from leko_gateway.proxy import Proxy
from leko_gateway.ratelimit import RateLimitMiddleware
from leko_gateway.runtime import Gateway
from leko_gateway.security_headers import SecurityHeadersMiddleware
from leko_gateway.settings import GatewaySettings
from leko_kit.heap import settle_after_startup
from leko_kit.idempotency import IdempotencyMiddleware
from leko_kit.logging import configure_logging
from leko_kit.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from leko_kit.observability import MetricsMiddleware, health_router, route_label
from leko_kit.problems import install_problem_handlers, problem_response

TITLE = "LEKO"
DESCRIPTION = (
    "The national API of the public-sector agreement on leadership and competences. Every "
    "service is published under its own prefix (`/registry/v1/...`); the gateway's own API "
    "(clients and API keys) is under `/gateway/v1`. Authenticate with an API key "
    "(`X-API-Key` or `Authorization: Bearer leko_...`) or an OIDC token; public endpoints "
    "need neither. Errors are RFC 9457 problem documents."
)


class GatewayApp:
    """The ASGI application, keeping its parts reachable (for tests and operations)."""

    def __init__(self, *, gateway: Gateway, admin: FastAPI, stack: ASGIApp) -> None:
        self.gateway = gateway
        self.admin = admin
        self._stack = stack

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._stack(scope, receive, send)


def create_app(settings: GatewaySettings | None = None) -> GatewayApp:
    settings = settings or GatewaySettings()
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )
    gateway = Gateway(settings)
    admin = _admin_app(gateway)
    proxy = Proxy(
        http=gateway.http,
        tokens=gateway.tokens,
        retries=settings.upstream_retries,
        trust_forwarded_for=settings.trust_forwarded_for,
    )
    stack: ASGIApp = Dispatcher(admin=admin, proxy=proxy, upstreams=gateway.upstreams)
    stack = RateLimitMiddleware(
        stack, limiter=gateway.limiter, trust_forwarded_for=settings.trust_forwarded_for
    )
    stack = AuthenticationMiddleware(stack, api_keys=gateway.api_keys, oidc=gateway.oidc)
    stack = BodySizeLimitMiddleware(
        stack,
        max_bytes=settings.max_body_bytes,
        path_limits=dict.fromkeys(settings.upload_paths, settings.max_upload_bytes),
    )
    stack = MetricsMiddleware(stack, service=settings.service_name, label=_metrics_label)
    stack = CorsMiddleware(stack, origins=settings.cors_origins)
    stack = RequestContextMiddleware(stack)
    stack = SecurityHeadersMiddleware(stack)
    return GatewayApp(gateway=gateway, admin=admin, stack=stack)


def _metrics_label(scope: Scope) -> str:
    # One series per service, whatever the path: ids in paths would make series unbounded.
    service = scope.get(UPSTREAM_SCOPE_KEY)
    return f"/{service}/v1/{{path}}" if service else route_label(scope)


def _admin_app(gateway: Gateway) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await gateway.start()
        settle_after_startup(gateway.settings)
        try:
            yield
        finally:
            await gateway.stop()

    admin = FastAPI(
        title=TITLE,
        description=DESCRIPTION,
        version="1.0.0",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    admin.state.gateway = gateway
    admin.state.database = gateway.database  # for kit's Session and IdempotencyMiddleware
    install_problem_handlers(admin)
    admin.add_exception_handler(Exception, _internal_error)
    admin.include_router(clients_router)
    admin.include_router(health_router(gateway.readiness_checks()))

    def own_document() -> Document:
        return get_openapi(
            title=TITLE, version="1.0.0", description=DESCRIPTION, routes=admin.routes
        )

    merged = MergedOpenApi(
        upstreams=gateway.upstreams,
        http=gateway.http,
        own=own_document,
        cache_seconds=gateway.settings.openapi_cache_seconds,
    )
    admin.include_router(docs_router(merged))
    admin.add_middleware(IdempotencyMiddleware, exempt_paths=SECRET_RESPONSE_PATHS)
    return admin


async def _internal_error(request: Request, exc: Exception) -> Response:
    # Starlette answers an unhandled error itself (in plain text) before the gateway's
    # request-context middleware could; this keeps that answer a problem document.
    return problem_response(
        status=500,
        slug="internal-error",
        detail="The gateway failed to handle the request; retry later or quote the request_id "
        "to support.",
        instance=request.url.path,
    )
