"""Benchmark: a national daycare round of the surveys service through the gateway, on
PostgreSQL (`make bench`, issue 5).

Starts the platform (every service and the gateway as `make run` does, the surveys service in
`LEKO_BENCH_WORKERS` uvicorn worker processes, the others in one) on throw-away PostgreSQL
databases, then

1. creates the daycare institutions (5,000 by default, see `surveys_data`) under the 98
   municipalities through the registry API (concurrently), a national questionnaire version
   of 18 questions and a daycare round (`national_admin`); each municipality's `org_admin`
   (a key scoped to that municipality) adds two local questions while the round is scheduled
   and enrols its institutions, with invitation tokens for the share answered by token and
   `external_invitations` for the share a vendor collects: 20 answers a response;
2. once the round opens, answers `LEKO_BENCH_TOKENS` invitations (100,000 by default, a tenth
   of the round) through the gateway (`POST /surveys/v1/invitations/{token}/responses`) in
   random order from `LEKO_BENCH_CONCURRENCY` concurrent keep-alive connections (a lean
   asyncio + httptools client, about 0.1 ms of CPU a request, so that the load generator
   takes little of the two cores it shares with what it measures), and reports responses/s
   over the whole load, p50/p95/p99 latency and the CPU seconds per 1,000 responses of the
   gateway, the surveys service, the PostgreSQL backends and the load generator;
3. imports the rest of the responses (to 1,000,000) as a vendor does, through the gateway
   (`POST /surveys/v1/rounds/{id}/responses/batch`, 2,000 records a request, a reporter key
   of national scope, `LEKO_BENCH_BATCH_CONCURRENCY` requests at once), and reports records/s;
4. waits for the round to close (the service closes a round at its `closes_at` and opens the
   results then; it caches a closed round's plan once it has been closed for a minute), using
   the wait to `ANALYZE` the database and recompute the expected figures by plain SQL; then
   times sequential requests after a warm-up (p50, p95): institution results of random
   institutions, the national results, and the comparison list of a municipality's
   institutions (the largest municipality; no target);
5. checks that every submission was accepted, that the round holds exactly the responses
   sent, and, for `LEKO_BENCH_CHECK_INSTITUTIONS` institutions and the nation, that the
   service's n, distribution and mean of every shown question equal a plain SQL recomputation
   over the stored answers (`responses.answers`); a difference fails the run (exit code 1).

It prints what it measured next to the targets (submission ≥ 1,000 responses/s through the
gateway; institution results p95 ≤ 50 ms; national results p95 ≤ 200 ms) and writes the same
as JSON to bench/results/surveys.json. A missed target is reported, not an error.

Why 32 connections by default: the submission path is CPU-bound on two cores shared by the
gateway, the surveys service (one event loop each), PostgreSQL and this client. The surveys
service runs at most 16 requests at once (its session gate: the pool of 20 minus 4 of
headroom), so about twice that in flight keeps every stage busy while requests wait for
PostgreSQL and for each other; more only queues (latency grows, throughput does not).

The round's window: the service has no "close now"; a round closes at its `closes_at`. The
benchmark sets `closes_at` to when the loading should be over (from conservative rates, or
`LEKO_BENCH_WINDOW_SECONDS`) and waits for it; loading that does not finish in time fails the
run with a hint to widen the window.

Environment (and those of `common`; the backend is always PostgreSQL here):
    LEKO_BENCH_RESPONSES            responses in the round (default 1,000,000)
    LEKO_BENCH_INSTITUTIONS         daycare institutions (default 5,000)
    LEKO_BENCH_TOKENS               of the responses, those answered by token and timed
                                    (default 100,000, at most LEKO_BENCH_RESPONSES)
    LEKO_BENCH_CONCURRENCY          concurrent submitting connections (default 32)
    LEKO_BENCH_WORKERS              worker processes of the surveys service (default 2)
    LEKO_BENCH_BATCH_CONCURRENCY    concurrent batch imports (default 2)
    LEKO_BENCH_WINDOW_SECONDS       how long the round is open (default: from the sizes)
    LEKO_BENCH_YEAR                 the round's year (default 2026)
    LEKO_BENCH_REQUESTS             timed requests per read endpoint (default 200)
    LEKO_BENCH_WARMUP               requests before timing, per read endpoint (default 20)
    LEKO_BENCH_CHECK_INSTITUTIONS   institutions recomputed by SQL (default 50)
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import aiohttp
import asyncpg  # type: ignore[import-untyped]
import httpx
import surveys_data as data
from common import (
    Databases,
    cpu_counters,
    cpu_used,
    create_client,
    json_post,
    percentile,
    plain_url,
    print_machine,
    run_benchmark,
    submit_all,
    wait_for_replica,
)

from leko_cli.platform import Platform
from leko_registry.seed import seed_organisations_data

SUBMIT_TARGET = 1_000  # responses/s through the gateway
INSTITUTION_P95_MS = 50.0
NATIONAL_P95_MS = 200.0
BATCH_SIZE = 2_000  # the API's most records a request
SETUP_CONCURRENCY = 8
OPEN_DELAY_SECONDS = 20  # local questions are added while the round is scheduled
SETTLE_SECONDS = 62  # the service caches a closed round's plan after a minute (results.plan)
REPLICA_WAIT_SECONDS = 180
# Conservative rates for the default window (the measured ones should be well above).
WINDOW_TOKEN_RATE, WINDOW_BATCH_RATE = 300, 2_500
EXTRA_ENV = {
    "GATEWAY_READ_TIMEOUT_SECONDS": "300",
    # New institutions reach the surveys replica within a second.
    "LEKO_REPLICA_POLL_SECONDS": "0.5",
}


@dataclass(frozen=True)
class Settings:
    responses: int
    institutions: int
    tokens: int
    concurrency: int
    workers: int
    batch_concurrency: int
    window_seconds: int
    year: int
    requests: int
    warmup: int
    check_institutions: int

    @classmethod
    def from_env(cls) -> Settings:
        def number(name: str, default: int) -> int:
            return int(os.environ.get(name, str(default)).replace("_", ""))

        responses = number("LEKO_BENCH_RESPONSES", 1_000_000)
        institutions = number("LEKO_BENCH_INSTITUTIONS", 5_000)
        tokens = min(number("LEKO_BENCH_TOKENS", min(100_000, responses)), responses)
        window = round(
            90
            + institutions / 40  # enrolment after the round is created
            + tokens / WINDOW_TOKEN_RATE
            + (responses - tokens) / WINDOW_BATCH_RATE
        )
        return cls(
            responses=responses,
            institutions=institutions,
            tokens=tokens,
            concurrency=number("LEKO_BENCH_CONCURRENCY", 32),
            workers=number("LEKO_BENCH_WORKERS", 2),
            batch_concurrency=number("LEKO_BENCH_BATCH_CONCURRENCY", 2),
            window_seconds=number("LEKO_BENCH_WINDOW_SECONDS", window),
            year=number("LEKO_BENCH_YEAR", 2026),
            requests=number("LEKO_BENCH_REQUESTS", 200),
            warmup=number("LEKO_BENCH_WARMUP", 20),
            check_institutions=number("LEKO_BENCH_CHECK_INSTITUTIONS", 50),
        )


@dataclass
class Latency:
    label: str
    path: str
    requests: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    target_p95_ms: float | None


@dataclass
class Round:
    """What the setup made: the round, keys, local questions and the tokens."""

    id: int = 0
    opens_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    closes_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    admin_keys: dict[str, str] = field(default_factory=dict)  # municipality → org_admin key
    local_ids: dict[str, list[str]] = field(default_factory=dict)
    tokens: dict[str, list[str]] = field(default_factory=dict)  # institution → tokens


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


# -- the setup -------------------------------------------------------------------------------


async def _request(
    session: aiohttp.ClientSession,
    method: str,
    path: str,
    key: str,
    body: dict[str, Any] | None,
    expect: Sequence[int] = (201,),
) -> dict[str, Any]:
    async with session.request(method, path, json=body, headers={"X-API-Key": key}) as response:
        text = await response.text()
        if response.status not in expect:
            raise RuntimeError(f"{method} {path}: {response.status} {text[:500]}")
        answer: dict[str, Any] = json.loads(text) if text else {}
        return answer


async def _pool(count: int, work: Any, base_url: str) -> None:
    """Run `work(session, index)` for every index from SETUP_CONCURRENCY workers."""
    pending = iter(range(count))

    async def worker(session: aiohttp.ClientSession) -> None:
        for index in pending:
            await work(session, index)

    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(base_url=base_url, timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(SETUP_CONCURRENCY)))


async def create_institutions(platform: Platform, institutions: list[data.Institution]) -> None:
    admin = platform.secrets.admin_key

    async def work(session: aiohttp.ClientSession, index: int) -> None:
        body = data.institution_body(institutions[index])
        await _request(session, "POST", "/registry/v1/organisations", admin, body, (201, 409))

    await _pool(len(institutions), work, platform.gateway_url)


def municipality_keys(platform: Platform, municipalities: Sequence[str]) -> dict[str, str]:
    keys = {}
    for code in municipalities:
        _, keys[code] = create_client(platform, f"bench org_admin {code}", ["org_admin"], [code])
    return keys


async def set_up_round(
    platform: Platform,
    created: Round,
    institutions: list[data.Institution],
    municipalities: Sequence[str],
    settings: Settings,
) -> None:
    """The questionnaire version, the round, the local questions and the enrolments."""
    admin = platform.secrets.admin_key
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(base_url=platform.gateway_url, timeout=timeout) as session:
        await _request(
            session,
            "POST",
            f"/surveys/v1/programmes/{data.PROGRAMME}/questionnaires",
            admin,
            data.questionnaire_body(),
        )
        now = datetime.now(UTC).replace(microsecond=0)
        created.opens_at = now + timedelta(seconds=OPEN_DELAY_SECONDS)
        created.closes_at = created.opens_at + timedelta(seconds=settings.window_seconds)
        answer = await _request(
            session,
            "POST",
            "/surveys/v1/rounds",
            admin,
            {
                "programme": data.PROGRAMME,
                "year": settings.year,
                "opens_at": created.opens_at.isoformat(),
                "closes_at": created.closes_at.isoformat(),
            },
        )
        created.id = int(answer["id"])

    async def add_local(session: aiohttp.ClientSession, index: int) -> None:
        code = municipalities[index]
        ids = []
        for text in data.LOCAL_TEXTS:
            question = await _request(
                session,
                "POST",
                f"/surveys/v1/rounds/{created.id}/local-questions",
                created.admin_keys[code],
                {"owner_code": code, "text_da": text},
            )
            ids.append(str(question["id"]))
        created.local_ids[code] = ids

    await _pool(len(municipalities), add_local, platform.gateway_url)
    if datetime.now(UTC) >= created.opens_at:
        raise RuntimeError("the round opened before every local question was added")

    async def enrol(session: aiohttp.ClientSession, index: int) -> None:
        institution = institutions[index]
        # A vendor invites more parents than answer; the service counts both kinds as invited.
        external = round(institution.bulk * 1.25)
        answer = await _request(
            session,
            "POST",
            f"/surveys/v1/rounds/{created.id}/participants",
            created.admin_keys[institution.municipality],
            {
                "org_code": institution.code,
                "invitations": institution.tokens,
                "external_invitations": external,
            },
        )
        created.tokens[institution.code] = [str(token) for token in answer["tokens"]]

    await _pool(len(institutions), enrol, platform.gateway_url)


# -- the token submissions -------------------------------------------------------------------


def token_jobs(
    platform: Platform,
    created: Round,
    institutions: list[data.Institution],
    answers: data.Answers,
) -> list[bytes]:
    """Every token's request, in random order."""
    host = f"127.0.0.1:{platform.ports['gateway']}"
    jobs = []
    for institution in institutions:
        for number, token in enumerate(created.tokens[institution.code]):
            body = answers.token_body(institution, number)
            jobs.append(json_post(host, f"/surveys/v1/invitations/{token}/responses", body))
    random.Random(5).shuffle(jobs)
    return jobs


# -- the batch import ------------------------------------------------------------------------


@dataclass
class Import:
    records: int
    requests: int
    seconds: float
    created: int
    unchanged: int
    p50_ms: float
    p95_ms: float
    cpu_seconds: dict[str, float]

    @property
    def per_second(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def batch_slots(institutions: list[data.Institution]) -> list[tuple[int, int]]:
    """(institution index, response number) of every imported response, in random order
    (a vendor's batch mixes the institutions it serves)."""
    slots = [
        (index, institution.tokens + number)
        for index, institution in enumerate(institutions)
        for number in range(institution.bulk)
    ]
    random.Random(6).shuffle(slots)
    return slots


async def _import(
    platform: Platform,
    round_id: int,
    key: str,
    institutions: list[data.Institution],
    answers: data.Answers,
    concurrency: int,
) -> tuple[float, int, int, list[float]]:
    slots = batch_slots(institutions)
    starts = iter(range(0, len(slots), BATCH_SIZE))
    path = f"/surveys/v1/rounds/{round_id}/responses/batch"
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    totals = {"created": 0, "unchanged": 0}
    timings: list[float] = []
    done = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal done
        for start in starts:
            records = [
                answers.batch_record(institutions[index], number, f"bench-{index}-{number}")
                for index, number in slots[start : start + BATCH_SIZE]
            ]
            body = b'{"responses":[' + b",".join(records) + b"]}"
            began = time.perf_counter()
            async with session.post(path, data=body, headers=headers) as response:
                text = await response.text()
                if response.status != 200:
                    closed = response.status == 409
                    hint = " (LEKO_BENCH_WINDOW_SECONDS too short?)" if closed else ""
                    raise RuntimeError(f"POST {path}: {response.status} {text[:800]}{hint}")
            timings.append((time.perf_counter() - began) * 1000)
            answer = json.loads(text)
            totals["created"] += int(answer["created"])
            totals["unchanged"] += int(answer["unchanged"])
            done += len(records)
            if len(timings) % 50 == 0:
                print(f"bench: {done:,} of {len(slots):,} imported", flush=True)

    timeout = aiohttp.ClientTimeout(total=600)
    started = time.perf_counter()
    async with aiohttp.ClientSession(base_url=platform.gateway_url, timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return time.perf_counter() - started, totals["created"], totals["unchanged"], timings


def import_rest(
    platform: Platform,
    databases: Databases,
    round_id: int,
    key: str,
    institutions: list[data.Institution],
    answers: data.Answers,
    concurrency: int,
) -> Import:
    records = sum(institution.bulk for institution in institutions)
    if not records:
        return Import(0, 0, 0.0, 0, 0, 0.0, 0.0, {})
    before = cpu_counters(platform, databases, ("gateway", "surveys"))
    seconds, created, unchanged, timings = asyncio.run(
        _import(platform, round_id, key, institutions, answers, concurrency)
    )
    cpu = cpu_used(before, cpu_counters(platform, databases, ("gateway", "surveys")))
    timings.sort()
    return Import(
        records=records,
        requests=len(timings),
        seconds=seconds,
        created=created,
        unchanged=unchanged,
        p50_ms=round(percentile(timings, 0.5), 1),
        p95_ms=round(percentile(timings, 0.95), 1),
        cpu_seconds=cpu,
    )


# -- the expected figures, by plain SQL ------------------------------------------------------

# Every stored answer of the round, counted per (organisation, question, value); `value` is
# the JSON text (`4`, `"age_0_2"`, `null`).
_COUNTS = """
SELECT r.org_code, a.key AS question_id, a.value::text AS value, count(*) AS answers
FROM responses r CROSS JOIN LATERAL json_each(r.answers) AS a
WHERE r.round_id = $1 AND ($2::text[] IS NULL OR r.org_code = ANY($2::text[]))
GROUP BY 1, 2, 3
"""
_NATIONAL = """
SELECT a.key AS question_id, a.value::text AS value, count(*) AS answers
FROM responses r CROSS JOIN LATERAL json_each(r.answers) AS a
WHERE r.round_id = $1
GROUP BY 1, 2
"""

Tally = dict[str, dict[str, int]]  # question → value text → answers


async def recompute(
    database_url: str, round_id: int, sample: list[str]
) -> tuple[dict[str, Tally], Tally, int, float]:
    """(per sampled institution, national, stored responses, seconds); ANALYZE first."""
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        started = time.perf_counter()
        await connection.execute("ANALYZE")
        stored = int(
            await connection.fetchval(
                "SELECT count(*) FROM responses WHERE round_id = $1", round_id
            )
        )
        by_org: dict[str, Tally] = defaultdict(lambda: defaultdict(dict))
        for row in await connection.fetch(_COUNTS, round_id, sample):
            by_org[row["org_code"]][row["question_id"]][row["value"]] = int(row["answers"])
        national: Tally = defaultdict(dict)
        for row in await connection.fetch(_NATIONAL, round_id):
            national[row["question_id"]][row["value"]] = int(row["answers"])
        return by_org, national, stored, time.perf_counter() - started
    finally:
        await connection.close()


def expected_question(tally: dict[str, int], question: dict[str, Any]) -> dict[str, Any]:
    """n, distribution and exact mean of one question from its value counts."""
    dont_know = tally.get("null", 0)
    if question["kind"] == "choice":
        distribution = {
            str(option["value"]): tally.get(json.dumps(option["value"]), 0)
            for option in question["options"]
        } | {"dont_know": dont_know}
        n = sum(v for k, v in distribution.items() if k != "dont_know")
        return {"n": n, "distribution": distribution, "mean": None}
    distribution = {str(v): tally.get(str(v), 0) for v in range(1, 6)} | {"dont_know": dont_know}
    n = sum(tally.get(str(v), 0) for v in range(1, 6))
    mean = Fraction(sum(v * tally.get(str(v), 0) for v in range(1, 6)), n) if n else None
    return {"n": n, "distribution": distribution, "mean": mean}


def compare_results(
    label: str, served: dict[str, Any], tally: Tally, questions: dict[str, dict[str, Any]]
) -> tuple[list[str], int]:
    """Differences between a results answer and the recomputation; (problems, cells checked)."""
    problems = []
    checked = 0
    for item in served["questions"]:
        qid = item["question_id"]
        question = questions.get(qid, {"kind": "scale"})
        expected = expected_question(tally.get(qid, {}), question)
        if item["suppressed"]:  # withheld (below the threshold, or complementary)
            continue
        checked += 1
        if item["n"] != expected["n"]:
            problems.append(f"{label} {qid}: n {item['n']} != {expected['n']}")
        if item["distribution"] != expected["distribution"]:
            problems.append(
                f"{label} {qid}: distribution {item['distribution']} != {expected['distribution']}"
            )
        mean = expected["mean"]
        if mean is None:
            if item["mean"] is not None:
                problems.append(f"{label} {qid}: mean {item['mean']} != None")
        elif item["mean"] is None or abs(Fraction(str(item["mean"])) - mean) > Fraction(1, 1999):
            problems.append(f"{label} {qid}: mean {item['mean']} != {float(mean):.6f}")
    return problems, checked


# -- the reads -------------------------------------------------------------------------------


def timed_gets(
    client: httpx.Client, label: str, paths: list[str], warmup: int, target: float | None
) -> tuple[Latency, list[dict[str, Any]]]:
    timings, answers = [], []
    for number, path in enumerate(paths):
        started = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:500]}")
        if number >= warmup:
            timings.append(elapsed)
            answers.append(response.json())
    timings.sort()
    latency = Latency(
        label,
        paths[-1],
        len(timings),
        round(percentile(timings, 0.50), 2),
        round(percentile(timings, 0.95), 2),
        round(timings[-1], 2),
        target,
    )
    return latency, answers


# -- the run ---------------------------------------------------------------------------------


def run(platform: Platform, databases: Databases, settings: Settings) -> dict[str, Any]:
    surveys_db = databases.urls["surveys"]
    municipalities = [o["code"] for o in seed_organisations_data() if o["kind"] == "municipality"]
    institutions = data.institutions(
        municipalities, settings.institutions, settings.responses, settings.tokens
    )
    used = sorted({i.municipality for i in institutions})
    started = time.perf_counter()
    asyncio.run(create_institutions(platform, institutions))
    asyncio.run(
        wait_for_replica(
            surveys_db,
            [i.code for i in institutions],
            service="surveys",
            seconds=REPLICA_WAIT_SECONDS,
        )
    )
    setup_institutions = time.perf_counter() - started
    print(
        f"bench: {len(institutions):,} daycare institutions under {len(used)} municipalities "
        f"created and replicated in {setup_institutions:.1f} s",
        flush=True,
    )
    created = Round(admin_keys=municipality_keys(platform, used))
    _, reporter = create_client(platform, "bench vendor", ["reporter"], ["*"])
    _, analyst = create_client(platform, "bench analyst", ["analyst"], ["*"])
    started = time.perf_counter()
    asyncio.run(set_up_round(platform, created, institutions, used, settings))
    setup_round = time.perf_counter() - started
    issued = sum(len(tokens) for tokens in created.tokens.values())
    print(
        f"bench: round {created.id} open {created.opens_at:%H:%M:%S}–{created.closes_at:%H:%M:%S}"
        f" UTC; {len(created.local_ids) * len(data.LOCAL_TEXTS)} local questions, "
        f"{len(institutions):,} enrolments with {issued:,} tokens in {setup_round:.1f} s",
        flush=True,
    )
    questionnaire = data.questionnaire_body()["questions"]
    answers = data.Answers(questionnaire, created.local_ids)
    jobs = token_jobs(platform, created, institutions, answers)
    wait = (created.opens_at - datetime.now(UTC)).total_seconds() + 1
    if wait > 0:
        time.sleep(wait)

    print(
        f"bench: submitting {len(jobs):,} responses by token from {settings.concurrency} "
        "connections ...",
        flush=True,
    )
    submission = submit_all(
        platform, databases, jobs, settings.concurrency, services=("gateway", "surveys")
    )
    print(
        f"bench: {submission.per_second:,.0f} responses/s ({submission.seconds:.1f} s), p50 "
        f"{submission.p50_ms} ms, p95 {submission.p95_ms} ms; failures {submission.failures}",
        flush=True,
    )
    print(
        f"bench: importing {settings.responses - settings.tokens:,} responses in batches of "
        f"{BATCH_SIZE:,}, {settings.batch_concurrency} at once ...",
        flush=True,
    )
    imported = import_rest(
        platform, databases, created.id, reporter, institutions, answers, settings.batch_concurrency
    )
    print(f"bench: {imported.per_second:,.0f} records/s ({imported.seconds:.1f} s)", flush=True)
    rng = random.Random(8)
    codes = [i.code for i in institutions]
    sample = rng.sample(codes, min(settings.check_institutions, len(codes)))
    by_org, national_tally, stored, recompute_seconds = asyncio.run(
        recompute(surveys_db, created.id, sample)
    )
    print(f"bench: ANALYZE and the SQL recomputation took {recompute_seconds:.1f} s", flush=True)
    ready = created.closes_at + timedelta(seconds=SETTLE_SECONDS)
    waited = max(0.0, (ready - datetime.now(UTC)).total_seconds())
    print(f"bench: waiting {waited:.0f} s for the round to close and settle ...", flush=True)
    time.sleep(waited)

    count = settings.warmup + settings.requests
    timed_codes = [rng.choice(codes) for _ in range(count)]
    base = f"/surveys/v1/rounds/{created.id}/results"
    biggest = max(used, key=lambda m: sum(1 for i in institutions if i.municipality == m))
    headers = {"X-API-Key": analyst}
    with httpx.Client(base_url=platform.gateway_url, headers=headers, timeout=60) as client:
        institution_latency, _ = timed_gets(
            client,
            "institution results (random institutions)",
            [f"{base}/institutions/{code}" for code in timed_codes],
            settings.warmup,
            INSTITUTION_P95_MS,
        )
        national_latency, national_answers = timed_gets(
            client,
            "national results",
            [f"{base}/national"] * count,
            settings.warmup,
            NATIONAL_P95_MS,
        )
        comparison_latency, _ = timed_gets(
            client,
            f"{biggest} institutions compared (no target)",
            [f"{base}/municipalities/{biggest}/institutions"] * count,
            settings.warmup,
            None,
        )
        # The check: the sampled institutions with the national key (national questions), and
        # with their municipality's key (its local questions as well).
        questions = {q["id"]: q for q in questionnaire}
        problems: list[str] = []
        cells = 0
        for code in sample:
            municipality = next(i.municipality for i in institutions if i.code == code)
            own = {"X-API-Key": created.admin_keys[municipality]}
            response = client.get(f"{base}/institutions/{code}", headers=own)
            if response.status_code != 200:
                raise RuntimeError(f"GET institution {code}: {response.status_code}")
            found, checked = compare_results(code, response.json(), by_org.get(code, {}), questions)
            problems += found
            cells += checked
        found, checked = compare_results(
            "national", national_answers[-1], national_tally, questions
        )
        problems += found
        cells += checked
    if exited := platform.exited():
        raise RuntimeError(f"{exited} exited during the benchmark")

    sent = submission.accepted + imported.created
    if stored != sent:
        problems.append(f"the round holds {stored:,} responses, {sent:,} were accepted")
    if submission.accepted != submission.responses:
        problems.append(f"{submission.responses - submission.accepted:,} submissions failed")
    if imported.created != imported.records:
        problems.append(f"the import created {imported.created:,} of {imported.records:,}")
    return {
        "data": {
            "institutions": len(institutions),
            "municipalities": len(used),
            "questions_per_response": len(questionnaire) + len(data.LOCAL_TEXTS),
            "national_questions": len(questionnaire),
            "responses": settings.responses,
            "by_token": settings.tokens,
            "by_batch": imported.records,
            "answers": settings.responses * (len(questionnaire) + len(data.LOCAL_TEXTS)),
            "stored_responses": stored,
            "round_window_seconds": settings.window_seconds,
            "backend": databases.backend,
        },
        "setup_seconds": {
            "institutions": round(setup_institutions, 1),
            "round_and_enrolment": round(setup_round, 1),
            "recompute": round(recompute_seconds, 1),
            "waited_for_close": round(waited, 1),
        },
        "submission": {
            **asdict(submission),
            "concurrency": settings.concurrency,
            "responses_per_second": round(submission.per_second),
        },
        "import": {
            **asdict(imported),
            "concurrency": settings.batch_concurrency,
            "records_per_second": round(imported.per_second),
        },
        "latency": [asdict(x) for x in (institution_latency, national_latency, comparison_latency)],
        "check": {
            "institutions": len(sample),
            "cells_compared": cells,
            "problems": problems,
        },
    }


def report(results: dict[str, Any]) -> bool:
    """Print the results next to the targets; True when every check passed."""
    d, s, imp = results["data"], results["submission"], results["import"]
    line = "-" * 90
    print()
    print("LEKO surveys benchmark: a national daycare round through the gateway")
    print(
        f"data: {d['institutions']:,} daycare institutions in {d['municipalities']} "
        f"municipalities, {d['responses']:,} responses of {d['questions_per_response']} answers "
        f"({d['answers']:,} answers; {d['by_token']:,} by token, {d['by_batch']:,} by batch "
        f"import); database: {d['backend']}; the surveys service in "
        f"{results['settings']['workers']} uvicorn workers, the others in one"
    )
    print_machine(results["machine"])
    print(line)
    rate = s["responses_per_second"]
    print(
        f"token submission: {s['responses']:,} responses from {s['concurrency']} connections "
        f"in {s['seconds']:.1f} s = {rate:,}/s; target >= {SUBMIT_TARGET:,}/s -> "
        f"{_verdict(rate >= SUBMIT_TARGET)}"
    )
    print(
        f"  latency p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, p99 {s['p99_ms']} ms, max "
        f"{s['max_ms']} ms; accepted {s['accepted']:,}"
        + (f"; failures {s['failures']}: {s['failure_examples']}" if s["failures"] else "")
    )
    print(f"  responses/s per twentieth of the load: {s['window_rates']}")
    per_k = {
        name: round(value * 1000 / max(1, s["responses"]), 2)
        for name, value in s["cpu_seconds"].items()
    }
    print(f"  CPU seconds per 1,000 responses: {per_k}")
    print(
        f"batch import: {imp['records']:,} records in {imp['requests']} requests of "
        f"{BATCH_SIZE:,} ({imp['concurrency']} at once) in {imp['seconds']:.1f} s = "
        f"{imp['records_per_second']:,} records/s; request p50 {imp['p50_ms']} ms, p95 "
        f"{imp['p95_ms']} ms (no target)"
    )
    if imp["records"]:
        per_k = {
            name: round(value * 1000 / imp["records"], 2)
            for name, value in imp["cpu_seconds"].items()
        }
        print(f"  CPU seconds per 1,000 records: {per_k}")
    print(f"reads with {d['stored_responses']:,} responses stored, sequential through the gateway:")
    for item in results["latency"]:
        target = item["target_p95_ms"]
        verdict = (
            f"target p95 <= {target:g} ms -> {_verdict(item['p95_ms'] <= target)}"
            if target is not None
            else "no target"
        )
        print(
            f"  {item['label']:<44} p50 {item['p50_ms']:7.2f} ms  p95 {item['p95_ms']:7.2f} ms"
            f"  ({item['requests']} requests); {verdict}"
        )
    check = results["check"]
    exact = not check["problems"]
    if exact:
        print(
            f"check: {check['cells_compared']} shown question cells of {check['institutions']} "
            "institutions and the nation equal a plain SQL recomputation over the stored "
            "answers; every response stored"
        )
    else:
        print(f"check: FAILED: {'; '.join(check['problems'][:20])}")
    print(line)
    return exact


def main() -> int:
    settings = Settings.from_env()
    return run_benchmark(
        name="surveys",
        settings=settings,
        extra_env={**EXTRA_ENV, "SURVEYS_WORKERS": str(settings.workers)},
        run=lambda platform, databases: run(platform, databases, settings),
        report=report,
    )


if __name__ == "__main__":
    sys.exit(main())
