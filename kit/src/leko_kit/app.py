"""The service application factory: one place that wires a LEKO service together.

Middleware, outermost first: request context (request id, access log, last-resort 500
problem), body-size limit, principal (internal token), metrics, idempotency; then FastAPI with
the problem handlers, the health routes and the service's routers.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI

from leko_kit.auth import InternalTokenVerifier, PrincipalMiddleware
from leko_kit.db import Database
from leko_kit.heap import settle_after_startup
from leko_kit.idempotency import IdempotencyMiddleware
from leko_kit.logging import configure_logging
from leko_kit.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from leko_kit.observability import MetricsMiddleware, ReadinessCheck, health_router
from leko_kit.problems import install_problem_handlers
from leko_kit.settings import InternalAuthSettings

LifespanHook = Callable[[FastAPI, AsyncExitStack], Awaitable[None]]


def create_service_app(
    *,
    settings: InternalAuthSettings,
    title: str,
    description: str,
    routers: Sequence[APIRouter],
    openapi_tags: list[dict[str, Any]] | None = None,
    on_startup: Sequence[LifespanHook] = (),
    readiness: dict[str, Callable[[FastAPI], ReadinessCheck]] | None = None,
    streaming_paths: tuple[str, ...] = (),
    secret_paths: tuple[str, ...] = (),
) -> FastAPI:
    """Build a service app. `on_startup` hooks may push clean-ups onto the exit stack.
    `secret_paths` (regular expressions of whole paths) answer with secrets shown once, such
    as invitation tokens: `Idempotency-Key` is not honoured there, so no copy is stored."""
    configure_logging(
        service=settings.service_name, level=settings.log_level, json=settings.log_json
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            stack.push_async_callback(app.state.database.dispose)
            for hook in on_startup:
                await hook(app, stack)
            settle_after_startup(settings)
            yield

    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        openapi_tags=openapi_tags,
    )
    app.state.settings = settings
    app.state.database = Database(settings.database_url)
    app.state.verifier = InternalTokenVerifier(settings.internal_token_public_key)
    install_problem_handlers(app)

    checks: dict[str, ReadinessCheck] = {"database": lambda: app.state.database.ping()}
    for name, factory in (readiness or {}).items():
        checks[name] = factory(app)
    app.include_router(health_router(checks))
    for router in routers:
        app.include_router(router)

    # add_middleware puts the last one added outermost.
    app.add_middleware(
        IdempotencyMiddleware,
        exempt_paths=streaming_paths,
        exempt_patterns=tuple(re.compile(path) for path in secret_paths),
    )
    app.add_middleware(MetricsMiddleware, service=settings.service_name)
    app.add_middleware(PrincipalMiddleware, verifier=lambda: app.state.verifier)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        path_limits=dict.fromkeys(streaming_paths),
    )
    app.add_middleware(RequestContextMiddleware)
    return app
