"""The national user-satisfaction surveys and the motivation survey for the demo, run through
the gateway the way the nation, the municipalities, a survey vendor and the respondents do.

Four rounds, all published, so that citizens read their results without credentials:

- this year's daycare round (`daycare`, parents) in the five demo municipalities. Roskilde
  hands out LEKO's one-time invitation links, and its parents answer with their token (no
  account, once each); the other municipalities use a survey vendor, whose `reporter` key
  imports the answers it collected in bulk. København's comparison list shows what a citizen
  should see: one institution clearly above the rest of the municipality and one clearly
  below (significant), a small one below the anonymity threshold (suppressed, and one more
  withheld beside it so that it cannot be worked out by subtraction); Aarhus and Odense have
  a standout each, and Roskilde a small institution as well;
- last year's daycare round, the same institutions through the vendor, so that the results
  show the change since the previous round (Odense's standout fell, Aarhus' rose);
- this year's school round (`school_parents`): the parents of the demo schools, through the
  vendor, with a standout school in three municipalities;
- this year's motivation survey (`employee_motivation`): employees of five state agencies,
  the regions' hospitals and psychiatry and the municipalities' elderly care, so that
  `GET /surveys/v1/motivation/{year}/sectors` compares the state, the regions and the
  municipalities.

Answers are realistic in shape: every institution and municipality has a level of its own,
some questions score lower than others (food, buildings, bullying, work-life balance), some
respondents are more lenient than others and a few dissatisfied with most things, some
answers are "ved ikke" (null), background questions (the child's age, the grade, tenure) are
answered with their options and now and then left unanswered, and not everyone invited
answers. 88 enrolments of 63 organisations and about 4,200 responses (60 of them by token);
everything comes from one seeded random generator. Loading takes about ten seconds.

A round's results open only once it has closed (its `closes_at` has passed on the service's
clock), and the service refuses a round that closes in the past, even last year's. So each
round is created when its turn comes, open from a few weeks ago until a few seconds after
the time its loading needs (estimated from its requests), loaded, and published once it has
closed; last year's round is loaded the same way. (The service may open the results a little
after the close, once the last responses are counted; the summary then says when.) A round
is known by its programme and year (the service holds one of each): a published one is left
as it is; one that an interrupted load left unpublished is finished (while it is still open,
the organisations not yet enrolled are enrolled and the vendor's answers sent again, which
the import counts as unchanged) and published. So loading twice changes nothing.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

import httpx

from leko_cli.gateway_api import check, find_or_create_client, items, post_until_known, request

SEED = 20260419
ANONYMITY_THRESHOLD = 5
OPENED_DAYS_AGO = 28
MAX_BATCH = 2000  # the most responses the service takes in one import

# How long a round stays open: a margin beyond an allowance for each request its loading makes
# and each response it imports (about twice what two busy cores need: 18 ms a request, 0.4 ms
# an imported response; and slower than the gateway's default limit of 50 requests a second
# for the respondents, who share one address here). Each round is created when its turn
# comes, so the demo waits only for the latest close.
WINDOW_MARGIN = timedelta(seconds=3)
REQUEST_ALLOWANCE = timedelta(seconds=0.04)
IMPORT_ALLOWANCE = timedelta(seconds=0.001)

DAYCARE = "daycare"
SCHOOL = "school_parents"
MOTIVATION = "employee_motivation"
VENDOR_CLIENT_NAME = "LEKO demo: surveyleverandør (surveys reporter)"

# Each municipality's level relative to the country (Aalborg lower, Roskilde higher).
MUNICIPAL_OFFSETS = {"k101": 0.0, "k751": 0.05, "k461": -0.05, "k851": -0.2, "k265": 0.15}
# Institutions that stand out from their municipality (on the 1–5 scale), this year.
STANDOUTS = {
    "kbh-dag-2": 0.5,
    "kbh-dag-4": -0.55,
    "aar-dag-3": 0.5,
    "ode-dag-1": -0.55,
    "kbh-skole-3": -0.5,
    "aal-skole-1": 0.45,
    "ode-skole-2": 0.4,
}
# Small daycare institutions: (parents invited, parents answering) this year and last.
SMALL = {"kbh-dag-5": (7, 3), "ros-dag-5": (6, 4)}
# Change since last year: a slight improvement nationally, more where the leadership changed.
NATIONAL_CHANGE = 0.04
CHANGES = {"ode-dag-1": -0.6, "aar-dag-3": 0.45}
# Municipalities whose daycare parents answer by LEKO's invitation links (the others: vendor).
TOKEN_MUNICIPALITIES = frozenset({"k265"})


@dataclass(frozen=True)
class Profile:
    """A programme's institutions in the demo: the level of satisfaction, how many are
    invited (one parent a child, or every employee) and how many of them answer."""

    level: float
    invited: tuple[int, int]
    response_rate: tuple[float, float]


DAYCARE_PROFILE = Profile(4.45, (30, 60), (0.65, 0.85))
# Roskilde's daycare institutions are smaller (fewer parents to invite).
SMALLER_DAYCARE = {"k265": Profile(4.45, (16, 26), (0.6, 0.82))}
SCHOOL_PROFILE = Profile(4.1, (80, 160), (0.4, 0.6))
# The motivation survey by kind of workplace: the state's agencies, the regions' hospitals
# and psychiatry (lower: work-life balance under pressure), the municipalities' elderly care.
MOTIVATION_PROFILES = {
    "agency": Profile(4.05, (60, 220), (0.6, 0.75)),
    "hospital": Profile(3.8, (250, 330), (0.45, 0.6)),
    "psychiatry": Profile(3.75, (140, 190), (0.45, 0.6)),
    "elderly_care": Profile(3.9, (70, 130), (0.5, 0.65)),
}
STATE_AGENCIES = ("medkom", "oes", "sktst", "sst", "vd")  # seeded in the registry

# Questions that score above or below the respondent's general level, and how often they get
# "ved ikke" (default `DONT_KNOW`): parents know little of the bullying policy until it
# matters, and food is not part of every daycare.
QUESTION_OFFSETS = {
    "dag-01": 0.1,
    "dag-02": 0.15,
    "dag-03": -0.05,
    "dag-05": -0.2,
    "dag-07": -0.35,
    "dag-08": -0.4,
    "dag-09": -0.15,
    "dag-10": 0.1,
    "dag-overall": 0.05,
    "skole-02": -0.05,
    "skole-04": -0.15,
    "skole-05": 0.1,
    "skole-06": -0.45,
    "skole-07": 0.15,
    "skole-08": -0.4,
    "motiv-01": 0.1,
    "motiv-03": 0.15,
    "motiv-04": -0.3,
    "motiv-06": 0.3,
    "motiv-07": -0.2,
    "motiv-08": -0.25,
    "motiv-09": 0.35,
}
DONT_KNOW = 0.03
QUESTION_DONT_KNOW = {"dag-03": 0.06, "dag-08": 0.08, "skole-06": 0.14, "skole-07": 0.06}
# Background questions: the weight of each option (others 1), and how often they are left
# unanswered ("ønsker ikke at svare").
BACKGROUND = {
    "dag-age": {"age_0_2": 0.4, "age_3_5": 0.56, "age_6_plus": 0.04},
    "dag-type": {"nursery": 0.22, "kindergarten": 0.33, "integrated": 0.43, "childminder": 0.02},
    "skole-grade": {"grade_0_3": 0.38, "grade_4_6": 0.32, "grade_7_10": 0.3},
    "motiv-tenure": {"under_2": 0.24, "from_2_to_5": 0.3, "over_5": 0.46},
    "motiv-role": {"leader": 0.08, "employee": 0.92},
}
NO_ANSWER = 0.02
# The share of respondents who are dissatisfied with most things, and by how much.
DISSATISFIED = 0.04
DISSATISFIED_SHIFT = 1.6


@dataclass(frozen=True)
class DemoRespondent:
    """One who answers: how much more lenient than others, and the seed of their answers."""

    leniency: float
    seed: int


@dataclass(frozen=True)
class DemoParticipant:
    """An enrolled organisation: whose administration enrols it (`owner`: its municipality,
    region, or the state), how many are invited, whether they answer by LEKO's invitation
    tokens or through the vendor, its level on the 1–5 scale and those who answer."""

    org_code: str
    owner: str
    invited: int
    by_token: bool
    level: float
    seed: int  # its own stronger and weaker questions
    respondents: tuple[DemoRespondent, ...]


@dataclass(frozen=True)
class DemoRound:
    programme: str
    year: int
    participants: tuple[DemoParticipant, ...]

    @property
    def key(self) -> str:
        return f"{self.programme} {self.year}"

    @property
    def responses(self) -> int:
        return sum(len(p.respondents) for p in self.participants)

    @property
    def by_token(self) -> int:
        return sum(len(p.respondents) for p in self.participants if p.by_token)

    def external_id(self, participant: DemoParticipant, number: int) -> str:
        """The vendor's reference of a response (no digit run that could pass for a CPR)."""
        return f"lev-{self.programme}-{self.year}-{participant.org_code}-{number:04d}"

    def window(self) -> timedelta:
        """How long the round stays open once created: long enough for its loading."""
        requests = len(self.participants) + 2 * self.by_token
        imported = self.responses - self.by_token
        batches = -(-imported // MAX_BATCH)
        return (
            WINDOW_MARGIN + (requests + batches) * REQUEST_ALLOWANCE + imported * IMPORT_ALLOWANCE
        )

    def body(self, now: datetime) -> dict[str, Any]:
        """The round as `POST /surveys/v1/rounds` takes it: opened a few weeks ago (in its
        own year), closing once its loading is done."""
        opens_at = now - timedelta(days=OPENED_DAYS_AGO + 365 * (now.year - self.year))
        return {
            "programme": self.programme,
            "year": self.year,
            "opens_at": opens_at.isoformat(),
            "closes_at": (now + self.window()).isoformat(),
            "anonymity_threshold": ANONYMITY_THRESHOLD,
        }


def _binomial(rng: random.Random, n: int, p: float) -> int:
    return sum(rng.random() < p for _ in range(n))


def _leniency(rng: random.Random) -> float:
    """How much higher or lower than the organisation's level a respondent answers; a few
    are dissatisfied whatever the question (without them, nobody would say "meget
    utilfreds")."""
    return rng.gauss(0, 0.45) - (DISSATISFIED_SHIFT if rng.random() < DISSATISFIED else 0.0)


def _participant(
    rng: random.Random,
    *,
    org_code: str,
    owner: str,
    profile: Profile,
    level: float,
    by_token: bool = False,
    size: tuple[int, int] | None = None,
) -> DemoParticipant:
    if size is None:
        invited = rng.randint(*profile.invited)
        answering = _binomial(rng, invited, rng.uniform(*profile.response_rate))
    else:
        invited, answering = size
    return DemoParticipant(
        org_code=org_code,
        owner=owner,
        invited=invited,
        by_token=by_token,
        level=level,
        seed=rng.getrandbits(64),
        respondents=tuple(
            DemoRespondent(_leniency(rng), rng.getrandbits(64)) for _ in range(answering)
        ),
    )


def _institutions(
    organisations: Sequence[Mapping[str, Any]], institution_type: str
) -> list[Mapping[str, Any]]:
    return [o for o in organisations if o.get("institution_type") == institution_type]


def _daycare(
    rng: random.Random,
    institutions: Sequence[Mapping[str, Any]],
    quality: Mapping[str, float],
    year: int,
    *,
    last_year: bool,
) -> DemoRound:
    participants = []
    for institution in institutions:
        code, municipality = str(institution["code"]), str(institution["parent_code"])
        level = DAYCARE_PROFILE.level + MUNICIPAL_OFFSETS.get(municipality, 0.0)
        level += quality[code] + STANDOUTS.get(code, 0.0)
        if last_year:
            level -= NATIONAL_CHANGE + CHANGES.get(code, 0.0)
        participants.append(
            _participant(
                rng,
                org_code=code,
                owner=municipality,
                profile=SMALLER_DAYCARE.get(municipality, DAYCARE_PROFILE),
                level=level,
                # This year Roskilde moved from the vendor to LEKO's invitation links.
                by_token=not last_year and municipality in TOKEN_MUNICIPALITIES,
                size=SMALL.get(code),
            )
        )
    return DemoRound(DAYCARE, year, tuple(participants))


def _school(rng: random.Random, institutions: Sequence[Mapping[str, Any]], year: int) -> DemoRound:
    participants = []
    for institution in institutions:
        code, municipality = str(institution["code"]), str(institution["parent_code"])
        level = SCHOOL_PROFILE.level + MUNICIPAL_OFFSETS.get(municipality, 0.0)
        level += rng.gauss(0, 0.06) + STANDOUTS.get(code, 0.0)
        participants.append(
            _participant(
                rng, org_code=code, owner=municipality, profile=SCHOOL_PROFILE, level=level
            )
        )
    return DemoRound(SCHOOL, year, tuple(participants))


def _motivation(
    rng: random.Random, organisations: Sequence[Mapping[str, Any]], year: int
) -> DemoRound:
    workplaces: list[tuple[str, str, str]] = [  # (code, owner, kind of workplace)
        (code, "state", "agency") for code in STATE_AGENCIES
    ]
    for kind in ("hospital", "psychiatry", "elderly_care"):
        workplaces += [
            (str(o["code"]), str(o["parent_code"]), kind)
            for o in _institutions(organisations, kind)
        ]
    participants = []
    for code, owner, kind in workplaces:
        profile = MOTIVATION_PROFILES[kind]
        participants.append(
            _participant(
                rng,
                org_code=code,
                owner=owner,
                profile=profile,
                level=profile.level + rng.gauss(0, 0.08),
            )
        )
    return DemoRound(MOTIVATION, year, tuple(participants))


def generate(
    organisations: Sequence[Mapping[str, Any]], year: int, seed: int = SEED
) -> list[DemoRound]:
    """The demo rounds over the demo organisations (as posted to the registry), in the order
    they are loaded: this year's daycare, schools, last year's daycare, the motivation
    survey. The same arguments give the same rounds, participants and respondents."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    daycare = _institutions(organisations, "daycare")
    # An institution's own quality carries over from one year to the next.
    quality = {str(o["code"]): rng.gauss(0, 0.06) for o in daycare}
    return [
        _daycare(rng, daycare, quality, year, last_year=False),
        _school(rng, _institutions(organisations, "school"), year),
        _daycare(rng, daycare, quality, year - 1, last_year=True),
        _motivation(rng, organisations, year),
    ]


@functools.lru_cache(maxsize=4096)
def _own_offset(participant_seed: int, question_id: str) -> float:
    """How much better or worse the organisation does on this question than on the rest."""
    return random.Random(f"{participant_seed}/{question_id}").gauss(0, 0.1)  # noqa: S311


def answers(
    participant: DemoParticipant,
    respondent: DemoRespondent,
    questions: Sequence[Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """The respondent's answer to every question of the questionnaire (`id`, `kind`,
    `options`), as the service takes them: a scale value 1–5 or null for "ved ikke"; a
    background question's option value, or null."""
    rng = random.Random(respondent.seed)  # noqa: S311 - synthetic data, not security
    sheet = []
    for question in questions:
        question_id = str(question["id"])
        value: int | str | None = None
        if question["kind"] == "choice":
            options = [o["value"] for o in question["options"] if o["value"] is not None]
            weights = BACKGROUND.get(question_id, {})
            if rng.random() >= NO_ANSWER:
                value = rng.choices(options, weights=[weights.get(o, 1.0) for o in options])[0]
        elif rng.random() >= QUESTION_DONT_KNOW.get(question_id, DONT_KNOW):
            level = participant.level + QUESTION_OFFSETS.get(question_id, 0.0)
            level += _own_offset(participant.seed, question_id) + respondent.leniency
            value = min(5, max(1, round(level + rng.gauss(0, 0.75))))
        sheet.append({"question_id": question_id, "value": value})
    return sheet


# Loading through the gateway.


@dataclass
class SurveysLoad:
    year: int
    rounds_created: int = 0
    rounds_existing: int = 0
    participants: int = 0
    by_token: int = 0
    imported: int = 0
    below_threshold: int = 0
    round_ids: dict[str, int] = field(default_factory=dict)  # "daycare 2026" → round id
    # Why the results are not open yet, in the service's words (it may open them a little
    # after a round closes, once the last responses are counted); None: they are open.
    results_pending: str | None = None

    def add(self, demo_round: DemoRound) -> None:
        self.rounds_created += 1
        self.participants += len(demo_round.participants)
        self.by_token += demo_round.by_token
        self.imported += demo_round.responses - demo_round.by_token
        self.below_threshold += sum(
            len(p.respondents) < ANONYMITY_THRESHOLD for p in demo_round.participants
        )

    def summary(self) -> str:
        text = (
            f"demo surveys: {self.rounds_created} rounds created, {self.rounds_existing} "
            f"already there ({', '.join(self.round_ids)})"
        )
        if self.rounds_created:
            text += (
                f"; {self.participants} organisations enrolled in them, "
                f"{self.by_token + self.imported} responses ({self.by_token} by invitation "
                f"token, {self.imported} imported by the vendor), {self.below_threshold} "
                "institutions below the anonymity threshold"
            )
        if self.results_pending:
            return (
                f"{text}; the rounds are published, and anyone reads their results once "
                f"they open: {self.results_pending}"
            )
        return text + "; the rounds are published, so anyone reads their results"


class _Keys(AbstractContextManager["_Keys"]):
    """Short-lived keys of the demo's gateway clients, one client per administration (found
    by name, created once) and one for the vendor; every key is revoked when the load ends,
    rather than left lying about."""

    def __init__(self, admin: httpx.Client, vendor_scope: list[str]) -> None:
        self.admin = admin
        self.vendor_scope = vendor_scope
        self.clients: dict[str, httpx.Client] = {}
        self.keys: list[tuple[str, str]] = []  # (client id, key id)

    def client(self, name: str, role: str, scope: list[str]) -> httpx.Client:
        if name not in self.clients:
            client_id = find_or_create_client(self.admin, name=name, roles=[role], scope=scope)
            url = f"/gateway/v1/clients/{client_id}/keys"
            key = check(request(self.admin, "POST", url, json={"expires_at": None}), name, 201)
            self.keys.append((client_id, key["key_id"]))
            self.clients[name] = httpx.Client(
                base_url=str(self.admin.base_url),
                headers={"X-API-Key": key["api_key"]},
                timeout=30.0,
            )
        return self.clients[name]

    def vendor(self) -> httpx.Client:
        """The survey vendor's `reporter`, who imports the answers it collected."""
        return self.client(VENDOR_CLIENT_NAME, "reporter", self.vendor_scope)

    def administration(self, owner: str) -> httpx.Client:
        """The `org_admin` of a municipality, a region or the state, who enrols its own."""
        return self.client(f"LEKO demo: {owner} (surveys org_admin)", "org_admin", [owner])

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for client in self.clients.values():
            client.close()
        for client_id, key_id in self.keys:
            request(self.admin, "DELETE", f"/gateway/v1/clients/{client_id}/keys/{key_id}")


def _answer_by_token(
    respondents: httpx.Client, participant: DemoParticipant, tokens: Sequence[str]
) -> None:
    """Each answering parent opens the questionnaire with their token and answers it."""
    for respondent, token in zip(participant.respondents, tokens, strict=False):
        questionnaire = check(
            request(respondents, "GET", f"/surveys/v1/invitations/{token}"), "questionnaire"
        )
        sheet = answers(participant, respondent, questionnaire["questions"])
        posted = request(
            respondents,
            "POST",
            f"/surveys/v1/invitations/{token}/responses",
            json={"answers": sheet},
        )
        check(posted, "response", 201)


def _chunks(records: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(records), MAX_BATCH):
        yield records[start : start + MAX_BATCH]


def _load(
    keys: _Keys,
    respondents: httpx.Client,
    demo_round: DemoRound,
    round_id: int,
    enrolled: set[str],
) -> None:
    """Enrol the participants not yet enrolled (the token ones answer at once: their tokens
    exist only in the enrolment's answer), then the vendor imports its answers."""
    vendor = keys.vendor()
    records: list[dict[str, Any]] = []
    questions: list[dict[str, Any]] | None = None
    for participant in demo_round.participants:
        if participant.org_code not in enrolled:
            body = {
                "org_code": participant.org_code,
                "invitations": participant.invited if participant.by_token else 0,
                "external_invitations": 0 if participant.by_token else participant.invited,
            }
            enrolment = post_until_known(
                keys.administration(participant.owner),
                f"/surveys/v1/rounds/{round_id}/participants",
                f"enrolment of {participant.org_code}",
                201,
                json=body,
            )
            if participant.by_token:
                _answer_by_token(respondents, participant, enrolment["tokens"])
        if participant.by_token:
            continue
        if questions is None:  # the vendor's form is the round's questionnaire
            shown = check(request(vendor, "GET", f"/surveys/v1/rounds/{round_id}"), "round")
            url = (
                f"/surveys/v1/programmes/{demo_round.programme}/questionnaires/"
                f"{shown['questionnaire_version']}"
            )
            questions = check(request(vendor, "GET", url), "questionnaire")["questions"]
        records += [
            {
                "external_id": demo_round.external_id(participant, number),
                "org_code": participant.org_code,
                "answers": answers(participant, respondent, questions),
            }
            for number, respondent in enumerate(participant.respondents, start=1)
        ]
    for batch in _chunks(records):
        url = f"/surveys/v1/rounds/{round_id}/responses/batch"
        check(request(vendor, "POST", url, json={"responses": batch}), "response import")


def _publish(admin: httpx.Client, round_id: int, closes_at: datetime) -> None:
    """Publish once the round has closed (results open only then)."""
    time.sleep(max(0.0, (closes_at - datetime.now(UTC)).total_seconds() + 0.2))
    check(request(admin, "POST", f"/surveys/v1/rounds/{round_id}/publish"), "publication")


def load_surveys(admin: httpx.Client, organisations: Sequence[Mapping[str, Any]]) -> SurveysLoad:
    """The demo rounds of this year (and last year's daycare round): created, loaded and
    published; rounds already published are left as they are."""
    year = datetime.now(UTC).year
    load = SurveysLoad(year=year)
    existing = {(r["programme"], r["year"]): r for r in items(admin, "/surveys/v1/rounds")}
    closes_at: dict[int, datetime] = {}
    published: set[int] = set()
    rounds = generate(organisations, year)
    owners = sorted({p.owner for demo_round in rounds for p in demo_round.participants})
    with (
        _Keys(admin, owners) as keys,
        httpx.Client(base_url=str(admin.base_url), timeout=30.0) as respondents,
    ):
        for demo_round in rounds:
            found = existing.get((demo_round.programme, demo_round.year))
            if found is None:
                created = request(
                    admin, "POST", "/surveys/v1/rounds", json=demo_round.body(datetime.now(UTC))
                )
                found = check(created, f"round {demo_round.key}", 201)
                _load(keys, respondents, demo_round, int(found["id"]), set())
                load.add(demo_round)
            else:
                load.rounds_existing += 1
                if found["status"] == "open":  # an interrupted load: finish it
                    url = f"/surveys/v1/rounds/{found['id']}/participants"
                    enrolled = {p["org_code"] for p in items(admin, url)}
                    _load(keys, respondents, demo_round, int(found["id"]), enrolled)
            load.round_ids[demo_round.key] = int(found["id"])
            closes_at[int(found["id"])] = datetime.fromisoformat(found["closes_at"])
            if found["published"]:
                published.add(int(found["id"]))
    for round_id, closing in closes_at.items():
        if round_id not in published:
            _publish(admin, round_id, closing)
    last = max(closes_at, key=closes_at.__getitem__)
    national = request(admin, "GET", f"/surveys/v1/rounds/{last}/results/national")
    if national.status_code == 409:
        load.results_pending = str(national.json()["detail"])
    else:
        check(national, "national results")
    return load
