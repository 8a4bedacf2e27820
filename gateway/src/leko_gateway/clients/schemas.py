"""Request and response shapes of the gateway admin API (SPEC §8)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, ConfigDict, Field, model_validator

from leko_kit.auth import NATIONAL_SCOPE, Role
from leko_kit.cpr import PseudonymousRef
from leko_kit.schemas import ReadModel, StrictModel

_ORG_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


def is_scope_entry(value: str) -> bool:
    """An organisation code or `*` (national)."""
    return value == NATIONAL_SCOPE or _ORG_CODE.match(value) is not None


def _scope_entry(value: str) -> str:
    if not is_scope_entry(value):
        raise ValueError(
            "a scope entry is an organisation code (lower-case letters, digits and dashes, "
            "e.g. k101) or * for national scope"
        )
    return value


def _future(value: datetime | None) -> datetime | None:
    if value is not None and value <= datetime.now(UTC):
        raise ValueError("expires_at must be in the future")
    return value


ScopeEntry = Annotated[str, AfterValidator(_scope_entry)]


class ClientCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "Aarhus Kommune lønsystem",
                    "roles": ["reporter"],
                    "scope": ["k751"],
                    "leader_ref": None,
                }
            ]
        }
    )

    name: str = Field(min_length=1, max_length=200, description="Who the client is.")
    roles: list[Role] = Field(min_length=1, description="What the client may do (SPEC §2).")
    scope: list[ScopeEntry] = Field(
        max_length=500,
        description="Organisation codes whose subtrees the client may act on; `*` = national.",
    )
    leader_ref: PseudonymousRef | None = Field(
        None, description="Pseudonymous leader reference; required with the `leader` role."
    )

    @model_validator(mode="after")
    def _leader_needs_ref(self) -> ClientCreate:
        if Role.LEADER in self.roles and self.leader_ref is None:
            raise ValueError("the leader role needs leader_ref (the leader's pseudonymous ref)")
        # Order kept, duplicates dropped: the stored lists read as the caller wrote them.
        self.roles = list(dict.fromkeys(self.roles))
        self.scope = list(dict.fromkeys(self.scope))
        return self


class ClientRead(ReadModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "client_id": "3f0c2a7e9b1d4c5e8f6a7b8c9d0e1f2a",
                    "name": "Aarhus Kommune lønsystem",
                    "roles": ["reporter"],
                    "scope": ["k751"],
                    "leader_ref": None,
                    "created_at": "2025-03-01T09:30:00Z",
                }
            ]
        }
    )

    client_id: str
    name: str
    roles: list[str]
    scope: list[str]
    leader_ref: str | None
    created_at: datetime


class KeyCreate(StrictModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"expires_at": "2026-12-31T23:00:00Z"}, {}]}
    )

    expires_at: Annotated[AwareDatetime | None, AfterValidator(_future)] = Field(
        None, description="When the key stops working (UTC); null = until revoked."
    )


class KeyRead(ReadModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "key_id": "9c1e5a7b3d2f4e60",
                    "api_key": "leko_9c1e5a7b3d2f4e60_Jx3…(shown once)",
                    "client_id": "3f0c2a7e9b1d4c5e8f6a7b8c9d0e1f2a",
                    "expires_at": None,
                }
            ]
        }
    )

    key_id: str
    api_key: str = Field(description="The whole key. Shown only in this response; store it.")
    client_id: str
    expires_at: datetime | None


class WhoAmI(ReadModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "client_id": "3f0c2a7e9b1d4c5e8f6a7b8c9d0e1f2a",
                    "name": "Aarhus Kommune lønsystem",
                    "roles": ["reporter"],
                    "scope": ["k751"],
                    "leader_ref": None,
                }
            ]
        }
    )

    client_id: str
    name: str | None
    roles: list[str]
    scope: list[str]
    leader_ref: str | None
