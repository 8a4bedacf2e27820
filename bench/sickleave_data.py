"""A synthetic national year of sick leave for the sick-leave benchmark.

Deterministic (a fixed seed) so that runs compare. The shape follows the public sector's:
about 820,000 employees, most in the municipalities (Copenhagen and Aarhus the largest), the
rest in the regions and the state; about 3.7 spells per employee and year, skewed so that a
few employees carry much of the absence; three quarters of the spells last 1–3 calendar days
and a few per cent are long-term (29+ days); some are half days, some are still open at the
end of the year, and the causes are mostly own sickness, then a child's sickness.

Organisations are the registry's seeded ones, plus `institutions_per_municipality`
institutions under each municipality (created by the benchmark through the registry API), so
that most spells count at four levels: institution, municipality, region, the country.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from leko_sickleave.absences import schemas

# A payroll extract's columns: partial days as a fraction, so no `hours` column.
FIELDS = tuple(name for name in schemas.FIELDS if name != "hours")

SOURCE_SYSTEMS = ("kmd-opus", "silkeborg-data", "statens-lon")
JOB_GROUPS = (
    "pædagog",
    "lærer",
    "social- og sundhedsassistent",
    "sygeplejerske",
    "administrativ medarbejder",
    "akademiker",
    "håndværker",
    "leder",
)
CAUSES = (("own_sickness", 0.85), ("child_sickness", 0.12), ("work_injury", 0.02))
CAUSES_REST = "pregnancy_related"
# (upper limit of the calendar length, cumulative share): 1–3 days 75 %, 4–14 18 %,
# 15–28 4 %, 29–180 3 %.
LENGTHS = ((3, 0.75), (14, 0.93), (28, 0.97), (180, 1.0))
OPEN_SHARE = 0.004  # spells with no end date yet
HALF_DAY_SHARE = 0.05
SECTOR_SHARES = {"municipality": 0.62, "region": 0.16, "state": 0.22}
BIG_MUNICIPALITIES = {"k101": 8.0, "k751": 5.0, "k851": 3.0, "k461": 3.0}


@dataclass(frozen=True)
class Organisation:
    code: str
    parent_code: str | None
    sector: str
    kind: str


@dataclass
class Workforce:
    """Employees by organisation: `orgs[i]` is where employee `i` works."""

    orgs: list[str]
    headcount: dict[str, int]

    @property
    def employees(self) -> int:
        return len(self.orgs)


def institution_codes(municipality: str, count: int) -> list[str]:
    return [f"{municipality}-inst-{number:02d}" for number in range(1, count + 1)]


def workforce(
    organisations: Sequence[Organisation], employees: int, *, seed: int = 2025
) -> Workforce:
    """Spread `employees` over the organisations that report their own staff: institutions
    take nine tenths of a municipality's staff, the municipality's administration the rest;
    regions and state organisations without children take their sector's share by a random
    weight."""
    rng = random.Random(seed)
    children = {org.parent_code for org in organisations}
    weights: dict[str, float] = {}
    for sector, share in SECTOR_SHARES.items():
        members = [org for org in organisations if org.sector == sector]
        if sector == "municipality":
            tops = [org for org in members if org.kind == "municipality"]
            raw = {
                org.code: rng.lognormvariate(0, 0.5) * BIG_MUNICIPALITIES.get(org.code, 1.0)
                for org in tops
            }
            total = sum(raw.values())
            for org in tops:
                institutions = [m.code for m in members if m.parent_code == org.code]
                part = share * raw[org.code] / total
                weights[org.code] = part * (0.1 if institutions else 1.0)
                for code in institutions:
                    weights[code] = part * 0.9 / len(institutions)
        else:
            reporting = [org for org in members if org.code not in children or org.kind == "region"]
            raw = {org.code: rng.lognormvariate(0, 0.7) for org in reporting}
            total = sum(raw.values())
            weights.update({code: share * value / total for code, value in raw.items()})
    codes = sorted(weights)
    counts = {code: max(1, round(employees * weights[code])) for code in codes}
    orgs = [code for code in codes for _ in range(counts[code])][:employees]
    rng.shuffle(orgs)
    headcount: dict[str, int] = {}
    for code in orgs:
        headcount[code] = headcount.get(code, 0) + 1
    return Workforce(orgs, headcount)


def staffing_records(force: Workforce, year: int) -> Iterator[dict[str, object]]:
    """Staffing of every organisation with employees, for every month of `year`; FTE a little
    below headcount (part-time), agreed hours 160.33 a month per FTE."""
    for code in sorted(force.headcount):
        headcount = force.headcount[code]
        for month in range(1, 13):
            fte = round(headcount * 0.88, 2)
            yield {
                "org_code": code,
                "month": f"{year}-{month:02d}",
                "employees": headcount,
                "fte": fte,
                "agreed_hours": round(fte * 160.33, 2),
            }


def _cause(draw: float) -> str:
    for cause, share in CAUSES:
        if draw < share:
            return cause
        draw -= share
    return CAUSES_REST


def spell_rows(force: Workforce, year: int, count: int, *, seed: int = 7) -> Iterator[str]:
    """`count` spells as CSV lines (without the header) in random order, numbered from 0.

    The employee is drawn with a skew (`random() ** 2`): the lowest-numbered tenth of the
    employees carry about a third of the spells.
    """
    rng = random.Random(seed)
    first = date(year, 1, 1).toordinal()
    days = date(year, 12, 31).toordinal() - first + 1
    employees = force.employees
    orgs = force.orgs
    for number in range(count):
        employee = int(employees * rng.random() ** 2)
        start = date.fromordinal(first + int(days * rng.random()))
        draw = rng.random()
        low = 1
        for high, cumulative in LENGTHS:
            if draw < cumulative:
                break
            low = high + 1
        length = rng.randint(low, high)
        open_spell = rng.random() < OPEN_SHARE
        end = "" if open_spell else (start + timedelta(days=length - 1)).isoformat()
        fraction = "0.5" if rng.random() < HALF_DAY_SHARE else "1"
        yield (
            f"{SOURCE_SYSTEMS[number % len(SOURCE_SYSTEMS)]},s{number:08d},e{employee:07d},"
            f"{orgs[employee]},{JOB_GROUPS[employee % len(JOB_GROUPS)]},{_cause(rng.random())},"
            f"{start.isoformat()},{end},{fraction}\n"
        )


def csv_header() -> str:
    return ",".join(FIELDS) + "\n"
