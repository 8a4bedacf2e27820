"""HTTP endpoints of the research export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from leko_evaluation.auth import Researcher
from leko_evaluation.openapi import problems
from leko_evaluation.research import service
from leko_evaluation.research.schemas import DataDictionary
from leko_kit.db import database_of
from leko_kit.dependencies import Now

router = APIRouter(prefix="/v1/research-export", tags=["research"])


@router.get(
    "",
    summary="Anonymised microdata of a year (CSV, streamed)",
    description="For `researcher`: one row per answer to a national question in the year's "
    "closed rounds — respondent number (valid within this export only), year, month, the "
    "leader's sector and level, respondent group, question, theme and value (empty for “ved "
    "ikke”). No organisation, leader, token or time stamp finer than the month; local "
    "questions are left out. Streamed, so any size downloads in constant memory. The columns "
    "are described at GET /v1/research-export/dictionary.",
    response_class=StreamingResponse,
    responses={
        **{
            200: {
                "content": {
                    "text/csv": {
                        "example": "respondent,year,month,sector,leader_level,respondent_group,"
                        "question_id,theme,value\n3f9a0c1d2e4b5a67,2026,2026-03,municipality,"
                        "first_line,employee,core-01,core,4\n"
                    }
                }
            }
        },
        **problems(401, 403, 422),
    },
)
async def get_research_export(
    request: Request,
    principal: Researcher,
    now: Now,
    year: Annotated[int, Query(ge=2000, le=2100, examples=[2026])],
) -> StreamingResponse:
    return StreamingResponse(
        service.export(database_of(request), year=year, now=now),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="leko-ledelsesevaluering-{year}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/dictionary",
    summary="The research export's data dictionary (public)",
    description="Public: the export's columns with types, meanings and codes, and every "
    "national question (id, theme, Danish text) that can appear in it.",
    responses=problems(),
)
async def get_dictionary(request: Request) -> DataDictionary:
    return await service.dictionary(database_of(request))
