"""Small factories for sick-leave tests: replica organisations, records, callers' headers."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import httpx
from sqlalchemy import func, select

from leko_kit.db import Database
from leko_kit.tables import ReplicatedOrganisation
from leko_kit.testing import InternalKeys
from leko_sickleave.absences.schemas import FIELDS
from leko_sickleave.models import Spell

# The replica every test starts from: two regions, three municipalities, four institutions.
TREE: list[tuple[str, str | None, str]] = [
    ("r1084", None, "region"),
    ("k101", "r1084", "municipality"),
    ("kbh-skole", "k101", "institution"),
    ("kbh-dagtilbud", "k101", "institution"),
    ("k147", "r1084", "municipality"),
    ("frb-skole", "k147", "institution"),
    ("r1082", None, "region"),
    ("k751", "r1082", "municipality"),
    ("aar-skole", "k751", "institution"),
]


def organisation(
    code: str, parent: str | None, kind: str = "institution", institution_type: str = "school"
) -> ReplicatedOrganisation:
    sector = "region" if code.startswith("r") else "municipality"
    return ReplicatedOrganisation(
        code=code,
        name=f"Organisation {code}",
        sector=sector,
        kind=kind,
        parent_code=parent,
        institution_type=institution_type if kind == "institution" else None,
        seq=1,
    )


async def add_institutions(
    database: Database, parent: str, institution_type: str, *codes: str
) -> None:
    """More institutions in the replica, inside the test's rolled-back transaction."""
    async with database.session() as session:
        session.add_all(
            organisation(code, parent, "institution", institution_type) for code in codes
        )


# Who may read an organisation's figures: (role, scope, organisation, status). National roles
# read anywhere, the others within their scope; an organisation out of sight is 404.
READ_CASES: list[tuple[str, str, str, int]] = [
    ("national_admin", "k751", "kbh-skole", 200),
    ("analyst", "k751", "r1084", 200),
    ("org_admin", "k101", "kbh-skole", 200),
    ("reporter", "r1084", "k101", 200),
    ("leader", "kbh-skole", "kbh-skole", 200),
    ("org_admin", "kbh-skole", "k101", 404),  # a parent is outside a child's scope
    ("reporter", "k751", "kbh-skole", 404),
    ("leader", "k147", "k101", 404),
    ("analyst", "*", "no-such-org", 404),
    ("researcher", "*", "k101", 403),
]


def record(number: int = 1, **fields: Any) -> dict[str, Any]:
    """An absence record; the defaults are a closed week of own sickness at kbh-skole."""
    return {
        "source_system": "test-payroll",
        "source_record_id": f"r-{number}",
        "employee_ref": f"e-{number}",
        "org_code": "kbh-skole",
        "job_group": "lærer",
        "cause": "own_sickness",
        "start_date": "2025-03-03",
        "end_date": "2025-03-07",
        "fraction": 1,
    } | fields


def as_csv(records: Iterable[dict[str, Any]], fields: Iterable[str] = FIELDS) -> bytes:
    names = list(fields)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for item in records:
        writer.writerow(["" if item.get(name) is None else item.get(name) for name in names])
    return buffer.getvalue().encode()


def reporter(keys: InternalKeys, *scope: str) -> dict[str, str]:
    return keys.headers(roles=["reporter"], scope=scope or ("k101",), client_id="payroll")


def role(keys: InternalKeys, name: str, *scope: str) -> dict[str, str]:
    return keys.headers(roles=[name], scope=scope or ("k101",), client_id=f"{name}-client")


async def post_records(
    client: httpx.AsyncClient,
    keys: InternalKeys,
    records: list[dict[str, Any]],
    *,
    scope: tuple[str, ...] = ("k101",),
) -> httpx.Response:
    return await client.post(
        "/v1/absences/batch", json={"records": records}, headers=reporter(keys, *scope)
    )


async def post_body(
    client: httpx.AsyncClient,
    keys: InternalKeys,
    content: bytes | Any,
    content_type: str,
    *,
    scope: tuple[str, ...] = ("k101",),
) -> httpx.Response:
    headers = reporter(keys, *scope) | {"content-type": content_type}
    return await client.post("/v1/absences/batch", content=content, headers=headers)


async def put_staffing(
    client: httpx.AsyncClient,
    keys: InternalKeys,
    org_code: str,
    month: str,
    employees: int = 10,
    fte: float = 10.0,
    agreed_hours: float | None = None,
) -> httpx.Response:
    body = {
        "employees": employees,
        "fte": fte,
        "agreed_hours": agreed_hours if agreed_hours is not None else fte * 160.33,
    }
    return await client.put(
        f"/v1/staffing/{org_code}/{month}", json=body, headers=reporter(keys, org_code)
    )


async def spell_count(database: Database) -> int:
    async with database.read_session() as session:
        return int(await session.scalar(select(func.count()).select_from(Spell)) or 0)
