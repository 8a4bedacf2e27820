"""The demo's year of sick leave: deterministic, realistic in shape, loaded through the
gateway, and unchanged when loaded again."""

from __future__ import annotations

from collections import Counter
from datetime import date

import httpx
import pytest
from gateway_clients import create_client

from leko_cli.demo import demo_organisations, load_demo_data
from leko_cli.platform import Platform
from leko_cli.sickleave_demo import YEAR, Institution, generate, working_days

INSTITUTIONS = [
    Institution(str(organisation["code"]), str(organisation["institution_type"]))
    for organisation in demo_organisations()
]


def test_generation_is_deterministic_and_shaped_like_sick_leave() -> None:
    demo = generate(INSTITUTIONS)
    assert demo.spells == generate(INSTITUTIONS).spells
    assert demo.staffing == generate(INSTITUTIONS).staffing
    assert len(demo.staffing) == 12 * len(INSTITUTIONS)
    assert 5_000 <= len(demo.spells) <= 50_000
    assert len({(s["source_system"], s["source_record_id"]) for s in demo.spells}) == len(
        demo.spells
    )

    causes = Counter(spell["cause"] for spell in demo.spells)
    assert causes["own_sickness"] > 0.7 * len(demo.spells)
    assert 0 < causes["work_injury"] < causes["child_sickness"] < causes["own_sickness"]
    assert 0 < sum(spell["fraction"] == 0.5 for spell in demo.spells) < 0.2 * len(demo.spells)
    assert 0 < demo.open_spells < 0.02 * len(demo.spells)

    # Levels by institution type: own-sickness days per FTE over the year.
    kind = {institution.code: institution.institution_type for institution in INSTITUTIONS}
    fte: Counter[str] = Counter()
    days: Counter[str] = Counter()
    long_term = 0
    for record in demo.staffing:
        fte[kind[record["org_code"]]] += record["fte"] / 12
    for spell in demo.spells:
        if spell["cause"] != "own_sickness":
            continue
        start = date.fromisoformat(spell["start_date"])
        end = date.fromisoformat(spell["end_date"] or f"{YEAR}-12-31")
        long_term += (end - start).days + 1 >= 29
        first = (start - date(YEAR, 1, 1)).days
        days[kind[spell["org_code"]]] += (
            working_days(first, (end - date(YEAR, 1, 1)).days) * (spell["fraction"])
        )
    level = {name: days[name] / fte[name] for name in fte}
    assert 12 <= level["elderly_care"] <= 18
    assert 12 <= level["daycare"] <= 17
    assert 8 <= level["school"] <= 12
    assert 9 <= level["hospital"] <= 13
    assert level["school"] < level["daycare"] and level["school"] < level["elderly_care"]
    assert long_term > 100


@pytest.mark.e2e
def test_demo_loads_a_year_with_a_winter_peak_and_loads_again_unchanged(
    platform: Platform, gateway: httpx.Client, admin: dict[str, str]
) -> None:
    first = load_demo_data(platform.gateway_url, platform.secrets.admin_key)
    assert first.sick_leave.staffing.total == 12 * len(INSTITUTIONS)
    assert first.sick_leave.spells.total > 5_000
    assert first.sick_leave.spells.updated == 0

    analyst = create_client(gateway, admin, roles=["analyst"], scope=["*"])
    statistics = gateway.get(
        "/sickleave/v1/statistics",
        params={"org_code": "k101", "from": "2025-01", "to": "2025-12", "granularity": "month"},
        headers={"X-API-Key": analyst},
    )
    assert statistics.status_code == 200, statistics.text
    series = {point["period"]: point for point in statistics.json()["series"]}
    assert len(series) == 12
    assert not any(point["suppressed"] for point in series.values())
    per_fte = {period[-2:]: point["absence_days_per_fte"] for period, point in series.items()}
    assert max(per_fte["01"], per_fte["02"]) > max(per_fte["07"], per_fte["08"])
    assert all(point["employees"] > 500 for point in series.values())

    again = load_demo_data(platform.gateway_url, platform.secrets.admin_key)
    assert again.organisations_created == 0
    spells, staffing = again.sick_leave.spells, again.sick_leave.staffing
    assert (spells.created, spells.updated, spells.unchanged) == (
        0,
        0,
        first.sick_leave.spells.total,
    )
    assert (staffing.created, staffing.updated) == (0, 0)
    assert staffing.unchanged == staffing.total
    assert "unchanged" in again.summary()
