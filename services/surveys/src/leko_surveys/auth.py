"""Who may do what in the surveys service (scope is checked per organisation).

- `national_admin`: questionnaire versions, rounds, publication; reads every result;
- `org_admin`: enrols organisations in its scope, adds their local questions and issues their
  invitations; reads its organisations' results before publication, and the results of the
  local questions it owns;
- `reporter`: imports responses a vendor collected, for organisations in its scope;
- `leader`: reads the results of the organisations in its scope before publication;
- `analyst`: reads every result (national statistics are its job);
- everyone, without credentials: programmes, questionnaires, rounds, and a round's results
  once it is published.
Respondents have no account: their invitation token is their only credential.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import Depends

from leko_kit.auth import Principal, Role, require_roles
from leko_kit.scope import covers

NationalAdmin = Annotated[Principal, Depends(require_roles(Role.NATIONAL_ADMIN))]
OrgAdmin = Annotated[Principal, Depends(require_roles(Role.ORG_ADMIN))]
Reporter = Annotated[Principal, Depends(require_roles(Role.REPORTER))]
Organiser = Annotated[Principal, Depends(require_roles(Role.ORG_ADMIN, Role.NATIONAL_ADMIN))]

NATIONAL_READERS = frozenset({Role.NATIONAL_ADMIN.value, Role.ANALYST.value})
LOCAL_READERS = frozenset({Role.ORG_ADMIN.value, Role.LEADER.value})


def reads_nationally(principal: Principal | None) -> bool:
    """National roles read every organisation's results, published or not."""
    return principal is not None and principal.has_any_role(NATIONAL_READERS)


def reads_locally(principal: Principal | None, lineage: Sequence[str]) -> bool:
    """The organisation's own users (`org_admin`, `leader` whose scope covers it)."""
    return (
        principal is not None
        and principal.has_any_role(LOCAL_READERS)
        and covers(lineage, principal.scope)
    )
