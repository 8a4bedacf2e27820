"""The leader benchmark on hand-computed data: peer median, quartiles, percentile rank, trend,
the anonymity rules for small units and small peer sets, and who may read it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sickleave_factories import (
    READ_CASES,
    add_institutions,
    post_records,
    put_staffing,
    record,
    role,
)

from leko_kit.db import Database
from leko_kit.testing import InternalKeys

pytestmark = pytest.mark.anyio

ANALYST = {"roles": ["analyst"], "scope": ["*"]}
DAYCARES = [f"aar-dag-{number}" for number in range(1, 7)]
# Working days from Monday 6 January 2025: 1–5 in that week, the 6th on Monday the 13th.
SPELL_ENDS = ["2025-01-06", "2025-01-07", "2025-01-08", "2025-01-09", "2025-01-10", "2025-01-13"]


async def daycares_with_absence(
    client: httpx.AsyncClient, keys: InternalKeys, database: Database, count: int = 6
) -> None:
    """`count` daycares under k751, 10 FTE each in January 2025; daycare n has n absence days
    (0.1 × n days per FTE)."""
    await add_institutions(database, "k751", "daycare", *DAYCARES[:count])
    records = []
    for number, code in enumerate(DAYCARES[:count], start=1):
        assert (await put_staffing(client, keys, code, "2025-01", 10, 10)).status_code == 201
        records.append(
            record(number, org_code=code, start_date="2025-01-06", end_date=SPELL_ENDS[number - 1])
        )
    response = await post_records(client, keys, records, scope=("k751",))
    assert response.status_code == 200, response.text


async def benchmark(
    client: httpx.AsyncClient, keys: InternalKeys, org_code: str, **params: Any
) -> httpx.Response:
    query = {"org_code": org_code, "year": 2025, "peers": "institution_type", **params}
    return await client.get("/v1/benchmarks", params=query, headers=keys.headers(**ANALYST))


async def test_organisation_against_its_peers_and_last_year(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    await daycares_with_absence(client, internal_keys, database)
    # Last year aar-dag-3 had 2 days on 10 FTE: 0.2 per FTE; no peer reported 2024.
    await put_staffing(client, internal_keys, "aar-dag-3", "2024-01", 10, 10)
    response = await post_records(
        client,
        internal_keys,
        [record(9, org_code="aar-dag-3", start_date="2024-01-08", end_date="2024-01-09")],
        scope=("k751",),
    )
    assert response.status_code == 200

    response = await benchmark(client, internal_keys, "aar-dag-3")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["org_code"], body["peers"], body["kpi"], body["cause"]) == (
        "aar-dag-3",
        "institution_type",
        "absence_days_per_fte",
        "own_sickness",
    )
    # Peers 0.1, 0.2, 0.4, 0.5, 0.6: quartiles (inclusive) 0.2 / 0.4 / 0.5; 2 of 5 are lower.
    assert body["current"] == {
        "year": 2025,
        "value": 0.3,
        "suppressed": False,
        "reason": None,
        "peer_units": 5,
        "peer_median": 0.4,
        "peer_q1": 0.2,
        "peer_q3": 0.5,
        "peer_suppressed": False,
        "peer_reason": None,
        "percentile_rank": 40.0,
    }
    previous = body["previous"]
    assert (previous["year"], previous["value"], previous["peer_units"]) == (2024, 0.2, 0)
    assert previous["peer_suppressed"] is True and previous["percentile_rank"] is None
    assert (body["change"], body["trend"], body["peer_median_change"]) == (0.1, "rising", None)


async def test_other_kpis_and_ties(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    await daycares_with_absence(client, internal_keys, database)
    response = await benchmark(client, internal_keys, "aar-dag-1", kpi="spells_per_fte")
    current = response.json()["current"]
    # Every daycare has 1 spell on 10 FTE: all tie, so the rank is 50.
    assert (current["value"], current["peer_median"], current["percentile_rank"]) == (
        0.1,
        0.1,
        50.0,
    )


async def test_only_the_staffed_months_count_as_in_the_statistics(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    await daycares_with_absence(client, internal_keys, database)
    # aar-dag-3 is also staffed in March (30 FTE) but not in February: its February spell
    # has no denominator and is left out.
    await put_staffing(client, internal_keys, "aar-dag-3", "2025-03", 10, 30)
    spells = [
        record(10, org_code="aar-dag-3", start_date="2025-02-03", end_date="2025-02-07"),
        record(11, org_code="aar-dag-3", start_date="2025-03-03", end_date="2025-03-04"),
    ]
    assert (await post_records(client, internal_keys, spells, scope=("k751",))).status_code == 200

    response = await benchmark(client, internal_keys, "aar-dag-3")
    current = response.json()["current"]
    # 3 days in January and 2 in March on a mean of 20 FTE.
    assert (current["value"], current["peer_units"]) == (0.25, 5)
    statistics = await client.get(
        "/v1/statistics",
        params={"org_code": "aar-dag-3", "from": "2025-01", "to": "2025-12", "granularity": "year"},
        headers=internal_keys.headers(**ANALYST),
    )
    year = statistics.json()["series"][0]
    assert (year["absence_days_per_fte"], year["staffed_months"]) == (0.25, 2)
    spells_per_fte = await benchmark(client, internal_keys, "aar-dag-3", kpi="spells_per_fte")
    assert spells_per_fte.json()["current"]["value"] == year["spells_per_fte"] == 0.1


async def test_too_few_peers_are_withheld(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    await daycares_with_absence(client, internal_keys, database, count=5)
    current = (await benchmark(client, internal_keys, "aar-dag-1")).json()["current"]
    assert current["value"] == 0.1 and current["peer_units"] == 4
    assert current["peer_suppressed"] is True and "fewer than 5 peers" in current["peer_reason"]
    assert [current[name] for name in ("peer_median", "peer_q1", "peer_q3")] == [None] * 3
    assert current["percentile_rank"] is None


async def test_small_units_are_never_shown_or_counted(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    await daycares_with_absence(client, internal_keys, database)
    await add_institutions(database, "k751", "daycare", "aar-dag-lille")
    await put_staffing(client, internal_keys, "aar-dag-lille", "2025-01", 4, 4)
    small = (await benchmark(client, internal_keys, "aar-dag-lille")).json()["current"]
    assert small["value"] is None and small["suppressed"] is True
    assert small["reason"] == "fewer than 5 employees"
    assert small["peer_units"] == 6 and small["peer_median"] == 0.35
    # Seen from a peer, the small daycare is not one of the peers.
    assert (await benchmark(client, internal_keys, "aar-dag-1")).json()["current"][
        "peer_units"
    ] == 5


async def test_peer_groups(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    response = await benchmark(client, internal_keys, "k101")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "peers"]
    for peers, described in (
        ("sector", "municipality units in the municipality sector"),
        ("national", "municipality units in every sector"),
    ):
        body = (await benchmark(client, internal_keys, "k101", peers=peers)).json()
        assert body["peer_group"] == described
        assert body["current"]["suppressed"] is True  # no staffing reported at all
        assert body["current"]["peer_units"] == 0


@pytest.mark.parametrize(
    "params",
    [
        {"year": 2000},
        {"year": 2101},
        {"peers": "friends"},
        {"kpi": "happiness"},
        {"cause": "hangover"},
        {"org_code": "x" * 65},
    ],
)
async def test_bad_benchmark_queries_are_422(
    client: httpx.AsyncClient, internal_keys: InternalKeys, params: dict[str, Any]
) -> None:
    query = {"org_code": "k101", "year": 2025, "peers": "national"} | params
    response = await client.get(
        "/v1/benchmarks", params=query, headers=internal_keys.headers(**ANALYST)
    )
    assert response.status_code == 422, response.text


@pytest.mark.parametrize(("name", "scope", "org_code", "status"), READ_CASES)
async def test_who_may_read_benchmarks(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    name: str,
    scope: str,
    org_code: str,
    status: int,
) -> None:
    params = {"org_code": org_code, "year": 2025, "peers": "national"}
    response = await client.get(
        "/v1/benchmarks", params=params, headers=role(internal_keys, name, scope)
    )
    assert response.status_code == status, response.text
    assert (await client.get("/v1/benchmarks", params=params)).status_code == 401
