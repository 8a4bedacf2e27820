"""The shipped reference data: 98 municipalities under their regions, the 5 regions, the state
with ministries and agencies; seeding is idempotent and only records real changes."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from leko_kit.db import Database
from leko_kit.testing import InternalKeys
from leko_registry.organisations import service
from leko_registry.organisations.schemas import CVR_WEIGHTS
from leko_registry.seed import seed_organisations, seed_organisations_data

pytestmark = pytest.mark.anyio

# The official municipality codes by region (Danmarks Statistik), independent of the data file.
MUNICIPALITIES_BY_REGION = {
    "1084": "101 147 151 153 155 157 159 161 163 165 167 169 173 175 183 185 187 190 201 210 "
    "217 219 223 230 240 250 260 270 400",
    "1085": "253 259 265 269 306 316 320 326 329 330 336 340 350 360 370 376 390",
    "1083": "410 420 430 440 450 461 479 480 482 492 510 530 540 550 561 563 573 575 580 607 "
    "621 630",
    "1082": "615 657 661 665 671 706 707 710 727 730 740 741 746 751 756 760 766 779 791",
    "1081": "773 787 810 813 820 825 840 846 849 851 860",
}
REGIONS = {
    "r1081": "Region Nordjylland",
    "r1082": "Region Midtjylland",
    "r1083": "Region Syddanmark",
    "r1084": "Region Hovedstaden",
    "r1085": "Region Sjælland",
}


async def all_organisations(client: httpx.AsyncClient, **params: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query: dict[str, Any] = {"limit": 500, **params} | ({"cursor": cursor} if cursor else {})
        page = (await client.get("/v1/organisations", params=query)).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_exactly_98_municipalities_each_under_its_region(client: httpx.AsyncClient) -> None:
    municipalities = await all_organisations(client, kind="municipality")
    assert len(municipalities) == 98
    assert len({m["code"] for m in municipalities}) == 98
    expected = {
        f"k{code}": region
        for region, codes in MUNICIPALITIES_BY_REGION.items()
        for code in codes.split()
    }
    assert len(expected) == 98
    for municipality in municipalities:
        region = expected[municipality["code"]]
        assert municipality["parent_code"] == f"r{region}", municipality
        assert municipality["region_code"] == region
        assert municipality["municipality_code"] == municipality["code"][1:]
        assert municipality["sector"] == "municipality"
        assert municipality["name"].endswith(("Kommune", "Regionskommune"))


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("k101", "Københavns Kommune"),
        ("k751", "Aarhus Kommune"),
        ("k461", "Odense Kommune"),
        ("k851", "Aalborg Kommune"),
        ("k400", "Bornholms Regionskommune"),
        ("k492", "Ærø Kommune"),
    ],
)
async def test_municipality_names_are_official(
    client: httpx.AsyncClient, code: str, name: str
) -> None:
    assert (await client.get(f"/v1/organisations/{code}")).json()["name"] == name


async def test_the_five_regions(client: httpx.AsyncClient) -> None:
    regions = await all_organisations(client, kind="region")
    assert {r["code"]: r["name"] for r in regions} == REGIONS
    for region in regions:
        assert region["sector"] == "region" and region["parent_code"] is None
        assert region["region_code"] == region["code"][1:]


@pytest.mark.parametrize(
    ("code", "parent", "name"),
    [
        ("kriminalforsorgen", "jm", "Kriminalforsorgen"),
        ("rigspolitiet", "jm", "Rigspolitiet"),
        ("medkom", "fm", "Medarbejder- og Kompetencestyrelsen"),
        ("sktst", "skm", "Skattestyrelsen"),
        ("sst", "ism", "Sundhedsstyrelsen"),
        ("stuk", "uvm", "Styrelsen for Undervisning og Kvalitet"),
        ("digst", "digm", "Digitaliseringsstyrelsen"),
    ],
)
async def test_main_agencies_sit_under_their_ministry(
    client: httpx.AsyncClient, code: str, parent: str, name: str
) -> None:
    agency = (await client.get(f"/v1/organisations/{code}")).json()
    assert (agency["name"], agency["parent_code"], agency["kind"]) == (name, parent, "agency")
    ministry = (await client.get(f"/v1/organisations/{parent}")).json()
    assert (ministry["kind"], ministry["parent_code"]) == ("ministry", "state")


async def test_state_root(client: httpx.AsyncClient) -> None:
    state = (await client.get("/v1/organisations/state")).json()
    assert (state["name"], state["sector"], state["kind"], state["parent_code"]) == (
        "Staten",
        "state",
        "administration",
        None,
    )
    ministries = await all_organisations(client, kind="ministry")
    assert len(ministries) >= 20
    assert {m["parent_code"] for m in ministries} == {"state"}


def test_seeded_cvr_numbers_pass_modulus_11() -> None:
    cvrs = [entry["cvr"] for entry in seed_organisations_data() if "cvr" in entry]
    assert sorted(cvrs) == ["35209115", "55133018", "64942212"]
    for cvr in cvrs:
        assert sum(int(d) * w for d, w in zip(cvr, CVR_WEIGHTS, strict=True)) % 11 == 0


async def test_seeding_again_changes_nothing(database: Database) -> None:
    async with database.session() as session:
        before = await service.changes(session, after=None, limit=500)
        result = await seed_organisations(session)
        after = await service.changes(session, after=None, limit=500)
    total = len(seed_organisations_data())
    assert (result.created, result.updated, result.unchanged) == (0, 0, total)
    assert after == before
    assert (
        result.summary() == f"registry seed: 0 organisations created, 0 updated, {total} unchanged"
    )


async def test_seeding_restores_a_changed_reference_organisation(
    client: httpx.AsyncClient, database: Database, internal_keys: InternalKeys
) -> None:
    renamed = await client.patch(
        "/v1/organisations/k101",
        json={"name": "København"},
        headers=internal_keys.headers(roles=["national_admin"], scope=["*"]),
    )
    assert renamed.status_code == 200
    async with database.session() as session:
        result = await seed_organisations(session)
    assert (result.created, result.updated) == (0, 1)
    restored = await client.get("/v1/organisations/k101")
    assert restored.json()["name"] == "Københavns Kommune"
    assert restored.headers["etag"] == '"v3"'
    async with database.session() as session:
        feed = await service.changes(session, after=None, limit=500)
    last = [(item.op, item.organisation.code, item.organisation.name) for item in feed.items[-2:]]
    assert last == [
        ("updated", "k101", "København"),
        ("updated", "k101", "Københavns Kommune"),
    ]
