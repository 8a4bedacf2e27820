"""Small factories for registry tests: request bodies and callers' headers."""

from __future__ import annotations

from typing import Any

from leko_kit.testing import InternalKeys


def institution(
    code: str = "kbh-test-skole", parent: str = "k101", **fields: Any
) -> dict[str, Any]:
    """A school below a municipality (by default Københavns Kommune)."""
    return {
        "code": code,
        "name": "Testskolen på Nørrebro",
        "sector": "municipality",
        "kind": "institution",
        "parent_code": parent,
        "institution_type": "school",
    } | fields


def national_admin(keys: InternalKeys) -> dict[str, str]:
    return keys.headers(roles=["national_admin"], scope=["*"], client_id="national")


def org_admin(keys: InternalKeys, *scope: str) -> dict[str, str]:
    return keys.headers(roles=["org_admin"], scope=scope or ("k101",), client_id="kbh-admin")


def role(keys: InternalKeys, name: str, *scope: str) -> dict[str, str]:
    return keys.headers(roles=[name], scope=scope or ("k101",), client_id=f"{name}-client")
