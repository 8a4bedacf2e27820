"""Who may do what in the sick-leave service (scope is checked per organisation).

- `reporter`: posts staffing and absences for organisations in its scope;
- `national_admin` and `analyst`: read statistics anywhere;
- `org_admin`, `reporter` and `leader`: read statistics within their scope;
- `org_admin` (in scope) and `national_admin` set targets; `analyst` and `national_admin`
  read the hotspots.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from leko_kit.auth import Principal, Role, require_roles
from leko_kit.problems import NotFound
from leko_kit.scope import OrgHierarchy, covers

NATIONAL_READERS = frozenset({Role.NATIONAL_ADMIN.value, Role.ANALYST.value})

Reporter = Annotated[Principal, Depends(require_roles(Role.REPORTER))]
Reader = Annotated[
    Principal,
    Depends(
        require_roles(Role.NATIONAL_ADMIN, Role.ANALYST, Role.ORG_ADMIN, Role.REPORTER, Role.LEADER)
    ),
]

TargetSetter = Annotated[Principal, Depends(require_roles(Role.ORG_ADMIN, Role.NATIONAL_ADMIN))]
NationalAdmin = Annotated[Principal, Depends(require_roles(Role.NATIONAL_ADMIN))]
Analyst = Annotated[Principal, Depends(require_roles(Role.ANALYST, Role.NATIONAL_ADMIN))]


def reads_everywhere(principal: Principal) -> bool:
    """National readers see every organisation; the others only their scope."""
    return principal.has_any_role(NATIONAL_READERS)


async def require_readable(
    hierarchy: OrgHierarchy, org_code: str, principal: Principal
) -> list[str]:
    """The organisation's lineage; 404 when it is unknown or outside the caller's read scope
    (the same answer, so a probe learns nothing about organisations it may not see)."""
    lineage = await hierarchy.lineage(org_code)
    if lineage is None or not (reads_everywhere(principal) or covers(lineage, principal.scope)):
        raise NotFound(
            f"No organisation `{org_code}` in your scope; check the code against "
            "GET /registry/v1/organisations."
        )
    return lineage
