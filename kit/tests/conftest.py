"""A small sample service built with the kit's app factory, on both database backends."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request, Response
from pydantic import Field
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from leko_kit.app import create_service_app
from leko_kit.auth import CurrentPrincipal, Role, require_roles
from leko_kit.cpr import PseudonymousRef
from leko_kit.db import Session
from leko_kit.etag import check_if_match, etag_for
from leko_kit.pagination import Page, Pagination, encode_cursor
from leko_kit.problems import NotFound
from leko_kit.routing import lean_json_route
from leko_kit.schemas import StrictModel
from leko_kit.settings import InternalAuthSettings
from leko_kit.tables import idempotency_metadata, replica_metadata
from leko_kit.testing import InternalKeys, asgi_client, bind_to_connection, temporary_database


class Base(DeclarativeBase):
    pass


class Note(Base):
    __tablename__ = "notes"
    ref: Mapped[str] = mapped_column(String(128), primary_key=True)
    text: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(default=1)


class NoteCreate(StrictModel):
    ref: PseudonymousRef
    text: str = Field(min_length=1, max_length=200)


class NoteRead(StrictModel):
    ref: str
    text: str


router = APIRouter(prefix="/v1/notes")


@router.post("", status_code=201)
async def create_note(
    body: NoteCreate, session: Session, response: Response, principal: CurrentPrincipal
) -> NoteRead:
    require_roles(Role.REPORTER)(principal)
    session.add(Note(ref=body.ref, text=body.text))
    response.headers["Location"] = f"/v1/notes/{body.ref}"
    return NoteRead(ref=body.ref, text=body.text)


@router.get("")
async def list_notes(session: Session, page: Pagination) -> Page[NoteRead]:
    after = page.cursor_value("ref")
    query = select(Note).order_by(Note.ref).limit(page.limit + 1)
    if after is not None:
        query = query.where(Note.ref > after)
    rows = list(await session.scalars(query))
    more = len(rows) > page.limit
    rows = rows[: page.limit]
    return Page(
        items=[NoteRead(ref=r.ref, text=r.text) for r in rows],
        next_cursor=encode_cursor({"ref": rows[-1].ref}) if more else None,
    )


@router.patch("/{ref}")
async def patch_note(
    ref: str, body: dict[str, str], session: Session, request: Request, response: Response
) -> NoteRead:
    note = await session.get(Note, ref)
    if note is None:
        raise NotFound(f"No note {ref}.")
    check_if_match(request, current_version=note.version)
    note.text = body["text"]
    note.version += 1
    response.headers["ETag"] = etag_for(note.version)
    return NoteRead(ref=note.ref, text=note.text)


@router.post("/{ref}/secrets", status_code=201)
async def issue_secret(ref: str) -> dict[str, str]:
    return {"ref": ref, "secret": f"shown-once-{ref}"}


@router.post("/{ref}/reactions", status_code=201)
async def react(ref: str, body: dict[str, str]) -> dict[str, str]:
    """A public write, as a respondent's answer by invitation token is."""
    return {"ref": ref, "reaction": body["reaction"]}


class Vote(StrictModel):
    choice: int = Field(ge=1, le=5)


class VoteReceipt(StrictModel):
    ref: str
    choice: int
    lean: bool


async def _vote_lean(request: Request, body: Vote) -> VoteReceipt:
    return VoteReceipt(ref=request.path_params["ref"], choice=body.choice, lean=True)


async def vote(ref: str, body: Vote) -> VoteReceipt:
    return VoteReceipt(ref=ref, choice=body.choice, lean=False)


router.add_api_route(
    "/{ref}/votes",
    vote,
    methods=["POST"],
    status_code=201,
    route_class_override=lean_json_route(
        Vote,
        _vote_lean,
        status_code=201,
        headers={"Cache-Control": "no-store"},
        accepts=lambda request: len(request.path_params["ref"]) <= 8,
    ),
)


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("secret internals: postgres://user:pw@db-host-7")


class SampleSettings(InternalAuthSettings):
    service_name: str = "sample"


@pytest.fixture(scope="session")
async def sample_db(database_backend: str) -> AsyncIterator[str]:
    async with temporary_database(database_backend) as database:
        yield database.url


@pytest.fixture
async def sample_app(sample_db: str, internal_keys: InternalKeys) -> AsyncIterator[FastAPI]:
    settings = SampleSettings(
        database_url=sample_db,
        internal_token_public_key=internal_keys.public_pem,
        max_body_bytes=2048,
    )
    app = create_service_app(
        settings=settings,
        title="sample",
        description="",
        routers=[router],
        secret_paths=(r"/v1/notes/[a-z]+/secrets",),
    )
    async with app.state.database.engine.begin() as connection:
        for metadata in (Base.metadata, idempotency_metadata, replica_metadata):
            await connection.run_sync(metadata.create_all)
    async with bind_to_connection(app.state.database):
        yield app
    async with app.state.database.engine.begin() as connection:
        for metadata in (Base.metadata, idempotency_metadata, replica_metadata):
            await connection.run_sync(metadata.drop_all)
    await app.state.database.dispose()


@pytest.fixture
async def client(sample_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(sample_app, "http://sample") as client:
        yield client
