"""What the benchmarks share: throw-away databases, the platform on free ports, the machine's
facts and API keys made through the gateway's admin API.

Environment (every benchmark):
    LEKO_BENCH_BACKEND         auto (default), postgres or sqlite
    LEKO_BENCH_POSTGRES_URL    server to create throw-away databases on
                               (default postgresql://127.0.0.1:5432/postgres)
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import platform as host
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

import aiohttp
import asyncpg  # type: ignore[import-untyped]
import httptools
import httpx
import uvloop
from sqlalchemy.engine import make_url

from leko_cli.platform import GATEWAY, SERVICES, DevSecrets, Platform

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_POSTGRES = "postgresql://127.0.0.1:5432/postgres"
COMPONENTS = tuple(component.name for component in (*SERVICES, GATEWAY))
# The benchmark clients must never be throttled by the gateway's per-client token bucket.
UNTHROTTLED = {
    "GATEWAY_RATE_LIMIT_PER_SECOND": "10000000",
    "GATEWAY_RATE_LIMIT_BURST": "10000000",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def plain_url(url: str) -> str:
    """A PostgreSQL URL as asyncpg takes it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def postgres(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(plain_url(url), timeout=3)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@dataclass
class Databases:
    """Throw-away PostgreSQL databases for every component of the platform, or SQLite files
    (the platform's default) when PostgreSQL is not wanted or not there."""

    backend: str
    env: dict[str, str]
    admin_url: str | None = None
    urls: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls, *, require_postgres: bool = False) -> Databases:
        choice = os.environ.get("LEKO_BENCH_BACKEND", "auto")
        explicit = os.environ.get("LEKO_BENCH_POSTGRES_URL")
        admin = explicit or DEFAULT_POSTGRES
        if choice == "sqlite" and not require_postgres:
            return cls("sqlite", {})
        try:
            asyncio.run(postgres(admin, "SELECT 1"))
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            if require_postgres or choice == "postgres" or explicit:
                raise RuntimeError(f"PostgreSQL at {admin} is unreachable: {exc}") from exc
            print(f"bench: PostgreSQL not reachable at {admin} ({exc}); using SQLite")
            return cls("sqlite", {})
        suffix = uuid.uuid4().hex[:10]
        names = {component: f"leko_bench_{component}_{suffix}" for component in COMPONENTS}
        asyncio.run(postgres(admin, *(f'CREATE DATABASE "{name}"' for name in names.values())))
        base = make_url(plain_url(admin))
        urls = {
            component: base.set(database=name).render_as_string(False)
            for component, name in names.items()
        }
        env = {f"{component.upper()}_DATABASE_URL": url for component, url in urls.items()}
        return cls("postgresql", env, admin, urls)

    def drop(self) -> None:
        if self.admin_url and self.urls:
            drops = (
                f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'
                for url in self.urls.values()
            )
            asyncio.run(postgres(self.admin_url, *drops))


def machine(**tools: Sequence[str]) -> dict[str, Any]:
    """The machine's facts, taken before anything starts (so the load average is its own);
    `tools` names commands whose `--version` output is worth recording."""
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        model = found[1].strip() if found else ""
    facts: dict[str, Any] = {
        "nproc": len(os.sched_getaffinity(0)),
        "load_average_before": round(os.getloadavg()[0], 2),
        "cpu": model or host.processor(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "kernel": host.release(),
        "python": host.python_version(),
    }
    for name, command in tools.items():
        version = subprocess.run(command, capture_output=True, text=True, check=False)
        facts[name] = (version.stdout or version.stderr).split(" Copyright")[0].strip()
    return facts


def print_machine(facts: Mapping[str, Any]) -> None:
    tools = ", ".join(
        str(value)
        for name, value in facts.items()
        if name not in {"nproc", "load_average_before", "cpu", "memory_gb", "kernel", "python"}
    )
    print(
        f"machine: nproc={facts['nproc']}, {facts['cpu']}, {facts['memory_gb']} GB, "
        f"Python {facts['python']}{', ' + tools if tools else ''}, "
        f"load average before the run {facts['load_average_before']}"
    )
    if facts["load_average_before"] > 0.5:
        print("note: the machine was busy before the run; the numbers are noisy")


@contextmanager
def running_platform(databases: Databases, extra_env: Mapping[str, str]) -> Iterator[Platform]:
    """Every service and the gateway as real processes on free ports (as `make run` starts
    them), with `databases` and a throw-away data directory; stopped on exit."""
    with tempfile.TemporaryDirectory(prefix="leko-bench-") as data_dir:
        platform = Platform(
            data_dir=Path(data_dir),
            ports={name: free_port() for name in COMPONENTS},
            secrets=DevSecrets.load(Path(data_dir), None),
            extra_env={"LEKO_LOG_LEVEL": "warning", **UNTHROTTLED, **databases.env, **extra_env},
        )
        print(f"bench: starting {', '.join(COMPONENTS)} ...", flush=True)
        platform.start()
        try:
            yield platform
        finally:
            platform.stop()


def create_client(
    platform: Platform,
    name: str,
    roles: Sequence[str],
    scope: Sequence[str],
    *,
    leader_ref: str | None = None,
) -> tuple[str, str]:
    """A new gateway client and an API key for it, through the admin API with the bootstrap
    admin key: (client_id, api_key). `leader_ref` binds a `leader` client to its leader."""
    admin = {"X-API-Key": platform.secrets.admin_key}
    with httpx.Client(base_url=platform.gateway_url, headers=admin, timeout=10) as client:
        created = client.post(
            "/gateway/v1/clients",
            json={
                "name": name,
                "roles": list(roles),
                "scope": list(scope),
                "leader_ref": leader_ref,
            },
        )
        created.raise_for_status()
        client_id = str(created.json()["client_id"])
        key = client.post(f"/gateway/v1/clients/{client_id}/keys", json={"expires_at": None})
        key.raise_for_status()
        return client_id, str(key.json()["api_key"])


def status_memory(pid: int) -> dict[str, int]:
    """A process's current and peak resident memory (`VmRSS`, `VmHWM`) in kB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in {"VmRSS", "VmHWM"}:
            fields[name] = int(value.split()[0])
    return fields


def reset_peak_memory(pid: int) -> bool:
    """Start a process's `VmHWM` afresh (Linux: writing 5 to `clear_refs`); False if not
    allowed, and the peak then counts from the process's start."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _stat_fields(pid: int) -> list[str]:
    """`/proc/<pid>/stat` after the command name: state is field 3, the parent 4, utime 14
    and stime 15 (1-based, man proc), so index 0, 1, 11 and 12 here."""
    return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process and its living descendants (a server's worker
    processes) have used so far."""
    children: dict[int, list[int]] = defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                children[int(_stat_fields(int(entry.name))[1])].append(int(entry.name))
            except (OSError, IndexError):
                continue
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += own_cpu_seconds(current)
        except OSError:
            continue
        todo += children.get(current, [])
    return total


def own_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) one process has used so far."""
    fields = _stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """CPU time every core of the machine has spent busy so far (not idle or waiting for
    I/O), from `/proc/stat`."""
    values = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    busy = sum(values[:8]) - values[3] - values[4]  # without idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds(databases: Databases) -> float:
    """CPU time used so far by the PostgreSQL backends serving `databases` (found by their
    process titles, `postgres: <user> <database> ...`); 0 when PostgreSQL is not local."""
    names = {make_url(url).database for url in databases.urls.values()}
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if title.startswith("postgres:") and any(f" {name} " in title for name in names):
                total += own_cpu_seconds(int(entry.name))
        except OSError:
            continue
    return total


def percentile(sorted_ms: Sequence[float], share: float) -> float:
    """The value at `share` (0–1) of sorted latencies, nearest rank."""
    return sorted_ms[min(len(sorted_ms) - 1, round(share * (len(sorted_ms) - 1)))]


class KeepAliveConnection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection of the load generator: a request is written as
    prepared bytes and the answer parsed by httptools (C), so that the generator, which
    shares the two cores with what it measures, costs as little CPU as it can."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.body: list[bytes] = []
        self.lost: BaseException | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(error)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or ConnectionResetError("the gateway closed the connection"))

    def _fail(self, error: BaseException) -> None:
        self.lost = error
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error)

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((self.parser.get_status_code(), b"".join(self.body)))

    async def request(self, data: bytes) -> tuple[int, bytes]:
        if self.lost is not None or self.transport is None:
            raise ConnectionError(f"connection lost: {self.lost!r}")
        self.body = []
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter


async def wait_for_replica(
    database_url: str, codes: list[str], *, service: str, seconds: float = 120.0
) -> None:
    """Until the service's organisation replica (in its database) holds every code."""
    connection = await asyncpg.connect(plain_url(database_url))
    try:
        deadline = time.monotonic() + seconds
        while True:
            found = await connection.fetchval(
                "SELECT count(*) FROM org_replica WHERE code = ANY($1::text[])", codes
            )
            if found == len(codes):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {service} replica has {found} of {len(codes)} codes")
            await asyncio.sleep(0.5)
    finally:
        await connection.close()


@dataclass
class Submission:
    """A timed load of prepared POSTs (see `submit_all`)."""

    responses: int
    accepted: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    failures: dict[str, int]
    failure_examples: list[str]
    window_rates: list[int]
    cpu_seconds: dict[str, float]

    @property
    def per_second(self) -> float:
        return self.accepted / self.seconds if self.seconds else 0.0


def cpu_counters(
    platform: Platform, databases: Databases, services: Sequence[str]
) -> dict[str, float]:
    """CPU seconds used so far by `services` (with their workers), this load generator, the
    PostgreSQL backends of `databases` and the whole machine."""
    counters = {name: cpu_seconds(platform.processes[name].pid) for name in services}
    counters["load generator"] = time.process_time()
    counters["PostgreSQL backends"] = postgres_cpu_seconds(databases)
    counters["machine"] = machine_cpu_seconds()
    return counters


def cpu_used(before: Mapping[str, float], after: Mapping[str, float]) -> dict[str, float]:
    """What each counter of `cpu_counters` used between two readings; the machine's busy time
    beyond them as "rest of the machine"."""
    used = {name: after[name] - before[name] for name in before}
    machine_busy = used.pop("machine")
    used["rest of the machine"] = machine_busy - sum(used.values())
    return {name: round(value, 1) for name, value in used.items()}


def submit_all(
    platform: Platform,
    databases: Databases,
    jobs: list[bytes],
    concurrency: int,
    *,
    services: Sequence[str],
) -> Submission:
    """`post_all` on uvloop, timed, with the CPU each part of the machine spent on it."""
    before = cpu_counters(platform, databases, services)
    seconds, latencies, failures, examples, rates = uvloop.run(
        post_all(platform, jobs, concurrency)
    )
    cpu = cpu_used(before, cpu_counters(platform, databases, services))
    latencies.sort()
    return Submission(
        responses=len(jobs),
        accepted=len(latencies) - sum(failures.values()),
        seconds=seconds,
        p50_ms=round(percentile(latencies, 0.50), 2),
        p95_ms=round(percentile(latencies, 0.95), 2),
        p99_ms=round(percentile(latencies, 0.99), 2),
        max_ms=round(latencies[-1], 2),
        failures=failures,
        failure_examples=examples,
        window_rates=rates,
        cpu_seconds=cpu,
    )


def run_benchmark(
    *,
    name: str,
    settings: Any,
    extra_env: Mapping[str, str],
    run: Callable[[Platform, Databases], dict[str, Any]],
    report: Callable[[dict[str, Any]], bool],
) -> int:
    """A service benchmark's `main`: the platform on throw-away PostgreSQL databases, `run`,
    the report (False when a correctness check failed), `bench/results/<name>.json`; the
    exit code is 1 when a check failed or the run could not finish."""
    try:
        facts = machine()
        databases = Databases.create(require_postgres=True)
        try:
            with running_platform(databases, extra_env) as platform:
                results = run(platform, databases)
        finally:
            databases.drop()
        results = {"machine": facts, "settings": asdict(settings), **results}
        exact = report(results)
        RESULTS.mkdir(parents=True, exist_ok=True)
        result_file = RESULTS / f"{name}.json"
        result_file.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
        print(f"results written to {result_file.relative_to(ROOT)}")
    except (
        RuntimeError,
        httpx.HTTPError,
        aiohttp.ClientError,
        OSError,
        asyncpg.PostgresError,
    ) as e:
        print(f"bench: FAILED: {e}", file=sys.stderr)
        return 1
    if not exact:
        print("bench: FAILED: the service's figures differ from the recomputation", file=sys.stderr)
    return 0 if exact else 1


def json_post(host: str, path: str, body: bytes) -> bytes:
    """A prepared HTTP/1.1 POST of a JSON body, for `post_all`."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def post_all(
    platform: Platform, jobs: list[bytes], concurrency: int
) -> tuple[float, list[float], dict[str, int], list[str], list[int]]:
    """Send every prepared request once from `concurrency` keep-alive connections: (seconds,
    latencies in ms, failures by status, a few failure texts, responses/s per twentieth)."""
    latencies: list[float] = []
    failures: dict[str, int] = defaultdict(int)
    examples: list[str] = []
    position = 0
    total = len(jobs)
    step = max(1, total // 20)
    marks: list[float] = []
    host, port = "127.0.0.1", platform.ports["gateway"]
    loop = asyncio.get_running_loop()

    async def worker() -> None:
        nonlocal position
        clock = time.perf_counter
        _, connection = await loop.create_connection(KeepAliveConnection, host, port)
        try:
            while position < total:
                request = jobs[position]
                position += 1
                started = clock()
                try:
                    async with asyncio.timeout(60):
                        status, text = await connection.request(request)
                except (OSError, TimeoutError, httptools.HttpParserError) as error:
                    status, text = 0, repr(error).encode()
                    if connection.transport is not None:
                        connection.transport.close()
                    _, connection = await loop.create_connection(KeepAliveConnection, host, port)
                latencies.append((clock() - started) * 1000)
                if status != 201:
                    failures[str(status)] += 1
                    if len(examples) < 5:
                        examples.append(f"{status} {text[:300].decode(errors='replace')}")
                if len(latencies) % step == 0:
                    marks.append(clock())
                    if len(marks) % 4 == 0:
                        print(f"bench: {len(latencies):,} of {total:,} responses", flush=True)
        finally:
            if connection.transport is not None:
                connection.transport.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.perf_counter() - started
    edges = [started, *marks]
    rates = [round(step / (b - a)) for a, b in itertools.pairwise(edges) if b > a]
    return seconds, latencies, dict(failures), examples, rates
