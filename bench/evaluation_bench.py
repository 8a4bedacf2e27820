"""Benchmark: the common leader evaluation at national scale through the gateway, on PostgreSQL
(`make bench`, issue 4).

Starts the platform (every service and the gateway as `make run` does, the evaluation service in
`LEKO_BENCH_WORKERS` uvicorn worker processes, the others in one) on throw-away PostgreSQL
databases, then

1. creates one round per organisation of the registry's seed (98 municipalities, 5 regions,
   57 ministries and agencies; see `evaluation_data`), each through the gateway with an
   `org_admin` key scoped to that organisation, adds the rounds' leaders (50,000 by default,
   1,000 a request) with 10 respondents each (self 1, superior 1, employee 6, peer 2) and
   keeps the invitation tokens (500,000);
2. submits one response per token (every question of the round's questionnaire, 18–25
   statements, about 5 % "ved ikke") through the gateway in random order from
   `LEKO_BENCH_CONCURRENCY` concurrent keep-alive connections (a lean asyncio + httptools
   client on uvloop, about 0.1 ms of CPU a request, so that the load generator takes little of
   the two cores it shares with what it measures), and reports responses/s over the whole
   load (first request sent to last answer received), p50/p95/p99 submit latency, and the CPU
   seconds spent per 1,000 responses by the gateway, the evaluation service, the load
   generator, the PostgreSQL backends of the bench's databases and the rest of the machine
   (PostgreSQL's background processes, and whatever else runs);
3. closes the rounds (reports open when a round closes) and runs `ANALYZE` on the evaluation
   database (the load takes minutes, not the weeks of a real round, and autovacuum may not
   have caught up), then times sequential requests after a warm-up (p50, p95): leader
   reports of random leaders, each read with that leader's own key (role `leader` bound to
   its `leader_ref`, scoped to its organisation), the national overview of the year with an
   `analyst` key (the breakdown by sector and level) and without credentials (the public
   national totals), and, without a target, a few organisation reports of the largest round
   (org_admin);
4. checks: every submission was accepted (201); `responses` and `answers` hold exactly what
   was sent; for a sample of the timed leader reports, every shown group's n, per-question
   distribution and mean and the others' mean are recomputed by plain SQL over
   `answers`/`responses`; and every shown cell of the national overview (respondents,
   leaders, core-question distributions and means; and the public total) likewise. A
   difference fails the run (exit code 1).

It prints what it measured next to the targets (≥ 1,000 responses/s through the gateway on the
2 cores; leader report p95 ≤ 50 ms; national overview p95 ≤ 200 ms) and writes the same as
JSON to bench/results/evaluation.json. A missed target is reported, not an error.

Why 32 connections by default: the work is CPU-bound on two cores shared by the gateway, the
evaluation service (one event loop each), PostgreSQL and this client. The evaluation service
runs at most 16 requests at once (its session gate: the pool of 20 minus 4 of headroom), so
about twice that in flight keeps every stage busy while requests wait for PostgreSQL and for
each other; more only queues (latency grows, throughput does not). At 15,000 responses on a
busy machine: 16 connections 476/s, 32 about 550/s, 64 439/s with a p50 of 135 ms.

Why two evaluation workers by default: with one, its event loop is the bottleneck of a small
load (busy 80 % of a core while a third of a core sits idle): on a quiet machine, 30,000
responses went from 1,105/s with one worker to 1,228/s with two. At the full 500,000 the two
cores are then busy (PostgreSQL's share grows with the tables, and two writers group fewer
responses a statement): 1,030/s with one worker, 1,034/s with two.

Environment (and those of `common`; the backend is always PostgreSQL here):
    LEKO_BENCH_LEADERS         leaders (default 50,000)
    LEKO_BENCH_RESPONDENTS     respondents per leader (default 10: self 1, superior 1, three
                               employees to one peer for the rest)
    LEKO_BENCH_CONCURRENCY     concurrent submitting connections (default 32)
    LEKO_BENCH_WORKERS         worker processes of the evaluation service (default 2: one
                               event loop would be the bottleneck while a core sits idle)
    LEKO_BENCH_REQUESTS        timed requests per read endpoint (default 200)
    LEKO_BENCH_WARMUP          requests before timing, per read endpoint (default 20)
    LEKO_BENCH_CHECK_LEADERS   leader reports recomputed by SQL (default 50, at most
                               LEKO_BENCH_REQUESTS)
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import aiohttp
import asyncpg  # type: ignore[import-untyped]
import evaluation_data as data
import httpx
from common import (
    Databases,
    Submission,
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
LEADER_P95_TARGET_MS = 50.0
NATIONAL_P95_TARGET_MS = 200.0
REPLICA_WAIT_SECONDS = 120
SETUP_CONCURRENCY = 4
ORG_REPORT_REQUESTS = 10
PROTECTED = {"employee", "peer", "other"}
COUNTERS = ("1", "2", "3", "4", "5", "dont_know")
EXTRA_ENV = {
    # The replica of the registry's organisations is there within a second of start-up.
    "LEKO_REPLICA_POLL_SECONDS": "0.5",
}


@dataclass(frozen=True)
class Settings:
    leaders: int
    respondents: int
    concurrency: int
    workers: int
    requests: int
    warmup: int
    check_leaders: int

    @classmethod
    def from_env(cls) -> Settings:
        def number(name: str, default: int) -> int:
            return int(os.environ.get(name, str(default)).replace("_", ""))

        requests = number("LEKO_BENCH_REQUESTS", 200)
        return cls(
            leaders=number("LEKO_BENCH_LEADERS", 50_000),
            respondents=number("LEKO_BENCH_RESPONDENTS", 10),
            concurrency=number("LEKO_BENCH_CONCURRENCY", 32),
            workers=number("LEKO_BENCH_WORKERS", 2),
            requests=requests,
            warmup=number("LEKO_BENCH_WARMUP", 20),
            check_leaders=min(number("LEKO_BENCH_CHECK_LEADERS", 50), requests),
        )


@dataclass
class Created:
    """The rounds as created: ids, org_admin keys, leaders and the invitations to answer."""

    rounds: list[data.Round]
    ids: list[int] = field(default_factory=list)
    admin_keys: list[str] = field(default_factory=list)
    # leader number -> (round index, org code)
    leaders: dict[int, tuple[int, str]] = field(default_factory=dict)
    # (token, group, leader number, round index)
    invitations: list[tuple[str, str, int, int]] = field(default_factory=list)


@dataclass
class Latency:
    label: str
    path: str
    requests: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    target_ms: float


# -- the rounds ------------------------------------------------------------------------------


async def _post(
    session: aiohttp.ClientSession, path: str, key: str, body: dict[str, Any]
) -> dict[str, Any]:
    async with session.post(path, json=body, headers={"X-API-Key": key}) as response:
        text = await response.text()
        if response.status != 201:
            raise RuntimeError(f"POST {path}: {response.status} {text[:500]}")
        answer: dict[str, Any] = json.loads(text)
        return answer


async def create_rounds(platform: Platform, created: Created, settings: Settings) -> None:
    """Every round and its leaders, a few rounds at a time; fills `created`."""
    now = datetime.now(UTC)
    first_numbers = []
    number = 0
    for round_ in created.rounds:
        first_numbers.append(number)
        number += round_.leaders
    created.ids = [0] * len(created.rounds)
    per_round: list[list[tuple[str, str, int, int]]] = [[] for _ in created.rounds]
    pending = iter(range(len(created.rounds)))

    async def worker(session: aiohttp.ClientSession) -> None:
        for index in pending:
            round_, key = created.rounds[index], created.admin_keys[index]
            answer = await _post(
                session, "/evaluation/v1/evaluations", key, round_.body(now, index)
            )
            created.ids[index] = int(answer["id"])
            bodies = data.leader_bodies(round_, first_numbers[index], settings.respondents)
            for start in range(0, len(bodies), data.LEADERS_PER_REQUEST):
                chunk = bodies[start : start + data.LEADERS_PER_REQUEST]
                added = await _post(
                    session,
                    f"/evaluation/v1/evaluations/{created.ids[index]}/leaders",
                    key,
                    {"leaders": chunk},
                )
                for leader in added["leaders"]:
                    leader_number = int(str(leader["leader_ref"]).rsplit("-", 1)[1])
                    created.leaders[leader_number] = (index, round_.org.code)
                    per_round[index].extend(
                        (str(i["token"]), str(i["group"]), leader_number, index)
                        for i in leader["invitations"]
                    )

    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(base_url=platform.gateway_url, timeout=timeout) as session:
        await asyncio.gather(*(worker(session) for _ in range(SETUP_CONCURRENCY)))
    created.invitations = [item for items in per_round for item in items]


async def analyse(database_url: str) -> float:
    """`ANALYZE` the evaluation database; the seconds it took."""
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        started = time.perf_counter()
        await connection.execute("ANALYZE")
        return time.perf_counter() - started
    finally:
        await connection.close()


async def close_rounds(platform: Platform, created: Created) -> None:
    async with aiohttp.ClientSession(base_url=platform.gateway_url) as session:
        for evaluation_id, key in zip(created.ids, created.admin_keys, strict=True):
            path = f"/evaluation/v1/evaluations/{evaluation_id}/close"
            async with session.post(path, headers={"X-API-Key": key}) as response:
                if response.status != 200:
                    raise RuntimeError(f"POST {path}: {response.status} {await response.text()}")


# -- the submissions -------------------------------------------------------------------------


def run_submissions(
    platform: Platform, databases: Databases, created: Created, settings: Settings
) -> tuple[Submission, int]:
    """Answer every invitation in random order; (the measurement, answers sent)."""
    rng = random.Random(4)
    order = list(range(len(created.invitations)))
    rng.shuffle(order)
    questions = [round_.question_ids for round_ in created.rounds]
    started = time.perf_counter()
    host = f"127.0.0.1:{platform.ports['gateway']}"
    jobs = []
    answers = 0
    for position in order:
        token, group, leader, round_index = created.invitations[position]
        body = data.answers_body(questions[round_index], group, leader, position)
        jobs.append(json_post(host, f"/evaluation/v1/invitations/{token}/responses", body))
        answers += len(questions[round_index])
    print(
        f"bench: {len(jobs):,} response bodies ({answers:,} answers) prepared in "
        f"{time.perf_counter() - started:.1f} s; submitting from {settings.concurrency} "
        "connections ...",
        flush=True,
    )
    submission = submit_all(
        platform, databases, jobs, settings.concurrency, services=("gateway", "evaluation")
    )
    return submission, answers


# -- the reads -------------------------------------------------------------------------------


def timed_gets(
    client: httpx.Client, requests: list[tuple[str, dict[str, str]]], warmup: int
) -> tuple[list[float], list[dict[str, Any]]]:
    """GET each (path, headers) in turn; the timings (ms) and answers after the warm-up."""
    timings, answers = [], []
    for number, (path, headers) in enumerate(requests):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:500]}")
        if number >= warmup:
            timings.append(elapsed)
            answers.append(response.json())
    return timings, answers


def latency(label: str, path: str, timings: list[float], target: float) -> Latency:
    ordered = sorted(timings)
    return Latency(
        label,
        path,
        len(ordered),
        round(percentile(ordered, 0.50), 2),
        round(percentile(ordered, 0.95), 2),
        round(ordered[-1], 2),
        target,
    )


def leader_reports(
    platform: Platform, created: Created, settings: Settings
) -> tuple[Latency, list[tuple[int, int, dict[str, Any]]]]:
    """Reports of random leaders, each with its own `leader` key; the latency and the timed
    reports as (round index, leader number, report)."""
    rng = random.Random(5)
    count = min(settings.warmup + settings.requests, len(created.leaders))
    chosen = rng.sample(sorted(created.leaders), count)
    requests = []
    for leader in chosen:
        round_index, org_code = created.leaders[leader]
        ref = data.leader_ref(leader)
        _, key = create_client(
            platform, f"bench leader {leader}", ["leader"], [org_code], leader_ref=ref
        )
        path = f"/evaluation/v1/evaluations/{created.ids[round_index]}/leaders/{ref}/report"
        requests.append((path, {"X-API-Key": key}))
    with httpx.Client(base_url=platform.gateway_url, timeout=30) as client:
        timings, reports = timed_gets(client, requests, min(settings.warmup, count - 1))
    timed = chosen[len(chosen) - len(reports) :]
    label = "leader report (own leader key, random leaders)"
    path = "/evaluation/v1/evaluations/{id}/leaders/{leader_ref}/report"
    return (
        latency(label, path, timings, LEADER_P95_TARGET_MS),
        [
            (created.leaders[leader][0], leader, report)
            for leader, report in zip(timed, reports, strict=True)
        ],
    )


def organisation_report(
    platform: Platform, created: Created, settings: Settings
) -> tuple[Latency, int]:
    """The organisation report of the largest round (org_admin key): few requests, no target
    (it counts every answer of the round); the latency and the round's leaders."""
    index = max(range(len(created.rounds)), key=lambda i: created.rounds[i].leaders)
    path = f"/evaluation/v1/evaluations/{created.ids[index]}/report"
    count = max(2, min(settings.requests, ORG_REPORT_REQUESTS))
    headers = {"X-API-Key": created.admin_keys[index]}
    with httpx.Client(base_url=platform.gateway_url, timeout=120) as client:
        timings, _ = timed_gets(client, [(path, headers)] * (count + 1), 1)
    label = f"organisation report, largest round ({created.rounds[index].org.code})"
    return latency(label, path, timings, 0.0), created.rounds[index].leaders


def national_reads(
    platform: Platform, analyst: str, year: int, settings: Settings
) -> tuple[list[Latency], dict[str, Any], dict[str, Any]]:
    path = f"/evaluation/v1/statistics/national?year={year}"
    results = []
    answers = {}
    with httpx.Client(base_url=platform.gateway_url, timeout=30) as client:
        for label, headers in (
            ("national overview, analyst (sector x level)", {"X-API-Key": analyst}),
            ("national overview, public (national totals)", {}),
        ):
            timings, bodies = timed_gets(
                client, [(path, headers)] * (settings.warmup + settings.requests), settings.warmup
            )
            results.append(latency(label, path, timings, NATIONAL_P95_TARGET_MS))
            answers[label] = bodies[-1]
    analyst_answer, public_answer = answers.values()
    return results, analyst_answer, public_answer


# -- the checks ------------------------------------------------------------------------------

_LEADER_ANSWERS = """
SELECT r."group", a.question_id,
       count(*) FILTER (WHERE a.value = 1) AS c1, count(*) FILTER (WHERE a.value = 2) AS c2,
       count(*) FILTER (WHERE a.value = 3) AS c3, count(*) FILTER (WHERE a.value = 4) AS c4,
       count(*) FILTER (WHERE a.value = 5) AS c5, count(*) FILTER (WHERE a.value IS NULL) AS dk
FROM answers a
JOIN responses r ON r.id = a.response_id
JOIN evaluation_leaders l ON l.id = r.leader_id
WHERE l.evaluation_id = $1 AND l.leader_ref = $2
GROUP BY r."group", a.question_id
"""
_LEADER_RESPONSES = """
SELECT r."group", count(*) FROM responses r
JOIN evaluation_leaders l ON l.id = r.leader_id
WHERE l.evaluation_id = $1 AND l.leader_ref = $2
GROUP BY r."group"
"""
_NATIONAL_ANSWERS = """
SELECT l.sector, l.level, a.question_id,
       count(*) FILTER (WHERE a.value = 1) AS c1, count(*) FILTER (WHERE a.value = 2) AS c2,
       count(*) FILTER (WHERE a.value = 3) AS c3, count(*) FILTER (WHERE a.value = 4) AS c4,
       count(*) FILTER (WHERE a.value = 5) AS c5, count(*) FILTER (WHERE a.value IS NULL) AS dk
FROM answers a
JOIN responses r ON r.id = a.response_id
JOIN evaluation_leaders l ON l.id = r.leader_id
WHERE r.year = $1 AND r."group" <> 'self' AND a.question_id = ANY($2::text[])
GROUP BY l.sector, l.level, a.question_id
"""
_NATIONAL_LEADERS = """
SELECT l.sector, l.level, count(DISTINCT r.leader_id) FROM responses r
JOIN evaluation_leaders l ON l.id = r.leader_id
WHERE r.year = $1
GROUP BY l.sector, l.level
"""

Vector = tuple[int, int, int, int, int, int]


def _vector(row: asyncpg.Record) -> Vector:
    return (row["c1"], row["c2"], row["c3"], row["c4"], row["c5"], row["dk"])


def _add(a: Vector, b: Vector) -> Vector:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4], a[5] + b[5])


def _mean(vector: Vector) -> Fraction | None:
    answered = sum(vector[:5])
    if not answered:
        return None
    return Fraction(sum(v * n for v, n in enumerate(vector[:5], start=1)), answered)


def _distribution(vector: Vector) -> dict[str, int]:
    return dict(zip(COUNTERS, vector, strict=True))


def _exact(mean: Fraction | None) -> str:
    """A recomputed mean for a message: the fraction, 6 decimals, and rounded to 2 (half up)."""
    if mean is None:
        return "none"
    half_up = (mean * 100 + Fraction(1, 2)) // 1 / 100
    fraction = f"{mean.numerator}/{mean.denominator}"
    return f"{fraction} = {float(mean):.6f} (to 2 decimals {float(half_up):.2f})"


def _mean_differs(served: float | None, exact: Fraction | None) -> bool:
    """The service rounds means to 2 decimals: equal within half a unit of the last digit."""
    if served is None or exact is None:
        return (served is None) != (exact is None)
    return abs(Fraction(served) - exact) > Fraction(5, 1000) + Fraction(1, 10**9)


def check_leader(
    report: dict[str, Any], responses: dict[str, int], answers: dict[tuple[str, str], Vector]
) -> list[str]:
    found = []
    ref = report["leader_ref"]
    threshold = report["anonymity_threshold"]
    zero: Vector = (0, 0, 0, 0, 0, 0)
    for group, result in report["groups"].items():
        n = responses.get(group, 0)
        if result["n"] != n:
            found.append(f"{ref} {group}: n {result['n']}, recomputed {n}")
        if result["suppressed"]:
            if n and not (group in PROTECTED and n < threshold):
                found.append(f"{ref} {group}: suppressed with {n} responses")
            continue
        for question in result["questions"]:
            vector = answers.get((group, question["question_id"]), zero)
            if question["distribution"] != _distribution(vector):
                found.append(
                    f"{ref} {group} {question['question_id']}: distribution "
                    f"{question['distribution']}, recomputed {_distribution(vector)}"
                )
            if _mean_differs(question["mean"], _mean(vector)):
                found.append(
                    f"{ref} {group} {question['question_id']}: mean {question['mean']}, "
                    f"recomputed {_exact(_mean(vector))}"
                )
    for item in report["self_other"]:
        pooled = zero
        for group in report["others_groups"]:
            pooled = _add(pooled, answers.get((group, item["question_id"]), zero))
        if _mean_differs(item["others_mean"], _mean(pooled)):
            found.append(
                f"{ref} {item['question_id']}: others' mean {item['others_mean']}, recomputed "
                f"{_exact(_mean(pooled))}"
            )
    return found


Key = tuple[str | None, str | None]


def _cells(sector: str, level: str) -> tuple[Key, ...]:
    return ((sector, level), (sector, None), (None, level), (None, None))


def check_national(
    overview: dict[str, Any],
    public: dict[str, Any],
    year: int,
    answers: dict[tuple[str, str, str], Vector],
    leaders: dict[tuple[str, str], int],
) -> tuple[list[str], int]:
    """Differences between the overview's shown cells and the recomputation, and how many
    cells were compared."""
    found = []
    cells: dict[Key, dict[str, Vector]] = defaultdict(dict)
    cell_leaders: dict[Key, int] = defaultdict(int)
    zero: Vector = (0, 0, 0, 0, 0, 0)
    for (sector, level, qid), vector in answers.items():
        for cell in _cells(sector, level):
            cells[cell][qid] = _add(cells[cell].get(qid, zero), vector)
    for (sector, level), n in leaders.items():
        for cell in _cells(sector, level):
            cell_leaders[cell] += n
    compared = 0
    years = {item["year"]: item for item in overview["years"]}
    if year not in years:
        return [f"the overview has no year {year}"], 0
    for cell in years[year]["cells"]:
        key = (cell["sector"], cell["level"])
        label = f"{key[0] or 'all sectors'}/{key[1] or 'all levels'}"
        if cell["suppressed"]:
            continue
        compared += 1
        expected = cells.get(key, {})
        respondents = max((sum(v) for v in expected.values()), default=0)
        if cell["respondents"] != respondents:
            found.append(f"{label}: respondents {cell['respondents']}, recomputed {respondents}")
        if cell["leaders"] != cell_leaders.get(key, 0):
            found.append(f"{label}: leaders {cell['leaders']}, recomputed {cell_leaders[key]}")
        for question in cell["questions"]:
            vector = expected.get(question["question_id"], zero)
            if question["distribution"] != _distribution(vector):
                found.append(
                    f"{label} {question['question_id']}: distribution "
                    f"{question['distribution']}, recomputed {_distribution(vector)}"
                )
            if _mean_differs(question["mean"], _mean(vector)):
                found.append(
                    f"{label} {question['question_id']}: mean {question['mean']}, recomputed "
                    f"{_exact(_mean(vector))}"
                )
    public_year = {item["year"]: item for item in public["years"]}.get(year)
    analyst_total = [c for c in years[year]["cells"] if c["sector"] is None and c["level"] is None]
    if public_year is None or public_year["cells"] != analyst_total:
        found.append("the public national total differs from the analyst's")
    return found, compared


async def recompute(
    database_url: str,
    created: Created,
    reports: list[tuple[int, int, dict[str, Any]]],
    year: int,
    core: list[str],
) -> dict[str, Any]:
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        stored = {
            "responses": await connection.fetchval("SELECT count(*) FROM responses"),
            "answers": await connection.fetchval("SELECT count(*) FROM answers"),
        }
        per_leader = []
        for round_index, leader, report in reports:
            evaluation_id, ref = created.ids[round_index], data.leader_ref(leader)
            responses = {
                row[0]: row[1]
                for row in await connection.fetch(_LEADER_RESPONSES, evaluation_id, ref)
            }
            answers = {
                (row["group"], row["question_id"]): _vector(row)
                for row in await connection.fetch(_LEADER_ANSWERS, evaluation_id, ref)
            }
            per_leader.append(check_leader(report, responses, answers))
        started = time.perf_counter()
        national = {
            (row["sector"], row["level"], row["question_id"]): _vector(row)
            for row in await connection.fetch(_NATIONAL_ANSWERS, year, core)
        }
        national_leaders = {
            (row[0], row[1]): row[2] for row in await connection.fetch(_NATIONAL_LEADERS, year)
        }
        seconds = time.perf_counter() - started
    finally:
        await connection.close()
    return {
        "stored": stored,
        "leaders": per_leader,
        "national": national,
        "national_leaders": national_leaders,
        "national_sql_seconds": seconds,
    }


# -- the run ---------------------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def run(platform: Platform, databases: Databases, settings: Settings) -> dict[str, Any]:
    evaluation_db = databases.urls["evaluation"]
    orgs = data.round_orgs(seed_organisations_data())
    asyncio.run(
        wait_for_replica(
            evaluation_db,
            [org.code for org in orgs],
            service="evaluation",
            seconds=REPLICA_WAIT_SECONDS,
        )
    )
    created = Created(rounds=data.rounds(orgs, settings.leaders))
    started = time.perf_counter()
    created.admin_keys = [
        create_client(platform, f"bench org_admin {org.code}", ["org_admin"], [org.code])[1]
        for org in orgs
    ]
    _, analyst = create_client(platform, "bench analyst", ["analyst"], ["*"])
    asyncio.run(create_rounds(platform, created, settings))
    setup_seconds = time.perf_counter() - started
    sectors: dict[str, int] = defaultdict(int)
    for round_ in created.rounds:
        sectors[round_.org.sector] += round_.leaders
    print(
        f"bench: {len(created.rounds)} rounds, {len(created.leaders):,} leaders "
        f"({', '.join(f'{s} {n:,}' for s, n in sorted(sectors.items()))}), "
        f"{len(created.invitations):,} invitations in {setup_seconds:.1f} s",
        flush=True,
    )

    submission, answers_sent = run_submissions(platform, databases, created, settings)
    print(
        f"bench: {submission.accepted:,} responses accepted in {submission.seconds:.1f} s = "
        f"{submission.per_second:,.0f}/s; p50 {submission.p50_ms} ms, p95 {submission.p95_ms} ms",
        flush=True,
    )
    asyncio.run(close_rounds(platform, created))
    # The load took minutes, not the weeks a national round runs, so autovacuum may not have
    # analysed the grown tables yet; the reads are timed on current statistics, as they
    # would be in production.
    analyse_seconds = asyncio.run(analyse(evaluation_db))
    print(f"bench: rounds closed; ANALYZE of the evaluation database {analyse_seconds:.1f} s")
    year = datetime.now(UTC).year
    leader_latency, reports = leader_reports(platform, created, settings)
    national_latency, overview, public = national_reads(platform, analyst, year, settings)
    org_latency, org_leaders = organisation_report(platform, created, settings)

    core = [question["id"] for question in overview["questions"]]
    checked = reports[: settings.check_leaders]
    recomputed = asyncio.run(recompute(evaluation_db, created, checked, year, core))
    stored = recomputed["stored"]
    stored_problems = []
    if submission.failures:
        stored_problems.append(f"submissions not accepted: {submission.failures}")
    if stored["responses"] != submission.accepted:
        stored_problems.append(
            f"{stored['responses']:,} responses stored, {submission.accepted:,} accepted"
        )
    if not submission.failures and stored["answers"] != answers_sent:
        stored_problems.append(f"{stored['answers']:,} answers stored, {answers_sent:,} sent")
    leader_problems = [problem for found in recomputed["leaders"] for problem in found]
    national_problems, cells_compared = check_national(
        overview, public, year, recomputed["national"], recomputed["national_leaders"]
    )
    if exited := platform.exited():
        raise RuntimeError(f"{exited} exited during the benchmark")
    total_cell = next(
        (
            cell
            for item in overview["years"]
            if item["year"] == year
            for cell in item["cells"]
            if cell["sector"] is None and cell["level"] is None
        ),
        None,
    )
    return {
        "data": {
            "rounds": len(created.rounds),
            "leaders": len(created.leaders),
            "leaders_by_sector": dict(sorted(sectors.items())),
            "respondents_per_leader": data.respondent_counts(settings.respondents),
            "invitations": len(created.invitations),
            "responses": submission.responses,
            "answers": answers_sent,
            "year": year,
            "backend": databases.backend,
            "setup_seconds": round(setup_seconds, 1),
            "analyze_seconds": round(analyse_seconds, 1),
        },
        "submission": {
            **{k: v for k, v in asdict(submission).items() if k not in {"responses", "answers"}},
            "seconds": round(submission.seconds, 2),
            "responses_per_second": round(submission.per_second),
            "measured_over": "the whole load: first request sent to last answer received",
            "concurrency": settings.concurrency,
            "cpu_seconds_per_1000": {
                name: round(value * 1000 / max(1, submission.responses), 3)
                for name, value in submission.cpu_seconds.items()
            },
        },
        "latency": [asdict(leader_latency), *(asdict(item) for item in national_latency)],
        "organisation_report": {**asdict(org_latency), "leaders": org_leaders},
        "checks": {
            "stored": {**stored, "problems": stored_problems},
            "leader_reports": {"checked": len(checked), "problems": leader_problems},
            "national": {
                "cells_compared": cells_compared,
                "sql_seconds": round(recomputed["national_sql_seconds"], 2),
                "total_respondents": total_cell["respondents"] if total_cell else None,
                "total_leaders": total_cell["leaders"] if total_cell else None,
                "problems": national_problems,
            },
        },
    }


def report(results: dict[str, Any]) -> bool:
    """Print the results next to the targets; True when every check passed."""
    d, s, checks = results["data"], results["submission"], results["checks"]
    line = "-" * 87
    print()
    print("LEKO evaluation benchmark: response submission and report reads through the gateway")
    respondents = ", ".join(f"{g} {n}" for g, n in d["respondents_per_leader"].items())
    print(
        f"data: {d['rounds']} rounds, {d['leaders']:,} leaders "
        f"({', '.join(f'{k} {v:,}' for k, v in d['leaders_by_sector'].items())}), respondents "
        f"per leader: {respondents}; {d['responses']:,} responses, {d['answers']:,} answers; "
        f"year {d['year']}; database: {d['backend']}; the evaluation service in "
        f"{results['settings']['workers']} uvicorn workers, the others in one"
    )
    print_machine(results["machine"])
    print(line)
    rate = s["responses_per_second"]
    print(
        f"submission: {s['accepted']:,} responses from {s['concurrency']} connections in "
        f"{s['seconds']:.1f} s (over the whole load) = {rate:,} responses/s; "
        f"target >= {SUBMIT_TARGET:,}/s -> {_verdict(rate >= SUBMIT_TARGET)}"
    )
    print(
        f"  latency p50 {s['p50_ms']} ms, p95 {s['p95_ms']} ms, p99 {s['p99_ms']} ms, "
        f"max {s['max_ms']} ms; responses/s per twentieth of the load: "
        + ", ".join(f"{r:,}" for r in s["window_rates"])
    )
    print(
        "  CPU seconds per 1,000 responses: "
        + ", ".join(f"{name} {value}" for name, value in s["cpu_seconds_per_1000"].items())
    )
    if s["failures"]:
        print(f"  NOT accepted: {s['failures']}; e.g. {s['failure_examples'][:2]}")
    print(f"reads after the load ({d['responses']:,} responses stored), sequential:")
    for item in results["latency"]:
        print(
            f"  {item['label']:<48} p50 {item['p50_ms']:7.2f} ms  p95 {item['p95_ms']:7.2f} ms"
            f"  ({item['requests']} requests); target p95 <= {item['target_ms']:g} ms -> "
            f"{_verdict(item['p95_ms'] <= item['target_ms'])}"
        )
    org = results["organisation_report"]
    print(
        f"  {org['label']:<48} p50 {org['p50_ms']:7.2f} ms  p95 {org['p95_ms']:7.2f} ms"
        f"  ({org['requests']} requests, {org['leaders']:,} leaders); no target"
    )
    exact = True
    stored = checks["stored"]
    if stored["problems"]:
        exact = False
        print("storage check: FAILED: " + "; ".join(stored["problems"]))
    else:
        print(
            f"storage check: {stored['responses']:,} responses and {stored['answers']:,} answers "
            "stored, as sent"
        )
    leaders = checks["leader_reports"]
    if leaders["problems"]:
        exact = False
        print("leader report check: FAILED: " + "; ".join(leaders["problems"][:10]))
    else:
        print(
            f"leader report check: {leaders['checked']} reports equal to a plain SQL "
            "recomputation (n, distributions and means per group and question, others' means)"
        )
    national = checks["national"]
    if national["problems"]:
        exact = False
        print("national overview check: FAILED: " + "; ".join(national["problems"][:10]))
    else:
        print(
            f"national overview check: {national['cells_compared']} shown cells equal to a plain "
            f"SQL recomputation ({national['sql_seconds']} s over answers/responses); national "
            f"total {national['total_respondents']:,} respondents, {national['total_leaders']:,} "
            "leaders; the public total is the analyst's"
        )
    print(line)
    return exact


def main() -> int:
    settings = Settings.from_env()
    return run_benchmark(
        name="evaluation",
        settings=settings,
        extra_env={**EXTRA_ENV, "EVALUATION_WORKERS": str(settings.workers)},
        run=lambda platform, databases: run(platform, databases, settings),
        report=report,
    )


if __name__ == "__main__":
    sys.exit(main())
