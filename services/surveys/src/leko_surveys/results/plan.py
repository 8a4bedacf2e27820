"""Which result cells of a closed round are shown, and the cache that keeps them.

A round's cells form a tree: the nation, then (in the motivation survey) the sectors, then the
municipalities, then the enrolled organisations. A cell is the organisations below it; its size
is their responses. Cells below the round's threshold are withheld, and so are the cells
complementary suppression picks, over the equations "a cell is the sum of its children", so
that no withheld cell can be worked out by subtracting shown cells from a shown total — not an
institution from its municipality, nor a municipality from the nation.

A shown cell may still have too few answers to one question ("ved ikke" is not an answer), so
every question is planned the same way on its own: its sizes are that question's answers per
cell, the withheld cells above start withheld, and complementary suppression runs again over
the same equations. A local question is shown only at municipalities and institutions, so only
the equations of a municipality and its organisations bind it.

A cell's population (the number invited, for the finite-population correction and the
response rate) is known only when every organisation in it has a known number invited and no
more responses than invitations; one unknown would otherwise pass for zero.

Results open only once a round has been closed for `SETTLE` (a response committed just after
the close is then counted), and a closed round takes no more responses, so the plan and the
areas' totals never change afterwards: they are computed once per process and cached (the
benchmark's 5,000 institutions are read once, not per request).
"""

from __future__ import annotations

import itertools
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from leko_kit.suppression import below_reason
from leko_surveys.models import NATIONAL_AREA, municipality_area, sector_area
from leko_surveys.programmes.schemas import LOCAL_PREFIX
from leko_surveys.results.repository import ResultRepository
from leko_surveys.stats import Counts, suppressed_cells

ORG_PREFIX = "org:"
MUNICIPALITY_PREFIX = municipality_area("")
SETTLE = timedelta(minutes=1)


def few_answers(threshold: int) -> str:
    return f"fewer than {threshold} answers to this question"


def org_cell(code: str) -> str:
    return ORG_PREFIX + code


@dataclass(frozen=True, slots=True)
class Unit:
    """An enrolled organisation as the plan sees it."""

    code: str
    lineage: tuple[str, ...]
    municipality: str | None
    sector: str
    institution_type: str | None
    invited: int
    responded: int

    @property
    def population_known(self) -> bool:
        """0 invited means the number is unknown (answers collected by a vendor), and more
        responses than invitations means the number is wrong."""
        return self.invited > 0 and self.responded <= self.invited


@dataclass(frozen=True, slots=True)
class QuestionPlan:
    """One question of a round: its answers on the scale per cell (cells where nobody
    answered it are left out), and the cells withheld on it."""

    answers: dict[str, int]
    withheld: dict[str, str]


@dataclass
class RoundPlan:
    threshold: int
    units: dict[str, Unit]
    sizes: dict[str, int]
    invited: dict[str, int]
    withheld: dict[str, str]
    members: dict[str, list[str]] = field(default_factory=dict)  # area → organisation codes
    populations: dict[str, int] = field(default_factory=dict)  # cells whose population is known
    questions: dict[str, QuestionPlan] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        participants: Sequence[Sequence[Any]],
        *,
        threshold: int,
        by_sector: bool,
        answered: Sequence[Sequence[Any]] = (),
    ) -> RoundPlan:
        """From rows of (code, lineage, municipality, sector, institution type, invited,
        responded), and rows of (code, question id, answers on the scale) of the
        organisations' questions."""
        units = {
            str(row[0]): Unit(
                code=row[0],
                lineage=tuple(row[1]),
                municipality=row[2],
                sector=row[3],
                institution_type=row[4],
                invited=row[5],
                responded=row[6],
            )
            for row in participants
        }
        children: dict[str, set[str]] = defaultdict(set)
        members: dict[str, list[str]] = defaultdict(list)
        sizes: dict[str, int] = defaultdict(int)
        invited: dict[str, int] = defaultdict(int)
        unknown: set[str] = set()
        paths: dict[str, list[str]] = {}
        for unit in units.values():
            path = [NATIONAL_AREA]
            if by_sector:
                path.append(sector_area(unit.sector))
            if unit.municipality is not None:
                path.append(municipality_area(unit.municipality))
            path.append(org_cell(unit.code))
            paths[unit.code] = path
            for parent, child in itertools.pairwise(path):
                children[parent].add(child)
            for cell in path:
                sizes[cell] += unit.responded
                invited[cell] += unit.invited
            if not unit.population_known:
                unknown.update(path)
            for area in path[:-1]:
                members[area].append(unit.code)
        sizes.setdefault(NATIONAL_AREA, 0)
        equations = [(total, sorted(parts)) for total, parts in sorted(children.items())]
        withheld = suppressed_cells(dict(sizes), threshold, equations)
        # Per question only the cells somebody answered it in: the others are known to be
        # empty, need no protection, and say "fewer than ... answers" (`question_reason`).
        by_question: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for code, question_id, n in answered:
            if code in paths:
                cells = by_question[question_id]
                for cell in paths[code]:
                    cells[cell] += n
        municipal = [
            (total, parts) for total, parts in equations if total.startswith(MUNICIPALITY_PREFIX)
        ]
        questions: dict[str, QuestionPlan] = {}
        for question_id, cells in by_question.items():
            binding = municipal if question_id.startswith(LOCAL_PREFIX) else equations
            questions[question_id] = QuestionPlan(
                answers=dict(cells),
                withheld=suppressed_cells(
                    cells,
                    threshold,
                    [(total, parts) for total, parts in binding if total in cells],
                    withheld={cell: withheld[cell] for cell in cells if cell in withheld},
                    reason=few_answers(threshold),
                ),
            )
        return cls(
            threshold=threshold,
            units=units,
            sizes=dict(sizes),
            invited=dict(invited),
            withheld=withheld,
            members=dict(members),
            populations={cell: n for cell, n in invited.items() if cell not in unknown},
            questions=questions,
        )

    def reason(self, cell: str) -> str | None:
        """Why a cell is withheld, or None when it is shown (a cell without participants has
        no responses, and says so)."""
        if cell not in self.sizes:
            return below_reason(self.threshold)
        return self.withheld.get(cell)

    def question_reason(self, question_id: str, cell: str) -> str | None:
        """Why a cell's figures for one question are withheld, or None when they are shown:
        the cell is withheld, too few answered the question there, or its figures could
        otherwise be worked out by subtraction."""
        reason = self.reason(cell)
        if reason is not None:
            return reason
        planned = self.questions.get(question_id)
        if planned is None or cell not in planned.answers:  # nobody answered it there
            return few_answers(self.threshold)
        return planned.withheld.get(cell)

    def population(self, cell: str) -> int | None:
        """The number invited to a cell, or None when it is not known (see the module)."""
        return self.populations.get(cell)


class ResultsCache:
    """Plans and area totals of closed rounds, per process (they never change)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._plans: OrderedDict[int, RoundPlan] = OrderedDict()
        self._areas: OrderedDict[tuple[int, str], dict[str, Counts]] = OrderedDict()

    async def plan(
        self,
        session: AsyncSession,
        *,
        round_id: int,
        threshold: int,
        by_sector: bool,
    ) -> RoundPlan:
        """The plan of a round closed for `SETTLE`."""
        plan = self._plans.get(round_id)
        if plan is None:
            repository = ResultRepository(session)
            plan = RoundPlan.build(
                await repository.participants(round_id),
                threshold=threshold,
                by_sector=by_sector,
                answered=await repository.answered(round_id),
            )
            self._plans[round_id] = plan
            if len(self._plans) > self.size:
                self._plans.popitem(last=False)
        return plan

    async def area(self, session: AsyncSession, *, round_id: int, area: str) -> dict[str, Counts]:
        """The totals of an area of a round closed for `SETTLE`."""
        key = (round_id, area)
        totals = self._areas.get(key)
        if totals is None:
            totals = await ResultRepository(session).area_totals(round_id, area)
            self._areas[key] = totals
            if len(self._areas) > self.size * 8:
                self._areas.popitem(last=False)
        return totals
