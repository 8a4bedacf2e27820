"""The rules for staffing: scope per organisation, one version per organisation and month,
and subtree totals kept exact (the old values subtracted, the new added, at every ancestor).
Functions take the caller's session and never commit (the request does)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.auth import Principal
from leko_kit.problems import Forbidden, NotFound, Unprocessable
from leko_sickleave.auth import reads_everywhere
from leko_sickleave.models import FTE_UNITS, HOURS_UNITS, Staffing
from leko_sickleave.organisations import OrgTree
from leko_sickleave.periods import format_month, parse_month
from leko_sickleave.schemas import BatchResult
from leko_sickleave.staffing.repository import StaffingRepository, StaffingValues
from leko_sickleave.staffing.schemas import StaffingRead, StaffingRecord, StaffingWrite

Precondition = Callable[[Staffing], None]
_MONTH_RULE = "must be a month yyyy-mm in 2000–2100"


def as_read(row: Staffing) -> StaffingRead:
    return StaffingRead(
        org_code=row.org_code,
        month=format_month(row.month),
        employees=row.employees,
        fte=row.fte_units / FTE_UNITS,
        agreed_hours=row.agreed_hours_units / HOURS_UNITS,
    )


def _values(data: StaffingWrite) -> StaffingValues | str:
    """The stored units, or why the values cannot be stored."""
    fte, hours = round(data.fte * FTE_UNITS), round(data.agreed_hours * HOURS_UNITS)
    if fte < 1:
        return "fte must be at least 0.0001"
    if hours < 1:
        return "agreed_hours must be at least 0.01"
    return data.employees, fte, hours


def month_of(text: str) -> int:
    """A path's `yyyy-mm` as `yyyymm` (422 unless a month of 2000–2100)."""
    month = parse_month(text)
    if month is None:
        raise Unprocessable(
            f"`{text}` is not a month of 2000–2100; write it as yyyy-mm, e.g. 2025-03.",
            errors=[{"loc": ["path", "month"], "message": _MONTH_RULE}],
        )
    return month


async def get(
    session: AsyncSession, *, org_code: str, month: int, principal: Principal
) -> Staffing:
    tree = await OrgTree.load(session)
    row = await StaffingRepository(session).get(org_code, month)
    if row is None or not (reads_everywhere(principal) or tree.in_scope(org_code, principal.scope)):
        raise NotFound(
            f"No staffing of `{org_code}` for {format_month(month)} in your scope; PUT it first."
        )
    return row


async def put(
    session: AsyncSession,
    *,
    org_code: str,
    month: int,
    data: StaffingWrite,
    principal: Principal,
    precondition: Precondition,
) -> tuple[Staffing, bool]:
    """Store one month's staffing; returns it and whether it was new."""
    repository = StaffingRepository(session)
    await repository.lock_writes()
    tree = await OrgTree.load(session)
    if tree.lineage(org_code) is None:
        raise Unprocessable(
            f"Unknown organisation `{org_code}`; use a code from the registry.",
            errors=[{"loc": ["path", "org_code"], "message": "unknown organisation"}],
        )
    _authorise(tree, org_code, principal, "")
    values = _values(data)
    if isinstance(values, str):
        raise Unprocessable(
            values, errors=[{"loc": ["body", values.split()[0]], "message": values}]
        )
    existing = await repository.get(org_code, month)
    if existing is not None:
        precondition(existing)
    await _write(repository, tree, [(org_code, month, values)])
    row = await repository.get(org_code, month)
    assert row is not None
    return row, existing is None


async def put_batch(
    session: AsyncSession, *, records: Sequence[StaffingRecord], principal: Principal
) -> BatchResult:
    """Store many organisations' and months' staffing at once (all or nothing)."""
    repository = StaffingRepository(session)
    await repository.lock_writes()
    tree = await OrgTree.load(session)
    errors: list[dict[str, object]] = []
    rows: list[tuple[str, int, StaffingValues]] = []
    seen: dict[tuple[str, int], int] = {}
    for index, record in enumerate(records):
        loc: list[str | int] = ["body", "records", index]
        if tree.lineage(record.org_code) is None:
            errors.append({"loc": [*loc, "org_code"], "message": "unknown organisation"})
            continue
        _authorise(tree, record.org_code, principal, f"Record {index}: ")
        month = parse_month(record.month)
        values = _values(record)
        if month is None:
            errors.append({"loc": [*loc, "month"], "message": _MONTH_RULE})
        elif isinstance(values, str):
            errors.append({"loc": [*loc, values.split()[0]], "message": values})
        elif (record.org_code, month) in seen:
            first = seen[record.org_code, month]
            errors.append(
                {"loc": [*loc, "month"], "message": f"repeats org_code and month of record {first}"}
            )
        else:
            seen[record.org_code, month] = index
            rows.append((record.org_code, month, values))
    if errors:
        raise Unprocessable(
            f"{len(errors)} record(s) are not valid, so nothing was stored.", errors=errors
        )
    return await _write(repository, tree, rows)


def _authorise(tree: OrgTree, org_code: str, principal: Principal, prefix: str) -> None:
    if not tree.in_scope(org_code, principal.scope):
        raise Forbidden(
            f"{prefix}`{org_code}` is outside your scope "
            f"({', '.join(principal.scope) or 'empty'}); nothing was stored."
        )


async def _write(
    repository: StaffingRepository, tree: OrgTree, rows: Sequence[tuple[str, int, StaffingValues]]
) -> BatchResult:
    stored = await repository.get_many([(org, month) for org, month, _ in rows])
    totals: dict[tuple[str, int], list[int]] = {}
    changed: list[tuple[str, int, StaffingValues]] = []
    created = updated = unchanged = 0

    def add(org: str, month: int, values: StaffingValues, sign: int) -> None:
        for node in tree.nodes(org):
            entry = totals.setdefault((node, month), [0, 0, 0, 0])
            entry[0] += sign
            for position, value in enumerate(values, start=1):
                entry[position] += sign * value

    for org, month, values in rows:
        old = stored.get((org, month))
        if old is not None:
            old_values = (old.employees, old.fte_units, old.agreed_hours_units)
            if old_values == values:
                unchanged += 1
                continue
            add(org, month, old_values, -1)
            updated += 1
        else:
            created += 1
        add(org, month, values, 1)
        changed.append((org, month, values))
    await repository.save(changed)
    await repository.add_totals([(*key, *entry) for key, entry in totals.items() if any(entry)])
    return BatchResult(created=created, updated=updated, unchanged=unchanged)
