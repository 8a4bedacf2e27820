"""A synthetic national round of the common leader evaluation for the evaluation benchmark.

Deterministic (fixed seeds) so that runs compare. The shape follows the public sector's: about
50,000 leaders, most in the municipalities (Copenhagen and Aarhus the largest), the rest in the
regions and the state (ministries and agencies); three in four are first-line leaders, one in
five a middle manager, the rest top management. Every organisation of the registry's seed
(98 municipalities, 5 regions, 57 ministries and agencies) runs one round for its own leaders.

A round uses the 8 core questions, two or three of the six themes (5 statements each) and zero
to two local questions: 18 to 25 statements, about 20 on average. A leader's respondents are,
at the default 10: the leader (self), the superior, 6 employees and 2 peers, so employees are
shown in the reports and peers (below the anonymity threshold of 5) suppressed.

Answers lean to agreement, differ by leader (some are rated better than others), and about
5 % are "ved ikke" (null); the leader rates themself a little higher than the others do.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

CORE = tuple(f"core-{n:02d}" for n in range(1, 9))
THEMES = {
    code: tuple(f"{code}-{n:02d}" for n in range(1, 6))
    for code in ("direction", "citizens", "trust", "team", "development", "change")
}
LOCAL_TEXTS = (
    "Lederen giver plads til faglig sparring i hverdagen.",
    "Lederen følger op på de aftaler, der bliver indgået på personalemøderne.",
)
SECTOR_SHARES = {"municipality": 0.62, "region": 0.16, "state": 0.22}
BIG_MUNICIPALITIES = {"k101": 8.0, "k751": 5.0, "k851": 3.0, "k461": 3.0}
LEVEL_SHARES = (("top", 0.04), ("middle", 0.21), ("first_line", 0.75))
DONT_KNOW = 0.05
# The value distribution of an average leader's answers (1..5); a leader's own mood shifts it.
VALUE_WEIGHTS = (0.03, 0.08, 0.20, 0.42, 0.27)
LEADERS_PER_REQUEST = 1_000


@dataclass(frozen=True)
class RoundOrg:
    code: str
    sector: str
    kind: str


@dataclass(frozen=True)
class Round:
    """A round to create: its organisation, themes, local questions and leader count."""

    org: RoundOrg
    themes: tuple[str, ...]
    local_questions: tuple[str, ...]
    leaders: int

    def body(self, now: datetime, number: int) -> dict[str, object]:
        return {
            "org_code": self.org.code,
            "name": f"Ledelsesevaluering {now.year}, {self.org.code} (bench {number})",
            "opens_at": (now - timedelta(hours=1)).isoformat(),
            "closes_at": (now + timedelta(days=30)).isoformat(),
            "themes": list(self.themes),
            "local_questions": [{"text_da": text} for text in self.local_questions],
            "anonymity_threshold": 5,
        }

    @property
    def question_ids(self) -> tuple[str, ...]:
        themed = tuple(q for theme in self.themes for q in THEMES[theme])
        local = tuple(f"local-{n:02d}" for n in range(1, len(self.local_questions) + 1))
        return CORE + themed + local


def round_orgs(seeded: Sequence[dict[str, object]]) -> list[RoundOrg]:
    """The organisations that run a round: every seeded one but the state root."""
    return [
        RoundOrg(str(o["code"]), str(o["sector"]), str(o["kind"]))
        for o in seeded
        if o["kind"] in {"municipality", "region", "ministry", "agency"}
    ]


def rounds(orgs: Sequence[RoundOrg], leaders: int, *, seed: int = 2026) -> list[Round]:
    """One round per organisation, `leaders` spread over them by sector share and a random
    size (the big municipalities larger); every round gets at least one leader."""
    rng = random.Random(seed)
    weights: dict[str, float] = {}
    for sector, share in SECTOR_SHARES.items():
        members = [org for org in orgs if org.sector == sector]
        raw = {
            org.code: rng.lognormvariate(0, 0.5) * BIG_MUNICIPALITIES.get(org.code, 1.0)
            for org in members
        }
        total = sum(raw.values())
        weights.update({code: share * value / total for code, value in raw.items()})
    counts = {org.code: max(1, int(leaders * weights[org.code])) for org in orgs}
    # Hand out the rounding remainder (or take back the surplus) on the largest rounds.
    order = sorted(counts, key=lambda code: -counts[code])
    difference = leaders - sum(counts.values())
    index = 0
    while difference != 0:
        code = order[index % len(order)]
        step = 1 if difference > 0 else -1
        if counts[code] + step >= 1:
            counts[code] += step
            difference -= step
        index += 1
    theme_codes = sorted(THEMES)
    result = []
    for org in orgs:
        picked = tuple(sorted(rng.sample(theme_codes, rng.choice((2, 2, 3)))))
        local = LOCAL_TEXTS[: rng.choice((0, 1, 2))] if len(picked) == 2 else ()
        result.append(Round(org, picked, local, counts[org.code]))
    return result


def respondent_counts(total: int) -> dict[str, int]:
    """A leader's respondents by group: self 1, superior 1, the rest three employees to one
    peer (10: employee 6, peer 2)."""
    if total < 2:
        return {"self": 1}
    rest = total - 2
    peers = rest // 4
    return {"self": 1, "superior": 1, "employee": rest - peers, "peer": peers}


def level_of(rng: random.Random) -> str:
    draw = rng.random()
    for level, share in LEVEL_SHARES:
        if draw < share:
            return level
        draw -= share
    return LEVEL_SHARES[-1][0]


def leader_ref(number: int) -> str:
    return f"bench-leder-{number:06d}"


def leader_bodies(
    round_: Round, first_number: int, respondents: int, *, seed: int = 11
) -> list[dict[str, object]]:
    """The leaders of a round as `POST .../leaders` entries, numbered from `first_number`."""
    rng = random.Random(seed * 1_000_003 + first_number)
    return [
        {
            "leader_ref": leader_ref(number),
            "display_name": f"Leder {number} ({round_.org.code})",
            "org_code": round_.org.code,
            "level": level_of(rng),
            "respondents": respondent_counts(respondents),
        }
        for number in range(first_number, first_number + round_.leaders)
    ]


def answers_body(question_ids: Sequence[str], group: str, leader: int, response: int) -> bytes:
    """A response answering every question: the leader's mood shifts the values, self a
    little higher; about 5 % "ved ikke"."""
    rng = random.Random(response * 7919 + leader)
    mood = (leader * 2654435761 % 1000) / 1000 - 0.5  # -0.5 .. 0.5, fixed per leader
    lift = 0.4 if group == "self" else 0.0
    answers = []
    for question_id in question_ids:
        if rng.random() < DONT_KNOW:
            value: int | None = None
        else:
            value = rng.choices((1, 2, 3, 4, 5), VALUE_WEIGHTS)[0]
            shift = mood + lift + rng.uniform(-0.5, 0.5)
            value = min(5, max(1, round(value + shift)))
        answers.append({"question_id": question_id, "value": value})
    return json.dumps({"answers": answers}, separators=(",", ":")).encode()
