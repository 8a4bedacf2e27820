"""The sick-leave service's FastAPI application (`create_app` is uvicorn's factory)."""

from __future__ import annotations

from fastapi import FastAPI

from leko_kit.app import create_service_app
from leko_kit.openapi import with_component_schemas
from leko_kit.replica import OrganisationReplica, replica_ready, start_replica
from leko_sickleave.absences.routes import BATCH_PATH
from leko_sickleave.absences.routes import router as absences_router
from leko_sickleave.absences.schemas import AbsenceBatch
from leko_sickleave.benchmarks.routes import router as benchmarks_router
from leko_sickleave.hotspots.routes import router as hotspots_router
from leko_sickleave.reorganisation import move_subtree
from leko_sickleave.settings import SickleaveSettings
from leko_sickleave.staffing.routes import router as staffing_router
from leko_sickleave.statistics.routes import router as statistics_router
from leko_sickleave.targets.routes import router as targets_router

DESCRIPTION = """\
Sick leave in the Danish public sector (indsats mod sygefravær): payroll and HR systems report
absence spells and monthly staffing; leaders, organisations and the national effort read the
standard absence KPIs for any organisation and its subtree: absence days per full-time
employee (fraværsdagsværk pr. fuldtidsansat), absence percentage (fraværsprocent), spells per
FTE, the distribution of spell lengths and the share carried by the 5% most absent.

Organisations come from the registry (a local replica of its change feed). Every call goes
through the LEKO gateway; the national year figures are public.
"""

TAGS = [
    {"name": "absences", "description": "Absence spells (fraværsforløb) from payroll systems."},
    {"name": "staffing", "description": "Monthly staffing (bemanding): the KPIs' denominators."},
    {"name": "statistics", "description": "The absence KPIs for any organisation subtree."},
    {
        "name": "benchmarks",
        "description": "Ledelsesinformation: an organisation against its peers.",
    },
    {"name": "targets", "description": "Targets (måltal) and the national goal, tracked."},
    {"name": "hotspots", "description": "The workplaces with the most absence (analysts)."},
    {"name": "health", "description": "Liveness, readiness and metrics."},
]


def create_app(settings: SickleaveSettings | None = None) -> FastAPI:
    settings = settings or SickleaveSettings()
    app = create_service_app(
        settings=settings,
        title="LEKO sick leave",
        description=DESCRIPTION,
        routers=[
            absences_router,
            staffing_router,
            statistics_router,
            benchmarks_router,
            targets_router,
            hotspots_router,
        ],
        openapi_tags=TAGS,
        on_startup=[start_replica],
        readiness={"replica": replica_ready},
        streaming_paths=(BATCH_PATH,),
    )
    app.state.replica = OrganisationReplica(
        database=app.state.database,
        registry_url=settings.registry_url,
        poll_seconds=settings.replica_poll_seconds,
        on_move=move_subtree,
    )
    with_component_schemas(app, AbsenceBatch)
    return app
