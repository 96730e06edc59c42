"""Importing a project's items from a folder on the server or an S3 prefix: those who
manage the project only, folders only under the server's ``import_roots``, object storage
only through the server's own endpoint and credentials (never the request's)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from labelworks.config import Settings
from labelworks.jobs import records
from labelworks.schemas.jobs import JobOut
from labelworks.schemas.sources import SourceIn, SourceOut
from labelworks.server.api.answers import ERRORS
from labelworks.server.api.jobs import Queue, job_out
from labelworks.server.bodies import RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, AppSettings, CurrentActor, MayManage
from labelworks.server.params import ProjectName
from labelworks.services import sources
from labelworks.services.object_store import s3_options
from labelworks.services.sources import SourceRequest, SourceSummary

router = APIRouter(prefix="/api/v1", tags=["items"], responses=ERRORS)


def source_request(settings: Settings, url: str, glob: str | None, skip: bool) -> SourceRequest:
    """An HTTP caller's import: the server's S3 settings and import roots."""
    return SourceRequest(
        url=url,
        glob=glob or None,
        skip_unsupported=skip,
        s3=s3_options(settings),
        roots=settings.import_root_list,
        batch_size=settings.import_batch_size,
    )


def source_out(summary: SourceSummary) -> SourceOut:
    return SourceOut.model_validate(summary, from_attributes=True)


@router.post(
    "/projects/{project}/sources",
    operation_id="import_source",
    response_model=SourceOut,
    responses={202: {"model": JobOut, "description": "imported by a background job"}},
    openapi_extra=json_body_doc(SourceIn),
)
def import_source(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    settings: AppSettings,
    _may: MayManage,
    raw: RawBody,
    queue: Queue,
    background: bool = Query(False, description="import in a background job (202 and the job)"),
) -> SourceOut | JSONResponse:
    """Import from ``url``: ``s3://bucket/prefix/`` (the server's endpoint and
    credentials) or a folder's absolute path under the server's ``import_roots`` (none
    set: folders are refused). Media files become one item each, holding their
    reference; row files (JSONL, JSON, CSV, Parquet) import their rows. All files or none;
    ``skip_unsupported`` skips files of other types instead of refusing. Needs the manage
    right. With ``background=true`` a job does the import: 202 and the job, whose result
    is this answer."""
    body = parse_body(SourceIn, raw)
    if background:
        params = {"url": body.url, "glob": body.glob, "skip_unsupported": body.skip_unsupported}
        job = records.create_job(db, "source", params, project=project, actor=actor)
        queue.enqueue(job.id)
        return JSONResponse(job_out(job).model_dump(mode="json"), status_code=202)
    request = source_request(settings, body.url, body.glob, body.skip_unsupported)
    summary = sources.import_source(
        db, project, request, data_dir=Path(settings.data_dir), actor=actor
    )
    return source_out(summary)
