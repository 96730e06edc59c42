"""Media processing: probe a project's media files (sizes, durations, thumbnails, waveform
peaks, perceptual hashes) and read the report of what was found and what failed."""

from __future__ import annotations

from fastapi import APIRouter

from labelworks.jobs import records
from labelworks.schemas.jobs import JobOut
from labelworks.schemas.media import (
    MediaFailureOut,
    MediaProcessIn,
    MediaReportOut,
)
from labelworks.server.api.answers import ERRORS
from labelworks.server.api.jobs import Queue, job_out
from labelworks.server.bodies import RawBody, json_body_doc, parse_body
from labelworks.server.deps import DB, CurrentActor, MayManage
from labelworks.server.params import ProjectName
from labelworks.services.media_report import MediaReport, media_report

router = APIRouter(prefix="/api/v1", tags=["media"], responses=ERRORS)


def report_out(report: MediaReport) -> MediaReportOut:
    return MediaReportOut(
        project=report.project,
        keys=report.keys,
        items=report.items,
        processed=report.processed,
        failed=report.failed,
        pending=report.pending,
        remote=report.remote,
        failures=[MediaFailureOut.model_validate(f, from_attributes=True) for f in report.failures],
        truncated=report.truncated,
    )


@router.post(
    "/projects/{project}/media/process",
    operation_id="process_media",
    response_model=JobOut,
    status_code=202,
    openapi_extra=json_body_doc(MediaProcessIn),
)
def process(
    project: ProjectName,
    db: DB,
    actor: CurrentActor,
    queue: Queue,
    _may: MayManage,
    raw: RawBody,
) -> JobOut:
    """Start a job that probes every media file the project's items name that has no result
    yet (all of them with ``force``), in ``workers`` processes; follow it at
    ``/api/v1/jobs/{id}``, whose ``result`` holds ``probed``, ``failed``, ``already_done`` and
    ``remote``. Broken files get a reason on their item (``metadata.media_error``) and the
    run goes on. Needs the manage right."""
    body = parse_body(MediaProcessIn, raw)
    row = records.create_job(db, "media", body.model_dump(), project=project, actor=actor)
    queue.enqueue(row.id)
    return job_out(row)


@router.get("/projects/{project}/media", operation_id="media_report", response_model=MediaReportOut)
def report(project: ProjectName, db: DB, actor: CurrentActor) -> MediaReportOut:
    """Media files probed per kind, still pending, remote, and the first 500 failures
    with their item and reason. Needs the review right."""
    return report_out(media_report(db, project, actor=actor))
