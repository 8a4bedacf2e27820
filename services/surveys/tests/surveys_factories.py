"""Small factories for surveys tests: replica organisations, callers' headers, rounds,
enrolments and answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select

from leko_kit.db import Database
from leko_kit.tables import ReplicatedOrganisation
from leko_kit.testing import InternalKeys
from leko_surveys.seed import seed_data

# (code, parent, kind, sector, institution type)
TREE: list[tuple[str, str | None, str, str, str | None]] = [
    ("r1084", None, "region", "region", None),
    ("rh-genoptraening", "r1084", "institution", "region", "rehabilitation"),
    ("k101", "r1084", "municipality", "municipality", None),
    ("kbh-dag-1", "k101", "institution", "municipality", "daycare"),
    ("kbh-dag-2", "k101", "institution", "municipality", "daycare"),
    ("kbh-dag-3", "k101", "institution", "municipality", "daycare"),
    ("kbh-skole", "k101", "institution", "municipality", "school"),
    ("k147", "r1084", "municipality", "municipality", None),
    ("frb-dag-1", "k147", "institution", "municipality", "daycare"),
    ("frb-dag-2", "k147", "institution", "municipality", "daycare"),
    ("state", None, "ministry", "state", None),
    ("kriminalforsorgen", "state", "agency", "state", None),
]

BEFORE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OPENS = "2026-03-02T07:00:00Z"
DURING = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CLOSES = "2026-03-27T15:00:00Z"
AFTER = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = field(default=BEFORE)

    def __call__(self) -> datetime:
        return self.now


def organisation(
    code: str, parent: str | None, kind: str, sector: str, institution_type: str | None
) -> ReplicatedOrganisation:
    return ReplicatedOrganisation(
        code=code,
        name=f"Organisation {code}",
        sector=sector,
        kind=kind,
        parent_code=parent,
        institution_type=institution_type,
        seq=1,
    )


def role(keys: InternalKeys, name: str, *scope: str) -> dict[str, str]:
    return keys.headers(roles=[name], scope=scope or ("k101",), client_id=f"{name}-client")


def admin(keys: InternalKeys) -> dict[str, str]:
    return role(keys, "national_admin", "*")


def round_body(**fields: Any) -> dict[str, Any]:
    return {"programme": "daycare", "year": 2026, "opens_at": OPENS, "closes_at": CLOSES} | fields


async def create_round(
    client: httpx.AsyncClient, keys: InternalKeys, **fields: Any
) -> dict[str, Any]:
    response = await client.post("/v1/rounds", json=round_body(**fields), headers=admin(keys))
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def enrol(
    client: httpx.AsyncClient,
    keys: InternalKeys,
    round_id: int,
    org_code: str,
    invitations: int = 3,
    scope: str = "k101",
    **fields: Any,
) -> list[str]:
    response = await client.post(
        f"/v1/rounds/{round_id}/participants",
        json={"org_code": org_code, "invitations": invitations} | fields,
        headers=role(keys, "org_admin", scope),
    )
    assert response.status_code == 201, response.text
    tokens: list[str] = response.json()["tokens"]
    return tokens


def questions(programme: str = "daycare") -> list[dict[str, Any]]:
    found = next(p for p in seed_data() if p["code"] == programme)
    result: list[dict[str, Any]] = found["questions"]
    return result


def answers(
    programme: str = "daycare", value: int | None = 4, **overrides: int | str | None
) -> list[dict[str, Any]]:
    """An answer to every national question: `value` for scale questions, the first option
    for choice questions; `overrides` by question id (underscores for dashes)."""
    chosen: list[dict[str, Any]] = []
    for question in questions(programme):
        default = value if question["kind"] == "scale" else question["options"][0]["value"]
        key = question["id"].replace("-", "_")
        chosen.append({"question_id": question["id"], "value": overrides.get(key, default)})
    return chosen


async def respond(
    client: httpx.AsyncClient, token: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    return await client.post(
        f"/v1/invitations/{token}/responses", json=body or {"answers": answers()}
    )


def record(
    external_id: str,
    org_code: str,
    value: int | None = 4,
    programme: str = "daycare",
    **overrides: Any,
) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "org_code": org_code,
        "answers": answers(programme, value=value, **overrides),
    }


async def import_values(
    client: httpx.AsyncClient,
    keys: InternalKeys,
    round_id: int,
    org_code: str,
    values: list[int | None],
    *,
    prefix: str = "",
    scope: str = "r1084",
    programme: str = "daycare",
) -> None:
    """One imported response per value (every scale question gets that value)."""
    records = [
        record(f"{prefix}{org_code}-{index}", org_code, value, programme)
        for index, value in enumerate(values)
    ]
    response = await client.post(
        f"/v1/rounds/{round_id}/responses/batch",
        json={"responses": records},
        headers=role(keys, "reporter", scope),
    )
    assert response.status_code == 200, response.text


async def count(database: Database, model: Any) -> int:
    async with database.read_session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)
