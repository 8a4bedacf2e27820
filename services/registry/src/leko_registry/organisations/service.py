"""The rules for organisations: who may create or change what, hierarchy consistency and the
change feed. Functions take the caller's session and never commit (the request does)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.auth import Principal, Role
from leko_kit.pagination import PageParams, encode_cursor
from leko_kit.problems import Conflict, Forbidden, NotFound, Unprocessable
from leko_kit.scope import covers
from leko_kit.tables import utcnow
from leko_registry.models import Organisation
from leko_registry.organisations.repository import OrganisationFilters, OrganisationRepository
from leko_registry.organisations.schemas import (
    ChangeFeed,
    ChangeOp,
    ChangeRead,
    InstitutionType,
    Kind,
    OrganisationCreate,
    OrganisationRead,
    OrganisationUpdate,
    Sector,
    institution_type_problem,
    sector_problem,
    validity_problem,
)

# What an org_admin may create and change below its scope; the rest is national reference data.
ORG_ADMIN_KINDS = frozenset({Kind.INSTITUTION, Kind.ADMINISTRATION})
# Identifiers a child takes from its parent (kommunekode, regionskode).
INHERITED = ("municipality_code", "region_code")
_FIELDS = tuple(OrganisationRead.model_fields)

Precondition = Callable[[Organisation], None]


def _field_error(field: str, message: str) -> Unprocessable:
    return Unprocessable(
        f"{field}: {message}.", errors=[{"loc": ["body", field], "message": message}]
    )


def _is_national_admin(principal: Principal) -> bool:
    return Role.NATIONAL_ADMIN.value in principal.roles


def as_read(organisation: Organisation) -> OrganisationRead:
    return OrganisationRead.model_validate(organisation)


def _not_found(code: str) -> NotFound:
    return NotFound(
        f"No organisation has code `{code}`; search with GET /v1/organisations?q=<name>."
    )


async def get(session: AsyncSession, *, code: str) -> Organisation:
    organisation = await OrganisationRepository(session).get(code)
    if organisation is None:
        raise _not_found(code)
    return organisation


async def get_public(session: AsyncSession, *, code: str) -> tuple[OrganisationRead, int]:
    """The organisation as clients see it and its version (the read path, kept lean)."""
    row = await OrganisationRepository(session).get_row(code)
    if row is None:
        raise _not_found(code)
    return OrganisationRead.model_validate(row), int(row["version"])


async def list_organisations(
    session: AsyncSession, *, filters: OrganisationFilters, page: PageParams
) -> tuple[list[OrganisationRead], str | None]:
    """One page in code order, and the cursor of the next page (None on the last)."""
    after = page.cursor_value("code")
    rows = await OrganisationRepository(session).find(
        filters=filters, after_code=str(after) if after is not None else None, limit=page.limit + 1
    )
    items = [as_read(row) for row in rows[: page.limit]]
    more = len(rows) > page.limit
    return items, encode_cursor({"code": items[-1].code}) if more else None


async def children(
    session: AsyncSession, *, code: str, page: PageParams
) -> tuple[list[OrganisationRead], str | None]:
    await get(session, code=code)
    return await list_organisations(session, filters=OrganisationFilters(parent=code), page=page)


async def changes(session: AsyncSession, *, after: int | None, limit: int) -> ChangeFeed:
    rows = await OrganisationRepository(session).changes_after(after or 0, limit=limit)
    items = [
        ChangeRead(
            seq=row.seq,
            op=ChangeOp(row.op),
            organisation=OrganisationRead.model_validate(row.payload),
        )
        for row in rows
    ]
    # With nothing new, hand back the caller's own cursor so it simply polls again with it.
    last = items[-1].seq if items else after
    return ChangeFeed(items=items, next_cursor=str(last) if last is not None else None)


async def create(
    session: AsyncSession, *, data: OrganisationCreate, principal: Principal
) -> Organisation:
    national = _is_national_admin(principal)
    if not national and data.kind not in ORG_ADMIN_KINDS:
        raise Forbidden(
            f"An org_admin may create institutions and administrations only, not kind "
            f"`{data.kind.value}`; ask a national_admin for national reference data."
        )
    repository = OrganisationRepository(session)
    await repository.lock_changes()
    if await repository.get(data.code) is not None:
        raise _duplicate(data.code)
    values = data.model_dump()
    await _place_under_parent(
        repository,
        values,
        explicit=data.model_fields_set,
        principal=principal,
        code=data.code,
    )
    now = utcnow()
    organisation = Organisation(
        **values, name_folded=data.name.casefold(), version=1, created_at=now, updated_at=now
    )
    repository.add(organisation)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent create of the same code on SQLite
        raise _duplicate(data.code) from exc
    await _record(repository, ChangeOp.CREATED, organisation)
    return organisation


async def update(
    session: AsyncSession,
    *,
    code: str,
    changes: OrganisationUpdate,
    principal: Principal,
    precondition: Precondition | None = None,
) -> Organisation:
    """Apply `changes`; `precondition` runs on the stored version (the If-Match check)."""
    repository = OrganisationRepository(session)
    await repository.lock_changes()
    organisation = await get(session, code=code)
    if not _is_national_admin(principal):
        await _authorise_org_admin_change(repository, organisation, principal)
    if precondition is not None:
        precondition(organisation)

    explicit = changes.model_fields_set
    values: dict[str, Any] = {field: getattr(organisation, field) for field in _FIELDS}
    values.update(changes.model_dump(include=explicit))
    if not _is_national_admin(principal) and values["kind"] not in ORG_ADMIN_KINDS:
        raise Forbidden(
            "An org_admin may only make an organisation an institution or an administration."
        )
    _check_consistency(values)
    await _place_under_parent(repository, values, explicit=explicit, principal=principal, code=code)

    changed = {
        field: value for field, value in values.items() if getattr(organisation, field) != value
    }
    if not changed:
        return organisation
    for field, value in changed.items():
        setattr(organisation, field, value)
    organisation.name_folded = organisation.name.casefold()
    organisation.version += 1
    organisation.updated_at = utcnow()
    await session.flush()
    await _record(repository, ChangeOp.UPDATED, organisation)
    return organisation


def _duplicate(code: str) -> Conflict:
    return Conflict(
        f"An organisation with code `{code}` already exists; choose another code or PATCH "
        f"/v1/organisations/{code}."
    )


async def _record(repository: OrganisationRepository, op: ChangeOp, org: Organisation) -> None:
    payload = as_read(org).model_dump(mode="json")
    await repository.append_change(op=op.value, code=org.code, payload=payload)


async def _authorise_org_admin_change(
    repository: OrganisationRepository, organisation: Organisation, principal: Principal
) -> None:
    lineage = await repository.lineage(organisation.code) or [organisation.code]
    if organisation.kind not in ORG_ADMIN_KINDS or not covers(lineage[1:], principal.scope):
        raise Forbidden(
            f"An org_admin may change institutions and administrations below its scope "
            f"({', '.join(principal.scope) or 'empty'}); `{organisation.code}` is not one. Ask "
            "a national_admin."
        )


def _check_consistency(values: Mapping[str, Any]) -> None:
    """The rules a create body checks field by field, on a merged (patched) organisation."""
    kind, sector = Kind(values["kind"]), Sector(values["sector"])
    institution_type = values["institution_type"]
    for field, problem in (
        ("sector", sector_problem(kind, sector)),
        (
            "institution_type",
            institution_type_problem(
                kind, InstitutionType(institution_type) if institution_type else None
            ),
        ),
        ("valid_to", validity_problem(values["valid_from"], values["valid_to"])),
    ):
        if problem:
            raise _field_error(field, problem)


async def _place_under_parent(
    repository: OrganisationRepository,
    values: dict[str, Any],
    *,
    explicit: Collection[str],
    principal: Principal,
    code: str,
) -> None:
    """Check the parent (exists, in the caller's scope, no cycle, same sector) and take the
    identifiers the organisation inherits from it. Updates `values` in place."""
    parent_code: str | None = values["parent_code"]
    national = _is_national_admin(principal)
    if parent_code is None:
        if not national:
            raise Forbidden(
                "An org_admin must place the organisation under a parent_code inside its scope "
                f"({', '.join(principal.scope) or 'empty'})."
            )
        return
    parent = await repository.get(parent_code)
    if parent is None:
        raise _field_error(
            "parent_code",
            f"no organisation has code `{parent_code}`; give an existing parent "
            "(GET /v1/organisations?q=<name> finds it)",
        )
    lineage = await repository.lineage(parent_code) or [parent_code]
    if not national and not covers(lineage, principal.scope):
        raise Forbidden(
            f"The parent `{parent_code}` is outside your scope "
            f"({', '.join(principal.scope) or 'empty'}); an org_admin may only place "
            "organisations below its own."
        )
    if code in lineage:
        raise _field_error(
            "parent_code",
            f"`{parent_code}` is `{code}` itself or lies below it; the move would make a cycle",
        )
    kind, sector = Kind(values["kind"]), Sector(values["sector"])
    if kind == Kind.MUNICIPALITY:
        if parent.kind != Kind.REGION:
            raise _field_error("parent_code", "a municipality (kommune) sits under its region")
    elif sector != parent.sector:
        raise _field_error(
            "sector",
            f"must be the parent's sector `{parent.sector}` (parent `{parent_code}`)",
        )
    for field in INHERITED:
        inherited = getattr(parent, field)
        if inherited is None:
            continue
        if field in explicit and values[field] not in (None, inherited):
            raise _field_error(
                field,
                f"must be the parent's {field} `{inherited}` (parent `{parent_code}`); leave it "
                "out to take the parent's",
            )
        values[field] = inherited
