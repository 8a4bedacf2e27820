"""Hotspots on hand-computed data: ranking by absence days per FTE, the minimum size, the
institution-type filter and medians, and that only analysts and national admins read them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sickleave_factories import add_institutions, post_records, put_staffing, record, role

from leko_kit.db import Database
from leko_kit.testing import InternalKeys

pytestmark = pytest.mark.anyio

ANALYST = {"roles": ["analyst"], "scope": ["*"]}


async def workplaces(client: httpx.AsyncClient, keys: InternalKeys, database: Database) -> None:
    """January 2025: frb-skole 1.5 days per FTE, kbh-skole 1.0 (one long-term spell),
    aar-skole 1.0 with 8 employees, the daycare aar-dag-1 0.2."""
    await add_institutions(database, "k751", "daycare", "aar-dag-1")
    for org, size in (("frb-skole", 30), ("kbh-skole", 20), ("aar-skole", 8), ("aar-dag-1", 25)):
        assert (await put_staffing(client, keys, org, "2025-01", size, size)).status_code == 201
    records = [
        # 15 working days 6–24 January, three employees: 45 days on 30 FTE
        *(
            record(n, org_code="frb-skole", start_date="2025-01-06", end_date="2025-01-24")
            for n in (1, 2, 3)
        ),
        # 6 January – 3 February (29 calendar days): 20 working days in January, on 20 FTE
        record(4, org_code="kbh-skole", start_date="2025-01-06", end_date="2025-02-03"),
        # 8 working days 6–15 January on 8 FTE
        record(5, org_code="aar-skole", start_date="2025-01-06", end_date="2025-01-15"),
        # 5 working days on 25 FTE
        record(6, org_code="aar-dag-1", start_date="2025-01-06", end_date="2025-01-10"),
    ]
    response = await post_records(client, keys, records, scope=("r1084", "r1082"))
    assert response.status_code == 200, response.text


async def hotspots(client: httpx.AsyncClient, keys: InternalKeys, **params: Any) -> Any:
    response = await client.get(
        "/v1/hotspots", params={"year": 2025, **params}, headers=keys.headers(**ANALYST)
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_highest_absence_first_with_the_type_median(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    await workplaces(client, internal_keys, database)
    body = await hotspots(client, internal_keys)
    assert (body["min_employees"], body["workplaces_compared"]) == (20, 3)
    ranked = [
        (item["rank"], item["org_code"], item["absence_days_per_fte"], item["long_term_spells"])
        for item in body["items"]
    ]
    assert ranked == [(1, "frb-skole", 1.5, 0), (2, "kbh-skole", 1.0, 1), (3, "aar-dag-1", 0.2, 0)]
    first = body["items"][0]
    assert first == {
        "rank": 1,
        "org_code": "frb-skole",
        "name": "Organisation frb-skole",
        "institution_type": "school",
        "parent_code": "k147",
        "municipality_code": None,
        "region_code": None,
        "employees": 30.0,
        "fte": 30.0,
        "absence_days_per_fte": 1.5,
        "absence_percentage": round(45 * 7.4 / (30 * 160.33) * 100, 4),
        "spells_per_fte": 0.1,
        "long_term_spells": 0,
        "type_median_days_per_fte": 1.25,  # schools of 20 or more: 1.5 and 1.0
    }
    assert body["items"][2]["type_median_days_per_fte"] == 0.2


async def test_size_type_and_limit(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    await workplaces(client, internal_keys, database)
    schools = await hotspots(client, internal_keys, institution_type="school", min_employees=5)
    assert [item["org_code"] for item in schools["items"]] == [
        "frb-skole",
        "aar-skole",  # 1.0 ties with kbh-skole; the code breaks the tie
        "kbh-skole",
    ]
    assert schools["items"][0]["type_median_days_per_fte"] == 1.0
    top = await hotspots(client, internal_keys, min_employees=5, limit=1)
    assert top["workplaces_compared"] == 4 and len(top["items"]) == 1
    assert (await hotspots(client, internal_keys, year=2024))["items"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"min_employees": 4},
        {"limit": 0},
        {"limit": 201},
        {"year": 1999},
        {"cause": "hangover"},
        {"institution_type": "x" * 65},
    ],
)
async def test_bad_hotspot_queries_are_422(
    client: httpx.AsyncClient, internal_keys: InternalKeys, params: dict[str, Any]
) -> None:
    response = await client.get(
        "/v1/hotspots", params={"year": 2025, **params}, headers=internal_keys.headers(**ANALYST)
    )
    assert response.status_code == 422


@pytest.mark.parametrize(
    ("name", "scope", "status"),
    [
        ("analyst", "*", 200),
        ("national_admin", "*", 200),
        ("org_admin", "k101", 403),
        ("reporter", "*", 403),
        ("leader", "kbh-skole", 403),
        ("researcher", "*", 403),
    ],
)
async def test_who_may_read_hotspots(
    client: httpx.AsyncClient, internal_keys: InternalKeys, name: str, scope: str, status: int
) -> None:
    response = await client.get(
        "/v1/hotspots", params={"year": 2025}, headers=role(internal_keys, name, scope)
    )
    assert response.status_code == status
    assert (await client.get("/v1/hotspots", params={"year": 2025})).status_code == 401
