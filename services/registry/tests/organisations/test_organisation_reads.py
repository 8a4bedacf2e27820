"""Public reads: get, list with filters and search, pagination, children, ETags."""

from __future__ import annotations

import httpx
import pytest
from registry_factories import institution, national_admin

from leko_kit.testing import InternalKeys

pytestmark = pytest.mark.anyio

SPEC_FIELDS = {
    "code",
    "name",
    "sector",
    "kind",
    "parent_code",
    "institution_type",
    "municipality_code",
    "region_code",
    "cvr",
    "p_number",
    "valid_from",
    "valid_to",
}


async def walk(client: httpx.AsyncClient, path: str, **params: object) -> list[dict[str, object]]:
    """Every item of a paginated list, following `next_cursor`."""
    items: list[dict[str, object]] = []
    cursor: str | None = None
    while True:
        query = dict(params) | ({"cursor": cursor} if cursor else {})
        response = await client.get(path, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_get_is_public_and_carries_an_etag(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/organisations/k101")
    assert response.status_code == 200
    assert response.headers["etag"] == '"v1"'
    body = response.json()
    assert set(body) == SPEC_FIELDS
    assert body == {
        "code": "k101",
        "name": "Københavns Kommune",
        "sector": "municipality",
        "kind": "municipality",
        "parent_code": "r1084",
        "institution_type": None,
        "municipality_code": "101",
        "region_code": "1084",
        "cvr": "64942212",
        "p_number": None,
        "valid_from": None,
        "valid_to": None,
    }


async def test_unknown_code_is_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/organisations/k999")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "k999" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sector": "region"}, ["r1081", "r1082", "r1083", "r1084", "r1085"]),
        ({"kind": "region"}, ["r1081", "r1082", "r1083", "r1084", "r1085"]),
        ({"municipality_code": "751"}, ["k751"]),
        ({"parent": "jm"}, ["anklagemyndigheden", "kriminalforsorgen", "rigspolitiet"]),
        (
            {"parent": "r1081"},
            [
                "k773",
                "k787",
                "k810",
                "k813",
                "k820",
                "k825",
                "k840",
                "k846",
                "k849",
                "k851",
                "k860",
            ],
        ),
        ({"sector": "state", "kind": "agency", "q": "kriminal"}, ["kriminalforsorgen"]),
        ({"kind": "municipality", "parent": "r1084", "q": "høje"}, ["k169"]),
        ({"sector": "region", "kind": "municipality"}, []),
    ],
)
async def test_list_filters(
    client: httpx.AsyncClient, params: dict[str, str], expected: list[str]
) -> None:
    items = await walk(client, "/v1/organisations", **params)
    assert [item["code"] for item in items] == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("københavn", ["k101"]),
        ("KØBENHAVNS", ["k101"]),
        ("ærø", ["k492"]),
        ("ÆRØ KOMMUNE", ["k492"]),
        ("sjælland", ["r1085"]),
        ("Tårnby", ["k185"]),
        ("Regionskommune", ["k400"]),
        ("%", []),
        ("_", []),
    ],
)
async def test_name_search_folds_case_including_danish_letters(
    client: httpx.AsyncClient, q: str, expected: list[str]
) -> None:
    items = await walk(client, "/v1/organisations", q=q)
    assert [item["code"] for item in items] == expected


async def test_institution_type_filter(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    created = await client.post(
        "/v1/organisations",
        json=institution(code="kbh-dagtilbud", institution_type="daycare"),
        headers=national_admin(internal_keys),
    )
    assert created.status_code == 201, created.text
    items = await walk(client, "/v1/organisations", institution_type="daycare")
    assert [item["code"] for item in items] == ["kbh-dagtilbud"]
    assert items[0]["municipality_code"] == "101"


async def test_pagination_walks_all_98_municipalities(client: httpx.AsyncClient) -> None:
    items = await walk(client, "/v1/organisations", kind="municipality", limit=7)
    codes = [item["code"] for item in items]
    assert len(codes) == 98 == len(set(codes))
    assert codes == sorted(codes)
    first = await client.get("/v1/organisations", params={"kind": "municipality", "limit": 7})
    assert len(first.json()["items"]) == 7 and first.json()["next_cursor"]


async def test_default_page_is_50(client: httpx.AsyncClient) -> None:
    page = (await client.get("/v1/organisations")).json()
    assert len(page["items"]) == 50 and page["next_cursor"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sector": "county"}, "sector"),
        ({"kind": "company"}, "kind"),
        ({"institution_type": "university"}, "institution_type"),
        ({"municipality_code": "1011"}, "municipality_code"),
        ({"limit": 501}, "limit"),
        ({"limit": 0}, "limit"),
        ({"cursor": "not-a-cursor!"}, "cursor"),
        ({"cursor": "e30"}, "cursor"),
    ],
)
async def test_bad_list_parameters_are_422(
    client: httpx.AsyncClient, params: dict[str, object], field: str
) -> None:
    response = await client.get("/v1/organisations", params=params)
    assert response.status_code == 422
    assert any(error["loc"][-1] == field for error in response.json()["errors"])


async def test_children_of_a_region_are_its_municipalities(client: httpx.AsyncClient) -> None:
    items = await walk(client, "/v1/organisations/r1084/children", limit=10)
    codes = [item["code"] for item in items]
    assert len(codes) == 29 and "k101" in codes and "k400" in codes
    assert {item["parent_code"] for item in items} == {"r1084"}


async def test_children_of_the_state_are_the_ministries(client: httpx.AsyncClient) -> None:
    items = await walk(client, "/v1/organisations/state/children")
    assert {item["kind"] for item in items} == {"ministry"}
    assert {"fm", "jm", "uvm", "digm"} <= {item["code"] for item in items}


async def test_children_of_a_leaf_are_empty_and_of_unknown_404(client: httpx.AsyncClient) -> None:
    leaf = await client.get("/v1/organisations/k101/children")
    assert leaf.json() == {"items": [], "next_cursor": None}
    assert (await client.get("/v1/organisations/nowhere/children")).status_code == 404


async def test_reads_ignore_an_absent_token_but_refuse_a_forged_one(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/v1/organisations/k101", headers={"Authorization": "Bearer forged"}
    )
    assert response.status_code == 401
