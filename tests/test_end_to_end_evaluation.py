"""The leader evaluation end to end, through the gateway to the real processes: Copenhagen's HR
system registers a school, runs a round for three leaders and hands out the invitations;
respondents without accounts answer once; after the round closes the leaders read their own
reports (and nobody else's), HR reads the organisation report, Aarhus sees nothing of it, an
analyst reads the national overview and the printable report renders. Every figure asserted
is worked out by hand from the answers sent."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from gateway_clients import create_client

pytestmark = pytest.mark.e2e

CORE = [f"core-{n:02d}" for n in range(1, 9)]
# The round opens in a year of its own (a round may open in the past): the national figures
# of that year are then this test's answers alone, whatever else the session loads.
YEAR = 2019
REPLICA_SECONDS = 60.0


def key_header(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def answers(core_01: int | None, more: dict[str, int | None] | None = None) -> dict[str, Any]:
    """Every core question answered 4, except `core-01`; `more` adds other questions."""
    values: dict[str, int | None] = dict.fromkeys(CORE, 4) | {"core-01": core_01} | (more or {})
    return {"answers": [{"question_id": q, "value": v} for q, v in values.items()]}


def add_leaders(
    gateway: httpx.Client, hr: dict[str, str], round_id: int, leaders: list[dict[str, Any]]
) -> dict[str, dict[str, list[str]]]:
    """Add the leaders (once the evaluation service has replicated the new school); the
    invitation tokens per leader and group."""
    deadline = time.monotonic() + REPLICA_SECONDS
    while True:
        added = gateway.post(
            f"/evaluation/v1/evaluations/{round_id}/leaders", json={"leaders": leaders}, headers=hr
        )
        if added.status_code != 422 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert added.status_code == 201, added.text
    tokens: dict[str, dict[str, list[str]]] = {}
    for leader in added.json()["leaders"]:
        for invitation in leader["invitations"]:
            groups = tokens.setdefault(leader["leader_ref"], {})
            groups.setdefault(invitation["group"], []).append(invitation["token"])
    return tokens


def respond(gateway: httpx.Client, token: str, body: dict[str, Any]) -> None:
    response = gateway.post(f"/evaluation/v1/invitations/{token}/responses", json=body)
    assert response.status_code == 201, response.text


def question(cell: dict[str, Any], question_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(q for q in cell["questions"] if q["question_id"] == question_id)
    return found


def test_leader_evaluation_through_the_gateway(
    gateway: httpx.Client, admin: dict[str, str]
) -> None:
    suffix = uuid.uuid4().hex[:6]
    refs = {name: f"e2e-{suffix}-{name}" for name in ("a", "b", "c")}
    hr = key_header(create_client(gateway, admin, roles=["org_admin"], scope=["k101"]))
    aarhus = key_header(create_client(gateway, admin, roles=["org_admin"], scope=["k751"]))
    analyst = key_header(create_client(gateway, admin, roles=["analyst"], scope=["*"]))
    leader_a = key_header(
        create_client(gateway, admin, roles=["leader"], scope=["k101"], leader_ref=refs["a"])
    )
    leader_b = key_header(
        create_client(gateway, admin, roles=["leader"], scope=["k101"], leader_ref=refs["b"])
    )

    school = f"kbh-e2e-ev-{suffix}"
    registered = gateway.post(
        "/registry/v1/organisations",
        json={
            "code": school,
            "name": "Kildevældsskolen",
            "sector": "municipality",
            "kind": "institution",
            "parent_code": "k101",
            "institution_type": "school",
            "municipality_code": "101",
        },
        headers=hr,
    )
    assert registered.status_code == 201, registered.text

    round_body = {
        "org_code": "k101",
        "name": f"Ledelsesevaluering, Børne- og Ungdomsforvaltningen ({suffix})",
        "opens_at": f"{YEAR}-03-02T07:00:00Z",
        "closes_at": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
        "themes": ["direction", "trust"],
        "local_questions": [{"text_da": "Lederen understøtter arbejdet med den nye skolereform."}],
        "anonymity_threshold": 5,
    }
    outside = gateway.post("/evaluation/v1/evaluations", json=round_body, headers=aarhus)
    assert outside.status_code == 403
    created = gateway.post("/evaluation/v1/evaluations", json=round_body, headers=hr)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"/evaluation/v1/evaluations/{created.json()['id']}"
    evaluation = created.json()
    assert (evaluation["status"], evaluation["year"]) == ("open", YEAR)
    assert evaluation["local_questions"][0]["id"] == "local-01"
    round_id = evaluation["id"]
    base = f"/evaluation/v1/evaluations/{round_id}"

    def leader(ref: str, org_code: str, level: str, **respondents: int) -> dict[str, Any]:
        return {
            "leader_ref": ref,
            "display_name": f"Leder {ref}",
            "org_code": org_code,
            "level": level,
            "respondents": {"employee": 5, "peer": 0, "superior": 1, "self": 1} | respondents,
        }

    tokens = add_leaders(
        gateway,
        hr,
        round_id,
        [
            leader(refs["a"], school, "first_line", peer=2) | {"display_name": "Skoleleder Aa"},
            leader(refs["b"], school, "first_line"),
            leader(refs["c"], "k101", "middle", self=0),
        ],
    )
    a, b, c = (tokens[refs[name]] for name in ("a", "b", "c"))
    assert {group: len(t) for group, t in a.items()} == {
        "self": 1,
        "superior": 1,
        "employee": 5,
        "peer": 2,
    }

    # A respondent needs no account: the token opens the questionnaire for their group,
    # worded for them: the leader reads "Jeg ...", everyone else "Lederen ...".
    own = gateway.get(f"/evaluation/v1/invitations/{a['self'][0]}")
    assert own.status_code == 200, own.text
    assert own.json()["group"] == "self"
    assert own.json()["leader_display_name"] == "Skoleleder Aa"
    assert own.json()["questions"][0]["text_da"].startswith("Jeg ")
    theirs = gateway.get(f"/evaluation/v1/invitations/{a['employee'][0]}").json()
    assert theirs["group"] == "employee"
    assert theirs["status"] == "open"
    assert [q["theme"] for q in theirs["questions"]] == ["core"] * 8 + ["direction"] * 5 + [
        "trust"
    ] * 5 + ["local"]
    assert theirs["questions"][0]["text_da"].startswith("Lederen ")
    assert all(q["kind"] == "scale" for q in theirs["questions"])

    # Leader A, core-01: employees 5, 4, 4, 3, ved ikke; peers 2, 3; superior 3; self 5.
    for token, value in zip(a["employee"], [5, 4, 4, 3, None], strict=True):
        respond(gateway, token, answers(value, {"local-01": 5}))
    for token, value in zip(a["peer"], [2, 3], strict=True):
        respond(gateway, token, answers(value))
    respond(gateway, a["superior"][0], answers(3))
    respond(gateway, a["self"][0], answers(5))
    # Leader B: only 3 of 5 employees answer (2, 2, 3); superior 4; self 4.
    for token, value in zip(b["employee"][:3], [2, 2, 3], strict=True):
        respond(gateway, token, answers(value))
    respond(gateway, b["superior"][0], answers(4))
    respond(gateway, b["self"][0], answers(4))
    # Leader C (no self-assessment): employees 3, 3, 4, 4, 5; superior 2.
    for token, value in zip(c["employee"], [3, 3, 4, 4, 5], strict=True):
        respond(gateway, token, answers(value))
    respond(gateway, c["superior"][0], answers(2))

    # A token answers once; a used one no longer opens the questionnaire either.
    again = gateway.post(
        f"/evaluation/v1/invitations/{a['employee'][0]}/responses", json=answers(1)
    )
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert gateway.get(f"/evaluation/v1/invitations/{a['employee'][0]}").status_code == 409
    # A respondent who leaves out a core question is told which; the token stays usable.
    partial = {"answers": [{"question_id": "core-01", "value": 3}]}
    incomplete = gateway.post(
        f"/evaluation/v1/invitations/{b['employee'][3]}/responses", json=partial
    )
    assert incomplete.status_code == 422
    assert gateway.get(f"/evaluation/v1/invitations/{b['employee'][3]}").status_code == 200

    # HR follows the response rates while the round runs; the reports wait for the close.
    rates = {
        item["leader_ref"]: {
            r["group"]: (r["invited"], r["responded"]) for r in item["response_rates"]
        }
        for item in gateway.get(f"{base}/leaders", headers=hr).json()["items"]
    }
    assert rates[refs["b"]] == {"self": (1, 1), "superior": (1, 1), "employee": (5, 3)}
    early = gateway.get(f"{base}/leaders/{refs['a']}/report", headers=leader_a)
    assert early.status_code == 409
    assert gateway.post(f"{base}/close", headers=aarhus).status_code == 404
    closed = gateway.post(f"{base}/close", headers=hr)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    late = gateway.post(f"/evaluation/v1/invitations/{b['employee'][4]}/responses", json=answers(3))
    assert late.status_code == 409

    # Leader A reads their own report.
    report_a = gateway.get(f"{base}/leaders/{refs['a']}/report", headers=leader_a)
    assert report_a.status_code == 200, report_a.text
    groups = report_a.json()["groups"]
    employees = groups["employee"]
    assert (employees["n"], employees["suppressed"]) == (5, False)
    assert question(employees, "core-01")["mean"] == 4.0  # (5 + 4 + 4 + 3) / 4
    assert question(employees, "core-01")["distribution"] == {
        "1": 0,
        "2": 0,
        "3": 1,
        "4": 2,
        "5": 1,
        "dont_know": 1,
    }
    assert question(employees, "local-01")["mean"] == 5.0
    assert groups["peer"] == {
        "n": 2,
        "suppressed": True,
        "reason": "fewer than 5 responses",
        "themes": [],
        "questions": [],
    }
    assert question(groups["superior"], "core-01")["mean"] == 3.0
    assert report_a.json()["others_groups"] == ["superior", "employee"]
    # Self 5 against the shown others (employees and superior, not the hidden peers):
    # (5 + 4 + 4 + 3 + 3) / 5 = 3.8.
    self_other = next(i for i in report_a.json()["self_other"] if i["question_id"] == "core-01")
    assert (self_other["self"], self_other["others_mean"], self_other["gap"]) == (5.0, 3.8, 1.2)
    assert self_other["notable"] is True
    # The national benchmark of the year: every answer but the self-assessments, core-01:
    # A 5+4+4+3 + 2+3 + 3, B 2+2+3 + 4, C 3+3+4+4+5 + 2 = 56 over 17 answers (one ved ikke).
    benchmark = report_a.json()["benchmark"]
    assert benchmark["suppressed"] is False
    core_01 = next(q for q in benchmark["questions"] if q["question_id"] == "core-01")
    assert (core_01["national_mean"], core_01["national_n"]) == (round(56 / 17, 2), 17)

    # ... but not another leader's: that report does not exist for them.
    assert gateway.get(f"{base}/leaders/{refs['b']}/report", headers=leader_a).status_code == 404
    report_b = gateway.get(f"{base}/leaders/{refs['b']}/report", headers=leader_b)
    assert report_b.status_code == 200, report_b.text
    assert report_b.json()["groups"]["employee"] == {
        "n": 3,
        "suppressed": True,
        "reason": "fewer than 5 responses",
        "themes": [],
        "questions": [],
    }
    # Too few employees answered: B's own answer is set against the superior's alone.
    assert report_b.json()["others_groups"] == ["superior"]

    # HR reads every leader's report and the organisation report; B's three employees are
    # too few to be pooled on their own, so they are withheld rather than revealed by
    # subtracting the leaders' reports: employees of A and C, (4 × 4.0 + 5 × 3.8) / 9.
    assert gateway.get(f"{base}/leaders/{refs['c']}/report", headers=hr).status_code == 200
    organisation = gateway.get(f"{base}/report", headers=hr)
    assert organisation.status_code == 200, organisation.text
    levels = {level["level"]: level for level in organisation.json()["levels"]}
    assert (levels["all"]["leaders"], levels["first_line"]["leaders"]) == (3, 2)
    everyone = levels["all"]["groups"]["employee"]
    assert (everyone["n"], everyone["suppressed"], everyone["withheld_respondents"]) == (
        10,
        False,
        3,
    )
    assert question(everyone, "core-01")["mean"] == round(35 / 9, 2)
    assert levels["all"]["groups"]["superior"]["suppressed"] is True  # 3 superiors
    assert levels["all"]["groups"]["peer"]["suppressed"] is True

    # Aarhus cannot tell that Copenhagen's round exists.
    for url in (base, f"{base}/report", f"{base}/leaders/{refs['a']}/report"):
        assert gateway.get(url, headers=aarhus).status_code == 404, url
    assert gateway.get(f"{base}/report", headers=leader_a).status_code == 403

    # The analyst's national overview of the year: 3 leaders, 18 respondents other than the
    # leaders themselves; the levels (2 first-line leaders, 1 middle manager) are too few.
    national = gateway.get(
        "/evaluation/v1/statistics/national", params={"year": YEAR}, headers=analyst
    )
    assert national.status_code == 200, national.text
    (year,) = national.json()["years"]
    cells = {(cell["sector"], cell["level"]): cell for cell in year["cells"]}
    total = cells[(None, None)]
    assert (total["suppressed"], total["leaders"], total["respondents"]) == (False, 3, 18)
    assert question(total, "core-01")["mean"] == round(56 / 17, 2)
    assert cells[("municipality", None)]["leaders"] == 3
    assert cells[("municipality", "first_line")] == {
        "sector": "municipality",
        "level": "first_line",
        "leaders": None,
        "respondents": None,
        "suppressed": True,
        "reason": "fewer than 3 leaders",
        "questions": [],
    }
    assert "k101" not in national.text and refs["a"] not in national.text
    # Citizens see the national total, not the breakdown.
    public = gateway.get("/evaluation/v1/statistics/national", params={"year": YEAR})
    assert public.status_code == 200
    assert [(c["sector"], c["level"]) for c in public.json()["years"][0]["cells"]] == [(None, None)]

    # The printable report, in Danish, with the hidden group named and the gap highlighted.
    page = gateway.get(f"{base}/leaders/{refs['a']}/report.html", headers=leader_a)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1>Skoleleder Aa</h1>" in page.text
    assert "Svarprocent" in page.text
    assert "nej (færre end 5 svar)" in page.text
    assert '<tr class="notable"><td>Lederen sætter en tydelig retning for arbejdet.</td>' in (
        page.text
    )
    assert "+1,20" in page.text
