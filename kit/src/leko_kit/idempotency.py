"""`Idempotency-Key` for POST (SPEC §3), as pure ASGI middleware.

Same key and same body: the stored response is replayed with `Idempotent-Replayed: true`.
Same key, other body: 422. The same key while the first request is still running: 409.
Keys are per client and kept for 24 hours. Server errors (5xx) are not stored, so a retry
runs again. Streaming upload routes are exempt: they are idempotent by their natural keys;
so are routes whose responses hold secrets shown once (the store would keep them). Callers
without credentials (respondents answering by invitation token) are not given keys: with no
client to scope them to, every such caller would share one namespace, able to block another's
key, and the store would keep what they sent; their writes are one-time by their token.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leko_kit.auth import principal_from_scope
from leko_kit.db import Database
from leko_kit.middleware import header, send_problem
from leko_kit.tables import IdempotencyRecord, utcnow

IDEMPOTENCY_HEADER = b"idempotency-key"
KEY_LIFETIME = timedelta(hours=24)
_IN_PROGRESS, _DONE = "in_progress", "completed"
_REPLAYED_HEADERS = {b"content-type", b"location", b"etag"}


def _valid_key(key: str) -> bool:
    return 1 <= len(key) <= 255 and all(33 <= ord(c) <= 126 for c in key)


class IdempotencyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        exempt_paths: tuple[str, ...] = (),
        exempt_patterns: tuple[re.Pattern[str], ...] = (),
    ) -> None:
        self.app = app
        self.exempt_paths = exempt_paths
        self.exempt_patterns = exempt_patterns

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = header(scope, IDEMPOTENCY_HEADER) if scope["type"] == "http" else None
        if (
            key is None
            or scope["method"] != "POST"
            or (self.exempt_paths and scope["path"].startswith(self.exempt_paths))
            or any(pattern.fullmatch(scope["path"]) for pattern in self.exempt_patterns)
            or (principal := principal_from_scope(scope)) is None
        ):
            await self.app(scope, receive, send)
            return
        if not _valid_key(key):
            await send_problem(
                send,
                status=400,
                detail="Idempotency-Key must be 1–255 visible ASCII characters (a UUID is ideal).",
                instance=scope["path"],
            )
            return
        database: Database = scope["app"].state.database
        body = await _read_body(receive)
        client_id = principal.client_id
        request_hash = hashlib.sha256(
            b"\0".join([scope["method"].encode(), scope["path"].encode(), body])
        ).hexdigest()

        existing = await self._claim(database, client_id, key, request_hash)
        if existing is not None:
            await self._answer_existing(send, scope, existing, request_hash)
            return

        captured: dict[str, Any] = {"status": 500, "headers": [], "body": bytearray()}

        async def replay_receive() -> Message:
            nonlocal body
            chunk, body = body, b""
            return {"type": "http.request", "body": chunk, "more_body": False}

        async def capturing_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
                captured["headers"] = [
                    [k.decode("latin-1"), v.decode("latin-1")]
                    for k, v in message.get("headers", ())
                    if k.lower() in _REPLAYED_HEADERS
                ]
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        try:
            await self.app(scope, replay_receive, capturing_send)
        except BaseException:
            await self._release(database, client_id, key)
            raise
        if captured["status"] >= 500:
            await self._release(database, client_id, key)
            return
        async with database.session() as session:
            record = await session.get(IdempotencyRecord, (client_id, key))
            if record is not None:
                record.state = _DONE
                record.response_status = captured["status"]
                record.response_headers = captured["headers"]
                record.response_body = bytes(captured["body"])

    async def _claim(
        self, database: Database, client_id: str, key: str, request_hash: str
    ) -> IdempotencyRecord | None:
        """Insert an in-progress record; return the existing one if the key is taken."""
        for _ in range(2):
            async with database.session() as session:
                found = await session.scalar(
                    select(IdempotencyRecord).where(
                        IdempotencyRecord.client_id == client_id, IdempotencyRecord.key == key
                    )
                )
                if found is not None and found.created_at > utcnow() - KEY_LIFETIME:
                    return found
                if found is not None:
                    await session.delete(found)
                    await session.flush()
            try:
                async with database.session() as session:
                    session.add(
                        IdempotencyRecord(
                            client_id=client_id,
                            key=key,
                            request_hash=request_hash,
                            state=_IN_PROGRESS,
                            created_at=utcnow(),
                        )
                    )
                return None
            except IntegrityError:
                continue  # another request claimed the key between our read and insert
        async with database.session() as session:
            return await session.get(IdempotencyRecord, (client_id, key))

    async def _answer_existing(
        self, send: Send, scope: Scope, record: IdempotencyRecord, request_hash: str
    ) -> None:
        if record.request_hash != request_hash:
            await send_problem(
                send,
                status=422,
                slug="idempotency-key-reused",
                detail="This Idempotency-Key was used with a different request body; use a new "
                "key for a new request.",
                instance=scope["path"],
            )
            return
        if record.state != _DONE or record.response_status is None:
            await send_problem(
                send,
                status=409,
                slug="idempotency-key-in-use",
                detail="A request with this Idempotency-Key is still being processed; retry "
                "shortly to get its stored response.",
                instance=scope["path"],
                headers=[(b"retry-after", b"1")],
            )
            return
        body = record.response_body or b""
        headers = [
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in record.response_headers or []
        ]
        await send(
            {
                "type": "http.response.start",
                "status": record.response_status,
                "headers": [
                    *headers,
                    (b"content-length", str(len(body)).encode()),
                    (b"idempotent-replayed", b"true"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def _release(self, database: Database, client_id: str, key: str) -> None:
        async with database.session() as session:
            await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.client_id == client_id,
                    IdempotencyRecord.key == key,
                    IdempotencyRecord.state == _IN_PROGRESS,
                )
            )


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)
