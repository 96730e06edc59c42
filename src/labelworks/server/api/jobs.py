"""Background jobs: list, read, cancel, download a finished export, start an export."""

from __future__ import annotations

import shutil
import uuid
from typing import Annotated, BinaryIO, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse

from labelworks.config import Settings
from labelworks.domain.access import Action, Actor
from labelworks.domain.errors import NotFound
from labelworks.jobs import records
from labelworks.jobs.kinds import kind_of
from labelworks.jobs.queue import JobQueue
from labelworks.schemas.jobs import ExportJobIn, JobOut, StartJobIn
from labelworks.server.api.answers import ERRORS
from labelworks.server.bodies import BODY, RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, AppSettings, CurrentActor
from labelworks.server.params import MAX_ROW_ID, ProjectName, RowId
from labelworks.services import access
from labelworks.storage.engine import Database
from labelworks.storage.jobs import JobRow

router = APIRouter(prefix="/api/v1", tags=["jobs"], responses=ERRORS)


def job_queue(request: Request) -> JobQueue:
    """The app's queue, made on first use (apps that never start a job never open it)."""
    queue: JobQueue | None = getattr(request.app.state, "job_queue", None)
    if queue is None:
        queue = JobQueue(request.app.state.settings, request.app.state.db)
        request.app.state.job_queue = queue
    return queue


Queue = Annotated[JobQueue, Depends(job_queue)]


def job_out(row: JobRow) -> JobOut:
    out = JobOut.model_validate(row, from_attributes=True)
    out.unit = kind_of(row.kind).unit
    return out


def staged_import(
    db: Database,
    settings: Settings,
    queue: JobQueue,
    project: str,
    body: BinaryIO,
    fmt: str,
    actor: Actor,
    *,
    create_annotators: bool = False,
) -> JobRow:
    """Keep an uploaded body in the data directory and start the job that imports it."""
    folder = settings.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.{fmt}"
    with path.open("wb") as out:
        shutil.copyfileobj(body, out, 1024 * 1024)
    try:
        params = {"path": str(path), "format": fmt, "source": BODY, "staged": True,
                  "create_annotators": create_annotators}  # fmt: skip
        row = records.create_job(db, "import", params, project=project, actor=actor)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    queue.enqueue(row.id)
    return row


@router.get("/jobs", operation_id="list_jobs", response_model=list[JobOut])
def list_jobs(
    db: DB,
    actor: CurrentActor,
    settings: AppSettings,
    project: str | None = Query(None, min_length=1, max_length=200, pattern=r"^[^\x00]*$"),
    state: Literal["queued", "running", "succeeded", "failed", "cancelled"] | None = None,
    kind: str | None = Query(None, min_length=1, max_length=40, pattern=r"^[a-z_]+$"),
    before: int | None = Query(None, ge=1, le=MAX_ROW_ID, description="jobs older than this id"),
    limit: int = Query(50, ge=1, le=200),
) -> list[JobOut]:
    """The jobs the caller may see, newest first: their own, and as a project's manager the
    project's (behind a vendor wall, those their vendor's people started)."""
    rows = records.list_jobs(
        db,
        actor=actor,
        project=project,
        state=state,
        kind=kind,
        before=before,
        limit=limit,
        data_dir=settings.data_dir,
    )
    return [job_out(r) for r in rows]


@router.get("/jobs/{job_id}", operation_id="get_job", response_model=JobOut)
def get_job(job_id: RowId, db: DB, actor: CurrentActor, settings: AppSettings) -> JobOut:
    """One job with its progress, and its result or error once finished."""
    return job_out(records.get_job(db, job_id, actor=actor, data_dir=settings.data_dir))


@router.post("/jobs/{job_id}/cancel", operation_id="cancel_job", response_model=JobOut)
def cancel_job(job_id: RowId, db: DB, actor: CurrentActor, settings: AppSettings) -> JobOut:
    """Cancel a queued job; a running one stops at its next progress report and leaves
    nothing half-done. A finished job is left as it is."""
    return job_out(records.cancel_job(db, job_id, actor=actor, data_dir=settings.data_dir))


@router.get(
    "/jobs/{job_id}/download",
    operation_id="download_job_result",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
def download(job_id: RowId, db: DB, actor: CurrentActor, request: Request) -> FileResponse:
    """The file a finished export job wrote; only for whoever started it (it holds what
    they may see) and admins."""
    job = records.get_job(db, job_id, actor=actor)
    name = (job.result or {}).get("file")
    if (
        job.state != "succeeded"
        or not isinstance(name, str)
        or not records.may_download(job, actor)
    ):
        raise NotFound(f"job {job_id} has no file to download")
    path = request.app.state.settings.data_dir / "jobs" / str(job.id) / name
    if not path.is_file():
        raise NotFound(f"job {job_id}'s file is no longer there")
    return FileResponse(path, filename=name, media_type="application/octet-stream")


def _may_review(project: ProjectName, db: DB, actor: CurrentActor) -> None:
    access.require(db, actor, project, Action.REVIEW)


@router.post(
    "/projects/{project}/jobs/export",
    operation_id="start_export_job",
    response_model=JobOut,
    status_code=202,
    openapi_extra=json_body_doc(ExportJobIn),
)
def start_export(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    queue: Queue,
    _may: Annotated[None, Depends(_may_review)],
    raw: RawBody,
) -> JobOut:
    """Export in the background, in any format; the finished job's file is at
    ``/api/v1/jobs/{id}/download``. Needs the review right."""
    body = parse_body(ExportJobIn, raw)
    row = records.create_job(db, "export", body.model_dump(), project=project, actor=actor)
    queue.enqueue(row.id)
    return job_out(row)


@router.post(
    "/projects/{project}/jobs",
    operation_id="start_job",
    response_model=JobOut,
    status_code=202,
    openapi_extra=json_body_doc(StartJobIn),
)
def start_job(
    project: ProjectName, db: DB, actor: CurrentActor, queue: Queue, raw: RawBody
) -> JobOut:
    """Start a job of any kind a person may start (export, media, duplicates, pii, sample,
    train) with its parameters, checked before it is queued; the right it needs is its kind's
    (review for an export, manage for the others). Follow it at ``/api/v1/jobs/{id}``."""
    body = parse_body(StartJobIn, raw)
    row = records.create_job(db, body.kind, body.params, project=project, actor=actor)
    queue.enqueue(row.id)
    return job_out(row)
