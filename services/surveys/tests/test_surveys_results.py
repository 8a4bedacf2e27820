"""Results on hand-computed data: means, standard deviations and confidence intervals with the
finite-population correction, "ved ikke" left out, a significant and a non-significant
comparison, the change since the previous round, suppression with complementary suppression
(per unit and per question, no comparison giving a withheld cell away), the population known
only when every member's is, who may read what before and after publication (and that no
shared cache keeps it before), results opening a minute after the close, local questions,
and the cacheable comparison of a municipality's institutions.

Every imported response gives one value to every scale question (the first option to the
background questions), so each question of a unit has the same counts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import update
from surveys_factories import (
    AFTER,
    DURING,
    Clock,
    admin,
    answers,
    create_round,
    enrol,
    import_values,
    role,
)

from leko_kit.db import Database
from leko_kit.suppression import COMPLEMENTARY_REASON
from leko_kit.testing import InternalKeys
from leko_surveys.models import Participant
from leko_surveys.stats import Counts, summarise

pytestmark = pytest.mark.anyio

# kbh-dag-1: 8 answers on the scale and 2 "ved ikke" of 20 invited.
DAG_1 = [5, 5, 5, 4, 4, 4, 4, 3, None, None]
# kbh-dag-2: mean 3 of 30 invited; frb-dag-1: mean 3.6 of 20 invited.
DAG_2 = [2] * 4 + [3] * 4 + [4] * 4
FRB_1 = [4, 4, 3, 3, 4, 3, 4, 2, 5, 4]
FEW_ANSWERS = "fewer than 5 answers to this question"
T_975_7 = 2.364624  # Student's t, 97.5% quantile, 7 degrees of freedom (from a table)


def question(body: dict[str, Any], question_id: str = "dag-overall") -> dict[str, Any]:
    found: dict[str, Any] = next(q for q in body["questions"] if q["question_id"] == question_id)
    return found


async def _closed_round(
    client: httpx.AsyncClient,
    keys: InternalKeys,
    clock: Clock,
    units: dict[str, tuple[int, list[int | None]]],
    during: datetime = DURING,
    after: datetime = AFTER,
    **fields: Any,
) -> int:
    """A daycare round with `units` (org code → invited, values), closed."""
    round_id: int = (await create_round(client, keys, **fields))["id"]
    for code, (invited, _) in units.items():
        scope = "k101" if code.startswith("kbh") else "k147"
        await enrol(client, keys, round_id, code, 0, scope=scope, external_invitations=invited)
    clock.now = during
    for code, (_, values) in units.items():
        await import_values(client, keys, round_id, code, values)
    clock.now = after
    return round_id


async def _statistics_round(client: httpx.AsyncClient, keys: InternalKeys, clock: Clock) -> int:
    return await _closed_round(
        client,
        keys,
        clock,
        {"kbh-dag-1": (20, DAG_1), "kbh-dag-2": (30, DAG_2), "frb-dag-1": (20, FRB_1)},
    )


async def test_institution_figures_by_hand(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    round_id = await _statistics_round(client, internal_keys, clock)
    response = await client.get(
        f"/v1/rounds/{round_id}/results/institutions/kbh-dag-1", headers=admin(internal_keys)
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["n_responses"], body["invited"], body["response_rate"]) == (10, 20, 0.5)
    assert body["suppressed"] is False and body["municipality"] == "k101"
    overall = question(body)
    # "ved ikke" counts in the distribution only: n = 8, mean = 34 / 8.
    assert overall["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 4, "5": 3, "dont_know": 2}
    assert overall["n"] == 8 and overall["mean"] == 4.25
    # s² = (8·148 − 34²) / (8·7) = 0.5; SE = √(0.5/8) · √((20 − 8)/(20 − 1)) = 0.198680
    assert overall["sd"] == pytest.approx(0.5**0.5, abs=1e-3)
    half = T_975_7 * (0.5 / 8 * 12 / 19) ** 0.5
    assert overall["ci95"] == pytest.approx([4.25 - half, 4.25 + half], abs=1e-3)
    assert overall["ci95"] == pytest.approx([3.780, 4.720], abs=1e-3)
    # Background questions give their distribution per option.
    age = question(body, "dag-age")
    assert age["kind"] == "choice" and age["mean"] is None
    assert age["distribution"] == {"age_0_2": 10, "age_3_5": 0, "age_6_plus": 0, "dont_know": 0}


async def test_comparisons_one_significant_one_not(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    round_id = await _statistics_round(client, internal_keys, clock)
    body = (
        await client.get(
            f"/v1/rounds/{round_id}/results/institutions/kbh-dag-1", headers=admin(internal_keys)
        )
    ).json()
    municipality = question(body)["comparisons"]["municipality"]
    # Against the rest of the municipality (kbh-dag-2 alone): 4.25 − 3 = 1.25; Welch's
    # t = 1.25 / √(0.198680² + 0.193952²) = 4.50 on 16.9 degrees of freedom: p < 0.001.
    assert municipality["against"] == "rest_of_municipality"
    assert (municipality["rest_n"], municipality["rest_mean"]) == (12, 3.0)
    assert municipality["reference_mean"] == 3.5  # the whole of k101, for reading
    assert municipality["difference"] == 1.25
    assert municipality["p_value"] < 0.001 and municipality["significant"] is True
    assert municipality["test"] == "welch_t"
    assert question(body)["comparisons"]["national"]["against"] == "rest_of_country"

    area = (
        await client.get(
            f"/v1/rounds/{round_id}/results/municipalities/k101", headers=admin(internal_keys)
        )
    ).json()
    assert (area["n_responses"], area["invited"], area["participants"]) == (22, 50, 2)
    overall = question(area)
    # k101: 5×3, 4×8, 3×5, 2×4 → mean 3.5, s² = (20·264 − 70²)/(20·19) = 1.
    assert (overall["n"], overall["mean"], overall["sd"]) == (20, 3.5, 1.0)
    national = overall["comparisons"]["national"]
    # Against the rest of the country (frb-dag-1, mean 3.6): t = −0.1 / √(0.174964² +
    # 0.193460²) = −0.383, p ≈ 0.705: not significant.
    assert (national["rest_n"], national["rest_mean"], national["difference"]) == (10, 3.6, -0.1)
    assert national["p_value"] == pytest.approx(0.705, abs=0.01)
    assert national["significant"] is False
    assert "municipality" not in overall["comparisons"]


async def test_national_results_and_the_change_since_last_year(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    clock.now = datetime(2025, 12, 1, tzinfo=UTC)
    last_year = await _closed_round(
        client,
        internal_keys,
        clock,
        {"kbh-dag-1": (20, [3] * 5 + [4] * 5)},
        during=datetime(2026, 2, 1, tzinfo=UTC),
        after=datetime(2026, 2, 21, tzinfo=UTC),
        year=2025,
        opens_at="2026-01-05T07:00:00Z",
        closes_at="2026-02-20T15:00:00Z",
    )
    await client.post(f"/v1/rounds/{last_year}/publish", headers=admin(internal_keys))
    clock.now = datetime(2026, 3, 1, tzinfo=UTC)
    round_id = await _statistics_round(client, internal_keys, clock)
    body = (
        await client.get(
            f"/v1/rounds/{round_id}/results/institutions/kbh-dag-1", headers=admin(internal_keys)
        )
    ).json()
    change = question(body)["change"]
    # 4.25 against 3.5 (SE √(0.2778/10 · 10/19) = 0.1209): t = 3.22, significant.
    assert change["previous_round_id"] == last_year and change["previous_year"] == 2025
    assert (change["previous_n"], change["previous_mean"], change["difference"]) == (10, 3.5, 0.75)
    assert change["significant"] is True and change["p_value"] < 0.01
    national = await client.get(
        f"/v1/rounds/{round_id}/results/national", headers=role(internal_keys, "analyst", "*")
    )
    assert national.status_code == 200
    whole = national.json()
    assert (whole["area"], whole["n_responses"], whole["invited"]) == ("national", 32, 70)
    overall = question(whole)
    assert overall["n"] == 30 and overall["comparisons"] == {}
    assert overall["mean"] == pytest.approx((34 + 36 + 36) / 30, abs=1e-3)
    assert overall["change"]["previous_mean"] == 3.5


async def test_small_units_are_suppressed_with_their_complement(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    round_id = await _closed_round(
        client,
        internal_keys,
        clock,
        {
            "kbh-dag-1": (20, [4] * 10),
            "kbh-dag-2": (20, [5] * 8),
            "kbh-dag-3": (20, [1] * 3),
            "frb-dag-1": (20, [3] * 10),
        },
    )
    headers = admin(internal_keys)
    url = f"/v1/rounds/{round_id}/results"
    small = (await client.get(f"{url}/institutions/kbh-dag-3", headers=headers)).json()
    assert small["suppressed"] is True and small["reason"] == "fewer than 5 responses"
    assert all(q["suppressed"] and q["mean"] is None for q in small["questions"])
    # kbh-dag-3 = k101 − kbh-dag-1 − kbh-dag-2: the smaller shown one is withheld too.
    beside = (await client.get(f"{url}/institutions/kbh-dag-2", headers=headers)).json()
    assert beside["suppressed"] is True and beside["reason"] == COMPLEMENTARY_REASON
    assert question(beside)["distribution"] is None
    shown = (await client.get(f"{url}/institutions/kbh-dag-1", headers=headers)).json()
    assert shown["suppressed"] is False and question(shown)["mean"] == 4.0
    # The rest of k101 beside kbh-dag-1 is 11 responses: compared, but never shown apart.
    assert question(shown)["comparisons"]["municipality"]["rest_n"] == 11
    municipality = (await client.get(f"{url}/municipalities/k101", headers=headers)).json()
    assert municipality["suppressed"] is False
    assert question(municipality)["n"] == 21
    listing = (await client.get(f"{url}/municipalities/k101/institutions", headers=headers)).json()
    assert [(i["org_code"], i["suppressed"]) for i in listing["institutions"]] == [
        ("kbh-dag-1", False),
        ("kbh-dag-2", True),
        ("kbh-dag-3", True),
    ]


async def test_a_small_municipality_is_protected_in_the_national_total(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    round_id = await _closed_round(
        client,
        internal_keys,
        clock,
        {"kbh-dag-1": (20, [4] * 10), "frb-dag-1": (20, [2] * 4)},
    )
    headers = admin(internal_keys)
    url = f"/v1/rounds/{round_id}/results"
    tiny = (await client.get(f"{url}/municipalities/k147", headers=headers)).json()
    assert tiny["suppressed"] is True and tiny["reason"] == "fewer than 5 responses"
    # k147 = nation − k101, so k101 is withheld; and so kbh-dag-1, which equals k101.
    k101 = (await client.get(f"{url}/municipalities/k101", headers=headers)).json()
    assert k101["suppressed"] is True and k101["reason"] == COMPLEMENTARY_REASON
    only = (await client.get(f"{url}/institutions/kbh-dag-1", headers=headers)).json()
    assert only["suppressed"] is True
    national = (await client.get(f"{url}/national", headers=headers)).json()
    assert national["suppressed"] is False and question(national)["n"] == 14


async def test_a_question_few_answered_is_protected_by_its_own_complement(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    # Every unit has at least 5 respondents, but at kbh-dag-3 only two answered on the scale.
    round_id = await _closed_round(
        client,
        internal_keys,
        clock,
        {
            "kbh-dag-1": (20, [4] * 6 + [3] * 4),
            "kbh-dag-2": (20, [2] * 5 + [5] * 5),
            "kbh-dag-3": (20, [5, 1, None, None, None, None]),
        },
    )
    headers = admin(internal_keys)
    url = f"/v1/rounds/{round_id}/results"
    few = (await client.get(f"{url}/institutions/kbh-dag-3", headers=headers)).json()
    assert few["suppressed"] is False
    assert question(few)["suppressed"] is True
    assert question(few)["reason"] == FEW_ANSWERS
    assert question(few)["distribution"] is None
    # k101 minus kbh-dag-1 and kbh-dag-2 would give kbh-dag-3's answers: kbh-dag-1 (the first
    # of the two equally small) is withheld on this question too.
    beside = (await client.get(f"{url}/institutions/kbh-dag-1", headers=headers)).json()
    assert beside["suppressed"] is False
    assert question(beside)["suppressed"] is True
    assert question(beside)["reason"] == COMPLEMENTARY_REASON
    assert question(beside)["mean"] is None and question(beside)["comparisons"] == {}
    shown = (await client.get(f"{url}/institutions/kbh-dag-2", headers=headers)).json()
    assert question(shown)["mean"] == 3.5
    municipality = (await client.get(f"{url}/municipalities/k101", headers=headers)).json()
    assert question(municipality)["n"] == 22
    # What is shown gives kbh-dag-1 and kbh-dag-3 away only together (12 answers).
    assert question(shown)["comparisons"]["municipality"]["rest_n"] == 12
    listing = (await client.get(f"{url}/municipalities/k101/institutions", headers=headers)).json()
    assert [(i["org_code"], i["suppressed"], i["mean"]) for i in listing["institutions"]] == [
        ("kbh-dag-1", True, None),
        ("kbh-dag-2", False, 3.5),
        ("kbh-dag-3", True, None),
    ]
    assert listing["institutions"][2]["reason"] == FEW_ANSWERS


async def test_no_comparison_gives_away_an_area_withheld_on_a_question(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    # k147 has 6 respondents but 2 answers on the scale: withheld on the questions, so k101 is
    # withheld beside it (the nation minus k101), and kbh-dag-1 inside k101. kbh-dag-2 stays
    # shown, but the rest of its municipality would be kbh-dag-1.
    round_id = await _closed_round(
        client,
        internal_keys,
        clock,
        {
            "kbh-dag-1": (20, [4] * 10),
            "kbh-dag-2": (20, [2] * 6 + [3] * 6),
            "frb-dag-1": (20, [4, 4, None, None, None, None]),
        },
    )
    headers = admin(internal_keys)
    url = f"/v1/rounds/{round_id}/results"
    small = (await client.get(f"{url}/municipalities/k147", headers=headers)).json()
    assert small["suppressed"] is False and question(small)["suppressed"] is True
    k101 = (await client.get(f"{url}/municipalities/k101", headers=headers)).json()
    assert question(k101)["reason"] == COMPLEMENTARY_REASON
    assert question(k101)["mean"] is None
    dag_1 = (await client.get(f"{url}/institutions/kbh-dag-1", headers=headers)).json()
    assert question(dag_1)["suppressed"] is True
    dag_2 = (await client.get(f"{url}/institutions/kbh-dag-2", headers=headers)).json()
    assert question(dag_2)["mean"] == 2.5
    assert "municipality" not in question(dag_2)["comparisons"]
    assert question(dag_2)["comparisons"]["national"]["rest_n"] == 12
    listing = (await client.get(f"{url}/municipalities/k101/institutions", headers=headers)).json()
    assert listing["municipality_mean"] is None
    assert [i["comparison"] for i in listing["institutions"]] == [None, None]


async def test_the_population_is_known_only_when_every_member_s_is(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    # kbh-dag-2's number invited is unknown (0), and frb-dag-1 has more responses than
    # invitations: summing them would give k101 20 invited for 20 answers (a zero-width
    # interval) and k147 a finite-population correction from 35 invited.
    round_id = await _closed_round(
        client,
        internal_keys,
        clock,
        {
            "kbh-dag-1": (20, DAG_1),
            "kbh-dag-2": (0, DAG_2),
            "frb-dag-1": (5, FRB_1),
            "frb-dag-2": (30, DAG_2),
        },
    )
    headers = admin(internal_keys)
    url = f"/v1/rounds/{round_id}/results"
    without_correction = {
        "k101": summarise(Counts(n2=4, n3=5, n4=8, n5=3)),
        "k147": summarise(Counts(n2=5, n3=7, n4=9, n5=1)),
    }
    for code, expected in without_correction.items():
        body = (await client.get(f"{url}/municipalities/{code}", headers=headers)).json()
        assert body["response_rate"] is None, code
        overall = question(body)
        assert overall["n"] == expected.n
        assert expected.ci95 is not None
        assert overall["ci95"] == pytest.approx(list(expected.ci95), abs=1e-3), code
    national = (await client.get(f"{url}/national", headers=headers)).json()
    assert national["response_rate"] is None and national["invited"] == 55
    # A member whose number is known keeps its correction and its response rate.
    known = (await client.get(f"{url}/institutions/kbh-dag-1", headers=headers)).json()
    assert known["response_rate"] == 0.5
    assert question(known)["ci95"] == pytest.approx([3.780, 4.720], abs=1e-3)
    unknown = (await client.get(f"{url}/institutions/frb-dag-1", headers=headers)).json()
    assert unknown["response_rate"] is None
    listed = await client.get(f"/v1/rounds/{round_id}/participants", headers=headers)
    rates = {p["org_code"]: p["response_rate"] for p in listed.json()["items"]}
    assert rates == {"frb-dag-1": None, "frb-dag-2": 0.4, "kbh-dag-1": 0.5, "kbh-dag-2": None}


async def test_who_reads_results_before_and_after_publication(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    round_id = await _statistics_round(client, internal_keys, clock)
    url = f"/v1/rounds/{round_id}/results"
    paths = [
        f"{url}/institutions/kbh-dag-1",
        f"{url}/municipalities/k101",
        f"{url}/municipalities/k101/institutions",
    ]
    cases = [
        (None, 404),
        (role(internal_keys, "org_admin", "k147"), 404),
        (role(internal_keys, "reporter", "k101"), 404),
        (role(internal_keys, "researcher", "*"), 404),
        (role(internal_keys, "org_admin", "kbh-dag-2"), 404),
        (role(internal_keys, "org_admin", "k101"), 200),
        (role(internal_keys, "leader", "k101"), 200),
        (role(internal_keys, "analyst", "*"), 200),
        (admin(internal_keys), 200),
    ]
    for path in paths:
        for headers, status in cases:
            response = await client.get(path, headers=headers)
            assert response.status_code == status, (path, headers, response.text)
            if status == 200:
                assert response.headers["cache-control"] == "private, no-store", path
    assert (await client.get(f"{url}/national")).status_code == 404
    analyst = await client.get(f"{url}/national", headers=role(internal_keys, "analyst", "*"))
    assert analyst.headers["cache-control"] == "private, no-store"
    local = role(internal_keys, "org_admin", "k101")
    assert (await client.get(f"{url}/national", headers=local)).status_code == 404
    assert (
        await client.get(f"{url}/institutions/kbh-dag-3", headers=admin(internal_keys))
    ).status_code == 404
    assert (
        await client.get(f"{url}/municipalities/k751", headers=admin(internal_keys))
    ).status_code == 404
    await client.post(f"/v1/rounds/{round_id}/publish", headers=admin(internal_keys))
    for path in [*paths, f"{url}/national"]:
        response = await client.get(path)
        assert response.status_code == 200, path
        assert response.json().get("published", True) is True
        assert "no-store" not in response.headers.get("cache-control", ""), path


async def test_results_open_a_minute_after_the_round_closes(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    round_id = (await create_round(client, internal_keys))["id"]
    motivation = (await create_round(client, internal_keys, programme="employee_motivation"))["id"]
    await enrol(client, internal_keys, round_id, "kbh-dag-1", 0, external_invitations=10)
    await enrol(client, internal_keys, motivation, "k101", 0, external_invitations=10)
    clock.now = DURING
    await import_values(client, internal_keys, round_id, "kbh-dag-1", [4] * 6)
    url = f"/v1/rounds/{round_id}/results"
    paths = (
        f"{url}/institutions/kbh-dag-1",
        f"{url}/municipalities/k101",
        f"{url}/municipalities/k101/institutions",
        f"{url}/national",
        "/v1/motivation/2026/sectors",
    )
    # Open, and closed for less than a minute: the last responses may still be committing.
    for now in (DURING, datetime(2026, 3, 27, 15, 0, 59, tzinfo=UTC)):
        clock.now = now
        for path in paths:
            early = await client.get(path, headers=admin(internal_keys))
            assert early.status_code == 409, (now, path)
            assert "2026-03-27 15:01:00 UTC" in early.json()["detail"]
            assert (await client.get(path)).status_code == 404
    clock.now = datetime(2026, 3, 27, 15, 1, tzinfo=UTC)
    for path in paths:
        assert (await client.get(path, headers=admin(internal_keys))).status_code == 200, path


async def test_local_questions_are_the_owners_until_published(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    round_id = (await create_round(client, internal_keys))["id"]
    created = await client.post(
        f"/v1/rounds/{round_id}/local-questions",
        json={"owner_code": "k101", "text_da": "Hvor tilfreds er du med udflugterne?"},
        headers=role(internal_keys, "org_admin", "k101"),
    )
    local_id = created.json()["id"]
    await enrol(client, internal_keys, round_id, "kbh-dag-1", 6, scope="k101")
    tokens = await enrol(client, internal_keys, round_id, "kbh-dag-2", 6, scope="k101")
    clock.now = DURING
    for token in tokens:
        body = {"answers": [*answers(), {"question_id": local_id, "value": 2}]}
        response = await client.post(f"/v1/invitations/{token}/responses", json=body)
        assert response.status_code == 201, response.text
    clock.now = AFTER
    url = f"/v1/rounds/{round_id}/results"

    def has_local(body: dict[str, Any]) -> bool:
        return local_id in [q["question_id"] for q in body["questions"]]

    owner = role(internal_keys, "org_admin", "k101")
    mine = (await client.get(f"{url}/institutions/kbh-dag-2", headers=owner)).json()
    assert has_local(mine)
    assert (
        question(mine, local_id)["mean"] == 2.0 and question(mine, local_id)["owner_code"] == "k101"
    )
    assert question(mine, local_id)["comparisons"] == {}
    area = (await client.get(f"{url}/municipalities/k101", headers=owner)).json()
    assert has_local(area) and question(area, local_id)["n"] == 6
    national_admin = (
        await client.get(f"{url}/institutions/kbh-dag-2", headers=admin(internal_keys))
    ).json()
    assert not has_local(national_admin)
    await client.post(f"/v1/rounds/{round_id}/publish", headers=admin(internal_keys))
    assert not has_local((await client.get(f"{url}/institutions/kbh-dag-2")).json())
    published = await client.post(
        f"/v1/rounds/{round_id}/local-questions/{local_id}/publish",
        headers=role(internal_keys, "org_admin", "k101"),
    )
    assert published.status_code == 200
    assert has_local((await client.get(f"{url}/institutions/kbh-dag-2")).json())


async def test_a_local_question_few_answered_is_protected_by_its_own_complement(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    round_id = (await create_round(client, internal_keys))["id"]
    owner = role(internal_keys, "org_admin", "k101")
    created = await client.post(
        f"/v1/rounds/{round_id}/local-questions",
        json={"owner_code": "k101", "text_da": "Hvor tilfreds er du med udflugterne?"},
        headers=owner,
    )
    local_id = created.json()["id"]
    local_values: dict[str, list[int | None]] = {
        "kbh-dag-1": [2] * 6,
        "kbh-dag-2": [4] * 6,
        "kbh-dag-3": [5, 1, None, None, None, None],
    }
    tokens = {code: await enrol(client, internal_keys, round_id, code, 6) for code in local_values}
    clock.now = DURING
    for code, values in local_values.items():
        for token, value in zip(tokens[code], values, strict=True):
            body = {"answers": [*answers(), {"question_id": local_id, "value": value}]}
            response = await client.post(f"/v1/invitations/{token}/responses", json=body)
            assert response.status_code == 201, response.text
    clock.now = AFTER
    url = f"/v1/rounds/{round_id}/results"

    async def local(path: str) -> dict[str, Any]:
        return question((await client.get(f"{url}/{path}", headers=owner)).json(), local_id)

    assert (await local("institutions/kbh-dag-3"))["reason"] == FEW_ANSWERS
    assert (await local("institutions/kbh-dag-1"))["reason"] == COMPLEMENTARY_REASON
    assert (await local("institutions/kbh-dag-2"))["mean"] == 4.0
    assert (await local("municipalities/k101"))["n"] == 14


async def test_the_comparison_list_is_cacheable_once_published(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    round_id = await _statistics_round(client, internal_keys, clock)
    url = f"/v1/rounds/{round_id}/results/municipalities/k101/institutions"
    private = await client.get(url, headers=role(internal_keys, "org_admin", "k101"))
    assert private.headers["cache-control"] == "private, no-store"
    await client.post(f"/v1/rounds/{round_id}/publish", headers=admin(internal_keys))
    public = await client.get(url)
    assert public.status_code == 200
    assert public.headers["cache-control"] == "public, max-age=300"
    body = public.json()
    assert (body["headline_question_id"], body["municipality_mean"]) == ("dag-overall", 3.5)
    first = body["institutions"][0]
    assert (first["org_code"], first["n"], first["mean"]) == ("kbh-dag-1", 8, 4.25)
    assert first["comparison"]["significant"] is True
    assert first["ci95"] == pytest.approx([3.780, 4.720], abs=1e-3)
    cached = await client.get(url, headers={"If-None-Match": public.headers["etag"]})
    assert cached.status_code == 304 and cached.headers["etag"] == public.headers["etag"]


async def test_a_response_committed_just_after_the_close_is_counted(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock, database: Database
) -> None:
    round_id = await _statistics_round(client, internal_keys, clock)
    url = f"/v1/rounds/{round_id}/results/institutions/kbh-dag-1"

    async def count_one_more() -> None:
        # Stands in for a response that commits just after the close.
        async with database.session() as session:
            await session.execute(
                update(Participant)
                .where(Participant.round_id == round_id, Participant.org_code == "kbh-dag-1")
                .values(responded=Participant.responded + 1)
            )

    clock.now = datetime(2026, 3, 27, 15, 0, 30, tzinfo=UTC)  # closed 30 seconds ago
    assert (await client.get(url, headers=admin(internal_keys))).status_code == 409
    await count_one_more()
    clock.now = AFTER
    assert (await client.get(url, headers=admin(internal_keys))).json()["n_responses"] == 11
    await count_one_more()  # cannot happen once settled; the figures are read once
    assert (await client.get(url, headers=admin(internal_keys))).json()["n_responses"] == 11
