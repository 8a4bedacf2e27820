"""Per-employee sums held in bounded memory: spilled to files in ranges of organisations and
handed out a piece at a time, each key once, in the key order the table is indexed in."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from leko_sickleave.absences import contributions
from leko_sickleave.absences.contributions import (
    EMPLOYEE_KEY,
    EMPLOYEE_VALUES,
    Deltas,
    SpellRow,
)

ORGANISATIONS = [f"k{number:03d}" for number in range(40)]


def batch(count: int, *, large: str) -> list[SpellRow]:
    """`count` spells over every organisation, a third of them in `large` (more than one piece
    of sums)."""
    return [
        SpellRow(
            "kmd",
            f"r-{number}",
            f"e-{number % 97}",
            large if number % 3 == 0 else ORGANISATIONS[number % len(ORGANISATIONS)],
            "lærer",
            ("own_sickness", "child_sickness")[number % 2],
            date(2025, 1, 1) + timedelta(days=number % 360),
            date(2025, 1, 1) + timedelta(days=number % 360 + number % 20),
            (10_000, 5_000)[number % 2],
        )
        for number in range(count)
    ]


def test_spilled_sums_come_each_key_once_in_key_order_and_equal_sums_held_in_memory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    spells = batch(1_500, large="k017")
    in_memory = Deltas(ORGANISATIONS)
    in_memory.add_rows(spells, 1)
    monkeypatch.setattr(contributions, "EMPLOYEE_ROWS_HELD", 50)
    monkeypatch.setattr(contributions, "PART_ROWS", 60)
    monkeypatch.setattr(contributions.tempfile, "tempdir", str(tmp_path))
    spilled = Deltas(ORGANISATIONS)
    for start in range(0, len(spells), 100):
        spilled.add_rows(spells[start : start + 100], 1)
    assert list(tmp_path.iterdir()), "the sums were spilled"

    pieces = list(spilled.take_employees())
    (expected,) = in_memory.take_employees()
    taken = pl.concat(pieces)
    assert len(pieces) > len(ORGANISATIONS) // 4  # handed out a piece at a time
    assert max(piece.height for piece in pieces) < expected.height
    assert taken.sort(EMPLOYEE_KEY).equals(expected)
    assert not taken.select(EMPLOYEE_KEY).is_duplicated().any()
    # In key order, but for the organisation too large for one piece, whose pieces are split
    # by employee and come in its place.
    large = [piece for piece in pieces if "k017" in piece["org_code"].cast(pl.String)]
    assert len(large) > 1
    assert all(piece["org_code"].cast(pl.String).unique().to_list() == ["k017"] for piece in large)
    order = taken.with_columns(pl.col("org_code", "cause").cast(pl.String))
    assert order["org_code"].is_sorted()
    others = order.filter(pl.col("org_code") != "k017").select(EMPLOYEE_KEY)
    assert others.equals(others.sort(EMPLOYEE_KEY))
    assert list(tmp_path.iterdir()) == []  # taking them removed the files
    assert set(taken.columns) == {*EMPLOYEE_KEY, *EMPLOYEE_VALUES}
