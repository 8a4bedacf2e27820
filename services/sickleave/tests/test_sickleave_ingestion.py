"""Reporting absence spells: the three formats, upserts on the natural key, deletes, and every
kind of bad input, each proving that nothing was stored."""

from __future__ import annotations

import json
import tempfile
from collections.abc import AsyncIterator, Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import polars as pl
import pytest
from fastapi import FastAPI
from sickleave_factories import (
    as_csv,
    post_body,
    post_records,
    record,
    reporter,
    role,
    spell_count,
)
from sickleave_reference import assert_exact, stored
from sqlalchemy import select, text

from leko_kit.db import Database
from leko_kit.testing import InternalKeys
from leko_sickleave.absences import contributions, formats, service
from leko_sickleave.absences.bulk import BulkWriter, staged
from leko_sickleave.absences.contributions import SpellRow, spell_frame
from leko_sickleave.absences.schemas import FIELDS, parse_record
from leko_sickleave.models import Spell

pytestmark = pytest.mark.anyio

CSV = "text/csv"
NDJSON = "application/x-ndjson"
JSON = "application/json"


async def spells(database: Database) -> dict[str, Spell]:
    async with database.read_session() as session:
        rows = await session.scalars(select(Spell))
        return {row.source_record_id: row for row in rows}


async def assert_nothing_stored(database: Database) -> None:
    assert await spell_count(database) == 0
    assert not any((await stored(database)).values())


def files_in(directory: Path) -> list[Path]:
    return list(directory.iterdir())


def as_json(records: list[dict[str, Any]]) -> bytes:
    return json.dumps({"records": records}).encode()


def ndjson(records: list[dict[str, Any]]) -> bytes:
    return b"\n".join(json.dumps(item).encode() for item in records) + b"\n"


# -- the formats ------------------------------------------------------------------------------


async def test_json_batch_creates_then_reports_unchanged_and_updated(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service, "ANALYZE_AFTER_SPELLS", 2)  # a "large" batch, as well
    batch = [record(1), record(2, end_date=None, fraction=0.5), record(3, cause="work_injury")]
    response = await post_records(client, internal_keys, batch)
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 3, "updated": 0, "unchanged": 0}
    stored_spells = await spells(database)
    assert stored_spells["r-2"].end_date is None and stored_spells["r-2"].fraction_units == 5000
    assert stored_spells["r-1"].start_date == date(2025, 3, 3)

    again = await post_records(
        client, internal_keys, [record(1), record(2, end_date="2025-03-20", fraction=0.5)]
    )
    assert again.json() == {"created": 0, "updated": 1, "unchanged": 1}
    assert (await spells(database))["r-2"].end_date == date(2025, 3, 20)
    await assert_exact(database)


HOURS_FORMATS = [
    pytest.param(as_json, JSON, id="json"),
    pytest.param(ndjson, NDJSON, id="ndjson"),
    pytest.param(as_csv, CSV, id="csv"),
    pytest.param(
        lambda batch: as_csv(batch, [name for name in FIELDS if name != "fraction"]),
        CSV,
        id="csv-without-fraction",
    ),
]


@pytest.mark.parametrize(("encode", "content_type"), HOURS_FORMATS)
async def test_hours_per_day_are_stored_as_the_fraction_of_a_full_time_day(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    encode: Callable[[list[dict[str, Any]]], bytes],
    content_type: str,
) -> None:
    """`hours` absent per working day count as hours / 7.4 of an absence day (dagsværk): the
    spell is the same as one reported with that fraction."""
    batch = [
        record(1, fraction=None, hours=3.7),
        record(2, fraction=None, hours=2.345),
        record(3, fraction=None, hours=7.4),
        record(4, fraction=None),
    ]
    response = await post_body(client, internal_keys, encode(batch), content_type)
    assert response.json() == {"created": 4, "updated": 0, "unchanged": 0}, response.text
    units = {key: spell.fraction_units for key, spell in (await spells(database)).items()}
    assert units == {"r-1": 5_000, "r-2": 3_169, "r-3": 10_000, "r-4": 10_000}
    await assert_exact(database)
    as_fractions = [record(1, fraction=0.5), record(3)]
    response = await post_records(client, internal_keys, as_fractions)
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 2}


BAD_HOURS = [
    pytest.param({"hours": 3.7}, "not both", id="beside-a-fraction"),
    pytest.param({"fraction": None, "hours": 0}, "0 < hours ≤ 7.4", id="zero"),
    pytest.param({"fraction": None, "hours": 7.5}, "0 < hours ≤ 7.4", id="more-than-a-day"),
    pytest.param({"fraction": None, "hours": "many"}, "0 < hours ≤ 7.4", id="not-a-number"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_HOURS)
@pytest.mark.parametrize("content_type", [JSON, CSV])
async def test_bad_hours_are_refused_by_name(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    fields: dict[str, Any],
    message: str,
    content_type: str,
) -> None:
    batch = [record(1), record(2) | fields]
    body = as_json(batch) if content_type == JSON else as_csv(batch)
    response = await post_body(client, internal_keys, body, content_type)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [error["loc"] for error in errors] == [["body", "records", 1, "hours"]]
    assert message in errors[0]["message"]
    await assert_nothing_stored(database)


async def test_a_batch_sent_again_unchanged_changes_nothing(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    batch = [record(1), record(2, end_date=None, fraction=0.5)]
    assert (await post_records(client, internal_keys, batch)).status_code == 200
    before = await stored(database)
    for body, content_type in ((as_csv(batch), CSV), (ndjson(batch), NDJSON)):
        again = await post_body(client, internal_keys, body, content_type)
        assert again.status_code == 200, again.text
        assert again.json() == {"created": 0, "updated": 0, "unchanged": 2}
    assert await stored(database) == before
    await assert_exact(database)


async def test_corrections_of_spells_with_commas_and_quotes_keep_the_aggregates_exact(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    """A stored version is read back as CSV to withdraw its contribution; references with a
    comma or a quote (valid in JSON) must come back as they were stored."""
    employee = 'e-7, "night shift"'
    first = [record(1, employee_ref=employee), record(2, employee_ref=employee, end_date=None)]
    assert (await post_records(client, internal_keys, first)).status_code == 200
    corrected = [
        record(1, employee_ref=employee, end_date="2025-03-04"),
        record(2, employee_ref=employee, end_date="2025-03-20", fraction=0.5),
    ]
    again = await post_body(client, internal_keys, as_csv(corrected), CSV)
    assert again.status_code == 200, again.text
    assert again.json() == {"created": 0, "updated": 2, "unchanged": 0}
    assert (await spells(database))["r-1"].employee_ref == employee
    await assert_exact(database)


async def test_ndjson_skips_blank_lines(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    body = ndjson([record(1), record(2)]).replace(b"\n", b"\n\n", 1)
    response = await post_body(client, internal_keys, body, NDJSON)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2
    await assert_exact(database)


async def test_csv_in_any_column_order_with_quotes_bom_and_crlf(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    fields = ["cause", "org_code", "source_system", "source_record_id", "employee_ref"]
    fields += ["job_group", "start_date", "end_date"]  # no fraction column: default 1
    body = as_csv(
        [
            record(1, job_group='social- og sundhedsassistent, "nat"\nvagt'),
            record(2, end_date=None),
        ],
        fields,
    )
    body = b"\xef\xbb\xbf" + body.replace(b"\n", b"\r\n")
    response = await post_body(client, internal_keys, body, "text/csv; charset=utf-8")
    assert response.status_code == 200, response.text
    stored_spells = await spells(database)
    assert stored_spells["r-1"].job_group == 'social- og sundhedsassistent, "nat"\r\nvagt'
    assert stored_spells["r-1"].fraction_units == 10_000
    assert stored_spells["r-2"].end_date is None


async def test_csv_is_streamed_in_pieces_split_anywhere(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(formats, "CHUNK_RECORDS", 7)
    body = as_csv(record(n, job_group="pædagogmedhjælper") for n in range(100))

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 13):  # splits lines and the two bytes of "æ"
            yield body[start : start + 13]

    response = await post_body(client, internal_keys, pieces(), CSV)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 100
    assert (await spells(database))["r-99"].job_group == "pædagogmedhjælper"
    await assert_exact(database)


async def test_per_employee_sums_spilled_to_files_stay_exact_and_leave_no_files(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """A batch with more employees than the service holds in memory spills their sums to
    local files in parts; the aggregates are the same, and no file outlives the request,
    whether it stores the batch or refuses it."""
    monkeypatch.setattr(formats, "CHUNK_RECORDS", 7)
    monkeypatch.setattr(contributions, "EMPLOYEE_ROWS_HELD", 3)
    monkeypatch.setattr(contributions, "PART_ROWS", 4)  # parts added up in pieces, too
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    batch = [
        record(
            number,
            employee_ref=f"e-{number % 11}",
            org_code=("kbh-skole", "kbh-dagtilbud", "k101")[number % 3],
            cause=("own_sickness", "child_sickness")[number % 2],
            start_date=f"2025-{1 + number % 12:02d}-{1 + number % 27:02d}",
            end_date=None if number % 13 == 0 else f"2025-{1 + number % 12:02d}-28",
            fraction=(1, 0.5)[number % 2],
        )
        for number in range(80)
    ]
    response = await post_body(client, internal_keys, as_csv(batch), CSV)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 80
    await assert_exact(database)
    assert files_in(tmp_path) == []

    corrected = [
        item | {"fraction": 0.25} if item["cause"] == "own_sickness" else item for item in batch
    ]
    response = await post_body(client, internal_keys, as_csv(corrected), CSV)
    assert response.json() == {"created": 0, "updated": 40, "unchanged": 40}
    await assert_exact(database)
    assert files_in(tmp_path) == []

    refused = [*batch, record(99, end_date="2024-01-01")]  # ends before it starts
    response = await post_body(client, internal_keys, as_csv(refused), CSV)
    assert response.status_code == 422
    await assert_exact(database)
    assert files_in(tmp_path) == []


async def test_employees_new_to_their_organisation_and_year_and_stored_ones_in_one_batch(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In one batch, the per-employee sums of organisations that hold none yet for the year
    and those of organisations that do are stored alike: every employee total, and the count
    of employees per total, equal a recomputation from the spells."""
    monkeypatch.setattr(formats, "CHUNK_RECORDS", 7)
    monkeypatch.setattr(contributions, "EMPLOYEE_ROWS_HELD", 3)
    monkeypatch.setattr(contributions, "PART_ROWS", 4)
    first = [record(number, employee_ref=f"e-{number % 5}") for number in range(20)]
    # A second year for the organisation, whose sums come in several pieces.
    first.append(record(200, employee_ref="e-4", start_date="2026-02-02", end_date="2026-02-06"))
    response = await post_body(client, internal_keys, as_csv(first), CSV)
    assert response.json() == {"created": 21, "updated": 0, "unchanged": 0}
    await assert_exact(database)
    second = [
        record(
            number,
            employee_ref=f"e-{number % 7}",
            org_code=("kbh-skole", "kbh-dagtilbud")[number % 2],
            start_date=f"2025-{1 + number % 12:02d}-02",
            end_date=None if number % 9 == 0 else f"2025-{1 + number % 12:02d}-20",
        )
        for number in range(10, 60)
    ]
    second.append(record(99, start_date="2026-01-05", end_date="2026-01-09"))
    response = await post_body(client, internal_keys, as_csv(second), CSV)
    assert response.json() == {"created": 41, "updated": 10, "unchanged": 0}
    await assert_exact(database)


async def test_plain_csv_rows_and_rows_to_parse_are_stored_alike(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Plain rows go to PostgreSQL as text; rows the bulk path's check leaves to the parser
    (padding, `.5`, a ten-digit reference that is no CPR number) are written back among them
    in the same order, also across chunks, and corrections replace what they correct."""
    monkeypatch.setattr(formats, "CHUNK_RECORDS", 4)
    body = (
        b"source_system,source_record_id,employee_ref,org_code,job_group,cause,start_date,"
        b"end_date,fraction\n"
        b"kmd,r-1,e-1,kbh-skole,l\xc3\xa6rer,own_sickness,2024-12-30,2025-01-03,1\n"
        b"kmd,r-2,e-2, kbh-skole ,l\xc3\xa6rer,own_sickness,2025-01-06,,.5\n"
        b"kmd,r-3,e-1234567890,kbh-dagtilbud,p\xc3\xa6dagog,child_sickness,2025-02-03,"
        b"2025-03-31,0.25\n"
        b"kmd,r-4,e-4,k101,leder,work_injury,2025-01-31,2025-02-03,1\n"
        b"kmd,r-5,e-5,kbh-skole,leder,own_sickness,2025-03-03,2025-03-03,\n"
    )
    response = await post_body(client, internal_keys, body, CSV)
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 5, "updated": 0, "unchanged": 0}
    stored_spells = await spells(database)
    assert stored_spells["r-2"].org_code == "kbh-skole"
    assert stored_spells["r-2"].fraction_units == 5_000
    assert stored_spells["r-3"].employee_ref == "e-1234567890"
    assert stored_spells["r-5"].fraction_units == 10_000
    await assert_exact(database)

    corrected = body.replace(b"2025-01-03,1", b"2025-01-10,0.5").replace(b",,.5", b",2025-01-07,.5")
    again = await post_body(client, internal_keys, corrected, CSV)
    assert again.json() == {"created": 0, "updated": 2, "unchanged": 3}
    assert (await spells(database))["r-2"].end_date == date(2025, 1, 7)
    await assert_exact(database)


async def test_a_national_reporter_may_report_anywhere(
    client: httpx.AsyncClient, internal_keys: InternalKeys
) -> None:
    batch = [record(1, org_code="aar-skole"), record(2, org_code="k147")]
    response = await post_records(client, internal_keys, batch, scope=("*",))
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}


# -- deletes ----------------------------------------------------------------------------------


async def test_delete_removes_the_spell_and_its_contribution(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    await post_records(client, internal_keys, [record(1), record(2, end_date=None)])
    path = "/v1/absences/test-payroll/r-2"
    response = await client.delete(path, headers=reporter(internal_keys))
    assert response.status_code == 204
    assert set(await spells(database)) == {"r-1"}
    await assert_exact(database)
    again = await client.delete(path, headers=reporter(internal_keys))
    assert again.status_code == 404


async def test_delete_outside_scope_is_404_and_needs_the_reporter_role(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    await post_records(client, internal_keys, [record(1)])
    path = "/v1/absences/test-payroll/r-1"
    assert (await client.delete(path, headers=reporter(internal_keys, "k751"))).status_code == 404
    assert (await client.delete(path, headers=role(internal_keys, "org_admin"))).status_code == 403
    assert (await client.delete(path)).status_code == 401
    assert await spell_count(database) == 1


# -- authorisation ----------------------------------------------------------------------------


async def test_without_credentials_401_and_other_roles_403(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    body = {"records": [record(1)]}
    assert (await client.post("/v1/absences/batch", json=body)).status_code == 401
    for name in ("national_admin", "org_admin", "leader", "analyst", "researcher"):
        response = await client.post(
            "/v1/absences/batch", json=body, headers=role(internal_keys, name, "*")
        )
        assert response.status_code == 403, name
    await assert_nothing_stored(database)


@pytest.mark.parametrize("content_type", ["application/json", NDJSON, CSV])
async def test_a_record_outside_scope_is_403_and_nothing_is_stored(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database, content_type: str
) -> None:
    batch = [record(1), record(2, org_code="aar-skole"), record(3)]
    body = {
        "application/json": lambda: as_json(batch),
        NDJSON: lambda: ndjson(batch),
        CSV: lambda: as_csv(batch),
    }[content_type]()
    response = await post_body(client, internal_keys, body, content_type)
    assert response.status_code == 403
    assert "aar-skole" in response.json()["detail"]
    await assert_nothing_stored(database)


# -- bad records ------------------------------------------------------------------------------

BAD_RECORDS = [
    pytest.param({"employee_ref": "010190-1234"}, "employee_ref", id="cpr-with-dash"),
    pytest.param({"employee_ref": "0101901234"}, "employee_ref", id="cpr-ten-digits"),
    pytest.param({"org_code": "no-such-org"}, "org_code", id="unknown-organisation"),
    pytest.param({"end_date": "2025-03-02"}, "end_date", id="end-before-start"),
    pytest.param({"fraction": 0}, "fraction", id="fraction-zero"),
    pytest.param({"fraction": 1.5}, "fraction", id="fraction-above-one"),
    pytest.param({"fraction": -0.5}, "fraction", id="fraction-negative"),
    pytest.param({"fraction": "half"}, "fraction", id="fraction-not-a-number"),
    pytest.param({"start_date": "1999-12-31"}, "start_date", id="start-before-2000"),
    pytest.param({"end_date": "2101-01-01"}, "end_date", id="end-after-2100"),
    pytest.param({"start_date": "2025-02-30"}, "start_date", id="not-a-date"),
    pytest.param({"start_date": None}, "start_date", id="start-missing"),
    pytest.param({"cause": "hangover"}, "cause", id="unknown-cause"),
    pytest.param({"source_system": ""}, "source_system", id="empty-source-system"),
    pytest.param({"source_record_id": "a/b"}, "source_record_id", id="slash-in-id"),
    pytest.param({"job_group": "x" * 65}, "job_group", id="job-group-too-long"),
]


@pytest.mark.parametrize(("fields", "field"), BAD_RECORDS)
@pytest.mark.parametrize("content_type", ["application/json", CSV])
async def test_a_bad_record_is_named_and_nothing_is_stored(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    fields: dict[str, Any],
    field: str,
    content_type: str,
) -> None:
    batch = [record(1), record(2, **fields), record(3)]
    if content_type == CSV:
        response = await post_body(client, internal_keys, as_csv(batch), CSV)
    else:
        response = await post_records(client, internal_keys, batch)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["invalid_records"] == 1
    assert [error["loc"] for error in problem["errors"]] == [["body", "records", 1, field]]
    if field == "employee_ref":
        assert "pseudonymous" in problem["errors"][0]["message"]
    await assert_nothing_stored(database)


async def test_wrong_json_types_and_unknown_fields_are_named(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    batch: list[Any] = [
        record(1, start_date=20250303),
        record(2, fraction=True),
        record(3) | {"hours": 7.4},
        "not a record",
    ]
    response = await post_records(client, internal_keys, batch)
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["errors"]] == [
        ["body", "records", 0, "start_date"],
        ["body", "records", 1, "fraction"],
        ["body", "records", 2, "hours"],
        ["body", "records", 3],
    ]
    await assert_nothing_stored(database)


async def test_a_repeated_natural_key_is_refused_within_and_across_chunks(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(formats, "CHUNK_RECORDS", 3)
    batch = [record(n) for n in range(10)] + [record(4), record(9, end_date=None)]
    batch[1] = record(0)  # repeats record 0 inside the first chunk
    response = await post_body(client, internal_keys, as_csv(batch), CSV)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [error["loc"] for error in errors] == [
        ["body", "records", 1, "source_record_id"],
        ["body", "records", 10, "source_record_id"],
        ["body", "records", 11, "source_record_id"],
    ]
    assert errors[1]["message"].endswith("record 4")
    await assert_nothing_stored(database)


def stored_rows(stored_spells: dict[str, Spell]) -> dict[str, tuple[object, ...]]:
    return {
        key: tuple(getattr(spell, column.key) for column in Spell.__table__.columns)
        for key, spell in stored_spells.items()
    }


# Record numbers of a batch sent in chunks of two, and the (repeat, first) record indexes.
REPEATS_ACROSS_CHUNKS = [
    # r-10 and r-11 are all new, stored at once; r-10 comes again in the second chunk.
    pytest.param([10, 11, 12, 10], [(3, 0)], id="new"),
    pytest.param([3, 20, 3], [(2, 0)], id="stored"),
    # r-30 shares a chunk with a stored spell, so it is stored after a lookup of its key.
    pytest.param([3, 30, 31, 30], [(3, 1)], id="new-after-a-lookup"),
]


@pytest.mark.parametrize(("numbers", "repeats"), REPEATS_ACROSS_CHUNKS)
async def test_a_key_repeated_in_a_later_chunk_is_refused_whether_new_or_stored(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    numbers: list[int],
    repeats: list[tuple[int, int]],
) -> None:
    """Rows arriving one at a time make chunks of two, each stored before the next arrives. A
    key that comes again in a later chunk, whether this batch or an earlier one stored it, is
    a 422 naming each repeat and the record it repeats, and the batch changes nothing."""
    first = await post_body(client, internal_keys, as_csv(record(n) for n in range(6)), CSV)
    assert first.status_code == 200, first.text
    before = stored_rows(await spells(database))
    monkeypatch.setattr(formats, "CHUNK_RECORDS", 2)
    body = as_csv(record(number, fraction=0.5) for number in numbers)

    async def one_line_at_a_time() -> AsyncIterator[bytes]:
        for line in body.splitlines(keepends=True):
            yield line

    response = await post_body(client, internal_keys, one_line_at_a_time(), CSV)
    assert response.status_code == 422, response.text
    assert [(error["loc"][2], error["message"]) for error in response.json()["errors"]] == [
        (index, f"repeats the source_system and source_record_id of record {first}")
        for index, first in repeats
    ]
    assert stored_rows(await spells(database)) == before
    await assert_exact(database)


async def test_values_that_csv_must_quote_are_stored_as_sent_whether_new_or_corrected(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    """The bulk writer copies checked spells to the database as CSV: a new chunk straight
    into the spells, a chunk with stored keys through the staging table. Commas, quotes and
    line breaks in a value come back exactly as they were sent, either way."""
    batch = [
        record(1, source_record_id='r-1,"a"', employee_ref='e,"1"', job_group="lærer,\n2"),
        record(2, source_record_id="r-2 b", employee_ref=" e 2", job_group='"x"'),
    ]
    response = await post_records(client, internal_keys, batch)
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    corrected = [batch[0] | {"fraction": 0.5}, batch[1]]
    response = await post_records(client, internal_keys, corrected)
    assert response.json() == {"created": 0, "updated": 1, "unchanged": 1}
    stored_spells = await spells(database)
    assert sorted(stored_spells) == ['r-1,"a"', "r-2 b"]
    first, second = stored_spells['r-1,"a"'], stored_spells["r-2 b"]
    assert (first.employee_ref, first.job_group, first.fraction_units) == (
        'e,"1"',
        "lærer,\n2",
        5_000,
    )
    assert (second.employee_ref, second.job_group) == ("e 2", '"x"')
    await assert_exact(database)


async def test_a_refused_batch_names_a_repeat_of_a_spell_it_had_copied_in(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The first chunk is all new and stored at once; a later chunk has an invalid record,
    so the batch is refused, and repeats a key of the first: the 422 names both."""
    monkeypatch.setattr(formats, "CHUNK_RECORDS", 2)
    body = as_csv([record(10), record(11), record(12, fraction=2), record(10)])

    async def one_line_at_a_time() -> AsyncIterator[bytes]:
        for line in body.splitlines(keepends=True):
            yield line

    response = await post_body(client, internal_keys, one_line_at_a_time(), CSV)
    assert response.status_code == 422, response.text
    assert [(error["loc"][2:], error["message"]) for error in response.json()["errors"]] == [
        ([2, "fraction"], "must be a number with 0 < fraction ≤ 1 (at least 0.0001)"),
        ([3, "source_record_id"], "repeats the source_system and source_record_id of record 0"),
    ]
    await assert_nothing_stored(database)


async def test_a_stored_spell_carrying_the_batch_transaction_id_is_no_repeat(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    database_backend: str,
    tmp_path: Path,
) -> None:
    """Transaction ids wrap around, so a spell stored long ago may carry the id of the batch
    that finds it; the bulk writer confirms a repeat against the batch's own records."""
    if database_backend == "sqlite":
        pytest.skip("the bulk writer runs on PostgreSQL only")
    response = await post_body(client, internal_keys, as_csv([record(3)]), CSV)
    assert response.status_code == 200, response.text
    async with database.session() as session:
        writer = BulkWriter(session)
        await writer.start()
        # As if this batch's id had come round to the one the stored spell carries.
        writer._xid = await session.scalar(
            text("SELECT xmin::text FROM absence_spells WHERE source_record_id = 'r-3'")
        )
        values = record(3, fraction=0.5)
        spell = parse_record([values.get(name) for name in FIELDS])
        assert type(spell) is SpellRow
        chunk = staged(spell_frame([spell]), pl.Series([0]), tmp_path / "keys.csv")
        await writer.take(chunk, store=True)
        assert (writer.repeated, writer.created, writer.found) == (False, 0, 1)


async def test_a_chunk_is_stored_whole_wherever_its_rows_were_written(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    database_backend: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The bulk writer reads a chunk back from the pages its `COPY` wrote to, and from the
    pages before for rows that went to space left free there: here every row is before."""
    if database_backend == "sqlite":
        pytest.skip("the bulk writer runs on PostgreSQL only")

    async def beyond_the_table(writer: BulkWriter) -> None:
        writer._page = 1_000_000

    monkeypatch.setattr(BulkWriter, "_note_page", beyond_the_table)
    monkeypatch.setattr(formats, "CHUNK_RECORDS", 2)
    batch = [record(number) for number in range(5)]
    response = await post_records(client, internal_keys, batch)
    assert response.json() == {"created": 5, "updated": 0, "unchanged": 0}
    corrected = [*batch[:4], record(4, fraction=0.5), record(5)]
    response = await post_records(client, internal_keys, corrected)
    assert response.json() == {"created": 1, "updated": 1, "unchanged": 4}
    assert (await spells(database))["r-4"].fraction_units == 5_000
    await assert_exact(database)


async def test_every_bad_record_is_listed_up_to_a_limit(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    batch = [record(n, fraction=2) for n in range(1_200)] + [record(5_000)]
    response = await post_body(client, internal_keys, as_csv(batch), CSV)
    assert response.status_code == 422
    problem = response.json()
    assert problem["invalid_records"] == 1_200
    assert len(problem["errors"]) == 1_000 and problem["omitted"] == 200
    assert "200 more" in problem["detail"]
    await assert_nothing_stored(database)


# -- bad bodies -------------------------------------------------------------------------------

BAD_CSV = [
    pytest.param(b"source_system,org_code\nx,k101\n", "header", id="missing-columns"),
    pytest.param(
        as_csv([record(1)]).replace(b"fraction", b"fractions", 1), "header", id="unknown-column"
    ),
    pytest.param(
        as_csv([record(1)]).replace(b"fraction", b"cause", 1), "header", id="repeated-column"
    ),
    pytest.param(b"", "header", id="empty"),
    pytest.param(as_csv([record(1)]) + b"only,three,columns\n", "records", id="column-count"),
    pytest.param(  # one cell too many and one too few: the commas add up
        as_csv([record(1)]) + b"a,b,c,d,e,f,g,h,i,j,k\na,b,c,d,e,f,g,h,i\n",
        "records",
        id="column-counts-that-add-up",
    ),
    pytest.param(
        as_csv([record(1)]).replace(b"own_sickness", b'"own_sickness', 1),
        "records",
        id="unterminated-quote",
    ),
]


@pytest.mark.parametrize(("body", "where"), BAD_CSV)
async def test_malformed_csv_is_422_naming_where(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    body: bytes,
    where: str,
) -> None:
    response = await post_body(client, internal_keys, body, CSV)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"][:2] == ["body", where]
    await assert_nothing_stored(database)


async def test_invalid_utf8_names_the_record(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    body = as_csv([record(1), record(2, job_group="PAEDAGOG")]).replace(b"PAEDAGOG", b"p\xe6dagog")
    response = await post_body(client, internal_keys, body, CSV)
    assert response.status_code == 422
    assert "UTF-8" in response.json()["detail"]
    assert response.json()["errors"][0]["loc"] == ["body", "records", 0]
    await assert_nothing_stored(database)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"[1, 2]", id="not-an-object"),
        pytest.param(b'{"records": [], "extra": 1}', id="extra-member"),
        pytest.param(b'{"records": {}}', id="records-not-an-array"),
        pytest.param(b'{"records": [', id="not-json"),
    ],
)
async def test_a_json_body_of_the_wrong_shape_is_422(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database, body: bytes
) -> None:
    response = await post_body(client, internal_keys, body, "application/json")
    assert response.status_code == 422
    await assert_nothing_stored(database)


async def test_ndjson_line_that_is_not_json_is_named(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    body = ndjson([record(1)]) + b"{not json\n" + ndjson([record(2)])
    response = await post_body(client, internal_keys, body, NDJSON)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "records", 1]
    await assert_nothing_stored(database)


async def test_more_than_10000_json_records_is_422(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database
) -> None:
    response = await post_records(client, internal_keys, [record(n) for n in range(10_001)])
    assert response.status_code == 422
    assert "NDJSON or CSV" in response.json()["detail"]
    await assert_nothing_stored(database)


async def test_a_json_body_over_the_size_limit_is_413(
    client: httpx.AsyncClient,
    internal_keys: InternalKeys,
    database: Database,
    sickleave_app: FastAPI,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sickleave_app.state.settings, "json_batch_max_bytes", 1_000)
    response = await post_records(client, internal_keys, [record(n) for n in range(10)])
    assert response.status_code == 413
    await assert_nothing_stored(database)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "text/csv; charset=latin-1", ""]
)
async def test_other_media_types_are_415(
    client: httpx.AsyncClient, internal_keys: InternalKeys, database: Database, content_type: str
) -> None:
    response = await post_body(client, internal_keys, as_csv([record(1)]), content_type)
    assert response.status_code == 415
    await assert_nothing_stored(database)
