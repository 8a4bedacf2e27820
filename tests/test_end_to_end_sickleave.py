"""Sick leave end to end, through the gateway to the real processes: a municipality registers
an institution, its payroll system reports staffing and a CSV of spells, and leaders, analysts
and citizens read the KPIs, the benchmark, the targets and the hotspots; then the registry
moves the institution and the figures follow it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import httpx
import pytest
from gateway_clients import create_client

pytestmark = pytest.mark.e2e

CSV = (
    "source_system,source_record_id,employee_ref,org_code,job_group,cause,start_date,end_date,"
    "fraction\n"
    # 6–10 January 2025: 5 days; 13–14 January at half time: 1 day; open from 20 January: 10
    # working days to 31 January.
    "e2e-payroll,{code}-1,emp-1,{code},pædagog,own_sickness,2025-01-06,2025-01-10,1\n"
    "e2e-payroll,{code}-2,emp-2,{code},pædagog,own_sickness,2025-01-13,2025-01-14,0.5\n"
    "e2e-payroll,{code}-3,emp-3,{code},pædagog,own_sickness,2025-01-20,,1\n"
)


def key_header(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def eventually(check: Callable[[], bool], seconds: float = 15.0) -> None:
    """Wait for the services' replicas to follow the registry's change feed."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the change did not reach the service in time"
        time.sleep(0.2)


def january(gateway: httpx.Client, analyst: dict[str, str], org_code: str) -> httpx.Response:
    return gateway.get(
        "/sickleave/v1/statistics",
        params={"org_code": org_code, "from": "2025-01", "to": "2025-01"},
        headers=analyst,
    )


def absence_days(gateway: httpx.Client, analyst: dict[str, str], org_code: str) -> float:
    response = january(gateway, analyst, org_code)
    assert response.status_code == 200, response.text
    days: float = response.json()["series"][0]["absence_days"] or 0.0
    return days


def test_sick_leave_through_the_gateway(gateway: httpx.Client, admin: dict[str, str]) -> None:
    org_admin = key_header(create_client(gateway, admin, roles=["org_admin"], scope=["k101"]))
    reporter = key_header(create_client(gateway, admin, roles=["reporter"], scope=["k101"]))
    analyst = key_header(create_client(gateway, admin, roles=["analyst"], scope=["*"]))

    code = f"kbh-e2e-sl-{uuid.uuid4().hex[:6]}"
    created = gateway.post(
        "/registry/v1/organisations",
        json={
            "code": code,
            "name": "Børnehuset Ved Søerne",
            "sector": "municipality",
            "kind": "institution",
            "parent_code": "k101",
            "institution_type": "daycare",
            "municipality_code": "101",
        },
        headers=org_admin,
    )
    assert created.status_code == 201, created.text
    eventually(lambda: january(gateway, analyst, code).status_code == 200)

    staffing = gateway.put(
        f"/sickleave/v1/staffing/{code}/2025-01",
        json={"employees": 20, "fte": 18, "agreed_hours": 2_664},
        headers=reporter,
    )
    assert staffing.status_code == 201, staffing.text

    upload = {**reporter, "Content-Type": "text/csv"}
    first = gateway.post(
        "/sickleave/v1/absences/batch", content=CSV.format(code=code), headers=upload
    )
    assert first.status_code == 200, first.text
    assert first.json() == {"created": 3, "updated": 0, "unchanged": 0}
    again = gateway.post(
        "/sickleave/v1/absences/batch", content=CSV.format(code=code), headers=upload
    )
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 3}

    # Hostile input changes nothing: a CPR number, and an organisation outside the scope.
    with_cpr = CSV.format(code=code).replace("emp-1", "010190-1234")
    refused = gateway.post("/sickleave/v1/absences/batch", content=with_cpr, headers=upload)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["errors"][0]["loc"] == ["body", "records", 0, "employee_ref"]
    foreign = CSV.format(code=code).replace(f"{code}-1,emp-1,{code}", f"{code}-1,emp-1,k751")
    assert (
        gateway.post("/sickleave/v1/absences/batch", content=foreign, headers=upload).status_code
        == 403
    )

    (point,) = january(gateway, analyst, code).json()["series"]
    assert (point["absence_days"], point["spells"], point["fte"]) == (16.0, 3, 18.0)
    assert point["absence_days_per_fte"] == round(16 / 18, 4)

    # Citizens read the national figures without a key.
    national = gateway.get("/sickleave/v1/statistics/national", params={"year": 2025})
    assert national.status_code == 200 and national.json()["org_code"] == "*"

    target = gateway.put(
        f"/sickleave/v1/targets/{code}/2025", json={"days_per_fte": 10}, headers=org_admin
    )
    assert target.status_code == 201, target.text
    (year,) = gateway.get(f"/sickleave/v1/targets/{code}", headers=org_admin).json()["years"]
    assert (year["target_days_per_fte"], year["staffed_months"]) == (10.0, 1)

    benchmark = gateway.get(
        "/sickleave/v1/benchmarks",
        params={"org_code": code, "year": 2025, "peers": "institution_type"},
        headers=org_admin,
    )
    assert benchmark.status_code == 200, benchmark.text
    assert benchmark.json()["current"]["value"] == round(16 / 18, 4)
    assert (
        gateway.get(
            "/sickleave/v1/hotspots", params={"year": 2025, "min_employees": 5}, headers=analyst
        ).status_code
        == 200
    )
    assert (
        gateway.get("/sickleave/v1/hotspots", params={"year": 2025}, headers=org_admin).status_code
        == 403
    )

    deleted = gateway.delete(f"/sickleave/v1/absences/e2e-payroll/{code}-2", headers=reporter)
    assert deleted.status_code == 204, deleted.text
    assert absence_days(gateway, analyst, code) == 15.0

    # The registry moves the daycare to Gentofte; its figures move along.
    before = absence_days(gateway, analyst, "k157")
    moved = gateway.patch(
        f"/registry/v1/organisations/{code}",
        json={"parent_code": "k157", "municipality_code": "157"},
        headers=admin,
    )
    assert moved.status_code == 200, moved.text
    eventually(lambda: absence_days(gateway, analyst, "k157") == before + 15.0)
    assert january(gateway, org_admin, code).status_code == 404  # now outside Copenhagen
