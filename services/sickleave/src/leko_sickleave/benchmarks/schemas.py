"""API shapes of the leader benchmark (ledelsesinformation)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leko_sickleave.absences.schemas import Cause
from leko_sickleave.kpis import Kpi


class PeerGroup(StrEnum):
    """Whom to compare with: the same institution type, the same kind of organisation in the
    same sector, or the same kind of organisation across the country."""

    INSTITUTION_TYPE = "institution_type"
    SECTOR = "sector"
    NATIONAL = "national"


class YearBenchmark(BaseModel):
    """The organisation against its peers in one year."""

    year: int
    value: float | None = Field(description="The organisation's KPI; null when withheld.")
    suppressed: bool = Field(
        description="True when the organisation's own KPI is withheld (fewer than 5 employees "
        "or no staffing reported)."
    )
    reason: str | None = None
    peer_units: int = Field(
        description="Peers (besides the organisation) with a KPI: each has at least 5 "
        "employees and staffing reported."
    )
    peer_median: float | None
    peer_q1: float | None = Field(description="Lower quartile of the peers.")
    peer_q3: float | None = Field(description="Upper quartile of the peers.")
    peer_suppressed: bool = Field(
        description="True when there are too few peers to show figures that single none out."
    )
    peer_reason: str | None = None
    percentile_rank: float | None = Field(
        description="Share of the peers (0–100) with a lower KPI, ties counted half: 10 means "
        "that 10% of the peers have less absence."
    )


_YEAR: dict[str, Any] = {
    "year": 2025,
    "value": 11.82,
    "suppressed": False,
    "reason": None,
    "peer_units": 97,
    "peer_median": 12.41,
    "peer_q1": 11.37,
    "peer_q3": 13.6,
    "peer_suppressed": False,
    "peer_reason": None,
    "percentile_rank": 36.6,
}


class Benchmark(BaseModel):
    """An organisation's KPI against its peers, this year and the year before."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "org_code": "k101",
                    "name": "Københavns Kommune",
                    "peers": "national",
                    "peer_group": "municipality units in every sector",
                    "kpi": "absence_days_per_fte",
                    "cause": "own_sickness",
                    "current": _YEAR,
                    "previous": _YEAR
                    | {"year": 2024, "value": 12.3, "peer_median": 12.7, "percentile_rank": 41.2},
                    "change": -0.48,
                    "peer_median_change": -0.29,
                    "trend": "falling",
                }
            ]
        }
    )

    org_code: str
    name: str
    peers: PeerGroup
    peer_group: str = Field(description="Who the peers are, in words.")
    kpi: Kpi
    cause: Cause
    current: YearBenchmark
    previous: YearBenchmark
    change: float | None = Field(description="The organisation's KPI this year minus last year.")
    peer_median_change: float | None = Field(description="The peer median's change.")
    trend: str | None = Field(
        description="`falling`, `rising` or `unchanged`: the organisation's KPI against last "
        "year; null when either year is withheld."
    )
