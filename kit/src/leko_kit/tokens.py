"""One-time invitation tokens (evaluation, surveys): 256 random bits, URL-safe, shown once;
LEKO stores only their SHA-256.

A fast hash is enough (unlike for passwords): a token has 256 bits of entropy, so there is no
dictionary to try, and hashing stays cheap on the response path."""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated

from fastapi import Path, Request

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


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
