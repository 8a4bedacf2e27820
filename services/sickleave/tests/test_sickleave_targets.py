"""Targets: setting them (scope, validation, versions), actual against target on
hand-computed data (a year in progress projected by working days, complete years, withheld
and missing data), the national goal of falling sick leave, and who may do what."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sickleave_factories import READ_CASES, post_records, put_staffing, record, role

from leko_kit.testing import InternalKeys

pytestmark = pytest.mark.anyio


def org_admin(keys: InternalKeys, *scope: str) -> dict[str, str]:
    return role(keys, "org_admin", *(scope or ("k101",)))


async def put_target(
    client: httpx.AsyncClient,
    keys: InternalKeys,
    org_code: str,
    year: int,
    days_per_fte: Any,
    *,
    caller: tuple[str, str] = ("org_admin", "k101"),
    **extra: str,
) -> httpx.Response:
    """PUT a target as `caller` (role, scope); a write's token is accepted once, so each
    call gets a new one."""
    return await client.put(
        f"/v1/targets/{org_code}/{year}",
        json={"days_per_fte": days_per_fte},
        headers=role(keys, *caller) | extra,
    )


async def tracking(client: httpx.AsyncClient, keys: InternalKeys, org_code: str) -> list[Any]:
    response = await client.get(f"/v1/targets/{org_code}", headers=role(keys, "analyst", "*"))
    assert response.status_code == 200, response.text
    years: list[Any] = response.json()["years"]
    return years


async def staff_year(client: httpx.AsyncClient, keys: InternalKeys, org: str, year: int) -> None:
    for month in range(1, 13):
        response = await put_staffing(client, keys, org, f"{year}-{month:02d}", 10, 10)
        assert response.status_code == 201


async def test_a_year_in_progress_is_projected_by_working_days(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    for month in ("2025-01", "2025-02", "2025-03"):
        await put_staffing(client, internal_keys, "kbh-skole", month, 10, 10)
    await post_records(
        client, internal_keys, [record(1, start_date="2025-01-06", end_date="2025-01-10")]
    )
    response = await put_target(client, internal_keys, "kbh-skole", 2025, 2.0)
    assert response.status_code == 201, response.text
    assert response.json()["days_per_fte"] == 2.0 and response.headers["etag"] == '"v1"'
    (year,) = await tracking(client, internal_keys, "kbh-skole")
    # 5 days on 10 FTE over January–March (22 + 20 + 21 = 63 working days); 2025 has 253
    # working days (261 weekdays less 8 holidays on weekdays): 0.5 × 253 / 63 = 2.0079.
    assert year == {
        "year": 2025,
        "target_days_per_fte": 2.0,
        "target_source": "set",
        "staffed_months": 3,
        "actual_days_per_fte": 0.5,
        "projected_days_per_fte": 2.0079,
        "previous_year_days_per_fte": None,
        "change_from_previous_year": None,
        "status": "off_track",
    }
    response = await put_target(client, internal_keys, "kbh-skole", 2025, 2.01)
    assert response.status_code == 200 and response.headers["etag"] == '"v2"'
    (year,) = await tracking(client, internal_keys, "kbh-skole")
    assert (year["target_days_per_fte"], year["status"]) == (2.01, "on_track")


async def test_complete_years_withheld_and_missing_data(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    await staff_year(client, internal_keys, "kbh-dagtilbud", 2024)
    await staff_year(client, internal_keys, "kbh-dagtilbud", 2025)
    await post_records(
        client,
        internal_keys,
        [
            record(1, org_code="kbh-dagtilbud", start_date="2024-01-08", end_date="2024-01-19"),
            record(2, org_code="kbh-dagtilbud", start_date="2025-01-06", end_date="2025-01-10"),
        ],
    )
    await put_staffing(client, internal_keys, "aar-skole", "2025-01", 4, 4)
    for org, year, target, scope in (
        ("kbh-dagtilbud", 2025, 0.6, "k101"),
        ("kbh-dagtilbud", 2026, 9, "k101"),
        ("aar-skole", 2025, 9, "k751"),
    ):
        caller = ("org_admin", scope)
        response = await put_target(client, internal_keys, org, year, target, caller=caller)
        assert response.status_code == 201
    this_year, next_year = await tracking(client, internal_keys, "kbh-dagtilbud")
    assert this_year | {"year": 2025} == {
        "year": 2025,
        "target_days_per_fte": 0.6,
        "target_source": "set",
        "staffed_months": 12,
        "actual_days_per_fte": 0.5,
        "projected_days_per_fte": 0.5,
        "previous_year_days_per_fte": 1.0,  # 10 working days 8–19 January 2024
        "change_from_previous_year": -0.5,
        "status": "on_track",
    }
    assert (next_year["status"], next_year["staffed_months"]) == ("no_data", 0)
    (small,) = await tracking(client, internal_keys, "aar-skole")
    assert (small["status"], small["actual_days_per_fte"]) == ("withheld", None)
    # A municipality's target covers its institutions.
    assert (await put_target(client, internal_keys, "k101", 2025, 0.4)).status_code == 201
    (municipality,) = await tracking(client, internal_keys, "k101")
    assert municipality["staffed_months"] == 12 and municipality["status"] == "off_track"


async def test_national_goal_is_falling_sick_leave(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    await staff_year(client, internal_keys, "kbh-dagtilbud", 2024)
    await staff_year(client, internal_keys, "kbh-dagtilbud", 2025)
    await post_records(
        client,
        internal_keys,
        [
            record(1, org_code="kbh-dagtilbud", start_date="2024-01-08", end_date="2024-01-19"),
            record(2, org_code="kbh-dagtilbud", start_date="2025-01-06", end_date="2025-01-10"),
        ],
    )
    response = await client.get("/v1/targets/national", params={"from": 2024, "to": 2025})
    assert response.status_code == 200, response.text  # public
    body = response.json()
    assert (body["org_code"], body["cause"]) == ("national", "own_sickness")
    first, second = body["years"]
    assert (first["status"], first["target_days_per_fte"], first["actual_days_per_fte"]) == (
        "no_target",
        None,
        1.0,
    )
    assert second["target_source"] == "previous_year"
    assert (second["target_days_per_fte"], second["status"]) == (1.0, "on_track")

    national_admin = role(internal_keys, "national_admin", "*")
    assert (
        await client.put(
            "/v1/targets/national/2025",
            json={"days_per_fte": 0.4},
            headers=org_admin(internal_keys),
        )
    ).status_code == 403
    response = await client.put(
        "/v1/targets/national/2025", json={"days_per_fte": 0.4}, headers=national_admin
    )
    assert response.status_code == 201 and response.json()["org_code"] == "national"
    response = await client.get("/v1/targets/national", params={"from": 2025, "to": 2025})
    (year,) = response.json()["years"]
    assert (year["target_source"], year["status"]) == ("set", "off_track")
    bad = await client.get("/v1/targets/national", params={"from": 2025, "to": 2024})
    assert bad.status_code == 422


async def test_if_match_guards_against_lost_updates(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    await put_target(client, internal_keys, "k101", 2026, 10)
    response = await put_target(client, internal_keys, "k101", 2026, 9.5, **{"if-match": '"v1"'})
    assert response.status_code == 200
    stale = await put_target(client, internal_keys, "k101", 2026, 9, **{"if-match": '"v1"'})
    assert stale.status_code == 412 and stale.json()["current_etag"] == '"v2"'
    (year,) = await tracking(client, internal_keys, "k101")
    assert year["target_days_per_fte"] == 9.5


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"days_per_fte": 0},
        {"days_per_fte": -1},
        {"days_per_fte": 100.01},
        {"days_per_fte": 10.555},
        {"days_per_fte": "ten"},
        {"days_per_fte": None},
        {"days_per_fte": 10, "cause": "own_sickness"},
    ],
)
async def test_bad_targets_are_422_and_store_nothing(
    client: httpx.AsyncClient, internal_keys: InternalKeys, body: dict[str, Any]
) -> None:
    response = await client.put(
        "/v1/targets/k101/2026", json=body, headers=org_admin(internal_keys)
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert await tracking(client, internal_keys, "k101") == []


async def test_bad_years_and_unknown_organisations(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    admin = ("national_admin", "*")
    assert (
        await put_target(client, internal_keys, "k101", 1999, 9, caller=admin)
    ).status_code == 422
    assert (
        await put_target(client, internal_keys, "k101", 2101, 9, caller=admin)
    ).status_code == 422
    unknown = await put_target(client, internal_keys, "no-such-org", 2026, 9, caller=admin)
    assert unknown.status_code == 422
    assert unknown.json()["errors"] == [
        {"loc": ["path", "org_code"], "message": "unknown organisation"}
    ]


@pytest.mark.parametrize(("name", "scope", "org_code", "status"), READ_CASES)
async def test_who_may_read_targets(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    name: str,
    scope: str,
    org_code: str,
    status: int,
) -> None:
    response = await client.get(f"/v1/targets/{org_code}", headers=role(internal_keys, name, scope))
    assert response.status_code == status, response.text
    assert (await client.get(f"/v1/targets/{org_code}")).status_code == 401
