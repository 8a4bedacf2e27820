"""The write-time aggregates under any sequence of reports, corrections and deletions: equal to
a plain recomputation from the spells, and a parent's totals equal the sum over its children."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sickleave_factories import TREE, put_staffing, record, reporter
from sickleave_reference import assert_exact, stored

from leko_kit.db import Database
from leko_kit.testing import InternalKeys

pytestmark = pytest.mark.anyio

LEAVES = ["kbh-skole", "kbh-dagtilbud", "frb-skole", "aar-skole"]
CHILDREN = {
    parent: [code for code, up, _ in TREE if up == parent]
    for parent in {code for code, _, _ in TREE} | {"*"}
}
CHILDREN["*"] = [code for code, up, _ in TREE if up is None]


@st.composite
def spells(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(st.dates(min_value=date(2024, 11, 1), max_value=date(2025, 2, 28)))
    length = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=70)))
    return record(
        draw(st.integers(min_value=0, max_value=7)),
        employee_ref=f"e-{draw(st.integers(min_value=0, max_value=4))}",
        org_code=draw(st.sampled_from(LEAVES)),
        cause=draw(st.sampled_from(["own_sickness", "child_sickness"])),
        start_date=start.isoformat(),
        end_date=None if length is None else (start + timedelta(days=length)).isoformat(),
        fraction=draw(st.sampled_from([0.25, 0.5, 1])),
    )


operations = st.lists(
    st.one_of(
        st.tuples(
            st.just("post"),
            st.lists(spells(), min_size=1, max_size=4, unique_by=lambda r: r["source_record_id"]),
        ),
        st.tuples(st.just("delete"), st.integers(min_value=0, max_value=7)),
        st.tuples(
            st.just("staffing"),
            st.tuples(st.sampled_from(LEAVES), st.integers(min_value=1, max_value=60)),
        ),
    ),
    min_size=1,
    max_size=6,
)


def assert_parents_are_sums(tables: dict[str, dict[tuple[Any, ...], tuple[int, ...]]]) -> None:
    for name in ("absence_totals", "open_spell_starts", "staffing_totals"):
        rows = tables[name]
        for parent, children in CHILDREN.items():
            if not children:
                continue
            summed: dict[tuple[Any, ...], list[int]] = {}
            for key, values in rows.items():
                if key[0] in children:
                    entry = summed.setdefault(key[1:], [0] * len(values))
                    for position, value in enumerate(values):
                        entry[position] += value
            expected = {key: tuple(values) for key, values in summed.items() if any(values)}
            actual = {key[1:]: values for key, values in rows.items() if key[0] == parent}
            assert actual == expected, (name, parent)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=operations)
async def test_any_sequence_of_writes_keeps_the_aggregates_exact(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    steps: list[tuple[str, Any]],
) -> None:
    for action, argument in steps:
        if action == "post":
            response = await client.post(
                "/v1/absences/batch",
                json={"records": argument},
                headers=reporter(internal_keys, "*"),
            )
            assert response.status_code == 200, response.text
        elif action == "delete":
            response = await client.delete(
                f"/v1/absences/test-payroll/r-{argument}", headers=reporter(internal_keys, "*")
            )
            assert response.status_code in (204, 404)
        else:
            org_code, employees = argument
            response = await put_staffing(client, internal_keys, org_code, "2025-01", employees)
            assert response.status_code in (200, 201), response.text
    await assert_exact(database)
    assert_parents_are_sums(await stored(database))


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(spells(), min_size=1, max_size=8, unique_by=lambda r: r["source_record_id"]))
async def test_a_parents_kpis_add_up_from_its_children(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    batch: list[dict[str, Any]],
) -> None:
    for org_code in ("kbh-skole", "kbh-dagtilbud"):
        await put_staffing(client, internal_keys, org_code, "2025-01", 10, 10, 1_600)
    batch = [
        item | {"org_code": "kbh-skole" if n % 2 else "kbh-dagtilbud"}
        for n, item in enumerate(batch)
    ]
    response = await client.post(
        "/v1/absences/batch", json={"records": batch}, headers=reporter(internal_keys)
    )
    assert response.status_code == 200, response.text

    async def january(org_code: str) -> dict[str, Any]:
        response = await client.get(
            "/v1/statistics",
            params={"org_code": org_code, "from": "2025-01", "to": "2025-01"},
            headers=internal_keys.headers(roles=["analyst"], scope=["*"]),
        )
        point: dict[str, Any] = response.json()["series"][0]
        return point

    parent, school, daycare = [
        await january(code) for code in ("k101", "kbh-skole", "kbh-dagtilbud")
    ]
    assert parent["employees"] == school["employees"] + daycare["employees"]
    assert parent["absence_days"] == pytest.approx(school["absence_days"] + daycare["absence_days"])
    assert parent["spells"] == school["spells"] + daycare["spells"]
    for bucket in ("1-3", "4-14", "15-28", "29+"):
        assert parent["length_distribution"][bucket] == (
            school["length_distribution"][bucket] + daycare["length_distribution"][bucket]
        )
