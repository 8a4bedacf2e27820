"""ETags for mutable resources and `If-Match` checks (412 on a stale version)."""

from __future__ import annotations

from starlette.requests import Request

from leko_kit.problems import PreconditionFailed


def etag_for(version: int) -> str:
    return f'"v{version}"'


def check_if_match(request: Request, *, current_version: int) -> None:
    """Raise 412 when the request's `If-Match` names another version than the stored one."""
    if_match = request.headers.get("if-match")
    if if_match is None:
        return
    current = etag_for(current_version)
    candidates = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" in candidates or current in candidates:
        return
    raise PreconditionFailed(
        f"The resource has changed (current ETag {current}); GET it again and retry with "
        "the new ETag in If-Match.",
        extra={"current_etag": current},
    )
