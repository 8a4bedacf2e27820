"""Complementary suppression: a small unit cannot be worked out by subtracting the units shown
beside it from their parent, in the statistics, the benchmark or the hotspots."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sickleave_factories import post_records, put_staffing, record, role

from leko_kit.testing import InternalKeys
from leko_sickleave.kpis import complementary_suppression

pytestmark = pytest.mark.anyio

ANALYST = {"roles": ["analyst"], "scope": ["*"]}
MARCH = [202503]


@pytest.mark.parametrize(
    ("children", "own", "withheld"),
    [
        ({"a": 20, "b": 3}, 0, "a"),  # b alone unshown: hide the smallest shown child too
        ({"a": 20, "b": 8, "c": 3}, 0, "b"),
        ({"a": 20, "b": 3, "c": 2}, 0, None),  # two small children protect each other
        ({"a": 20, "b": 3}, 12, None),  # the parent's own employees are never shown alone
        ({"a": 20, "b": 9}, 2, "b"),  # the parent's own 2 employees are the small part
        ({"a": 20, "b": 9}, 0, None),  # nothing small
        ({"b": 3}, 0, None),  # nothing shown beside it (the parent is small itself)
        ({"a": 9, "b": 9, "c": 3}, 0, "a"),  # ties by code
    ],
)
def test_which_child_is_withheld(children: dict[str, int], own: int, withheld: str | None) -> None:
    monthly = {code: {202503: size} for code, size in children.items()}
    assert complementary_suppression(monthly, {202503: own} if own else {}, MARCH) == withheld


async def march(client: httpx.AsyncClient, keys: InternalKeys, org_code: str) -> Any:
    response = await client.get(
        "/v1/statistics",
        params={"org_code": org_code, "from": "2025-03", "to": "2025-04"},
        headers=keys.headers(**ANALYST),
    )
    assert response.status_code == 200, response.text
    return response.json()["series"]


async def test_the_sibling_of_a_small_unit_is_withheld_where_it_would_reveal_it(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    # March: the school 20 and the daycare 3 employees; April: the daycare has grown to 6.
    await put_staffing(client, internal_keys, "kbh-skole", "2025-03", 20, 20)
    await put_staffing(client, internal_keys, "kbh-skole", "2025-04", 20, 20)
    await put_staffing(client, internal_keys, "kbh-dagtilbud", "2025-03", 3, 3)
    await put_staffing(client, internal_keys, "kbh-dagtilbud", "2025-04", 6, 6)
    await post_records(client, internal_keys, [record(1), record(2, org_code="kbh-dagtilbud")])

    school_march, school_april = await march(client, internal_keys, "kbh-skole")
    assert school_march["suppressed"] is True and school_march["absence_days"] is None
    assert "complementary suppression" in school_march["reason"]
    assert school_april["suppressed"] is False
    daycare_march, _ = await march(client, internal_keys, "kbh-dagtilbud")
    assert daycare_march["reason"] == "fewer than 5 employees"
    municipality_march, _ = await march(client, internal_keys, "k101")
    assert municipality_march["absence_days"] == 10.0  # the total itself is shown

    # Staff of the municipality's own (12) make the difference unrevealing.
    await put_staffing(client, internal_keys, "k101", "2025-03", 12, 12)
    school_march, _ = await march(client, internal_keys, "kbh-skole")
    assert school_march["suppressed"] is False and school_march["absence_days"] == 5.0


async def test_benchmark_hotspots_and_targets_withhold_it_too(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    await put_staffing(client, internal_keys, "kbh-skole", "2025-03", 20, 20)
    await put_staffing(client, internal_keys, "kbh-dagtilbud", "2025-03", 3, 3)
    await post_records(client, internal_keys, [record(1)])
    response = await client.get(
        "/v1/benchmarks",
        params={"org_code": "kbh-skole", "year": 2025, "peers": "institution_type"},
        headers=internal_keys.headers(**ANALYST),
    )
    current = response.json()["current"]
    assert current["value"] is None and "complementary" in current["reason"]
    response = await client.get(
        "/v1/hotspots",
        params={"year": 2025, "min_employees": 5},
        headers=internal_keys.headers(**ANALYST),
    )
    assert response.json()["workplaces_compared"] == 0
    admin = role(internal_keys, "org_admin", "k101")
    assert (
        await client.put("/v1/targets/kbh-skole/2025", json={"days_per_fte": 9}, headers=admin)
    ).status_code == 201
    response = await client.get("/v1/targets/kbh-skole", headers=role(internal_keys, "leader"))
    (year,) = response.json()["years"]
    assert (year["status"], year["actual_days_per_fte"]) == ("withheld", None)
