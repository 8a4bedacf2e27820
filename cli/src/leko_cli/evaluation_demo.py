"""A round of the common leader evaluation for the demo organisations, run through the gateway.

Three demo municipalities (København, Aarhus, Odense) and Region Midtjylland each run a round
of this year's leader evaluation the way their HR system would: with an `org_admin` key
scoped to the organisation it creates the round (four themes of the national question set and
a local question or two), adds its leaders (a top leader, middle managers and first-line
leaders of its institutions) and hands out the invitation tokens; every respondent (no
account) fetches the questionnaire with the token and answers once; then HR closes the round,
so that the leader reports, the organisation report and the national overview show figures.

The answers are realistic in shape: each leader has a level of their own and stronger and
weaker themes, raters are more or less lenient, leaders tend to rate themselves higher than
others do, superiors are a little stricter, some answers are "ved ikke" (null), not everyone
answers, and a few small units get fewer employee answers than the anonymity threshold, so
their employee group is suppressed in the report.

About 35 leaders, 440 invitations and 370 responses; loading takes a few seconds.
Everything comes from one seeded random generator. A round is known by its organisation and
its name (which carries the year): when the organisation already has this year's demo round,
that round is left as it is (and only closed, should an interrupted load have left it open),
so loading twice changes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from leko_cli.gateway_api import check, find_or_create_client, items, post_until_known, request

SEED = 20260301
ANONYMITY_THRESHOLD = 5
ROUND_DAYS = 28
GROUPS = ("self", "superior", "employee", "peer")


@dataclass(frozen=True)
class RoundSpec:
    """An organisation's round: its themes and local questions, the titles of its leaders
    above the first line (their unit is the organisation itself) and how many first-line
    leaders of its institutions take part."""

    org_code: str
    organisation_name: str
    themes: tuple[str, ...]
    local_questions: tuple[str, ...]
    top: str
    middle: tuple[str, ...]
    first_line: int


ROUNDS: tuple[RoundSpec, ...] = (
    RoundSpec(
        "k101",
        "Københavns Kommune",
        ("direction", "trust", "team", "development"),
        ("Lederen understøtter arbejdet med den sammenhængende indsats for børn og unge.",),
        "Administrerende direktør, Børne- og Ungdomsforvaltningen",
        ("Skolechef", "Dagtilbudschef"),
        7,
    ),
    RoundSpec(
        "k751",
        "Aarhus Kommune",
        ("citizens", "trust", "change", "development"),
        (
            "Lederen giver os tid til at følge op på borgernes forløb.",
            "Lederen gør det tydeligt, hvordan vi tager ny velfærdsteknologi i brug.",
        ),
        "Direktør, Sundhed og Omsorg",
        ("Områdechef, ældreområdet", "Chef for dagtilbud"),
        6,
    ),
    RoundSpec(
        "k461",
        "Odense Kommune",
        ("direction", "citizens", "team", "change"),
        (),
        "Direktør, Børn- og Ungeforvaltningen",
        ("Skolechef",),
        5,
    ),
    RoundSpec(
        "r1082",
        "Region Midtjylland",
        ("direction", "trust", "team", "change"),
        ("Lederen sørger for, at vagtplanen tager hensyn til medarbejdernes trivsel.",),
        "Koncerndirektør",
        (
            "Hospitalsdirektør, Aarhus Universitetshospital",
            "Psykiatridirektør",
            "Centerchef, Akutcentret",
        ),
        5,
    ),
)

# A first-line leader's title by institution type, and the types whose units are small (few
# employees to invite, so an employee group can fall below the anonymity threshold).
FIRST_LINE_TITLES = {
    "school": "Skoleleder",
    "after_school_care": "SFO-leder",
    "daycare": "Dagtilbudsleder",
    "elderly_care": "Plejecenterleder",
    "rehabilitation": "Leder af genoptræningen",
    "substance_abuse_treatment": "Leder af rusmiddelcentret",
    "hospital": "Afdelingssygeplejerske",
    "psychiatry": "Afsnitsleder",
}
SMALL_UNITS = frozenset({"after_school_care", "rehabilitation", "substance_abuse_treatment"})

# How each group rates relative to the leader's level (superiors are a little stricter; the
# leader's own view is each leader's `self_bias`), and how often it says "ved ikke" (peers
# and superiors see less of the daily leadership than the employees do).
GROUP_BIAS = {"self": 0.0, "superior": -0.15, "employee": 0.0, "peer": 0.05}
DONT_KNOW = {"self": 0.01, "superior": 0.06, "employee": 0.04, "peer": 0.12}
LOCAL_DONT_KNOW = 0.08  # local questions are newer and more often "ikke relevant"


@dataclass(frozen=True)
class DemoRespondent:
    group: str
    leniency: float
    seed: int


@dataclass(frozen=True)
class DemoLeader:
    leader_ref: str
    display_name: str
    org_code: str
    level: str
    invited: dict[str, int]
    respondents: tuple[DemoRespondent, ...]  # those who answer (not everyone invited does)
    score: float  # the leader's level on the 1–5 scale, as others see it
    self_bias: float  # how much higher (or lower) the leader rates themself
    theme_offsets: dict[str, float]  # stronger and weaker themes

    def responding(self, group: str) -> int:
        return sum(1 for respondent in self.respondents if respondent.group == group)


@dataclass(frozen=True)
class DemoRound:
    org_code: str
    organisation_name: str
    name: str
    themes: tuple[str, ...]
    local_questions: tuple[str, ...]
    leaders: tuple[DemoLeader, ...]

    def body(self, opens_at: datetime) -> dict[str, Any]:
        """The round as `POST /evaluation/v1/evaluations` takes it."""
        return {
            "org_code": self.org_code,
            "name": self.name,
            "opens_at": opens_at.isoformat(),
            "closes_at": (opens_at + timedelta(days=ROUND_DAYS)).isoformat(),
            "themes": list(self.themes),
            "local_questions": [{"text_da": text} for text in self.local_questions],
            "anonymity_threshold": ANONYMITY_THRESHOLD,
        }


def _binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(rng.random() < p for _ in range(n))


def _invited(rng: random.Random, level: str, institution_type: str | None) -> dict[str, int]:
    if level == "top":
        employees, peers = rng.randint(5, 8), rng.randint(2, 4)
    elif level == "middle":
        employees, peers = rng.randint(6, 10), rng.randint(1, 3)
    elif institution_type in SMALL_UNITS:
        employees, peers = rng.randint(4, 6), rng.randint(0, 3)
    else:
        employees, peers = rng.randint(7, 12), rng.randint(0, 4)
    return {"self": 1, "superior": 1, "employee": employees, "peer": peers}


def _leader(
    rng: random.Random,
    spec: RoundSpec,
    number: int,
    display_name: str,
    org_code: str,
    level: str,
    institution_type: str | None = None,
) -> DemoLeader:
    invited = _invited(rng, level, institution_type)
    employee_rate = rng.uniform(0.7, 0.95)
    responding = {
        "self": int(rng.random() < 0.96),
        "superior": int(rng.random() < 0.92),
        "employee": _binomial(rng, invited["employee"], employee_rate),
        "peer": _binomial(rng, invited["peer"], 0.75),
    }
    themes = ("core", *spec.themes, *(("local",) if spec.local_questions else ()))
    return DemoLeader(
        leader_ref=f"demo-{spec.org_code}-leder-{number:02d}",
        display_name=display_name,
        org_code=org_code,
        level=level,
        invited=invited,
        respondents=tuple(
            DemoRespondent(group, rng.gauss(0, 0.35), rng.getrandbits(64))
            for group in GROUPS
            for _ in range(responding[group])
        ),
        score=min(4.6, max(2.4, rng.gauss(3.8, 0.45))),
        self_bias=rng.gauss(0.45, 0.3),
        theme_offsets={theme: rng.gauss(0, 0.3) for theme in themes},
    )


def _first_line_units(
    rng: random.Random, institutions: Sequence[Mapping[str, Any]], count: int
) -> list[tuple[Mapping[str, Any], str]]:
    """`count` first-line units (institution, unit name) drawn from the institutions, with a
    section number when an institution (a hospital) has several of them."""
    drawn = rng.sample(list(institutions), len(institutions))
    units = []
    for n in range(count):
        institution = drawn[n % len(drawn)]
        section = f", afsnit {n // len(drawn) + 1}" if count > len(drawn) else ""
        units.append((institution, f"{institution['name']}{section}"))
    return units


def generate(
    organisations: Sequence[Mapping[str, Any]], year: int, seed: int = SEED
) -> list[DemoRound]:
    """This year's demo rounds over the demo institutions (as posted to the registry); the
    same arguments give the same rounds, leaders and respondents."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    rounds = []
    for spec in ROUNDS:
        institutions = [o for o in organisations if o.get("parent_code") == spec.org_code]
        above = [(spec.top, "top"), *((title, "middle") for title in spec.middle)]
        leaders = [
            _leader(rng, spec, number, f"{title}, {spec.organisation_name}", spec.org_code, level)
            for number, (title, level) in enumerate(above, start=1)
        ]
        for institution, unit_name in _first_line_units(rng, institutions, spec.first_line):
            institution_type = str(institution["institution_type"])
            leaders.append(
                _leader(
                    rng,
                    spec,
                    len(leaders) + 1,
                    f"{FIRST_LINE_TITLES.get(institution_type, 'Leder')}, {unit_name}",
                    str(institution["code"]),
                    "first_line",
                    institution_type,
                )
            )
        rounds.append(
            DemoRound(
                org_code=spec.org_code,
                organisation_name=spec.organisation_name,
                name=f"Ledelsesevaluering {year}, {spec.organisation_name}",
                themes=spec.themes,
                local_questions=spec.local_questions,
                leaders=tuple(leaders),
            )
        )
    return rounds


def answers(
    leader: DemoLeader, respondent: DemoRespondent, questions: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The respondent's answer to every question of the questionnaire (`id`, `theme`), as
    `POST /evaluation/v1/invitations/{token}/responses` takes them: 1–5, or null for "ved
    ikke"."""
    rng = random.Random(respondent.seed)  # noqa: S311 - synthetic data, not security
    bias = GROUP_BIAS[respondent.group] + (leader.self_bias if respondent.group == "self" else 0.0)
    sheet = []
    for question in questions:
        theme = str(question["theme"])
        dont_know = DONT_KNOW[respondent.group] + (LOCAL_DONT_KNOW if theme == "local" else 0)
        value: int | None = None
        if rng.random() >= dont_know:
            level = leader.score + leader.theme_offsets.get(theme, 0.0) + bias
            value = min(5, max(1, round(level + respondent.leniency + rng.gauss(0, 0.6))))
        sheet.append({"question_id": question["id"], "value": value})
    return sheet


# Loading through the gateway.


@dataclass
class EvaluationLoad:
    year: int
    rounds_created: int = 0
    rounds_existing: int = 0
    leaders: int = 0
    invited: int = 0
    responses: int = 0
    suppressed_employee_groups: int = 0
    round_ids: dict[str, int] = field(default_factory=dict)  # organisation → round id

    def add(self, demo_round: DemoRound) -> None:
        self.rounds_created += 1
        self.leaders += len(demo_round.leaders)
        for leader in demo_round.leaders:
            self.invited += sum(leader.invited.values())
            self.responses += len(leader.respondents)
            self.suppressed_employee_groups += leader.responding("employee") < ANONYMITY_THRESHOLD

    def summary(self) -> str:
        text = (
            f"demo leader evaluation {self.year}: {self.rounds_created} rounds created, "
            f"{self.rounds_existing} already there"
        )
        if self.rounds_created:
            text += (
                f" ({self.leaders} leaders, {self.responses} responses from {self.invited} "
                f"invitations; {self.suppressed_employee_groups} employee groups below the "
                "anonymity threshold)"
            )
        return text + "; the rounds are closed, so their reports are open"


def _org_admin_key(admin: httpx.Client, demo_round: DemoRound) -> tuple[str, dict[str, Any]]:
    """A fresh key of the organisation's demo HR client (created once, found by name)."""
    client_id = find_or_create_client(
        admin,
        name=f"LEKO demo: HR, {demo_round.organisation_name} (evaluation org_admin)",
        roles=["org_admin"],
        scope=[demo_round.org_code],
    )
    key = request(admin, "POST", f"/gateway/v1/clients/{client_id}/keys", json={"expires_at": None})
    return client_id, check(key, "HR key", 201)


def _add_leaders(hr: httpx.Client, round_id: int, demo_round: DemoRound) -> dict[str, Any]:
    """Add the round's leaders, retrying while the evaluation service has not yet replicated
    the demo institutions from the registry's change feed."""
    body = {
        "leaders": [
            {
                "leader_ref": leader.leader_ref,
                "display_name": leader.display_name,
                "org_code": leader.org_code,
                "level": leader.level,
                "respondents": leader.invited,
            }
            for leader in demo_round.leaders
        ]
    }
    url = f"/evaluation/v1/evaluations/{round_id}/leaders"
    return post_until_known(hr, url, "leaders", 201, json=body)


def _answer_invitations(
    respondents: httpx.Client, leader: DemoLeader, tokens: Mapping[str, list[str]]
) -> None:
    """Each answering respondent fetches the questionnaire with their token and answers it."""
    unused = {group: iter(tokens.get(group, [])) for group in GROUPS}
    for respondent in leader.respondents:
        token = next(unused[respondent.group])
        questionnaire = check(
            request(respondents, "GET", f"/evaluation/v1/invitations/{token}"), "questionnaire"
        )
        sheet = answers(leader, respondent, questionnaire["questions"])
        posted = request(
            respondents,
            "POST",
            f"/evaluation/v1/invitations/{token}/responses",
            json={"answers": sheet},
        )
        check(posted, "response", 201)


def _run_round(hr: httpx.Client, respondents: httpx.Client, demo_round: DemoRound) -> int:
    """Create the round from the start of today, invite, answer and close; its id."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    created = request(hr, "POST", "/evaluation/v1/evaluations", json=demo_round.body(today))
    round_id = int(check(created, f"round for {demo_round.org_code}", 201)["id"])
    added = _add_leaders(hr, round_id, demo_round)
    tokens: dict[str, dict[str, list[str]]] = {}
    for item in added["leaders"]:
        by_group = tokens.setdefault(item["leader_ref"], {})
        for invitation in item["invitations"]:
            by_group.setdefault(invitation["group"], []).append(invitation["token"])
    for leader in demo_round.leaders:
        _answer_invitations(respondents, leader, tokens[leader.leader_ref])
    _close(hr, round_id)
    return round_id


def _close(hr: httpx.Client, round_id: int) -> None:
    check(request(hr, "POST", f"/evaluation/v1/evaluations/{round_id}/close"), "close")


def _ensure_round(
    hr: httpx.Client, respondents: httpx.Client, demo_round: DemoRound
) -> tuple[int, bool]:
    """The round's id, and whether it was run now (False: it was already there)."""
    existing = next(
        (
            item
            for item in items(hr, "/evaluation/v1/evaluations")
            if item["org_code"] == demo_round.org_code and item["name"] == demo_round.name
        ),
        None,
    )
    if existing is None:
        return _run_round(hr, respondents, demo_round), True
    if existing["status"] == "open":  # an interrupted load left it open: let its reports open
        _close(hr, int(existing["id"]))
    return int(existing["id"]), False


def load_evaluations(
    admin: httpx.Client, organisations: Sequence[Mapping[str, Any]]
) -> EvaluationLoad:
    """This year's demo rounds, each run with a short-lived key of its organisation's HR
    client; rounds already there are left as they are."""
    year = datetime.now(UTC).year
    load = EvaluationLoad(year=year)
    with httpx.Client(base_url=str(admin.base_url), timeout=30.0) as respondents:
        for demo_round in generate(organisations, year):
            client_id, key = _org_admin_key(admin, demo_round)
            try:
                with httpx.Client(
                    base_url=str(admin.base_url),
                    headers={"X-API-Key": key["api_key"]},
                    timeout=30.0,
                ) as hr:
                    round_id, created = _ensure_round(hr, respondents, demo_round)
            finally:
                # The key was only for this load: revoke it rather than leave a secret lying.
                request(admin, "DELETE", f"/gateway/v1/clients/{client_id}/keys/{key['key_id']}")
            load.round_ids[demo_round.org_code] = round_id
            if created:
                load.add(demo_round)
            else:
                load.rounds_existing += 1
    return load
