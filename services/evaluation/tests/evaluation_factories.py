"""Small factories for evaluation tests: replica organisations, callers' headers, rounds,
leaders and answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import func, select

from leko_evaluation.statistics.service import count_due_rounds
from leko_kit.db import Database
from leko_kit.tables import ReplicatedOrganisation
from leko_kit.testing import InternalKeys

# (code, parent, kind, sector)
TREE: list[tuple[str, str | None, str, str]] = [
    ("r1084", None, "region", "region"),
    ("k101", "r1084", "municipality", "municipality"),
    ("kbh-skole", "k101", "institution", "municipality"),
    ("kbh-dagtilbud", "k101", "institution", "municipality"),
    ("k147", "r1084", "municipality", "municipality"),
    ("frb-skole", "k147", "institution", "municipality"),
    ("r1082", None, "region", "region"),
    ("rm-hospital", "r1082", "institution", "region"),
    ("state", None, "ministry", "state"),
    ("kriminalforsorgen", "state", "agency", "state"),
]

BEFORE = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OPENS = "2026-03-02T07:00:00Z"
DURING = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CLOSES = "2026-03-27T15:00:00Z"
AFTER = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
CORE = [f"core-{i:02d}" for i in range(1, 9)]


@dataclass
class Clock:
    now: datetime = field(default=BEFORE)
    database: Database | None = None  # the app's, to count closed rounds as its task does

    def __call__(self) -> datetime:
        return self.now

    async def pass_close(self) -> None:
        """Move past the default round's close, and count the rounds that closed into the
        national totals, as the service's counting task does every few seconds."""
        self.now = AFTER
        assert self.database is not None, "the clock fixture gives the app's database"
        async with self.database.session() as session:
            await count_due_rounds(session, now=AFTER)


def organisation(
    code: str, parent: str | None, kind: str = "institution", sector: str = "municipality"
) -> ReplicatedOrganisation:
    return ReplicatedOrganisation(
        code=code,
        name=f"Organisation {code}",
        sector=sector,
        kind=kind,
        parent_code=parent,
        institution_type="school" if kind == "institution" else None,
        seq=1,
    )


def org_admin(keys: InternalKeys, *scope: str) -> dict[str, str]:
    return keys.headers(roles=["org_admin"], scope=scope or ("k101",), client_id="hr-k101")


def role(
    keys: InternalKeys, name: str, *scope: str, leader_ref: str | None = None
) -> dict[str, str]:
    return keys.headers(
        roles=[name], scope=scope or ("k101",), client_id=f"{name}-client", leader_ref=leader_ref
    )


def round_body(**fields: Any) -> dict[str, Any]:
    return {
        "org_code": "k101",
        "name": "Ledelsesevaluering 2026",
        "opens_at": OPENS,
        "closes_at": CLOSES,
        "themes": ["direction", "trust"],
        "local_questions": [{"text_da": "Lederen understøtter den nye skolereform."}],
        "anonymity_threshold": 5,
    } | fields


def leader(
    ref: str,
    org_code: str = "kbh-skole",
    level: str = "first_line",
    **respondents: int,
) -> dict[str, Any]:
    counts = {"employee": 6, "peer": 0, "superior": 1, "self": 1}
    counts.update(respondents)
    return {
        "leader_ref": ref,
        "display_name": f"Leder {ref}",
        "org_code": org_code,
        "level": level,
        "respondents": counts,
    }


async def create_round(
    client: httpx.AsyncClient, keys: InternalKeys, scope: tuple[str, ...] = ("k101",), **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        "/v1/evaluations", json=round_body(**fields), headers=org_admin(keys, *scope)
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def add_leaders(
    client: httpx.AsyncClient,
    keys: InternalKeys,
    evaluation_id: int,
    *leaders: dict[str, Any],
    scope: tuple[str, ...] = ("k101",),
) -> dict[str, dict[str, list[str]]]:
    """Add leaders; returns tokens per leader_ref and group."""
    response = await client.post(
        f"/v1/evaluations/{evaluation_id}/leaders",
        json={"leaders": list(leaders)},
        headers=org_admin(keys, *scope),
    )
    assert response.status_code == 201, response.text
    tokens: dict[str, dict[str, list[str]]] = {}
    for item in response.json()["leaders"]:
        groups = tokens.setdefault(item["leader_ref"], {})
        for invitation in item["invitations"]:
            groups.setdefault(invitation["group"], []).append(invitation["token"])
    return tokens


def answers(values: dict[str, int | None] | None = None, default: int | None = 3) -> dict[str, Any]:
    """Every core question (with `default`), overridden or extended by `values`."""
    merged: dict[str, int | None] = dict.fromkeys(CORE, default) | (values or {})
    return {"answers": [{"question_id": q, "value": v} for q, v in merged.items()]}


async def respond(
    client: httpx.AsyncClient, token: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    return await client.post(f"/v1/invitations/{token}/responses", json=body or answers())


async def count(database: Database, model: Any) -> int:
    async with database.read_session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)
