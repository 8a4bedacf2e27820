"""When the registry moves an organisation to a new parent, the subtree figures move with it:
the aggregates stay equal to a recomputation over the new tree."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sickleave_factories import post_records, put_staffing, record
from sickleave_reference import assert_exact

from leko_kit.db import Database
from leko_kit.replica import apply_changes
from leko_kit.testing import InternalKeys
from leko_sickleave.reorganisation import move_subtree

pytestmark = pytest.mark.anyio

ANALYST = {"roles": ["analyst"], "scope": ["*"]}


def change(seq: int, code: str, parent: str) -> dict[str, Any]:
    return {
        "seq": seq,
        "op": "updated",
        "organisation": {
            "code": code,
            "name": f"Organisation {code}",
            "sector": "municipality",
            "kind": "institution",
            "parent_code": parent,
            "institution_type": "school",
            "municipality_code": None,
            "region_code": None,
        },
    }


async def absence_days(client: httpx.AsyncClient, keys: InternalKeys, org_code: str) -> Any:
    response = await client.get(
        "/v1/statistics",
        params={"org_code": org_code, "from": "2025-03", "to": "2025-03"},
        headers=keys.headers(**ANALYST),
    )
    assert response.status_code == 200, response.text
    return response.json()["series"][0]["absence_days"]


async def test_a_moved_institution_takes_its_figures_along(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    for org in ("kbh-skole", "kbh-dagtilbud", "aar-skole"):
        assert (
            await put_staffing(client, internal_keys, org, "2025-03", 10, 10)
        ).status_code == 201
    response = await post_records(
        client,
        internal_keys,
        [
            record(1),  # kbh-skole, 3–7 March: 5 days
            record(2, start_date="2025-03-24", end_date=None),  # open: 6 days to 31 March
            record(3, org_code="kbh-dagtilbud", start_date="2025-03-10", end_date="2025-03-11"),
            record(4, org_code="aar-skole", start_date="2025-03-03", end_date="2025-03-03"),
        ],
        scope=("r1084", "r1082"),
    )
    assert response.status_code == 200, response.text
    assert [await absence_days(client, internal_keys, org) for org in ("k101", "k751")] == [
        13.0,
        1.0,
    ]

    async with database.session() as session:
        assert await apply_changes(session, [change(5, "kbh-skole", "k751")], on_move=move_subtree)
    # kbh-skole (11 days) now counts in Aarhus and Region Midtjylland, not in København.
    assert [
        await absence_days(client, internal_keys, org) for org in ("k101", "r1084", "k751", "r1082")
    ] == [2.0, 2.0, 12.0, 12.0]
    assert await absence_days(client, internal_keys, "kbh-skole") == 11.0
    await assert_exact(database)

    async with database.session() as session:
        # A replayed change is not applied twice.
        assert not await apply_changes(
            session, [change(5, "kbh-skole", "k751")], on_move=move_subtree
        )
        await apply_changes(session, [change(6, "kbh-skole", "k147")], on_move=move_subtree)
    assert [
        await absence_days(client, internal_keys, org) for org in ("k751", "k147", "r1084")
    ] == [
        1.0,
        11.0,
        13.0,
    ]
    await assert_exact(database)
