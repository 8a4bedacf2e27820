"""The answer scales: satisfaction items on 1–5 (meget utilfreds … meget tilfreds) with "ved
ikke" as null, counted but never in a mean; background `choice` questions with up to five
options, counted per option in the same five counters (in the order the questionnaire lists
the options), with null for "ønsker ikke at svare"."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel

from leko_surveys.models import COUNTERS

MAX_CHOICE_OPTIONS = 5


class Kind(StrEnum):
    SCALE = "scale"
    CHOICE = "choice"


class OptionRead(BaseModel):
    value: int | str | None
    label_da: str
    label_en: str | None = None


SCALE_OPTIONS: list[OptionRead] = [
    OptionRead(value=1, label_da="Meget utilfreds", label_en="Very dissatisfied"),
    OptionRead(value=2, label_da="Utilfreds", label_en="Dissatisfied"),
    OptionRead(value=3, label_da="Hverken tilfreds eller utilfreds", label_en="Neither"),
    OptionRead(value=4, label_da="Tilfreds", label_en="Satisfied"),
    OptionRead(value=5, label_da="Meget tilfreds", label_en="Very satisfied"),
    OptionRead(value=None, label_da="Ved ikke", label_en="Don't know"),
]
NO_ANSWER = OptionRead(value=None, label_da="Ønsker ikke at svare", label_en="Prefer not to say")


def counters(slot: int | None) -> dict[str, int]:
    """One answer as counter increments: `slot` 1–5 (the scale value, or the option's
    position), None for "ved ikke" / "ønsker ikke at svare"."""
    row = dict.fromkeys(COUNTERS, 0)
    row["dont_know" if slot is None else f"n{slot}"] = 1
    return row
