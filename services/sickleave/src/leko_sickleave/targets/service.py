"""Targets (måltal) for absence days per FTE and whether an organisation is on track; the
national goal — sick leave falling year on year — tracked the same way. Functions take the
caller's session and never commit (the request does).

Tracking uses own sickness (egen sygdom), the cause the national goal concerns. For a year in
progress the actual so far (over the months with staffing reported) is projected to the whole
year by working days, so that a January figure is not read as a year's: projected = actual ×
working days of the year / working days of the staffed months. The year is on track when the
projection is at or below the target.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.auth import Principal, Role
from leko_kit.problems import Forbidden, Unprocessable
from leko_kit.scope import OrgHierarchy, covers
from leko_sickleave.absences.schemas import Cause
from leko_sickleave.auth import require_readable
from leko_sickleave.danish_calendar import working_days_in_month
from leko_sickleave.kpis import (
    COMPLEMENTARY_REASON,
    Figures,
    MonthAbsence,
    MonthStaffing,
    Withheld,
    complementary_suppression,
    figures,
)
from leko_sickleave.models import NATIONAL_NODE, TARGET_UNITS, Target
from leko_sickleave.statistics.repository import Parts, StatisticsRepository
from leko_sickleave.targets.repository import TargetRepository
from leko_sickleave.targets.schemas import (
    TargetRead,
    TargetState,
    TargetStatus,
    TargetTracking,
    TargetWrite,
)

NATIONAL = "national"  # the path segment that names the country
NATIONAL_NAME = "Hele landet"
TRACKED_CAUSE = Cause.OWN_SICKNESS
Precondition = Callable[[Target], None]


def as_read(row: Target) -> TargetRead:
    return TargetRead(
        org_code=NATIONAL if row.org_code == NATIONAL_NODE else row.org_code,
        year=row.year,
        days_per_fte=row.days_per_fte_units / TARGET_UNITS,
        updated_at=row.updated_at,
    )


async def put(
    session: AsyncSession,
    *,
    hierarchy: OrgHierarchy,
    org_code: str,
    year: int,
    data: TargetWrite,
    principal: Principal,
    precondition: Precondition,
) -> tuple[Target, bool]:
    """Set an organisation's target for a year (`org_code` `*`: the country's); returns it and
    whether it is new."""
    if org_code == NATIONAL_NODE:
        if not principal.has_any_role({Role.NATIONAL_ADMIN.value}):
            raise Forbidden("Only `national_admin` sets the national target.")
    else:
        lineage = await hierarchy.lineage(org_code)
        if lineage is None:
            raise Unprocessable(
                f"Unknown organisation `{org_code}`; use a code from the registry.",
                errors=[{"loc": ["path", "org_code"], "message": "unknown organisation"}],
            )
        if not covers(lineage, principal.scope):
            raise Forbidden(
                f"`{org_code}` is outside your scope ({', '.join(principal.scope) or 'empty'}); "
                "nothing was stored."
            )
    repository = TargetRepository(session)
    existing = await repository.get(org_code, year)
    if existing is not None:
        precondition(existing)
    units = int(data.days_per_fte * TARGET_UNITS)
    return await repository.save(org_code, year, units, principal.client_id), existing is None


def _working_days(months: tuple[int, ...] | list[int]) -> int:
    return sum(working_days_in_month(month) for month in months)


def track(
    year: int,
    target: float | None,
    target_source: str | None,
    absence: dict[int, MonthAbsence],
    staffing: dict[int, MonthStaffing],
    hidden: Callable[[list[int]], bool] | None = None,
) -> TargetStatus:
    """Actual against target in `year` from the unit's monthly aggregates; a period that
    `hidden` says is withheld (complementary suppression) is not shown."""
    months = [year * 100 + month for month in range(1, 13)]
    last_year = [month - 100 for month in months]
    current = figures(months, absence, staffing)
    if isinstance(current, Figures) and hidden is not None and hidden(months):
        current = Withheld(COMPLEMENTARY_REASON, len(current.staffed_months))
    previous = figures(last_year, absence, staffing)
    previous_value = (
        previous.absence_days_per_fte
        if isinstance(previous, Figures)
        and len(previous.staffed_months) == 12
        and not (hidden is not None and hidden(last_year))
        else None
    )
    if not isinstance(current, Figures):
        state = TargetState.NO_DATA if current.staffed_months == 0 else TargetState.WITHHELD
        return TargetStatus(
            year=year,
            target_days_per_fte=target,
            target_source=target_source,
            staffed_months=current.staffed_months,
            actual_days_per_fte=None,
            projected_days_per_fte=None,
            previous_year_days_per_fte=_round(previous_value),
            change_from_previous_year=None,
            status=state,
        )
    actual = current.absence_days_per_fte
    projected = actual * _working_days(months) / _working_days(current.staffed_months)
    complete = len(current.staffed_months) == 12
    if target is None:
        state = TargetState.NO_TARGET
    else:
        state = TargetState.ON_TRACK if round(projected, 4) <= target else TargetState.OFF_TRACK
    return TargetStatus(
        year=year,
        target_days_per_fte=target,
        target_source=target_source,
        staffed_months=len(current.staffed_months),
        actual_days_per_fte=_round(actual),
        projected_days_per_fte=_round(projected),
        previous_year_days_per_fte=_round(previous_value),
        change_from_previous_year=_round(actual - previous_value)
        if complete and previous_value is not None
        else None,
        status=state,
    )


def _complement_check(org_code: str, siblings: Parts | None) -> Callable[[list[int]], bool]:
    """Whether `org_code`'s figures over some months are withheld so that a small sibling
    cannot be worked out by subtraction."""

    def hidden(months: list[int]) -> bool:
        return siblings is not None and org_code == complementary_suppression(
            siblings.children, siblings.own, months
        )

    return hidden


def _round(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


async def _monthly(
    session: AsyncSession, node: str, first_year: int, last_year: int
) -> tuple[dict[int, MonthAbsence], dict[int, MonthStaffing]]:
    """The node's monthly aggregates from the year before `first_year` to `last_year`."""
    repository = StatisticsRepository(session)
    first, last = (first_year - 1) * 100 + 1, last_year * 100 + 12
    return (
        await repository.absence(node, TRACKED_CAUSE, first, last),
        await repository.staffing(node, first, last),
    )


async def tracking(
    session: AsyncSession, *, hierarchy: OrgHierarchy, org_code: str, principal: Principal
) -> TargetTracking:
    """Every year with a target set for `org_code`, actual against target."""
    lineage = await require_readable(hierarchy, org_code, principal)
    targets = await TargetRepository(session).all_years(org_code)
    repository = StatisticsRepository(session)
    organisation = await repository.organisations([org_code])
    years: list[TargetStatus] = []
    if targets:
        first_year, last_year = targets[0].year, targets[-1].year
        absence, staffing = await _monthly(session, org_code, first_year, last_year)
        siblings = None
        if len(lineage) > 1:
            first, last = (first_year - 1) * 100 + 1, last_year * 100 + 12
            siblings = (await repository.parts([lineage[1]], first, last))[lineage[1]]
        hidden = _complement_check(org_code, siblings)
        years = [
            track(row.year, row.days_per_fte_units / TARGET_UNITS, "set", absence, staffing, hidden)
            for row in targets
        ]
    return TargetTracking(
        org_code=org_code, name=organisation[org_code].name, cause=TRACKED_CAUSE, years=years
    )


async def national_tracking(
    session: AsyncSession, *, first_year: int, last_year: int
) -> TargetTracking:
    """The national goal per year: the set national target, or else last year's actual."""
    if last_year < first_year:
        raise Unprocessable(
            "`to` is before `from`; give the years in order.",
            errors=[{"loc": ["query", "to"], "message": "is before `from`"}],
        )
    targets = await TargetRepository(session).by_year(NATIONAL_NODE, first_year, last_year)
    absence, staffing = await _monthly(session, NATIONAL_NODE, first_year, last_year)
    years: list[TargetStatus] = []
    for year in range(first_year, last_year + 1):
        row = targets.get(year)
        if row is not None:
            years.append(
                track(year, row.days_per_fte_units / TARGET_UNITS, "set", absence, staffing)
            )
            continue
        untargeted = track(year, None, None, absence, staffing)
        previous = untargeted.previous_year_days_per_fte
        years.append(
            track(year, previous, "previous_year", absence, staffing)
            if previous is not None
            else untargeted
        )
    return TargetTracking(org_code=NATIONAL, name=NATIONAL_NAME, cause=TRACKED_CAUSE, years=years)
