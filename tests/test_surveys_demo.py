"""The demo's survey rounds: deterministic, shaped like real rounds (institutions that stand
out, small ones, "ved ikke", background questions, tokens and vendor import), loaded through
the gateway with the rest of the demo and published, so that a citizen reads them without
credentials; loading again changes nothing."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from statistics import mean
from typing import Any

import httpx
import pytest

from leko_cli.demo import demo_organisations, load_demo_data
from leko_cli.platform import Platform
from leko_cli.surveys_demo import (
    ANONYMITY_THRESHOLD,
    DemoParticipant,
    DemoRound,
    answers,
    generate,
)
from leko_kit.cpr import looks_like_cpr
from leko_surveys.seed import seed_data

ORGANISATIONS = demo_organisations()
PROGRAMMES = {programme["code"]: programme for programme in seed_data()}
YEAR = 2026


def questionnaire(demo_round: DemoRound) -> list[dict[str, Any]]:
    """The round's national questions as seeded (the demo adds no local questions)."""
    questions: list[dict[str, Any]] = PROGRAMMES[demo_round.programme]["questions"]
    return questions


def headline_values(demo_round: DemoRound, participant: DemoParticipant) -> list[int]:
    """The participant's answers to the programme's overall question, "ved ikke" left out."""
    headline = PROGRAMMES[demo_round.programme]["headline_question_id"]
    questions = questionnaire(demo_round)
    return [
        answer["value"]
        for respondent in participant.respondents
        for answer in answers(participant, respondent, questions)
        if answer["question_id"] == headline and answer["value"] is not None
    ]


def against_rest(demo_round: DemoRound, code: str) -> float:
    """An institution's overall mean minus that of the rest of its municipality."""
    (own,) = (p for p in demo_round.participants if p.org_code == code)
    rest = [
        value
        for p in demo_round.participants
        if p.owner == own.owner and p.org_code != code
        for value in headline_values(demo_round, p)
    ]
    return mean(headline_values(demo_round, own)) - mean(rest)


def sector(owner: str) -> str:
    """The sector of a participant's administration: the state, a region or a municipality."""
    return owner if owner == "state" else {"r": "region", "k": "municipality"}[owner[0]]


def by_code(demo_round: DemoRound) -> dict[str, DemoParticipant]:
    return {p.org_code: p for p in demo_round.participants}


def test_rounds_are_deterministic_and_shaped_like_surveys() -> None:
    rounds = generate(ORGANISATIONS, YEAR)
    assert rounds == generate(ORGANISATIONS, YEAR)
    assert rounds != generate(ORGANISATIONS, YEAR, seed=1)
    assert [r.key for r in rounds] == [
        "daycare 2026",
        "school_parents 2026",
        "daycare 2025",
        "employee_motivation 2026",
    ]
    daycare, school, last_year, motivation = rounds

    # Who takes part: every demo daycare institution (both years) and school, enrolled by
    # its municipality; the motivation survey in the state, the regions and the
    # municipalities.
    kinds = {str(o["code"]): o for o in ORGANISATIONS}
    for demo_round, institution_type in ((daycare, "daycare"), (school, "school")):
        codes = {c for c, o in kinds.items() if o.get("institution_type") == institution_type}
        assert set(by_code(demo_round)) == codes
        assert all(p.owner == kinds[p.org_code]["parent_code"] for p in demo_round.participants)
    assert set(by_code(last_year)) == set(by_code(daycare))
    owners = Counter(p.owner for p in motivation.participants)
    assert owners["state"] == 5 and {"r1082", "r1084", "k101", "k265"} <= set(owners)

    # Roskilde's parents answer this year's daycare round by token; everything else is
    # imported by the vendor. Not everyone invited answers.
    token_owners = {p.owner for r in rounds for p in r.participants if p.by_token}
    assert token_owners == {"k265"} and all(
        p.by_token for p in by_code(daycare).values() if p.owner == "k265"
    )
    assert 30 <= daycare.by_token <= 100 and school.by_token == last_year.by_token == 0
    for demo_round in rounds:
        invited = sum(p.invited for p in demo_round.participants)
        assert 0.4 * invited < demo_round.responses < 0.9 * invited
        assert all(len(p.respondents) <= p.invited for p in demo_round.participants)
        ids = [
            demo_round.external_id(p, n)
            for p in demo_round.participants
            for n in range(1, len(p.respondents) + 1)
        ]
        assert len(set(ids)) == len(ids) and not any(looks_like_cpr(i) for i in ids)
    assert 3_000 <= sum(r.responses for r in rounds) <= 6_000

    # The small daycare institutions, and only they, fall below the anonymity threshold.
    for demo_round in rounds:
        small = {
            code
            for code, p in by_code(demo_round).items()
            if len(p.respondents) < ANONYMITY_THRESHOLD
        }
        expected = {"kbh-dag-5", "ros-dag-5"} if demo_round.programme == "daycare" else set()
        assert small == expected

    # The answers: every question once, in order, 1–5 or "ved ikke"; background questions
    # one of their options (or left unanswered); the same again.
    for demo_round in rounds:
        questions = questionnaire(demo_round)
        options = {
            q["id"]: {o["value"] for o in q["options"]} | {None}
            for q in questions
            if q.get("kind") == "choice"
        }
        scale: Counter[int | None] = Counter()
        for participant in demo_round.participants:
            for respondent in participant.respondents:
                sheet = answers(participant, respondent, questions)
                assert sheet == answers(participant, respondent, questions)
                assert [a["question_id"] for a in sheet] == [q["id"] for q in questions]
                for answer in sheet:
                    if answer["question_id"] in options:
                        assert answer["value"] in options[answer["question_id"]]
                    else:
                        scale[answer["value"]] += 1
        assert set(scale) == {1, 2, 3, 4, 5, None}
        assert 0.02 < scale[None] / sum(scale.values()) < 0.08
    ages: Counter[str | None] = Counter(
        answer["value"]
        for p in daycare.participants
        for r in p.respondents
        for answer in answers(p, r, questionnaire(daycare))
        if answer["question_id"] == "dag-age"
    )
    assert ages.most_common(1)[0][0] == "age_3_5" and 0 < ages[None] < 0.05 * ages.total()

    # Institutions that stand out from the rest of their municipality, and the changes since
    # last year.
    assert against_rest(daycare, "kbh-dag-2") > 0.3
    assert against_rest(daycare, "kbh-dag-4") < -0.3
    assert against_rest(school, "kbh-skole-3") < -0.3
    ode_now, ode_before = (
        mean(headline_values(r, by_code(r)["ode-dag-1"])) for r in (daycare, last_year)
    )
    assert ode_now < ode_before - 0.3
    aar_now, aar_before = (
        mean(headline_values(r, by_code(r)["aar-dag-3"])) for r in (daycare, last_year)
    )
    assert aar_now > aar_before + 0.2
    # In the motivation survey, the regions' hospitals score below the state's agencies.
    by_sector: dict[str, list[int]] = {}
    for p in motivation.participants:
        by_sector.setdefault(sector(p.owner), []).extend(headline_values(motivation, p))
    assert mean(by_sector["region"]) < mean(by_sector["state"]) - 0.1

    # Each round opens in its own year, a few weeks back, and closes once its loading is
    # done: seconds from now, never minutes.
    now = datetime(YEAR, 11, 30, 12, tzinfo=UTC)
    for demo_round in rounds:
        body = demo_round.body(now)
        opens_at = datetime.fromisoformat(body["opens_at"])
        closes_at = datetime.fromisoformat(body["closes_at"])
        assert opens_at.year == demo_round.year and opens_at < now - timedelta(days=7)
        assert timedelta(seconds=3) < closes_at - now < timedelta(seconds=20)
        assert body["anonymity_threshold"] == ANONYMITY_THRESHOLD


def wait_for_results(gateway: httpx.Client, round_id: int) -> None:
    """Until the round's results open: the service may open them a little after the round
    closes, once its last responses are counted (409 until then)."""
    deadline = time.monotonic() + 120
    url = f"/surveys/v1/rounds/{round_id}/results/national"
    while (response := gateway.get(url)).status_code == 409 and time.monotonic() < deadline:
        time.sleep(1)
    assert response.status_code == 200, response.text


def results(gateway: httpx.Client, round_id: int, path: str) -> dict[str, Any]:
    """What anyone reads, without credentials."""
    response = gateway.get(f"/surveys/v1/rounds/{round_id}/results/{path}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def question(body: dict[str, Any], question_id: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [q for q in body["questions"] if q["question_id"] == question_id]
    assert len(found) == 1, question_id
    return found[0]


@pytest.mark.e2e
def test_demo_publishes_rounds_citizens_read_and_loads_again_unchanged(
    platform: Platform, gateway: httpx.Client, admin: dict[str, str]
) -> None:
    first = load_demo_data(platform.gateway_url, platform.secrets.admin_key).surveys
    assert first.rounds_created + first.rounds_existing == 4
    planned = {r.key: r for r in generate(ORGANISATIONS, first.year)}
    assert set(first.round_ids) == set(planned)
    for key, round_id in first.round_ids.items():
        shown = gateway.get(f"/surveys/v1/rounds/{round_id}").json()
        assert (shown["status"], shown["published"]) == ("closed", True), key
        assert shown["responses"] == planned[key].responses
        assert shown["participants"] == len(planned[key].participants)
        wait_for_results(gateway, round_id)

    # A citizen compares København's daycare institutions, without credentials: one clearly
    # above the rest of the municipality, one clearly below, a small one suppressed, and one
    # withheld beside it so that the small one cannot be worked out by subtraction.
    daycare = planned[f"daycare {first.year}"]
    round_id = first.round_ids[daycare.key]
    listing = gateway.get(f"/surveys/v1/rounds/{round_id}/results/municipalities/k101/institutions")
    assert listing.status_code == 200, listing.text
    assert listing.headers["cache-control"].startswith("public")
    institutions = {i["org_code"]: i for i in listing.json()["institutions"]}
    assert set(institutions) == {f"kbh-dag-{n}" for n in range(1, 6)}
    above, below, small = (institutions[f"kbh-dag-{n}"] for n in (2, 4, 5))
    assert above["comparison"]["significant"] is True and above["comparison"]["difference"] > 0
    assert below["comparison"]["significant"] is True and below["comparison"]["difference"] < 0
    assert above["ci95"][0] > listing.json()["municipality_mean"] > below["ci95"][1]
    assert (small["suppressed"], small["reason"], small["mean"]) == (
        True,
        "fewer than 5 responses",
        None,
    )
    beside = [i for i in institutions.values() if "complementary" in (i["reason"] or "")]
    assert len(beside) == 1 and beside[0]["mean"] is None
    assert all(i["comparison"] for i in institutions.values() if not i["suppressed"])

    # The small institution's own page shows nothing but the reason.
    page = results(gateway, round_id, "institutions/kbh-dag-5")
    assert (page["suppressed"], page["n_responses"]) == (
        True,
        len(by_code(daycare)["kbh-dag-5"].respondents),
    )
    assert all(q["suppressed"] and q["mean"] is None for q in page["questions"])

    # Odense's standout: below its municipality and the country, and down since last year;
    # "ved ikke" is counted beside the scale, the child's age answered.
    plan = by_code(daycare)["ode-dag-1"]
    page = results(gateway, round_id, "institutions/ode-dag-1")
    assert (page["name"], page["n_responses"], page["invited"]) == (
        "Børnehuset Odense 1",
        len(plan.respondents),
        plan.invited,
    )
    overall = question(page, "dag-overall")
    assert overall["comparisons"]["municipality"]["significant"] is True
    assert overall["comparisons"]["municipality"]["difference"] < 0
    assert overall["change"]["previous_year"] == first.year - 1
    assert overall["change"]["significant"] is True and overall["change"]["difference"] < 0
    assert sum(q["distribution"]["dont_know"] for q in page["questions"]) > 0
    age = question(page, "dag-age")["distribution"]
    assert set(age) == {"age_0_2", "age_3_5", "age_6_plus", "dont_know"}
    assert sum(age.values()) == len(plan.respondents)

    # The national figures, and Roskilde's parents, who answered by token.
    national = results(gateway, round_id, "national")
    assert (national["participants"], national["n_responses"]) == (25, daycare.responses)
    assert question(national, "dag-overall")["change"]["previous_year"] == first.year - 1
    participants = gateway.get(f"/surveys/v1/rounds/{round_id}/participants", headers=admin)
    roskilde = {
        p["org_code"]: p for p in participants.json()["items"] if p["municipality"] == "k265"
    }
    assert {code: (p["invited"], p["responded"]) for code, p in roskilde.items()} == {
        p.org_code: (p.invited, len(p.respondents)) for p in daycare.participants if p.by_token
    }

    # The motivation survey by sector: the regions' hospitals below the rest of the country.
    motivation = planned[f"employee_motivation {first.year}"]
    sectors = gateway.get(f"/surveys/v1/motivation/{first.year}/sectors")
    assert sectors.status_code == 200, sectors.text
    by_sector = {s["area"]: s for s in sectors.json()["sectors"]}
    assert set(by_sector) == {"sector:state", "sector:region", "sector:municipality"}
    assert not any(s["suppressed"] for s in by_sector.values())
    assert sectors.json()["national"]["n_responses"] == motivation.responses
    region = question(by_sector["sector:region"], "motiv-overall")["comparisons"]["national"]
    assert region["significant"] is True and region["difference"] < 0

    school = planned[f"school_parents {first.year}"]
    skole = results(gateway, first.round_ids[school.key], "institutions/kbh-skole-3")
    assert question(skole, "skole-overall")["comparisons"]["municipality"]["difference"] < 0

    again = load_demo_data(platform.gateway_url, platform.secrets.admin_key)
    assert (again.surveys.rounds_created, again.surveys.rounds_existing) == (0, 4)
    assert again.surveys.round_ids == first.round_ids
    assert gateway.get(listing.request.url).json() == listing.json()
    assert results(gateway, round_id, "national") == national
    assert "0 rounds created, 4 already there" in again.summary()
