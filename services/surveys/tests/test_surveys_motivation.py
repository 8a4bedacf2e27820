"""The motivation survey: the `employee_motivation` round aggregated by sector (state, regions,
municipalities) and nationally, public once published, national roles before."""

from __future__ import annotations

import httpx
import pytest
from surveys_factories import AFTER, DURING, Clock, admin, create_round, enrol, import_values, role

from leko_kit.suppression import COMPLEMENTARY_REASON
from leko_kit.testing import InternalKeys

pytestmark = pytest.mark.anyio


async def _motivation_round(client: httpx.AsyncClient, keys: InternalKeys, clock: Clock) -> int:
    round_id: int = (await create_round(client, keys, programme="employee_motivation"))["id"]
    units = {
        "kriminalforsorgen": ("state", [5, 4, 4, 3, 4, 5]),
        "rh-genoptraening": ("r1084", [3, 3, 4, 2, 3]),
        "k101": ("k101", [4] * 6),
        "kbh-skole": ("k101", [5] * 4 + [3] * 4),
    }
    for code, (scope, values) in units.items():
        await enrol(
            client, keys, round_id, code, 0, scope=scope, external_invitations=len(values) * 2
        )
    clock.now = DURING
    for code, (scope, values) in units.items():
        await import_values(
            client, keys, round_id, code, values, scope=scope, programme="employee_motivation"
        )
    clock.now = AFTER
    return round_id


async def test_results_by_sector_and_nationally(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    round_id = await _motivation_round(client, internal_keys, clock)
    response = await client.get("/v1/motivation/2026/sectors", headers=admin(internal_keys))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["round_id"], body["year"], body["published"]) == (round_id, 2026, False)
    sectors = {s["area"]: s for s in body["sectors"]}
    assert list(sectors) == ["sector:state", "sector:region", "sector:municipality"]
    assert [sectors[a]["n_responses"] for a in sectors] == [6, 5, 14]
    overall = {
        area: next(q for q in s["questions"] if q["question_id"] == "motiv-overall")
        for area, s in sectors.items()
    }
    assert overall["sector:state"]["mean"] == 4.167
    assert overall["sector:region"]["mean"] == 3.0
    assert overall["sector:municipality"]["mean"] == 4.0
    assert overall["sector:state"]["comparisons"]["national"]["rest_n"] == 19
    national = body["national"]
    assert national["n_responses"] == 25
    motiv = next(q for q in national["questions"] if q["question_id"] == "motiv-overall")
    assert motiv["mean"] == pytest.approx((25 + 15 + 24 + 32) / 25, abs=1e-3)
    # The municipality sector's units are also results of their own.
    school = await client.get(
        f"/v1/rounds/{round_id}/results/institutions/kbh-skole", headers=admin(internal_keys)
    )
    assert school.json()["n_responses"] == 8


async def test_motivation_publication_rules(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    round_id = await _motivation_round(client, internal_keys, clock)
    assert (await client.get("/v1/motivation/2026/sectors")).status_code == 404
    local = role(internal_keys, "org_admin", "k101")
    assert (await client.get("/v1/motivation/2026/sectors", headers=local)).status_code == 404
    analyst = role(internal_keys, "analyst", "*")
    early = await client.get("/v1/motivation/2026/sectors", headers=analyst)
    assert early.status_code == 200
    assert early.headers["cache-control"] == "private, no-store"
    await client.post(f"/v1/rounds/{round_id}/publish", headers=admin(internal_keys))
    public = await client.get("/v1/motivation/2026/sectors")
    assert public.status_code == 200 and public.json()["published"] is True
    assert "cache-control" not in public.headers
    assert (await client.get("/v1/motivation/2025/sectors")).status_code == 404
    assert (await client.get("/v1/motivation/1999/sectors")).status_code == 422


async def test_a_sector_without_participants_says_so(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    round_id = (await create_round(client, internal_keys, programme="employee_motivation"))["id"]
    await enrol(client, internal_keys, round_id, "k101", 0, external_invitations=12)
    clock.now = DURING
    await import_values(
        client, internal_keys, round_id, "k101", [4] * 6, programme="employee_motivation"
    )
    clock.now = AFTER
    body = (await client.get("/v1/motivation/2026/sectors", headers=admin(internal_keys))).json()
    shown = {s["area"]: (s["n_responses"], s["suppressed"], s["reason"]) for s in body["sectors"]}
    assert shown == {
        "sector:state": (0, True, "fewer than 5 responses"),
        "sector:region": (0, True, "fewer than 5 responses"),
        "sector:municipality": (6, False, None),
    }


async def test_a_sector_few_answered_on_a_question_is_protected_by_its_own_complement(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    # The state has 6 respondents but 2 answers on the scale: the nation minus the other two
    # sectors would give them, so the smaller of those (the regions) is withheld on it too.
    round_id: int = (await create_round(client, internal_keys, programme="employee_motivation"))[
        "id"
    ]
    units: dict[str, tuple[str, list[int | None]]] = {
        "kriminalforsorgen": ("state", [5, 1, None, None, None, None]),
        "rh-genoptraening": ("r1084", [3] * 6),
        "k101": ("k101", [4] * 10),
    }
    for code, (scope, _) in units.items():
        await enrol(client, internal_keys, round_id, code, 0, scope=scope, external_invitations=20)
    clock.now = DURING
    for code, (scope, values) in units.items():
        await import_values(
            client,
            internal_keys,
            round_id,
            code,
            values,
            scope=scope,
            programme="employee_motivation",
        )
    clock.now = AFTER
    body = (await client.get("/v1/motivation/2026/sectors", headers=admin(internal_keys))).json()
    overall = {
        s["area"]: next(q for q in s["questions"] if q["question_id"] == "motiv-overall")
        for s in [*body["sectors"], body["national"]]
    }
    assert overall["sector:state"]["reason"] == "fewer than 5 answers to this question"
    assert overall["sector:region"]["reason"] == COMPLEMENTARY_REASON
    assert overall["sector:municipality"]["mean"] == 4.0
    # Shown beside the nation: the rest (the state and the regions together) is their
    # difference, 8 answers.
    assert overall["sector:municipality"]["comparisons"]["national"]["rest_n"] == 8
    assert overall["national"]["n"] == 18
