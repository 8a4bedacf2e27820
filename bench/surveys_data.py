"""A synthetic national daycare round for the surveys benchmark.

Deterministic (fixed seeds) so that runs compare. The shape follows the national parent
satisfaction survey of daycare (brugertilfredshedsundersøgelsen på dagtilbudsområdet):

- `institutions` daycare institutions spread over the 98 municipalities by a weight (Copenhagen
  and Aarhus the largest), created by the benchmark through the registry API;
- the round's questionnaire: the seeded daycare questions (two background `choice` questions,
  ten statements, the overall question) and five more statements as a new national version
  (18 national questions), plus two local questions of each municipality: 20 answers a
  response;
- responses per institution skewed (a few large institutions, many of 100–300, and some with
  fewer than five, which the results withhold), each institution with its own level of
  satisfaction, about 5 % "ved ikke" per statement.

Answers are drawn from a pool of pre-encoded JSON fragments per satisfaction level, so that
generating a million responses costs the load generator little CPU; what was stored is checked
by recomputing from the stored answers, not from this module.
"""

from __future__ import annotations

import json
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from leko_surveys.seed import seed_data

PROGRAMME = "daycare"
EXTRA_STATEMENTS = (
    ("dag-11", "Hvor tilfreds er du med dagtilbuddets udendørsarealer?"),
    ("dag-12", "Hvor tilfreds er du med informationen om dit barns hverdag?"),
    ("dag-13", "Hvor tilfreds er du med personalets tid til dit barn?"),
    ("dag-14", "Hvor tilfreds er du med overgangen fra vuggestue til børnehave?"),
    ("dag-15", "Hvor tilfreds er du med dagtilbuddets åbningstider?"),
)
LOCAL_TEXTS = (
    "Hvor tilfreds er du med kommunens pladsanvisning?",
    "Hvor tilfreds er du med madordningen i dit barns dagtilbud?",
)
BIG_MUNICIPALITIES = {"k101": 10.0, "k751": 6.0, "k851": 4.0, "k461": 4.0, "k561": 2.5}
LEVELS = 10  # satisfaction levels of institutions
POOL = 512  # pre-encoded answer sets per level
DONT_KNOW = 0.05
SMALL_SHARE = 0.02  # institutions with fewer than five responses


@dataclass(frozen=True)
class Institution:
    code: str
    municipality: str
    level: int
    responses: int  # in all
    tokens: int  # of them by invitation token (the rest by the vendors' batch import)

    @property
    def bulk(self) -> int:
        return self.responses - self.tokens


def questionnaire_body() -> dict[str, Any]:
    """Version 2 of the daycare questionnaire: the seeded questions and five statements."""
    seeded = next(p for p in seed_data() if p["code"] == PROGRAMME)
    questions = [dict(q) for q in seeded["questions"]]
    overall = next(i for i, q in enumerate(questions) if q["id"] == seeded["headline_question_id"])
    extra = [{"id": qid, "text_da": text, "kind": "scale"} for qid, text in EXTRA_STATEMENTS]
    questions[overall:overall] = extra
    return {
        "note": "Benchmark: five statements more than version 1.",
        "headline_question_id": seeded["headline_question_id"],
        "questions": questions,
    }


def institutions(
    municipalities: Sequence[str], count: int, responses: int, tokens: int, *, seed: int = 2026
) -> list[Institution]:
    """`count` institutions over `municipalities`, `responses` responses over them, of which
    `tokens` by invitation (each institution's share of both in proportion)."""
    rng = random.Random(seed)
    weights = [BIG_MUNICIPALITIES.get(m, 1.0) * rng.uniform(0.5, 1.5) for m in municipalities]
    homes = rng.choices(list(municipalities), weights=weights, k=count)
    numbers: dict[str, int] = {}
    codes = []
    for municipality in homes:
        numbers[municipality] = numbers.get(municipality, 0) + 1
        codes.append(f"{municipality}-dag-{numbers[municipality]:04d}")
    # Sizes: lognormal, a few institutions small enough to be withheld.
    sizes = [rng.lognormvariate(0, 0.6) for _ in range(count)]
    small = set(rng.sample(range(count), k=round(count * SMALL_SHARE))) if count >= 50 else set()
    fixed = {i: rng.randint(1, 4) for i in small}
    rest = max(0, responses - sum(fixed.values()))
    total_weight = sum(s for i, s in enumerate(sizes) if i not in small) or 1.0
    counts = [
        fixed[i] if i in small else max(1, int(rest * sizes[i] / total_weight))
        for i in range(count)
    ]
    # Make the sum exact (add or take the difference on the largest institutions).
    order = sorted(range(count), key=lambda i: -counts[i])
    difference = responses - sum(counts)
    position = 0
    while difference != 0:
        i = order[position % len(order)]
        step = 1 if difference > 0 else -1
        if counts[i] + step >= 1:
            counts[i] += step
            difference -= step
        position += 1
    token_counts = [counts[i] * tokens // responses for i in range(count)]
    spare = tokens - sum(token_counts)
    for i in order:
        if spare <= 0:
            break
        if token_counts[i] < counts[i]:
            token_counts[i] += 1
            spare -= 1
    return [
        Institution(
            code=codes[i],
            municipality=homes[i],
            level=rng.randrange(LEVELS),
            responses=counts[i],
            tokens=token_counts[i],
        )
        for i in range(count)
    ]


def institution_body(institution: Institution) -> dict[str, Any]:
    return {
        "code": institution.code,
        "name": f"Dagtilbud {institution.code}",
        "sector": "municipality",
        "kind": "institution",
        "parent_code": institution.municipality,
        "institution_type": "daycare",
    }


def _answer(question_id: str, value: int | str | None) -> str:
    return json.dumps({"question_id": question_id, "value": value}, separators=(",", ":"))


def _scale_weights(level: int) -> list[float]:
    """Probabilities of 1..5: from a mean of about 3.4 (level 0) to about 4.5 (level 9)."""
    tilt = level / (LEVELS - 1)
    return [0.08 - 0.06 * tilt, 0.12 - 0.08 * tilt, 0.22 - 0.12 * tilt, 0.38, 0.20 + 0.26 * tilt]


@dataclass
class Answers:
    """Pre-encoded answer fragments: national sets per level, local sets per municipality."""

    questions: list[dict[str, Any]]
    local_ids: dict[str, list[str]]  # municipality → its local question ids
    national: list[list[bytes]] = field(default_factory=list)
    local: dict[str, list[bytes]] = field(default_factory=dict)
    seed: int = 7

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        for level in range(LEVELS):
            weights = _scale_weights(level)
            pool = []
            for _ in range(POOL):
                parts = []
                for question in self.questions:
                    value: int | str | None
                    if question["kind"] == "choice":
                        options = [o["value"] for o in question["options"]]
                        value = None if rng.random() < DONT_KNOW else rng.choice(options)
                    elif rng.random() < DONT_KNOW:
                        value = None
                    else:
                        value = rng.choices((1, 2, 3, 4, 5), weights=weights)[0]
                    parts.append(_answer(question["id"], value))
                pool.append(",".join(parts).encode())
            self.national.append(pool)
        for municipality, ids in self.local_ids.items():
            pool = []
            for _ in range(64):
                parts = [
                    _answer(qid, None if rng.random() < DONT_KNOW else rng.randint(2, 5))
                    for qid in ids
                ]
                pool.append(",".join(parts).encode())
            self.local[municipality] = pool

    def fragment(self, institution: Institution, number: int) -> bytes:
        """The answers of response `number` of `institution` (a JSON list's inside)."""
        spread = number * 2654435761 + zlib.crc32(institution.code.encode())
        national = self.national[institution.level][spread % POOL]
        local = self.local.get(institution.municipality)
        if not local:
            return national
        return national + b"," + local[(spread >> 9) % len(local)]

    def token_body(self, institution: Institution, number: int) -> bytes:
        return b'{"answers":[' + self.fragment(institution, number) + b"]}"

    def batch_record(self, institution: Institution, number: int, external_id: str) -> bytes:
        return (
            b'{"external_id":"'
            + external_id.encode()
            + b'","org_code":"'
            + institution.code.encode()
            + b'","answers":['
            + self.fragment(institution, number)
            + b"]}"
        )
