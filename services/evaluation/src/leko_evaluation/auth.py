"""Who may do what in the evaluation service (scope is checked per organisation).

- `national_admin`: drafts and publishes question-set versions; reads the national overview;
- `org_admin`: creates rounds and adds leaders for organisations in its scope, follows the
  response rates, reads the leader reports and the organisation report of its organisations;
- `leader`: reads its own leader report (the principal's `leader_ref`), nothing else;
- `analyst` (and `national_admin`): the national overview broken down by sector and level;
- `researcher`: the anonymised research export.
Respondents have no account: their invitation token is their only credential.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from leko_kit.auth import Principal, Role, require_roles
from leko_kit.problems import NotFound
from leko_kit.scope import OrgHierarchy, covers

NationalAdmin = Annotated[Principal, Depends(require_roles(Role.NATIONAL_ADMIN))]
OrgAdmin = Annotated[Principal, Depends(require_roles(Role.ORG_ADMIN))]
ReportReader = Annotated[Principal, Depends(require_roles(Role.ORG_ADMIN, Role.LEADER))]
Analyst = Annotated[Principal, Depends(require_roles(Role.ANALYST, Role.NATIONAL_ADMIN))]
Researcher = Annotated[Principal, Depends(require_roles(Role.RESEARCHER))]

ANALYST_ROLES = frozenset({Role.ANALYST.value, Role.NATIONAL_ADMIN.value})


def is_org_admin(principal: Principal) -> bool:
    return Role.ORG_ADMIN.value in principal.roles


async def in_read_scope(hierarchy: OrgHierarchy, org_code: str, principal: Principal) -> bool:
    """Whether an `org_admin` principal's scope covers `org_code` (unknown codes: False)."""
    if not is_org_admin(principal):
        return False
    lineage = await hierarchy.lineage(org_code)
    return lineage is not None and covers(lineage, principal.scope)


def not_found_evaluation(evaluation_id: int) -> NotFound:
    """The one answer for an evaluation that does not exist or is outside the caller's scope,
    so a probe learns nothing about rounds it may not see."""
    return NotFound(
        f"No evaluation {evaluation_id} in your scope; list yours with GET /v1/evaluations."
    )
