"""Suppression rules shared by every service that publishes aggregates (SPEC §3): no aggregate
over fewer respondents than the threshold, and no suppressed cell recoverable by subtraction.

`complementary` works on a table of cells and the equations that tie totals to their parts
(a sector's total is the sum of its levels, ...). An equation gives a withheld cell away
when it is the only withheld, non-empty cell in it (by addition or subtraction), and it gives
the withheld parts away pooled when the total is shown and those parts together are still too
small to show (the total minus the shown parts is their pooled figure). Either way the
smallest other shown, non-empty part is withheld as well (or the total, when no part is left
to withhold); this repeats until no equation gives anything away. Empty cells (no
respondents) are known to be empty and need no protection.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

COMPLEMENTARY_REASON = (
    "withheld so that a smaller group beside it cannot be worked out by subtraction "
    "(complementary suppression)"
)


def below_reason(threshold: int) -> str:
    return f"fewer than {threshold} responses"


def fewer_than(threshold: int, sizes: Mapping[K, int]) -> Callable[[Collection[K]], bool]:
    """The usual rule for a pooled group of cells: too small below `threshold` respondents."""

    def too_small(cells: Collection[K]) -> bool:
        return sum(sizes.get(cell, 0) for cell in cells) < threshold

    return too_small


def complementary(
    sizes: Mapping[K, int],
    suppressed: set[K],
    equations: Sequence[tuple[K, Sequence[K]]],
    *,
    too_small: Callable[[Collection[K]], bool],
) -> set[K]:
    """Extra cells to suppress. `sizes` gives each cell's respondents, `suppressed` the cells
    already withheld, `equations` (total, parts) pairs; `too_small(cells)` says whether those
    cells pooled would be withheld on their own (`fewer_than(threshold, sizes)`, or a rule of
    the caller's, such as a least number of leaders)."""
    withheld = set(suppressed)
    extra: set[K] = set()
    changed = True
    while changed:
        changed = False
        for total, parts in equations:
            hidden = [c for c in (total, *parts) if c in withheld and sizes.get(c, 0) > 0]
            pooled = [p for p in hidden if p != total]
            gives_away = len(hidden) == 1 or (
                total not in withheld and bool(pooled) and too_small(pooled)
            )
            if not gives_away:
                continue
            shown = [p for p in parts if p not in withheld and sizes.get(p, 0) > 0]
            if shown:
                chosen = min(shown, key=lambda p: (sizes.get(p, 0), str(p)))
            elif total not in withheld:
                chosen = total
            else:
                continue
            withheld.add(chosen)
            extra.add(chosen)
            changed = True
    return extra
