"""The national overview on the core questions: by year, sector and leader level, over the
respondents other than the leaders themselves, from the national aggregates.

Never identifies an organisation or a leader: there are no organisation or leader fields, a
cell is suppressed below 5 respondents or 3 leaders, and complementary suppression runs over
the whole table of a year (each sector's total against its levels, each level's total against
its sectors, the national total against the sector totals, the level totals and the cells)
before any filter is applied, so that answers to different queries cannot be combined to
recover a suppressed cell. The public sees the national totals per
year; analysts (and `national_admin`) the breakdown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from leko_evaluation.models import NATIONAL_SHARDS, Evaluation, QuestionSet
from leko_evaluation.questionnaire import build, parse_content
from leko_evaluation.statistics.repository import StatisticsRepository
from leko_evaluation.statistics.schemas import (
    NationalCell,
    NationalOverview,
    NationalQuestion,
    NationalYear,
)
from leko_evaluation.stats import Counts, rounded
from leko_kit.suppression import COMPLEMENTARY_REASON, complementary

MIN_RESPONDENTS = 5
MIN_LEADERS = 3
SECTORS = ("state", "region", "municipality")
LEVEL_CODES = ("top", "middle", "first_line")

Key = tuple[str | None, str | None]  # (sector, level); None = all


def _cells_of(sector: str, level: str) -> tuple[Key, ...]:
    """The cells a (sector, level) figure counts in: itself and the totals above it."""
    return ((sector, level), (sector, None), (None, level), (None, None))


def _reason(respondents: int, leaders: int) -> str | None:
    if respondents < MIN_RESPONDENTS:
        return f"fewer than {MIN_RESPONDENTS} responses"
    if leaders < MIN_LEADERS:
        return f"fewer than {MIN_LEADERS} leaders"
    return None


def _pooled_too_small(
    respondents: Mapping[Key, int], leaders: Mapping[Key, int]
) -> Callable[[Collection[Key]], bool]:
    """Withheld cells pooled must still pass both rules of `_reason`."""

    def too_small(cells: Collection[Key]) -> bool:
        pooled = _reason(sum(respondents[k] for k in cells), sum(leaders[k] for k in cells))
        return pooled is not None

    return too_small


async def overview(
    session: AsyncSession,
    *,
    year: int | None,
    sector: str | None,
    level: str | None,
    breakdown: bool,
) -> NationalOverview:
    repository = StatisticsRepository(session)
    counts = await repository.core_counts(year)
    leaders = await repository.leaders(year)
    texts: dict[str, str] = {}
    for row in await repository.published():
        content = parse_content(row.version, row.published_at, row.content)
        texts.update({q.id: q.text_da for q in content.core})
    core = sorted({key[3] for key in counts} & set(texts) or set(texts))

    years: list[NationalYear] = []
    for y in sorted({key[0] for key in counts} | {key[0] for key in leaders}, reverse=True):
        cells: dict[Key, dict[str, Counts]] = defaultdict(lambda: defaultdict(Counts))
        cell_leaders: dict[Key, int] = defaultdict(int)
        for (cy, s, lv, qid), value in counts.items():
            if cy != y:
                continue
            for cell in _cells_of(s, lv):
                cells[cell][qid] = cells[cell][qid] + value
        for (cy, s, lv), n in leaders.items():
            if cy == y:
                for cell in _cells_of(s, lv):
                    cell_leaders[cell] += n
        keys: list[Key] = [(s, lv) for s in (*SECTORS, None) for lv in (*LEVEL_CODES, None)]
        # Respondents: every one answers every core question ("ved ikke" included).
        sizes = {k: max((c.total for c in cells[k].values()), default=0) for k in keys}
        reasons = {k: _reason(sizes[k], cell_leaders[k]) for k in keys}
        withheld = {k for k in keys if reasons[k] is not None}
        equations: list[tuple[Key, list[Key]]] = [
            ((s, None), [(s, lv) for lv in LEVEL_CODES]) for s in SECTORS
        ]
        equations += [((None, lv), [(s, lv) for s in SECTORS]) for lv in LEVEL_CODES]
        equations += [
            ((None, None), [(s, None) for s in SECTORS]),
            ((None, None), [(None, lv) for lv in LEVEL_CODES]),
            ((None, None), [(s, lv) for s in SECTORS for lv in LEVEL_CODES]),
        ]
        extra = complementary(
            sizes, withheld, equations, too_small=_pooled_too_small(sizes, cell_leaders)
        )
        shown: list[NationalCell] = []
        for key in keys:
            key_sector, key_level = key
            if not breakdown and key != (None, None):
                continue
            if (sector is not None and key_sector != sector) or (
                level is not None and key_level != level
            ):
                continue
            if sizes[key] == 0 and cell_leaders[key] == 0:
                continue
            if key in withheld or key in extra:
                shown.append(
                    NationalCell(
                        sector=key_sector,
                        level=key_level,
                        leaders=None,
                        respondents=None,
                        suppressed=True,
                        reason=reasons[key] or COMPLEMENTARY_REASON,
                    )
                )
                continue
            shown.append(
                NationalCell(
                    sector=key_sector,
                    level=key_level,
                    leaders=cell_leaders[key],
                    respondents=sizes[key],
                    suppressed=False,
                    questions=[
                        NationalQuestion(
                            question_id=qid,
                            n=c.answered,
                            mean=rounded(c.mean),
                            distribution=c.distribution(),
                        )
                        for qid in core
                        for c in [cells[key].get(qid, Counts())]
                    ],
                )
            )
        years.append(NationalYear(year=y, cells=shown))
    return NationalOverview(
        questions=[{"id": qid, "text_da": texts[qid]} for qid in core if qid in texts],
        years=years,
    )


# Counting closed rounds into the national totals.

COUNT_BATCH = 20


async def count_round(session: AsyncSession, *, evaluation: Evaluation, now: datetime) -> None:
    """Add a closed round's core-question answers and answering leaders to the national totals,
    once (the caller holds the round's row lock)."""
    if evaluation.national_counted_at is not None:
        return
    question_set = await session.get(QuestionSet, evaluation.question_set_version)
    assert question_set is not None, "a round's question set is never deleted"
    content = parse_content(question_set.version, question_set.published_at, question_set.content)
    core = sorted(build(content, evaluation.themes, evaluation.local_questions).core_ids)
    repository = StatisticsRepository(session)
    shard = evaluation.id % NATIONAL_SHARDS
    await repository.add_to_national(
        await repository.round_answer_counts(evaluation, core, shard),
        await repository.round_leaders(evaluation, shard),
    )
    evaluation.national_counted_at = now
    await session.flush()


async def count_closed_round(session: AsyncSession, *, evaluation_id: int, now: datetime) -> None:
    """Count a round just closed (by `POST .../close`), in the closing transaction."""
    evaluation = await StatisticsRepository(session).lock_round(evaluation_id)
    if evaluation is not None and evaluation.closes_at <= now:
        await count_round(session, evaluation=evaluation, now=now)


async def count_due_rounds(session: AsyncSession, *, now: datetime) -> int:
    """Count up to `COUNT_BATCH` rounds that closed by their time; returns how many."""
    due = await StatisticsRepository(session).due_rounds(now, COUNT_BATCH)
    for evaluation in due:
        await count_round(session, evaluation=evaluation, now=now)
    return len(due)
