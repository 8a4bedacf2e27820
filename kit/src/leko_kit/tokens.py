"""One-time invitation tokens (evaluation, surveys): 256 random bits, URL-safe, shown once;
LEKO stores only their SHA-256; and the answer route they open (`token_answer_route`).

A fast hash is enough (unlike for passwords): a token has 256 bits of entropy, so there is no
dictionary to try, and hashing stays cheap on the response path."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import Path, Request
from fastapi.routing import APIRoute
from pydantic import BaseModel

from leko_kit.db import database_of
from leko_kit.group_write import WriteBatch, checked_write
from leko_kit.routing import lean_json_route

Body = TypeVar("Body", bound=BaseModel)
Item = TypeVar("Item")
Receipt = TypeVar("Receipt", bound=BaseModel)

TOKEN_BYTES = 32
# What a token path parameter accepts: our tokens are 43 characters; the margin lets the
# format grow without turning old links into 422s.
TOKEN_MIN_LENGTH, TOKEN_MAX_LENGTH = 16, 128

# The `{token}` path parameter of the invitation routes.
InvitationToken = Annotated[
    str,
    Path(
        min_length=TOKEN_MIN_LENGTH,
        max_length=TOKEN_MAX_LENGTH,
        description="The one-time invitation token.",
        examples=["c2VjcmV0LXRva2VuLWZvci1lbXBsb3llZS0wMDAx"],
    ),
]


def path_token_fits(request: Request) -> bool:
    """Whether the request's `{token}` is one `InvitationToken` accepts (for a lean route,
    which skips FastAPI's own check of the path parameters)."""
    return TOKEN_MIN_LENGTH <= len(request.path_params.get("token", "")) <= TOKEN_MAX_LENGTH


def token_answer_route(
    body_model: type[Body],
    *,
    respond: Callable[..., Awaitable[Receipt]],
    check: Callable[..., Awaitable[Item]],
    write: WriteBatch[Item],
    receipt: Callable[[Item, bool], Receipt],
    headers: Mapping[str, str],
) -> type[APIRoute]:
    """The route class (`route_class_override=`) of `POST .../{token}/responses`: a valid JSON
    body skips FastAPI's dependency solving (`lean_json_route`) and goes to `checked_write`,
    so that on PostgreSQL it is written with the others arriving at the same moment.

    `respond` (check and store, SQLite) and `check` (the item to write, PostgreSQL) are the
    service's functions, called as `f(session, token=..., data=body, now=...)` with the
    app's clock, as the route's endpoint calls `respond`."""

    async def handle(request: Request, body: Body) -> Receipt:
        now = request.app.state.clock()
        token: str = request.path_params["token"]

        def called(function: Callable[..., Awaitable[Any]]) -> Callable[[Any], Awaitable[Any]]:
            return lambda session: function(session, token=token, data=body, now=now)

        result: Receipt = await checked_write(
            database_of(request),
            single=called(respond),
            check=called(check),
            write=write,
            receipt=receipt,
        )
        return result

    return lean_json_route(
        body_model, handle, status_code=201, headers=headers, accepts=path_token_fits
    )


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
