"""The surveys service's FastAPI application (`create_app` is uvicorn's factory)."""

from __future__ import annotations

from fastapi import FastAPI

from leko_kit.app import create_service_app
from leko_kit.replica import OrganisationReplica, replica_ready, start_replica
from leko_kit.tables import utcnow
from leko_surveys.motivation.routes import router as motivation_router
from leko_surveys.participation.routes import router as participation_router
from leko_surveys.programmes.routes import router as programmes_router
from leko_surveys.responses.routes import router as responses_router
from leko_surveys.results.plan import ResultsCache
from leko_surveys.results.routes import router as results_router
from leko_surveys.rounds.routes import router as rounds_router
from leko_surveys.settings import SurveysSettings

DESCRIPTION = """\
Landsdækkende brugertilfredshedsundersøgelser — the national user-satisfaction surveys of
daycare, schools (pupils and parents), after-school care (SFO), rehabilitation and
substance-abuse treatment, and the motivation survey of employees in the state, the regions
and the municipalities. National programmes with versioned questionnaires, yearly rounds
that municipalities and institutions enrol in and add local questions to, anonymous answers
by one-time invitation or imported from a vendor's own system, and results per institution,
municipality, sector and nation with 95% confidence intervals, significance tests against
the rest of the municipality and the country and against the previous round, published to
citizens.

Anonymity: invitation tokens are shown once and stored only as hashes; a response keeps the
institution and the month, never the token; results open when a round closes and withhold
every cell below the round's threshold (default 5, never below 3), with complementary
suppression. Organisations come from the registry (a local replica of its change feed).
Every call goes through the LEKO gateway.
"""

# Its answers hold invitation tokens, which LEKO keeps only as hashes.
ENROLMENT_PATH = r"/v1/rounds/[0-9]+/participants"

TAGS = [
    {"name": "programmes", "description": "The national programmes and questionnaires."},
    {"name": "rounds", "description": "Yearly rounds and their publication."},
    {"name": "participation", "description": "Enrolment, invitations, local questions."},
    {"name": "responses", "description": "Answers by invitation token or vendor import."},
    {"name": "results", "description": "Institution, municipality and national results."},
    {"name": "motivation", "description": "The motivation survey by sector."},
    {"name": "health", "description": "Liveness, readiness and metrics."},
]


def create_app(settings: SurveysSettings | None = None) -> FastAPI:
    settings = settings or SurveysSettings()
    app = create_service_app(
        settings=settings,
        title="LEKO surveys",
        description=DESCRIPTION,
        routers=[
            programmes_router,
            rounds_router,
            participation_router,
            responses_router,
            results_router,
            motivation_router,
        ],
        openapi_tags=TAGS,
        on_startup=[start_replica],
        readiness={"replica": replica_ready},
        secret_paths=(ENROLMENT_PATH,),
    )
    app.state.replica = OrganisationReplica(
        database=app.state.database,
        registry_url=settings.registry_url,
        poll_seconds=settings.replica_poll_seconds,
    )
    app.state.clock = utcnow
    app.state.results_cache = ResultsCache()
    return app
