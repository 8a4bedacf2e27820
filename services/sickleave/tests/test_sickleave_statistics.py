"""The absence KPIs on small hand-computed data sets, suppression, and who may read them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sickleave_factories import READ_CASES, post_records, put_staffing, record, reporter, role
from sickleave_reference import assert_exact

from leko_kit.db import Database
from leko_kit.testing import InternalKeys

pytestmark = pytest.mark.anyio

ANALYST = {"roles": ["analyst"], "scope": ["*"]}


async def kpis(
    client: httpx.AsyncClient,
    keys: InternalKeys,
    org_code: str | None,
    first: str,
    last: str,
    granularity: str = "month",
    **params: str,
) -> list[dict[str, Any]]:
    query = {"from": first, "to": last, "granularity": granularity, **params}
    if org_code is not None:
        query["org_code"] = org_code
    response = await client.get("/v1/statistics", params=query, headers=keys.headers(**ANALYST))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["org_code"] == (org_code or "*") and body["granularity"] == granularity
    series: list[dict[str, Any]] = body["series"]
    return series


async def test_easter_week_weekend_and_half_days(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    await put_staffing(client, internal_keys, "kbh-skole", "2025-04", 10, 8, 1_200)
    await put_staffing(client, internal_keys, "kbh-skole", "2025-05", 10, 8, 1_200)
    response = await post_records(
        client,
        internal_keys,
        [
            # Mon 14 – Tue 22 April 2025: Skærtorsdag, Langfredag, the weekend and 2. påskedag
            # leave 14, 15, 16 and 22 April: 4 days; 9 calendar days.
            record(1, start_date="2025-04-14", end_date="2025-04-22"),
            # A weekend: a spell of 2 calendar days without an absence day.
            record(2, start_date="2025-04-05", end_date="2025-04-06"),
            # Half days Mon 28 April – Fri 2 May: 3 × 0.5 in April, 2 × 0.5 in May.
            record(3, start_date="2025-04-28", end_date="2025-05-02", fraction=0.5),
        ],
    )
    assert response.status_code == 200, response.text
    april, may = await kpis(client, internal_keys, "kbh-skole", "2025-04", "2025-05")
    assert april == {
        "period": "2025-04",
        "suppressed": False,
        "reason": None,
        "staffed_months": 1,
        "employees": 10.0,
        "fte": 8.0,
        "absence_days": 5.5,
        "absence_days_per_fte": 0.6875,
        "absence_percentage": 3.3917,  # 5.5 × 7.4 / 1,200 × 100
        "spells": 3,
        "spells_per_fte": 0.375,
        "length_distribution": {"1-3": 1, "4-14": 2, "15-28": 0, "29+": 0},
        "top5_share": 0.7273,  # ceil(5% × 10) = 1 employee: 4 of 5.5 days
    }
    assert (may["absence_days"], may["spells"], may["top5_share"]) == (1.0, 0, 1.0)
    # The municipality and the country see the same spells.
    (municipality,) = await kpis(client, internal_keys, "k101", "2025-04", "2025-04")
    (country,) = await kpis(client, internal_keys, None, "2025-04", "2025-04")
    assert municipality == country == april | {"period": "2025-04"}
    await assert_exact(database)


async def test_open_spell_over_new_year_then_closed_then_deleted(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    for month in ("2024-12", *(f"2025-{number:02d}" for number in range(1, 13)), "2026-01"):
        await put_staffing(client, internal_keys, "kbh-dagtilbud", month, 20, 16, 2_400)
    await post_records(
        client,
        internal_keys,
        [record(1, org_code="kbh-dagtilbud", start_date="2024-12-20", end_date=None)],
    )
    december, january = await kpis(client, internal_keys, "k101", "2024-12", "2025-01")
    # 20, 23, 24, 27, 30 and 31 December; the open spell is 12 days long at the month's end.
    assert december["absence_days"] == 6.0 and december["spells"] == 1
    assert december["length_distribution"] == {"1-3": 0, "4-14": 1, "15-28": 0, "29+": 0}
    # January 2025: 22 working days, no spell starting.
    assert (january["absence_days"], january["spells"]) == (22.0, 0)
    # Counted up to the horizon, 31 December 2025 (253 working days), and no further.
    (year_2024,) = await kpis(client, internal_keys, "k101", "2024-01", "2024-12", "year")
    (year_2025,) = await kpis(client, internal_keys, "k101", "2025-01", "2025-12", "year")
    (january_2026,) = await kpis(client, internal_keys, "k101", "2026-01", "2026-01")
    assert year_2024["absence_days"] == 6.0
    assert year_2024["length_distribution"]["4-14"] == 1
    assert (year_2025["absence_days"], year_2025["spells"]) == (253.0, 0)
    assert year_2025["absence_days_per_fte"] == round(253 / 16, 4)
    assert year_2025["absence_percentage"] == round(253 * 7.4 / (12 * 2_400) * 100, 4)
    assert january_2026["absence_days"] == 0.0 and january_2026["top5_share"] is None
    await assert_exact(database)

    # Closed on Friday 10 January 2025: 22 calendar days, 6 + 7 working days.
    await post_records(
        client,
        internal_keys,
        [record(1, org_code="kbh-dagtilbud", start_date="2024-12-20", end_date="2025-01-10")],
    )
    december, january = await kpis(client, internal_keys, "k101", "2024-12", "2025-01")
    assert (december["absence_days"], january["absence_days"]) == (6.0, 7.0)
    assert december["length_distribution"] == {"1-3": 0, "4-14": 0, "15-28": 1, "29+": 0}
    await assert_exact(database)

    deleted = await client.delete("/v1/absences/test-payroll/r-1", headers=reporter(internal_keys))
    assert deleted.status_code == 204
    december, january = await kpis(client, internal_keys, "k101", "2024-12", "2025-01")
    assert december["absence_days"] == january["absence_days"] == 0.0
    assert december["spells"] == 0 and december["length_distribution"]["15-28"] == 0
    await assert_exact(database)


async def test_quarter_means_and_long_spells_across_months(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    for month, employees in (("2025-01", 10), ("2025-02", 20), ("2025-03", 30)):
        await put_staffing(client, internal_keys, "kbh-skole", month, employees, employees, 1_000)
    # 1 January – 31 March 2025 is 63 working days; 90 calendar days (29+).
    await post_records(
        client, internal_keys, [record(1, start_date="2025-01-01", end_date="2025-03-31")]
    )
    (quarter,) = await kpis(client, internal_keys, "kbh-skole", "2025-02", "2025-02", "quarter")
    assert quarter["period"] == "2025-Q1" and quarter["staffed_months"] == 3
    assert (quarter["employees"], quarter["fte"]) == (20.0, 20.0)
    assert quarter["absence_days"] == 63.0 and quarter["absence_days_per_fte"] == 3.15
    assert quarter["absence_percentage"] == round(63 * 7.4 / 3_000 * 100, 4)
    assert quarter["length_distribution"]["29+"] == 1 and quarter["top5_share"] == 1.0
    months = await kpis(client, internal_keys, "kbh-skole", "2025-01", "2025-03")
    assert [month["absence_days"] for month in months] == [22.0, 20.0, 21.0]
    assert [month["spells"] for month in months] == [1, 0, 0]


async def test_top5_share_ranks_the_most_absent_employees(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    await put_staffing(client, internal_keys, "kbh-skole", "2025-03", 40, 40, 6_000)
    # Employees 1–5 are absent 1–5 working days from Monday 3 March; ceil(5% × 40) = 2.
    batch = [
        record(number, start_date="2025-03-03", end_date=f"2025-03-0{2 + number}")
        for number in range(1, 6)
    ]
    await post_records(client, internal_keys, batch)
    (march,) = await kpis(client, internal_keys, "kbh-skole", "2025-03", "2025-03")
    assert march["absence_days"] == 15.0 and march["top5_share"] == 0.6  # (5 + 4) / 15
    (year,) = await kpis(client, internal_keys, "kbh-skole", "2025-01", "2025-12", "year")
    assert year["top5_share"] == 0.6
    (country,) = await kpis(client, internal_keys, None, "2025-01", "2025-12", "year")
    assert country["top5_share"] == 0.6


async def test_the_national_top5_share_takes_tied_employees_only_as_often_as_needed(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    for month in range(1, 13):  # a fully staffed year is ranked from the distribution
        await put_staffing(client, internal_keys, "kbh-skole", f"2025-{month:02d}", 40, 40, 6_000)
    # Employees 1–3 are absent 5 working days each, employee 4 one day; ceil(5% × 40) = 2, so
    # two of the three tied employees count: 10 of 16 days.
    batch = [
        record(number, start_date="2025-03-03", end_date="2025-03-07") for number in range(1, 4)
    ]
    batch.append(record(4, start_date="2025-03-03", end_date="2025-03-03"))
    await post_records(client, internal_keys, batch)
    (country,) = await kpis(client, internal_keys, None, "2025-01", "2025-12", "year")
    assert country["absence_days"] == 16.0 and country["top5_share"] == 0.625
    # A cancelled spell leaves the count of its employee's total.
    response = await client.delete(
        "/v1/absences/test-payroll/r-1", headers=reporter(internal_keys, "*")
    )
    assert response.status_code == 204
    (country,) = await kpis(client, internal_keys, None, "2025-01", "2025-12", "year")
    assert country["absence_days"] == 11.0 and country["top5_share"] == round(10 / 11, 4)


async def test_causes_are_separate(client: httpx.AsyncClient, internal_keys: InternalKeys) -> None:
    await put_staffing(client, internal_keys, "kbh-skole", "2025-03", 10, 10, 1_500)
    await post_records(
        client, internal_keys, [record(1), record(2, cause="child_sickness", end_date="2025-03-03")]
    )
    (own,) = await kpis(client, internal_keys, "kbh-skole", "2025-03", "2025-03")
    (child,) = await kpis(
        client, internal_keys, "kbh-skole", "2025-03", "2025-03", cause="child_sickness"
    )
    assert (own["absence_days"], child["absence_days"]) == (5.0, 1.0)


async def test_small_units_are_suppressed_and_say_why(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    await put_staffing(client, internal_keys, "kbh-skole", "2025-03", 4, 4, 600)
    await put_staffing(client, internal_keys, "kbh-dagtilbud", "2025-03", 30, 25, 3_700)
    await post_records(client, internal_keys, [record(1)])
    (small,) = await kpis(client, internal_keys, "kbh-skole", "2025-03", "2025-03")
    assert small["suppressed"] is True and small["reason"] == "fewer than 5 employees"
    assert all(small[name] is None for name in ("employees", "absence_days", "top5_share"))
    (unstaffed,) = await kpis(client, internal_keys, "kbh-skole", "2025-04", "2025-04")
    assert unstaffed["suppressed"] and "no staffing" in unstaffed["reason"]
    (municipality,) = await kpis(client, internal_keys, "k101", "2025-03", "2025-03")
    assert municipality["suppressed"] is False and municipality["employees"] == 34.0


async def test_national_year_is_public(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    await put_staffing(client, internal_keys, "kbh-skole", "2025-03", 10, 10, 1_500)
    await post_records(client, internal_keys, [record(1)])
    response = await client.get("/v1/statistics/national", params={"year": 2025})
    assert response.status_code == 200
    body = response.json()
    assert (body["org_code"], body["granularity"], body["cause"]) == ("*", "year", "own_sickness")
    (year,) = body["series"]
    assert year["period"] == "2025" and year["absence_days"] == 5.0
    assert (await client.get("/v1/statistics/national", params={"year": 1999})).status_code == 422


@pytest.mark.parametrize(("name", "scope", "org_code", "status"), READ_CASES)
async def test_who_may_read_statistics(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    name: str,
    scope: str,
    org_code: str,
    status: int,
) -> None:
    params = {"org_code": org_code, "from": "2025-01", "to": "2025-03"}
    response = await client.get(
        "/v1/statistics", params=params, headers=role(internal_keys, name, scope)
    )
    assert response.status_code == status, response.text
    assert (await client.get("/v1/statistics", params=params)).status_code == 401


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2025-03", "to": "2025-01"},
        {"from": "2025-13", "to": "2025-12"},
        {"from": "1999-12", "to": "2000-01"},
        {"from": "2000-01", "to": "2010-01"},
        {"from": "2025-01", "to": "2025-02", "granularity": "week"},
        {"from": "2025-01", "to": "2025-02", "cause": "hangover"},
        {"to": "2025-02"},
    ],
)
async def test_bad_statistics_queries_are_422(
    client: httpx.AsyncClient, internal_keys: InternalKeys, params: dict[str, str]
) -> None:
    response = await client.get(
        "/v1/statistics", params=params, headers=internal_keys.headers(**ANALYST)
    )
    assert response.status_code == 422
