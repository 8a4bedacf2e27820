"""The evaluation service's FastAPI application (`create_app` is uvicorn's factory)."""

from __future__ import annotations

from fastapi import FastAPI

from leko_evaluation.evaluations.routes import router as evaluations_router
from leko_evaluation.national_counting import start_national_counting
from leko_evaluation.question_sets.routes import router as question_sets_router
from leko_evaluation.reports.routes import router as reports_router
from leko_evaluation.research.routes import router as research_router
from leko_evaluation.responses.routes import router as responses_router
from leko_evaluation.settings import EvaluationSettings
from leko_evaluation.statistics.routes import router as statistics_router
from leko_kit.app import create_service_app
from leko_kit.replica import OrganisationReplica, replica_ready, start_replica
from leko_kit.tables import utcnow

DESCRIPTION = """\
Den fællesoffentlige ledelsesevaluering — the common public leader evaluation. National
question sets (mandatory core questions, optional themes), evaluation rounds that an
organisation runs for its leaders, anonymous 360° responses by one-time invitation (self,
superior, employees, peers, others), each leader's report with self–other agreement and the
national benchmark, the organisation report, the national overview and an anonymised
research export.

Anonymity: invitation tokens are shown once and stored only as hashes; a response keeps the
leader, the respondent group and the month, never the token or the invitation; reports open
when the round closes and suppress groups below the round's threshold (default 5, never
below 3), with complementary suppression. Organisations come from the registry (a local
replica of its change feed). Every call goes through the LEKO gateway.
"""

TAGS = [
    {"name": "question sets", "description": "The national question set (spørgeramme)."},
    {"name": "evaluations", "description": "Rounds, leaders, invitations, response rates."},
    {"name": "responses", "description": "Respondents answer by invitation token."},
    {"name": "reports", "description": "Leader reports and organisation reports."},
    {"name": "statistics", "description": "The national overview on the core questions."},
    {"name": "research", "description": "The anonymised research export."},
    {"name": "health", "description": "Liveness, readiness and metrics."},
]


# Adding leaders answers with their invitation tokens, shown once: no replay copy is kept.
LEADERS_PATH = r"/v1/evaluations/[0-9]+/leaders"


def create_app(settings: EvaluationSettings | None = None) -> FastAPI:
    settings = settings or EvaluationSettings()
    app = create_service_app(
        settings=settings,
        title="LEKO leader evaluation",
        description=DESCRIPTION,
        routers=[
            question_sets_router,
            evaluations_router,
            responses_router,
            reports_router,
            statistics_router,
            research_router,
        ],
        openapi_tags=TAGS,
        on_startup=[start_replica, start_national_counting],
        readiness={"replica": replica_ready},
        secret_paths=(LEADERS_PATH,),
    )
    app.state.replica = OrganisationReplica(
        database=app.state.database,
        registry_url=settings.registry_url,
        poll_seconds=settings.replica_poll_seconds,
    )
    app.state.clock = utcnow
    return app
