"""API keys: the `leko_<key id>_<secret>` format, generation and secret hashing.

The key id is public (it names the key in URLs and logs); only a hash of the secret is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

_KEY = re.compile(r"^leko_([0-9a-f]{16})_([A-Za-z0-9_-]{32,128})$")


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str
    secret: str = field(repr=False)

    def __str__(self) -> str:
        return f"leko_{self.key_id}_{self.secret}"


def parse_api_key(value: str) -> ApiKey | None:
    """The key's parts, or None when `value` is not in the key format."""
    match = _KEY.match(value)
    return ApiKey(match.group(1), match.group(2)) if match else None


def generate_api_key() -> ApiKey:
    return ApiKey(secrets.token_hex(8), secrets.token_urlsafe(32))


def hash_secret(secret: str) -> str:
    # A fast hash is right here: the secret is 256 random bits, so there is nothing for a slow
    # password hash (bcrypt, argon2) to protect against, and the hot path hashes every request.
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), stored_hash)
