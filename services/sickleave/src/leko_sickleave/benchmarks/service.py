"""The leader benchmark: an organisation's KPI against the distribution over its peers.

Peers are organisations like it: the same institution type (any sector), the same kind in the
same sector (a municipality among municipalities), or the same kind nationwide. Each peer's
KPI is computed exactly as the statistics compute it (`leko_sickleave.kpis`) from the
write-time aggregates of its subtree, for the whole year (summed by the database).

Anonymity: a peer with fewer than 5 employees is never counted (so it can never be singled
out); the organisation's own KPI is withheld below 5 employees and when showing it would
reveal a small unit beside it (complementary suppression, `leko_sickleave.kpis`); and the
peer figures (median, quartiles, percentile rank) are withheld unless at least `MIN_PEERS`
peers besides the organisation itself have a KPI: with fewer, a quartile could be one known
workplace's figure.
"""

from __future__ import annotations

import statistics as stats

from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.auth import Principal
from leko_kit.problems import Unprocessable
from leko_kit.scope import OrgHierarchy
from leko_sickleave.absences.schemas import Cause
from leko_sickleave.auth import require_readable
from leko_sickleave.benchmarks.schemas import Benchmark, PeerGroup, YearBenchmark
from leko_sickleave.kpis import (
    COMPLEMENTARY_REASON,
    Figures,
    Kpi,
    Withheld,
    complementary_suppression,
    figures_of,
)
from leko_sickleave.statistics.repository import Parts, StatisticsRepository, UnitYear

MIN_PEERS = 5


def percentile_rank(value: float, peers: list[float]) -> float:
    """Share (0–100) of `peers` below `value`, ties counted half."""
    below = sum(1 for peer in peers if peer < value)
    equal = sum(1 for peer in peers if peer == value)
    return (below + equal / 2) / len(peers) * 100


def _year(
    org_code: str,
    units: dict[str, dict[int, UnitYear]],
    siblings: Parts | None,
    year: int,
    kpi: Kpi,
) -> YearBenchmark:
    months = [year * 100 + month for month in range(1, 13)]
    own: Figures | None = None
    reason = "no staffing reported for the year"
    peers: list[float] = []
    for code, years in units.items():
        if year not in years:
            continue
        result = figures_of(years[year].sums)
        if code == org_code:
            if isinstance(result, Withheld):
                reason = result.reason
            elif siblings and code == complementary_suppression(
                siblings.children, siblings.own, months
            ):
                reason = COMPLEMENTARY_REASON
            else:
                own = result
        elif isinstance(result, Figures):
            peers.append(result.kpi(kpi))
    value = own.kpi(kpi) if own is not None else None
    shown = len(peers) >= MIN_PEERS
    q1, median, q3 = stats.quantiles(peers, n=4, method="inclusive") if shown else (None,) * 3
    return YearBenchmark(
        year=year,
        value=_round(value),
        suppressed=own is None,
        reason=None if own is not None else reason,
        peer_units=len(peers),
        peer_median=_round(median),
        peer_q1=_round(q1),
        peer_q3=_round(q3),
        peer_suppressed=not shown,
        peer_reason=None
        if shown
        else f"fewer than {MIN_PEERS} peers with at least 5 employees and staffing reported",
        percentile_rank=round(percentile_rank(value, peers), 1)
        if shown and value is not None
        else None,
    )


def _round(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def _difference(current: float | None, previous: float | None) -> float | None:
    return round(current - previous, 4) if current is not None and previous is not None else None


async def benchmark(
    session: AsyncSession,
    *,
    hierarchy: OrgHierarchy,
    org_code: str,
    year: int,
    peers: PeerGroup,
    kpi: Kpi,
    cause: Cause,
    principal: Principal,
) -> Benchmark:
    """`org_code`'s KPI in `year` and the year before against its peers."""
    lineage = await require_readable(hierarchy, org_code, principal)
    repository = StatisticsRepository(session)
    organisation = (await repository.organisations([org_code]))[org_code]
    if peers == PeerGroup.INSTITUTION_TYPE:
        if organisation.institution_type is None:
            raise Unprocessable(
                f"`{org_code}` has no institution type; compare with `peers=sector` or "
                "`peers=national`.",
                errors=[{"loc": ["query", "peers"], "message": "the organisation has no type"}],
            )
        chosen = {"institution_type": organisation.institution_type}
        described = f"{organisation.institution_type} units in every sector"
    elif peers == PeerGroup.SECTOR:
        chosen = {"kind": organisation.kind, "sector": organisation.sector}
        described = f"{organisation.kind} units in the {organisation.sector} sector"
    else:
        chosen = {"kind": organisation.kind}
        described = f"{organisation.kind} units in every sector"
    units = await repository.year_sums(cause=cause, years=range(year - 1, year + 1), **chosen)
    first, last = (year - 1) * 100 + 1, year * 100 + 12
    siblings = (
        (await repository.parts([lineage[1]], first, last))[lineage[1]]
        if len(lineage) > 1
        else None
    )
    current = _year(org_code, units, siblings, year, kpi)
    previous = _year(org_code, units, siblings, year - 1, kpi)
    change = _difference(current.value, previous.value)
    return Benchmark(
        org_code=org_code,
        name=organisation.name,
        peers=peers,
        peer_group=described,
        kpi=kpi,
        cause=cause,
        current=current,
        previous=previous,
        change=change,
        peer_median_change=_difference(current.peer_median, previous.peer_median),
        trend=_trend(change),
    )


def _trend(change: float | None) -> str | None:
    if change is None:
        return None
    return "falling" if change < 0 else "rising" if change > 0 else "unchanged"
