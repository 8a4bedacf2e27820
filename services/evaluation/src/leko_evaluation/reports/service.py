"""The leader report and the organisation report: response rates and the national benchmark
from the write-time aggregates, answer counts per group and question from the leaders'
answers (see `repository`).

Leader report: per respondent group, theme and question the mean (answers 1–5; "ved ikke"
counted in the distribution only) and the distribution; response rates; self–other agreement
per question and theme (the leader's own answer against the pooled mean of the other shown
groups, gap = self − others, highlighted from one scale point); the national benchmark on the
core questions (all leaders of the year, groups other than self). Employee, peer and other
groups with fewer respondents than the round's threshold are suppressed and left out of the
others' mean; self and superior are shown as the answers they are, by design.

Organisation report: the same figures pooled over the round's leaders, for all leaders and per
level. A small group of a single leader (suppressed in the leader's report) is pooled with the
other small groups of the same cell only when together they reach the threshold; otherwise
they are left out (`withheld_respondents`), so that the organisation report minus the leaders'
own reports never reveals a suppressed group. The same holds between the levels and the
total. Self and superior cells below the threshold are suppressed, with complementary
suppression between the levels and the total.

Reports open when the round closes: figures that change response by response would let a
reader work out single answers by watching them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from leko_evaluation.auth import in_read_scope, not_found_evaluation
from leko_evaluation.evaluations.schemas import GroupRate
from leko_evaluation.evaluations.service import rate
from leko_evaluation.models import CORE_THEME, LOCAL_THEME, Evaluation, QuestionSet
from leko_evaluation.questionnaire import Questionnaire, build, parse_content
from leko_evaluation.reports.repository import ReportRepository
from leko_evaluation.reports.schemas import (
    Benchmark,
    BenchmarkQuestion,
    GroupResult,
    LeaderReport,
    LevelResult,
    OrganisationReport,
    OrgGroupResult,
    QuestionResult,
    QuestionText,
    SelfOther,
    SelfOtherTheme,
    ThemeLabel,
    ThemeResult,
)
from leko_evaluation.scale import GROUPS, LEVELS, PROTECTED_GROUPS, Group, Level
from leko_evaluation.stats import Counts, gap, notable, pooled, rounded
from leko_kit.auth import Principal, Role
from leko_kit.problems import Conflict, NotFound
from leko_kit.scope import OrgHierarchy, covers
from leko_kit.suppression import (
    COMPLEMENTARY_REASON,
    below_reason,
    complementary,
    fewer_than,
)

NATIONAL_THRESHOLD = 5
ALL_LEVELS = "all"
NO_RESPONSES = "no responses"

LEADER_NOTES = [
    "Gennemsnit er beregnet over svarene 1–5; “ved ikke / ikke relevant” tælles i fordelingen, "
    "men ikke i gennemsnittet.",
    "Medarbejdere, sideordnede ledere og andre vises kun, når mindst {t} har svaret; ellers "
    "er gruppen skjult og indgår heller ikke i de andres gennemsnit.",
    "Selvevalueringen og den overordnede leders svar vises som de enkelte svar, de er: det "
    "ved begge parter på forhånd.",
    "Forskellen mellem selvevaluering og de andres gennemsnit (gap) fremhæves fra ét point "
    "på skalaen: et godt sted at begynde dialogen.",
]
ORG_NOTES = [
    "Tallene er samlet over rundens ledere, for alle og pr. ledelsesniveau.",
    "Grupper under anonymitetsgrænsen ({t}) hos den enkelte leder indgår kun, når de samlet "
    "når grænsen; ellers udelades de (withheld_respondents), så de ikke kan regnes ud.",
    "Celler under grænsen er skjult, og en nabocelle skjules også, hvis den skjulte ellers "
    "kunne findes ved at trække fra (komplementær diskretionering).",
]


def _labels(
    evaluation: Evaluation, question_set: QuestionSet
) -> tuple[Questionnaire, list[ThemeLabel], list[QuestionText]]:
    content = parse_content(question_set.version, question_set.published_at, question_set.content)
    questionnaire = build(content, evaluation.themes, evaluation.local_questions)
    chosen = set(evaluation.themes)
    labels = [ThemeLabel(code=CORE_THEME, label_da="Kernespørgsmål", label_en="Core questions")]
    labels += [
        ThemeLabel(code=t.code, label_da=t.label_da, label_en=t.label_en)
        for t in content.themes
        if t.code in chosen
    ]
    if evaluation.local_questions:
        labels.append(
            ThemeLabel(code=LOCAL_THEME, label_da="Lokale spørgsmål", label_en="Local questions")
        )
    texts = [
        QuestionText(id=q.id, theme=q.theme, text_da=q.text_da) for q in questionnaire.questions
    ]
    return questionnaire, labels, texts


def _themes_in_order(questionnaire: Questionnaire) -> list[str]:
    return list(dict.fromkeys(q.theme for q in questionnaire.questions))


def _results(
    questionnaire: Questionnaire, counts: Mapping[str, Counts]
) -> tuple[list[ThemeResult], list[QuestionResult]]:
    """Theme and question results of one group (or pooled cell) from its counts."""
    questions = [
        QuestionResult(
            question_id=q.id,
            theme=q.theme,
            n=c.answered,
            mean=rounded(c.mean),
            distribution=c.distribution(),
        )
        for q in questionnaire.questions
        for c in [counts.get(q.id, Counts())]
    ]
    themes = []
    for theme in _themes_in_order(questionnaire):
        total = pooled(
            counts.get(q.id, Counts()) for q in questionnaire.questions if q.theme == theme
        )
        themes.append(ThemeResult(theme=theme, n=total.answered, mean=rounded(total.mean)))
    return themes, questions


def _rates(counts: Iterable[tuple[str, int, int]]) -> list[GroupRate]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for group, invited, responded in counts:
        totals[group][0] += invited
        totals[group][1] += responded
    return [
        GroupRate(group=g, invited=totals[g][0], responded=totals[g][1], rate=rate(*totals[g]))
        for g in GROUPS
        if g.value in totals
    ]


def _require_closed(evaluation: Evaluation, now: datetime) -> None:
    if now < evaluation.closes_at:
        raise Conflict(
            f"The report opens when the round closes at {evaluation.closes_at:%Y-%m-%d %H:%M} "
            "UTC (an `org_admin` can close it early): figures that change answer by answer "
            "would reveal single answers. The response rates can be followed meanwhile."
        )


async def _round(session: AsyncSession, evaluation_id: int) -> tuple[Evaluation, QuestionSet]:
    repository = ReportRepository(session)
    evaluation = await repository.evaluation(evaluation_id)
    if evaluation is None:
        raise not_found_evaluation(evaluation_id)
    question_set = await repository.question_set(evaluation.question_set_version)
    assert question_set is not None
    return evaluation, question_set


async def leader_report(
    session: AsyncSession,
    *,
    hierarchy: OrgHierarchy,
    evaluation_id: int,
    leader_ref: str,
    principal: Principal,
    now: datetime,
) -> LeaderReport:
    """The report of `leader_ref` in the round, for that leader or an `org_admin` whose scope
    covers the leader's unit; 404 for everyone else, as if there were no such leader."""
    repository = ReportRepository(session)
    evaluation, question_set = await _round(session, evaluation_id)
    leader = await repository.leader(evaluation_id, leader_ref)
    allowed = False
    if leader is not None:
        lineage = await hierarchy.lineage(leader.org_code)
        is_own = (
            Role.LEADER.value in principal.roles
            and principal.leader_ref == leader_ref
            and lineage is not None
            and covers(lineage, principal.scope)
        )
        allowed = is_own or await in_read_scope(hierarchy, leader.org_code, principal)
    if leader is None or not allowed:
        raise NotFound(
            f"No report for leader `{leader_ref}` in evaluation {evaluation_id} that you may "
            "read: a leader reads their own report, an org_admin those of its organisations."
        )
    _require_closed(evaluation, now)
    threshold = evaluation.anonymity_threshold
    questionnaire, labels, texts = _labels(evaluation, question_set)
    counts = await repository.leader_counts(leader.id)
    totals = await repository.leader_totals(leader.id)

    by_group: dict[str, dict[str, Counts]] = defaultdict(dict)
    for (group, qid), value in totals.items():
        by_group[group][qid] = value
    groups: dict[str, GroupResult] = {}
    shown: list[str] = []
    for group in GROUPS:
        if group.value not in counts:
            continue
        n = counts[group.value][1]
        if n == 0:
            groups[group.value] = GroupResult(n=0, suppressed=True, reason=NO_RESPONSES)
        elif group in PROTECTED_GROUPS and n < threshold:
            groups[group.value] = GroupResult(n=n, suppressed=True, reason=below_reason(threshold))
        else:
            themes, questions = _results(questionnaire, by_group[group.value])
            groups[group.value] = GroupResult(
                n=n, suppressed=False, themes=themes, questions=questions
            )
            if group is not Group.SELF:
                shown.append(group.value)

    own = (
        by_group.get(Group.SELF.value, {})
        if Group.SELF.value in groups and not groups[Group.SELF.value].suppressed
        else {}
    )
    others = {
        q.id: pooled(by_group[g].get(q.id, Counts()) for g in shown)
        for q in questionnaire.questions
    }
    self_other = []
    for q in questionnaire.questions:
        mine = own.get(q.id, Counts()).mean if own else None
        theirs = others[q.id].mean
        difference = gap(mine, theirs)
        self_other.append(
            SelfOther(
                question_id=q.id,
                theme=q.theme,
                self=rounded(mine),
                others_mean=rounded(theirs),
                gap=difference,
                notable=notable(difference),
            )
        )
    self_other_themes = []
    for theme in _themes_in_order(questionnaire):
        ids = [q.id for q in questionnaire.questions if q.theme == theme]
        mine = pooled(own.get(i, Counts()) for i in ids).mean if own else None
        theirs = pooled(others[i] for i in ids).mean
        difference = gap(mine, theirs)
        self_other_themes.append(
            SelfOtherTheme(
                theme=theme,
                self=rounded(mine),
                others_mean=rounded(theirs),
                gap=difference,
                notable=notable(difference),
            )
        )

    core = sorted(questionnaire.core_ids)
    national = await repository.national_core(evaluation.year, core)
    national_n = min((national.get(q, Counts()).total for q in core), default=0)
    benchmark = Benchmark(
        year=evaluation.year,
        suppressed=national_n < NATIONAL_THRESHOLD,
        reason=below_reason(NATIONAL_THRESHOLD) if national_n < NATIONAL_THRESHOLD else None,
        questions=[]
        if national_n < NATIONAL_THRESHOLD
        else [
            BenchmarkQuestion(
                question_id=q,
                others_mean=rounded(others[q].mean),
                national_mean=rounded(national[q].mean),
                national_n=national[q].answered,
                difference=gap(others[q].mean, national[q].mean),
            )
            for q in core
        ],
    )
    return LeaderReport(
        evaluation_id=evaluation.id,
        evaluation_name=evaluation.name,
        leader_ref=leader.leader_ref,
        display_name=leader.display_name,
        org_code=leader.org_code,
        level=Level(leader.level),
        year=evaluation.year,
        anonymity_threshold=threshold,
        response_rates=_rates(
            (group, invited, responded) for group, (invited, responded) in counts.items()
        ),
        groups=groups,
        others_groups=shown,
        self_other=self_other,
        self_other_themes=self_other_themes,
        benchmark=benchmark,
        themes=labels,
        questions=texts,
        notes=[note.format(t=threshold) for note in LEADER_NOTES],
    )


Cell = tuple[str, str]  # (level or "all", group)


async def organisation_report(
    session: AsyncSession,
    *,
    hierarchy: OrgHierarchy,
    evaluation_id: int,
    principal: Principal,
    now: datetime,
) -> OrganisationReport:
    repository = ReportRepository(session)
    evaluation, question_set = await _round(session, evaluation_id)
    if not await in_read_scope(hierarchy, evaluation.org_code, principal):
        raise not_found_evaluation(evaluation_id)
    _require_closed(evaluation, now)
    threshold = evaluation.anonymity_threshold
    questionnaire, labels, texts = _labels(evaluation, question_set)
    levels = await repository.leaders(evaluation.id)
    counts = await repository.round_counts(evaluation.id)
    totals = await repository.round_totals(evaluation.id)

    # Each leader's group is a block of respondents; a block is "open" when the leader's own
    # report shows it (self, superior, or at least `threshold` respondents).
    responded = {(leader_id, group): n for leader_id, group, _, n in counts if n > 0}
    members: dict[Cell, list[tuple[int, str]]] = defaultdict(list)
    withheld: dict[Cell, int] = defaultdict(int)
    for group in GROUPS:
        excluded_pool: list[tuple[int, str]] = []
        all_members: list[tuple[int, str]] = []
        for level in LEVELS:
            blocks = [
                (lid, group.value)
                for lid, lvl in levels.items()
                if lvl == level.value and (lid, group.value) in responded
            ]
            small = [b for b in blocks if group in PROTECTED_GROUPS and responded[b] < threshold]
            open_blocks = [b for b in blocks if b not in small]
            cell = (level.value, group.value)
            if sum(responded[b] for b in small) >= threshold:
                members[cell] = open_blocks + small
            else:
                members[cell] = open_blocks
                withheld[cell] = sum(responded[b] for b in small)
                excluded_pool += small
            all_members += members[cell]
        cell = (ALL_LEVELS, group.value)
        if sum(responded[b] for b in excluded_pool) >= threshold:
            all_members += excluded_pool
        else:
            withheld[cell] = sum(responded[b] for b in excluded_pool)
        members[cell] = all_members

    sizes = {cell: sum(responded[b] for b in blocks) for cell, blocks in members.items()}
    suppressed = {cell for cell, n in sizes.items() if n < threshold}
    equations = [((ALL_LEVELS, g.value), [(lv.value, g.value) for lv in LEVELS]) for g in GROUPS]
    extra = complementary(sizes, suppressed, equations, too_small=fewer_than(threshold, sizes))

    by_block: dict[tuple[int, str], dict[str, Counts]] = defaultdict(dict)
    for (lid, block_group, qid), value in totals.items():
        by_block[(lid, block_group)][qid] = value
    results: list[LevelResult] = []
    for level_name in [ALL_LEVELS, *(lv.value for lv in LEVELS)]:
        leaders = sum(1 for lvl in levels.values() if level_name in (ALL_LEVELS, lvl))
        groups: dict[str, OrgGroupResult] = {}
        for group in GROUPS:
            cell = (level_name, group.value)
            n = sizes.get(cell, 0)
            if n == 0 and not withheld.get(cell):
                continue
            if cell in suppressed or cell in extra:
                reason = below_reason(threshold) if cell in suppressed else COMPLEMENTARY_REASON
                groups[group.value] = OrgGroupResult(
                    n=n, suppressed=True, reason=reason, withheld_respondents=withheld[cell]
                )
                continue
            cell_counts = {
                q.id: pooled(by_block[b].get(q.id, Counts()) for b in members[cell])
                for q in questionnaire.questions
            }
            themes, questions = _results(questionnaire, cell_counts)
            groups[group.value] = OrgGroupResult(
                n=n,
                suppressed=False,
                themes=themes,
                questions=questions,
                withheld_respondents=withheld[cell],
            )
        results.append(LevelResult(level=level_name, leaders=leaders, groups=groups))

    return OrganisationReport(
        evaluation_id=evaluation.id,
        org_code=evaluation.org_code,
        name=evaluation.name,
        year=evaluation.year,
        anonymity_threshold=threshold,
        closes_at=evaluation.closes_at,
        response_rates=_rates((group, invited, n) for _, group, invited, n in counts),
        levels=results,
        themes=labels,
        questions=texts,
        notes=[note.format(t=threshold) for note in ORG_NOTES],
    )
