"""Moved to the kit (`leko_kit.aggregates`); this name stays for the modules that import it."""

from leko_kit.aggregates import add_counts

__all__ = ["add_counts"]
