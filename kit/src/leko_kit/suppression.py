"""Suppression rules shared by every service that publishes aggregates (SPEC §3): no aggregate
over fewer respondents than the threshold, and no suppressed cell recoverable by subtraction.

`complementary` works on a table of cells and the equations that tie totals to their parts
(a sector's total is the sum of its levels, ...). An equation with exactly one withheld,
non-empty cell (the total or a part) would give that cell away by addition or subtraction, so
the smallest other shown, non-empty part is withheld as well (or the total, when no part is
left to withhold); this repeats until no equation gives a cell away. Empty cells (no
respondents) are known to be empty and need no protection.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

COMPLEMENTARY_REASON = (
    "withheld so that a smaller group beside it cannot be worked out by subtraction "
    "(complementary suppression)"
)


def below_reason(threshold: int) -> str:
    return f"fewer than {threshold} responses"


def complementary(
    sizes: Mapping[K, int],
    suppressed: set[K],
    equations: Sequence[tuple[K, Sequence[K]]],
) -> set[K]:
    """Extra cells to suppress. `sizes` gives each cell's respondents, `suppressed` the cells
    already withheld, `equations` (total, parts) pairs."""
    withheld = set(suppressed)
    extra: set[K] = set()
    changed = True
    while changed:
        changed = False
        for total, parts in equations:
            cells = [total, *parts]
            hidden = [c for c in cells if c in withheld and sizes.get(c, 0) > 0]
            if len(hidden) != 1:
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
