"""Reporting staffing: single months with ETags, batches, subtree totals kept exact, and bad
input proving that nothing was stored."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sickleave_factories import TREE, put_staffing, reporter, role
from sickleave_reference import assert_exact, stored
from sqlalchemy import func, select

from leko_kit.db import Database
from leko_kit.testing import InternalKeys
from leko_sickleave.models import Staffing

pytestmark = pytest.mark.anyio

BODY = {"employees": 40, "fte": 36.5, "agreed_hours": 5_620.75}


async def assert_nothing_stored(database: Database) -> None:
    async with database.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(Staffing)) == 0
    assert not (await stored(database))["staffing_totals"]


async def test_put_creates_then_replaces_with_etags(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    path = "/v1/staffing/kbh-skole/2025-03"
    created = await client.put(path, json=BODY, headers=reporter(internal_keys))
    assert created.status_code == 201, created.text
    assert created.headers["location"] == path and created.headers["etag"] == '"v1"'
    assert created.json() == {"org_code": "kbh-skole", "month": "2025-03", **BODY}

    read = await client.get(path, headers=role(internal_keys, "org_admin"))
    assert read.json() == created.json() and read.headers["etag"] == '"v1"'

    same = await client.put(path, json=BODY, headers=reporter(internal_keys))
    assert same.status_code == 200 and same.headers["etag"] == '"v1"'
    changed = await client.put(
        path,
        json=BODY | {"employees": 41},
        headers=reporter(internal_keys) | {"If-Match": '"v1"'},
    )
    assert changed.status_code == 200 and changed.headers["etag"] == '"v2"'
    stale = await client.put(
        path, json=BODY | {"employees": 99}, headers=reporter(internal_keys) | {"If-Match": '"v1"'}
    )
    assert stale.status_code == 412
    assert (await client.get(path, headers=reporter(internal_keys))).json()["employees"] == 41
    await assert_exact(database)


async def test_subtree_totals_follow_corrections(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    await put_staffing(client, internal_keys, "kbh-skole", "2025-03", 40, 36, 5_500)
    await put_staffing(client, internal_keys, "kbh-dagtilbud", "2025-03", 25, 20.25, 3_000.5)
    await put_staffing(client, internal_keys, "kbh-skole", "2025-03", 42, 38, 6_000)
    totals = (await stored(database))["staffing_totals"]
    assert totals[("k101", 202503)] == (2, 67, 582_500, 900_050)
    assert totals[("r1084", 202503)] == totals[("*", 202503)] == totals[("k101", 202503)]
    await assert_exact(database)


async def test_batch_is_atomic_and_counts(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    records: list[dict[str, Any]] = [
        {"org_code": "kbh-skole", "month": f"2025-{month:02d}", **BODY} for month in (1, 2, 3)
    ]
    first = await client.post(
        "/v1/staffing/batch", json={"records": records}, headers=reporter(internal_keys)
    )
    assert first.status_code == 200, first.text
    assert first.json() == {"created": 3, "updated": 0, "unchanged": 0}
    records[0] = records[0] | {"fte": 30}
    records.append({"org_code": "k101", "month": "2025-01", **BODY})
    second = await client.post(
        "/v1/staffing/batch", json={"records": records}, headers=reporter(internal_keys)
    )
    assert second.json() == {"created": 1, "updated": 1, "unchanged": 2}
    await assert_exact(database)


async def test_a_full_batch_of_10000_months(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    """The documented maximum, stored and then sent again (every month looked up)."""
    records = [
        {"org_code": org, "month": f"{year}-{month:02d}", **BODY}
        for org, _, _ in TREE  # 9 organisations × 101 years × 12 months, the first 10,000
        for year in range(2000, 2101)
        for month in range(1, 13)
    ][:10_000]
    assert len(records) == 10_000
    headers = reporter(internal_keys, "r1084", "r1082")
    first = await client.post("/v1/staffing/batch", json={"records": records}, headers=headers)
    assert first.json() == {"created": 10_000, "updated": 0, "unchanged": 0}, first.text
    headers = reporter(internal_keys, "r1084", "r1082")
    again = await client.post("/v1/staffing/batch", json={"records": records}, headers=headers)
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 10_000}, again.text


BAD_BODIES = [
    pytest.param({"fte": 0}, "fte", id="zero-fte"),
    pytest.param({"fte": -3.5}, "fte", id="negative-fte"),
    pytest.param({"fte": 0.00001}, "fte", id="fte-rounds-to-zero"),
    pytest.param({"employees": 0}, "employees", id="no-employees"),
    pytest.param({"agreed_hours": 0}, "agreed_hours", id="zero-hours"),
    pytest.param({"employees": 4.5}, "employees", id="fractional-headcount"),
    pytest.param({"overtime": 3}, "overtime", id="unknown-field"),
]


@pytest.mark.parametrize(("change", "field"), BAD_BODIES)
async def test_bad_staffing_is_422_and_nothing_is_stored(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    change: dict[str, Any],
    field: str,
) -> None:
    response = await client.put(
        "/v1/staffing/kbh-skole/2025-03", json=BODY | change, headers=reporter(internal_keys)
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][-1] == field
    batch = await client.post(
        "/v1/staffing/batch",
        json={"records": [{"org_code": "kbh-skole", "month": "2025-03", **BODY | change}]},
        headers=reporter(internal_keys),
    )
    assert batch.status_code == 422
    assert batch.json()["errors"][0]["loc"] == ["body", "records", 0, field]
    await assert_nothing_stored(database)


@pytest.mark.parametrize("month", ["2025-13", "1999-12", "2101-01", "202503", "2025-3"])
async def test_a_month_outside_2000_2100_or_badly_written_is_422(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database, month: str
) -> None:
    response = await client.put(
        f"/v1/staffing/kbh-skole/{month}", json=BODY, headers=reporter(internal_keys)
    )
    assert response.status_code == 422
    batch = await client.post(
        "/v1/staffing/batch",
        json={"records": [{"org_code": "kbh-skole", "month": month, **BODY}]},
        headers=reporter(internal_keys),
    )
    assert batch.status_code == 422
    await assert_nothing_stored(database)


async def test_unknown_organisation_and_repeats_are_422(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    unknown = await client.put(
        "/v1/staffing/no-such-org/2025-03", json=BODY, headers=reporter(internal_keys, "*")
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["loc"] == ["path", "org_code"]
    record = {"org_code": "kbh-skole", "month": "2025-03", **BODY}
    batch = await client.post(
        "/v1/staffing/batch",
        json={"records": [record, {**record, "org_code": "nowhere"}, record]},
        headers=reporter(internal_keys),
    )
    assert batch.status_code == 422
    assert [error["loc"] for error in batch.json()["errors"]] == [
        ["body", "records", 1, "org_code"],
        ["body", "records", 2, "month"],
    ]
    await assert_nothing_stored(database)


async def test_writes_outside_scope_403_other_roles_403_no_token_401(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    path = "/v1/staffing/aar-skole/2025-03"
    assert (await client.put(path, json=BODY, headers=reporter(internal_keys))).status_code == 403
    records = [
        {"org_code": "kbh-skole", "month": "2025-03", **BODY},
        {"org_code": "aar-skole", "month": "2025-03", **BODY},
    ]
    batch = await client.post(
        "/v1/staffing/batch", json={"records": records}, headers=reporter(internal_keys)
    )
    assert batch.status_code == 403
    for name in ("national_admin", "org_admin", "analyst", "leader", "researcher"):
        response = await client.put(path, json=BODY, headers=role(internal_keys, name, "*"))
        assert response.status_code == 403, name
    assert (await client.put(path, json=BODY)).status_code == 401
    await assert_nothing_stored(database)


@pytest.mark.parametrize(
    ("name", "scope", "status"),
    [
        ("national_admin", "k751", 200),
        ("analyst", "k751", 200),
        ("org_admin", "k101", 200),
        ("org_admin", "kbh-skole", 200),
        ("reporter", "r1084", 200),
        ("leader", "k101", 200),
        ("org_admin", "k751", 404),
        ("reporter", "kbh-dagtilbud", 404),
        ("leader", "k147", 404),
        ("researcher", "*", 403),
    ],
)
async def test_reading_staffing_by_role_and_scope(
    client: httpx.AsyncClient, internal_keys: InternalKeys, name: str, scope: str, status: int
) -> None:
    await put_staffing(client, internal_keys, "kbh-skole", "2025-03")
    response = await client.get(
        "/v1/staffing/kbh-skole/2025-03", headers=role(internal_keys, name, scope)
    )
    assert response.status_code == status
    assert (await client.get("/v1/staffing/kbh-skole/2025-03")).status_code == 401
