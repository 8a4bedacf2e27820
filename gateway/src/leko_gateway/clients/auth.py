"""Dependencies of the admin API: who may call it, and the key cache revocations must clear."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from leko_gateway.authentication import ApiKeyAuthenticator
from leko_kit.auth import Principal, Role, require_roles


def _key_authenticator(request: Request) -> ApiKeyAuthenticator:
    authenticator: ApiKeyAuthenticator = request.app.state.gateway.api_keys
    return authenticator


NationalAdmin = Annotated[Principal, Depends(require_roles(Role.NATIONAL_ADMIN))]
KeyAuthenticator = Annotated[ApiKeyAuthenticator, Depends(_key_authenticator)]
