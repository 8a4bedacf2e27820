"""Complementary suppression on hand-made tables: which extra cells must be withheld so that
no small cell can be worked out by subtraction."""

from __future__ import annotations

from leko_kit.suppression import complementary, fewer_than


def test_complementary_suppression() -> None:
    sizes = {"total": 20, "a": 2, "b": 8, "c": 10}
    equations = [("total", ["a", "b", "c"])]
    # One small part alone would be total − b − c: the smallest other part goes too.
    assert complementary(sizes, {"a"}, equations, too_small=fewer_than(5, sizes)) == {"b"}
    # Two hidden parts protect each other.
    assert complementary(sizes, {"a", "b"}, equations, too_small=fewer_than(5, sizes)) == set()
    # Empty parts need no protection.
    empty = {"total": 2, "a": 2, "b": 0}
    one_equation = [("total", ["a", "b"])]
    assert complementary(empty, {"a"}, one_equation, too_small=fewer_than(5, empty)) == {"total"}
    # Cascades through a second equation.
    sizes2 = {"t": 30, "x": 12, "y": 18, "x1": 2, "x2": 10, "y1": 9, "y2": 9}
    equations2 = [("t", ["x", "y"]), ("x", ["x1", "x2"]), ("y", ["y1", "y2"])]
    assert complementary(sizes2, {"x1"}, equations2, too_small=fewer_than(5, sizes2)) == {"x2"}
    # With x withheld, t − x would give y away (so y goes), and y — withheld but with both
    # parts shown — would be y1 + y2 (so y1 goes); then four unknowns, three equations.
    cascaded = complementary(sizes2, {"x1", "x"}, equations2, too_small=fewer_than(5, sizes2))
    assert cascaded == {"y", "y1"}
    # A withheld total with both parts shown would be their sum.
    halves = {"t": 20, "a": 10, "b": 10}
    assert complementary(halves, {"t"}, [("t", ["a", "b"])], too_small=fewer_than(5, halves)) == {
        "a"
    }


def test_two_small_parts_beside_a_shown_total_are_protected_together() -> None:
    sizes = {"total": 20, "a": 2, "b": 2, "c": 16}
    equations = [("total", ["a", "b", "c"])]
    # total − c would give a and b away pooled (4 respondents): c goes too.
    assert complementary(sizes, {"a", "b"}, equations, too_small=fewer_than(5, sizes)) == {"c"}
    # Pooled, they reach the threshold: nothing more to withhold.
    big = {"total": 30, "a": 3, "b": 3, "c": 24}
    assert complementary(big, {"a", "b"}, equations, too_small=fewer_than(5, big)) == set()
    # A rule of the caller's: at least 3 leaders, whatever the respondents.
    leaders = {"total": 9, "a": 1, "b": 1, "c": 7}
    assert complementary(big, {"a", "b"}, equations, too_small=fewer_than(3, leaders)) == {"c"}
