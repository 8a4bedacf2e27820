"""Who may write organisations: national_admin and org_admin (scope is checked per change)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from leko_kit.auth import Principal, Role, require_roles

OrganisationWriter = Annotated[
    Principal, Depends(require_roles(Role.NATIONAL_ADMIN, Role.ORG_ADMIN))
]
