"""HTTP endpoints for absence spells; the rules live in the service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Path, Request, Response

from leko_kit.aggregates import is_postgres
from leko_kit.db import Session, database_of
from leko_sickleave.absences import service
from leko_sickleave.absences.formats import read_records
from leko_sickleave.absences.repository import vacuum_aggregates
from leko_sickleave.absences.schemas import FIELDS
from leko_sickleave.auth import Reporter
from leko_sickleave.openapi import problems
from leko_sickleave.schemas import BatchResult

router = APIRouter(prefix="/v1/absences", tags=["absences"])

BATCH_PATH = "/v1/absences/batch"

_CSV_EXAMPLE = (
    ",".join(FIELDS)
    + "\nkmd-opus,2025-000184,e-7f3a91c2,k101,pædagog,own_sickness,2025-03-03,2025-03-07,1,"
    + "\nkmd-opus,2025-000185,e-0b44de19,k101,social- og sundhedsassistent,child_sickness,"
    "2025-03-04,2025-03-04,0.5,"
    + "\nkmd-opus,2025-000186,e-91aa7702,k101,lærer,own_sickness,2025-03-10,,1,"
    + "\nkmd-opus,2025-000187,e-5c2d0e8a,k101,pædagog,own_sickness,2025-03-11,2025-03-12,,3.7\n"
)
_NDJSON_EXAMPLE = (
    '{"source_system": "kmd-opus", "source_record_id": "2025-000184", "employee_ref": '
    '"e-7f3a91c2", "org_code": "k101", "job_group": "pædagog", "cause": "own_sickness", '
    '"start_date": "2025-03-03", "end_date": "2025-03-07", "fraction": 1}\n'
)
_BATCH_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/AbsenceBatch"}},
        "application/x-ndjson": {
            "schema": {"type": "string", "description": "One AbsenceRecord object per line."},
            "example": _NDJSON_EXAMPLE,
        },
        "text/csv": {
            "schema": {
                "type": "string",
                "description": "A header row of the field names (any order; end_date, "
                "fraction and hours may be left out), then one record per row; an empty cell "
                "is null.",
            },
            "example": _CSV_EXAMPLE,
        },
    },
}

SourceSystem = Annotated[str, Path(max_length=64, examples=["kmd-opus"])]
SourceRecordId = Annotated[str, Path(max_length=128, examples=["2025-000184"])]


@router.post(
    "/batch",
    summary="Report absence spells (fraværsforløb)",
    description="For `reporter`s, for organisations in their scope. Send `application/json` "
    '(`{"records": [...]}`, at most 10,000 records), `application/x-ndjson` or `text/csv` '
    "(header row of the field names). NDJSON and CSV are streamed and may hold any number of "
    "records (up to the gateway's upload limit).\n\n"
    "Each spell is identified by (`source_system`, `source_record_id`): posting it again "
    "replaces the stored version, and the answer counts spells `created`, `updated` and "
    "`unchanged`. `employee_ref` is a pseudonym: CPR numbers are refused. `end_date` null "
    "means the spell is still open. `fraction` (0 < f ≤ 1, default 1) is the share of each "
    "day absent; or give `hours` absent per working day instead (0 < h ≤ 7.4), stored as the "
    "fraction h / 7.4 of a full-time day (dagsværk).\n\n"
    "The batch is atomic: every record is checked and, if any is bad, nothing is stored and "
    'the 422 lists each bad record as `loc: ["body", "records", index, field]` (index from 0: the '
    "array position, the NDJSON line, the CSV row after the header). Bad records include an "
    "`org_code` unknown to the registry, `end_date` before `start_date`, dates outside "
    "2000–2100, a `fraction` outside (0, 1], `hours` outside (0, 7.4] or given beside a "
    "`fraction`, and a natural key repeated in the request. A "
    "record for an organisation outside your scope makes the whole request 403.\n\n"
    "Idempotent by its natural keys: `Idempotency-Key` is not needed (and not used) here.",
    openapi_extra={"requestBody": _BATCH_BODY},
    responses=problems(401, 403, 413, 415, 422),
)
async def post_absences(
    request: Request, principal: Reporter, session: Session, background: BackgroundTasks
) -> BatchResult:
    chunks = read_records(
        request.headers.get("content-type"),
        request.stream(),
        json_max_bytes=request.app.state.settings.json_batch_max_bytes,
        csv_as_text=is_postgres(session),
    )
    result = await service.ingest(session, chunks=chunks, principal=principal)
    if service.is_large(result):
        # After the response, so after the session has committed the batch.
        background.add_task(vacuum_aggregates, database_of(request))
    return result


@router.delete(
    "/{source_system}/{source_record_id}",
    status_code=204,
    summary="Delete a cancelled spell",
    description="For `reporter`s: removes a spell that was reported by mistake or cancelled, "
    "and its contribution to every statistic. A spell unknown or outside your scope is 404.",
    responses=problems(401, 403, 404),
)
async def delete_absence(
    source_system: SourceSystem,
    source_record_id: SourceRecordId,
    principal: Reporter,
    session: Session,
) -> Response:
    await service.delete(
        session,
        source_system=source_system,
        source_record_id=source_record_id,
        principal=principal,
    )
    return Response(status_code=204)
