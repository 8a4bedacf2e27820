"""One-time invitation tokens (evaluation, surveys): 256 random bits, URL-safe, shown once;
LEKO stores only their SHA-256.

A fast hash is enough (unlike for passwords): a token has 256 bits of entropy, so there is no
dictionary to try, and hashing stays cheap on the response path."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_BYTES = 32
# What a token path parameter accepts: our tokens are 43 characters; the margin lets the
# format grow without turning old links into 422s.
TOKEN_MIN_LENGTH, TOKEN_MAX_LENGTH = 16, 128


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
