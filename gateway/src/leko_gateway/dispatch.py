"""The gateway's outermost router: `/{service}/v1/...` goes to the proxy, everything else
(the admin API, `/openapi.json`, `/docs`, health, metrics, and the lifespan) to FastAPI.

Plain ASGI, so a proxied request never passes through FastAPI's routing.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.types import ASGIApp, Receive, Scope, Send

from leko_gateway.proxy import Proxy, Upstream
from leko_kit.middleware import send_problem

UPSTREAM_SCOPE_KEY = "leko.upstream"


class Dispatcher:
    def __init__(self, *, admin: ASGIApp, proxy: Proxy, upstreams: Mapping[str, Upstream]) -> None:
        self.admin = admin
        self.proxy = proxy
        self.upstreams = upstreams

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            service, _, rest = path[1:].partition("/")
            if service != "gateway" and (rest == "v1" or rest.startswith("v1/")):
                await self._proxied(service, scope, receive, send)
                return
        await self.admin(scope, receive, send)

    async def _proxied(self, service: str, scope: Scope, receive: Receive, send: Send) -> None:
        upstream = self.upstreams.get(service)
        path: str = scope["path"]
        if upstream is None:
            known = ", ".join(f"/{name}/v1" for name in self.upstreams)
            await send_problem(
                send,
                status=404,
                detail=f"No service is published at /{service}; this gateway serves {known}.",
                instance=path,
            )
            return
        # Dot segments could walk out of the service's /v1 space on the way upstream.
        if "/." in path and any(part in {".", ".."} for part in path.split("/")):
            await send_problem(send, status=404, detail=f"No resource at {path}.", instance=path)
            return
        scope[UPSTREAM_SCOPE_KEY] = service
        await self.proxy.forward(upstream, scope, receive, send)
