"""Internal tokens for forwarded requests (kit's InternalTokenSigner).

Writes always get a fresh token: services refuse a write token they have seen (replay
protection). Reads may reuse the token minted for the same principal for a few seconds,
because the Ed25519 signature is the largest single cost on the forwarding path (about
0.1 ms per request measured on the benchmark machine); a reused token still expires 60 s
after it was minted, and revocation is unaffected since the caller is authenticated on every
request before a token is chosen.
"""

from __future__ import annotations

import time

from leko_kit.auth import InternalTokenSigner, Principal

_REUSABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_MAX_CACHED = 10_000


class InternalTokens:
    def __init__(self, signer: InternalTokenSigner, *, reuse_seconds: float) -> None:
        self.signer = signer
        self.reuse_seconds = reuse_seconds
        self._cache: dict[Principal, tuple[str, float]] = {}

    def for_request(self, principal: Principal, method: str) -> str:
        if self.reuse_seconds <= 0 or method not in _REUSABLE_METHODS:
            return self.signer.mint(principal)
        now = time.monotonic()
        cached = self._cache.get(principal)
        if cached is not None and cached[1] > now:
            return cached[0]
        token = self.signer.mint(principal)
        if len(self._cache) >= _MAX_CACHED:
            self._cache = {p: entry for p, entry in self._cache.items() if entry[1] > now}
        self._cache[principal] = (token, now + self.reuse_seconds)
        return token
