"""The merged contract: `GET /openapi.json` (every service's paths under its public prefix, plus
the gateway's own) and `GET /docs` (Swagger UI on it).

Each service's document is fetched from its `/openapi.json` and the merge is cached briefly. A
service that does not answer is left out and named in the description, so the contract of the
others stays available. Component names get the service as prefix (`registry_Organisation`)
so two services' `Page` or `Error` schemas cannot collide; `$ref`s are rewritten to match.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
import structlog
from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

from leko_gateway.proxy import Upstream

logger = structlog.get_logger(__name__)

Document = dict[str, Any]

SECURITY_SCHEMES: Document = {
    "ApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "A LEKO API key (`leko_<key id>_<secret>`); also accepted as "
        "`Authorization: Bearer <key>`.",
    },
    "Bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "An OIDC access token from the configured issuer.",
    },
}
# Anonymous access (`{}`) is listed too: the services decide which endpoints are public.
SECURITY: list[Document] = [{"ApiKey": []}, {"Bearer": []}, {}]
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_FETCH_TIMEOUT = aiohttp.ClientTimeout(total=2)


class MergedOpenApi:
    def __init__(
        self,
        *,
        upstreams: Mapping[str, Upstream],
        http: Callable[[], aiohttp.ClientSession],
        own: Callable[[], Document],
        cache_seconds: float,
    ) -> None:
        self.upstreams = upstreams
        self._http = http
        self._own = own
        self.cache_seconds = cache_seconds
        self._cached: tuple[float, Document] | None = None
        self._lock = asyncio.Lock()

    async def document(self) -> Document:
        async with self._lock:
            if self._cached is not None and time.monotonic() - self._cached[0] < self.cache_seconds:
                return self._cached[1]
            fetched = await asyncio.gather(*(self._fetch(u) for u in self.upstreams.values()))
            document = merge(self._own(), dict(zip(self.upstreams, fetched, strict=True)))
            self._cached = (time.monotonic(), document)
            return document

    async def _fetch(self, upstream: Upstream) -> Document | None:
        try:
            async with self._http().get(
                upstream.base_url + "/openapi.json", timeout=_FETCH_TIMEOUT
            ) as response:
                if response.status != 200:
                    raise ValueError(f"status {response.status}")
                document = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            logger.warning("openapi_fetch_failed", upstream=upstream.name, error=str(exc)[:200])
            return None
        return document if isinstance(document, dict) else None


def merge(own: Document, services: Mapping[str, Document | None]) -> Document:
    """The gateway's document with each service's `/v1` paths and components added."""
    merged = copy.deepcopy(own)
    paths: Document = merged.setdefault("paths", {})
    components: Document = merged.setdefault("components", {})
    tags: list[Document] = merged.setdefault("tags", [])
    missing = []
    for name, document in services.items():
        if document is None:
            missing.append(name)
            continue
        renames = {
            f"#/components/{kind}/{key}": f"#/components/{kind}/{name}_{key}"
            for kind, entries in document.get("components", {}).items()
            if kind != "securitySchemes" and isinstance(entries, dict)
            for key in entries
        }
        document = _rewrite_refs(document, renames)
        for kind, entries in document.get("components", {}).items():
            if kind != "securitySchemes" and isinstance(entries, dict):
                section = components.setdefault(kind, {})
                section.update({f"{name}_{key}": value for key, value in entries.items()})
        known_tags = {tag.get("name") for tag in tags}
        tags.extend(t for t in document.get("tags", []) if t.get("name") not in known_tags)
        for path, item in document.get("paths", {}).items():
            if path.startswith("/v1/"):
                paths[f"/{name}{path}"] = _public_operations(name, item)
    components["securitySchemes"] = SECURITY_SCHEMES
    merged["security"] = SECURITY
    if missing:
        merged["info"]["description"] = (
            merged["info"].get("description", "")
            + "\n\n**Not included right now** (the service did not answer when this document "
            f"was built; it is retried shortly): {', '.join(sorted(missing))}."
        )
    return merged


def _public_operations(service: str, item: Document) -> Document:
    """A path item as the public sees it: unique operation ids, a tag, the gateway's auth."""
    for method, operation in item.items():
        if method not in _METHODS or not isinstance(operation, dict):
            continue
        if "operationId" in operation:
            operation["operationId"] = f"{service}_{operation['operationId']}"
        operation.setdefault("tags", [service])
        operation.pop("security", None)
    return item


def _rewrite_refs(node: Any, renames: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        return {
            key: renames.get(value, value)
            if key == "$ref" and isinstance(value, str)
            else _rewrite_refs(value, renames)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(value, renames) for value in node]
    return node


def docs_router(merged: MergedOpenApi) -> APIRouter:
    router = APIRouter()

    @router.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        return JSONResponse(await merged.document())

    @router.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="LEKO API")

    return router
