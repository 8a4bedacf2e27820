"""Results of a round for an institution, a municipality, a sector and the nation, per
question: n, mean, standard deviation, 95% confidence interval (with the finite-population
correction where the number invited is known), distribution; an institution compared with the
rest of its municipality and the rest of the country, a municipality or sector with the rest
of the country (Welch's t-test on samples that do not overlap); the change since the
programme's previous round; suppression per unit and per question (see `plan`).

Who sees what: once the round is published, everyone, without credentials. Before that, only
national roles and the organisation's own users (`org_admin`, `leader` whose scope covers it);
anyone else gets 404, as if there were no results. Results open `SETTLE` after the round
closes (409 before), once the last responses are counted, so figures never move under a
reader's eyes and a respondent cannot be singled out by reading before and after an answer.
Local questions are shown to their owner's users, and beyond them once the owner publishes
the question.

An institution's own users see, before publication, its comparison with the rest of its
municipality and of the country — the reference mean and the rest's n and mean — although
they get 404 on the municipality's and the nation's results themselves: a leader wants to know
where the institution stands. Those reference figures follow the same suppression as the
areas' own results: a comparison is left out when the area's figures for the question are
withheld, or the rest has fewer answers than the threshold, so no reference figure is over
fewer respondents than the threshold, and none exposes a withheld cell (with the unit and
the area shown, the rest is their difference, nothing more).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.auth import Principal
from leko_kit.problems import Conflict, NotFound
from leko_surveys.auth import reads_locally, reads_nationally
from leko_surveys.models import NATIONAL_AREA, Programme, Round, municipality_area, sector_area
from leko_surveys.organisations import names, placement
from leko_surveys.participation.repository import ParticipationRepository
from leko_surveys.participation.service import response_rate
from leko_surveys.programmes.repository import ProgrammeRepository
from leko_surveys.programmes.schemas import QuestionRead
from leko_surveys.questionnaire import local_question_read, national_questions
from leko_surveys.results.plan import SETTLE, ResultsCache, RoundPlan, org_cell
from leko_surveys.results.repository import ResultRepository
from leko_surveys.results.schemas import (
    AreaResults,
    ChangeRead,
    ComparisonRead,
    InstitutionComparison,
    InstitutionResults,
    InstitutionScore,
    QuestionResult,
)
from leko_surveys.rounds import service as rounds
from leko_surveys.rounds.repository import RoundRepository
from leko_surveys.scale import Kind
from leko_surveys.stats import Comparison, Counts, Summary, compare, summarise

DECIMALS = 3
P_DECIMALS = 4
REST_OF_MUNICIPALITY = "rest_of_municipality"
REST_OF_COUNTRY = "rest_of_country"


def _r(value: float | None, decimals: int = DECIMALS) -> float | None:
    return round(value, decimals) if value is not None else None


def _ci(summary: Summary) -> tuple[float, float] | None:
    if summary.ci95 is None:
        return None
    low, high = summary.ci95
    return (round(low, DECIMALS), round(high, DECIMALS))


def results_open_at(row: Round) -> datetime:
    """When a round's results open: `SETTLE` after it closes, once its figures are final."""
    return row.closes_at + SETTLE


@dataclass(frozen=True, slots=True)
class Previous:
    row: Round
    plan: RoundPlan


@dataclass(frozen=True, slots=True)
class Context:
    row: Round
    programme: Programme
    headline: str
    national: tuple[QuestionRead, ...]
    plan: RoundPlan
    previous: Previous | None
    cache: ResultsCache

    @property
    def threshold(self) -> int:
        return self.row.anonymity_threshold

    async def area(self, session: AsyncSession, area: str) -> dict[str, Counts]:
        return await self.cache.area(session, round_id=self.row.id, area=area)

    async def previous_area(self, session: AsyncSession, area: str) -> dict[str, Counts]:
        assert self.previous is not None
        return await self.cache.area(session, round_id=self.previous.row.id, area=area)


def no_results(what: str, round_id: int) -> NotFound:
    return NotFound(
        f"No results for {what} in round {round_id}: it takes no part, or its results are not "
        "published yet (before publication only the organisation's own users and national "
        "roles see them)."
    )


async def _context(
    session: AsyncSession, cache: ResultsCache, row: Round, *, authorised: bool, now: datetime
) -> Context:
    """The round's results context; 409 until its results open."""
    if now < results_open_at(row):
        raise Conflict(
            f"Results open once the round has closed and its last responses are counted, at "
            f"{results_open_at(row):%Y-%m-%d %H:%M:%S} UTC."
        )
    programmes = ProgrammeRepository(session)
    programme = await programmes.get(row.programme)
    questionnaire = await programmes.questionnaire(row.programme, row.questionnaire_version)
    assert programme is not None and questionnaire is not None
    plan = await cache.plan(
        session,
        round_id=row.id,
        threshold=row.anonymity_threshold,
        by_sector=programme.by_sector,
    )
    previous: Previous | None = None
    earlier = await RoundRepository(session).previous(row)
    if (
        earlier is not None
        and now >= results_open_at(earlier)
        and (earlier.published_at is not None or authorised)
    ):
        previous = Previous(
            earlier,
            await cache.plan(
                session,
                round_id=earlier.id,
                threshold=earlier.anonymity_threshold,
                by_sector=programme.by_sector,
            ),
        )
    return Context(
        row=row,
        programme=programme,
        headline=questionnaire.headline_question_id,
        national=national_questions(
            row.programme, questionnaire.version, questionnaire.row_version, questionnaire.content
        ),
        plan=plan,
        previous=previous,
        cache=cache,
    )


def _comparison(
    against: str,
    unit: Summary,
    *,
    unit_counts: Counts,
    unit_population: int | None,
    area_counts: Counts,
    area_population: int | None,
    threshold: int,
) -> ComparisonRead | None:
    """The unit against the rest of the area, whose figures for the question the caller has
    found shown (so the rest, their difference, exposes nothing withheld); None when the rest
    has fewer answers than the threshold."""
    rest = area_counts - unit_counts
    if rest.n < threshold:
        return None
    rest_population = (
        area_population - unit_population
        if area_population is not None and unit_population is not None
        else None
    )
    rest_summary = summarise(rest, population=rest_population)
    result: Comparison = compare(unit, rest_summary)
    return ComparisonRead(
        against=against,
        reference_mean=_r(summarise(area_counts).mean),
        rest_n=rest.n,
        rest_mean=_r(rest_summary.mean),
        difference=_r(result.difference),
        p_value=_r(result.p_value, P_DECIMALS),
        significant=result.significant,
        test=result.test,
    )


def _change(
    summary: Summary, previous: Previous, counts: Counts | None, *, cell: str, question_id: str
) -> ChangeRead | None:
    """Against the previous round's figures, where that round shows them."""
    if counts is None or previous.plan.question_reason(question_id, cell) is not None:
        return None
    before = summarise(counts, population=previous.plan.population(cell))
    result = compare(summary, before)
    return ChangeRead(
        previous_round_id=previous.row.id,
        previous_year=previous.row.year,
        previous_n=before.n,
        previous_mean=_r(before.mean),
        difference=_r(result.difference),
        p_value=_r(result.p_value, P_DECIMALS),
        significant=result.significant,
        test=result.test,
    )


def _withheld(question: QuestionRead, reason: str) -> QuestionResult:
    return QuestionResult(
        question_id=question.id,
        text_da=question.text_da,
        kind=question.kind.value,
        owner_code=question.owner_code,
        n=None,
        mean=None,
        sd=None,
        ci95=None,
        distribution=None,
        suppressed=True,
        reason=reason,
    )


def _figures(
    question: QuestionRead, counts: Counts, *, reason: str | None, population: int | None
) -> tuple[QuestionResult, Summary | None]:
    """A unit's question — withheld for `reason` (from the plan) — and its summary when it has
    a mean to compare."""
    if reason is not None:
        return _withheld(question, reason), None
    if question.kind is Kind.CHOICE:
        values = [str(o.value) for o in question.options if o.value is not None]
        slots = list(counts.distribution().values())
        distribution = dict(zip(values, slots, strict=False)) | {"dont_know": counts.dont_know}
        return (
            QuestionResult(
                question_id=question.id,
                text_da=question.text_da,
                kind=question.kind.value,
                owner_code=question.owner_code,
                n=counts.n,
                mean=None,
                sd=None,
                ci95=None,
                distribution=distribution,
                suppressed=False,
                reason=None,
            ),
            None,
        )
    summary = summarise(counts, population=population)
    return (
        QuestionResult(
            question_id=question.id,
            text_da=question.text_da,
            kind=question.kind.value,
            owner_code=question.owner_code,
            n=summary.n,
            mean=_r(summary.mean),
            sd=_r(summary.sd),
            ci95=_ci(summary),
            distribution=counts.distribution(),
            suppressed=False,
            reason=None,
        ),
        summary,
    )


@dataclass(frozen=True, slots=True)
class Reference:
    """An area a unit is compared with."""

    against: str
    area: str
    counts: dict[str, Counts]
    population: int | None


async def _reference(
    session: AsyncSession, context: Context, *, against: str, area: str
) -> Reference | None:
    if context.plan.reason(area) is not None:
        return None
    return Reference(
        against=against,
        area=area,
        counts=await context.area(session, area),
        population=context.plan.population(area),
    )


async def _questions(
    context: Context,
    *,
    cell: str,
    questions: Sequence[QuestionRead],
    counts: dict[str, Counts],
    references: Sequence[Reference],
    previous: dict[str, Counts] | None,
) -> list[QuestionResult]:
    reason = context.plan.reason(cell)
    if reason is not None:
        return [_withheld(q, reason) for q in questions]
    population = context.plan.population(cell)
    results: list[QuestionResult] = []
    for question in questions:
        own = counts.get(question.id, Counts())
        result, summary = _figures(
            question,
            own,
            reason=context.plan.question_reason(question.id, cell),
            population=population,
        )
        if summary is not None and question.owner_code is None:
            for reference in references:
                if context.plan.question_reason(question.id, reference.area) is not None:
                    continue  # the rest would give the area's withheld figures away
                compared = _comparison(
                    reference.against,
                    summary,
                    unit_counts=own,
                    unit_population=population,
                    area_counts=reference.counts.get(question.id, Counts()),
                    area_population=reference.population,
                    threshold=context.threshold,
                )
                if compared is not None:
                    key = (
                        "municipality" if reference.against == REST_OF_MUNICIPALITY else "national"
                    )
                    result.comparisons[key] = compared
            if context.previous is not None and previous is not None:
                result.change = _change(
                    summary,
                    context.previous,
                    previous.get(question.id),
                    cell=cell,
                    question_id=question.id,
                )
        results.append(result)
    return results


async def _visible_local(
    session: AsyncSession,
    row: Round,
    *,
    lineage: Sequence[str],
    principal: Principal | None,
) -> list[QuestionRead]:
    """The local questions of the organisations in `lineage` the caller may see: published,
    or owned by an organisation in the caller's scope."""
    rows = await ParticipationRepository(session).local_questions(row.id)
    owners = list(lineage)
    return [
        local_question_read(q)
        for q in rows
        if q.owner_code in owners
        and (q.published or reads_locally(principal, owners[owners.index(q.owner_code) :]))
    ]


async def institution(
    session: AsyncSession,
    *,
    cache: ResultsCache,
    round_id: int,
    org_code: str,
    principal: Principal | None,
    now: datetime,
) -> InstitutionResults:
    row = await rounds.get(session, round_id)
    participant = await ParticipationRepository(session).participant(round_id, org_code)
    authorised = participant is not None and (
        reads_nationally(principal) or reads_locally(principal, participant.lineage)
    )
    if participant is None or not (row.published_at is not None or authorised):
        raise no_results(f"`{org_code}`", round_id)
    context = await _context(session, cache, row, authorised=authorised, now=now)
    unit = context.plan.units[org_code]
    cell = org_cell(org_code)
    local = await _visible_local(session, row, lineage=unit.lineage, principal=principal)
    questions = [*context.national, *local]
    repository = ResultRepository(session)
    totals = await repository.participant_totals(round_id, [org_code])
    counts = {qid: value for (_, qid), value in totals.items()}
    references = [
        reference
        for reference in [
            await _reference(
                session,
                context,
                against=REST_OF_MUNICIPALITY,
                area=municipality_area(unit.municipality),
            )
            if unit.municipality is not None
            else None,
            await _reference(session, context, against=REST_OF_COUNTRY, area=NATIONAL_AREA),
        ]
        if reference is not None
    ]
    previous: dict[str, Counts] | None = None
    if context.previous is not None:
        earlier = await repository.participant_totals(context.previous.row.id, [org_code])
        previous = {qid: value for (_, qid), value in earlier.items()}
    reason = context.plan.reason(cell)
    return InstitutionResults(
        round_id=round_id,
        programme=row.programme,
        year=row.year,
        published=row.published_at is not None,
        anonymity_threshold=context.threshold,
        org_code=org_code,
        name=(await names(session, [org_code])).get(org_code),
        municipality=unit.municipality,
        invited=unit.invited,
        n_responses=unit.responded,
        response_rate=response_rate(context.plan.population(cell), unit.responded),
        suppressed=reason is not None,
        reason=reason,
        headline_question_id=context.headline,
        questions=await _questions(
            context,
            cell=cell,
            questions=questions,
            counts=counts,
            references=references,
            previous=previous,
        ),
    )


async def _area_authorised(
    session: AsyncSession, *, code: str | None, principal: Principal | None
) -> bool:
    """National roles, or the users of the area's own organisation."""
    if reads_nationally(principal):
        return True
    if code is None or principal is None:
        return False
    placed = await placement(session, code)
    return placed is not None and reads_locally(principal, placed.lineage)


async def _area(
    session: AsyncSession,
    context: Context,
    *,
    area: str,
    code: str | None,
    local: Sequence[QuestionRead],
    compare_with_country: bool,
) -> AreaResults:
    counts = dict(await context.area(session, area))
    if local:
        members = context.plan.members.get(area, [])
        totals = await ResultRepository(session).participant_totals(
            context.row.id, members, [q.id for q in local]
        )
        for (_, qid), value in totals.items():
            counts[qid] = counts.get(qid, Counts()) + value
    references = []
    if compare_with_country:
        reference = await _reference(session, context, against=REST_OF_COUNTRY, area=NATIONAL_AREA)
        references = [reference] if reference is not None else []
    previous = await context.previous_area(session, area) if context.previous is not None else None
    size = context.plan.sizes.get(area, 0)
    invited = context.plan.invited.get(area, 0)
    reason = context.plan.reason(area)
    return AreaResults(
        round_id=context.row.id,
        programme=context.row.programme,
        year=context.row.year,
        published=context.row.published_at is not None,
        anonymity_threshold=context.threshold,
        area=area,
        code=code,
        name=(await names(session, [code])).get(code) if code else None,
        participants=len(context.plan.members.get(area, [])),
        invited=invited,
        n_responses=size,
        response_rate=response_rate(context.plan.population(area), size),
        suppressed=reason is not None,
        reason=reason,
        headline_question_id=context.headline,
        questions=await _questions(
            context,
            cell=area,
            questions=[*context.national, *local],
            counts=counts,
            references=references,
            previous=previous,
        ),
    )


async def _municipality_context(
    session: AsyncSession,
    *,
    cache: ResultsCache,
    round_id: int,
    code: str,
    principal: Principal | None,
    now: datetime,
) -> Context:
    row = await rounds.get(session, round_id)
    authorised = await _area_authorised(session, code=code, principal=principal)
    if not (row.published_at is not None or authorised):
        raise no_results(f"`{code}`", round_id)
    context = await _context(session, cache, row, authorised=authorised, now=now)
    if municipality_area(code) not in context.plan.sizes:
        raise no_results(f"`{code}`", round_id)
    return context


async def municipality(
    session: AsyncSession,
    *,
    cache: ResultsCache,
    round_id: int,
    code: str,
    principal: Principal | None,
    now: datetime,
) -> AreaResults:
    context = await _municipality_context(
        session, cache=cache, round_id=round_id, code=code, principal=principal, now=now
    )
    placed = await placement(session, code)
    local = (
        await _visible_local(session, context.row, lineage=placed.lineage, principal=principal)
        if placed is not None
        else []
    )
    return await _area(
        session,
        context,
        area=municipality_area(code),
        code=code,
        local=local,
        compare_with_country=True,
    )


async def national(
    session: AsyncSession,
    *,
    cache: ResultsCache,
    round_id: int,
    principal: Principal | None,
    now: datetime,
) -> AreaResults:
    row = await rounds.get(session, round_id)
    authorised = reads_nationally(principal)
    if not (row.published_at is not None or authorised):
        raise no_results("the nation", round_id)
    context = await _context(session, cache, row, authorised=authorised, now=now)
    return await _area(
        session, context, area=NATIONAL_AREA, code=None, local=[], compare_with_country=False
    )


async def sectors(
    session: AsyncSession,
    *,
    cache: ResultsCache,
    row: Round,
    principal: Principal | None,
    now: datetime,
) -> tuple[list[AreaResults], AreaResults]:
    """Each sector of a round aggregated by sector (the motivation survey), and the nation."""
    authorised = reads_nationally(principal)
    if not (row.published_at is not None or authorised):
        raise no_results("the sectors", row.id)
    context = await _context(session, cache, row, authorised=authorised, now=now)
    by_sector = [
        await _area(
            session,
            context,
            area=sector_area(sector),
            code=None,
            local=[],
            compare_with_country=True,
        )
        for sector in context.programme.sectors
    ]
    whole = await _area(
        session, context, area=NATIONAL_AREA, code=None, local=[], compare_with_country=False
    )
    return by_sector, whole


def etag(row: Round) -> str:
    """Results of a closed round change only when it is published."""
    published = int(row.published_at.timestamp()) if row.published_at else 0
    return f'"round-{row.id}-{int(row.closes_at.timestamp())}-{published}"'


async def comparison(
    session: AsyncSession,
    *,
    cache: ResultsCache,
    round_id: int,
    code: str,
    principal: Principal | None,
    now: datetime,
) -> InstitutionComparison:
    """A municipality's institutions on the headline question, each against the rest."""
    context = await _municipality_context(
        session, cache=cache, round_id=round_id, code=code, principal=principal, now=now
    )
    area = municipality_area(code)
    members = sorted(context.plan.members.get(area, []))
    totals = await ResultRepository(session).participant_totals(
        round_id, members, [context.headline]
    )
    municipal = (await context.area(session, area)).get(context.headline, Counts())
    headline = next(q for q in context.national if q.id == context.headline)
    labels = await names(session, [code, *members])
    area_reason = context.plan.question_reason(context.headline, area)
    scores: list[InstitutionScore] = []
    for member in members:
        unit = context.plan.units[member]
        cell = org_cell(member)
        own = totals.get((member, context.headline), Counts())
        result, summary = _figures(
            headline,
            own,
            reason=context.plan.question_reason(context.headline, cell),
            population=context.plan.population(cell),
        )
        compared = (
            _comparison(
                REST_OF_MUNICIPALITY,
                summary,
                unit_counts=own,
                unit_population=context.plan.population(cell),
                area_counts=municipal,
                area_population=context.plan.population(area),
                threshold=context.threshold,
            )
            if summary is not None and area_reason is None
            else None
        )
        scores.append(
            InstitutionScore(
                org_code=member,
                name=labels.get(member),
                institution_type=unit.institution_type,
                n_responses=unit.responded,
                suppressed=summary is None,
                reason=result.reason,
                n=summary.n if summary else None,
                mean=_r(summary.mean) if summary else None,
                ci95=_ci(summary) if summary else None,
                comparison=compared,
            )
        )
    shown_mean = summarise(municipal).mean if area_reason is None else None
    return InstitutionComparison(
        round_id=round_id,
        programme=context.row.programme,
        year=context.row.year,
        municipality=code,
        name=labels.get(code),
        headline_question_id=context.headline,
        headline_text_da=headline.text_da,
        municipality_mean=_r(shown_mean),
        institutions=scores,
    )
