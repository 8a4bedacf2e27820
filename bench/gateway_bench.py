"""Benchmark: what the gateway costs in front of a service (`make bench`, issue 2).

Starts the platform (every service and the gateway) as real processes, one uvicorn worker each,
through the same launcher as `make run`; creates an analyst client with an API key, and
measures with wrk

    gateway: GET /registry/v1/organisations/k101 with X-API-Key
    direct:  GET /v1/organisations/k101 on the registry with a valid internal token

at 1 connection (1 thread) and at 64 connections (2 threads), after a short warm-up each. It
prints requests/s, p50 and p99 for both, the ratios and the targets (the gateway keeps at least
80 % of the direct throughput at 64 connections, and adds at most 0.5 ms at p50 at 1
connection), and writes the same as JSON to bench/results/gateway.json. A missed target is
reported, not an error: the exit code is non-zero only when the run itself fails.

Environment (and those of `common`):
    LEKO_BENCH_DURATION        seconds measured per run (default 10)
    LEKO_BENCH_WARMUP          seconds of warm-up before each run (default 2)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import httpx
from common import (
    RESULTS,
    ROOT,
    Databases,
    create_client,
    machine,
    print_machine,
    running_platform,
)

from leko_cli.platform import Platform
from leko_kit.auth import InternalTokenSigner, Principal

RESULT_FILE = RESULTS / "gateway.json"
ORGANISATION = "k101"
GATEWAY_PATH = f"/registry/v1/organisations/{ORGANISATION}"
DIRECT_PATH = f"/v1/organisations/{ORGANISATION}"
CONNECTIONS = ((1, 1), (64, 2))  # (connections, wrk threads)
THROUGHPUT_TARGET = 0.80  # gateway/direct requests per second at 64 connections
ADDED_P50_TARGET_MS = 0.5  # gateway p50 minus direct p50 at 1 connection


@dataclass
class Run:
    """One wrk measurement."""

    target: str
    connections: int
    threads: int
    seconds: float
    requests: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx_3xx: int
    socket_errors: dict[str, int] = field(default_factory=dict)


@dataclass
class Comparison:
    connections: int
    direct: Run
    gateway: Run

    @property
    def throughput_ratio(self) -> float:
        return self.gateway.requests_per_second / self.direct.requests_per_second

    @property
    def added_p50_ms(self) -> float:
        return self.gateway.p50_ms - self.direct.p50_ms


# -- wrk -------------------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"unexpected wrk duration {text!r}")
    return float(match[1]) * _UNITS_MS[match[2]]


def wrk(url: str, header: str, connections: int, threads: int, seconds: float) -> str:
    command = [
        "wrk",
        "--latency",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        "--timeout=10s",
        f"--header={header}",
        url,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    return completed.stdout


def parse_wrk(output: str, target: str, connections: int, threads: int) -> Run:
    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            raise RuntimeError(f"cannot find {pattern!r} in wrk's output:\n{output}")
        return match

    total = find(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h)")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return Run(
        target=target,
        connections=connections,
        threads=threads,
        seconds=_duration_ms(total[2] + total[3]) / 1000,
        requests=int(total[1]),
        requests_per_second=float(find(r"^Requests/sec:\s*([\d.]+)")[1]),
        p50_ms=_duration_ms(find(r"^\s*50%\s+(\S+)")[1]),
        p99_ms=_duration_ms(find(r"^\s*99%\s+(\S+)")[1]),
        non_2xx_3xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=(
            dict(
                zip(("connect", "read", "write", "timeout"), map(int, errors.groups()), strict=True)
            )
            if errors
            else {}
        ),
    )


# -- the run ---------------------------------------------------------------------------------


def check_once(url: str, header: str) -> httpx.Response:
    name, _, value = header.partition(": ")
    response = httpx.get(url, headers={name: value}, timeout=10)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} answered {response.status_code}: {response.text[:500]}")
    return response


def measure(
    platform: Platform, api_key: str, token: str, seconds: float, warmup: float
) -> list[Comparison]:
    targets = {
        "direct": (platform.url("registry") + DIRECT_PATH, f"Authorization: Bearer {token}"),
        "gateway": (platform.gateway_url + GATEWAY_PATH, f"X-API-Key: {api_key}"),
    }
    comparisons = []
    for connections, threads in CONNECTIONS:
        runs: dict[str, Run] = {}
        for target, (url, header) in targets.items():
            print(f"bench: {target:7} {connections:>2} connection(s): ", end="", flush=True)
            if warmup > 0:
                wrk(url, header, connections, threads, warmup)
            run = parse_wrk(
                wrk(url, header, connections, threads, seconds), target, connections, threads
            )
            if run.requests == 0 or run.non_2xx_3xx >= run.requests:
                raise RuntimeError(f"{target}: no successful request in {run}")
            print(f"{run.requests_per_second:,.0f} requests/s, p50 {run.p50_ms:.3f} ms", flush=True)
            runs[target] = run
            if exited := platform.exited():
                raise RuntimeError(f"{exited} exited during the benchmark")
        comparisons.append(Comparison(connections, runs["direct"], runs["gateway"]))
    return comparisons


def report(comparisons: list[Comparison], facts: dict[str, Any]) -> dict[str, Any]:
    by_connections = {c.connections: c for c in comparisons}
    ratio = round(by_connections[64].throughput_ratio, 4)
    added = round(by_connections[1].added_p50_ms, 3)
    targets = {
        "throughput_at_64": {
            "target": f"gateway keeps >= {THROUGHPUT_TARGET:.0%} of direct throughput at 64 conns",
            "value": ratio,
            "met": ratio >= THROUGHPUT_TARGET,
        },
        "added_p50_at_1": {
            "target": f"gateway adds <= {ADDED_P50_TARGET_MS} ms at p50 at 1 connection",
            "value_ms": added,
            "met": added <= ADDED_P50_TARGET_MS,
        },
    }
    line = "-" * 87
    print()
    print(f"LEKO gateway benchmark: GET {GATEWAY_PATH} (gateway) vs GET {DIRECT_PATH} (direct)")
    data = facts["data"]
    print(
        f"data: {data['organisation']} -> {data['response_bytes']} bytes of JSON; "
        f"database: {data['backend']}; one uvicorn worker per process"
    )
    print_machine(facts["machine"])
    print(f"each run: {facts['seconds']:g} s after {facts['warmup']:g} s warm-up")
    print(line)
    print(
        f"{'conns':>5} {'target':<8} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>9} "
        f"{'requests':>9} {'non-2xx':>8} {'gw/direct rps':>14} {'added p50':>10}"
    )
    print(line)
    for c in comparisons:
        for run in (c.direct, c.gateway):
            extra = ""
            if run is c.gateway:
                extra = f"{c.throughput_ratio:>14.1%} {c.added_p50_ms:>+7.3f} ms"
            print(
                f"{run.connections:>5} {run.target:<8} {run.requests_per_second:>11,.0f} "
                f"{run.p50_ms:>8.3f} {run.p99_ms:>9.3f} {run.requests:>9,} "
                f"{run.non_2xx_3xx:>8} {extra}".rstrip()
            )
    print(line)
    print(
        f"target: {targets['throughput_at_64']['target']}: {ratio:.1%} -> "
        f"{'met' if targets['throughput_at_64']['met'] else 'NOT met'}"
    )
    print(
        f"target: {targets['added_p50_at_1']['target']}: {added:+.3f} ms -> "
        f"{'met' if targets['added_p50_at_1']['met'] else 'NOT met'}"
    )
    problems = [
        f"{run.target} at {run.connections} connection(s): {run.non_2xx_3xx} non-2xx/3xx, "
        f"socket errors {run.socket_errors}"
        for c in comparisons
        for run in (c.direct, c.gateway)
        if run.non_2xx_3xx or any(run.socket_errors.values())
    ]
    for problem in problems:
        print(f"warning: {problem}")
    return {
        **facts,
        "runs": [asdict(run) for c in comparisons for run in (c.direct, c.gateway)],
        "ratios": {
            str(c.connections): {
                "throughput_gateway_over_direct": round(c.throughput_ratio, 4),
                "added_p50_ms": round(c.added_p50_ms, 3),
                "added_p99_ms": round(c.gateway.p99_ms - c.direct.p99_ms, 3),
            }
            for c in comparisons
        },
        "targets": targets,
        "problems": problems,
    }


def main() -> int:
    if shutil.which("wrk") is None:
        print("bench: wrk is not installed (bench/run installs it)", file=sys.stderr)
        return 2
    seconds = float(os.environ.get("LEKO_BENCH_DURATION", "10"))
    warmup = float(os.environ.get("LEKO_BENCH_WARMUP", "2"))
    machine_facts = machine(wrk=["wrk", "--version"])
    databases = Databases.create()
    print(f"bench: database backend: {databases.backend}")
    try:
        with running_platform(databases, {}) as platform:
            client_id, api_key = create_client(platform, "bench analyst", ["analyst"], ["*"])
            lifetime = int(4 * len(CONNECTIONS) * (seconds + warmup)) + 600
            token = InternalTokenSigner(
                platform.secrets.private_pem, lifetime_seconds=lifetime
            ).mint(Principal(client_id=client_id, roles=frozenset({"analyst"}), scope=("*",)))
            direct = check_once(
                platform.url("registry") + DIRECT_PATH, f"Authorization: Bearer {token}"
            )
            proxied = check_once(platform.gateway_url + GATEWAY_PATH, f"X-API-Key: {api_key}")
            if proxied.content != direct.content:
                print("bench: warning: gateway and direct bodies differ")
            body = direct.json()
            facts: dict[str, Any] = {
                "seconds": seconds,
                "warmup": warmup,
                "machine": machine_facts,
                "data": {
                    "organisation": f"{ORGANISATION} ({body.get('name', '?')})",
                    "response_bytes": len(direct.content),
                    "backend": databases.backend,
                },
            }
            comparisons = measure(platform, api_key, token, seconds, warmup)
    finally:
        databases.drop()
    results = report(comparisons, facts)
    RESULTS.mkdir(parents=True, exist_ok=True)
    RESULT_FILE.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"results written to {RESULT_FILE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, httpx.HTTPError, OSError, asyncpg.PostgresError) as error:
        print(f"bench: FAILED: {error}", file=sys.stderr)
        sys.exit(1)
