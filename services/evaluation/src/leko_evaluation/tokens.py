"""Moved to the kit (`leko_kit.tokens`); this name stays for the modules that import it."""

from leko_kit.tokens import new_token, token_hash

__all__ = ["new_token", "token_hash"]
