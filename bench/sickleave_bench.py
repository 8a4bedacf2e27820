"""Benchmark: sick-leave ingestion and KPI reads through the gateway, on PostgreSQL (`make
bench`, issue 3).

Starts the platform (every service and the gateway, one uvicorn worker each, as `make run`
does) on throw-away PostgreSQL databases, then

1. builds a national year (see `sickleave_data`): institutions under every municipality
   (through the registry API), staffing for every organisation with employees and every month
   (`POST /sickleave/v1/staffing/batch`), and the spells as CSV files;
2. vacuums and analyses the sick-leave database (the aggregate tables are empty then, as after
   a deployment's routine maintenance), then posts the first batch of spells (1,000,000) as one
   streamed CSV through the gateway with a reporter key of national scope and measures
   records/s end to end and the sick-leave process's peak resident memory (`VmHWM`, reset just
   before the upload);
3. times a plain asyncpg `COPY` of the same file into an empty table shaped like the spells
   (with their primary key) on the same server, the floor any ingestion pays;
4. loads the rest of the spells (to 3,000,000), then times sequential KPI reads through the
   gateway (p50, p95 after a warm-up): the national year, and a municipality's benchmark
   against the country (or, while the service has no benchmarks endpoint, its year
   statistics);
5. recomputes the national and the municipality's year KPIs (absence days, spells, length
   distribution, FTE, absence days per FTE) by a plain scan of `absence_spells` and
   `staffing`, with working days from a calendar table filled from
   `leko_sickleave.danish_calendar`, and fails (exit code 1) if the service's figures differ.

It prints what it measured next to the targets (ingestion ≥ 100,000 records/s, below 50,000 a
defect; peak memory ≤ 300 MB; KPI p95 ≤ 50 ms) and writes the same as JSON to
bench/results/sickleave.json. A missed target is reported, not an error.

Environment (and those of `common`; the backend is always PostgreSQL here):
    LEKO_BENCH_SPELLS          spells in the year (default 3,000,000)
    LEKO_BENCH_BATCH           spells in the measured upload, and per later upload
                               (default 1,000,000, at most LEKO_BENCH_SPELLS)
    LEKO_BENCH_EMPLOYEES       employees (default 820,000 scaled with LEKO_BENCH_SPELLS)
    LEKO_BENCH_INSTITUTIONS    institutions per municipality (default 10)
    LEKO_BENCH_YEAR            the year (default 2025)
    LEKO_BENCH_REQUESTS        KPI requests measured per endpoint (default 200)
    LEKO_BENCH_WARMUP          KPI requests before measuring (default 20)
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
import sickleave_data as data
from common import (
    Databases,
    cpu_counters,
    cpu_used,
    create_client,
    plain_url,
    postgres,
    print_machine,
    reset_peak_memory,
    run_benchmark,
    status_memory,
    wait_for_replica,
)

from leko_cli.platform import Platform
from leko_registry.seed import seed_organisations_data
from leko_sickleave.danish_calendar import is_working_day

MUNICIPALITY = "k101"
INGEST_TARGET, INGEST_DEFECT = 100_000, 50_000  # records/s end to end
MEMORY_TARGET_MB = 300
P95_TARGET_MS = 50.0
# The API takes 10,000 staffing records a request, but a batch that large fails on PostgreSQL
# (the stored versions are read with one `IN` of every key: "stack depth limit exceeded").
STAFFING_BATCH = 2_000
REPLICA_WAIT_SECONDS = 120
UPLOAD_PIECE = 256 * 1024
# Whose CPU time the measured upload reports (with the PostgreSQL backends and this client).
INGESTION_PROCESSES = ("gateway", "sickleave")
EXTRA_ENV = {
    # A year's upload is far beyond the gateway's default body limit and read timeout.
    "GATEWAY_MAX_BODY_BYTES": str(8 * 1024**3),
    "GATEWAY_READ_TIMEOUT_SECONDS": "1800",
    # New institutions reach the sick-leave replica within a second.
    "LEKO_REPLICA_POLL_SECONDS": "0.5",
}


@dataclass(frozen=True)
class Settings:
    spells: int
    batch: int
    employees: int
    institutions: int
    year: int
    requests: int
    warmup: int

    @classmethod
    def from_env(cls) -> Settings:
        def number(name: str, default: int) -> int:
            return int(os.environ.get(name, str(default)).replace("_", ""))

        spells = number("LEKO_BENCH_SPELLS", 3_000_000)
        return cls(
            spells=spells,
            batch=min(number("LEKO_BENCH_BATCH", 1_000_000), spells),
            employees=number("LEKO_BENCH_EMPLOYEES", max(1_000, round(820_000 * spells / 3e6))),
            institutions=number("LEKO_BENCH_INSTITUTIONS", 10),
            year=number("LEKO_BENCH_YEAR", 2025),
            requests=number("LEKO_BENCH_REQUESTS", 200),
            warmup=number("LEKO_BENCH_WARMUP", 20),
        )


@dataclass
class Upload:
    spells: int
    bytes: int
    seconds: float
    answer: dict[str, Any]

    @property
    def per_second(self) -> float:
        return self.spells / self.seconds


@dataclass
class Latency:
    label: str
    path: str
    requests: int
    p50_ms: float
    p95_ms: float
    max_ms: float


# -- the data --------------------------------------------------------------------------------


def organisations(institutions: int) -> tuple[list[data.Organisation], list[dict[str, Any]]]:
    """The registry's seeded organisations plus the institutions to create under each
    municipality (as registry create bodies)."""
    seeded = [
        data.Organisation(o["code"], o.get("parent_code"), o["sector"], o["kind"])
        for o in seed_organisations_data()
    ]
    bodies = [
        {
            "code": code,
            "name": f"Institution {code}",
            "sector": "municipality",
            "kind": "institution",
            "parent_code": org.code,
            "institution_type": "school" if number % 2 else "daycare",
        }
        for org in seeded
        if org.kind == "municipality"
        for number, code in enumerate(data.institution_codes(org.code, institutions))
    ]
    created = [
        data.Organisation(str(b["code"]), str(b["parent_code"]), "municipality", "institution")
        for b in bodies
    ]
    return seeded + created, bodies


def create_institutions(platform: Platform, bodies: list[dict[str, Any]]) -> None:
    admin = {"X-API-Key": platform.secrets.admin_key}
    with httpx.Client(base_url=platform.gateway_url, headers=admin, timeout=30) as client:
        for body in bodies:
            response = client.post("/registry/v1/organisations", json=body)
            if response.status_code not in (201, 409):
                raise RuntimeError(
                    f"creating {body['code']}: {response.status_code} {response.text}"
                )


async def wait_for_vacuum(database_url: str) -> float:
    """Until the service's own VACUUM of the aggregates after the last large batch is done (as
    in production, where reads come long after a payroll run); returns the seconds waited."""
    connection = await asyncpg.connect(plain_url(database_url))
    started = time.monotonic()
    try:
        await asyncio.sleep(1.0)  # the task starts once the last answer has been sent
        running = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        running += "AND query ILIKE 'VACUUM%' AND state = 'active'"
        while True:  # polling another process's work: nothing to await
            if not await connection.fetchval(running):
                break
            await asyncio.sleep(0.5)
        return time.monotonic() - started
    finally:
        await connection.close()


def post_staffing(platform: Platform, key: str, force: data.Workforce, year: int) -> int:
    records = list(data.staffing_records(force, year))
    headers = {"X-API-Key": key}
    with httpx.Client(base_url=platform.gateway_url, headers=headers, timeout=120) as client:
        for start in range(0, len(records), STAFFING_BATCH):
            response = client.post(
                "/sickleave/v1/staffing/batch",
                json={"records": records[start : start + STAFFING_BATCH]},
            )
            if response.status_code != 200:
                raise RuntimeError(f"staffing: {response.status_code} {response.text[:500]}")
    return len(records)


def write_spell_files(
    directory: Path, force: data.Workforce, settings: Settings
) -> list[tuple[Path, int]]:
    """The year's spells as CSV files of `settings.batch` spells (the last may be smaller)."""
    files: list[tuple[Path, int]] = []
    rows = data.spell_rows(force, settings.year, settings.spells)
    for start in range(0, settings.spells, settings.batch):
        count = min(settings.batch, settings.spells - start)
        path = directory / f"spells-{len(files):02d}.csv"
        with path.open("w", encoding="utf-8") as file:
            file.write(data.csv_header())
            file.writelines(next(rows) for _ in range(count))
        files.append((path, count))
    return files


# -- the measurements ------------------------------------------------------------------------


def _pieces(path: Path) -> Iterator[bytes]:
    with path.open("rb") as file:
        while piece := file.read(UPLOAD_PIECE):
            yield piece


def upload(platform: Platform, key: str, path: Path, spells: int) -> Upload:
    """One streamed CSV upload through the gateway."""
    headers = {"X-API-Key": key, "Content-Type": "text/csv"}
    with httpx.Client(timeout=httpx.Timeout(3600, connect=10)) as client:
        started = time.perf_counter()
        response = client.post(
            platform.gateway_url + "/sickleave/v1/absences/batch",
            content=_pieces(path),
            headers=headers,
        )
        seconds = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"upload of {path.name}: {response.status_code} {response.text[:800]}")
    return Upload(spells, path.stat().st_size, seconds, response.json())


async def raw_copy_seconds(database_url: str, path: Path) -> float:
    """A plain `COPY` of the CSV file into an empty table shaped like `absence_spells`."""
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        await connection.execute(
            """CREATE TABLE bench_raw_copy (
                source_system varchar(64) COLLATE "C", source_record_id varchar(128) COLLATE "C",
                employee_ref varchar(128), org_code varchar(64), job_group varchar(64),
                cause varchar(24), start_date date, end_date date, fraction numeric(5, 4),
                PRIMARY KEY (source_record_id, source_system))"""
        )
        started = time.perf_counter()
        async with connection.transaction():
            await connection.copy_to_table(
                "bench_raw_copy", source=path, columns=list(data.FIELDS), format="csv", header=True
            )
        return time.perf_counter() - started
    finally:
        await connection.execute("DROP TABLE IF EXISTS bench_raw_copy")
        await connection.close()


def service_paths(platform: Platform) -> set[str]:
    response = httpx.get(platform.url("sickleave") + "/openapi.json", timeout=10)
    response.raise_for_status()
    return set(response.json()["paths"])


def kpi_endpoints(platform: Platform, year: int) -> list[tuple[str, str]]:
    """(label, gateway path) of the KPI reads to time."""
    endpoints = [("national year", f"/sickleave/v1/statistics/national?year={year}")]
    if "/v1/benchmarks" in service_paths(platform):
        endpoints.append(
            (
                f"{MUNICIPALITY} benchmark vs national",
                f"/sickleave/v1/benchmarks?org_code={MUNICIPALITY}&year={year}&peers=national",
            )
        )
    else:
        endpoints.append(
            (
                f"{MUNICIPALITY} year statistics (no benchmarks endpoint yet)",
                f"/sickleave/v1/statistics?org_code={MUNICIPALITY}"
                f"&from={year}-01&to={year}-12&granularity=year",
            )
        )
    return endpoints


def _percentile(sorted_ms: list[float], share: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, round(share * (len(sorted_ms) - 1)))]


def latencies(
    platform: Platform, key: str, endpoints: list[tuple[str, str]], settings: Settings
) -> list[Latency]:
    results = []
    headers = {"X-API-Key": key}
    with httpx.Client(base_url=platform.gateway_url, headers=headers, timeout=30) as client:
        for label, path in endpoints:
            timings = []
            for number in range(settings.warmup + settings.requests):
                started = time.perf_counter()
                response = client.get(path)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:500]}")
                if number >= settings.warmup:
                    timings.append(elapsed)
            timings.sort()
            results.append(
                Latency(
                    label,
                    path,
                    len(timings),
                    round(_percentile(timings, 0.50), 2),
                    round(_percentile(timings, 0.95), 2),
                    round(timings[-1], 2),
                )
            )
    return results


# -- the check -------------------------------------------------------------------------------

_RECOMPUTE = """
WITH RECURSIVE subtree(code) AS (
    SELECT $1::text WHERE $1::text IS NOT NULL
    UNION ALL
    SELECT o.code FROM org_replica o JOIN subtree s ON o.parent_code = s.code),
spells AS (
    SELECT * FROM absence_spells
    WHERE cause = 'own_sickness'
      AND ($1::text IS NULL OR org_code IN (SELECT code FROM subtree))),
days AS (
    SELECT coalesce(sum(s.fraction_units), 0)::bigint AS units
    FROM spells s JOIN bench_calendar c ON c.working AND c.day BETWEEN
        greatest(s.start_date, $2::date)
        AND least(coalesce(s.end_date,
                           make_date(extract(year FROM s.start_date)::int + 1, 12, 31)), $3::date)),
started AS (
    SELECT coalesce(end_date, least($3::date,
                    make_date(extract(year FROM start_date)::int + 1, 12, 31)))
           - start_date + 1 AS length
    FROM spells WHERE start_date BETWEEN $2::date AND $3::date),
staffed AS (
    SELECT sum(fte_units)::bigint AS fte_units, count(DISTINCT month) AS months FROM staffing
    WHERE month BETWEEN $4 AND $5
      AND ($1::text IS NULL OR org_code IN (SELECT code FROM subtree)))
SELECT (SELECT units FROM days) AS day_units,
       (SELECT count(*) FROM started) AS spells,
       (SELECT count(*) FROM started WHERE length <= 3) AS b1,
       (SELECT count(*) FROM started WHERE length BETWEEN 4 AND 14) AS b2,
       (SELECT count(*) FROM started WHERE length BETWEEN 15 AND 28) AS b3,
       (SELECT count(*) FROM started WHERE length >= 29) AS b4,
       (SELECT fte_units FROM staffed) AS fte_units,
       (SELECT months FROM staffed) AS months
"""


async def recompute(database_url: str, year: int, org_code: str | None) -> dict[str, Any]:
    """The year's KPIs of the country (None) or an organisation's subtree from the reported
    rows: working days counted one by one in a calendar table."""
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        await connection.execute(
            "CREATE TEMPORARY TABLE bench_calendar (day date PRIMARY KEY, working boolean)"
        )
        first, last = date(year - 1, 1, 1), date(year + 1, 12, 31)
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        await connection.copy_records_to_table(
            "bench_calendar", records=[(day, is_working_day(day)) for day in days]
        )
        await connection.execute("ANALYZE bench_calendar")
        row = await connection.fetchrow(
            _RECOMPUTE,
            org_code,
            date(year, 1, 1),
            date(year, 12, 31),
            year * 100 + 1,
            year * 100 + 12,
        )
    finally:
        await connection.close()
    if row["months"] != 12:
        raise RuntimeError(f"{org_code or 'national'}: staffing for {row['months']} months")
    fte = row["fte_units"] / 12 / 10_000
    absence_days = row["day_units"] / 10_000
    return {
        "absence_days": absence_days,
        "spells": row["spells"],
        "length_distribution": {
            "1-3": row["b1"],
            "4-14": row["b2"],
            "15-28": row["b3"],
            "29+": row["b4"],
        },
        "fte": round(fte, 4),
        "absence_days_per_fte": round(absence_days / fte, 4),
    }


def served(platform: Platform, key: str, year: int, org_code: str | None) -> dict[str, Any]:
    """The same KPIs as the service answers them through the gateway."""
    path = (
        f"/sickleave/v1/statistics/national?year={year}"
        if org_code is None
        else f"/sickleave/v1/statistics?org_code={org_code}&from={year}-01&to={year}-12"
        "&granularity=year"
    )
    response = httpx.get(platform.gateway_url + path, headers={"X-API-Key": key}, timeout=60)
    response.raise_for_status()
    point = response.json()["series"][0]
    return {
        name: point[name]
        for name in ("absence_days", "spells", "length_distribution", "fte", "absence_days_per_fte")
    }


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    found = []
    for name, value in expected.items():
        other = actual[name]
        if isinstance(value, float):
            same = other is not None and abs(value - other) <= 1e-6 * max(1.0, abs(value))
        else:
            same = value == other
        if not same:
            found.append(f"{name}: service {other!r}, recomputed {value!r}")
    return found


# -- the run ---------------------------------------------------------------------------------


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def run(
    platform: Platform, databases: Databases, settings: Settings, workdir: Path
) -> dict[str, Any]:
    sickleave_db = databases.urls["sickleave"]
    orgs, bodies = organisations(settings.institutions)
    started = time.perf_counter()
    create_institutions(platform, bodies)
    asyncio.run(
        wait_for_replica(
            sickleave_db,
            [org.code for org in orgs],
            service="sick-leave",
            seconds=REPLICA_WAIT_SECONDS,
        )
    )
    print(
        f"bench: {len(orgs)} organisations ({len(bodies)} institutions created) in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    _, reporter = create_client(platform, "bench payroll", ["reporter"], ["*"])
    _, analyst = create_client(platform, "bench analyst", ["analyst"], ["*"])
    force = data.workforce(orgs, settings.employees)
    staffing = post_staffing(platform, reporter, force, settings.year)
    print(f"bench: staffing for {len(force.headcount)} organisations x 12 months posted")
    started = time.perf_counter()
    files = write_spell_files(workdir, force, settings)
    print(
        f"bench: {settings.spells:,} spells of {force.employees:,} employees written as CSV in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )

    # As routine maintenance after a deployment would, so that the measured batch meets
    # aggregate tables the planner knows to be empty (a plan that assumes them tiny must not
    # turn the batch quadratic).
    asyncio.run(postgres(sickleave_db, "VACUUM ANALYZE"))
    pid = platform.processes["sickleave"].pid
    before = status_memory(pid)
    reset = reset_peak_memory(pid)
    path, count = files[0]
    print(
        f"bench: posting {count:,} spells ({path.stat().st_size / 1e6:.0f} MB CSV) ...", flush=True
    )
    cpu_before = cpu_counters(platform, databases, INGESTION_PROCESSES)
    measured = upload(platform, reporter, path, count)
    cpu = cpu_used(cpu_before, cpu_counters(platform, databases, INGESTION_PROCESSES))
    memory = status_memory(pid)
    print(
        f"bench: {measured.per_second:,.0f} spells/s end to end ({measured.seconds:.1f} s), "
        f"answer {measured.answer}",
        flush=True,
    )
    copy_seconds = asyncio.run(raw_copy_seconds(sickleave_db, path))
    print(f"bench: raw COPY of the same rows: {count / copy_seconds:,.0f} rows/s", flush=True)

    later = []
    for path, count in files[1:]:
        later.append(upload(platform, reporter, path, count))
        print(f"bench: loaded {count:,} more spells at {later[-1].per_second:,.0f}/s", flush=True)

    waited = asyncio.run(wait_for_vacuum(sickleave_db))
    print(f"bench: the service's vacuum of the aggregates finished {waited:.1f} s later")
    endpoints = kpi_endpoints(platform, settings.year)
    timed = latencies(platform, analyst, endpoints, settings)

    checks = {}
    for org_code in (None, MUNICIPALITY):
        expected = asyncio.run(recompute(sickleave_db, settings.year, org_code))
        actual = served(platform, analyst, settings.year, org_code)
        checks[org_code or "national"] = {
            "recomputed": expected,
            "served": actual,
            "differences": differences(expected, actual),
        }
    if exited := platform.exited():
        raise RuntimeError(f"{exited} exited during the benchmark")
    return {
        "data": {
            "year": settings.year,
            "organisations": len(orgs),
            "institutions_created": len(bodies),
            "employees": force.employees,
            "staffing_records": staffing,
            "spells": settings.spells,
            "measured_batch": measured.spells,
            "measured_batch_bytes": measured.bytes,
            "backend": databases.backend,
        },
        "ingestion": {
            "seconds": round(measured.seconds, 2),
            "records_per_second": round(measured.per_second),
            "answer": measured.answer,
            "raw_copy_seconds": round(copy_seconds, 2),
            "raw_copy_rows_per_second": round(measured.spells / copy_seconds),
            "ratio_to_raw_copy": round(measured.per_second / (measured.spells / copy_seconds), 3),
            "later_uploads_records_per_second": [round(u.per_second) for u in later],
            "cpu_seconds": cpu,
        },
        "memory": {
            "rss_before_kb": before["VmRSS"],
            "peak_before_kb": before["VmHWM"],
            "peak_kb": memory["VmHWM"],
            "peak_measured_from": "the upload" if reset else "the process start",
        },
        "latency": [asdict(item) for item in timed],
        "checks": checks,
    }


def report(results: dict[str, Any]) -> bool:
    """Print the results next to the targets; True when the KPIs are exact."""
    d, ingestion, memory = results["data"], results["ingestion"], results["memory"]
    line = "-" * 87
    print()
    print("LEKO sick-leave benchmark: CSV ingestion and KPI reads through the gateway")
    print(
        f"data: year {d['year']}, {d['organisations']} organisations "
        f"({d['institutions_created']} institutions created), {d['employees']:,} employees, "
        f"{d['staffing_records']:,} staffing months, {d['spells']:,} spells; "
        f"database: {d['backend']}; one uvicorn worker per process"
    )
    print_machine(results["machine"])
    print(line)
    rate = ingestion["records_per_second"]
    peak_mb = memory["peak_kb"] / 1024
    ingest_verdict = (
        "met"
        if rate >= INGEST_TARGET
        else "NOT met" + (" (a defect)" if rate < INGEST_DEFECT else "")
    )
    print(
        f"ingestion: {d['measured_batch']:,} spells ({d['measured_batch_bytes'] / 1e6:.0f} MB "
        f"CSV, one request) in {ingestion['seconds']:.1f} s = {rate:,} records/s; "
        f"target >= {INGEST_TARGET:,}/s, < {INGEST_DEFECT:,}/s a defect -> {ingest_verdict}"
    )
    print(f"  answer: {ingestion['answer']}")
    print(
        f"  raw asyncpg COPY of the same rows into an empty table with the primary key: "
        f"{ingestion['raw_copy_rows_per_second']:,} rows/s ({ingestion['raw_copy_seconds']:.1f} "
        f"s); end to end is {ingestion['ratio_to_raw_copy']:.0%} of it"
    )
    print(
        "  CPU seconds spent on it: "
        + ", ".join(f"{name} {seconds:.1f}" for name, seconds in ingestion["cpu_seconds"].items())
        + f" (of {results['machine']['nproc'] * ingestion['seconds']:.1f} on "
        f"{results['machine']['nproc']} cores)"
    )
    if ingestion["later_uploads_records_per_second"]:
        rates = ", ".join(f"{r:,}/s" for r in ingestion["later_uploads_records_per_second"])
        print(f"  later uploads of {d['measured_batch']:,} onto the stored spells: {rates}")
    print(
        f"peak memory of the sick-leave process during {memory['peak_measured_from']}: "
        f"{peak_mb:.0f} MB (before: {memory['rss_before_kb'] / 1024:.0f} MB resident); "
        f"target <= {MEMORY_TARGET_MB} MB -> {_verdict(peak_mb <= MEMORY_TARGET_MB)}"
    )
    print(f"KPI reads with {d['spells']:,} spells stored, sequential through the gateway:")
    for item in results["latency"]:
        print(
            f"  {item['label']:<45} p50 {item['p50_ms']:7.2f} ms  p95 {item['p95_ms']:7.2f} ms"
            f"  ({item['requests']} requests); target p95 <= {P95_TARGET_MS:g} ms -> "
            f"{_verdict(item['p95_ms'] <= P95_TARGET_MS)}"
        )
    exact = True
    for name, check in results["checks"].items():
        served_kpis = check["served"]
        if check["differences"]:
            exact = False
            print(f"KPI check {name}: FAILED: " + "; ".join(check["differences"]))
        else:
            print(
                f"KPI check {name}: equal to a plain recomputation (absence days "
                f"{served_kpis['absence_days']:,.1f}, spells {served_kpis['spells']:,}, "
                f"fte {served_kpis['fte']:,.1f}, days/fte {served_kpis['absence_days_per_fte']})"
            )
    print(line)
    return exact


def with_workdir(platform: Platform, databases: Databases, settings: Settings) -> dict[str, Any]:
    """`run` with a temporary folder for the generated CSV files."""
    with tempfile.TemporaryDirectory(prefix="leko-bench-spells-") as workdir:
        return run(platform, databases, settings, Path(workdir))


def main() -> int:
    settings = Settings.from_env()
    return run_benchmark(
        name="sickleave",
        settings=settings,
        extra_env=EXTRA_ENV,
        run=lambda platform, databases: with_workdir(platform, databases, settings),
        report=report,
    )


if __name__ == "__main__":
    sys.exit(main())
