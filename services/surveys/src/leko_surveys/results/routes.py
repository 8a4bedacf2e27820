"""HTTP endpoints of a round's results; the rules live in the service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from leko_kit.auth import OptionalPrincipal
from leko_kit.db import ReadSession
from leko_kit.dependencies import Now
from leko_surveys.openapi import problems
from leko_surveys.results import service
from leko_surveys.results.plan import ResultsCache
from leko_surveys.results.schemas import AreaResults, InstitutionComparison, InstitutionResults
from leko_surveys.rounds import service as rounds
from leko_surveys.rounds.routes import RoundId

router = APIRouter(prefix="/v1/rounds", tags=["results"])


def get_cache(request: Request) -> ResultsCache:
    cache: ResultsCache = request.app.state.results_cache
    return cache


Cache = Annotated[ResultsCache, Depends(get_cache)]
PRIVATE = "private, no-store"


def private_until_published(response: Response, *, published: bool) -> None:
    """Results before publication are for their readers only: no shared cache may keep them."""
    if not published:
        response.headers["Cache-Control"] = PRIVATE


OrgCode = Annotated[
    str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$", examples=["kbh-boernehuset-solsikken"])
]
MunicipalityCode = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$", examples=["k101"])]

READERS = (
    " Public once the round is published; before that only national roles (`national_admin`, "
    "`analyst`) and the organisation's own users (`org_admin`, `leader` whose scope covers "
    "it), sent with `Cache-Control: private, no-store` — anyone else gets 404. "
    "Results open a minute after the round closes, once its last responses are counted "
    "(409 before, with the time)."
)
FIGURES = (
    " Per question: `n` answers on the scale (“ved ikke” counts in the distribution only), "
    "the mean, standard deviation and 95% confidence interval (Student's t, with the "
    "finite-population correction and `response_rate` only where the number invited is known "
    "for every organisation in the unit), and the distribution; background "
    "questions give their distribution per option. A unit with fewer respondents than the "
    "round's threshold is suppressed (`suppressed: true` and the reason), and so is a unit "
    "that could otherwise be worked out by subtraction from a shown total (complementary "
    "suppression); a question with fewer answers than the threshold is withheld, and so, "
    "for that question, is a unit it could otherwise be worked out from. `change` "
    "tests the mean against the programme's previous round (Welch's t-test)."
)


@router.get(
    "/{round_id}/results/institutions/{org_code}",
    summary="An institution's results",
    description="The institution's results, each national question compared with the rest "
    "of its municipality and the rest of the country (Welch's t-test on samples that do not "
    "overlap; `significant` at p < 0.05), plus the local questions of the institution and "
    "the organisations above it that the caller may see: published by their owner, or owned "
    "by an organisation in the caller's scope." + FIGURES + READERS + " Before publication "
    "the institution's own users see these comparisons too — the municipality's and the "
    "country's mean, and the rest's n and mean — although the municipality's and the "
    "nation's results are 404 to them: a leader wants to know where the institution stands. "
    "A comparison is left out when the area's figures for the question are withheld or the "
    "rest has fewer answers than the threshold, so no reference figure is over fewer "
    "respondents than the threshold.",
    responses=problems(401, 404, 409, 422),
)
async def institution_results(
    round_id: RoundId,
    org_code: OrgCode,
    principal: OptionalPrincipal,
    session: ReadSession,
    cache: Cache,
    response: Response,
    now: Now,
) -> InstitutionResults:
    body = await service.institution(
        session, cache=cache, round_id=round_id, org_code=org_code, principal=principal, now=now
    )
    private_until_published(response, published=body.published)
    return body


@router.get(
    "/{round_id}/results/municipalities/{code}",
    summary="A municipality's results",
    description="All the municipality's enrolled institutions together, each national "
    "question compared with the rest of the country, and the municipality's own local "
    "questions where the caller may see them." + FIGURES + READERS,
    responses=problems(401, 404, 409, 422),
)
async def municipality_results(
    round_id: RoundId,
    code: MunicipalityCode,
    principal: OptionalPrincipal,
    session: ReadSession,
    cache: Cache,
    response: Response,
    now: Now,
) -> AreaResults:
    body = await service.municipality(
        session, cache=cache, round_id=round_id, code=code, principal=principal, now=now
    )
    private_until_published(response, published=body.published)
    return body


@router.get(
    "/{round_id}/results/municipalities/{code}/institutions",
    response_model=InstitutionComparison,
    summary="Compare a municipality's institutions (public, cacheable)",
    description="For citizens choosing between institutions: every enrolled institution of "
    "the municipality with its score on the programme's headline question (overall "
    "satisfaction) — n, mean, 95% confidence interval — and whether it differs "
    "significantly from the rest of the municipality; suppressed institutions say so. "
    "Cacheable: `Cache-Control: public` and an `ETag` once published (`If-None-Match` gives "
    "304)." + READERS,
    responses={
        304: {"description": "Not modified: the `ETag` in `If-None-Match` is current."},
        **problems(401, 404, 409, 422),
    },
)
async def compare_institutions(
    round_id: RoundId,
    code: MunicipalityCode,
    principal: OptionalPrincipal,
    session: ReadSession,
    cache: Cache,
    request: Request,
    response: Response,
    now: Now,
) -> InstitutionComparison | Response:
    body = await service.comparison(
        session, cache=cache, round_id=round_id, code=code, principal=principal, now=now
    )
    row = await rounds.get(session, round_id)
    tag = service.etag(row)
    headers = {
        "ETag": tag,
        "Cache-Control": "public, max-age=300" if row.published_at else PRIVATE,
    }
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    response.headers.update(headers)
    return body


@router.get(
    "/{round_id}/results/national",
    summary="The national results",
    description="Every enrolled organisation of the round together, per national question."
    + FIGURES
    + " Public once the round is published; before that only national roles (404 for "
    "others), with `Cache-Control: private, no-store`. Results open a minute after the round "
    "closes (409 before, with the time).",
    responses=problems(401, 404, 409, 422),
)
async def national_results(
    round_id: RoundId,
    principal: OptionalPrincipal,
    session: ReadSession,
    cache: Cache,
    response: Response,
    now: Now,
) -> AreaResults:
    body = await service.national(
        session, cache=cache, round_id=round_id, principal=principal, now=now
    )
    private_until_published(response, published=body.published)
    return body
