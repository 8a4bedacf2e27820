"""The gateway admin API (`/gateway/v1`): clients, their keys, and `whoami`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response

from leko_gateway.clients import service
from leko_gateway.clients.auth import KeyAuthenticator, NationalAdmin
from leko_gateway.clients.schemas import ClientCreate, ClientRead, KeyCreate, KeyRead, WhoAmI
from leko_kit.auth import CurrentPrincipal
from leko_kit.db import Session
from leko_kit.pagination import Page, Pagination
from leko_kit.problems import PROBLEM_CONTENT_TYPE

router = APIRouter(prefix="/gateway/v1", tags=["gateway"])

# Paths whose POSTs the idempotency store must not keep: their responses hold secrets.
SECRET_RESPONSE_PATHS = ("/gateway/v1/clients/",)


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_CONTENT_TYPE: {}}}


Responses = dict[int | str, dict[str, Any]]

_AUTH: Responses = {
    401: _problem("No valid credentials (API key or OIDC token)."),
    403: _problem("The caller is not a national_admin."),
}
_NOT_FOUND: Responses = {404: _problem("No such client (or key).")}
_INVALID: Responses = {422: _problem("The body is not valid; `errors` names each field.")}
ClientId = Annotated[str, Path(max_length=64, description="The client's id.")]
KeyId = Annotated[str, Path(max_length=16, description="The key's id (the part after `leko_`).")]


@router.post(
    "/clients",
    status_code=201,
    summary="Create a client",
    description="Registers a client (a system or a person) with roles and an organisation "
    "scope. Give it a key with `POST /gateway/v1/clients/{client_id}/keys`. Accepts "
    "`Idempotency-Key`. national_admin only.",
    responses={**_AUTH, **_INVALID},
)
async def create_client(
    body: ClientCreate, session: Session, response: Response, _admin: NationalAdmin
) -> ClientRead:
    client = await service.create_client(session, body=body)
    response.headers["Location"] = f"/gateway/v1/clients/{client.client_id}"
    return ClientRead.model_validate(client)


@router.get(
    "/clients",
    summary="List clients",
    description="Every client, a page at a time (`limit`, `cursor`), in creation order. "
    "national_admin only.",
    responses=_AUTH,
)
async def list_clients(
    session: Session, page: Pagination, _admin: NationalAdmin
) -> Page[ClientRead]:
    items, next_cursor = await service.list_clients(session, page=page)
    return Page(items=items, next_cursor=next_cursor)


@router.get(
    "/clients/{client_id}",
    summary="Get a client",
    description="One client's name, roles, scope and leader reference. national_admin only.",
    responses={**_AUTH, **_NOT_FOUND},
)
async def get_client(client_id: ClientId, session: Session, _admin: NationalAdmin) -> ClientRead:
    return ClientRead.model_validate(await service.get_client(session, client_id=client_id))


@router.post(
    "/clients/{client_id}/keys",
    status_code=201,
    summary="Create an API key",
    description="A new API key for the client, optionally expiring. The whole key "
    "(`api_key`) is in this response only: LEKO stores a hash of its secret. Send it as "
    "`X-API-Key` or `Authorization: Bearer`. `Idempotency-Key` is not honoured here, because "
    "replaying the response would mean storing the secret; a retried request makes a second "
    "key, which can be revoked. national_admin only.",
    responses={**_AUTH, **_NOT_FOUND, **_INVALID},
)
async def create_key(
    client_id: ClientId,
    session: Session,
    response: Response,
    _admin: NationalAdmin,
    body: Annotated[KeyCreate | None, Body()] = None,
) -> KeyRead:
    record, api_key = await service.create_key(
        session, client_id=client_id, expires_at=body.expires_at if body else None
    )
    response.headers["Location"] = f"/gateway/v1/clients/{client_id}/keys/{record.key_id}"
    response.headers["Cache-Control"] = "no-store"
    return KeyRead(
        key_id=record.key_id,
        api_key=str(api_key),
        client_id=client_id,
        expires_at=record.expires_at,
    )


@router.delete(
    "/clients/{client_id}/keys/{key_id}",
    status_code=204,
    summary="Revoke an API key",
    description="The key stops working at once on this gateway replica and within a few "
    "seconds on the others. Revoking a revoked key again is not an error. national_admin only.",
    responses={**_AUTH, **_NOT_FOUND},
)
async def revoke_key(
    client_id: ClientId,
    key_id: KeyId,
    session: Session,
    keys: KeyAuthenticator,
    _admin: NationalAdmin,
) -> Response:
    await service.revoke_key(session, client_id=client_id, key_id=key_id)
    keys.forget(key_id)
    return Response(status_code=204)


@router.get(
    "/whoami",
    summary="Who am I",
    description="The calling client as the gateway sees it: id, name, roles, scope and leader "
    "reference. Any authenticated caller.",
    responses={401: _AUTH[401]},
)
async def whoami(principal: CurrentPrincipal) -> WhoAmI:
    return WhoAmI(
        client_id=principal.client_id,
        name=principal.name,
        roles=sorted(principal.roles),
        scope=list(principal.scope),
        leader_ref=principal.leader_ref,
    )
