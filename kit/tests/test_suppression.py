"""Complementary suppression on hand-made tables: which extra cells must be withheld so that
no small cell can be worked out by subtraction."""

from __future__ import annotations

from leko_kit.suppression import complementary


def test_complementary_suppression() -> None:
    sizes = {"total": 20, "a": 2, "b": 8, "c": 10}
    equations = [("total", ["a", "b", "c"])]
    # One small part alone would be total − b − c: the smallest other part goes too.
    assert complementary(sizes, {"a"}, equations) == {"b"}
    # Two hidden parts protect each other.
    assert complementary(sizes, {"a", "b"}, equations) == set()
    # Empty parts need no protection.
    assert complementary({"total": 2, "a": 2, "b": 0}, {"a"}, [("total", ["a", "b"])]) == {"total"}
    # Cascades through a second equation.
    sizes2 = {"t": 30, "x": 12, "y": 18, "x1": 2, "x2": 10, "y1": 9, "y2": 9}
    equations2 = [("t", ["x", "y"]), ("x", ["x1", "x2"]), ("y", ["y1", "y2"])]
    assert complementary(sizes2, {"x1"}, equations2) == {"x2"}
    # With x withheld, t − x would give y away (so y goes), and y — withheld but with both
    # parts shown — would be y1 + y2 (so y1 goes); then four unknowns, three equations.
    assert complementary(sizes2, {"x1", "x"}, equations2) == {"y", "y1"}
    assert complementary({"t": 20, "a": 10, "b": 10}, {"t"}, [("t", ["a", "b"])]) == {"a"}
