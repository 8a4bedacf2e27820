"""Reading `POST /v1/absences/batch` bodies: JSON, NDJSON and CSV, the last two streamed.

Each reader yields chunks of up to `CHUNK_RECORDS` items; an item is a record's values in
`FIELDS` order (None for a field left out) or, for a record that cannot even be read (bad
JSON, wrong column count, unknown fields), its errors. On request the CSV reader passes plain
rows on unparsed instead, as `CsvText` (read column by column, see `canonical`). Records are
numbered from 0 in the order they arrive: the JSON array index, the NDJSON line (blank lines
skipped) or the CSV row after the header. A problem with the body as a whole (not UTF-8, a
wrong CSV header, JSON that is not `{"records": [...]}`) ends the request with 422 at once.

NDJSON and CSV are decoded incrementally (strict UTF-8; a leading byte-order mark is allowed)
and parsed line by line as the body arrives, so a body of any size is never held in memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from leko_kit.problems import PayloadTooLarge, Unprocessable, UnsupportedMediaType
from leko_sickleave.absences.schemas import (
    FIELDS,
    MAX_JSON_RECORDS,
    REQUIRED_FIELDS,
    FieldErrors,
)

CHUNK_RECORDS = 20_000
MAX_LINE_BYTES = 1_048_576  # one CSV record or NDJSON line
_FIELD_SET = frozenset(FIELDS)


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A record that could not be read as one, with its problems."""

    errors: FieldErrors


Item = Sequence[Any] | Unreadable
Chunk = list[Item]


def _body_error(detail: str, message: str, *loc: str | int) -> Unprocessable:
    return Unprocessable(detail, errors=[{"loc": ["body", *loc], "message": message}])


def _from_mapping(record: Any) -> Item:
    if type(record) is not dict:
        return Unreadable([("", "must be an object with the record's fields")])
    if len(record) > len(FIELDS) or not record.keys() <= _FIELD_SET:
        return Unreadable(
            [
                (name, "unknown field: remove it (the API rejects fields it does not define)")
                for name in record
                if name not in _FIELD_SET
            ]
        )
    return tuple(record.get(name) for name in FIELDS)


async def read_json(
    stream: AsyncIterator[bytes], *, max_bytes: int
) -> AsyncIterator[Chunk | CsvText]:
    """`{"records": [...]}`, at most `max_bytes` and `MAX_JSON_RECORDS` records."""
    body = bytearray()
    async for part in stream:
        body += part
        if len(body) > max_bytes:
            raise PayloadTooLarge(
                f"A JSON batch may be at most {max_bytes} bytes; send NDJSON or CSV (streamed, "
                "no record limit) for larger uploads."
            )
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise _body_error(
            "The body is not valid UTF-8 JSON.", f"not valid JSON: {exc}".split("\n")[0]
        ) from exc
    if type(document) is not dict or set(document) != {"records"}:
        raise _body_error(
            'The body must be {"records": [...]}.', 'must be an object with only "records"'
        )
    records = document["records"]
    if type(records) is not list:
        raise _body_error("`records` must be an array.", "must be an array", "records")
    if len(records) > MAX_JSON_RECORDS:
        raise _body_error(
            f"A JSON batch holds at most {MAX_JSON_RECORDS} records; send NDJSON or CSV for more.",
            f"at most {MAX_JSON_RECORDS} records (got {len(records)})",
            "records",
        )
    for start in range(0, len(records), CHUNK_RECORDS):
        yield [_from_mapping(record) for record in records[start : start + CHUNK_RECORDS]]


class _Lines:
    """Strict UTF-8 decoding of a byte stream into blocks of complete lines."""

    def __init__(self, stream: AsyncIterator[bytes]) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
        self.records_before = 0  # set by the reader: where a decoding error is reported

    def _decode(self, data: bytes, *, final: bool = False) -> str:
        try:
            return self._decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            raise _body_error(
                "The body is not valid UTF-8; save the file as UTF-8 and send it again.",
                "not valid UTF-8 in or after this record",
                "records",
                self.records_before,
            ) from exc

    async def blocks(self, *, complete: Any = None) -> AsyncIterator[str]:
        """Text ending at a line break (the last block may lack one). `complete(text)` says
        whether a block may end there (CSV: not inside a quoted field)."""
        pending = ""
        async for part in self._stream:
            text = pending + self._decode(part)
            cut = text.rfind("\n") + 1
            if cut and (complete is None or complete(text[:cut])):
                pending = text[cut:]
                yield text[:cut]
            else:
                pending = text
            if len(pending) > MAX_LINE_BYTES:
                raise _body_error(
                    "A record is longer than 1 MiB, or a quoted CSV field is never closed.",
                    "record too long or unterminated quote",
                    "records",
                    self.records_before,
                )
        rest = pending + self._decode(b"", final=True)
        if rest:
            yield rest


def _balanced_quotes(text: str) -> bool:
    return text.count('"') % 2 == 0


async def read_ndjson(stream: AsyncIterator[bytes]) -> AsyncIterator[Chunk | CsvText]:
    """One JSON object per line."""
    lines = _Lines(stream)
    chunk: Chunk = []
    async for block in lines.blocks():
        for line in block.splitlines():
            if not line.strip():
                continue
            try:
                chunk.append(_from_mapping(json.loads(line)))
            except ValueError as exc:
                chunk.append(Unreadable([("", f"not valid JSON: {exc}")]))
            if len(chunk) == CHUNK_RECORDS:
                lines.records_before += len(chunk)
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _header_columns(header: list[str]) -> tuple[str, ...]:
    """The header's field names, in its order (422 for unknown, repeated or missing ones)."""
    names = [name.strip() for name in header]
    problems = [
        *(f"unknown column `{name}`" for name in names if name not in _FIELD_SET),
        *(f"column `{name}` appears twice" for name in set(names) if names.count(name) > 1),
        *(f"missing column `{name}`" for name in sorted(REQUIRED_FIELDS - set(names))),
    ]
    if problems:
        raise _body_error(
            "The CSV header must name the record fields: "
            + ", ".join(FIELDS)
            + " (end_date, fraction and hours may be left out; any order).",
            "; ".join(problems),
            "header",
        )
    return tuple(names)


@dataclass(frozen=True, slots=True)
class CsvText:
    """CSV rows as text, for a reader that loads them in bulk: whole lines, each ending with a
    line feed (`\r\n` already made `\n`), without quotes, NUL characters or blank lines, so
    that every line is exactly one record. `columns` are the header's field names."""

    text: str
    columns: tuple[str, ...]


def parse_csv(text: str, columns: tuple[str, ...], first_index: int) -> Chunk:
    """The records of CSV `text` (after the header), numbered from `first_index` in errors;
    blank lines are skipped."""
    order = None
    if columns != FIELDS:
        order = [columns.index(name) if name in columns else -1 for name in FIELDS]
    width = len(columns)
    chunk: Chunk = []
    rows: Iterable[list[str]] = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        for row in rows:
            if not row:
                continue
            if len(row) != width:
                chunk.append(Unreadable([("", f"has {len(row)} columns; the header has {width}")]))
            elif order is None:
                chunk.append(row)
            else:
                chunk.append([row[i] if i >= 0 else None for i in order])
    except csv.Error as exc:
        raise _body_error(
            "The CSV is malformed; quote fields that contain commas, quotes or line breaks.",
            f"malformed CSV: {exc}",
            "records",
            first_index + len(chunk),
        ) from exc
    return chunk


def _plain(text: str) -> str | None:
    """`text` as `CsvText` wants it, or None when it has quotes, NUL characters, carriage
    returns outside line breaks or blank lines."""
    if '"' in text or "\x00" in text:
        return None
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            return None
        text = text.replace("\r\n", "\n")
    if text.startswith("\n") or "\n\n" in text:
        return None
    return text if text.endswith("\n") else text + "\n"


def _split_header(text: str) -> tuple[list[str] | None, str]:
    """The header row at the start of the body and the text after it; None while only blank
    lines have come. A header is one line (field names hold no line breaks)."""
    rest = text.lstrip("\r\n")
    if not rest:
        return None, ""
    line, _, remainder = rest.partition("\n")
    try:
        header = next(csv.reader([line.rstrip("\r")], strict=True))
    except csv.Error as exc:
        raise _body_error(
            "The CSV header is malformed.", f"malformed CSV: {exc}", "header"
        ) from exc
    return header, remainder


async def read_csv(
    stream: AsyncIterator[bytes], *, as_text: bool
) -> AsyncIterator[Chunk | CsvText]:
    """A header row of field names, then one record per row; empty cells are null.

    With `as_text`, runs of plain lines (see `CsvText`) of about `CHUNK_RECORDS` rows come as
    `CsvText`, anything else parsed; without, everything is parsed.
    """
    lines = _Lines(stream)
    columns: tuple[str, ...] | None = None
    texts: list[str] = []  # plain lines not yet passed on
    text_rows = 0
    chunk: Chunk = []  # parsed records not yet passed on
    async for block in lines.blocks(complete=_balanced_quotes):
        if columns is None:
            header, block = _split_header(block)
            if header is None:
                continue
            columns = _header_columns(header)
        plain = _plain(block) if as_text and block else None
        if plain is not None:
            if chunk:
                lines.records_before += len(chunk)
                yield chunk
                chunk = []
            texts.append(plain)
            text_rows += plain.count("\n")
            if text_rows < CHUNK_RECORDS:
                continue
        if texts:
            lines.records_before += text_rows
            yield CsvText("".join(texts), columns)
            texts, text_rows = [], 0
        if plain is None:
            chunk += parse_csv(block, columns, lines.records_before + len(chunk))
            while len(chunk) >= CHUNK_RECORDS:
                lines.records_before += CHUNK_RECORDS
                yield chunk[:CHUNK_RECORDS]
                chunk = chunk[CHUNK_RECORDS:]
    if columns is None:
        raise _body_error(
            "The CSV is empty; send a header row and one row per record.",
            "missing header row",
            "header",
        )
    if texts:
        yield CsvText("".join(texts), columns)
    if chunk:
        yield chunk


MEDIA_TYPES = ("application/json", "application/x-ndjson", "text/csv")


def read_records(
    content_type: str | None,
    stream: AsyncIterator[bytes],
    *,
    json_max_bytes: int,
    csv_as_text: bool = False,
) -> AsyncIterator[Chunk | CsvText]:
    """The reader for the body's media type (415 for any other, or a charset not UTF-8);
    `csv_as_text` passes plain CSV rows on as `CsvText`."""
    media_type, _, parameters = (content_type or "").partition(";")
    media_type = media_type.strip().lower()
    charset = next(
        (
            value.strip().strip('"').lower()
            for name, _, value in (part.partition("=") for part in parameters.split(";"))
            if name.strip().lower() == "charset"
        ),
        "utf-8",
    )
    if media_type not in MEDIA_TYPES or charset not in ("utf-8", "utf8"):
        raise UnsupportedMediaType(
            "Send the records as application/json, application/x-ndjson or text/csv, "
            "encoded as UTF-8."
        )
    if media_type == "application/json":
        return read_json(stream, max_bytes=json_max_bytes)
    if media_type == "application/x-ndjson":
        return read_ndjson(stream)
    return read_csv(stream, as_text=csv_as_text)
