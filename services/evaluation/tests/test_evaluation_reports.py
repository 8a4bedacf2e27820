"""The leader report and the organisation report on hand-computed data, the printable page,
and who may read which report."""

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
    org_admin,
    respond,
    role,
)

from leko_kit.testing import InternalKeys

pytestmark = pytest.mark.anyio


async def _answer(client: httpx.AsyncClient, token: str, values: dict[str, Any]) -> None:
    response = await respond(client, token, answers(values))
    assert response.status_code == 201, response.text


async def leader_round(client: httpx.AsyncClient, keys: InternalKeys, clock: Clock) -> int:
    """Threshold 3. Leader a: 4 employees, 2 peers, 1 superior, self. Every core question is
    answered 3 unless given; `direction-01` is left out unless given.

    core-01: employees 5, 4, 4, ved ikke; peers 1, 1 (suppressed); superior 3; self 5.
    direction-01: employees 2, 3, 4 (the fourth leaves it out); superior 5; self ved ikke.
    """
    evaluation = await create_round(client, keys, anonymity_threshold=3, local_questions=[])
    tokens = await add_leaders(
        client, keys, evaluation["id"], leader("a", employee=4, peer=2, superior=1, self=1)
    )
    clock.now = DURING
    group = tokens["a"]
    for token, values in zip(
        group["employee"],
        [
            {"core-01": 5, "direction-01": 2},
            {"core-01": 4, "direction-01": 3},
            {"core-01": 4, "direction-01": 4},
            {"core-01": None},
        ],
        strict=True,
    ):
        await _answer(client, token, values)
    for token in group["peer"]:
        await _answer(client, token, {"core-01": 1, "direction-01": 1})
    await _answer(client, group["superior"][0], {"core-01": 3, "direction-01": 5})
    await _answer(client, group["self"][0], {"core-01": 5, "direction-01": None})
    await clock.pass_close()
    return int(evaluation["id"])


def _question(group: dict[str, Any], question_id: str) -> dict[str, Any]:
    return next(q for q in group["questions"] if q["question_id"] == question_id)


async def test_leader_report_arithmetic(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    evaluation_id = await leader_round(client, internal_keys, clock)
    response = await client.get(
        f"/v1/evaluations/{evaluation_id}/leaders/a/report",
        headers=role(internal_keys, "leader", "k101", leader_ref="a"),
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["leader_ref"] == "a"
    groups = report["groups"]
    assert set(groups) == {"self", "superior", "employee", "peer"}

    employee = groups["employee"]
    assert (employee["n"], employee["suppressed"]) == (4, False)
    core_01 = _question(employee, "core-01")
    assert core_01["mean"] == 4.33  # (5 + 4 + 4) / 3: "ved ikke" is not in the mean
    assert core_01["n"] == 3
    assert core_01["distribution"] == {"1": 0, "2": 0, "3": 0, "4": 2, "5": 1, "dont_know": 1}
    direction_01 = _question(employee, "direction-01")
    assert (direction_01["n"], direction_01["mean"]) == (3, 3.0)
    assert direction_01["distribution"]["dont_know"] == 0  # left out, not "ved ikke"
    # Core theme: core-01 (5+4+4) and 7 questions × 4 employees × 3 = 97 over 31 answers.
    core_theme = next(t for t in employee["themes"] if t["theme"] == "core")
    assert (core_theme["n"], core_theme["mean"]) == (31, round(97 / 31, 2))

    assert groups["peer"] == {
        "n": 2,
        "suppressed": True,
        "reason": "fewer than 3 responses",
        "themes": [],
        "questions": [],
    }
    assert _question(groups["superior"], "core-01")["mean"] == 3.0
    assert _question(groups["self"], "core-01")["mean"] == 5.0

    # Others = employee and superior (the suppressed peers are left out).
    assert report["others_groups"] == ["superior", "employee"]
    self_other = {item["question_id"]: item for item in report["self_other"]}
    assert self_other["core-01"] == {
        "question_id": "core-01",
        "theme": "core",
        "self": 5.0,
        "others_mean": 4.0,  # (5 + 4 + 4 + 3) / 4
        "gap": 1.0,
        "notable": True,
    }
    assert self_other["direction-01"]["others_mean"] == 3.5  # (2 + 3 + 4 + 5) / 4
    assert self_other["direction-01"]["self"] is None
    assert self_other["direction-01"]["gap"] is None
    assert self_other["core-02"]["gap"] == 0.0
    themes = {item["theme"]: item for item in report["self_other_themes"]}
    # Self: (5 + 7 × 3) / 8 = 3.25; others: (97 + 3 + 7 × 3) / (31 + 8) = 121 / 39.
    assert themes["core"]["self"] == 3.25
    assert themes["core"]["others_mean"] == round(121 / 39, 2)
    assert themes["core"]["gap"] == round(3.25 - 121 / 39, 2)
    assert themes["core"]["notable"] is False

    rates = {r["group"]: r for r in report["response_rates"]}
    assert rates["employee"]["rate"] == 1.0
    assert rates["peer"]["responded"] == 2

    # National benchmark: all respondents but self, core-01: 5, 4, 4, 1, 1, 3 (+ ved ikke).
    benchmark = {q["question_id"]: q for q in report["benchmark"]["questions"]}
    assert report["benchmark"]["suppressed"] is False
    assert benchmark["core-01"] == {
        "question_id": "core-01",
        "others_mean": 4.0,
        "national_mean": 3.0,
        "national_n": 6,
        "difference": 1.0,
    }
    assert {t["code"] for t in report["themes"]} == {"core", "direction", "trust"}
    assert any("ved ikke" in note for note in report["notes"])


async def test_report_shape_matches_the_contract(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    evaluation_id = await leader_round(client, internal_keys, clock)
    report = (
        await client.get(
            f"/v1/evaluations/{evaluation_id}/leaders/a/report", headers=org_admin(internal_keys)
        )
    ).json()
    assert {"leader_ref", "groups", "self_other"} <= set(report)
    for group in report["groups"].values():
        assert {"n", "suppressed", "questions"} <= set(group)
        for question in group["questions"]:
            assert {"question_id", "mean", "distribution"} <= set(question)
    for item in report["self_other"]:
        assert {"question_id", "self", "others_mean", "gap"} <= set(item)


async def test_printable_page(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    evaluation_id = await leader_round(client, internal_keys, clock)
    page = await client.get(
        f"/v1/evaluations/{evaluation_id}/leaders/a/report.html",
        headers=role(internal_keys, "leader", "k101", leader_ref="a"),
    )
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    text = page.text
    assert "<h1>Leder a</h1>" in text
    assert "Lederen sætter en tydelig retning for arbejdet." in text
    assert 'class="notable"' in text  # core-01's gap of one point
    assert "4,00" in text and "+1,00" in text
    assert "nej (færre end 3 svar)" in text
    assert "@media print" in text


async def test_who_reads_a_leader_report(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    evaluation_id = await leader_round(client, internal_keys, clock)
    url = f"/v1/evaluations/{evaluation_id}/leaders/a/report"
    allowed = [
        role(internal_keys, "leader", "k101", leader_ref="a"),
        role(internal_keys, "leader", "kbh-skole", leader_ref="a"),
        org_admin(internal_keys),
        org_admin(internal_keys, "kbh-skole"),
    ]
    for headers in allowed:
        assert (await client.get(url, headers=headers)).status_code == 200
    hidden = [
        role(internal_keys, "leader", "k101", leader_ref="b"),  # another leader
        role(internal_keys, "leader", "k147", leader_ref="a"),  # same ref, other organisation
        role(internal_keys, "leader", "k101"),  # a leader client without a bound ref
        org_admin(internal_keys, "k147"),
        org_admin(internal_keys, "kbh-dagtilbud"),
    ]
    for headers in hidden:
        assert (await client.get(url, headers=headers)).status_code == 404
    for name in ("analyst", "researcher", "national_admin", "reporter"):
        assert (await client.get(url, headers=role(internal_keys, name, "*"))).status_code == 403
    assert (await client.get(url)).status_code == 401
    unknown = f"/v1/evaluations/{evaluation_id}/leaders/zz/report"
    assert (await client.get(unknown, headers=org_admin(internal_keys))).status_code == 404


async def test_reports_open_when_the_round_closes(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    evaluation = await create_round(client, internal_keys)
    await add_leaders(client, internal_keys, evaluation["id"], leader("a"))
    clock.now = DURING
    url = f"/v1/evaluations/{evaluation['id']}"
    early = await client.get(f"{url}/leaders/a/report", headers=org_admin(internal_keys))
    assert early.status_code == 409
    assert "closes" in early.json()["detail"]
    assert (await client.get(f"{url}/report", headers=org_admin(internal_keys))).status_code == 409
    await client.post(f"{url}/close", headers=org_admin(internal_keys))
    assert (
        await client.get(f"{url}/leaders/a/report", headers=org_admin(internal_keys))
    ).status_code == 200


async def organisation_round(client: httpx.AsyncClient, keys: InternalKeys, clock: Clock) -> int:
    """Threshold 3. First line: a (4 employees), b (2), c (none); middle: d (2). Everyone
    answers self. core-01: a's employees 5, 4, 4, ved ikke; b's 2, 2; d's 1, 1."""
    evaluation = await create_round(client, keys, anonymity_threshold=3, local_questions=[])
    tokens = await add_leaders(
        client,
        keys,
        evaluation["id"],
        leader("a", employee=4, superior=0),
        leader("b", employee=2, superior=0),
        leader("c", employee=0, superior=0),
        leader("d", "kbh-dagtilbud", "middle", employee=2, superior=0),
    )
    clock.now = DURING
    values = {"a": [5, 4, 4, None], "b": [2, 2], "d": [1, 1]}
    for ref, scores in values.items():
        for token, score in zip(tokens[ref]["employee"], scores, strict=True):
            await _answer(client, token, {"core-01": score})
    for ref in "abcd":
        await _answer(client, tokens[ref]["self"][0], {"core-01": 4})
    await clock.pass_close()
    return int(evaluation["id"])


async def test_organisation_report(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    evaluation_id = await organisation_round(client, internal_keys, clock)
    response = await client.get(
        f"/v1/evaluations/{evaluation_id}/report", headers=org_admin(internal_keys)
    )
    assert response.status_code == 200, response.text
    report = response.json()
    levels = {item["level"]: item for item in report["levels"]}
    assert [item["level"] for item in report["levels"]] == ["all", "top", "middle", "first_line"]
    assert (levels["all"]["leaders"], levels["first_line"]["leaders"]) == (4, 3)

    # Employees, all levels: b's and d's small groups (2 + 2) together reach 3, so they join.
    everyone = levels["all"]["groups"]["employee"]
    assert (everyone["n"], everyone["suppressed"], everyone["withheld_respondents"]) == (
        8,
        False,
        0,
    )
    core_01 = _question(everyone, "core-01")
    assert core_01["distribution"] == {"1": 2, "2": 2, "3": 0, "4": 2, "5": 1, "dont_know": 1}
    assert core_01["mean"] == round(19 / 7, 2)
    # First line: b's 2 alone are below 3, so only a's group is in; middle has only d's 2.
    first_line = levels["first_line"]["groups"]["employee"]
    assert (first_line["n"], first_line["withheld_respondents"]) == (4, 2)
    assert _question(first_line, "core-01")["mean"] == 4.33
    middle = levels["middle"]["groups"]["employee"]
    assert middle == {
        "n": 0,
        "suppressed": True,
        "reason": "fewer than 3 responses",
        "themes": [],
        "questions": [],
        "withheld_respondents": 2,
    }
    # What subtraction reveals (all − first line) is b's and d's groups pooled: 4 ≥ 3.
    assert everyone["n"] - first_line["n"] == 4

    # Self: first line 3, middle 1 (suppressed) and all 4: the first line is withheld too,
    # or all − first line would be d's self-assessment.
    assert levels["all"]["groups"]["self"]["suppressed"] is False
    assert levels["middle"]["groups"]["self"]["reason"] == "fewer than 3 responses"
    first_line_self = levels["first_line"]["groups"]["self"]
    assert first_line_self["suppressed"] is True
    assert "complementary" in first_line_self["reason"]
    assert "top" not in [g for g in levels["top"]["groups"]]
    assert levels["top"]["groups"] == {}


async def test_who_reads_the_organisation_report(
    client: httpx.AsyncClient, internal_keys: InternalKeys, clock: Clock
) -> None:
    evaluation_id = await organisation_round(client, internal_keys, clock)
    url = f"/v1/evaluations/{evaluation_id}/report"
    assert (await client.get(url, headers=org_admin(internal_keys, "r1084"))).status_code == 200
    assert (await client.get(url, headers=org_admin(internal_keys, "k147"))).status_code == 404
    assert (await client.get(url, headers=org_admin(internal_keys, "kbh-skole"))).status_code == 404
    for name in ("leader", "analyst", "researcher"):
        assert (await client.get(url, headers=role(internal_keys, name, "*"))).status_code == 403
