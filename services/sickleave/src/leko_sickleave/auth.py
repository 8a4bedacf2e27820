"""Who may do what in the sick-leave service (scope is checked per organisation).

- `reporter`: posts staffing and absences for organisations in its scope;
- `national_admin` and `analyst`: read statistics anywhere;
- `org_admin`, `reporter` and `leader`: read statistics within their scope.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from leko_kit.auth import Principal, Role, require_roles

NATIONAL_READERS = frozenset({Role.NATIONAL_ADMIN.value, Role.ANALYST.value})

Reporter = Annotated[Principal, Depends(require_roles(Role.REPORTER))]
Reader = Annotated[
    Principal,
    Depends(
        require_roles(Role.NATIONAL_ADMIN, Role.ANALYST, Role.ORG_ADMIN, Role.REPORTER, Role.LEADER)
    ),
]


def reads_everywhere(principal: Principal) -> bool:
    """National readers see every organisation; the others only their scope."""
    return principal.has_any_role(NATIONAL_READERS)
