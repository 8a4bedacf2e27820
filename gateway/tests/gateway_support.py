"""Test doubles for the gateway's tests: real HTTP servers on free local ports.

- `serve(app)`: any ASGI app under uvicorn in the test's event loop.
- `FakeService`: a stand-in LEKO service that echoes what reached it (verifying the internal
  token with kit's verifier), streams, stalls and fails on request.
- `RawServer`: a TCP server that drops or garbles connections, for retry and 502 tests.
- `IdentityProvider`: signing keys and a JWKS endpoint for OIDC tests.
- `running(settings)`, `client_for(app)`: the gateway started, and a client talking to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import socket
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import jwt
import uvicorn
from asgi_lifespan import LifespanManager
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from leko_gateway.app import GatewayApp, create_app
from leko_gateway.keys import generate_api_key
from leko_gateway.settings import GatewaySettings
from leko_kit.auth import InternalTokenVerifier
from leko_kit.problems import Unauthorized
from leko_kit.testing import bind_to_connection

SettingsFactory = Callable[..., GatewaySettings]

ADMIN_KEY = str(generate_api_key())
ADMIN = {"X-API-Key": ADMIN_KEY}


async def new_key(
    client: httpx.AsyncClient,
    *,
    roles: list[str],
    scope: list[str] | None = None,
    leader_ref: str | None = None,
    name: str = "test client",
) -> str:
    """Create a client through the admin API and return a new API key of it."""
    created = await client.post(
        "/gateway/v1/clients",
        json={"name": name, "roles": roles, "scope": scope or ["*"], "leader_ref": leader_ref},
        headers=ADMIN,
    )
    assert created.status_code == 201, created.text
    key = await client.post(
        f"/gateway/v1/clients/{created.json()['client_id']}/keys", json={}, headers=ADMIN
    )
    assert key.status_code == 201, key.text
    api_key: str = key.json()["api_key"]
    return api_key


@contextlib.asynccontextmanager
async def serve(app: Any, *, port: int = 0) -> AsyncIterator[str]:
    """Serve `app` on 127.0.0.1 (a free port unless given); yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, timeout_graceful_shutdown=1, lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.005)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


def free_port() -> int:
    """A port nothing listens on (for an upstream that is down)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class FakeService:
    """A LEKO service stand-in with the routes the proxy tests need."""

    def __init__(self, public_key_pem: str) -> None:
        self.verifier = InternalTokenVerifier(public_key_pem)
        self.url = ""  # set once served
        self.hits: Counter[str] = Counter()
        self.upload_started = asyncio.Event()
        self.release_download = asyncio.Event()
        self.app = Starlette(
            routes=[
                Route("/v1/echo", self.echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
                Route("/v1/things", self.create_thing, methods=["POST"]),
                Route("/v1/status/{code:int}", self.status),
                Route("/v1/slow", self.slow),
                Route("/v1/download", self.download),
                Route("/v1/upload", self.upload, methods=["POST", "PUT"]),
                Route("/openapi.json", self.openapi),
                Route("/readyz", self.ready),
            ]
        )

    def _principal(self, request: Request) -> dict[str, Any] | str | None:
        authorization = request.headers.get("authorization")
        if authorization is None:
            return None
        try:
            principal = self.verifier.verify(authorization.removeprefix("Bearer "))
        except Unauthorized as exc:
            return f"invalid: {exc.detail}"
        return {
            "client_id": principal.client_id,
            "roles": sorted(principal.roles),
            "scope": list(principal.scope),
            "leader_ref": principal.leader_ref,
        }

    async def echo(self, request: Request) -> Response:
        self.hits["echo"] += 1
        body = await request.body()
        return JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "headers": {k: v for k, v in request.headers.items()},
                "body_bytes": len(body),
                "principal": self._principal(request),
            },
            headers={"x-request-id": "upstream-must-not-leak", "server": "upstream"},
        )

    async def create_thing(self, request: Request) -> Response:
        return JSONResponse({"id": 42}, status_code=201, headers={"Location": "/v1/things/42"})

    async def status(self, request: Request) -> Response:
        self.hits["status"] += 1
        code = request.path_params["code"]
        return JSONResponse({"status": code}, status_code=code)

    async def slow(self, request: Request) -> Response:
        await asyncio.sleep(float(request.query_params.get("seconds", "1")))
        return JSONResponse({"slow": True})

    async def download(self, request: Request) -> Response:
        size = int(request.query_params.get("size", "65536"))
        chunks = int(request.query_params.get("chunks", "8"))

        async def body() -> AsyncIterator[bytes]:
            yield b"a" * size
            # The rest waits until the test has seen the first chunk: a proxy that buffered
            # the response would never deliver it.
            await self.release_download.wait()
            for _ in range(chunks - 1):
                yield b"a" * size

        return StreamingResponse(body(), media_type="application/octet-stream")

    async def upload(self, request: Request) -> Response:
        digest, total = hashlib.sha256(), 0
        async for chunk in request.stream():
            if chunk:
                self.upload_started.set()
            digest.update(chunk)
            total += len(chunk)
        return JSONResponse({"bytes": total, "sha256": digest.hexdigest()})

    async def openapi(self, request: Request) -> Response:
        return JSONResponse(
            {
                "openapi": "3.1.0",
                "info": {"title": "fake", "version": "1"},
                "paths": {
                    "/v1/things": {
                        "post": {
                            "operationId": "create_thing",
                            "requestBody": {
                                "content": {
                                    "application/json": {
                                        "schema": {"$ref": "#/components/schemas/Thing"}
                                    }
                                }
                            },
                            "responses": {"201": {"description": "created"}},
                        }
                    },
                    "/healthz": {"get": {"responses": {"200": {"description": "ok"}}}},
                },
                "components": {
                    "schemas": {
                        "Thing": {
                            "type": "object",
                            "properties": {"part": {"$ref": "#/components/schemas/Part"}},
                        },
                        "Part": {"type": "object"},
                    }
                },
            }
        )

    async def ready(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})


class RawServer:
    """Accepts connections, reads one request, then misbehaves for the first `drop_first`
    connections (closes without answering, or answers garbage) and answers 200 after."""

    def __init__(self, *, drop_first: int, garbage: bool = False) -> None:
        self.drop_first = drop_first
        self.garbage = garbage
        self.connections = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            await reader.readuntil(b"\r\n\r\n")
            if self.garbage:
                writer.write(b"this is not HTTP\r\n\r\n")
            elif self.connections > self.drop_first:
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    b'content-length: 11\r\nconnection: close\r\n\r\n{"ok":true}'
                )
            await writer.drain()
        writer.close()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            yield f"http://127.0.0.1:{port}"


class IdentityProvider:
    """An OIDC issuer's keys (RSA and EC) and its JWKS endpoint."""

    issuer = "https://login.example.dk"
    audience = "leko"

    def __init__(self) -> None:
        self.rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec = ec.generate_private_key(ec.SECP256R1())
        self.jwks_fetches = 0
        self.rotated: dict[str, Any] | None = None
        self.app = Starlette(routes=[Route("/jwks.json", self.jwks)])

    def public_jwks(self) -> dict[str, Any]:
        rsa_jwk = RSAAlgorithm.to_jwk(self.rsa.public_key(), as_dict=True)
        ec_jwk = ECAlgorithm.to_jwk(self.ec.public_key(), as_dict=True)
        keys = [rsa_jwk | {"kid": "rsa-1", "use": "sig"}, ec_jwk | {"kid": "ec-1", "use": "sig"}]
        if self.rotated is not None:
            keys.append(self.rotated)
        return {"keys": keys}

    async def jwks(self, request: Request) -> Response:
        self.jwks_fetches += 1
        return JSONResponse(self.public_jwks())

    def token(
        self,
        *,
        algorithm: str = "RS256",
        kid: str = "rsa-1",
        key: Any = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": "user-123",
            "iat": now,
            "exp": now + 300,
        }
        payload.update(claims)
        payload = {k: v for k, v in payload.items() if v is not None}
        signing_key = key or (self.rsa if algorithm.startswith(("RS", "PS")) else self.ec)
        return jwt.encode(payload, signing_key, algorithm=algorithm, headers={"kid": kid})


@contextlib.asynccontextmanager
async def running(settings: GatewaySettings) -> AsyncIterator[GatewayApp]:
    """The gateway started (lifespan) on the test's rolled-back transaction."""
    app = create_app(settings)
    async with bind_to_connection(app.gateway.database), LifespanManager(app):
        yield app


def client_for(app: GatewayApp, *, ip: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://gateway.test")
