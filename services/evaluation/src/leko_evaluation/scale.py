"""The answer scale of every statement: 1–5 agreement, and "ved ikke / ikke relevant" as null
(counted, but never in a mean)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class Group(StrEnum):
    """Respondent groups (respondentgrupper)."""

    SELF = "self"
    SUPERIOR = "superior"
    EMPLOYEE = "employee"
    PEER = "peer"
    OTHER = "other"


class Level(StrEnum):
    """Leader levels: top management, middle managers, first-line leaders."""

    TOP = "top"
    MIDDLE = "middle"
    FIRST_LINE = "first_line"


GROUPS: tuple[Group, ...] = tuple(Group)
LEVELS: tuple[Level, ...] = tuple(Level)
# Groups shown as the answers they are, by design: one self-assessment, the superior(s).
SINGLE_ANSWER_GROUPS = frozenset({Group.SELF, Group.SUPERIOR})
# Groups below the round's anonymity threshold are suppressed in a leader's report.
PROTECTED_GROUPS = frozenset({Group.EMPLOYEE, Group.PEER, Group.OTHER})

GROUP_LABELS_DA = {
    Group.SELF: "Selvevaluering",
    Group.SUPERIOR: "Overordnet leder",
    Group.EMPLOYEE: "Medarbejdere",
    Group.PEER: "Sideordnede ledere",
    Group.OTHER: "Andre",
}
LEVEL_LABELS_DA = {
    Level.TOP: "Topleder",
    Level.MIDDLE: "Mellemleder",
    Level.FIRST_LINE: "Førstelinjeleder",
}


class ScaleOption(BaseModel):
    value: int | None
    label_da: str
    label_en: str


SCALE_OPTIONS: list[ScaleOption] = [
    ScaleOption(value=1, label_da="Helt uenig", label_en="Strongly disagree"),
    ScaleOption(value=2, label_da="Uenig", label_en="Disagree"),
    ScaleOption(value=3, label_da="Hverken enig eller uenig", label_en="Neither"),
    ScaleOption(value=4, label_da="Enig", label_en="Agree"),
    ScaleOption(value=5, label_da="Helt enig", label_en="Strongly agree"),
    ScaleOption(value=None, label_da="Ved ikke / ikke relevant", label_en="Don't know / n.a."),
]
DISTRIBUTION_KEYS = ("1", "2", "3", "4", "5", "dont_know")


def distribution_example() -> dict[str, Any]:
    return {"1": 0, "2": 1, "3": 2, "4": 3, "5": 1, "dont_know": 1}
