"""Moved to the kit (`leko_kit.dependencies`); this name stays for the modules that import it."""

from leko_kit.dependencies import Now, Replica

__all__ = ["Now", "Replica"]
