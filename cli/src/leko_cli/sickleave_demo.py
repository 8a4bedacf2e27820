"""A year of synthetic sick leave for the demo institutions, sent through the gateway.

For 2025 (the last complete calendar year) and every demo institution (the municipalities'
schools, after-school care, daycare, elderly care, ... and the region's hospitals and
psychiatry): monthly staffing sized by institution type, and absence spells such as a payroll
system would report them:

- own sickness at the level of the institution type (absence days per FTE: elderly care and
  daycare highest, about 13–16; schools about 10; hospitals about 11), spread over the
  employees with a heavy tail (a few employees carry much of the absence), with a winter peak
  (January–March, November–December) and a summer low;
- spell lengths from single days to a long tail of long-term spells (29+ days), some of them
  partial (fraction 0.5, as on a graduated return to work);
- child sickness (barns sygedag, 1–2 days) for employees with children, and a few work
  injuries, most in elderly care and hospitals;
- spells still running when the extract was taken (end of January 2026) have no end date.

Everything comes from one seeded random generator, and each spell's `source_record_id` is
its institution's code and a running number, so generating again yields the same records and
posting them again changes nothing (the service answers `unchanged`). Generation takes well
under a second; the data set is about 6,000 employees and 12,000 spells.
"""

from __future__ import annotations

import base64
import bisect
import csv
import hashlib
import io
import itertools
import math
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from leko_cli.gateway_api import (
    REPLICA_WAIT_SECONDS,
    check,
    find_or_create_client,
    post_until_known,
    request,
)
from leko_sickleave.absences.schemas import FIELDS
from leko_sickleave.danish_calendar import is_working_day

YEAR = 2025
SEED = 20250101
SOURCE_SYSTEM = "leko-demo"
DEMO_CLIENT_NAME = "LEKO demo: lønsystem (sick-leave reporter)"
EXTRACT_DATE = date(YEAR + 1, 1, 31)  # spells running on this day are reported open
# Agreed monthly hours of a full-time employee (normtid: 37 hours a week, 52/12 weeks a month).
FULL_TIME_MONTH_HOURS = 37 * 52 / 12

# Relative chance that a spell starts on a working day of each month (January first).
SEASON = (1.7, 1.55, 1.25, 0.95, 0.85, 0.8, 0.5, 0.75, 0.95, 1.0, 1.15, 1.25)


@dataclass(frozen=True)
class Profile:
    """What an institution type looks like: headcount range, FTE per employee, own-sickness
    absence days per FTE in a year, work injuries per employee in a year, and its job groups
    (the first the most common)."""

    employees: tuple[int, int]
    fte_per_employee: float
    days_per_fte: float
    work_injuries: float
    job_groups: tuple[str, ...]


PROFILES: dict[str, Profile] = {
    "school": Profile(
        (55, 90), 0.93, 10.0, 0.01, ("lærer", "pædagog", "skolesekretær", "skoleleder")
    ),
    "after_school_care": Profile(
        (12, 24), 0.74, 12.5, 0.015, ("pædagog", "pædagogmedhjælper", "pædagogisk assistent")
    ),
    "daycare": Profile(
        (16, 34), 0.86, 14.5, 0.02, ("pædagog", "pædagogmedhjælper", "pædagogisk assistent")
    ),
    "elderly_care": Profile(
        (70, 130),
        0.79,
        15.5,
        0.045,
        (
            "social- og sundhedshjælper",
            "social- og sundhedsassistent",
            "sygeplejerske",
            "ergoterapeut",
        ),
    ),
    "rehabilitation": Profile(
        (18, 32), 0.88, 11.0, 0.015, ("fysioterapeut", "ergoterapeut", "sygeplejerske")
    ),
    "substance_abuse_treatment": Profile(
        (12, 24), 0.92, 11.5, 0.015, ("socialrådgiver", "sygeplejerske", "pædagog")
    ),
    "hospital": Profile(
        (700, 1050),
        0.87,
        11.0,
        0.03,
        (
            "sygeplejerske",
            "læge",
            "social- og sundhedsassistent",
            "lægesekretær",
            "bioanalytiker",
            "portør",
        ),
    ),
    "psychiatry": Profile(
        (300, 420),
        0.89,
        12.5,
        0.035,
        ("sygeplejerske", "social- og sundhedsassistent", "læge", "psykolog", "pædagog"),
    ),
}
DEFAULT_PROFILE = Profile((20, 40), 0.9, 11.0, 0.015, ("administrativ medarbejder",))


@dataclass(frozen=True)
class Institution:
    code: str
    institution_type: str


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, result: dict[str, Any]) -> None:
        self.created += int(result["created"])
        self.updated += int(result["updated"])
        self.unchanged += int(result["unchanged"])

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class DemoSickLeave:
    """The generated year: staffing records and spells (in the API's field names)."""

    staffing: list[dict[str, Any]] = field(default_factory=list)
    spells: list[dict[str, Any]] = field(default_factory=list)

    @property
    def open_spells(self) -> int:
        return sum(1 for spell in self.spells if spell["end_date"] is None)

    def spells_csv(self) -> str:
        fields = FIELDS
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(fields)
        for spell in self.spells:
            writer.writerow(["" if spell.get(name) is None else spell[name] for name in fields])
        return out.getvalue()


# The calendar of the year, with working days counted by prefix sums.

_FIRST_DAY = date(YEAR, 1, 1)
_LAST_DAY = date(YEAR, 12, 31)
_DAYS = [_FIRST_DAY + timedelta(days=n) for n in range((date(YEAR + 2, 1, 1) - _FIRST_DAY).days)]
_WORKING = [is_working_day(day) for day in _DAYS]
_WORKING_BEFORE = [0, *itertools.accumulate(_WORKING)]
# Days a spell may start on (working days of the year), with the season's weights.
_START_DAYS = [n for n, day in enumerate(_DAYS) if day.year == YEAR and _WORKING[n]]
_START_WEIGHTS = list(itertools.accumulate(SEASON[_DAYS[n].month - 1] for n in _START_DAYS))


def working_days(first: int, last: int) -> int:
    """Working days from day number `first` to `last` (inclusive) within the year."""
    last = min(last, (_LAST_DAY - _FIRST_DAY).days)
    return max(0, _WORKING_BEFORE[last + 1] - _WORKING_BEFORE[first])


def _poisson(rng: random.Random, mean: float) -> int:
    threshold, count, product = math.exp(-mean), 0, rng.random()
    while product > threshold:
        count += 1
        product *= rng.random()
    return count


def _own_sickness_length(rng: random.Random) -> int:
    """Calendar days: mostly short, a long tail of long-term spells (29+ days)."""
    draw = rng.random()
    if draw < 0.58:
        return rng.choices((1, 2, 3), weights=(45, 30, 25))[0]
    if draw < 0.88:
        return min(14, 4 + int(rng.expovariate(1 / 3.5)))
    if draw < 0.95:
        return rng.randint(15, 28)
    return min(300, 29 + int(rng.expovariate(1 / 50)))


def _employee_ref(code: str, number: int) -> str:
    """A stable pseudonym (letters and the digits 2–7: never mistaken for a CPR number)."""
    digest = hashlib.sha256(f"{SOURCE_SYSTEM}/{code}/{number}".encode()).digest()
    return "d" + base64.b32encode(digest[:10]).decode().lower()[:11]


class _Generator:
    """One institution's year; spells of one employee never overlap."""

    def __init__(self, rng: random.Random, institution: Institution) -> None:
        self.rng = rng
        self.code = institution.code
        self.profile = PROFILES.get(institution.institution_type, DEFAULT_PROFILE)
        low, high = self.profile.employees
        self.headcount = rng.randint(low, high)
        # Frailty: mean 1, heavily skewed, so that a few employees carry much of the absence.
        frailty = [rng.gammavariate(0.55, 1 / 0.55) for _ in range(self.headcount)]
        self.frailty_weights = list(itertools.accumulate(frailty))
        groups = self.profile.job_groups
        group_weights = [1 / (rank + 1) for rank in range(len(groups))]
        self.job_groups = rng.choices(groups, weights=group_weights, k=self.headcount)
        self.has_children = [rng.random() < 0.3 for _ in range(self.headcount)]
        self.busy: list[list[tuple[int, int]]] = [[] for _ in range(self.headcount)]
        self.spells: list[dict[str, Any]] = []

    def staffing(self) -> list[dict[str, Any]]:
        rng, profile = self.rng, self.profile
        records = []
        for month in range(1, 13):
            drift = 1 + rng.gauss(0, 0.015) - (0.03 if month in (7, 8) else 0.0)
            employees = max(1, round(self.headcount * drift))
            fte = round(employees * profile.fte_per_employee * (1 + rng.gauss(0, 0.01)), 2)
            records.append(
                {
                    "org_code": self.code,
                    "month": f"{YEAR}-{month:02d}",
                    "employees": employees,
                    "fte": fte,
                    "agreed_hours": round(fte * FULL_TIME_MONTH_HOURS, 2),
                }
            )
        return records

    def _place(self, employee: int, length: int) -> tuple[int, int] | None:
        """A start day (seasonal) for a spell of `length` days that fits the employee."""
        for _ in range(5):
            start = self.rng.choices(_START_DAYS, cum_weights=_START_WEIGHTS)[0]
            end = start + length - 1
            spans = self.busy[employee]
            if all(end < first - 1 or start > last + 1 for first, last in spans):
                bisect.insort(spans, (start, end))
                return start, end
        return None

    def _add(
        self, employee: int, cause: str, length: int, fraction: float
    ) -> tuple[int, int, float] | None:
        placed = self._place(employee, length)
        if placed is None:
            return None
        start, end = placed
        end_date: date | None = _DAYS[end] if end < len(_DAYS) else _DAYS[-1]
        if end_date is not None and end_date >= EXTRACT_DATE:
            end_date = None
        self.spells.append(
            {
                "source_system": SOURCE_SYSTEM,
                "source_record_id": f"{self.code}-{len(self.spells) + 1:05d}",
                "employee_ref": _employee_ref(self.code, employee),
                "org_code": self.code,
                "job_group": self.job_groups[employee],
                "cause": cause,
                "start_date": _DAYS[start].isoformat(),
                "end_date": end_date.isoformat() if end_date else None,
                "fraction": fraction,
            }
        )
        return start, end, fraction

    def _employee(self) -> int:
        return self.rng.choices(range(self.headcount), cum_weights=self.frailty_weights)[0]

    def absences(self, mean_fte: float) -> list[dict[str, Any]]:
        rng, profile = self.rng, self.profile
        # Own sickness until the institution reaches its level (± its own variation).
        target = profile.days_per_fte * mean_fte * math.exp(rng.gauss(0, 0.12))
        days = 0.0
        attempts = 0
        while days < target and attempts < 100_000:
            attempts += 1
            length = _own_sickness_length(rng)
            partial = rng.random() < (0.3 if length >= 15 else 0.03)
            added = self._add(self._employee(), "own_sickness", length, 0.5 if partial else 1)
            if added:
                start, end, fraction = added
                days += working_days(start, end) * fraction
        # Child sickness (barns første og anden sygedag) for employees with children.
        for employee in range(self.headcount):
            if self.has_children[employee]:
                for _ in range(_poisson(rng, 1.5)):
                    length = 1 if rng.random() < 0.8 else 2
                    self._add(employee, "child_sickness", length, 0.5 if rng.random() < 0.1 else 1)
        # A few work injuries.
        for _ in range(_poisson(rng, profile.work_injuries * self.headcount)):
            draw = rng.random()
            length = (
                rng.randint(1, 3)
                if draw < 0.5
                else rng.randint(4, 14)
                if draw < 0.85
                else rng.randint(15, 60)
            )
            self._add(self._employee(), "work_injury", length, 1)
        return self.spells


def generate(institutions: Sequence[Institution], seed: int = SEED) -> DemoSickLeave:
    """The demo year for these institutions; the same arguments give the same records."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    demo = DemoSickLeave()
    for institution in institutions:
        generator = _Generator(rng, institution)
        staffing = generator.staffing()
        demo.staffing += staffing
        demo.spells += generator.absences(sum(record["fte"] for record in staffing) / 12)
    return demo


# Posting through the gateway.


def _wait_for_replica(admin: httpx.Client, org_code: str) -> None:
    """Until the sick-leave service has replicated `org_code` from the registry's feed."""
    deadline = time.monotonic() + REPLICA_WAIT_SECONDS
    params = {"org_code": org_code, "from": f"{YEAR}-01", "to": f"{YEAR}-01"}
    while True:
        response = request(admin, "GET", "/sickleave/v1/statistics", params=params)
        if response.status_code == 200:
            return
        if response.status_code != 404 or time.monotonic() > deadline:
            raise RuntimeError(
                f"the sick-leave service does not know {org_code} yet: "
                f"{response.status_code} {response.text}"
            )
        time.sleep(0.25)


@dataclass
class SickLeaveLoad:
    staffing: Counts
    spells: Counts
    open_spells: int

    def summary(self) -> str:
        return (
            f"demo sick leave {YEAR}: {self.spells.total} spells ({self.spells}; "
            f"{self.open_spells} still open), {self.staffing.total} staffing months "
            f"({self.staffing})"
        )


def load_sick_leave(
    admin: httpx.Client, institutions: Sequence[Institution], scope: list[str]
) -> SickLeaveLoad:
    """Generate the year and post it with a short-lived reporter key for the demo scope."""
    demo = generate(institutions)
    _wait_for_replica(admin, institutions[-1].code)
    client_id = find_or_create_client(admin, name=DEMO_CLIENT_NAME, roles=["reporter"], scope=scope)
    key = check(
        request(admin, "POST", f"/gateway/v1/clients/{client_id}/keys", json={"expires_at": None}),
        "reporter key",
        201,
    )
    staffing, spells = Counts(), Counts()
    try:
        with httpx.Client(
            base_url=str(admin.base_url),
            headers={"X-API-Key": key["api_key"]},
            timeout=httpx.Timeout(30.0, read=300.0),
        ) as reporter:
            for batch in _batches(demo.staffing, 10_000):
                staffing.add(
                    post_until_known(
                        reporter,
                        "/sickleave/v1/staffing/batch",
                        "staffing",
                        json={"records": batch},
                    )
                )
            spells.add(
                post_until_known(
                    reporter,
                    "/sickleave/v1/absences/batch",
                    "absence spells",
                    content=demo.spells_csv().encode(),
                    headers={"Content-Type": "text/csv; charset=utf-8"},
                )
            )
    finally:
        # The key was only for this load: revoke it rather than leave a secret lying about.
        request(admin, "DELETE", f"/gateway/v1/clients/{client_id}/keys/{key['key_id']}")
    return SickLeaveLoad(staffing=staffing, spells=spells, open_spells=demo.open_spells)


def _batches(records: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(records), size):
        yield records[start : start + size]
