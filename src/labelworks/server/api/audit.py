"""The audit trail of a project's quality operations: browse and export."""

from __future__ import annotations

from typing import BinaryIO, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from labelworks.schemas.audit import AuditEventOut, AuditPageOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.deps import DB, CurrentActor
from labelworks.server.params import AfterId, ProjectName
from labelworks.server.streaming import stream_from
from labelworks.services import audit

router = APIRouter(prefix="/api/v1", tags=["audit"], responses=ERRORS)
MEDIA = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}


@router.get("/projects/{project}/audit", operation_id="audit_trail", response_model=AuditPageOut)
def trail(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    action: str | None = Query(None, max_length=40),
    after: AfterId = 0,
    limit: int = Query(100, ge=1, le=audit.MAX_PAGE),
) -> AuditPageOut:
    """A page of the project's audit events, oldest first; managers outside vendors."""
    events = audit.audit_trail(db, project, actor=actor, action=action, after=after, limit=limit)
    return AuditPageOut(
        events=[AuditEventOut.model_validate(e, from_attributes=True) for e in events],
        next_after=events[-1].id if len(events) == limit else None,
    )


@router.get(
    "/projects/{project}/audit/export",
    operation_id="export_audit",
    response_class=StreamingResponse,
    responses={200: {"content": {t: {} for t in MEDIA.values()}}},
)
def export(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    format: Literal["jsonl", "csv"] = Query("jsonl"),
) -> StreamingResponse:
    """The whole trail as JSONL or CSV, streamed."""
    audit.audit_trail(db, project, actor=actor, limit=1)  # access, while it can be a status

    def produce(out: BinaryIO) -> None:
        for chunk in audit.audit_export(db, project, format, actor=actor):
            out.write(chunk.encode())

    return StreamingResponse(
        stream_from(produce),
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'attachment; filename="{project}-audit.{format}"'},
    )
