"""Report arithmetic on answer counts: means, distributions, pooling, gaps.

A count vector holds how many answered 1, 2, 3, 4, 5 and "ved ikke" (`dont_know`). A mean is
over the answers 1–5 only; "ved ikke" is counted in the distribution but never in a mean.
Pooled means (a theme, several groups, several leaders) add the counts first, so every answer
weighs the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from leko_evaluation.scale import DISTRIBUTION_KEYS

DECIMALS = 2
NOTABLE_GAP = 1.0  # a self–other gap of a whole scale point or more is highlighted


@dataclass(frozen=True, slots=True)
class Counts:
    n1: int = 0
    n2: int = 0
    n3: int = 0
    n4: int = 0
    n5: int = 0
    dont_know: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.n1 + other.n1,
            self.n2 + other.n2,
            self.n3 + other.n3,
            self.n4 + other.n4,
            self.n5 + other.n5,
            self.dont_know + other.dont_know,
        )

    @property
    def values(self) -> tuple[int, int, int, int, int]:
        return (self.n1, self.n2, self.n3, self.n4, self.n5)

    @property
    def answered(self) -> int:
        """Answers 1–5 (the mean's denominator)."""
        return sum(self.values)

    @property
    def total(self) -> int:
        """Every answer, "ved ikke" included."""
        return self.answered + self.dont_know

    @property
    def mean(self) -> float | None:
        if not self.answered:
            return None
        return sum(v * n for v, n in enumerate(self.values, start=1)) / self.answered

    def distribution(self) -> dict[str, int]:
        return dict(zip(DISTRIBUTION_KEYS, (*self.values, self.dont_know), strict=True))


def pooled(parts: Iterable[Counts]) -> Counts:
    total = Counts()
    for part in parts:
        total = total + part
    return total


def rounded(value: float | None) -> float | None:
    return round(value, DECIMALS) if value is not None else None


def gap(self_value: float | None, others: float | None) -> float | None:
    """Self minus others (positive: the leader rates themself higher than others do)."""
    if self_value is None or others is None:
        return None
    return round(self_value - others, DECIMALS)


def notable(difference: float | None) -> bool:
    return difference is not None and abs(difference) >= NOTABLE_GAP
