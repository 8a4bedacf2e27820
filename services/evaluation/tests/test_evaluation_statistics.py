"""The national overview: public totals, the analysts' breakdown, suppression below 5
respondents or 3 leaders, and complementary suppression across the year's table."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from evaluation_factories import (
    DURING,
    Clock,
    add_leaders,
    answers,
    create_round,
    leader,
    respond,
    role,
)

from leko_kit.testing import InternalKeys

pytestmark = pytest.mark.anyio


async def national_data(client: httpx.AsyncClient, keys: InternalKeys, clock: Clock) -> None:
    """Municipality, first line: 3 leaders × 2 employees answering core-01 with 4 (and self
    with 1, which the overview leaves out). Region, middle: 1 leader, 5 employees with 2."""
    municipal = await create_round(client, keys)
    tokens = await add_leaders(
        client,
        keys,
        municipal["id"],
        *(leader(ref, employee=2, superior=0) for ref in ("a", "b", "c")),
    )
    regional = await create_round(client, keys, scope=("r1082",), org_code="r1082")
    region_tokens = await add_leaders(
        client,
        keys,
        regional["id"],
        leader("h", "rm-hospital", "middle", employee=5, superior=0, self=0),
        scope=("r1082",),
    )
    clock.now = DURING
    for ref in ("a", "b", "c"):
        for token in tokens[ref]["employee"]:
            assert (await respond(client, token, answers({"core-01": 4}))).status_code == 201
        assert (
            await respond(client, tokens[ref]["self"][0], answers({"core-01": 1}))
        ).status_code == 201
    for token in region_tokens["h"]["employee"]:
        assert (await respond(client, token, answers({"core-01": 2}))).status_code == 201
    await clock.pass_close()


def _cells(body: dict[str, Any]) -> dict[tuple[str | None, str | None], dict[str, Any]]:
    (year,) = body["years"]
    assert year["year"] == 2026
    return {(cell["sector"], cell["level"]): cell for cell in year["cells"]}


async def test_public_sees_the_national_total_only(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    await national_data(client, internal_keys, clock)
    response = await client.get("/v1/statistics/national", params={"year": 2026})
    assert response.status_code == 200, response.text
    cells = _cells(response.json())
    assert set(cells) == {(None, None)}
    total = cells[(None, None)]
    assert (total["leaders"], total["respondents"]) == (4, 11)
    core_01 = next(q for q in total["questions"] if q["question_id"] == "core-01")
    # 6 × 4 and 5 × 2; the leaders' own answers (1) are left out.
    assert core_01["mean"] == round((6 * 4 + 5 * 2) / 11, 2)
    assert core_01["distribution"] == {"1": 0, "2": 5, "3": 0, "4": 6, "5": 0, "dont_know": 0}
    assert "org_code" not in response.text and "leader_ref" not in response.text
    assert (
        await client.get("/v1/statistics/national", params={"sector": "region"})
    ).status_code == 401
    forbidden = await client.get(
        "/v1/statistics/national",
        params={"level": "middle"},
        headers=role(internal_keys, "org_admin"),
    )
    assert forbidden.status_code == 403


async def test_analysts_see_the_breakdown_with_suppression(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    await national_data(client, internal_keys, clock)
    response = await client.get(
        "/v1/statistics/national", headers=role(internal_keys, "analyst", "*")
    )
    cells = _cells(response.json())
    # The region's single leader: suppressed, and so is every total it alone makes up.
    for key in (("region", "middle"), ("region", None), (None, "middle")):
        assert cells[key]["suppressed"] is True, key
        assert cells[key]["reason"] == "fewer than 3 leaders"
        assert cells[key]["respondents"] is None and cells[key]["questions"] == []
    # Shown, the municipal cells and totals would give the region as national − municipal.
    for key in (("municipality", "first_line"), ("municipality", None), (None, "first_line")):
        assert cells[key]["suppressed"] is True, key
        assert "complementary" in cells[key]["reason"]
    assert cells[(None, None)]["suppressed"] is False
    assert cells[(None, None)]["respondents"] == 11

    filtered = await client.get(
        "/v1/statistics/national",
        params={"sector": "municipality", "level": "first_line", "year": 2026},
        headers=role(internal_keys, "national_admin", "*"),
    )
    assert list(_cells(filtered.json())) == [("municipality", "first_line")]


async def test_empty_year(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/statistics/national", params={"year": 2031})
    assert response.json()["years"] == []


async def _public_respondents(client: httpx.AsyncClient) -> int:
    response = await client.get("/v1/statistics/national", params={"year": 2026})
    assert response.status_code == 200, response.text
    years = response.json()["years"]
    return sum(cell["respondents"] for year in years for cell in year["cells"])


async def test_a_round_counts_nationally_only_once_it_has_closed(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    await national_data(client, internal_keys, clock)
    counted = await _public_respondents(client)
    assert counted == 11  # 6 municipal and 5 regional employees; self is left out
    # A new round: its answers are not in the national figures while it runs, so that
    # nobody can watch single answers arrive.
    later = await create_round(
        client,
        internal_keys,
        opens_at="2026-03-28T12:00:00Z",
        closes_at="2026-04-30T12:00:00Z",
    )
    tokens = await add_leaders(client, internal_keys, later["id"], leader("z", employee=5))
    clock.now = clock.now.replace(day=29)
    for token in tokens["z"]["employee"]:
        assert (await respond(client, token, answers({"core-01": 5}))).status_code == 201
    assert await _public_respondents(client) == counted
    # Closed early by its organisation: counted in the same request.
    closed = await client.post(
        f"/v1/evaluations/{later['id']}/close", headers=role(internal_keys, "org_admin", "k101")
    )
    assert closed.status_code == 200, closed.text
    assert await _public_respondents(client) == counted + 5
    # Counting again (the task runs every few seconds) changes nothing.
    await clock.pass_close()
    assert await _public_respondents(client) == counted + 5
