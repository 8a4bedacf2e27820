"""The demo's leader-evaluation rounds: deterministic, shaped like a real round (levels,
respondent groups, self rating higher than others, "ved ikke", small groups suppressed),
loaded through the gateway with the rest of the demo, and left as they are when loaded
again."""

from __future__ import annotations

from collections import Counter
from statistics import mean
from typing import Any

import httpx
import pytest
from gateway_clients import create_client

from leko_cli.demo import demo_organisations, load_demo_data
from leko_cli.evaluation_demo import ANONYMITY_THRESHOLD, DemoRound, answers, generate
from leko_cli.platform import Platform
from leko_evaluation.seed import seed_question_set_data

ORGANISATIONS = demo_organisations()
QUESTION_SET = seed_question_set_data()
YEAR = 2026


def questionnaire(demo_round: DemoRound) -> list[dict[str, Any]]:
    """The round's questions as the service builds them from the seeded question set."""
    questions = [{"id": q.id, "theme": "core"} for q in QUESTION_SET.core]
    for theme in QUESTION_SET.themes:
        if theme.code in demo_round.themes:
            questions += [{"id": q.id, "theme": theme.code} for q in theme.questions]
    local = range(1, len(demo_round.local_questions) + 1)
    return questions + [{"id": f"local-{n:02d}", "theme": "local"} for n in local]


def test_rounds_are_deterministic_and_shaped_like_an_evaluation() -> None:
    rounds = generate(ORGANISATIONS, YEAR)
    assert rounds == generate(ORGANISATIONS, YEAR)
    assert rounds != generate(ORGANISATIONS, YEAR, seed=1)
    assert [r.org_code for r in rounds] == ["k101", "k751", "k461", "r1082"]
    assert rounds[0].name == "Ledelsesevaluering 2026, Københavns Kommune"

    themes = {theme.code for theme in QUESTION_SET.themes}
    parents = {str(o["code"]): o["parent_code"] for o in ORGANISATIONS}
    leaders = [leader for demo_round in rounds for leader in demo_round.leaders]
    assert 25 <= len(leaders) <= 50
    assert len({leader.leader_ref for leader in leaders}) == len(leaders)
    for demo_round in rounds:
        assert len(demo_round.themes) == 4 and set(demo_round.themes) <= themes
        assert all(text.startswith("Lederen ") for text in demo_round.local_questions)
        levels = Counter(leader.level for leader in demo_round.leaders)
        assert levels["top"] == 1 and levels["middle"] >= 1 and levels["first_line"] >= 4
        for leader in demo_round.leaders:
            # First-line leaders lead one of the organisation's institutions, the others
            # the organisation itself.
            if leader.level == "first_line":
                assert parents[leader.org_code] == demo_round.org_code
            else:
                assert leader.org_code == demo_round.org_code
            invited = leader.invited
            assert (invited["self"], invited["superior"]) == (1, 1)
            assert 4 <= invited["employee"] <= 12 and 0 <= invited["peer"] <= 4
            assert all(leader.responding(group) <= invited[group] for group in invited)
    assert any(demo_round.local_questions for demo_round in rounds)
    assert not all(demo_round.local_questions for demo_round in rounds)

    # Not everyone answers, and a few small units fall below the anonymity threshold.
    invited_total = sum(sum(leader.invited.values()) for leader in leaders)
    responses = sum(len(leader.respondents) for leader in leaders)
    assert 0.7 * invited_total < responses < 0.95 * invited_total
    small = [leader for leader in leaders if leader.responding("employee") < ANONYMITY_THRESHOLD]
    assert 3 <= len(small) <= len(leaders) // 4
    assert any(leader.responding("self") == 0 for leader in leaders)

    # The answers: every question of the questionnaire, 1–5 or "ved ikke"; the same again.
    self_values: list[int] = []
    other_values: list[int] = []
    leader_means: list[float] = []
    dont_know = total = 0
    for demo_round in rounds:
        questions = questionnaire(demo_round)
        for leader in demo_round.leaders:
            about_leader: list[int] = []
            for respondent in leader.respondents:
                sheet = answers(leader, respondent, questions)
                assert sheet == answers(leader, respondent, questions)
                assert [a["question_id"] for a in sheet] == [q["id"] for q in questions]
                values = [a["value"] for a in sheet]
                assert all(v is None or v in (1, 2, 3, 4, 5) for v in values)
                dont_know += values.count(None)
                total += len(values)
                given = [v for v in values if v is not None]
                (self_values if respondent.group == "self" else other_values).extend(given)
                if respondent.group != "self":
                    about_leader += given
            leader_means.append(mean(about_leader))
    assert 0.02 < dont_know / total < 0.1
    assert mean(self_values) > mean(other_values) + 0.2  # leaders rate themselves higher
    assert max(leader_means) - min(leader_means) > 1.0  # and leaders differ
    assert Counter(other_values)[1] > 0 and Counter(other_values)[5] > 0


@pytest.mark.e2e
def test_demo_runs_closed_rounds_with_reports_and_loads_again_unchanged(
    platform: Platform, gateway: httpx.Client, admin: dict[str, str]
) -> None:
    first = load_demo_data(platform.gateway_url, platform.secrets.admin_key)
    loaded = first.evaluation
    assert loaded.rounds_created + loaded.rounds_existing == 4
    assert set(loaded.round_ids) == {"k101", "k751", "k461", "r1082"}

    # Copenhagen's HR sees its closed round with the planned response rates per leader.
    hr = {"X-API-Key": create_client(gateway, admin, roles=["org_admin"], scope=["k101"])}
    (planned,) = (r for r in generate(ORGANISATIONS, loaded.year) if r.org_code == "k101")
    base = f"/evaluation/v1/evaluations/{loaded.round_ids['k101']}"
    evaluation = gateway.get(base, headers=hr)
    assert evaluation.status_code == 200, evaluation.text
    assert (evaluation.json()["status"], evaluation.json()["name"]) == ("closed", planned.name)
    listed = gateway.get(f"{base}/leaders", headers=hr).json()["items"]
    rates = {
        item["leader_ref"]: {
            r["group"]: (r["invited"], r["responded"]) for r in item["response_rates"]
        }
        for item in listed
    }
    assert rates == {
        leader.leader_ref: {
            group: (invited, leader.responding(group))
            for group, invited in leader.invited.items()
            if invited
        }
        for leader in planned.leaders
    }

    # A leader with enough employee answers gets figures; a small unit's are suppressed.
    full = next(leader for leader in planned.leaders if leader.responding("employee") >= 8)
    small = next(leader for leader in planned.leaders if leader.responding("employee") < 5)
    report = gateway.get(f"{base}/leaders/{full.leader_ref}/report", headers=hr).json()
    employees = report["groups"]["employee"]
    assert (employees["n"], employees["suppressed"]) == (full.responding("employee"), False)
    assert all(1 <= theme["mean"] <= 5 for theme in employees["themes"])
    assert report["benchmark"]["suppressed"] is False
    small_report = gateway.get(f"{base}/leaders/{small.leader_ref}/report", headers=hr).json()
    assert small_report["groups"]["employee"]["suppressed"] is True
    organisation = gateway.get(f"{base}/report", headers=hr)
    assert organisation.status_code == 200, organisation.text
    (everyone,) = (level for level in organisation.json()["levels"] if level["level"] == "all")
    assert everyone["leaders"] == len(planned.leaders)
    assert everyone["groups"]["employee"]["suppressed"] is False

    # The national overview of the year shows the demo's leaders, broken down for analysts.
    analyst = {"X-API-Key": create_client(gateway, admin, roles=["analyst"], scope=["*"])}
    national = gateway.get(
        "/evaluation/v1/statistics/national", params={"year": loaded.year}, headers=analyst
    )
    (year,) = national.json()["years"]
    cells = {(cell["sector"], cell["level"]): cell for cell in year["cells"]}
    assert cells[(None, None)]["leaders"] >= sum(
        len(r.leaders) for r in generate(ORGANISATIONS, loaded.year)
    )
    assert cells[("municipality", "first_line")]["suppressed"] is False
    assert cells[("region", None)]["suppressed"] is False
    assert cells[("region", "top")]["suppressed"] is True  # one top leader in the region

    again = load_demo_data(platform.gateway_url, platform.secrets.admin_key)
    assert (again.evaluation.rounds_created, again.evaluation.rounds_existing) == (0, 4)
    assert again.evaluation.round_ids == loaded.round_ids
    assert gateway.get(f"{base}/report", headers=hr).json() == organisation.json()
    assert "0 rounds created, 4 already there" in again.summary()
