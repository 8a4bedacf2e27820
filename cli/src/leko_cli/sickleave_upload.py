"""`leko sickleave upload` and `leko sickleave staffing`: payroll extracts into LEKO.

`upload FILE.csv` sends a CSV of absence spells (header row of the field names: source_system,
source_record_id, employee_ref, org_code, job_group, cause, start_date, end_date, fraction)
through the gateway to `POST /sickleave/v1/absences/batch` as `text/csv`. The file is streamed
in 1 MiB chunks and never held in memory, so an extract of any size can be sent. By default the
whole file is one request and so one atomic batch: every row is stored or none is. `--split
SIZE` sends it as several requests of about SIZE bytes each (cut at row boundaries, the header
repeated), for gateways whose request size limit is smaller than the file; each part is then
atomic on its own, and because every spell is keyed by (source_system, source_record_id),
uploading the corrected file again after a failure stores the rest and reports the parts
already stored as unchanged.

`--org CODE` is an optional safety check for integrators whose key covers more than one
extract (a regional or national reporter): before anything is sent, every row's org_code must
be CODE or an organisation below it in the registry (looked up on the public registry API),
otherwise nothing is uploaded. The service's own scope check applies either way.

`staffing FILE.csv` sends monthly staffing (header org_code, month, employees, fte,
agreed_hours; month as yyyy-mm) to `POST /sickleave/v1/staffing/batch`, 10,000 rows per
request (the endpoint's limit; each request atomic).

Errors: a 422 is shown row by row, each row index translated to the line of the file it
starts on (found by reading the file again, so only on failure); other refusals show the
problem's title and detail. Exit codes: 0 stored, 1 refused or failed, 2 usage (no key, no
file).

The progress bar (bytes sent of the file's size, rate, time left, on stderr) uses `rich`: it is
widely used and maintained, fully typed (so it passes mypy strict without stubs), writes to
stderr while stdout keeps only the result, and degrades to a single final line when stderr is
not a terminal (CI logs, cron).
"""

from __future__ import annotations

import csv
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

ABSENCES_PATH = "/sickleave/v1/absences/batch"
STAFFING_PATH = "/sickleave/v1/staffing/batch"
STAFFING_COLUMNS = ("org_code", "month", "employees", "fte", "agreed_hours")
STAFFING_BATCH_ROWS = 10_000
CHUNK_BYTES = 1 << 20
# The answer comes once the service has checked and stored the whole body: allow for that.
TIMEOUT = httpx.Timeout(60.0, read=900.0)
ERRORS_SHOWN = 50
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

_EMPTY_LINES = frozenset({b"\n", b"\r\n", b"\r"})  # csv reads these as no row at all
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)


class CommandError(Exception):
    """A failure to report on stderr with an exit code, without a traceback."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code


def default_gateway() -> str:
    """`LEKO_GATEWAY_URL`, else the local gateway of `make run`."""
    configured = os.environ.get("LEKO_GATEWAY_URL")
    if configured:
        return configured.rstrip("/")
    return f"http://127.0.0.1:{os.environ.get('LEKO_GATEWAY_PORT', '8000')}"


def parse_size(text: str) -> int:
    """`8M`, `500k`, `1GiB` or a number of bytes."""
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"not a size: {text!r} (e.g. 8M, 500k, 1G)")
    number = float(match.group(1))
    unit = (match.group(2) or "b").lower()[:1]
    size = int(number * {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[unit])
    if size < 1024:
        raise ValueError("a part must be at least 1 KiB")
    return size


def _api_key(api_key: str | None) -> str:
    key = (api_key or os.environ.get("LEKO_API_KEY", "")).strip()
    if not key:
        raise CommandError(
            "No API key: pass --api-key KEY or set LEKO_API_KEY. Use a key of a client with the "
            "`reporter` role whose scope covers the organisations in the file (a national "
            "admin creates one with POST /gateway/v1/clients and POST "
            "/gateway/v1/clients/{client_id}/keys).",
            EXIT_USAGE,
        )
    return key


def _check_file(path: Path) -> int:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}", EXIT_USAGE) from exc
    if not path.is_file():
        raise CommandError(f"{path} is not a file", EXIT_USAGE)
    return size


def _client(gateway: str, api_key: str) -> httpx.Client:
    return httpx.Client(base_url=gateway, headers={"X-API-Key": api_key}, timeout=TIMEOUT)


def _progress(enabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=not enabled,
    )


# Reading the CSV: parts cut at row boundaries, and row indexes mapped back to lines.


@dataclass
class _Part:
    """One request's worth of the file: its first row's index, and its rows once sent."""

    first_row: int
    rows: int = 0


@dataclass
class _CsvParts:
    """Splits a CSV file into parts of about `part_bytes` (header repeated in each).

    A line ends a row when the double quotes seen so far are balanced (a quoted field may hold
    line breaks), as the service reads it; blank lines are skipped there and not counted here.
    The byte `"` never occurs inside a multi-byte UTF-8 sequence, so bytes can be counted.
    """

    file: BinaryIO
    size: int
    part_bytes: int
    on_bytes: Callable[[int], None]
    header: bytes = b""
    rows_before: int = 0
    done: bool = False

    def __post_init__(self) -> None:
        for line in self.file:
            self.on_bytes(len(line))
            if line not in _EMPTY_LINES:
                self.header = line if line.endswith(b"\n") else line + b"\n"
                break
        self.done = not self.header

    def next_part(self) -> tuple[_Part, Iterator[bytes]]:
        part = _Part(first_row=self.rows_before)
        return part, self._stream(part)

    def _stream(self, part: _Part) -> Iterator[bytes]:
        yield self.header
        buffered: list[bytes] = []
        buffered_bytes = part_bytes = 0
        quotes = 0
        record_open = False
        for line in self.file:
            self.on_bytes(len(line))
            quotes += line.count(b'"')
            buffered.append(line)
            buffered_bytes += len(line)
            part_bytes += len(line)
            if quotes % 2:
                record_open = True
                continue
            if record_open or line not in _EMPTY_LINES:
                part.rows += 1
            record_open = False
            if buffered_bytes >= CHUNK_BYTES:
                yield b"".join(buffered)
                buffered, buffered_bytes = [], 0
            if part.rows and part_bytes >= self.part_bytes:
                self.done = self.file.tell() >= self.size
                break
        else:
            self.done = True
        if buffered:
            yield b"".join(buffered)
        self.rows_before += part.rows


def _csv_rows(path: Path, *, strict: bool = True) -> Iterator[tuple[int, list[str]]]:
    """Each non-empty row of the file with the line it starts on (a quoted field may span
    lines). A malformed file raises `CommandError`, or, unless `strict`, ends the rows."""
    with path.open(
        encoding="utf-8-sig", errors="strict" if strict else "replace", newline=""
    ) as text:
        reader = csv.reader(text)
        next_line = 1
        try:
            for row in reader:
                start, next_line = next_line, reader.line_num + 1
                if row:
                    yield start, row
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8; save it as UTF-8 and try again") from exc
        except csv.Error as exc:
            if strict:
                raise CommandError(f"{path}: malformed CSV near line {next_line}: {exc}") from exc


def line_numbers(path: Path, rows: Iterable[int]) -> dict[int, int]:
    """The line of the file each given row (0 = the first after the header) starts on."""
    wanted = set(rows)
    found: dict[int, int] = {}
    if not wanted:
        return found
    lines = _csv_rows(path, strict=False)
    next(lines, None)  # the header
    for index, (start, _) in enumerate(lines):
        if index in wanted:
            found[index] = start
            if len(found) == len(wanted):
                break
    return found


# Problems (RFC 9457) as text.


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    text = response.text.strip().replace("\n", " ")
    return {"title": response.reason_phrase, "detail": text[:300] or None}


def _problem_headline(response: httpx.Response, problem: Mapping[str, Any]) -> str:
    title = problem.get("title") or response.reason_phrase
    detail = problem.get("detail")
    headline = f"Refused: {response.status_code} {title}"
    if detail:
        headline += f": {detail}"
    if response.status_code == 401:
        headline += " Check the API key (--api-key or LEKO_API_KEY)."
    elif response.status_code == 413:
        headline += (
            " The gateway limits the size of a request; send the file in parts with "
            "--split 8M (each part is atomic; uploading again is safe)."
        )
    request_id = problem.get("request_id") or response.headers.get("x-request-id")
    if request_id:
        headline += f" (request id {request_id})"
    return headline


def describe_errors(
    problem: Mapping[str, Any], *, row_offset: int = 0, lines: Mapping[int, int] | None = None
) -> list[str]:
    """One line per problem of a 422: `row 12 (line 14) cause: message`."""
    described: list[str] = []
    errors = problem.get("errors") or []
    for error in errors[:ERRORS_SHOWN]:
        loc = list(error.get("loc") or [])
        message = error.get("message", "")
        if loc[:2] == ["body", "records"] and len(loc) >= 3 and isinstance(loc[2], int):
            row = loc[2] + row_offset
            line = (lines or {}).get(row)
            where = f"row {row}" + (f" (line {line})" if line else "")
            if len(loc) > 3:
                where += f" {loc[3]}"
        elif loc[:2] == ["body", "header"]:
            where = "header (line 1)"
        else:
            where = ".".join(str(part) for part in loc[1:] or loc) or "body"
        described.append(f"  {where}: {message}")
    more = max(0, len(errors) - ERRORS_SHOWN) + int(problem.get("omitted") or 0)
    if more:
        described.append(f"  ... and {more} more problem(s) not listed")
    return described


def _error_rows(problem: Mapping[str, Any], row_offset: int) -> list[int]:
    rows = []
    for error in (problem.get("errors") or [])[:ERRORS_SHOWN]:
        loc = error.get("loc") or []
        if len(loc) >= 3 and loc[:2] == ["body", "records"] and isinstance(loc[2], int):
            rows.append(loc[2] + row_offset)
    return rows


# --org: every row below the given organisation.


def _org_codes(path: Path) -> dict[str, int]:
    """Each org_code in the file with the line it first appears on."""
    codes: dict[str, int] = {}
    rows = _csv_rows(path)
    _, header = next(rows, (0, []))
    names = [name.strip() for name in header]
    if "org_code" not in names:
        raise CommandError(f"{path}: the header has no org_code column")
    column = names.index("org_code")
    for start, row in rows:
        if column < len(row):
            codes.setdefault(row[column].strip(), start)
    return codes


def check_within(client: httpx.Client, path: Path, org: str) -> None:
    """Raise unless every row's org_code is `org` or below it in the registry."""
    parents: dict[str, str | None] = {}

    def parent(code: str) -> str | None:
        if code not in parents:
            response = client.get(f"/registry/v1/organisations/{code}")
            if response.status_code == 404:
                raise CommandError(f"--org: {code} is not an organisation in the registry")
            if response.status_code != 200:
                raise CommandError(
                    _problem_headline(response, _problem(response))
                    + f" (while looking up {code} in the registry)"
                )
            parents[code] = response.json().get("parent_code")
        return parents[code]

    parent(org)
    outside: list[str] = []
    for code, line in _org_codes(path).items():
        current: str | None = code
        seen: set[str] = set()
        while current is not None and current != org and current not in seen:
            seen.add(current)
            try:
                current = parent(current)
            except CommandError:
                if current == code:
                    outside.append(f"  {code} (line {line}): not in the registry")
                    break
                raise
        else:
            if current != org:
                outside.append(f"  {code} (line {line}): not {org} nor below it")
    if outside:
        shown = outside[:ERRORS_SHOWN]
        more = len(outside) - len(shown)
        raise CommandError(
            f"Not uploaded: {len(outside)} organisation(s) in {path.name} are outside --org "
            f"{org}:\n" + "\n".join(shown) + (f"\n  ... and {more} more" if more else "")
        )


# The commands.


def _counts(result: Mapping[str, Any]) -> tuple[int, int, int]:
    return int(result["created"]), int(result["updated"]), int(result["unchanged"])


def _send_file(
    client: httpx.Client, file: BinaryIO, size: int, on_bytes: Callable[[int], None]
) -> httpx.Response:
    def chunks() -> Iterator[bytes]:
        while chunk := file.read(CHUNK_BYTES):
            on_bytes(len(chunk))
            yield chunk

    # An explicit Content-Length (httpx then does not use chunked encoding) lets the gateway
    # refuse a body over its limit before the whole file is sent.
    return client.post(
        ABSENCES_PATH,
        content=chunks(),
        headers={"Content-Type": "text/csv; charset=utf-8", "Content-Length": str(size)},
    )


def upload_absences(
    path: Path,
    *,
    gateway: str,
    api_key: str | None,
    org: str | None = None,
    split_bytes: int | None = None,
    progress: bool = True,
    out: TextIO | None = None,
) -> int:
    """Upload a CSV of absence spells; prints the counts. Raises `CommandError` on failure."""
    out = out or sys.stdout
    key = _api_key(api_key)
    size = _check_file(path)
    totals = [0, 0, 0]
    stored_parts: list[_Part] = []
    with _client(gateway, key) as client:
        try:
            if org:
                check_within(client, path, org)
            with _progress(progress) as bar, path.open("rb") as file:
                task: TaskID = bar.add_task(f"Uploading {path.name}", total=size)

                def advance(sent: int) -> None:
                    bar.advance(task, sent)

                if split_bytes is None:
                    part = _Part(first_row=0)
                    response = _send_file(client, file, size, advance)
                    responses = [(part, response)]
                else:
                    responses = []
                    parts = _CsvParts(file, size, split_bytes, advance)
                    if parts.done:
                        raise CommandError(f"{path} is empty: it needs a header row", EXIT_USAGE)
                    while not parts.done:
                        part, body = parts.next_part()
                        response = client.post(
                            ABSENCES_PATH,
                            content=body,
                            headers={"Content-Type": "text/csv; charset=utf-8"},
                        )
                        responses.append((part, response))
                        if response.status_code != 200:
                            break
                        stored_parts.append(part)
                        for i, count in enumerate(_counts(response.json())):
                            totals[i] += count
                bar.update(task, description=f"Sent {path.name}")
        except httpx.TransportError as exc:
            raise CommandError(_transport_message(exc, gateway)) from exc
    part, response = responses[-1]
    if response.status_code != 200:
        raise CommandError(_failure_report(path, part, response, stored_parts, split_bytes))
    if split_bytes is None:
        totals = list(_counts(response.json()))
    created, updated, unchanged = totals
    suffix = f" in {len(responses)} parts" if split_bytes is not None else ""
    print(
        f"{path.name}: {created} created, {updated} updated, {unchanged} unchanged{suffix}",
        file=out,
    )
    return EXIT_OK


def _transport_message(exc: httpx.TransportError, gateway: str) -> str:
    if isinstance(exc, httpx.ConnectError):
        return (
            f"Could not reach the gateway at {gateway} ({exc}). Is LEKO running? Pass "
            "--gateway URL or set LEKO_GATEWAY_URL."
        )
    if isinstance(exc, httpx.TimeoutException):
        return f"The gateway at {gateway} did not answer in time ({type(exc).__name__})."
    return (
        f"The connection to {gateway} broke while sending ({type(exc).__name__}: {exc}). If "
        "the file is larger than the gateway's request size limit, send it in parts with "
        "--split 8M (uploading again is safe: stored rows come back unchanged)."
    )


def _failure_report(
    path: Path,
    part: _Part,
    response: httpx.Response,
    stored_parts: list[_Part],
    split_bytes: int | None,
) -> str:
    problem = _problem(response)
    lines = [_problem_headline(response, problem)]
    if response.status_code == 422:
        if "invalid_records" in problem:
            lines[0] = (
                f"Refused: {problem['invalid_records']} row(s) of {path.name} are not valid, "
                "so nothing" + (" from this part" if split_bytes else "") + " was stored."
            )
        rows = _error_rows(problem, part.first_row)
        lines += describe_errors(problem, row_offset=part.first_row, lines=line_numbers(path, rows))
        lines.append("Rows are numbered from 0, the first row after the header.")
    if split_bytes is not None and stored_parts:
        stored_rows = sum(p.rows for p in stored_parts)
        lines.append(
            f"The first {len(stored_parts)} part(s) ({stored_rows} rows) were stored; "
            "correct the file and upload it again (stored rows come back unchanged)."
        )
    return "\n".join(lines)


def _number(text: str, kind: type[int] | type[float]) -> Any:
    try:
        return kind(text)
    except ValueError:
        return text  # the service names the field in its 422


def _staffing_batches(path: Path) -> Iterator[tuple[list[dict[str, Any]], list[int]]]:
    rows = _csv_rows(path)
    first = next(rows, None)
    if first is None:
        raise CommandError(f"{path} is empty")
    header = [name.strip() for name in first[1]]
    if sorted(header) != sorted(STAFFING_COLUMNS):
        raise CommandError(
            f"{path}: the header must name the columns {', '.join(STAFFING_COLUMNS)} "
            f"(any order); it has {', '.join(header)}"
        )
    batch: list[dict[str, Any]] = []
    batch_lines: list[int] = []
    for start, row in rows:
        if len(row) != len(header):
            raise CommandError(
                f"{path}, line {start}: {len(row)} columns; the header has {len(header)}"
            )
        cells = {name: value.strip() for name, value in zip(header, row, strict=True)}
        batch.append(
            {
                "org_code": cells["org_code"],
                "month": cells["month"],
                "employees": _number(cells["employees"], int),
                "fte": _number(cells["fte"], float),
                "agreed_hours": _number(cells["agreed_hours"], float),
            }
        )
        batch_lines.append(start)
        if len(batch) == STAFFING_BATCH_ROWS:
            yield batch, batch_lines
            batch, batch_lines = [], []
    if batch:
        yield batch, batch_lines


def upload_staffing(
    path: Path, *, gateway: str, api_key: str | None, out: TextIO | None = None
) -> int:
    """Upload a CSV of monthly staffing; prints the counts. Raises `CommandError` on failure."""
    out = out or sys.stdout
    key = _api_key(api_key)
    _check_file(path)
    totals = [0, 0, 0]
    sent = 0
    with _client(gateway, key) as client:
        for batch, batch_lines in _staffing_batches(path):
            try:
                response = client.post(STAFFING_PATH, json={"records": batch})
            except httpx.TransportError as exc:
                raise CommandError(_transport_message(exc, gateway)) from exc
            if response.status_code != 200:
                problem = _problem(response)
                lines = [_problem_headline(response, problem)]
                if response.status_code == 422:
                    by_row = dict(enumerate(batch_lines))
                    lines += describe_errors(problem, row_offset=sent, lines=_shift(by_row, sent))
                if sent:
                    lines.append(f"The first {sent} rows were stored.")
                raise CommandError("\n".join(lines))
            for i, count in enumerate(_counts(response.json())):
                totals[i] += count
            sent += len(batch)
    created, updated, unchanged = totals
    print(
        f"{path.name}: {created} created, {updated} updated, {unchanged} unchanged staffing months",
        file=out,
    )
    return EXIT_OK


def _shift(lines: Mapping[int, int], offset: int) -> dict[int, int]:
    return {row + offset: line for row, line in lines.items()}
