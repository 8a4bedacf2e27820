"""Cursor pagination: `?limit=` (default 50, max 500), `?cursor=`, `{"items", "next_cursor"}`.

Cursors are opaque to clients: URL-safe base64 of a small JSON object naming the last key seen.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from leko_kit.problems import Unprocessable

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


def encode_cursor(position: dict[str, Any]) -> str:
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        position = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise _bad_cursor() from exc
    if not isinstance(position, dict):
        raise _bad_cursor()
    return position


def _bad_cursor() -> Unprocessable:
    return Unprocessable(
        "The cursor is not one this API issued; pass `next_cursor` from the previous page.",
        errors=[{"loc": ["query", "cursor"], "message": "malformed cursor"}],
    )


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    cursor: dict[str, Any] | None

    def cursor_value(self, key: str) -> Any:
        """One field of the decoded cursor (422 if the cursor lacks it)."""
        if self.cursor is None:
            return None
        if key not in self.cursor:
            raise _bad_cursor()
        return self.cursor[key]


def page_params(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Items per page (1–500, default 50).")
    ] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, cursor=decode_cursor(cursor) if cursor else None)


Pagination = Annotated[PageParams, Depends(page_params)]
