"""The bulk path's canonical-row check only recognises rows `parse_record` accepts, reads their
cells as the spells `parse_record` makes of them, and writes checked spells back as rows that
read the same."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from leko_sickleave.absences.canonical import Scanned, canonical_line, scan
from leko_sickleave.absences.contributions import SpellRow, spells_of
from leko_sickleave.absences.schemas import FIELDS, parse_record

VALID = "kmd,r-1,e-1,k101,pædagog,own_sickness,2025-03-03,2025-03-07,0.5,\n"
TRICKY = ' ,/"-.0123456789aeæ\t\u00a0\u2003\x1cé'

field_text = st.one_of(
    st.text(alphabet=TRICKY, max_size=12),
    st.sampled_from(["k101", "own_sickness", "child_sickness", "2025-03-03", "2025-02-30"]),
    st.sampled_from(["1", "0.5", "0.0001", "0", "0.00000", "1.0", "1.5", "", ".5", "0.12345"]),
    st.sampled_from(["3.7", "7.4", "7.40", "7.41", "7.39", "0.01", "0.00", "8", "07", "2.345"]),
    st.sampled_from(["0101901234", "e-010190-1234", "1999-12-31", "2101-01-01", "x" * 70]),
)


def _scan(text: str, columns: tuple[str, ...] = FIELDS) -> Scanned:
    return scan(text, columns, {"k101"}, lambda code: False)


def _read(scanned: Scanned) -> list[SpellRow]:
    """The spells the bulk path reads from the cells of recognised rows."""
    assert scanned.cells is not None
    return [SpellRow(*row) for row in spells_of(scanned.cells, stored=True).rows()]


def _values(text: str, columns: tuple[str, ...]) -> list[str | None]:
    cells = dict(zip(columns, text.rstrip("\n").split(","), strict=True))
    return [cells.get(name) for name in FIELDS]


# Each cell the valid row's, or (often) something tricky.
rows = st.tuples(*(st.one_of(st.just(cell), field_text) for cell in VALID.rstrip("\n").split(",")))


@settings(deadline=None)  # the first example fills the check's caches
@given(rows)
def test_a_recognised_row_is_valid_and_reads_back_the_same(cells: tuple[str, ...]) -> None:
    line = ",".join(cells) + "\n"
    if line.count("\n") != 1 or '"' in line or line.count(",") != len(FIELDS) - 1:
        return  # not a plain row of one cell per field: never handed to the check
    scanned = _scan(line)
    assert scanned.rows == 1
    if scanned.others:
        return
    spell = parse_record(_values(line, FIELDS))
    assert type(spell) is SpellRow
    assert spell.org_code == "k101"
    assert _read(scanned) == [spell]
    written = canonical_line(spell, FIELDS)
    assert _scan(written)[:2] == (1, [])
    assert parse_record(_values(written, FIELDS)) == spell


def test_rows_the_check_leaves_to_the_parser() -> None:
    rows = [
        VALID,
        VALID.replace("e-1", "0101901234"),  # possibly a CPR number
        VALID.replace("pædagog", " pædagog"),  # whitespace to strip
        VALID.replace("k101", "k147"),  # not admitted
        VALID.replace("0.5,\n", "0.12345,\n"),  # more than four decimals
        VALID.replace("0.5,\n", "0,\n"),  # zero
        VALID.replace("0.5,\n", "0.5,3.7\n"),  # hours beside a fraction
        VALID.replace("0.5,\n", ",7.41\n"),  # more hours than a full-time day
        VALID.replace("2025-03-07", "2025-02-28"),  # ends before it starts
        VALID.replace("2025-03-03", "2025-02-30"),  # no such day
        VALID.replace("r-1", "r/1"),  # '/' in a key
        VALID.replace("own_sickness", "hangover"),
    ]
    count, others, _ = _scan("".join(rows))
    assert count == len(rows)
    starts = [start for start, _ in others]
    assert len(others) == len(rows) - 1
    assert starts[0] == len(VALID)


def test_hours_per_day_read_as_the_fraction_of_a_full_time_day() -> None:
    text = VALID.replace("0.5,\n", ",3.7\n") + VALID.replace("r-1", "r-2").replace(
        "0.5,\n", ",7.4\n"
    )
    scanned = _scan(text)
    assert scanned[:2] == (2, [])
    assert [spell.fraction_units for spell in _read(scanned)] == [5_000, 10_000]
    assert _read(scanned) == [
        parse_record(_values(line + "\n", FIELDS)) for line in text.splitlines()
    ]


def test_any_header_order_and_left_out_columns() -> None:
    columns = ("cause", "org_code", "source_system", "source_record_id", "employee_ref")
    columns += ("job_group", "start_date")
    text = "own_sickness,k101,kmd,r-1,e-1,lærer,2025-03-03\n"
    scanned = _scan(text, columns)
    assert scanned[:2] == (1, [])
    spell = parse_record(_values(text, columns))
    assert type(spell) is SpellRow
    assert _read(scanned) == [spell]
    assert spell.end_date is None and spell.fraction_units == 10_000
    assert spell.start_date == date(2025, 3, 3)
    assert canonical_line(spell, columns) == text
